"""Shell completion generated from the parser: run in real bash, zsh and fish."""

from __future__ import annotations

import shutil
import subprocess

import pytest


@pytest.fixture
def script(run, tmp_path):
    def make(shell: str):
        result = run("completion", shell)
        assert result.code == 0 and result.err == ""
        path = tmp_path / f"corridor.{shell}"
        path.write_text(result.out)
        return path

    return make


def bash_complete(path, *words: str) -> list[str]:
    """Complete the last of `words` the way bash does on TAB, with the generated function."""
    quoted = " ".join(f"'{w}'" for w in ("corridor", *words))
    code = (
        f'source {path}; COMP_WORDS=({quoted}); COMP_CWORD={len(words)}; _corridor; printf "%s\\n" "${{COMPREPLY[@]}}"'
    )
    done = subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


def test_bash_completes_commands_actions_options_and_choices(script, tmp_path):
    path = script("bash")
    assert {"route", "compare", "reach", "matrix", "ports", "links", "completion", "map"} <= set(
        bash_complete(path, "")
    )
    assert bash_complete(path, "ports", "e") == ["edit"]
    assert set(bash_complete(path, "links", "")) >= {"add", "edit", "remove", "import"}
    assert bash_complete(path, "route", "Chongqing", "Umm Qasr", "--alt") == ["--alternatives"]
    assert set(bash_complete(path, "route", "A", "B", "--by", "")) == {"cost", "time", "distance", "co2", "generalized"}
    assert "gpkg" in bash_complete(path, "reach", "A", "--format", "")
    assert bash_complete(path, "links", "edit", "rail-a-b", "--one-way", "") == ["yes", "no"]
    (tmp_path / "places.gpkg").write_text("")
    assert bash_complete(path, "ports", "import", str(tmp_path / "places.g")) == [str(tmp_path / "places.gpkg")]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_from_the_generated_script(script):
    path = script("fish")
    done = subprocess.run(
        ["fish", "-c", f"source {path}; complete -C 'corridor route A B --by '; echo ---; "
         "complete -C 'corridor ports '"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    by, actions = done.stdout.split("---")
    assert set(by.split()) == {"cost", "time", "distance", "co2", "generalized"}
    assert {line.split("\t")[0] for line in actions.strip().splitlines()} >= {"list", "show", "add", "edit", "remove"}


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_loads_the_generated_script(script):
    path = script("zsh")
    done = subprocess.run(
        ["zsh", "-c", f"autoload -U compinit && compinit -u; source {path}; whence -w _corridor"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "_corridor: function" in done.stdout
