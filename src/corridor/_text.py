"""Text at the edges: what a table cell may hold, how text reaches a terminal, how CSV reaches a spreadsheet.

- On input, a cell is one line of UTF-8 text: control characters (escape sequences that set a
  terminal's title or clear its screen), undecodable bytes, line breaks, bidirectional-text
  controls (which make a name read differently from what it is) and invisible characters (a
  zero-width space makes a name print as another) are refused.
- On output to a terminal, whatever such characters old data still holds are shown escaped
  (`\\u001b`), never sent raw.
- In CSV the tool writes, a text cell a spreadsheet would run as a formula (one starting with
  =, +, -, @, a tab or a carriage return) gets a leading apostrophe; plain numbers such as -3.5
  stay as they are. Reading a table takes the apostrophe off again, so a table corridor wrote
  reads back exactly as it was written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

# One class per kind of character a cell may not hold, in the words a message uses.
_UNSAFE_KINDS = (
    (re.compile("[\ud800-\udfff]"), "an undecodable byte"),  # what undecodable argv bytes become
    (re.compile("[\u2028\u2029]"), "a line break"),
    (re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"), "a bidirectional-text control"),
    (re.compile("[\x00-\x1f\x7f-\x9f]"), "a control character"),
    (re.compile("[\u00ad\u180e\u200b\u2060-\u2064\ufeff]"), "an invisible character"),
)
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Characters that show as nothing, so that "Sing\u200bapore" would print as Singapore and be
# another name. (The zero-width joiner and non-joiner, which some scripts spell with, are kept.)
_INVISIBLE = "\u00ad\u180e\u200b\u2060-\u2064\ufeff"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}{_INVISIBLE}\ud800-\udfff]")
# The same, less the newline that separates output lines.
_UNSAFE_OUTPUT = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}{_INVISIBLE}\ud800-\udfff]")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEUTRALISED = re.compile(r"'*[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def unsafe_character(text: str) -> tuple[str, str] | None:
    """Return (the first character a one-line cell may not hold, what it is), or None if all are fine."""
    found = _UNSAFE.search(text)
    if found is None:
        return None
    char = found.group()
    kind = next(words for pattern, words in _UNSAFE_KINDS if pattern.match(char))
    return char, kind


def printable(text: str) -> str:
    """Return text safe to print on a terminal: each unsafe character but the newline as `\\uXXXX`.

    The escape is also valid inside a JSON string, so JSON output stays JSON.
    """
    if not _UNSAFE_OUTPUT.search(text):
        return text
    return _UNSAFE_OUTPUT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_line(text: str) -> str:
    """Return `printable(text)` with its newlines escaped too, as `\\n`: a message on stderr is one
    line, even where it quotes a path or a name with a line break in it."""
    return printable(text).replace("\n", "\\n")


def encodable(text: str, encoding: str | None) -> str:
    """Return text that `encoding` can take: each character it cannot hold as `\\uXXXX`, as
    `printable` writes (a pair for one beyond the BMP), so that JSON stays JSON.

    A terminal in an ASCII-only locale (LANG=C without Python's UTF-8 mode) cannot show
    "Gdańsk": the name is shown escaped, where writing it raised UnicodeEncodeError.
    """
    if not encoding:
        return text
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return "".join(_encodable_char(ch, encoding) for ch in text)
    except LookupError:  # an encoding Python does not know: nothing to go by
        return text
    return text


def _encodable_char(char: str, encoding: str) -> str:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        units = char.encode("utf-16-be")
        return "".join(f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2))
    return char


def neutralise_cell(value: object) -> str:
    """Return a CSV cell a spreadsheet shows as text: a formula-like text gets a leading apostrophe.

    A cell that already starts with apostrophes before such a character gets one more, so
    `restore_cell` gives back exactly the original.
    """
    text = "" if value is None else str(value)
    if _NEUTRALISED.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore_cell(text: str) -> str:
    """Undo `neutralise_cell` on a cell read from a table."""
    if text.startswith("'") and _NEUTRALISED.match(text):
        return text[1:]
    return text


def csv_text(rows: Iterable[Sequence[object]], *, lineterminator: str = "\n") -> str:
    """Return rows as CSV, every cell neutralised: the one CSV writer of everything corridor writes."""
    # Written as if rows ended in CRLF, so that a cell holding either character is quoted (the
    # csv module quotes only what is in its line terminator), then each row ends as asked.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    out = []
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
        out.append(buffer.getvalue()[:-2] + lineterminator)
        buffer.seek(0)
        buffer.truncate()
    return "".join(out)


__all__ = ["FORMULA_START", "csv_text", "encodable", "neutralise_cell", "printable", "restore_cell", "unsafe_character"]


def plain_number(value: float) -> str:
    """A count as people write it: 1,000,000 rather than 1e+06, 2.5 as it is."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:g}"
