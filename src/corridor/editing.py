"""Write user additions to a dataset (init, places, links, imports): validated first, locked, atomic."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import math
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._fs import check_regular_file, file_kind, fsync_dir, locked, sweep_temps, temp_prefix, write_atomic
from ._fs import test_hook as _test_hook
from ._text import csv_text, restore_cell
from .datasets import (
    LINK_COLUMNS,
    LINKS_FILE,
    LIST_SEPARATOR,
    MODES,
    PARAMETERS_FILE,
    PLACE_COLUMNS,
    PLACES_FILE,
    Link,
    Place,
    _Problems,
    bundled_data_dir,
    cleared_inside_one_country,
    dataset_dir,
    is_inside_installed_package,
    iter_csv_cells,
    iter_csv_rows,
    merge_world_ports,
    parse_link_row,
    parse_place_row,
    read_text,
    split_list,
)
from .errors import CorridorError, DataError, UsageError, WriteError
from .validation import link_length_problem, link_speed_problems, uncited_cells, unused_figure_problem

if TYPE_CHECKING:
    from .costing import Metrics
    from .services import Operations

log = logging.getLogger(__name__)

UNSOURCED = "estimate: added by user, unsourced"
IMPORT_REQUIRED = ("id", "name", "country", "lat", "lon", "modes")
PLACE_REQUIRED = ("id", "name", "country", "lat", "lon", "kind", "modes")  # as read_places requires
# Figures a place row may carry, each with the column naming its source.
PLACE_FIGURES = (
    ("handling_h", "handling_source"),
    ("handling_usd", "handling_source"),
    ("dwell_h", "dwell_source"),
    ("sea_departures_per_week", "sea_departures_source"),
)


@dataclass(frozen=True)
class Change:
    """What a write did: the file written, the rows added, and what the user should know."""

    path: Path
    places: tuple[Place, ...] = ()
    links: tuple[Link, ...] = ()
    replaced: tuple[str, ...] = ()  # World Port Index ports the new places stand in for
    notes: tuple[str, ...] = ()  # e.g. a place no route reaches yet
    measures: tuple[tuple[float, float], ...] = ()  # (distance_km, time_h) of each new link, forward


# --------------------------------------------------------------------------- writing safely


def _remove_stale_temps(path: Path) -> None:
    """Remove temporary files a killed writer left beside `path` (call with the lock held)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


def writable_dataset(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the dataset directory to write: `root`, else $CORRIDOR_DATA; never the bundled default.

    The dataset inside an installed package is refused even when named; the bundled dataset of
    a source checkout is written only when named (curators editing it).
    """
    named = root not in (None, "") or bool(os.environ.get("CORRIDOR_DATA"))
    path = dataset_dir(root)
    how = "run `corridor init DIR` for an editable copy, then use --data DIR (or CORRIDOR_DATA=DIR)"
    if is_inside_installed_package(path):
        raise WriteError(f"{path} is the dataset inside the installed corridor package and is read-only: {how}")
    if not named:
        raise WriteError(f"no dataset selected, and the bundled one ({path}) is written only when named: {how}")
    return path


# --------------------------------------------------------------------------- init


def _source_files(origin: Path) -> list[tuple[Path, int]]:
    """Return (relative path, mode) of each file `init` copies from a dataset; refuse what is unsafe.

    Only regular files are copied. A link is followed only when it stays inside the dataset
    (a link to a private file elsewhere would publish it); a link leaving it, a FIFO, a device
    or a socket is refused by name. Hidden files (a lock, .git) are left behind.
    """
    base = Path(os.path.realpath(origin))
    found: list[tuple[Path, int]] = []
    problems: list[str] = []
    for directory, dirs, files in os.walk(origin):
        relative_dir = Path(directory).relative_to(origin)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        entries = [*files, *(d for d in dirs if os.path.islink(Path(directory) / d))]
        for name in sorted(entries):
            if name.startswith("."):
                continue
            path = Path(directory) / name
            relative = relative_dir / name
            if os.path.islink(path):
                real = Path(os.path.realpath(path))
                if base not in real.parents:
                    problems.append(f"{path} is a symbolic link to {os.readlink(path)}, outside the dataset")
                    continue
            try:
                status = os.stat(path)
            except OSError as exc:
                problems.append(f"{path}: {exc.strerror}")
                continue
            if stat.S_ISDIR(status.st_mode):
                problems.append(f"{path} is a link to a directory: replace it with the files themselves")
            elif not stat.S_ISREG(status.st_mode):
                problems.append(f"{path} is {file_kind(status.st_mode)}, not a file")
            else:
                found.append((relative, stat.S_IMODE(status.st_mode)))
    if problems:
        raise DataError(f"cannot copy {origin}: it holds what is not a plain file of its own", problems)
    return found


def _copy_regular(source: Path, target: Path, mode: int) -> None:
    """Copy one regular file, opened without blocking and checked on its descriptor, keeping `mode`."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    fd = os.open(source, flags)
    with os.fdopen(fd, "rb") as reader:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since it was listed
            raise DataError(f"{source} is {file_kind(os.fstat(fd).st_mode)}, not a file")
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(out, "wb") as writer:
            shutil.copyfileobj(reader, writer)
            writer.flush()
            # The source's own mode: a private file stays private. The owner may write the copy.
            os.fchmod(writer.fileno(), (mode & 0o777) | 0o200)
            os.fsync(writer.fileno())  # durable before the rename publishes the directory


def init_dataset(target: str | os.PathLike[str], *, source: str | os.PathLike[str] | None = None) -> Path:
    """Create an editable dataset at `target`: a copy of `source` (default: the bundled dataset).

    `target` must not exist or be an empty directory. The copy is made beside it and renamed
    into place, so an interrupted init leaves no half dataset. Only the source's own regular
    files are copied, each keeping its mode (a private file stays private).
    """
    origin = dataset_dir(source) if source is not None else bundled_data_dir()
    if not os.path.lexists(origin / PARAMETERS_FILE):  # a copy would refuse every route and every edit
        raise DataError(f"{origin} is not a whole corridor dataset: {PARAMETERS_FILE} is missing")
    target = Path(target).expanduser()
    if os.path.lexists(target) and not (target.is_dir() and not target.is_symlink() and not any(target.iterdir())):
        what = (
            "a directory that is not empty"
            if target.is_dir()
            else ("a file" if target.is_file() else "not a directory")
        )
        raise WriteError(f"{target} is {what}: give a new directory for the dataset")
    above = target.parent  # what is in the way: mkdir says "File exists" of a file, resolve() raises on a loop
    while not os.path.lexists(above) and above != above.parent:
        above = above.parent
    if not above.is_dir():
        what = "a broken link" if not above.exists() else file_kind(os.stat(above).st_mode)
        raise WriteError(f"{target}: {above} is {what}, not a directory: give a new directory for the dataset")
    if target.resolve() == origin.resolve() or origin.resolve() in target.resolve().parents:
        raise WriteError(f"{target} is inside the dataset {origin} it would copy: give another directory")
    files = _source_files(origin)
    staging = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_temps(target.parent, target.name)  # what a killed init left
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=temp_prefix(target), suffix=".tmp"))
        for relative, mode in files:
            copy = staging / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            _copy_regular(origin / relative, copy, mode)
        os.chmod(staging, 0o755 & ~_umask())
        os.replace(staging, target)  # onto an empty directory, or a new name
        staging = None
    except OSError as exc:
        raise WriteError(f"cannot create {target}: {exc.strerror or exc}") from None
    finally:
        if staging is not None:  # also on SIGTERM, which the CLI turns into an exception
            shutil.rmtree(staging, ignore_errors=True)
    fsync_dir(target.parent)
    log.info("copied %d files from %s", len(files), origin)
    return target


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


# --------------------------------------------------------------------------- rows


def default_kind(modes: Sequence[str]) -> str:
    """Return the kind a place gets when none is given: from the most maritime of its modes."""
    for mode, kind in (("sea", "seaport"), ("river", "river_port"), ("rail", "rail_terminal")):
        if mode in modes:
            return kind
    return "dry_port"


