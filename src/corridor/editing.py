"""Write user additions to a dataset (init, places, links, imports): validated first, locked, atomic."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import logging
import math
import os
import re
import shutil
import stat
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .datasets import (
    LINK_COLUMNS,
    LINKS_FILE,
    LIST_SEPARATOR,
    MODES,
    PLACE_COLUMNS,
    PLACES_FILE,
    Dataset,
    Link,
    Place,
    _Problems,
    bundled_data_dir,
    data_files,
    dataset_dir,
    is_inside_installed_package,
    iter_csv_rows,
    load_dataset,
    parse_link_row,
    parse_place_row,
    read_text,
)
from .errors import DataError, WriteError
from .validation import Report, validate_dataset

log = logging.getLogger(__name__)

UNSOURCED = "estimate: added by user, unsourced"
LOCK_FILE = ".corridor.lock"
LOCK_TIMEOUT_S = 60.0
IMPORT_REQUIRED = ("id", "name", "country", "lat", "lon", "modes")
# Figures a place row may carry, each with the column naming its source.
PLACE_FIGURES = (
    ("handling_h", "handling_source"),
    ("handling_usd", "handling_source"),
    ("dwell_h", "dwell_source"),
    ("sea_departures_per_week", "sea_departures_source"),
)
# Characters that have no place in a one-line table cell. Surrogates are what undecodable bytes
# in a command line become; they cannot be written as UTF-8.
_BAD_CATEGORIES = {"Cc": "a control character", "Cs": "an undecodable byte", "Zl": "a line break", "Zp": "a line break"}


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


def _test_hook(stage: str) -> None:
    """Mark reaching a stage of a write, and pause there if asked: for crash and concurrency tests.

    With CORRIDOR_TEST_HOOK_DIR set, reaching a stage creates a file of that name in the
    directory; a stage listed in CORRIDOR_TEST_PAUSE (comma-separated) then waits until a file
    `STAGE.release` appears there (or two minutes pass). Unset, this does nothing.
    """
    directory = os.environ.get("CORRIDOR_TEST_HOOK_DIR")
    if not directory:
        return
    marker = Path(directory) / stage
    marker.touch()
    if stage in os.environ.get("CORRIDOR_TEST_PAUSE", "").split(","):
        release = marker.with_name(f"{stage}.release")
        deadline = time.monotonic() + 120
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.01)


def _temp_prefix(path: Path) -> str:
    # A dot file: dataset readers and cache keys skip it, so a crash leaves nothing they see.
    return f".{path.name}."


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` by `data` so that a crash at any moment leaves the old file or the new one.

    Writes a temporary file in the same directory, flushes and fsyncs it, renames it over
    `path` (atomic on POSIX), then fsyncs the directory so the rename itself is durable.
    """
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror}") from None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            half = len(data) // 2
            handle.write(data[:half])
            handle.flush()
            _test_hook("partial")
            handle.write(data[half:])
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        _test_hook("written")
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}; it is unchanged") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _test_hook("replaced")
    _fsync_dir(path.parent)


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a directory; the rename is done regardless
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(root: Path, *, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the dataset's write lock: one writer at a time reads, validates and writes."""
    try:
        import fcntl
    except ImportError:  # not POSIX: writes stay atomic, but concurrent writers are not serialised
        fcntl = None
    try:
        fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WriteError(f"cannot write to {root}: {exc.strerror}") from None
    try:
        if fcntl is not None:
            deadline = time.monotonic() + timeout_s
            waiting = False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not waiting:
                        waiting = True
                        log.info("waiting for another corridor command writing to %s", root)
                        _test_hook("lock-wait")
                    if time.monotonic() > deadline:
                        raise WriteError(
                            f"another corridor command has been writing to {root} for {timeout_s:.0f} s; "
                            "try again when it ends"
                        ) from None
                    time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _remove_stale_temps(path: Path) -> None:
    """Remove temporary files a killed writer left beside `path` (call with the lock held)."""
    for stale in path.parent.glob(f"{_temp_prefix(path)}*.tmp"):
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


def init_dataset(target: str | os.PathLike[str], *, source: str | os.PathLike[str] | None = None) -> Path:
    """Create an editable dataset at `target`: a copy of `source` (default: the bundled dataset).

    `target` must not exist or be an empty directory. The copy is made beside it and renamed
    into place, so an interrupted init leaves no half dataset.
    """
    origin = dataset_dir(source) if source is not None else bundled_data_dir()
    target = Path(target).expanduser()
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        what = "a directory that is not empty" if target.is_dir() else "a file"
        raise WriteError(f"{target} is {what}: give a new directory for the dataset")
    if target.resolve() == origin.resolve() or origin.resolve() in target.resolve().parents:
        raise WriteError(f"{target} is inside the dataset {origin} it would copy: give another directory")
    staging = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.init-"))
        for file in data_files(origin):
            copy = staging / file.relative_to(origin)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, copy)
            os.chmod(copy, 0o644)
            _fsync_file(copy)  # durable before the rename publishes the directory
        os.chmod(staging, 0o755)
        os.replace(staging, target)  # onto an empty directory, or a new name
        staging = None
    except OSError as exc:
        raise WriteError(f"cannot create {target}: {exc.strerror or exc}") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    _fsync_dir(target.parent)
    log.info("copied %d files from %s", len(data_files(target)), origin)
    return target


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


