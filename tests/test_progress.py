"""Progress on stderr for slow work when it is a terminal (never with -q or into a pipe); -v says what is loaded."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

import pytest


def run_on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run corridor with stderr on a pseudo-terminal; return its exit code and what the terminal got."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "corridor", *argv], stdout=subprocess.DEVNULL,
                               stderr=follower, env=env)  # fmt: skip
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not data:
            break
        chunks.append(data)
    code = process.wait(timeout=60)
    os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_a_first_build_shows_progress_on_a_terminal_and_not_with_q(tmp_path):
    env = {**os.environ, "CORRIDOR_CACHE": str(tmp_path / "cache"), "COLUMNS": "100"}
    # A parameters file makes the network one to build (the packaged one is of the bundled parameters).
    params = tmp_path / "params.csv"
    params.write_text("name,scope,value,source\nspeed_kmh,rail,45,estimate: a test\n")
    code, seen = run_on_a_terminal(["route", "Chongqing", "Hong Kong", "--params", str(params)], env)
    assert code == 0, seen
    assert "corridor: loading the network" in seen and " s" in seen
    assert "\r" in seen  # drawn in place, and cleared
    quiet_env = {**env, "CORRIDOR_CACHE": str(tmp_path / "cache2")}
    code, seen = run_on_a_terminal(["route", "Chongqing", "Hong Kong", "--params", str(params), "-q"], quiet_env)
    assert code == 0 and seen.strip() == ""
    piped = subprocess.run(
        [sys.executable, "-m", "corridor", "route", "Chongqing", "Hong Kong", "--params", str(params)],
        capture_output=True, text=True, env={**env, "CORRIDOR_CACHE": str(tmp_path / "cache3")}, timeout=240,
    )  # fmt: skip
    assert piped.returncode == 0 and piped.stderr == ""


def test_verbose_says_what_is_loaded_and_from_where(run, tiny):
    first = run("route", "CNAAA", "CNBBB", "--data", str(tiny), "-v")
    assert first.code == 0
    assert f"dataset: {tiny}" in first.err
    assert "building the network from the tables in" in first.err and "built the network in" in first.err
    second = run("route", "CNAAA", "CNBBB", "--data", str(tiny), "-v")
    assert "loaded the cached network" in second.err and "building" not in second.err
    assert run("route", "CNAAA", "CNBBB", "--data", str(tiny)).err == ""  # without -v: nothing