def _cell(value: object) -> str:
    """Format a number or text for a table cell; floats keep every digit (repr round-trips)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


def _modes_list(modes: Sequence[str] | str) -> list[str]:
    """The modes given, each once ("road,road" is road: the table keeps no repeats)."""
    items = re.split(r"[,;]", modes) if isinstance(modes, str) else list(modes)
    return list(dict.fromkeys(str(m).strip().lower() for m in items if str(m).strip()))


def place_row(
    *,
    place_id: str,
    name: str,
    country: str,
    lat: float | str,
    lon: float | str,
    modes: Sequence[str] | str,
    kind: str | None = None,
    aliases: Sequence[str] = (),
    area: str = "",
    status: str = "operational",
    source: str | None = None,
    notes: str = "",
) -> dict[str, str]:
    """Return the places.csv row for a new place; without a source its figures are marked unsourced."""
    mode_list = _modes_list(modes)
    cited = _cell(source) or UNSOURCED
    return {
        "id": _cell(place_id),
        "name": _cell(name),
        "aliases": ";".join(a for a in (_cell(a) for a in aliases) if a),
        "area": _cell(area),
        "country": _cell(country).upper(),
        "lat": _cell(lat),
        "lon": _cell(lon),
        "kind": _cell(kind) or default_kind(mode_list),
        "modes": ";".join(mode_list),
        "status": _cell(status) or "operational",
        "source": cited,
        "coord_source": cited,
        "notes": _cell(notes),
    }


def _check_place(row: dict[str, str], where: str, problems: _Problems, countries: dict[str, str]) -> Place | None:
    checked = _Problems()
    place = parse_place_row(row, where, checked, countries or None)
    if place is not None and place.kind == "seaport" and "sea" not in place.modes:
        checked.add(where, "modes", "has no sea: a seaport is served by sea (or give it another kind)")
    unused = unused_figure_problem(place) if place is not None else None
    if unused:
        checked.add(where, *unused.split(": ", 1))
    problems.items += checked.items
    return place if not checked.items else None


@dataclass
class _Current:
    """What a write needs to know of a dataset, read without checking every row again.

    A write is validated incrementally: the tables must read (encoding, CSV, headers) and the
    links table must be sound, but the rows of the places table are only indexed (ids,
    aliases, names); the few a write touches are parsed and checked in full. `corridor
    validate` is the full check of everything.
    """

    root: Path
    countries: dict[str, str]
    ids: dict[str, tuple[str, str, str]]  # curated places: upper id -> (id, name, country)
    aliases: dict[str, str]  # curated places: upper alias -> id
    world: dict[str, Place]  # World Port Index ports that no curated place stands in for
    full: dict[str, Place]  # curated places parsed in full: those asked for, and twins of world ports
    bearers: dict[str, list[tuple[str, str, str]]]  # normalised name asked for -> (id, name, country)
    links: list[Link]
    areas: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # name asked for -> (area, its ids)
    sources: set[str] = field(default_factory=set)  # the ids sources.csv lists

    def uncited(self, row: dict[str, str]) -> list[str]:
        """Return a problem for each source cell of a row that cites an id sources.csv does not
        list (`corridor validate` refuses it); none when the dataset lists no sources."""
        return uncited_cells(row, self.sources, self.root) if self.sources else []

    def place(self, pid: str) -> Place:
        return self.full.get(pid) or self.world[pid]

    def has_id(self, pid: str) -> bool:
        """Whether a place has exactly this id (the loader matches a link's `passes` so)."""
        entry = self.ids.get(pid.upper())
        return (entry is not None and entry[0] == pid) or pid in self.world

    def ids_in_names(
        self, place: Place, *, also: dict[str, str] | None = None, name: bool = True
    ) -> list[tuple[str, str]]:
        """Return (field, problem) for each alias of `place`, and its name unless `name` is False,
        that is another place's id: a curated one, or one of `also` (upper id -> where it is given)."""
        own = place.id.upper()
        texts = [("aliases", alias) for alias in place.aliases] + ([("name", place.name)] if name else [])
        problems = []
        for field_name, text in texts:
            upper = text.upper()
            if upper == own:
                continue
            if upper in self.ids:
                problems.append((field_name, f"{text!r} is the id of {self.ids[upper][1]}"))
            elif also and upper in also:
                problems.append((field_name, f"{text!r} is the id of the place at {also[upper]}"))
        return problems


def _check_files(root: Path, *, lanes: bool = True) -> None:
    """Refuse a write while a file of the dataset does not read: parameters, sources, lanes, land.

    Only that they read, not the graph they make (`corridor validate` builds it); `lanes=False`
    when the caller reads the lanes and land in full anyway (a new seaport's sea access).
    """
    from .datasets import SOURCES_FILE, read_sources
    from .sealanes import check_lane_files

    try:
        _parameters_of(root)
        read_sources(root / SOURCES_FILE)
        if lanes:
            check_lane_files(root)
    except DataError as exc:
        raise _problems_to_fix(root, exc) from None


def _problems_to_fix(root: Path, exc: DataError) -> DataError:
    return DataError(
        f"{root} has problems to fix before anything is written (see `corridor validate --data {root}`)",
        exc.problems or [str(exc)],
    )


def _read_current(root: Path, *, ids: Sequence[str] = (), names: Sequence[str] = ()) -> _Current:
    """Read what a write needs: every curated id, alias and (asked-for) name, the world ports
    still standing, the links, and in full the curated places `ids` names (any case)."""
    from .datasets import (
        COUNTRIES_FILE,
        SOURCES_FILE,
        WPI_FILE,
        present,
        read_countries,
        read_links,
        read_sources,
        read_wpi,
    )
    from .gazetteer import normalize

    try:
        countries = read_countries(root / COUNTRIES_FILE)
        world = read_wpi(root / WPI_FILE, countries or None) if present(root / WPI_FILE) else {}
        path = root / PLACES_FILE
        header, rows = iter_csv_cells(read_text(path), path=str(path), required=PLACE_REQUIRED)
        column = {name: header.index(name) for name in ("id", "name", "country")}
        alias_column = header.index("aliases") if "aliases" in header else None
        area_column = header.index("area") if "area" in header else None
        world_codes = {pid.upper() for pid in world} | {a.upper() for p in world.values() for a in p.aliases}
        world_names = {(p.country, normalize(t)) for p in world.values() for t in (p.name, *p.aliases)}
        world_countries = {country for country, _ in world_names}
        wanted = {pid.upper() for pid in ids}
        asked: dict[str, list] = {normalize(text): [] for text in names}
        taken: dict[str, tuple[str, str, str]] = {}
        aliases: dict[str, str] = {}
        areas: dict[str, tuple[str, list[str]]] = {}
        full_rows: list[tuple[int, dict[str, str]]] = []
        for line, cells in rows:
            pid, name = cells[column["id"]].strip(), cells[column["name"]].strip()
            country = cells[column["country"]].strip().upper()
            own = split_list(cells[alias_column]) if alias_column is not None else ()
            if "'" in pid + name + country + "".join(own):  # a neutralised cell: read it back
                pid, name, country = restore_cell(pid), restore_cell(name), restore_cell(country)
                own = tuple(map(restore_cell, own))
            key = pid.upper()
            taken.setdefault(key, (pid, name, country))
            for alias in own:
                aliases.setdefault(alias.upper(), pid)
            keys = [normalize(name), *map(normalize, own)] if (asked or country in world_countries) else ()
            for text in keys:
                if text in asked:
                    asked[text].append((pid, name, country))
            area = restore_cell(cells[area_column].strip()) if area_column is not None and asked else ""
            if area and normalize(area) in asked:
                areas.setdefault(normalize(area), (area, []))[1].append(pid)
            if (
                key in wanted
                or key in world_codes
                or (own and any(a.upper() in world_codes for a in own))
                or (keys and any((country, text) in world_names for text in keys))
            ):
                values = [restore_cell(c.strip()) for c in cells]
                full_rows.append((line, dict(zip(header, values, strict=True))))
        problems = _Problems()
        full: dict[str, Place] = {}
        for line, row in full_rows:
            place = parse_place_row(row, f"{path}:{line}", problems, countries or None)
            if place is not None:
                full.setdefault(place.id, place)
        if problems.items:
            raise DataError(f"{path} has invalid rows", problems.items)
        standing = {pid: p for pid, p in merge_world_ports(full, world).items() if p.origin == "wpi"}
        for p in standing.values():
            for text in dict.fromkeys(normalize(t) for t in (p.name, *p.aliases)):
                if text in asked:
                    asked[text].append((p.id, p.name, p.country))
        known = {entry[0] for entry in taken.values()} | standing.keys()
        links = read_links(root / LINKS_FILE, known) if present(root / LINKS_FILE) else []
        sources = set(read_sources(root / SOURCES_FILE))
    except DataError as exc:
        raise _problems_to_fix(root, exc) from None
    return _Current(root, countries, taken, aliases, standing, full, asked, links, areas, sources)


def _append_rows(before: bytes, path: Path, columns: Sequence[str], rows: Sequence[dict[str, str]]) -> bytes:
    """Return `before` with rows appended in its own column order and line endings.

    Every existing byte is kept as it is; a table without a header gets one. The rows go
    through corridor's one CSV writer (formula-like text neutralised), and are read back
    before anything is written: they must come out exactly as they went in.
    """
    first = before.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")  # a header is one line
    try:
        header = next(csv.reader(io.StringIO(first, newline="")), None)
    except csv.Error:
        header = None
    terminator = "\r\n" if first.endswith("\r") else "\n"
    if not header:
        header = list(columns)
        before = csv_text([header], lineterminator=terminator).encode("utf-8")
    elif not before.endswith((b"\n", b"\r")):
        before += terminator.encode()
    missing = sorted({c for row in rows for c, v in row.items() if v and c not in header})
    if missing:
        raise DataError(f"{path} has no column {', '.join(missing)} for the new values: add it to the header")
    added = csv_text([[row.get(c, "") for c in header] for row in rows], lineterminator=terminator)
    readback = [row for _, row in iter_csv_rows(csv_text([header]) + added, path=str(path), required=())]
    if readback != [{c: row.get(c, "") for c in header} for row in rows]:
        raise DataError(f"{path}: the new rows would not read back as they were given; nothing was written")
    return before + added.encode("utf-8")


def _read_bytes(path: Path) -> bytes:
    """Return a table's bytes, or none when the dataset has no such table yet."""
    from ._fs import read_regular

    if not os.path.lexists(path):
        return b""
    return read_regular(path, "a CSV table")


def _sea_access(root: Path, places: Sequence[Place]) -> dict:
    """Join seaports to the dataset's sea lanes as the network would (also planned ones)."""
    from .sealanes import LandMask, attach_ports, join_near_misses, read_lanes

    try:
        lanes, land = read_lanes(root), LandMask(root, lazy=True)
    except DataError as exc:
        raise _problems_to_fix(root, exc) from None
    join_near_misses(lanes, land)
    return attach_ports(places, lanes, land)


def _sea_problem(where: str, place: Place, joined) -> str | None:
    if joined is not None and joined.nodes:
        return None
    why = joined.problem if joined is not None else "it was not joined"
    return (
        f"{where}lat/lon: {place.name} ({place.id}) is a seaport but cannot join the sea lanes: {why}; "
        "check the position (a seaport is on a coast) or leave sea out of its modes"
    )


# --------------------------------------------------------------------------- places


def add_place(root: str | os.PathLike[str] | None, *, aliases: Sequence[str] = (), **fields: object) -> Change:
    """Add a place to a dataset's places table, validated first; return what changed.

    `fields` are those of `place_row` (place_id, name, country, lat, lon, modes, kind, area,
    status, source, notes). `source` is free text citing where the position comes from;
    without one the row is marked as an unsourced estimate. A seaport must join the sea lanes
    without crossing land. A place whose id is a World Port Index port replaces that port, as
    curated places do.
    """
    split = [a for a in aliases if LIST_SEPARATOR in a]
    if split:
        raise DataError(
            f"cannot add {fields.get('place_id')}",
            [f"aliases: {a!r} contains {LIST_SEPARATOR!r}, which separates aliases" for a in split],
        )
    row = place_row(aliases=aliases, **fields)  # type: ignore[arg-type]
    return _add_places(writable_dataset(root), [(0, "", row)], what=f"add {row['id'] or 'the place'}")


def _add_places(
    root: Path,
    rows: Sequence[tuple[int, str, dict[str, str]]],
    *,
    what: str,
    found: Sequence[tuple[int, str]] = (),
) -> Change:
    """Validate new place rows against the dataset, then append them all or none.

    `rows` are (order, where, row); `found` are (order, problem) already found in the same
    input, so every problem is reported together, in the input's order.

    The write is validated incrementally: the tables are read and checked as they are, then
    only what the new rows can affect (their own fields, ids and aliases against every other
    place, and the sea access of new seaports) rather than the whole network, so a write to a
    dataset of 200,000 places takes seconds. `corridor validate` stays the full check.
    """
    path = root / PLACES_FILE
    with locked(root) as lock:
        _remove_stale_temps(path)
        names = [text for _, _, row in rows for text in (row.get("name", ""), *split_list(row.get("aliases", "")))]
        current = _read_current(root, names=names)
        lock.progress("tables read")
        problems: list[tuple[int, str]] = list(found)
        new: list[tuple[int, str, Place]] = []
        # Curated ids and aliases are taken; a World Port Index id may be given to a new place,
        # which then stands in for that port (curated places win the merge).
        seen: dict[str, str] = {}
        # The ids this import gives, so that a name or alias of one row cannot be another's id.
        given: dict[str, str] = {}
        for _, where, row in rows:
            given.setdefault((row.get("id") or "").strip().upper(), where or "this command")
        for count, (order, where, row) in enumerate(rows, 1):
            if count % 5000 == 0:  # a large import: show waiting writers that this one is moving
                lock.progress(f"row {count} checked")
            checks = _Problems()
            place = _check_place(row, where, checks, current.countries)
            for problem in current.uncited(row):
                checks.add(where, "", problem)
            if place is not None:
                key = place.id.upper()
                if key in seen:
                    checks.add(where, "id", f"duplicate id {place.id!r} (first at {seen[key]})")
                elif key in current.ids:
                    _, name, country = current.ids[key]
                    checks.add(where, "id", f"duplicate id {place.id!r}: {name} ({country}) has it")
                elif key in current.aliases:
                    other = current.ids[current.aliases[key].upper()]
                    checks.add(where, "id", f"{place.id!r} is an alias of {other[1]} ({other[0]})")
                for field_name, problem in current.ids_in_names(place, also=given):
                    checks.add(where, field_name, problem)
                seen.setdefault(key, where or "this command")
            if checks.items:
                problems += [(order, m.removeprefix(": ")) for m in checks.items]
            elif place is not None:
                new.append((order, f"{where}: " if where else "", place))
        lock.progress("rows checked")
        # Every new seaport must join the lanes, planned ones too (they will be routed once open).
        sea = [(order, where, p) for order, where, p in new if "sea" in p.modes]
        _check_files(root, lanes=not sea)
        access = _sea_access(root, [p for *_, p in sea]) if sea else {}
        problems += [(o, m) for o, w, p in sea if (m := _sea_problem(w, p, access.get(p.id)))]
        lock.progress("sea access checked")
        if problems:
            raise DataError(f"cannot {what}", [m for _, m in sorted(problems, key=lambda item: item[0])])

        before = _read_bytes(path)
        _test_hook("read")
        after = _append_rows(before, path, PLACE_COLUMNS, [row for _, _, row in rows])
        lock.progress("writing")
        write_atomic(path, after)

    added = [p for *_, p in new]
    merged = merge_world_ports({p.id: p for p in added}, current.world)
    replaced = sorted(pid for pid in current.world if pid not in merged or merged[pid].origin != "wpi")
    standing = {pid: p for pid, p in current.world.items() if pid not in replaced}
    notes = _unjoined(added, access) + _same_names(added, current, replaced)
    notes += _nearby_world_ports(added, standing)
    return Change(path, places=tuple(added), replaced=tuple(replaced), notes=tuple(notes))


def _unjoined(added: Sequence[Place], access: dict) -> list[str]:
    """Note new places no route reaches yet: an operational place joins the network only by its
    links (none can name it yet) or, for a seaport, the sea lanes."""
    return [
        f"{p.name} ({p.id}): no route joins it to the network yet (add a link with `corridor links add`)"
        for p in added
        if p.operational and not (access.get(p.id) and access[p.id].nodes)
    ]


def _same_names(added: Sequence[Place], current: _Current, replaced: Sequence[str]) -> list[str]:
    """Warn of new places whose name or alias another place already bears: a route naming it
    would be ambiguous (or silently go to the curated one), so name the ids to use instead."""
    from .gazetteer import normalize

    bearers: dict[str, dict[str, tuple[str, str, str]]] = {}
    for key, found in current.bearers.items():
        bearers.setdefault(key, {}).update((b[0], b) for b in found)
    own = {place.id: [normalize(t) for t in (place.name, *place.aliases)] for place in added}
    for place in added:
        for key in own[place.id]:
            bearers.setdefault(key, {})[place.id] = (place.id, place.name, place.country)
    notes = []
    for place in added:
        others = {pid: b for key in own[place.id] for pid, b in bearers[key].items()}
        for pid in (place.id, *replaced):
            others.pop(pid, None)
        if others:
            listed = ", ".join(f"{name} ({country}, {pid})" for pid, name, country in others.values())
            notes.append(
                f"{place.name} ({place.id}) shares a name with {listed}: a route naming it is ambiguous, so "
                f"give the id ({', '.join([place.id, *others])})"
            )
        for key in dict.fromkeys(own[place.id]):
            area, members = current.areas.get(key, ("", []))
            members = [pid for pid in members if pid not in (place.id, *replaced)]
            if members:
                notes.append(
                    f"{place.name} ({place.id}) bears the name of the area {area} ({', '.join(members)}): a route "
                    f"naming {area} goes to the area, so give the id {place.id}"
                )
    return notes


def _nearby_world_ports(new: Sequence[Place], places: dict[str, Place]) -> list[str]:
    """Note World Port Index ports close to new seaports: probably the same port under another id."""
    from .datasets import SAME_PORT_KM
    from .geo import haversine_km

    notes = []
    world = [p for p in places.values() if p.origin == "wpi"]
    for place in new:
        if "sea" not in place.modes:
            continue
        box = SAME_PORT_KM / 111.0  # degrees of latitude: a cheap filter before distances
        near = sorted(
            (haversine_km(place.lon, place.lat, w.lon, w.lat), w.id, w.name)
            for w in world
            if w.country == place.country and abs(w.lat - place.lat) <= box
        )
        for distance, wid, wname in near:
            if distance > SAME_PORT_KM:
                break
            notes.append(
                f"{place.id}: the World Port Index port {wname} ({wid}) is {distance:.0f} km away; if it is the "
                f"same port, give your place the id {wid} so that yours replaces it"
            )
    return notes


# --------------------------------------------------------------------------- import


def read_import(path: str | os.PathLike[str]) -> list[tuple[str, dict[str, str]]]:
    """Read a CSV or GeoJSON file of places as (where, row) pairs; raise DataError listing every problem.

    CSV has the columns of places.csv (id, name, country, lat, lon and modes required; lists
    separated by `;`). GeoJSON is a FeatureCollection of Points whose properties have the same
    names (lists may be JSON arrays). Unknown columns are refused rather than dropped. Rows are
    checked as far as the file alone allows; `import_places` checks them against a dataset.
    """
    rows, problems = _read_rows(Path(path))
    if problems:
        raise DataError(f"{path} has invalid rows", [m for _, m in problems])
    return [(where, row) for _, where, row in rows]


def _read_rows(
    path: Path, *, layer: str | None = None
) -> tuple[list[tuple[int, str, dict[str, str]]], list[tuple[int, str]]]:
    check_regular_file(path, "a file")  # a directory or FIFO is named as such, never "does not exist"
    if path.suffix.lower() in GIS_SUFFIXES:
        rows, problems = _gis_rows(path, PLACE_COLUMNS, layer=layer, geometry="Point")
    else:
        _no_layers(path, layer)
        text = read_text(path, expected="a CSV or GeoJSON file")
        if not text.strip():
            raise DataError(f"{path} is empty: expected CSV with a header, or GeoJSON")
        geojson = path.suffix.lower() in (".geojson", ".json") or (
            path.suffix.lower() != ".csv" and text.lstrip().startswith("{")
        )
        rows, problems = _geojson_rows(text, path) if geojson else (_csv_rows(text, path), [])
    if not rows and not problems:
        raise DataError(f"{path} has no places to import")
    return [(order, where, _with_defaults(row, path)) for order, where, row in rows], problems


def _no_layers(path: Path, layer: str | None) -> None:
    """Refuse a layer named for a file read here, line by line, which has none (it was ignored)."""
    if layer is not None:
        raise UsageError(f"--layer {layer!r}: {path} is read as one table, which has no layers (a GeoPackage has)")


# Files read through geopandas (GDAL, or pyarrow for GeoParquet); CSV and GeoJSON are read here,
# line by line, so their problems name a line.
GIS_SUFFIXES = (".gpkg", ".shp", ".dbf", ".parquet", ".geoparquet", ".fgb", ".gml", ".kml", ".sqlite", ".zip")


def _read_gis(path: Path, layer: str | None):
    """Return a GIS file as a (Geo)DataFrame in lon/lat; raise DataError saying what is wrong."""
    try:
        import geopandas
    except ImportError:  # pragma: no cover - a dependency
        raise DataError(f"reading {path.suffix} files needs geopandas: pip install geopandas") from None
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise DataError(f"reading {path.name} needs pyarrow: pip install pyarrow") from None
        try:
            return geopandas.read_parquet(path)
        except ValueError:  # a Parquet table without geometry: lat and lon columns then
            import pandas

            try:
                return pandas.read_parquet(path)
            except Exception as exc:
                raise DataError(f"{path} cannot be read as Parquet: {exc}") from None
        except Exception as exc:
            raise DataError(f"{path} cannot be read as GeoParquet: {exc}") from None
    import warnings

    try:
        import pyogrio

        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        if layer is None and len(layers) > 1:
            raise DataError(f"{path} has {len(layers)} layers ({', '.join(layers)}): name one with --layer")
        if layer is not None and layer not in layers:
            raise DataError(f"{path} has no layer {layer!r} (layers: {', '.join(layers)})")
        with warnings.catch_warnings():
            # shapely warns of a NaN coordinate on stderr; the row's check names it as a problem of its feature.
            warnings.filterwarnings("ignore", message="invalid value encountered", category=RuntimeWarning)
            frame = geopandas.read_file(path, layer=layer, engine="pyogrio")
    except DataError:
        raise
    except Exception as exc:  # GDAL's errors: not a file it reads, a broken file
        raise DataError(f"{path} cannot be read as a GIS file: {str(exc).strip() or type(exc).__name__}") from None
    return frame


def _gis_cell(value: object) -> str | None:
    """Return a cell of a GIS table as text (None for a value no table column holds)."""
    import numbers

    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        import pandas

        if value is pandas.NA or value is pandas.NaT:
            return ""
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        return "" if math.isnan(number) else _cell(number)
    if isinstance(value, str):
        return value.strip()
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return ";".join(v.strip() for v in value)
    return None


def _column_names(columns: Sequence[str], known: Sequence[str], shapefile: bool) -> dict[str, str | None]:
    """Map a GIS table's columns to known names; a Shapefile's are cut to 10 characters, so a
    unique prefix of a known name stands for it. Unknown ones map to None."""
    out: dict[str, str | None] = {}
    for column in columns:
        if column in known:
            out[column] = column
            continue
        matches = [k for k in known if shapefile and len(column) == 10 and k.startswith(column)]
        out[column] = matches[0] if len(matches) == 1 else None
    return out


def _gis_rows(
    path: Path, known: Sequence[str], *, layer: str | None, geometry: str
) -> tuple[list[tuple[int, str, dict[str, str]]], list[tuple[int, str]]]:
    """Read the rows of a GIS file as table rows: `geometry` "Point" gives a place its lon and lat,
    "LineString" gives a link its drawing (its inner points become `via`)."""
    frame = _read_gis(path, layer)
    spatial = getattr(frame, "_geometry_column_name", None) in frame.columns
    if spatial and frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")  # positions are lon/lat degrees
    shapefile = path.suffix.lower() in (".shp", ".dbf", ".zip")
    columns = [c for c in frame.columns if not (spatial and c == frame.geometry.name)]
    names = _column_names(columns, known, shapefile)
    unknown = [c for c, name in names.items() if name is None]
    if unknown:
        hint = " (a Shapefile cuts names to 10 characters: use a GeoPackage)" if shapefile else ""
        raise DataError(
            f"{path}: unknown column(s) {', '.join(repr(c) for c in unknown)} (columns: {', '.join(known)}){hint}"
        )
    mapped = [names[c] for c in columns]
    twice = sorted({m for m in mapped if m is not None and mapped.count(m) > 1})
    if twice:
        raise DataError(f"{path}: column(s) {', '.join(repr(c) for c in twice)} appear more than once")
    rows: list[tuple[int, str, dict[str, str]]] = []
    found: list[tuple[int, str]] = []
    shapes = frame.geometry if spatial else [None] * len(frame)
    for number, (values, shape) in enumerate(zip(frame[columns].itertuples(index=False), shapes, strict=True), 1):
        where = f"{path}: feature {number}"
        problems = _Problems()
        row: dict[str, str] = {}
        for column, value in zip(columns, values, strict=True):
            name = names[column]
            assert name is not None
            cell = _gis_cell(value)
            if cell is None:
                problems.add(where, name, "must be text, a number, or a list of texts")
            elif spatial and geometry == "Point" and name in ("lat", "lon"):
                problems.add(where, name, "give the position as the Point geometry, not as a column")
            else:
                row[name] = cell
        if spatial and geometry == "Point":
            if shape is None or shape.is_empty or shape.geom_type != "Point":
                problems.add(where, "geometry", "must be a Point")
            else:
                row["lon"], row["lat"] = _cell(float(shape.x)), _cell(float(shape.y))
        elif spatial and shape is not None and not shape.is_empty:
            if shape.geom_type != "LineString":
                problems.add(where, "geometry", "must be a LineString (or empty)")
            elif not row.get("via"):
                inner = list(shape.coords)[1:-1]
                if len(inner) > MAX_VIA_POINTS:
                    problems.add(where, "geometry", f"has {len(inner)} inner points: simplify it to at most "
                                 f"{MAX_VIA_POINTS} (they only draw the link)")  # fmt: skip
                else:
                    row["via"] = LIST_SEPARATOR.join(f"{_cell(float(x))} {_cell(float(y))}" for x, y, *_ in inner)
        if problems.items:
            found += [(number, m) for m in problems.items]
        else:
            rows.append((number, where, row))
    return rows, found


MAX_VIA_POINTS = 200


def _with_defaults(row: dict[str, str], path: Path) -> dict[str, str]:
    row = dict(row)
    marker = f"estimate: imported from {path.name}, unsourced"
    modes = _modes_list(row.get("modes", ""))
    row["modes"] = ";".join(modes)
    row["kind"] = row.get("kind", "").strip().lower() or default_kind(modes)
    row["status"] = row.get("status", "").strip().lower() or "operational"
    row["coord_source"] = row.get("coord_source") or row.get("source") or marker
    row["source"] = row.get("source") or marker
    for value, source in PLACE_FIGURES:
        if row.get(value) and not row.get(source):
            row[source] = marker
    return row


def _csv_rows(text: str, path: Path) -> list[tuple[int, str, dict[str, str]]]:
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise DataError(f"{path}:1: malformed CSV header ({exc})") from None
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:  # a reader would keep one of the values and drop the other
        raise DataError(f"{path}:1: column(s) {', '.join(repr(c) for c in twice)} appear more than once")
    unknown = [c for c in header if c not in PLACE_COLUMNS]
    if unknown:
        raise DataError(
            f"{path}:1: unknown column(s) {', '.join(repr(c) for c in unknown)} (columns: {', '.join(PLACE_COLUMNS)})"
        )
    rows = iter_csv_rows(text, path=str(path), required=IMPORT_REQUIRED)
    return [(line, f"{path}:{line}", row) for line, row in rows]


_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _feature_lines(text: str) -> tuple[list[object], list[int], object]:
    """Return the features of a FeatureCollection, the line each starts on and its `crs` member
    (None without one).

    The document is parsed once for correctness, then walked token by token at the top
    level to find where each feature begins, so problems can name a line.
    """
    decoder = json.JSONDecoder()
    document = decoder.decode(text)
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise ValueError("it has no list of features")
    if document.get("type") != "FeatureCollection":
        raise ValueError("its type is not FeatureCollection")
    lines: list[int] = []
    line, counted = 1, 0

    def skip(i: int) -> int:
        found = _WHITESPACE.match(text, i)
        return found.end() if found else i

    i = skip(0) + 1  # past "{"
    while True:
        i = skip(i)
        if text[i] == "}":
            break
        key, i = decoder.raw_decode(text, i)
        i = skip(skip(i) + 1)  # past ":"
        if key == "features":
            lines = []
            i = skip(i + 1)  # past "["
            while text[i] != "]":
                line += text.count("\n", counted, i)
                counted = i
                lines.append(line)
                _, i = decoder.raw_decode(text, i)
                i = skip(i)
                if text[i] == ",":
                    i = skip(i + 1)
            i += 1
        else:
            _, i = decoder.raw_decode(text, i)
        i = skip(i)
        if text[i] == ",":
            i += 1
    return document["features"], lines, document.get("crs")


def _lonlat_of(crs: object, path: Path):
    """Return a function taking a GeoJSON file's Point coordinates to lon/lat, from its `crs`
    member (GeoJSON before RFC 7946 could name one; RFC 7946 positions are lon/lat, WGS 84)."""
    if crs is None:
        return None
    given = crs.get("properties") if isinstance(crs, dict) and crs.get("type") == "name" else None
    name = given.get("name") if isinstance(given, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise DataError(f'{path}: crs: name the CRS as {{"type": "name", "properties": {{"name": ...}}}}')
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        found = CRS.from_user_input(name.strip())
    except CRSError:
        raise DataError(f"{path}: crs: {name.strip()!r} is no CRS pyproj knows") from None
    if found.equals(CRS.from_user_input("OGC:CRS84")) or found.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return None  # lon/lat already (GeoJSON has always put longitude first)
    return Transformer.from_crs(found, "OGC:CRS84", always_xy=True).transform


def _number(value: object) -> float | None:
    """Return a JSON number as a float (infinite if huge); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _json_cell(value: object) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, str)):
        return _cell(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(v.strip() for v in value)
    return None


def _geojson_rows(text: str, path: Path) -> tuple[list[tuple[int, str, dict[str, str]]], list[tuple[int, str]]]:
    try:
        features, lines, crs = _feature_lines(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError, IndexError) as exc:
        raise DataError(f"{path} is not a GeoJSON FeatureCollection ({exc})") from None
    to_lonlat = _lonlat_of(crs, path)
    problems = _Problems()
    rows: list[tuple[int, str, dict[str, str]]] = []
    found: list[tuple[int, str]] = []
    for number, (feature, line) in enumerate(zip(features, lines, strict=True), 1):
        where = f"{path}:{line}: feature {number}"
        start = len(problems.items)
        order = number
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            found.append((order, f"{where}: is not a GeoJSON Feature"))
            continue
        geometry = feature.get("geometry")
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        position = None
        if isinstance(geometry, dict) and geometry.get("type") == "Point" and isinstance(coords, list):
            numbers = [_number(v) for v in coords]
            given = [n for n in numbers if n is not None]
            if len(numbers) in (2, 3) and len(given) == len(numbers):
                position = given[0], given[1]
                if to_lonlat is not None and math.isfinite(given[0]) and math.isfinite(given[1]):
                    position = to_lonlat(given[0], given[1])
        if position is None:
            problems.add(where, "geometry", "must be a Point with coordinates [lon, lat]")
        properties = feature.get("properties")
        if not isinstance(properties, dict):
            problems.add(where, "properties", "must be an object with id, name, country and modes")
            properties = {}
        row: dict[str, str] = {}
        for key, value in properties.items():
            if key in ("lat", "lon"):
                problems.add(where, key, "give the position as the Point geometry, not as a property")
            elif key not in PLACE_COLUMNS:
                problems.add(where, key, f"unknown property (names: {', '.join(PLACE_COLUMNS)})")
            elif (cell := _json_cell(value)) is None:
                problems.add(where, key, "must be text, a number, or a list of texts")
            else:
                row[key] = cell
        if len(problems.items) > start:
            found += [(order, m) for m in problems.items[start:]]
            continue
        assert position is not None  # a feature without one is a problem above
        row["lon"], row["lat"] = _cell(position[0]), _cell(position[1])
        rows.append((order, where, row))
    return rows, found


def import_places(
    root: str | os.PathLike[str] | None, path: str | os.PathLike[str], *, layer: str | None = None
) -> Change:
    """Add every place of a file to a dataset, or none if any row is wrong.

    CSV and GeoJSON are read here; GeoPackage, Shapefile, GeoParquet, FlatGeobuf and the other
    formats geopandas reads go through it (Points; `layer` names one of several). Every problem
    is reported with its line or feature (and column); rows are appended to places.csv in the
    file's order.
    """
    target = writable_dataset(root)
    rows, found = _read_rows(Path(path), layer=layer)
    return _add_places(target, rows, what=f"import {path}", found=found)


# --------------------------------------------------------------------------- links


def _resolve(current: _Current, text: str, role: str) -> Place:
    """Return the place a link end names: an id (any case) at once, else a name, alias or area."""
    found = current.ids.get(text.strip().upper())
    if found is not None and found[0] in current.full:
        return current.full[found[0]]
    if text.strip() in current.world:
        return current.world[text.strip()]
    from .gazetteer import Gazetteer

    target = Gazetteer(_light_places(current), root=current.root).resolve(text)
    if target.is_area:
        members = ", ".join(target.place_ids)
        raise DataError(f"{role} {text!r} names the area {target.area}: give one of its places ({members})")
    pid = target.place_ids[0]
    if pid in current.world:
        return current.world[pid]
    return _read_current(current.root, ids=[pid]).full[pid]


def _light_places(current: _Current) -> dict[str, Place]:
    """Return every place with what names need (id, name, aliases, area, country), for resolving a name."""
    path = current.root / PLACES_FILE
    header, rows = iter_csv_cells(read_text(path), path=str(path), required=PLACE_REQUIRED)
    places: dict[str, Place] = {}
    for _, cells in rows:
        row = {k: restore_cell(v.strip()) for k, v in zip(header, cells, strict=True)}
        if row["id"] and row["id"] not in places:
            places[row["id"]] = Place(
                row["id"], row["name"], row["country"].upper(), 0.0, 0.0, row.get("kind", ""), (),
                aliases=split_list(row.get("aliases", "")), area=row.get("area", ""),
            )  # fmt: skip
    return {**current.world, **places}


def _link_id(mode: str, start: str, end: str, taken: set[str]) -> str:
    base = f"{mode}-{start}-{end}".lower()
    if len(base) > 34:
        base = base[:34].rstrip("-_.")
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _duplicate_of(links: Sequence[Link], mode: str, a: str, b: str, one_way: bool) -> Link | None:
    """Return an existing link that a new one would duplicate: the same mode between the same two
    places, in a direction it already serves (two one-way links in opposite directions are two)."""
    for link in links:
        if link.mode != mode or {link.from_id, link.to_id} != {a, b}:
            continue
        if link.one_way and one_way and (link.from_id, link.to_id) != (a, b):
            continue
        return link
    return None


def _link_problems(
    root: Path, current: _Current, row: dict[str, str], a: Place, b: Place, parameters, *, where: str = ""
) -> tuple[Link | None, list[str]]:
    """Check a links.csv row between two resolved places against the dataset: its fields, the
    modes of its ends, its length against the great circle and its speed against its mode."""
    problems = []
    mode = row.get("mode", "")
    if mode in MODES and mode != "sea":
        for place in (a, b):
            if mode not in place.modes:
                how = (
                    f"add it to your places with its modes (`corridor ports add --id {place.id} ... "
                    f"--modes {','.join((*place.modes, mode))}`)"
                    if place.origin != "curated"
                    else f"add {mode} to its modes (`corridor ports edit {place.id} --modes "
                    f"{','.join((*place.modes, mode))}`)"
                )
                served = "/".join(place.modes)
                problems.append(f"{where}{place.name} ({place.id}) does not serve {mode} ({served}): {how}")
            elif not place.operational:
                problems.append(f"{where}{place.name} ({place.id}) is planned: a link to it would not be used")
    checks = _Problems()
    link = parse_link_row(row, "link", checks)
    problems += [where + m.removeprefix("link: ") for m in checks.items]
    problems += [where + m for m in current.uncited(row)]
    unused = unused_figure_problem(link) if link is not None else None
    problems += [where + unused] if unused else []
    if link is not None:
        # What a link can break: its length against its ends, its speed against its mode.
        short = link_length_problem(link, a, b, where=where)
        problems += [short] if short else []
        problems += link_speed_problems(link, a, b, parameters, where=where)
        domestic = cleared_inside_one_country(link, a, b, where=where)
        problems += [domestic] if domestic else []
        problems += [f"{where}passes: unknown place {pid!r}" for pid in link.passes if not current.has_id(pid)]
    return link, problems


def add_link(
    root: str | os.PathLike[str] | None,
    start: str,
    end: str,
    *,
    mode: str,
    distance_km: float | None = None,
    time_h: float | None = None,
    frequency_per_week: float | None = None,
    one_way: bool = False,
    link_id: str | None = None,
    name: str = "",
    source: str | None = None,
    notes: str = "",
    customs: str = "",
) -> Change:
    """Add a rail, river or road service between two places (ids or names); return what changed.

    Both places must serve the mode. Without `distance_km` the link is measured along the
    straight line times the mode's circuity; without `time_h` its time follows the mode's
    speed. Each given figure cites `source`, or is marked as an unsourced estimate. `customs`
    says what a link between two countries with no border place at either end does about
    customs (`datasets.CUSTOMS`). A link of the same mode between the same places is refused:
    change it with `edit_link` instead.
    """
    root = writable_dataset(root)
    path = root / LINKS_FILE
    what = f"add the {mode} link {start} - {end}"
    with locked(root) as lock:
        _remove_stale_temps(path)
        current = _read_current(root, ids=[start, end])
        _check_files(root)
        lock.progress("tables read")
        a, b = _resolve(current, start, "from"), _resolve(current, end, "to")
        problems = []
        twin = _duplicate_of(current.links, mode, a.id, b.id, one_way)
        if twin is not None:
            problems.append(
                f"a {mode} link between {a.name} ({a.id}) and {b.name} ({b.id}) exists already ({twin.id}): "
                f"change its figures with `corridor links edit {twin.id} --distance-km KM --time-h HOURS ...`"
            )
        taken = {link.id.lower() for link in current.links}
        lid = _cell(link_id) or _link_id(mode, a.id, b.id, taken)
        if lid.lower() in taken:
            problems.append(f"link id {lid!r} is taken")
        cited = _cell(source) or UNSOURCED
        row = {
            "id": lid, "from": a.id, "to": b.id, "mode": mode,
            "distance_km": _cell(distance_km), "distance_source": cited if distance_km is not None else "",
            "time_h": _cell(time_h), "time_source": cited if time_h is not None else "",
            "frequency_per_week": _cell(frequency_per_week),
            "frequency_source": cited if frequency_per_week is not None else "",
            "one_way": "yes" if one_way else "no", "name": _cell(name), "notes": _cell(notes),
            "customs": _cell(customs),
        }  # fmt: skip
        parameters = _parameters_of(root)
        link, found = _link_problems(root, current, row, a, b, parameters)
        problems += found
        if problems:
            raise DataError(f"cannot {what}", problems)
        lock.progress("link checked")

        before = _read_bytes(path)
        _test_hook("read")
        after = _append_rows(before, path, LINK_COLUMNS, [row])
        lock.progress("writing")
        write_atomic(path, after)

    assert link is not None  # a row that does not parse is refused above
    notes_out, forward = _link_notes(_operations(root), link, a, b, current.links, parameters)
    return Change(path, links=(link,), notes=tuple(notes_out), measures=((forward.distance_km, forward.time_h),))


def _operations(root: Path) -> Operations | None:
    """Read a dataset's operating tables for the notes on a write, or None when they are broken
    (`corridor validate` reports their problems; a write of links or places does not need them)."""
    from .services import read_operations

    try:
        return read_operations(root)
    except DataError:
        return None


def _link_notes(
    operations: Operations | None, link: Link, a: Place, b: Place, others: Sequence[Link], parameters
) -> tuple[list[str], Metrics]:
    from .network import crosses_unmarked

    notes_out = []
    forward = parameters.link(link, a, b, forward=True)
    if operations is not None and crosses_unmarked(link, a, b, operations):
        notes_out.append(
            f"{link.id}: crosses from {a.country} to {b.country} with no border place at either end, so no "
            "border crossing or clearance is charged on it: say --customs cleared (charge both countries' "
            "clearance on it), included (its time holds their hours: their cost is charged) or none (a customs union)"
        )
    if link.distance_km is None:
        notes_out.append(
            f"{link.id}: no distance given, so it is measured: {forward.distance_km:,.0f} km "
            "(straight line x circuity); give --distance-km for the published figure"
        )
    for place in (a, b):
        if not any(place.id in (other.from_id, other.to_id) for other in others) and link.one_way:
            notes_out.append(
                f"{place.name} ({place.id}): its only link is one way, so routes "
                f"{'leave it but none reach it' if place is a else 'reach it but none leave it'}"
            )
    return notes_out, forward


# --------------------------------------------------------------------------- edit and remove

EDITED = "estimate: edited by user, unsourced"
# Place columns an edit may set, and the source column each figure cites (None: not a figure).
PLACE_EDITS: dict[str, str | None] = {
    "name": None, "aliases": None, "area": None, "country": None, "kind": None, "modes": None, "status": None,
    "lat": "coord_source", "lon": "coord_source", "handling_h": "handling_source",
    "handling_usd": "handling_source", "dwell_h": "dwell_source",
    "sea_departures_per_week": "sea_departures_source", "source": None, "notes": None,
}  # fmt: skip
# Link columns an edit may set, and the source column each figure cites.
LINK_EDITS: dict[str, str | None] = {
    "distance_km": "distance_source", "time_h": "time_source", "time_back_h": "time_back_source",
    "frequency_per_week": "frequency_source", "one_way": None, "current": None, "via": None, "name": None,
    "notes": None, "customs": None,
}  # fmt: skip


def _split_records(data: bytes, path: Path) -> tuple[bytes, list[str], list[tuple[int, int, list[str]]]]:
    """Split a table into its BOM, its lines (with their endings) and its records as
    (first line, line after the last, cells), so one record can be replaced keeping every other byte."""
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = data[len(bom) :].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    lines = re.findall(r"[^\n]*\n|[^\n]+\Z", text)
    records: list[tuple[int, int, list[str]]] = []
    reader = csv.reader(lines)
    start = 0
    try:
        for cells in reader:
            records.append((start, reader.line_num, cells))
            start = reader.line_num
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None
    return bom, lines, records


def _find_record(data: bytes, path: Path, key: str) -> tuple[bytes, list[str], tuple[int, int, list[str]], list[str]]:
    """Return (BOM, lines, the record whose id is `key` (any case), the header) of a table.

    An id on several rows is refused: which of them to change or remove is for the user to say."""
    bom, lines, records = _split_records(data, path)
    if not records:
        raise DataError(f"{path} has no header")
    header = [c.strip() for c in records[0][2]]
    column = header.index("id")
    found = [
        record
        for record in records[1:]
        if len(record[2]) > column and restore_cell(record[2][column].strip()).upper() == key.upper()
    ]
    if len(found) > 1:
        at = ", ".join(str(first + 1) for first, _, _ in found)
        raise DataError(f"{path} has {len(found)} rows with id {key!r} (lines {at}): keep one, by hand, first")
    if not found:
        raise DataError(f"{path} has no row with id {key!r}")
    return bom, lines, found[0], header


def _replace_record(data: bytes, path: Path, key: str, row: dict[str, str] | None) -> bytes:
    """Return a table with the record of id `key` replaced by `row` (None: removed).

    Every other byte is kept; the new row goes through corridor's one CSV writer, in the
    table's column order and with the record's own line ending, and must read back as given.
    """
    bom, lines, (first, after, _), header = _find_record(data, path, key)
    if row is None:
        new = ""
    else:
        missing = sorted(c for c, v in row.items() if v and c not in header)
        if missing:
            raise DataError(f"{path} has no column {', '.join(missing)} for the new values: add it to the header")
        ending = lines[after - 1][len(lines[after - 1].rstrip("\r\n")) :]
        new = csv_text([[row.get(c, "") for c in header]], lineterminator=ending or "\n")
        if not ending:
            new = new.rstrip("\n")
        readback = [r for _, r in iter_csv_rows(csv_text([header]) + new, path=str(path), required=())]
        if readback != [{c: row.get(c, "") for c in header}]:
            raise DataError(f"{path}: the changed row would not read back as it was given; nothing was written")
    return bom + ("".join(lines[:first]) + new + "".join(lines[after:])).encode("utf-8")


def _record_row(data: bytes, path: Path, key: str) -> dict[str, str]:
    """Return the row of id `key` as read (cells restored), with every column of its header."""
    _, _, (_, _, cells), header = _find_record(data, path, key)
    cells = cells + [""] * (len(header) - len(cells))
    return {c: restore_cell(v.strip()) for c, v in zip(header, cells, strict=False)}


def _edited(old: dict[str, str], changes: dict[str, object], unset: Sequence[str], edits: dict[str, str | None],
            source: str | None) -> tuple[dict[str, str], list[str]]:  # fmt: skip
    """Return a row with `changes` applied and `unset` columns cleared, and the problems of the request.

    A changed figure cites `source`, or is marked as an unsourced edit; a cleared figure loses
    its source too.
    """
    row, problems = dict(old), []
    cited = _cell(source) or EDITED
    for column in unset:
        if column not in edits or column in ("name", "country", "kind", "modes", "lat", "lon"):
            problems.append(f"{column}: cannot be unset (columns that can: {', '.join(_optional(edits))})")
            continue
        row[column] = ""
        if edits[column] and not any(row.get(other) for other, src in edits.items() if src == edits[column]):
            row[edits[column]] = ""  # type: ignore[index]
    for column, value in changes.items():
        if value is None:
            continue
        if column not in edits:
            problems.append(f"{column}: cannot be changed (columns that can: {', '.join(edits)})")
            continue
        if column in unset:
            problems.append(f"{column}: both changed and unset")
            continue
        if column in ("modes",):
            text = ";".join(_modes_list(value))  # type: ignore[arg-type]
        elif isinstance(value, (list, tuple)):
            text = ";".join(a for a in (_cell(v) for v in value) if a)
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = _cell(value)
        row[column] = text
        if edits[column]:
            row[edits[column]] = cited  # type: ignore[index]
    if source is not None and "source" in row and not any(edits.get(c) for c in changes if changes[c] is not None):
        row["source"] = cited  # an edit of no figure: the source is the place's own
    return row, problems


def _optional(edits: dict[str, str | None]) -> list[str]:
    return [c for c in edits if c not in ("name", "country", "kind", "modes", "lat", "lon")]


def _curated(current: _Current, place_id: str, verb: str) -> tuple[str, str]:
    """Return (id, name) of the curated place `place_id` names; refuse a World Port Index port or an unknown id."""
    found = current.ids.get(place_id.strip().upper())
    if found is not None:
        return found[0], found[1]
    world = current.world.get(place_id.strip())
    if world is None:
        world = next((p for p in current.world.values() if p.id.upper() == place_id.strip().upper()), None)
    if world is not None:
        raise DataError(
            f"cannot {verb} {world.name} ({world.id}): it is a World Port Index port, a read-only table; add a place "
            f"of your own with its id (`corridor ports add --id {world.id} ...`), which replaces it"
        )
    raise DataError(f"cannot {verb} {place_id}: {current.root / PLACES_FILE} has no place with that id")


def _links_of(current: _Current, place_id: str) -> list[Link]:
    return [link for link in current.links if place_id in (link.from_id, link.to_id)]


def _listed_links(links: Sequence[Link]) -> str:
    return ", ".join(f"{link.id} ({link.mode} {link.from_id}-{link.to_id})" for link in links)


def edit_place(
    root: str | os.PathLike[str] | None,
    place_id: str,
    *,
    source: str | None = None,
    unset: Sequence[str] = (),
    **changes: Any,
) -> Change:
    """Change fields of a place of a dataset's places table, validated first; return what changed.

    `changes` are places.csv columns (name, aliases (a list), area, country, kind, modes, status,
    lat, lon, handling_h, handling_usd, dwell_h, sea_departures_per_week, source, notes); `unset`
    clears optional ones. A changed figure cites `source`, or is marked as an unsourced edit.
    The change is refused if it breaks a link (a mode or a status they need, a position that
    makes a link shorter than the great circle or too fast), or strands a seaport off the lanes.
    """
    target = writable_dataset(root)
    path = target / PLACES_FILE
    aliases = changes.get("aliases")
    if aliases is not None and any(LIST_SEPARATOR in a for a in aliases):
        raise DataError(f"cannot edit {place_id}", [f"aliases: {a!r} contains {LIST_SEPARATOR!r}" for a in aliases])
    with locked(target) as lock:
        _remove_stale_temps(path)
        names = [str(changes.get("name") or ""), *(aliases or ())]
        current = _read_current(target, ids=[place_id], names=[n for n in names if n])
        pid, _ = _curated(current, place_id, "edit")
        lock.progress("tables read")
        before = _read_bytes(path)
        old_row = _record_row(before, path, pid)
        old = current.full[pid]
        row, problems = _edited(old_row, changes, unset, PLACE_EDITS, source)
        if row == old_row and not problems:
            raise DataError(f"cannot edit {pid}: nothing to change (give --FIELD VALUE or --unset FIELD)")
        checks = _Problems()
        place = _check_place(row, "", checks, current.countries)
        problems += [m.removeprefix(": ") for m in checks.items] + current.uncited(row)
        if place is not None:
            # A name kept as it was is not refused for an id another place has since taken.
            problems += [f"{f}: {m}" for f, m in current.ids_in_names(place, name=place.name != old.name)]
            links = _links_of(current, pid)
            dropped = [link for link in links if link.mode not in place.modes]
            if dropped:
                problems.append(f"modes: links use what would be dropped: {_listed_links(dropped)}")
            if links and not place.operational and old.operational:
                problems.append(f"status: links use it, and a planned place is not routed: {_listed_links(links)}")
            if (place.name, place.aliases, place.area, place.country) != (old.name, old.aliases, old.area, old.country):
                was, will = _names_alone(current, pid), _names_alone(current, pid, place)
                lost = _scenarios_naming(target, "places", lambda text: was(text) and not will(text))
                if lost:
                    problems.append(f"name: {', '.join(lost)} name it by a name it would lose: edit them first")
            relocated = (place.lat, place.lon) != (old.lat, old.lon)
            if relocated or place.country != old.country:
                ends = [p for link in links for p in (link.from_id, link.to_id)]
                if any(p not in current.full and p not in current.world for p in ends):
                    current = _read_current(target, ids=[pid, *ends], names=[n for n in names if n])
                parameters = _parameters_of(target) if relocated else None
                for link in links:
                    start, end = (place if p == pid else current.place(p) for p in (link.from_id, link.to_id))
                    if relocated:
                        short = link_length_problem(link, start, end)
                        problems += [short] if short else []
                        problems += link_speed_problems(link, start, end, parameters, where="")
                    domestic = cleared_inside_one_country(link, start, end)
                    problems += [domestic] if domestic else []
        lock.progress("row checked")
        moved = place is not None and (place.lat, place.lon, place.modes) != (old.lat, old.lon, old.modes)
        sea = place is not None and "sea" in place.modes and moved
        _check_files(target, lanes=not sea)
        if sea and place is not None and not problems:
            problem = _sea_problem("", place, _sea_access(target, [place]).get(place.id))
            problems += [problem] if problem else []
        if problems:
            raise DataError(f"cannot edit {pid}", problems)
        _test_hook("read")
        after = _replace_record(before, path, pid, row)
        lock.progress("writing")
        write_atomic(path, after)
    assert place is not None
    notes = _same_names([place], current, ()) if place.name != old.name or place.aliases != old.aliases else []
    if place.country != old.country:
        # Its rows in the operating tables (clearance, borders, hubs) now count for another country.
        named = _operating_rows_naming(target, place.id)
        if named:
            notes.append(
                f"{', '.join(named)} have rows for {place.id}: they now count for {place.country}, "
                f"not {old.country} (a clearance row of scope country is that country's figure)"
            )
    return Change(path, places=(place,), notes=tuple(notes))


def remove_place(root: str | os.PathLike[str] | None, place_id: str) -> Change:
    """Remove a place from a dataset's places table; refused while links use it or run through
    it (they are listed)."""
    target = writable_dataset(root)
    path = target / PLACES_FILE
    with locked(target) as lock:
        _remove_stale_temps(path)
        current = _read_current(target, ids=[place_id])
        pid, name = _curated(current, place_id, "remove")
        links = [link for link in current.links if pid in (link.from_id, link.to_id, *link.passes)]
        if links:
            raise DataError(
                f"cannot remove {name} ({pid}): {len(links)} link(s) use it: {_listed_links(links)}; "
                "remove them first with `corridor links remove ID`"
            )
        alone = _names_alone(current, pid)
        naming = _operating_rows_naming(target, pid) + _scenarios_naming(
            target, "places", lambda text: text.lower() == pid.lower() or alone(text)
        )
        if naming:
            raise DataError(f"cannot remove {name} ({pid}): {', '.join(naming)} name it: edit them first")
        _check_files(target, lanes=False)
        lock.progress("tables read")
        before = _read_bytes(path)
        _test_hook("read")
        after = _replace_record(before, path, pid, None)
        lock.progress("writing")
        write_atomic(path, after)
    place = current.full[pid]
    from .datasets import WPI_FILE, present, read_wpi

    world = read_wpi(target / WPI_FILE, current.countries or None) if present(target / WPI_FILE) else {}
    back = [f"the World Port Index entry {pid} stands again"] if pid in world else []
    return Change(path, places=(place,), notes=tuple(back))


def _find_link(current: _Current, link_id: str, verb: str) -> Link:
    for exact in (True, False):
        for link in current.links:
            if link.id == link_id if exact else link.id.lower() == link_id.lower():
                return link
    raise DataError(f"cannot {verb} link {link_id}: {current.root / LINKS_FILE} has no link with that id")


def edit_link(
    root: str | os.PathLike[str] | None,
    link_id: str,
    *,
    source: str | None = None,
    unset: Sequence[str] = (),
    **changes: Any,
) -> Change:
    """Change figures of a link (distance_km, time_h, time_back_h, frequency_per_week, one_way,
    current, via, name, notes, customs), validated first; `unset` clears optional ones (a distance
    unset is measured again). A changed figure cites `source`, or is marked as an unsourced edit."""
    target = writable_dataset(root)
    path = target / LINKS_FILE
    with locked(target) as lock:
        _remove_stale_temps(path)
        current = _read_current(target)
        old = _find_link(current, link_id, "edit")
        current = _read_current(target, ids=[old.from_id, old.to_id])
        _check_files(target)
        lock.progress("tables read")
        before = _read_bytes(path)
        old_row = _record_row(before, path, old.id)
        row, problems = _edited(old_row, changes, unset, LINK_EDITS, source)
        if row == old_row and not problems:
            raise DataError(f"cannot edit link {old.id}: nothing to change (give --FIELD VALUE or --unset FIELD)")
        a, b = current.place(old.from_id), current.place(old.to_id)
        parameters = _parameters_of(target)
        link, found = _link_problems(target, current, row, a, b, parameters)
        problems += found
        if link is not None and link.one_way != old.one_way:
            others = [other for other in current.links if other.id != old.id]
            twin = _duplicate_of(others, link.mode, link.from_id, link.to_id, link.one_way)
            if twin is not None:
                problems.append(f"one_way: link {twin.id} already runs between the same places")
        if problems:
            raise DataError(f"cannot edit link {old.id}", problems)
        lock.progress("link checked")
        _test_hook("read")
        after = _replace_record(before, path, old.id, row)
        lock.progress("writing")
        write_atomic(path, after)
    assert link is not None
    others = [other for other in current.links if other.id != old.id]
    notes, forward = _link_notes(_operations(target), link, a, b, others, parameters)
    return Change(path, links=(link,), notes=tuple(notes), measures=((forward.distance_km, forward.time_h),))


def remove_link(root: str | os.PathLike[str] | None, link_id: str) -> Change:
    """Remove a link from a dataset's links table; notes the places no route reaches any more."""
    target = writable_dataset(root)
    path = target / LINKS_FILE
    with locked(target) as lock:
        _remove_stale_temps(path)
        current = _read_current(target)
        link = _find_link(current, link_id, "remove")
        scenarios = _scenarios_naming(target, "links", lambda text: text.lower() == link.id.lower())
        if scenarios:
            raise DataError(f"cannot remove link {link.id}: {', '.join(scenarios)} name it: edit them first")
        current = _read_current(target, ids=[link.from_id, link.to_id])
        _check_files(target, lanes=False)
        lock.progress("tables read")
        before = _read_bytes(path)
        _test_hook("read")
        after = _replace_record(before, path, link.id, None)
        lock.progress("writing")
        write_atomic(path, after)
    notes = []
    others = [other for other in current.links if other.id != link.id]
    for pid in (link.from_id, link.to_id):
        place = current.place(pid)
        if not _links_of_list(others, pid) and "sea" not in place.modes:
            notes.append(f"{place.name} ({pid}): no route joins it to the network any more")
    return Change(path, links=(link,), notes=tuple(notes))


def _operating_rows_naming(target: Path, pid: str) -> list[str]:
    """Return the operating tables with a row for a place (hubs, borders, clearance, spreads,
    services, calls on the way): removing it would leave them naming an unknown place."""
    from .services import (
        BORDERS_FILE,
        CLEARANCE_FILE,
        HUBS_FILE,
        SERVICES_FILE,
        SPREADS_FILE,
        WAY_CALLS_FILE,
        read_operations,
    )  # fmt: skip

    try:
        ops = read_operations(target)
    except DataError:
        return []  # tables that do not read are `corridor validate`'s to report
    rows = {
        HUBS_FILE: pid in ops.hubs,
        BORDERS_FILE: any(key[0] == pid for key in ops.crossings),
        CLEARANCE_FILE: any(key[0] == pid for key in ops.clearance),
        SPREADS_FILE: pid in ops.spreads,
        SERVICES_FILE: any(pid in service.ports for service in ops.services),
        WAY_CALLS_FILE: any(pid in call.ports for call in ops.way_calls.values()),
    }
    return [str(name) for name, named in rows.items() if named]


def _names_alone(current: _Current, pid: str, place: Place | None = None) -> Callable[[str], bool]:
    """Return a test of whether a text (a name, alias or area, as a scenario may give) names the
    place `pid` and no other: in the places table as it is, or with `place` (its edit) in its
    stead. The index of names is built on the first text tested."""
    from .gazetteer import Gazetteer

    index: list[Gazetteer] = []

    def names(text: str) -> bool:
        if not index:
            light = _light_places(current)
            if place is not None:
                light[pid] = replace(
                    light[pid], name=place.name, country=place.country, aliases=place.aliases, area=place.area
                )
            index.append(Gazetteer(light, root=current.root))
        try:
            return index[0].resolve(text).place_ids == (pid,)
        except CorridorError:  # unknown or ambiguous: no scenario relies on it naming this place
            return False

    return names


def _scenarios_naming(target: Path, key: str, names: Callable[[str], bool]) -> list[str]:
    """Return the dataset's scenario files whose changes name a place or link (`key` "places" or
    "links") by a text `names` says is its own (an id; for a place, a name, alias or area too):
    removing it would break them (`corridor validate` says so too)."""
    import tomllib

    from ._fs import read_regular
    from .scenarios import MAX_SCENARIO_BYTES

    found = []
    for path in sorted((target / "scenarios").glob("*.toml")):
        try:  # a FIFO or a device is refused, never waited on (validate names it)
            raw = read_regular(path, "a scenario TOML file", limit=MAX_SCENARIO_BYTES)
            tables = tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))  # as load_scenario reads it
        except (DataError, UnicodeDecodeError, RecursionError, tomllib.TOMLDecodeError):
            continue
        changes = [c for value in tables.values() if isinstance(value, list) for c in value if isinstance(c, dict)]
        given = [str(v) for c in changes if isinstance(c.get(key), list) for v in c[key]]
        if any(names(v) for v in given):
            found.append(f"scenarios/{path.name}")
    return found


