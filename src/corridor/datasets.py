"""Locate a dataset directory, read its tables and check every rule they must follow."""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ._fs import check_regular_file, read_regular
from ._text import restore_cell, unsafe_character
from .errors import DataError
from .registry import LINK_MODES, MODE_NAMES
from .registry import MODES as MODE_SPECS

MODES = MODE_NAMES  # from the registry
KINDS = ("seaport", "river_port", "rail_terminal", "dry_port", "border", "lock", "city")
STATUSES = ("operational", "planned")
CURRENTS = ("", "down", "up")

PLACES_FILE = Path("ports/places.csv")
WPI_FILE = Path("ports/wpi_ports.csv")
# Corrections to World Port Index positions, each with its source (a row per port); optional.
WPI_FIXES_FILE = Path("ports/wpi_fixes.csv")
LINKS_FILE = Path("links/links.csv")
PARAMETERS_FILE = Path("parameters.csv")
SOURCES_FILE = Path("sources.csv")
COUNTRIES_FILE = Path("countries.csv")

PLACE_COLUMNS = (
    "id", "name", "aliases", "area", "country", "lat", "lon", "kind", "modes", "status",
    "handling_h", "handling_usd", "dwell_h", "sea_departures_per_week",
    "coord_source", "source", "handling_source", "dwell_source", "sea_departures_source", "notes",
)  # fmt: skip
LINK_COLUMNS = (
    "id", "from", "to", "mode", "distance_km", "distance_source", "time_h", "time_source",
    "time_back_h", "time_back_source", "frequency_per_week", "frequency_source",
    "one_way", "current", "via", "name", "notes", "time_includes_wait", "customs", "passes",
)  # fmt: skip
# What a link between two countries with no border place at either end does about customs:
# "cleared" charges the export clearance of the country it leaves and the import clearance of
# the country it enters (clearance.csv), "included" says its published time already holds
# them, "none" that it crosses no customs border (a customs union, as inside the EU). Empty for
# a link inside one country or crossing at a border place.
CUSTOMS = ("", "cleared", "included", "none")
# Departures a week a link, a port, a parameter or a scenario may give: fewer than 0.01 waits for
# years, and none would make the wait vanish.
MIN_DEPARTURES_PER_WEEK, MAX_DEPARTURES_PER_WEEK = 0.01, 1000.0
PARAMETER_COLUMNS = ("name", "scope", "value", "source")

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")
LIST_SEPARATOR = ";"
MAX_TABLE_BYTES = 64 * 1024 * 1024


# A document id, not part of a file name or a longer word ("imported from S2024-docks.csv").
SOURCE_ID = re.compile(r"(?<![\w./-])(S\d+[a-z]?|[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)\b(?![-.]\w)")


def is_estimate(source: str) -> bool:
    """Return True when a source field marks its figure as an estimate.

    A source field either starts with "estimate" (optionally followed by its basis) or starts
    with the id of a document in sources.csv, followed by any remark.
    """
    return source.strip().lower().startswith("estimate")


def cited_ids(source: str, known: Iterable[str]) -> list[str]:
    """Return the ids of known documents a source field cites, in order of appearance."""
    known = set(known)
    return list(dict.fromkeys(m for m in SOURCE_ID.findall(source) if m in known))


@dataclass(frozen=True)
class Place:
    """A port, terminal, border crossing or lock: a node of the network."""

    id: str
    name: str
    country: str
    lat: float
    lon: float
    kind: str
    modes: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    area: str = ""
    status: str = "operational"
    handling_h: float | None = None
    handling_usd: float | None = None
    dwell_h: float = 0.0
    sea_departures_per_week: float | None = None
    coord_source: str = ""
    source: str = ""
    handling_source: str = ""
    dwell_source: str = ""
    sea_departures_source: str = ""
    notes: str = ""
    origin: str = "curated"  # or "wpi": a World Port Index seaport
    harbor_size: str = ""  # WPI harbour size: large, medium, small, very_small
    depth_m: float | None = None  # WPI: the deeper of channel and cargo pier depth
    depth_source: str = ""
    harbor_type: str = ""  # WPI harbour type: "Coastal (Natural)", "River (Basins)", "Canal or Lake" ...

    @property
    def short_name(self) -> str:
        """The name without its parenthesised detail: "Manila" for "Manila (South Harbor / MICT)"."""
        return self.name.split(" (", 1)[0]

    @property
    def operational(self) -> bool:
        return self.status == "operational"

    def __repr__(self) -> str:
        return f"<Place {self.id} {self.name!r} ({self.country}, {self.kind}: {'/'.join(self.modes)})>"


