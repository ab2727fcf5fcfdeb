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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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
from .errors import DataError, WriteError
from .validation import link_speed_problems, short_link_problem

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
    target = Path(target).expanduser()
    if os.path.lexists(target) and not (target.is_dir() and not target.is_symlink() and not any(target.iterdir())):
        what = (
            "a directory that is not empty"
            if target.is_dir()
            else ("a file" if target.is_file() else "not a directory")
        )
        raise WriteError(f"{target} is {what}: give a new directory for the dataset")
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
    items = re.split(r"[,;]", modes) if isinstance(modes, str) else list(modes)
    return [str(m).strip().lower() for m in items if str(m).strip()]


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

    def place(self, pid: str) -> Place:
        return self.full.get(pid) or self.world[pid]


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
        f"{root} has problems to fix before anything is added (see `corridor validate --data {root}`)",
        exc.problems or [str(exc)],
    )


def _read_current(root: Path, *, ids: Sequence[str] = (), names: Sequence[str] = ()) -> _Current:
    """Read what a write needs: every curated id, alias and (asked-for) name, the world ports
    still standing, the links, and in full the curated places `ids` names (any case)."""
    from .datasets import COUNTRIES_FILE, WPI_FILE, present, read_countries, read_links, read_wpi
    from .gazetteer import normalize

    try:
        countries = read_countries(root / COUNTRIES_FILE)
        world = read_wpi(root / WPI_FILE, countries or None) if present(root / WPI_FILE) else {}
        path = root / PLACES_FILE
        header, rows = iter_csv_cells(read_text(path), path=str(path), required=PLACE_REQUIRED)
        column = {name: header.index(name) for name in ("id", "name", "country")}
        alias_column = header.index("aliases") if "aliases" in header else None
        world_codes = {pid.upper() for pid in world} | {a.upper() for p in world.values() for a in p.aliases}
        world_names = {(p.country, normalize(t)) for p in world.values() for t in (p.name, *p.aliases)}
        world_countries = {country for country, _ in world_names}
        wanted = {pid.upper() for pid in ids}
        asked: dict[str, list] = {normalize(text): [] for text in names}
        taken: dict[str, tuple[str, str, str]] = {}
        aliases: dict[str, str] = {}
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
    except DataError as exc:
        raise _problems_to_fix(root, exc) from None
    return _Current(root, countries, taken, aliases, standing, full, asked, links)


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
        lanes, land = read_lanes(root), LandMask(root)
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
        for count, (order, where, row) in enumerate(rows, 1):
            if count % 5000 == 0:  # a large import: show waiting writers that this one is moving
                lock.progress(f"row {count} checked")
            checks = _Problems()
            place = _check_place(row, where, checks, current.countries)
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
                for alias in place.aliases:
                    if alias.upper() in current.ids:
                        checks.add(where, "aliases", f"{alias!r} is the id of {current.ids[alias.upper()][1]}")
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


def _read_rows(path: Path) -> tuple[list[tuple[int, str, dict[str, str]]], list[tuple[int, str]]]:
    check_regular_file(path, "a file")  # a directory or FIFO is named as such, never "does not exist"
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


def _feature_lines(text: str) -> tuple[list[object], list[int]]:
    """Return the features of a FeatureCollection and the line each starts on.

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
    return document["features"], lines


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
        features, lines = _feature_lines(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError, IndexError) as exc:
        raise DataError(f"{path} is not a GeoJSON FeatureCollection ({exc})") from None
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
            if len(numbers) in (2, 3) and None not in numbers:
                position = numbers[0], numbers[1]
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


def import_places(root: str | os.PathLike[str] | None, path: str | os.PathLike[str]) -> Change:
    """Add every place of a CSV or GeoJSON file to a dataset, or none if any row is wrong.

    Every problem is reported with its line (and column or property); rows are appended to
    places.csv in the file's order.
    """
    target = writable_dataset(root)
    rows, found = _read_rows(Path(path))
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

    target = Gazetteer(_light_places(current)).resolve(text)
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
) -> Change:
    """Add a rail, river or road service between two places (ids or names); return what changed.

    Both places must serve the mode. Without `distance_km` the link is measured along the
    straight line times the mode's circuity; without `time_h` its time follows the mode's
    speed. Each given figure cites `source`, or is marked as an unsourced estimate.
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
        if mode in MODES and mode != "sea":
            for place in (a, b):
                if mode not in place.modes:
                    how = (
                        f"add it to your places with its modes (`corridor ports add --id {place.id} ... "
                        f"--modes {','.join((*place.modes, mode))}`)"
                        if place.origin != "curated"
                        else f"add {mode} to its modes in {root / PLACES_FILE}"
                    )
                    problems.append(f"{place.name} ({place.id}) does not serve {mode} ({'/'.join(place.modes)}): {how}")
                elif not place.operational:
                    problems.append(f"{place.name} ({place.id}) is planned: a link to it would not be used")
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
        }  # fmt: skip
        checks = _Problems()
        link = parse_link_row(row, "link", checks)
        problems += [m.removeprefix("link: ") for m in checks.items]
        parameters = _parameters_of(root)
        if link is not None:
            # What the new link can break: its length against its ends, its speed against its mode.
            short = short_link_problem(link, a, b)
            problems += [short] if short else []
            problems += link_speed_problems(link, a, b, parameters, where="")
        if problems:
            raise DataError(f"cannot {what}", problems)
        lock.progress("link checked")

        before = _read_bytes(path)
        _test_hook("read")
        after = _append_rows(before, path, LINK_COLUMNS, [row])
        lock.progress("writing")
        write_atomic(path, after)

    notes_out = []
    forward = parameters.link(link, a, b, forward=True)
    if distance_km is None:
        notes_out.append(
            f"{lid}: no distance given, so it is measured: {forward.distance_km:,.0f} km "
            "(straight line x circuity); give --distance-km for the published figure"
        )
    for place in (a, b):
        if not any(place.id in (other.from_id, other.to_id) for other in current.links) and one_way:
            notes_out.append(
                f"{place.name} ({place.id}): its only link is one way, so routes "
                f"{'leave it but none reach it' if place is a else 'reach it but none leave it'}"
            )
    assert link is not None  # a row that does not parse is refused above
    return Change(path, links=(link,), notes=tuple(notes_out), measures=((forward.distance_km, forward.time_h),))


def _parameters_of(root: Path):
    from .costing import Parameters

    return Parameters.from_files(root / PARAMETERS_FILE)


__all__ = [
    "UNSOURCED",
    "Change",
    "add_link",
    "add_place",
    "default_kind",
    "import_places",
    "init_dataset",
    "locked",
    "place_row",
    "read_import",
    "writable_dataset",
    "write_atomic",
]