def _links_of_list(links: Sequence[Link], place_id: str) -> list[Link]:
    return [link for link in links if place_id in (link.from_id, link.to_id)]


def _link_rows(path: Path, layer: str | None) -> tuple[list[tuple[int, str, dict[str, str]]], list[tuple[int, str]]]:
    """Read the rows of a links file: CSV here (problems name a line), anything else through geopandas."""
    check_regular_file(path, "a file")
    if path.suffix.lower() not in (".csv", ".txt"):
        rows, found = _gis_rows(path, LINK_COLUMNS, layer=layer, geometry="LineString")
    else:
        _no_layers(path, layer)
        text = read_text(path, expected="a CSV file")
        if not text.strip():
            raise DataError(f"{path} is empty: expected CSV with a header")
        try:
            header = next(csv.reader(io.StringIO(text, newline="")), [])
        except csv.Error as exc:
            raise DataError(f"{path}:1: malformed CSV header ({exc})") from None
        unknown = [c for c in header if c not in LINK_COLUMNS]
        if unknown:
            raise DataError(
                f"{path}:1: unknown column(s) {', '.join(repr(c) for c in unknown)} "
                f"(columns: {', '.join(LINK_COLUMNS)})"
            )
        twice = sorted({c for c in header if header.count(c) > 1})
        if twice:
            raise DataError(f"{path}:1: column(s) {', '.join(repr(c) for c in twice)} appear more than once")
        rows = [(line, f"{path}:{line}", row) for line, row in iter_csv_rows(text, path=str(path), required=())]
        found = []
    if not rows and not found:
        raise DataError(f"{path} has no links to import")
    marker = f"estimate: imported from {path.name}, unsourced"
    for _, _, row in rows:
        for value, source in (
            ("distance_km", "distance_source"),
            ("time_h", "time_source"),
            ("time_back_h", "time_back_source"),
            ("frequency_per_week", "frequency_source"),
        ):
            if row.get(value) and not row.get(source):
                row[source] = marker
        row["mode"] = row.get("mode", "").strip().lower()
        row["one_way"] = row.get("one_way", "").strip().lower() or "no"
    return rows, found


