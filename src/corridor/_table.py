"""Plain-text tables and paragraphs that fit the terminal: column widths, wrapping, dropped columns.

Every table the CLI prints goes through `table`: numbers are right-aligned and never cut,
text columns (names, routes) wrap onto more lines to fit the width, and when even that is not
enough the least useful columns are left out, with a line saying which. The width is
`$COLUMNS`, else the terminal's; output to a pipe or a file is not wrapped (one row, one line).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

GAP = "  "


@dataclass(frozen=True)
class Column:
    """A column of a text table."""

    header: str
    right: bool = False  # numbers: right-aligned, never wrapped
    wrap: bool = False  # text that may wrap onto several lines
    min_width: int = 8  # a wrapping column is never narrower
    drop: int = 0  # left out when nothing else fits, highest first (0: always kept)


def plain_columns(headers: Sequence[str], *, right: Sequence[int] = (), wrap: Sequence[int] = ()) -> list[Column]:
    """Return plain columns for `headers`: those numbered in `right` right-aligned, in `wrap` wrapping."""
    return [Column(h, right=i in right, wrap=i in wrap) for i, h in enumerate(headers)]


class Note(str):
    """A line under a row of a table (e.g. 'through malacca, hormuz'), indented under its text."""


# A width set for the current context (a server's request), in place of the terminal's: (width,).
_FIXED: ContextVar[tuple[int | None] | None] = ContextVar("corridor_table_width", default=None)


@contextlib.contextmanager
def fixed_width(width: int | None) -> Iterator[None]:
    """Fit the tables and paragraphs made in this context to `width` (None: never wrap), whatever the terminal.

    A server's text answers must not depend on the terminal it was started from.
    """
    token = _FIXED.set((width,))
    try:
        yield
    finally:
        _FIXED.reset(token)


def terminal_width() -> int | None:
    """Return the width to fit: $COLUMNS, else the terminal's; None when stdout is not a terminal."""
    fixed = _FIXED.get()
    if fixed is not None:
        return fixed[0]
    text = os.environ.get("COLUMNS", "")
    if text.isdigit() and int(text) > 0:
        return int(text)
    try:
        if sys.stdout is not None and sys.stdout.isatty():
            # A terminal whose size was never set (a new pty: `script`, `docker run -t`) says 0: unknown.
            return os.get_terminal_size(sys.stdout.fileno()).columns or None
    except (OSError, ValueError, AttributeError):
        pass
    return None


def _layout(columns: Sequence[Column], natural: list[int], width: int | None) -> tuple[list[int], list[int]]:
    """Return (the columns kept, their widths) for a table of natural column widths."""
    kept = list(range(len(columns)))
    widths = list(natural)
    if width is None:
        return kept, widths

    def least(i: int) -> int:
        return min(natural[i], max(columns[i].min_width, len(columns[i].header)))

    while True:
        fixed = sum(natural[i] for i in kept if not columns[i].wrap) + len(GAP) * (len(kept) - 1)
        wrapping = [i for i in kept if columns[i].wrap]
        if fixed + sum(least(i) for i in wrapping) <= width:
            break
        droppable = [i for i in kept if columns[i].drop]
        if not droppable:
            break
        kept.remove(max(droppable, key=lambda i: (columns[i].drop, i)))
    room = width - fixed
    # Share the room among wrapping columns: each gets at least its least width, the rest goes
    # to those whose text is longer, up to their natural width.
    sizes = {i: least(i) for i in wrapping}
    spare = room - sum(sizes.values())
    while spare > 0:
        growing = [i for i in wrapping if sizes[i] < natural[i]]
        if not growing:
            break
        share = max(spare // len(growing), 1)
        for i in growing:
            step = min(share, natural[i] - sizes[i], spare)
            sizes[i] += step
            spare -= step
            if spare <= 0:
                break
    for i in wrapping:
        widths[i] = sizes[i]
    return kept, widths


def table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str] | Note],
    *,
    width: int | None = None,
    fit: bool = True,
) -> str:
    """Return rows as an aligned table under a header and a rule, fitted to `width`.

    `width` defaults to `terminal_width()`; `fit=False` never wraps. A `Note` row is a line of
    text under the previous row, indented to the first wrapping column.
    """
    if fit and width is None:
        width = terminal_width()
    if not fit:
        width = None
    natural = [len(c.header) for c in columns]
    for row in rows:
        if not isinstance(row, Note):
            natural = [max(w, len(cell)) for w, cell in zip(natural, row, strict=True)]
    kept, widths = _layout(columns, natural, width)

    def lines_of(cells: Sequence[str]) -> list[str]:
        import textwrap  # only when a cell wraps

        parts = []
        for i in kept:
            text = cells[i]
            if columns[i].wrap and len(text) > widths[i]:
                parts.append(textwrap.wrap(text, widths[i], break_on_hyphens=False) or [""])
            else:
                parts.append([text])
        out = []
        for k in range(max(len(p) for p in parts)):
            line = []
            for p, i in zip(parts, kept, strict=True):
                piece = p[k] if k < len(p) else ""
                line.append(piece.rjust(widths[i]) if columns[i].right else piece.ljust(widths[i]))
            out.append(GAP.join(line).rstrip())
        return out

    first_text = next((n for n, i in enumerate(kept) if columns[i].wrap), min(1, len(kept) - 1))
    indent = sum(widths[i] + len(GAP) for i in kept[:first_text])
    out = lines_of([c.header for c in columns])
    out.append(GAP.join("-" * widths[i] for i in kept))
    for row in rows:
        if isinstance(row, Note):
            out += wrap(str(row), width, indent=" " * indent)
        else:
            out += lines_of(row)
    left_out = [columns[i].header for i in range(len(columns)) if i not in kept]
    if left_out:
        out.append(f"({', '.join(left_out)} left out to fit {width} columns)")
    return "\n".join(out)


def wrap(text: str, width: int | None, *, indent: str = "", hanging: str | None = None) -> list[str]:
    """Return text as lines of at most `width` (None: one line), the first indented by `indent`
    and the others by `hanging` (default: the same)."""
    hanging = indent if hanging is None else hanging
    if width is None or len(indent) + len(text) <= width:
        return [indent + text]
    import textwrap

    return textwrap.wrap(
        text,
        max(width, len(hanging) + 20),
        initial_indent=indent,
        subsequent_indent=hanging,
        break_on_hyphens=False,
        break_long_words=True,  # a long URL is cut rather than overflow
    ) or [indent]


def limited(total: int, shown: int, noun: str, *, how: str) -> str:
    """Return the line under a list cut short: how many are shown and how to see the rest."""
    return f"{shown:,} of {total:,} {noun} shown: {how}"


__all__ = ["Column", "Note", "fixed_width", "limited", "plain_columns", "table", "terminal_width", "wrap"]
