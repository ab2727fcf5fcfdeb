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


def test_progress_lines_fit_a_narrow_terminal(monkeypatch):
    """A line longer than the terminal wraps, and each redraw then leaves a row behind: every line
    drawn in place is cut to the width of stderr's terminal, less one."""
    import fcntl
    import logging
    import struct
    import termios

    from corridor import cli

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 40, 0, 0))
    monkeypatch.delenv("COLUMNS", raising=False)
    stream = os.fdopen(follower, "w")
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setattr(cli._Activity, "DELAY_S", 0.0)
    monkeypatch.setattr(cli._Activity, "TICK_S", 0.01)
    monkeypatch.setattr(logging.getLogger("corridor"), "level", logging.INFO)
    with cli._Activity("loading the network (built and cached on first use)"):
        time.sleep(0.1)
    cli._progress("matrix")(3, 10)
    stream.close()
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    seen = b"".join(chunks).decode()
    assert "corridor: loading the network" in seen and "corridor: matrix [" in seen
    assert max(len(line) for line in seen.replace("\n", "\r").split("\r")) == 39