@dataclass(frozen=True)
class Link:
    """A curated rail, road or river service between two places."""

    id: str
    from_id: str
    to_id: str
    mode: str
    distance_km: float | None = None
    distance_source: str = ""
    time_h: float | None = None
    time_source: str = ""
    time_back_h: float | None = None
    time_back_source: str = ""
    frequency_per_week: float | None = None
    frequency_source: str = ""
    one_way: bool = False
    current: str = ""
    via: tuple[tuple[float, float], ...] = ()
    name: str = ""
    notes: str = ""
    # The published time is a door time that already includes waiting for the service.
    time_includes_wait: bool = False
    customs: str = ""  # see CUSTOMS
    # The places the link runs through without stopping (a through train past Nanning, a
    # river-sea ship through the Three Gorges locks): --avoid one of them avoids the link too.
    passes: tuple[str, ...] = ()
    # The class of ships of a sea service's link (sea/services.csv), where its CO2 may differ
    # from its mode's (`Parameters.co2_factor`); "" for a curated link.
    vessel_class: str = ""

    def __repr__(self) -> str:
        distance = f", {self.distance_km:g} km" if self.distance_km is not None else ""
        ways = "->" if self.one_way else "<->"
        return f"<Link {self.id} {self.mode} {self.from_id}{ways}{self.to_id}{distance}>"


@dataclass(frozen=True)
class Parameter:
    """One figure of the parameters table, with its source."""

    name: str
    scope: str
    value: float
    source: str


@dataclass(frozen=True)
class Source:
    """A cited document: the target of the short ids used in source fields."""

    id: str
    title: str
    url: str


@dataclass
class Dataset:
    """Everything read from one dataset directory."""

    root: Path
    places: dict[str, Place]
    links: list[Link]
    parameters: dict[tuple[str, str], Parameter]
    sources: dict[str, Source] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)
    # Country code -> the customs union it belongs to (countries.csv's customs_union): cargo that
    # moves inside one clears no customs, as inside one country.
    customs_unions: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- locating


def bundled_data_dir() -> Path:
    """Return the dataset shipped with corridor (installed wheel or source checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "data", here.parent.parent / "data"):
        if (candidate / PLACES_FILE).is_file():
            return candidate
    raise DataError(
        "the bundled dataset is missing",
        [f"looked in {here / 'data'} and {here.parent.parent / 'data'}; reinstall corridor"],
    )


def dataset_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the selected dataset directory: `explicit`, else $CORRIDOR_DATA, else bundled."""
    chosen = explicit if explicit not in (None, "") else os.environ.get("CORRIDOR_DATA") or None
    if chosen is None:
        return bundled_data_dir()
    root = Path(chosen).expanduser()
    check_dataset_dir(root)
    places = root / PLACES_FILE
    if not os.path.lexists(places):
        raise DataError(
            f"{root} is not a corridor dataset: {PLACES_FILE} is missing (create one with `corridor init DIR`)"
        )
    check_regular_file(places, "a CSV table")
    return root


def check_dataset_dir(root: Path) -> None:
    """Raise DataError unless `root` is a directory, saying what it is when it is something else."""
    if root.is_dir():
        return
    if os.path.lexists(root):
        what = "a file" if root.is_file() else ("a broken link" if root.is_symlink() else "not a directory")
        raise DataError(f"dataset directory {root} is {what}, not a directory: give a dataset directory")
    raise DataError(f"dataset directory {root} does not exist (create one with `corridor init {root}`)")


def is_inside_installed_package(root: Path) -> bool:
    """Return True when `root` is the dataset inside an installed package (not editable)."""
    resolved = root.resolve()
    return any(part in ("site-packages", "dist-packages") for part in resolved.parts)


# --------------------------------------------------------------------------- reading


def read_text(path: Path, *, expected: str = "a CSV table") -> str:
    """Read a UTF-8 text file, refusing what is not a regular file, binary, oversized or wrongly encoded.

    `expected` says what the file should be, for the messages ("... is a directory, not a CSV table").
    """
    raw = read_regular(path, expected, limit=MAX_TABLE_BYTES)
    if b"\x00" in raw:
        raise DataError(f"{path} is a binary file, not {expected}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataError(
            f"{path}:{line}: not UTF-8 text (byte {raw[exc.start]:#04x} at column {column}): save it as UTF-8"
        ) from None