def _text_problems(row: dict[str, str], where: str, problems: _Problems) -> set[str]:
    """Record cells that are not one line of text; return their columns (one value is told once)."""
    flagged: dict[str, str] = {}
    for column, value in row.items():
        what = next((_BAD_CATEGORIES[c] for c in map(unicodedata.category, value) if c in _BAD_CATEGORIES), None)
        if what and value not in flagged.values():
            bad = next(ch for ch in value if unicodedata.category(ch) in _BAD_CATEGORIES)
            problems.add(where, column, f"contains {what} ({bad!a}): give one line of UTF-8 text")
        if what:
            flagged[column] = value
    return set(flagged)


def _check_place(row: dict[str, str], where: str, problems: _Problems, countries: dict[str, str]) -> Place | None:
    own = _Problems()
    flagged = _text_problems(row, where, own)
    checked = _Problems()
    place = parse_place_row(row, where, checked, countries or None)
    # The table's own rules also refuse control characters in a name: keep one message per column.
    own.items += [m for m in checked.items if not any(m.startswith(f"{where}: {c}: ") for c in flagged)]
    problems.items += own.items
    return place if not own.items else None


def _load_current(root: Path) -> Dataset:
    try:
        return load_dataset(root)
    except DataError as exc:
        raise DataError(
            f"{root} has problems to fix before anything is added (see `corridor validate --data {root}`)",
            exc.problems or [str(exc)],
        ) from None


def _append_rows(before: bytes, path: Path, columns: Sequence[str], rows: Sequence[dict[str, str]]) -> bytes:
    """Return `before` with rows appended in its own column order and line endings.

    Every existing byte is kept as it is; a table without a header gets one.
    """
    text = before.decode("utf-8-sig", errors="replace")
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error:
        header = None  # the trial load reports the malformed table
    terminator = "\r\n" if text.split("\n", 1)[0].endswith("\r") else "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=terminator)
    if not header:
        header = list(columns)
        writer.writerow(header)
        before = b""
    elif not before.endswith((b"\n", b"\r")):
        before += terminator.encode()
    missing = sorted({c for row in rows for c, v in row.items() if v and c not in header})
    if missing:
        raise DataError(f"{path} has no column {', '.join(missing)} for the new values: add it to the header")
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return before + out.getvalue().encode("utf-8")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from None


# --------------------------------------------------------------------------- trial


def _trial(root: Path, replacements: dict[Path, bytes]) -> Report:
    """Validate the dataset as it would be with `replacements` (relative path to new content).

    The candidate is a directory of links to the dataset's files, with the replaced files
    written for real, so it is read exactly as a dataset would be (World Port Index merge,
    lanes, land) without copying the large files. Paths in messages name the real dataset.
    """
    with tempfile.TemporaryDirectory(prefix="corridor-trial-") as tmp:
        shadow = Path(tmp) / "dataset"
        shadow.mkdir()
        for file in data_files(root):
            relative = file.relative_to(root)
            if relative in replacements:
                continue
            (shadow / relative).parent.mkdir(parents=True, exist_ok=True)
            (shadow / relative).symlink_to(file.absolute())
        for relative, data in replacements.items():
            (shadow / relative).parent.mkdir(parents=True, exist_ok=True)
            (shadow / relative).write_bytes(data)
        report = validate_dataset(shadow)
    report.root = root
    report.problems = [
        dataclasses.replace(p, message=p.message.replace(str(shadow), str(root))) for p in report.problems
    ]
    return report


def _refuse_blocking(report: Report, root: Path, what: str) -> None:
    """Raise when the candidate has errors, telling new ones from ones already in the dataset."""
    blocking = [p.message for p in report.blocking()]
    if not blocking:
        return
    existing = set(validate_dataset(root).errors)
    new = [m for m in blocking if m not in existing]
    if new:
        raise DataError(f"cannot {what}: the dataset would have problems; nothing was written", new)
    raise DataError(
        f"{root} has problems to fix before anything is added (see `corridor validate --data {root}`)", blocking
    )


