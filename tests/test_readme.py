"""The README's command examples print what the CLI prints today, figure for figure.

Every block of README.md that shows one `$ corridor ...` command and its output is run at the
width the README lays tables out at (100 columns) and compared with the block: what a command
prints on stdout when it succeeds, its error line on stderr when it fails. Blocks of several
commands (a session on a dataset of one's own) are shown as sessions, not checked here.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
WIDTH = "100"


def _examples() -> list[tuple[str, str]]:
    """Return (command line, expected output) of each one-command example block."""
    found, block, inside = [], [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if inside and block and block[0].startswith("$ corridor ") and sum(x.startswith("$ ") for x in block) == 1:
                found.append((block[0][2:], "\n".join(block[1:]).strip()))
            inside, block = not inside, []
        elif inside:
            block.append(line)
    return found


EXAMPLES = _examples()


def test_the_readme_has_examples_to_check():
    commands = [command for command, _ in EXAMPLES]
    assert any(c.startswith('corridor route Chongqing "Umm Qasr"') for c in commands)
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_a_readme_example_prints_what_the_cli_prints(network, run, monkeypatch, command, expected):
    monkeypatch.setenv("COLUMNS", WIDTH)
    result = run(*shlex.split(command)[1:])
    printed = result.out if result.code == 0 else result.err
    assert printed.strip() == expected