def iter_csv_cells(
    text: str, *, path: str, required: Iterable[str]
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Return a CSV text's header and an iterator of (line number, cells) for its rows.

    The header must have the required columns. The line is the one a row starts on (a quoted
    cell may span lines); blank lines are skipped, missing cells are empty, and a row with
    more cells than the header raises DataError. Cells are as written (not stripped).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise DataError(f"{path}:1: malformed CSV header ({exc})") from None
    if not header:
        raise DataError(f"{path} is empty: expected a header with {', '.join(required)}")
    header = [restore_cell(c) for c in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(f"{path}: header lacks column(s) {', '.join(missing)}")
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        ended = reader.line_num
        try:
            for cells in reader:
                start, ended = ended + 1, reader.line_num
                if not cells:
                    continue
                if len(cells) != width:
                    if len(cells) > width:
                        raise DataError(f"{path}:{start}: more fields than header columns")
                    cells += [""] * (width - len(cells))
                yield start, cells
        except csv.Error as exc:
            raise DataError(f"{path}:{ended + 1}: malformed CSV ({exc})") from None

    return header, rows()


def iter_csv_rows(text: str, *, path: str, required: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for a CSV text whose header has the required columns.

    The line is the one a row starts on (a quoted cell may span lines). Cells are stripped, and
    a formula-like cell neutralised by corridor's CSV writer is read back as it was written.
    """
    header, rows = iter_csv_cells(text, path=path, required=required)
    for line, cells in rows:
        values = list(map(str.strip, cells))
        if "'" in "".join(values):  # rare: only then can a cell be a neutralised one
            values = list(map(restore_cell, values))
        yield line, dict(zip(header, values, strict=True))


class _Problems:
    """Collect validation problems as `file:line: column: message` strings."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, column: str, message: str) -> None:
        self.items.append(f"{where}: {column}: {message}" if column else f"{where}: {message}")

    def number(
        self,
        row: dict[str, str],
        column: str,
        where: str,
        *,
        required: bool = False,
        lo: float | None = None,
        hi: float | None = None,
    ) -> float | None:
        text = row.get(column, "")
        if text == "":
            if required:
                self.add(where, column, "is required")
            return None
        try:
            # float() accepts "1_0" and other scripts' digits ("١٢"); a table should not
            value = float(text.replace("_", "x") if text.isascii() else "x")
        except ValueError:
            self.add(where, column, f"{text!r} is not a number")
            return None
        if not math.isfinite(value):
            self.add(where, column, f"{text!r} is not a finite number")
            return None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            # Shown as given where six digits would round it onto a bound (-180.0000001, not -180).
            self.add(where, column, f"{_beside(value, text):s} is outside [{lo:g}, {hi:g}]")
            return None
        return value


# The longest name or list of other names a place may have (the longest real ones are under 100).
MAX_NAME_CHARS = 200


def text_problems(row: dict[str, str], where: str, problems: _Problems) -> set[str]:
    """Record cells that are not one line of plain text; return their columns.

    Control characters (terminal escape sequences), undecodable bytes, line breaks and
    bidirectional-text controls are refused in every column; a value repeated in several
    columns (a source cited twice) is told once.
    """
    if unsafe_character("".join(row.values())) is None:  # the usual case, in one scan
        return set()
    flagged: dict[str, str] = {}
    for column, value in row.items():
        found = unsafe_character(value) if value else None
        if found is None:
            continue
        if value not in flagged.values():
            char, what = found
            problems.add(where, column, f"contains {what} ({char!a}): give one line of UTF-8 text")
        flagged[column] = value
    return set(flagged)


def _long_names(row: dict[str, str], columns: Sequence[str], where: str, problems: _Problems) -> None:
    """Record a name (of a place, its aliases or area, or of a link) longer than MAX_NAME_CHARS."""
    for column in columns:
        if len(row.get(column) or "") > MAX_NAME_CHARS:
            problems.add(where, column, f"is {len(row[column]):,} characters long: give at most {MAX_NAME_CHARS}")


def split_list(text: str) -> tuple[str, ...]:
    """Split a `;`-separated cell into its non-empty items."""
    if LIST_SEPARATOR not in text:
        text = text.strip()
        return (text,) if text else ()
    return tuple(item.strip() for item in text.split(LIST_SEPARATOR) if item.strip())


def parse_place_row(
    row: dict[str, str], where: str, problems: _Problems, countries: dict[str, str] | None
) -> Place | None:
    """Validate one places.csv row; record problems and return the place if it is sound."""
    start = len(problems.items)
    flagged = text_problems(row, where, problems)
    pid = row.get("id", "")
    if not ID_PATTERN.match(pid) and "id" not in flagged:
        problems.add(where, "id", f"{pid!r} is not a valid id (2-40 letters, digits, '-', '_' or '.')")
    name = row.get("name", "")
    if not name:
        problems.add(where, "name", "is empty")
    _long_names(row, ("name", "aliases", "area"), where, problems)
    country = row.get("country", "").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        problems.add(where, "country", f"{row.get('country', '')!r} is not an ISO 3166 alpha-2 code")
    elif countries is not None and country not in countries:
        problems.add(where, "country", f"{country!r} is not a known country code")
    lat = problems.number(row, "lat", where, required=True, lo=-90, hi=90)
    lon = problems.number(row, "lon", where, required=True, lo=-180, hi=180)
    kind = row.get("kind", "")
    if kind not in KINDS:
        problems.add(where, "kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    modes = split_list(row.get("modes", ""))
    if not modes:
        problems.add(where, "modes", f"is empty: give one or more of {', '.join(MODES)}")
    for mode in modes:
        if mode not in MODES:
            problems.add(where, "modes", f"{mode!r} is not one of {', '.join(MODES)}")
    status = row.get("status", "") or "operational"
    if status not in STATUSES:
        problems.add(where, "status", f"{status!r} is not one of {', '.join(STATUSES)}")
    handling_h = problems.number(row, "handling_h", where, lo=0, hi=24 * 60)
    handling_usd = problems.number(row, "handling_usd", where, lo=0, hi=100_000)
    dwell_h = problems.number(row, "dwell_h", where, lo=0, hi=24 * 90)
    departures = problems.number(row, "sea_departures_per_week", where, lo=0.01, hi=1000)
    if not row.get("coord_source"):
        problems.add(where, "coord_source", "is empty: cite a source or write 'estimate'")
    for value, src in (
        ("handling_h", "handling_source"),
        ("handling_usd", "handling_source"),
        ("dwell_h", "dwell_source"),
        ("sea_departures_per_week", "sea_departures_source"),
    ):
        if row.get(value) and not row.get(src):
            problems.add(where, src, f"is empty while {value} is set: cite a source or write 'estimate'")
    if len(problems.items) > start:
        return None
    assert lat is not None and lon is not None  # required: a missing one is a problem above
    return Place(
        id=pid,
        name=name,
        country=country,
        lat=lat,
        lon=lon,
        kind=kind,
        modes=tuple(dict.fromkeys(modes)),
        aliases=split_list(row.get("aliases", "")),
        area=row.get("area", ""),
        status=status,
        handling_h=handling_h,
        handling_usd=handling_usd,
        dwell_h=dwell_h or 0.0,
        sea_departures_per_week=departures,
        coord_source=row.get("coord_source", ""),
        source=row.get("source", ""),
        handling_source=row.get("handling_source", ""),
        dwell_source=row.get("dwell_source", ""),
        sea_departures_source=row.get("sea_departures_source", ""),
        notes=row.get("notes", ""),
    )


def _parse_via(text: str, where: str, problems: _Problems) -> tuple[tuple[float, float], ...]:
    points = []
    for item in split_list(text):
        parts = item.split()
        try:
            lon, lat = (float(p) for p in parts)
        except ValueError:
            problems.add(where, "via", f"{item!r} is not 'lon lat'")
            continue
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            problems.add(where, "via", f"{item!r} is outside lon [-180, 180], lat [-90, 90]")
            continue
        points.append((lon, lat))
    return tuple(points)


def parse_link_row(row: dict[str, str], where: str, problems: _Problems) -> Link | None:
    """Validate one links.csv row; record problems and return the link if it is sound."""
    start = len(problems.items)
    flagged = text_problems(row, where, problems)
    lid = row.get("id", "")
    if not ID_PATTERN.match(lid) and "id" not in flagged:
        problems.add(where, "id", f"{lid!r} is not a valid id")
    _long_names(row, ("name",), where, problems)
    mode = row.get("mode", "")
    if mode not in LINK_MODES:
        problems.add(where, "mode", f"{mode!r} is not one of {', '.join(LINK_MODES)} (sea legs follow the lanes)")
    if row.get("from") == row.get("to"):
        problems.add(where, "to", "equals from")
    for column in ("from", "to"):
        if not row.get(column):
            problems.add(where, column, "is empty")
    distance = problems.number(row, "distance_km", where, lo=0.1, hi=20_000)
    time_h = problems.number(row, "time_h", where, lo=0.01, hi=24 * 120)
    time_back = problems.number(row, "time_back_h", where, lo=0.01, hi=24 * 120)
    frequency = problems.number(
        row, "frequency_per_week", where, lo=MIN_DEPARTURES_PER_WEEK, hi=MAX_DEPARTURES_PER_WEEK
    )
    for value, src in (
        ("distance_km", "distance_source"),
        ("time_h", "time_source"),
        ("time_back_h", "time_back_source"),
        ("frequency_per_week", "frequency_source"),
    ):
        if row.get(value) and not row.get(src):
            problems.add(where, src, f"is empty while {value} is set: cite a source or write 'estimate'")
    one_way = row.get("one_way", "").lower()
    if one_way not in ("", "no", "yes", "true", "false", "0", "1"):
        problems.add(where, "one_way", f"{one_way!r} is not yes or no")
    includes_wait = row.get("time_includes_wait", "").lower()
    if includes_wait not in ("", "no", "yes"):
        problems.add(where, "time_includes_wait", f"{includes_wait!r} is not yes or no")
    elif includes_wait == "yes" and not (row.get("time_h") or row.get("time_back_h")):
        problems.add(where, "time_includes_wait", "is yes but the link gives no published time")
    customs = row.get("customs", "").lower()
    if customs not in CUSTOMS:
        problems.add(where, "customs", f"{customs!r} is not cleared, included, none or empty")
    elif customs == "included" and not (row.get("time_h") or row.get("time_back_h")):
        problems.add(where, "customs", "is included but the link gives no published time")
    current = row.get("current", "")
    if current not in CURRENTS:
        problems.add(where, "current", f"{current!r} is not down, up or empty")
    elif current and not (mode in MODE_SPECS and MODE_SPECS[mode].has_current):
        problems.add(where, "current", "applies to river links only")
    via = _parse_via(row.get("via", ""), where, problems)
    passes = tuple(p.strip() for p in row.get("passes", "").split(";") if p.strip())
    if {row.get("from"), row.get("to")} & set(passes):
        problems.add(where, "passes", "names an end of the link")
    if len(problems.items) > start:
        return None
    return Link(
        id=lid,
        from_id=row["from"],
        to_id=row["to"],
        mode=mode,
        distance_km=distance,
        distance_source=row.get("distance_source", ""),
        time_h=time_h,
        time_source=row.get("time_source", ""),
        time_back_h=time_back,
        time_back_source=row.get("time_back_source", ""),
        frequency_per_week=frequency,
        frequency_source=row.get("frequency_source", ""),
        one_way=one_way in ("yes", "true", "1"),
        time_includes_wait=includes_wait == "yes",
        customs=customs,
        current=current,
        via=via,
        name=row.get("name", ""),
        notes=row.get("notes", ""),
        passes=passes,
    )


def read_places(path: Path, countries: dict[str, str] | None = None) -> dict[str, Place]:
    """Read and validate a places table; raise DataError listing every problem."""
    problems = _Problems()
    places: dict[str, Place] = {}
    seen_line: dict[str, int] = {}
    text = read_text(path)
    for line, row in iter_csv_rows(
        text, path=str(path), required=("id", "name", "country", "lat", "lon", "kind", "modes")
    ):
        where = f"{path}:{line}"
        place = parse_place_row(row, where, problems, countries)
        if place is None:
            continue
        key = place.id.upper()
        if key in seen_line:
            problems.add(where, "id", f"duplicate id {place.id!r} (first on line {seen_line[key]})")
            continue
        seen_line[key] = line
        places[place.id] = place
    if problems.items:
        raise DataError(f"{path} has invalid rows", problems.items)
    return places


def read_links(path: Path, place_ids: Iterable[str] | None = None) -> list[Link]:
    """Read and validate a links table; raise DataError listing every problem."""
    problems = _Problems()
    links: list[Link] = []
    seen: dict[str, int] = {}
    known = set(place_ids) if place_ids is not None else None
    text = read_text(path)
    for line, row in iter_csv_rows(text, path=str(path), required=("id", "from", "to", "mode")):
        where = f"{path}:{line}"
        link = parse_link_row(row, where, problems)
        if link is None:
            continue
        if link.id in seen:
            problems.add(where, "id", f"duplicate id {link.id!r} (first on line {seen[link.id]})")
            continue
        seen[link.id] = line
        if known is not None:
            for column, pid in (("from", link.from_id), ("to", link.to_id), *(("passes", p) for p in link.passes)):
                if pid not in known:
                    problems.add(where, column, f"unknown place {pid!r}")
        links.append(link)
    if problems.items:
        raise DataError(f"{path} has invalid rows", problems.items)
    return links


def read_parameters(path: Path) -> dict[tuple[str, str], Parameter]:
    """Read and validate a parameters table keyed by (name, scope)."""
    problems = _Problems()
    params: dict[tuple[str, str], Parameter] = {}
    first: dict[tuple[str, str], int] = {}  # the line of each (name, scope): a second row would silently win
    text = read_text(path)
    for line, row in iter_csv_rows(text, path=str(path), required=PARAMETER_COLUMNS):
        where = f"{path}:{line}"
        if text_problems(row, where, problems):
            continue
        value = problems.number(row, "value", where, required=True, lo=0, hi=1e7)
        if not row["name"]:
            problems.add(where, "name", "is empty")
        if not row["scope"]:
            problems.add(where, "scope", "is empty")
        if not row["source"]:
            problems.add(where, "source", "is empty: cite a source or write 'estimate'")
        if value is None or not row["name"] or not row["scope"]:
            continue
        key = (row["name"], row["scope"])
        if _given_twice(first, key, f"{key[0]} for {key[1]}", path, line, "name", problems):
            continue
        params[key] = Parameter(row["name"], row["scope"], value, row["source"])
    if problems.items:
        raise DataError(f"{path} has invalid rows", problems.items)
    return params


def _given_twice(first: dict, key, label: str, path: Path, line: int, column: str, problems: _Problems) -> bool:
    """Note the line a table first gives `key` on; where it gave it before, add the problem that
    names both lines and return True: a second row must not silently replace the first."""
    if key in first:
        problems.add(f"{path}:{line}", column, f"{label} is given twice (first at {path}:{first[key]}): keep one")
        return True
    first[key] = line
    return False


def present(path: Path) -> bool:
    """Return True when an optional dataset file is there at all (as anything, even a broken link).

    Only a name with nothing behind it is absent: a directory, FIFO or dangling link standing
    where a table should be is present, and its reader says what is wrong with it.
    """
    return os.path.lexists(path)


def _beside(value: float, text: str) -> str:
    """A number out of its range as a message shows it: short, or as written where short would hide it."""
    short = f"{value:g}"
    return short if float(short) == value or abs(float(short)) >= 1e6 else text.strip()


def _plain_rows(path: Path, required: tuple[str, ...], key: str, *, fold: bool = False) -> list[dict[str, str]]:
    """Read a small table whose every cell must be one line of plain text, keyed by its `key`
    column (compared in upper case when `fold`): a key given twice is refused, not taken from
    its last row in silence."""
    problems = _Problems()
    rows = []
    first: dict[str, int] = {}
    for line, row in iter_csv_rows(read_text(path), path=str(path), required=required):
        where = f"{path}:{line}"
        if text_problems(row, where, problems):
            continue
        value = row[key].strip().upper() if fold else row[key].strip()
        if value and _given_twice(first, value, value, path, line, key, problems):
            continue
        rows.append(row)
    if problems.items:
        raise DataError(f"{path} has invalid rows", problems.items)
    return rows


def read_sources(path: Path) -> dict[str, Source]:
    """Read the table of cited documents (none when the dataset has no such table)."""
    if not present(path):
        return {}
    return {
        row["id"]: Source(row["id"], row.get("title", ""), row.get("url", ""))
        for row in _plain_rows(path, ("id", "title", "url"), "id")
        if row["id"]
    }


def read_countries(path: Path) -> dict[str, str]:
    """Read the ISO 3166 alpha-2 codes the dataset accepts, with their names (none without a table)."""
    if not present(path):
        return {}
    return {
        row["code"].upper(): row["name"]
        for row in _plain_rows(path, ("code", "name"), "code", fold=True)
        if row["code"]
    }


def read_customs_unions(path: Path) -> dict[str, str]:
    """Read which customs union each country belongs to, where countries.csv says (its optional
    `customs_union` column: the EU's 27 say EU); none without the table or the column."""
    if not present(path):
        return {}
    rows = _plain_rows(path, ("code", "name"), "code", fold=True)
    return {
        row["code"].upper(): union for row in rows if (union := row.get("customs_union", "").strip()) and row["code"]
    }


WPI_SIZES = {"Large": "large", "Medium": "medium", "Small": "small", "Very Small": "very_small"}
# A World Port Index port this close to a curated place of the same name is the same port.
SAME_PORT_KM = 30.0


@dataclass(frozen=True)
class WpiFix:
    """A reviewed correction to one World Port Index row (`ports/wpi_fixes.csv`)."""

    position: tuple[float, float] | None  # the right (lat, lon), None where the index's stands
    source: str  # where the right position comes from
    unlocode: str  # "wrong": the index's UN/LOCODE names another place; "right": reviewed, kept; "" unreviewed
    reason: str


WPI_CODE_VERDICTS = ("", "wrong", "right")


def read_wpi_fixes(path: Path) -> dict[str, WpiFix]:
    """Read the reviewed corrections to World Port Index rows: wpi_number -> WpiFix.

    A row corrects a position the World Port Index gets wrong (a typo of a whole degree puts
    Wakkanai in the hills of central Hokkaido), citing where the right one comes from; or it
    rules on the index's UN/LOCODE where UN/LOCODE puts that code far away: `wrong` when the code
    names another place (Shelton, Washington, carries USXSI, Shelter Island, New York), so the
    port does not take it; `right` when the code is the port's and UN/LOCODE's position is the
    slip (Pago Pago's latitude with the wrong sign)."""
    problems = _Problems()
    fixes: dict[str, WpiFix] = {}
    for line, row in iter_csv_rows(read_text(path), path=str(path), required=("wpi_number", "lat", "lon", "source")):
        where = f"{path}:{line}"
        if text_problems(row, where, problems):
            continue
        verdict = row.get("unlocode", "")
        if verdict not in WPI_CODE_VERDICTS:
            problems.add(where, "unlocode", f"{verdict!r} is not one of wrong, right (or empty)")
        moved = bool(row["lat"] or row["lon"])
        lat = problems.number(row, "lat", where, required=moved, lo=-90, hi=90)
        lon = problems.number(row, "lon", where, required=moved, lo=-180, hi=180)
        if moved and not row["source"]:
            problems.add(where, "source", "is empty: say where the corrected position comes from")
        if not moved and not verdict:
            problems.add(where, "lat", "is empty, and so is unlocode: a row corrects a position or rules on a code")
        if verdict and not row.get("reason"):
            problems.add(where, "reason", "is empty: say why the index's UN/LOCODE is wrong or right")
        if row["wpi_number"] in fixes:
            problems.add(where, "wpi_number", f"{row['wpi_number']} is corrected twice")
        position = (lat, lon) if lat is not None and lon is not None else None
        fixes[row["wpi_number"]] = WpiFix(position, row["source"], verdict, row.get("reason", ""))
    if problems.items:
        raise DataError(f"{path} has invalid rows", problems.items)
    return fixes


def read_wpi(path: Path, countries: dict[str, str] | None = None) -> dict[str, Place]:
    """Read the World Port Index table as seaports keyed by UN/LOCODE (else `wpi-NUMBER`), with
    the positions `ports/wpi_fixes.csv` corrects beside it."""
    problems = _Problems()
    places: dict[str, Place] = {}
    given_up: dict[str, str] = {}  # a code ruled wrong -> the name of the port the index gives it
    sharing: dict[str, list[str]] = {}  # a code -> the ports that lost it to a larger harbour
    fixes_path = path.with_name(WPI_FIXES_FILE.name)
    fixes = read_wpi_fixes(fixes_path) if present(fixes_path) else {}
    text = read_text(path)
    required = ("wpi_number", "name", "unlocode", "country_code", "lat", "lon", "harbor_size")
    for line, row in iter_csv_rows(text, path=str(path), required=required):
        where = f"{path}:{line}"
        if text_problems(row, where, problems):
            continue
        lat = problems.number(row, "lat", where, required=True, lo=-90, hi=90)
        lon = problems.number(row, "lon", where, required=True, lo=-180, hi=180)
        country = row["country_code"].upper()
        if countries is not None and country not in countries:
            problems.add(where, "country_code", f"{country!r} is not a known country code")
        if not row["name"] or lat is None or lon is None or (countries is not None and country not in countries):
            if not row["name"]:
                problems.add(where, "name", "is empty")
            continue
        code = row["unlocode"].upper()
        coord_source = "WPI"
        fix = fixes.pop(row["wpi_number"], None)
        if fix is not None and fix.position is not None:
            given = f"{lat:g}, {lon:g}"
            lat, lon = fix.position
            coord_source = f"{fix.source} (ports/wpi_fixes.csv; the World Port Index gives {given})"
        if fix is not None and fix.unlocode and not code:
            problems.add(f"{fixes_path}", "unlocode", f"rules on the code of no. {row['wpi_number']}, which has none")
        refused = fix.reason if code and fix is not None and fix.unlocode == "wrong" else ""
        pid = code if code and not refused else f"wpi-{row['wpi_number']}"
        if refused:
            given_up[code] = row["name"]
        if row.get("shares_unlocode"):
            sharing.setdefault(row["shares_unlocode"].upper(), []).append(pid)
        details = ", ".join(
            f"{label} {row[column]}"
            for label, column in (("channel depth m", "channel_depth_m"), ("container facilities", "fac_container"))
            if row.get(column) not in (None, "", "Unknown", "0.0")
        )
        size = row["harbor_size"] or "unknown size"
        depths = [d for d in (_depth(row.get("channel_depth_m")), _depth(row.get("cargo_pier_depth_m"))) if d]
        notes = f"World Port Index no. {row['wpi_number']}: {size} {row.get('harbor_type', '')} harbour"
        if row.get("shares_unlocode"):
            notes += f"; shares UN/LOCODE {row['shares_unlocode']} with a larger harbour"
        places[pid] = Place(
            id=pid,
            name=row["name"],
            country=country,
            lat=lat,
            lon=lon,
            kind="seaport",
            modes=("sea",),
            aliases=split_list(row.get("alt_name", "")),
            coord_source=coord_source,
            source="WPI" + (" (UN/LOCODE from UNLOCODE)" if row.get("unlocode_source") == "UNLOCODE" else ""),
            notes=notes
            + (f"; {details}" if details else "")
            + (
                f"; its UN/LOCODE in the index, {code}, is not taken: {refused} (ports/wpi_fixes.csv)"
                if refused
                else ""
            ),
            origin="wpi",
            harbor_size=WPI_SIZES.get(row["harbor_size"], ""),
            depth_m=max(depths) if depths else None,
            depth_source="WPI: the deeper of channel and cargo pier depth" if depths else "",
            harbor_type=row.get("harbor_type", ""),
        )
    # A code ruled wrong goes to the one port that lost it to the wrong one, if there is one
    # (the index gives Krishnapatnam's INKRI to the larger Kattupalli, 105 km south).
    for code, holder in given_up.items():
        takers = sharing.get(code, [])
        if len(takers) == 1 and code not in places:
            taker = places.pop(takers[0])
            notes = taker.notes.replace(
                f"shares UN/LOCODE {code} with a larger harbour",
                f"takes UN/LOCODE {code}, which the index gives to {holder} (ruled wrong in ports/wpi_fixes.csv)",
            )
            places[code] = replace(taker, id=code, notes=notes)
    problems.items += [f"{fixes_path}: wpi_number {number}: no such World Port Index port" for number in fixes]
    if problems.items:
        raise DataError(f"{path} has invalid rows", problems.items)
    return places


def _depth(text: str | None) -> float | None:
    """Return a WPI depth in metres, None where it is missing (WPI writes 0.0 for unknown)."""
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def merge_world_ports(curated: dict[str, Place], world: dict[str, Place]) -> dict[str, Place]:
    """Add World Port Index ports that are not already curated: one place per UN/LOCODE.

    A world port is dropped when its code is a curated id or alias, or when a curated place of
    the same country and name (or alias) lies within SAME_PORT_KM. Curated figures win.
    """
    from .gazetteer import normalize
    from .geo import haversine_km

    codes = {p.id.upper() for p in curated.values()} | {a.upper() for p in curated.values() for a in p.aliases}
    names: dict[tuple[str, str], list[Place]] = {}
    for place in curated.values():
        for text in (place.name, *place.aliases):
            names.setdefault((place.country, normalize(text)), []).append(place)
    merged = dict(curated)
    for pid, port in world.items():
        if pid.upper() in codes:
            continue
        twins = [
            c
            for text in (port.name, *port.aliases)
            for c in names.get((port.country, normalize(text)), [])
            if haversine_km(c.lon, c.lat, port.lon, port.lat) <= SAME_PORT_KM
        ]
        if not twins:
            merged[pid] = port
    return merged


def listed_ids(path: Path) -> set[str] | None:
    """Return the ids a table lists, valid or not; None when the table cannot be read at all."""
    try:
        return {row["id"] for _, row in iter_csv_rows(read_text(path), path=str(path), required=("id",)) if row["id"]}
    except DataError:
        return None


def cleared_inside_one_country(link: Link, start: Place, end: Place, *, where: str = "") -> str | None:
    """Return the problem of a link that clears customs between two places of one country, else None."""
    if link.customs != "cleared" or start.country != end.country:
        return None
    return (
        f"{where}link {link.id}: customs: is cleared, but both ends are in {start.country}: "
        "clearance is for a link between two countries"
    )


def load_dataset(root: Path) -> Dataset:
    """Read every table of a dataset directory, checking each and their cross-references.

    Every table is checked even when an earlier one fails; one DataError then lists the
    problems of all of them.
    """
    failures: list[DataError] = []

    def attempt(read, *args):
        try:
            return read(*args)
        except DataError as exc:
            failures.append(exc)
            return None

    countries = attempt(read_countries, root / COUNTRIES_FILE) or {}
    curated = attempt(read_places, root / PLACES_FILE, countries or None)
    world = (attempt(read_wpi, root / WPI_FILE, countries or None) or {}) if present(root / WPI_FILE) else {}
    places = merge_world_ports(curated, world) if curated is not None else None
    # With a broken places table, links are still checked against every id it lists.
    listed = listed_ids(root / PLACES_FILE) if places is None else None
    known = places.keys() if places is not None else (listed | world.keys() if listed is not None else None)
    links = attempt(read_links, root / LINKS_FILE, known) if present(root / LINKS_FILE) else []
    if places is not None and links:
        unserved = [
            f"{root / LINKS_FILE}: link {link.id}: {pid} does not serve {link.mode}"
            for link in links
            for pid in (link.from_id, link.to_id)
            if link.mode not in places[pid].modes
        ]
        if unserved:
            failures.append(DataError(f"{root / LINKS_FILE} has links to places without their mode", unserved))
        found = (
            cleared_inside_one_country(link, places[link.from_id], places[link.to_id], where=f"{root / LINKS_FILE}: ")
            for link in links
        )
        domestic = [problem for problem in found if problem]
        if domestic:
            failures.append(DataError(f"{root / LINKS_FILE} clears customs on links inside one country", domestic))
    parameters = attempt(read_parameters, root / PARAMETERS_FILE)
    sources = attempt(read_sources, root / SOURCES_FILE)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        problems = [p for exc in failures for p in (exc.problems or [str(exc)])]
        raise DataError(f"{root} has problems in {len(failures)} tables", problems)
    assert places is not None and parameters is not None  # else a failure was raised above
    unions = attempt(read_customs_unions, root / COUNTRIES_FILE) or {}
    return Dataset(root, places, links, parameters, sources or {}, countries, unions)


def data_files(root: Path) -> list[Path]:
    """Return every file of a dataset, for cache keys and copies; hidden ones (a lock, .git) aside."""
    files = [
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    return sorted(files)