def _sea_access(root: Path, places: Sequence[Place]) -> dict:
    """Join seaports to the dataset's sea lanes as the network would (also planned ones)."""
    from .sealanes import LandMask, attach_ports, join_near_misses, read_lanes

    lanes, land = read_lanes(root), LandMask(root, lazy=True)
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
    row = place_row(aliases=aliases, **fields)
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
    """
    path = root / PLACES_FILE
    with locked(root):
        _remove_stale_temps(path)
        current = _load_current(root)
        problems: list[tuple[int, str]] = list(found)
        new: list[tuple[int, str, Place]] = []
        # Curated ids and aliases are taken; a World Port Index id may be given to a new place,
        # which then stands in for that port (curated places win the merge).
        curated = [p for p in current.places.values() if p.origin == "curated"]
        taken_ids = {p.id.upper(): p for p in curated}
        taken_aliases = {a.upper(): p for p in curated for a in p.aliases}
        seen: dict[str, str] = {}
        for order, where, row in rows:
            checks = _Problems()
            place = _check_place(row, where, checks, current.countries)
            if place is not None:
                key = place.id.upper()
                if key in seen:
                    checks.add(where, "id", f"duplicate id {place.id!r} (first at {seen[key]})")
                elif key in taken_ids:
                    other = taken_ids[key]
                    checks.add(where, "id", f"duplicate id {place.id!r}: {other.name} ({other.country}) has it")
                elif key in taken_aliases:
                    other = taken_aliases[key]
                    checks.add(where, "id", f"{place.id!r} is an alias of {other.name} ({other.id})")
                for alias in place.aliases:
                    if alias.upper() in taken_ids:
                        checks.add(where, "aliases", f"{alias!r} is the id of {taken_ids[alias.upper()].name}")
                seen.setdefault(key, where or "this command")
            if checks.items:
                problems += [(order, m.removeprefix(": ")) for m in checks.items]
            else:
                new.append((order, f"{where}: " if where else "", place))
        sea = [(order, where, p) for order, where, p in new if "sea" in p.modes]
        if problems:
            if sea:  # also say which of the sound rows are seaports that cannot join the lanes
                access = _sea_access(root, [p for *_, p in sea])
                problems += [(o, m) for o, w, p in sea if (m := _sea_problem(w, p, access.get(p.id)))]
            raise DataError(f"cannot {what}", [m for _, m in sorted(problems, key=lambda item: item[0])])

        before = _read_bytes(path)
        _test_hook("read")
        after = _append_rows(before, path, PLACE_COLUMNS, [row for _, _, row in rows])
        report = _trial(root, {PLACES_FILE: after})
        if report.network is not None and sea:
            access = dict(report.network.access)
            planned = [p for *_, p in sea if not p.operational]  # the network joins operational ports only
            if planned:
                access.update(_sea_access(root, planned))
            refused = [m for _, w, p in sea if (m := _sea_problem(w, p, access.get(p.id)))]
            if refused:
                raise DataError(f"cannot {what}", refused)
        _refuse_blocking(report, root, what)
        write_atomic(path, after)

    added = [p for *_, p in new]
    ids = {p.id for p in added}
    notes = [p.message for p in report.problems if p.place_id in ids]
    notes += _nearby_world_ports(added, report.network.places)
    after_merge = report.network.places
    replaced = sorted(
        pid
        for pid, p in current.places.items()
        if p.origin == "wpi" and (pid not in after_merge or after_merge[pid].origin != "wpi")
    )
    return Change(path, places=tuple(added), replaced=tuple(replaced), notes=tuple(notes))


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
    if not path.is_file():
        raise DataError(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
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
        return _WHITESPACE.match(text, i).end()

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


def _resolve(dataset: Dataset, text: str, role: str) -> Place:
    from .gazetteer import Gazetteer

    target = Gazetteer(dataset.places, root=dataset.root).resolve(text)
    if target.is_area:
        members = ", ".join(target.place_ids)
        raise DataError(f"{role} {text!r} names the area {target.area}: give one of its places ({members})")
    return dataset.places[target.place_ids[0]]


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
    with locked(root):
        _remove_stale_temps(path)
        current = _load_current(root)
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
        flagged = _text_problems(row, "link", checks)
        parsed = _Problems()
        link = parse_link_row(row, "link", parsed)
        checks.items += [m for m in parsed.items if not any(m.startswith(f"link: {c}: ") for c in flagged)]
        problems += [m.removeprefix("link: ") for m in checks.items]
        if problems:
            raise DataError(f"cannot {what}", problems)

        before = _read_bytes(path)
        _test_hook("read")
        after = _append_rows(before, path, LINK_COLUMNS, [row])
        report = _trial(root, {LINKS_FILE: after})
        _refuse_blocking(report, root, what)
        write_atomic(path, after)

    network = report.network
    notes_out = []
    forward = network.parameters.link(link, network.places[a.id], network.places[b.id], forward=True)
    if distance_km is None:
        notes_out.append(
            f"{lid}: no distance given, so it is measured: {forward.distance_km:,.0f} km "
            "(straight line x circuity); give --distance-km for the published figure"
        )
    notes_out += [p.message for p in report.problems if p.place_id in (a.id, b.id)]
    return Change(path, links=(link,), notes=tuple(notes_out), measures=((forward.distance_km, forward.time_h),))


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
