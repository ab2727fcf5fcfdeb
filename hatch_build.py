"""Wheel build hook: compile the search core (C) and the bundled dataset's network into the wheel.

The C module is optional: without a compiler the wheel is built without it and the search runs
in Python (`corridor.engine`), with a warning here. The compiled network makes the first route
after `pip install` build nothing; an editable install puts both beside the source (they are
ignored by git), and the network is used only while data and code match it.
Set CORRIDOR_BUILD_PURE=1 to skip the C module.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def compile_core(source: Path, directory: Path) -> Path | None:
    """Compile `_core.c` into an extension module in `directory`; return it, or None on failure."""
    ldshared = sysconfig.get_config_var("LDSHARED") or f"{sysconfig.get_config_var('CC') or 'cc'} -shared"
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    include = sysconfig.get_paths()["include"]
    target = directory / f"_core{suffix}"
    command = [*shlex.split(ldshared), "-O2", "-fPIC", f"-I{include}", str(source), "-o", str(target)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"corridor: cannot compile the search core ({exc}); searches will run in Python", file=sys.stderr)
        return None
    if done.returncode != 0:
        print(
            f"corridor: compiling the search core failed; searches will run in Python:\n{done.stderr[-2000:]}",
            file=sys.stderr,
        )
        return None
    return target


class CustomBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        package = root / "src" / "corridor"
        self._scratch = Path(tempfile.mkdtemp(prefix="corridor-build-"))
        core = None if os.environ.get("CORRIDOR_BUILD_PURE") else compile_core(package / "_core.c", self._scratch)
        # An editable install works from the source tree: the compiled pieces go beside the code.
        editable = version == "editable"
        if core is not None:
            if editable:
                # Copied beside the old one and renamed over it: a process that has the old one
                # loaded keeps its file instead of crashing on one rewritten under it.
                staged = package / f".{core.name}.new"
                shutil.copy2(core, staged)
                os.replace(staged, package / core.name)
            else:
                build_data["force_include"][str(core)] = f"corridor/{core.name}"
                build_data["pure_python"] = False
                build_data["infer_tag"] = True
        network = (package / "_prebuilt" if editable else self._scratch) / "bundled.network"
        sys.path.insert(0, str(root / "src"))
        try:
            from corridor.cache import compile_bundled

            compile_bundled(root / "data", network)
        finally:
            sys.path.remove(str(root / "src"))
        if not editable:
            build_data["force_include"][str(network)] = "corridor/_prebuilt/bundled.network"
            identity = network.with_name("bundled.identity.json")  # cache.PREBUILT_IDENTITY
            build_data["force_include"][str(identity)] = "corridor/_prebuilt/bundled.identity.json"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
