"""Read the port distances of NGA Pub. 151 from its text copy into tests/data/pub151/pairs.csv.

Usage: python scripts/pub151_pairs.py PUB151_raw.txt [--out tests/data/pub151/pairs.csv]

PUB151_raw.txt is the text copy in GitHub repository kaklin/sea-routes (commit c86d618,
793,378 characters; tests/data/pub151/README.md). An entry is its name in capitals, its
printed position and "to:", then its junction points and its ports, one distance each, a
line of the publication broken over as many lines of the text as it took on the page. Only
the ports are read (a junction point is not a port). Every line keeps the route note printed
with it ("via Tsugaru Strait") and `offset`, the start of the 16,000-character stretch of the
text it begins in. Lines the text garbles (no distance where one belongs, a page header inside
a line) are reported on stderr and left out; so is an entry whose position does not parse.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "pub151" / "pairs.csv"
STRETCH = 16_000
COLUMNS = [
    "entry_name", "entry_country", "entry_lat", "entry_lon", "dest_name", "dest_country", "distance_nm", "note",
    "offset",
]  # fmt: skip
POSITION = re.compile(r"^\((\d+)°(\d+)'(\d+(?:\.\d+)?)\"([NS])\.,\s*(\d+)°(\d+)'(\d+(?:\.\d+)?)\"([EW])\.\)\s*(.*)$")
# A distance closes a line of the publication: "..., 1,340" or "..., 1396" or "..., 76.5".
DISTANCE = re.compile(r"^(.*?),?\s*(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?),?$")
# A whole line on its own: "Bombay, India, 2,238" (a name, a country and a distance).
WHOLE = re.compile(r"^[A-Z][^,()]*, [^,()]+, \d[\d,.]*,?$")
# A running page header the text copy leaves among the lines: "SAN DIEGO, CALIFORNIA, U.S.A. 95".
PAGE_HEADER = re.compile(r"^[^a-z\d]*[A-Z][^a-z\d]*[A-Z.)] \d{1,4}$")
NOTE = re.compile(r"^(.*?)\s*\(([^()]*)\)$")


def degrees(d: str, m: str, s: str, hemisphere: str) -> float:
    value = int(d) + int(m) / 60 + float(s) / 3600
    return -value if hemisphere in "SW" else value


def split_place(text: str) -> tuple[str, str, str]:
    """Return (name, country, note) of a destination as printed: "Incheon, South Korea (via X)"."""
    note = ""
    found = NOTE.match(text)
    if found:
        text, note = found.group(1), found.group(2)
    name, _, country = text.rpartition(", ")
    if not name:
        return country.strip(), "", note
    return name.strip(), country.strip(" ,"), note


def is_title(line: str) -> bool:
    """An entry's name is printed in capitals, without figures."""
    return bool(re.search("[A-Z]", line)) and line == line.upper() and not re.search(r"\d", line)


def entries(text: str):
    """Yield (name, country, lat, lon, [(line text, offset)]) for every entry printed with "to:"."""
    lines = []
    at = 0
    for raw in text.split("\n"):
        lines.append((raw.strip(), at))
        at += len(raw) + 1
    found_at = [(i, found) for i, (line, _) in enumerate(lines) if (found := POSITION.match(line))]
    heads = []
    for i, _ in found_at:
        j = i
        while j > 0 and i - j < 4 and is_title(lines[j - 1][0]):
            j -= 1
        heads.append(j)
    for n, (i, found) in enumerate(found_at):
        if not found.group(9).startswith("to:"):
            continue
        title = " ".join(line for line, _ in lines[heads[n] : i])
        name, _, country = title.rpartition(",")
        lat = degrees(*found.group(1, 2, 3, 4))
        lon = degrees(*found.group(5, 6, 7, 8))
        end = heads[n + 1] if n + 1 < len(found_at) else len(lines)
        yield (name or title).strip(), country.strip() if name else "", lat, lon, lines[i + 1 : end]


def port_lines(body):
    """Yield (joined line, offset) of the ports of an entry's body, and (None, text) for garbled ones."""
    section = ""
    buffer: list[str] = []
    start = 0
    for line, at in body:
        if line in ("Junction Points*", "Ports"):
            if buffer:
                yield None, " ".join(buffer)
            section, buffer = line, []
            continue
        if not line or PAGE_HEADER.match(line):
            continue
        if buffer and buffer[-1].endswith(",") and WHOLE.match(line):  # the line before lost its distance
            yield None, " ".join(buffer)
            buffer = []
        if not buffer:
            start = at
        buffer.append(line)
        joined = "".join(b if k == 0 or buffer[k - 1].endswith("-") else " " + b for k, b in enumerate(buffer))
        if DISTANCE.match(joined) and (len(buffer) > 1 or "," in line):
            if section == "Ports":
                yield joined, start
            buffer = []
    if buffer:
        yield None, " ".join(buffer)


def read_pairs(text: str):
    rows, garbled = [], []
    for name, country, lat, lon, body in entries(text):
        for joined, at in port_lines(body):
            if joined is None:  # `at` is the garbled text
                garbled.append(f"{name}: {at}")
                continue
            found = DISTANCE.match(joined)
            assert found
            place, distance = found.group(1).rstrip(", "), found.group(2).replace(",", "")
            if place.count("(") != place.count(")"):  # a line the text lost the start of
                garbled.append(f"{name}: {joined}")
                continue
            dest, dest_country, note = split_place(place)
            rows.append(
                {
                    "entry_name": name,
                    "entry_country": country,
                    "entry_lat": repr(round(lat, 6)),
                    "entry_lon": repr(round(lon, 6)),
                    "dest_name": dest,
                    "dest_country": dest_country,
                    "distance_nm": distance,
                    "note": note,
                    "offset": str(at // STRETCH * STRETCH),
                }
            )
    return rows, garbled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows, garbled = read_pairs(args.raw.read_text(encoding="utf-8"))
    for line in garbled:
        print(f"left out: {line}", file=sys.stderr)
    with args.out.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} port distances written to {args.out}, {len(garbled)} garbled lines left out")


if __name__ == "__main__":
    main()