def import_links(
    root: str | os.PathLike[str] | None, path: str | os.PathLike[str], *, layer: str | None = None
) -> Change:
    """Add every link of a file (CSV, or any format geopandas reads) to a dataset, or none if any is wrong.

    Columns are those of links.csv (`from`, `to` and `mode` required; ends by id or name); a
    LineString geometry, if any, draws the link through its inner points. Each row is checked
    as `add_link` checks one: ends serving the mode, ids free, no second link of a mode between
    the same places, lengths and speeds plausible. Every problem is reported with its line or
    feature, and nothing is written unless every row is sound.
    """
    target = writable_dataset(root)
    source = Path(path)
    rows, found = _link_rows(source, layer)
    out = target / LINKS_FILE
    with locked(target) as lock:
        _remove_stale_temps(out)
        ends = [row.get(c, "") for _, _, row in rows for c in ("from", "to") if row.get(c)]
        current = _read_current(target, ids=ends)
        _check_files(target)
        lock.progress("tables read")
        parameters = _parameters_of(target)
        problems: list[tuple[int, str]] = list(found)
        taken = {link.id.lower() for link in current.links}
        known = list(current.links)
        new: list[tuple[Link, Place, Place]] = []
        written: list[dict[str, str]] = []
        for order, where, row in rows:
            prefix = f"{where}: "
            before = len(problems)
            places: list[Place] = []
            for role in ("from", "to"):
                if not row.get(role):
                    problems.append((order, f"{prefix}{role}: is empty"))
                    continue
                try:
                    places.append(_resolve(current, row[role], role))
                except CorridorError as exc:  # unknown or ambiguous
                    problems.append((order, f"{prefix}{role}: {exc}"))
            if len(problems) > before:
                continue
            a, b = places
            row["from"], row["to"] = a.id, b.id
            row["id"] = row.get("id") or _link_id(row["mode"] or "link", a.id, b.id, taken)
            if row["id"].lower() in taken:
                problems.append((order, f"{prefix}id: link id {row['id']!r} is taken"))
            link, issues = _link_problems(target, current, row, a, b, parameters, where=prefix)
            problems += [(order, m) for m in issues]
            if link is not None:
                twin = _duplicate_of(known, link.mode, a.id, b.id, link.one_way)
                if twin is not None:
                    problems.append((order, f"{prefix}a {link.mode} link between {a.id} and {b.id} exists already "
                                     f"({twin.id}): change it with `corridor links edit {twin.id} ...`"))  # fmt: skip
            taken.add(row["id"].lower())
            if len(problems) == before and link is not None:
                known.append(link)
                new.append((link, a, b))
                written.append(row)
        lock.progress("links checked")
        if problems:
            raise DataError(f"cannot import {path}", [m for _, m in sorted(problems, key=lambda item: item[0])])
        data = _read_bytes(out)
        _test_hook("read")
        after = _append_rows(data, out, LINK_COLUMNS, written)
        lock.progress("writing")
        write_atomic(out, after)
    notes: list[str] = []
    measures = []
    operations = _operations(target)
    for link, a, b in new:
        others = [other for other in known if other is not link]  # the file's other links too
        found_notes, forward = _link_notes(operations, link, a, b, others, parameters)
        notes += found_notes
        measures.append((forward.distance_km, forward.time_h))
    return Change(out, links=tuple(link for link, _, _ in new), notes=tuple(notes), measures=tuple(measures))


def _parameters_of(root: Path):
    from .costing import Parameters

    return Parameters.from_files(root / PARAMETERS_FILE)


__all__ = [
    "UNSOURCED",
    "Change",
    "add_link",
    "add_place",
    "default_kind",
    "edit_link",
    "edit_place",
    "import_links",
    "import_places",
    "init_dataset",
    "locked",
    "place_row",
    "read_import",
    "remove_link",
    "remove_place",
    "writable_dataset",
    "write_atomic",
]
