"""Keep compiled networks on disk as plain arrays and JSON: private, checked, never executed.

A cache file is a 16-byte magic, a format number, a JSON header and raw little-endian arrays,
the SHA-256 of all that, then JSON sections, each with its SHA-256 in the header. Loading parses
JSON and copies numbers; nothing in a file can run code, and a file that fails any check is
ignored and rebuilt. A network is checked against the graph's contract when it is built, before
it is written; the checksums make sure that what is read is byte for byte what was checked: the
header's and the arrays' on every load, a section's when it is first read (a route reads none
of the large ones: the feeder links, the access paths). Files are mapped, not read, so a
section nobody reads costs nothing. The folder is created private (0700) and its files 0600;
a folder or file that another user owns or can write is not trusted.

The bundled dataset's network is compiled when the wheel is built (`hatch_build.py`) and ships
in the package, so the first route after installing builds nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import mmap
import os
import stat
import struct
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .costing import Parameters
from .datasets import Link, Parameter, Place, Source, bundled_data_dir, data_files
from .errors import DataError, WriteError
from .graph import Graph
from .registry import METRIC_NAMES
from .sealanes import Access
from .services import Canal, Clearance, Crossing, Hub, Operations, Service, Spread, WayCall

log = logging.getLogger(__name__)

MAGIC = b"CORRIDOR-NETWORK"
FORMAT = 14
PREBUILT = Path(__file__).parent / "_prebuilt" / "bundled.network"
# What the packaged network was built from (its header's fingerprint and data digests), beside it,
# so that a stale one (an editable install whose code or data changed) is passed over unread.
PREBUILT_IDENTITY = PREBUILT.with_name("bundled.identity.json")
_HEADER = struct.Struct("<16sIQQ")  # magic, format, JSON length, arrays' length
_CHECKSUM = hashlib.sha256().digest_size  # the header and arrays are followed by their SHA-256
# The arrays of graph.Graph and their typecodes.
ARRAYS = {
    "node_kind": "B", "node_place": "i", "node_mode": "B", "node_lane": "i", "indptr": "i", "head": "i",
    "tail": "i", "role": "B", "mode": "B", "passage": "B", "link": "i", "origin_node": "i",
    "destination_node": "i", "mode_nodes": "i", "transit_nodes": "i", "transit_block": "i", "inbound_nodes": "i",
    "category": "B",
    "rindptr": "i", "redges": "i", "spread": "d",
}  # fmt: skip

_warned: set[str] = set()


class CacheError(ValueError):
    """A cache file is not a network this version can use."""


# --------------------------------------------------------------------------- where


def cache_dir() -> Path:
    """Return the directory for cached networks ($CORRIDOR_CACHE, else the user's cache directory)."""
    explicit = os.environ.get("CORRIDOR_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "corridor"


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning("%s", message)


def _untrusted(st: os.stat_result) -> str:
    """Return why a file or folder of the cache cannot be trusted, or ''."""
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return "it belongs to another user"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "others can write to it"
    return ""


def _private_dir(path: Path) -> str:
    """Create `path` private if missing; return why it cannot be trusted, or ''."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
    except OSError as exc:
        return f"it cannot be created ({exc.strerror})"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a folder"
    return _untrusted(st)


def trusted_cache_dir() -> Path | None:
    """Return a private folder for cache files, or None when there is none to trust.

    When the configured folder is shared or foreign, a private folder of this user in the
    temporary directory is used instead, and the user is told once.
    """
    chosen = cache_dir()
    why = _private_dir(chosen)
    if not why:
        return chosen
    uid = os.geteuid() if hasattr(os, "geteuid") else 0
    import tempfile  # only when the user's cache folder is unusable

    fallback = Path(tempfile.gettempdir()) / f"corridor-cache-{uid}"
    fallback_why = _private_dir(fallback)
    if not fallback_why:
        _warn_once(f"not using the cache folder {chosen}: {why}; using {fallback}")
        return fallback
    _warn_once(f"not using the cache folder {chosen}: {why}; the network is built in memory")
    return None


# --------------------------------------------------------------------------- keys


def _code_files() -> list[Path]:
    here = Path(__file__).parent
    return sorted([*here.glob("*.py"), *here.glob("_core*.so"), *here.glob("_core*.pyd")])


def file_digest(path: Path) -> str:
    """Return the SHA-256 of a file's contents (a link is followed)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# A digest is remembered only for a file whose status last changed this long before it was read:
# an edit made in the same tick of the file system's clock as the reading would keep the times.
SETTLED_NS = 2_000_000_000
DIGESTS_FILE = "digests.json"


def file_digests(paths: list[Path], *, remember: bool = True) -> list[str]:
    """Return the SHA-256 of each file's contents, remembered between runs in the cache folder.

    A digest is used again only while the file's real path, size, inode, device, modification
    time and status-change time (ctime) are all as they were when it was read. The ctime is the
    kernel's: every write, rename over or `touch` sets it to the present, and neither `cp -p`,
    `rsync -t`, `touch -r` nor an archive can put it back, so a figure edited without changing
    the file's length ("12" made "13") is read again. As git does for its index, a file whose
    status changed less than `SETTLED_NS` before it was read is not remembered, so an edit within
    the same tick of the clock is not missed. This saves a warm route the 8 ms of reading the
    bundled dataset's 10 MB in full. `remember=False` reads every file and keeps nothing (the
    wheel build, which has no business in the user's cache folder).
    """
    directory = trusted_cache_dir() if remember else None
    memo_path = directory / DIGESTS_FILE if directory is not None else None
    memo: dict[str, list] = {}
    if memo_path is not None:
        memo = _digest_memos.get(memo_path) or _read_memo(memo_path)
        _digest_memos[memo_path] = memo
    out, changed = [], False
    for path in paths:
        real = os.path.realpath(path)
        st = os.stat(real)
        key = [st.st_size, st.st_ino, st.st_dev, st.st_mtime_ns, st.st_ctime_ns]
        kept = memo.get(real)
        if isinstance(kept, list) and len(kept) == 6 and kept[:5] == key and isinstance(kept[5], str):
            out.append(kept[5])
            continue
        read_at = time.time_ns()
        digest = file_digest(Path(real))
        out.append(digest)
        if st.st_ctime_ns < read_at - SETTLED_NS:
            memo[real] = [*key, digest]
            changed = True
    if changed and memo_path is not None:
        write(memo_path, json.dumps(memo, sort_keys=True).encode())
    return out


# The digests read from each folder's DIGESTS_FILE in this process (a load reads the code's and
# the data's in turn); every entry is still checked against its file's status before use.
_digest_memos: dict[Path, dict[str, list]] = {}


def _read_memo(path: Path) -> dict[str, list]:
    try:
        found = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def data_digests(root: Path, *, remember: bool = True) -> dict[str, str]:
    """Return each data file's SHA-256 by its path in the dataset: what a network was built from.

    Contents, not sizes and times: a figure edited without changing the file's length ("12" made
    "13") is a change, and so is one whose times were kept or put back (`cp -p`, `rsync -t`,
    `touch -r`, an archive). `file_digests` reads a file again whenever its status changed.
    """
    files = data_files(root)
    return {
        path.relative_to(root).as_posix(): digest
        for path, digest in zip(files, file_digests(files, remember=remember), strict=True)
    }


def fingerprint(root: Path, params_file: Path | None) -> str:
    """Hash what a network is built from: the contents of the code, the data and the parameters file.

    By content, as `data_digests` says why; a data file counts by its path in the dataset too
    (one renamed is a change). Where the dataset and the parameters file are found names the
    cache entry (`_entry`): two spellings of one folder, or a link to it, share one.
    """
    code = _code_files()
    inputs = {f"code/{path.name}": digest for path, digest in zip(code, file_digests(code), strict=True)}
    inputs.update({f"data/{name}": digest for name, digest in data_digests(root).items()})
    if params_file is not None:
        inputs["parameters"] = file_digests([params_file])[0]
    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{sys.version_info[:2]}|{sys.byteorder}".encode())
    digest.update(json.dumps(inputs, sort_keys=True).encode())
    return digest.hexdigest()


def _entry(directory: Path, root: Path, params_file: Path | None) -> Path:
    key = os.path.realpath(root) + "|" + (os.path.realpath(params_file) if params_file else "")
    return directory / f"network-{hashlib.sha256(key.encode()).hexdigest()[:20]}.bin"


def code_digest(*, remember: bool = True) -> str:
    """Return a digest of the package's Python sources: a packaged network is only used with the code that built it."""
    digest = hashlib.sha256()
    sources = sorted(Path(__file__).parent.glob("*.py"))
    for path, contents in zip(sources, file_digests(sources, remember=remember), strict=True):
        digest.update(path.name.encode() + b"\0" + contents.encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- format


def _rows(items: list, kind: type) -> dict:
    names = [f.name for f in dataclasses.fields(kind)]
    return {"fields": names, "rows": [[getattr(item, name) for name in names] for item in items]}


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _maker(table: dict, kind: type) -> Callable[[list], Any]:
    """Return a function making one `kind` from a row of `table` (lists become the tuples they were)."""
    names = table["fields"]
    fields = {f.name: f for f in dataclasses.fields(kind)}
    if set(names) != set(fields):
        raise CacheError(f"{kind.__name__} fields differ")
    tuples = [i for i, name in enumerate(names) if str(fields[name].type).startswith("tuple")]

    def make(row: list) -> Any:
        if len(row) != len(names):
            raise CacheError(f"a {kind.__name__} row has {len(row)} fields")
        values = list(row)
        for i in tuples:
            values[i] = _tuples(values[i])
        return kind(**dict(zip(names, values, strict=True)))

    return make


def _objects(table: dict, kind: type) -> list:
    make = _maker(table, kind)
    return [make(row) for row in table["rows"]]


K = TypeVar("K")
T = TypeVar("T")


class LazyRows(Mapping[str, T]):
    """Rows of a cached table by key, each made into its object when first asked for.

    A route reads a few places and no access paths: making all 3,800 of each up front
    would cost more than the search.
    """

    def __init__(self, table: dict, kind: type[T], key: str):
        self._make = _maker(table, kind)
        position = table["fields"].index(key)
        self._index: Mapping[str, Any] = {row[position]: row for row in table["rows"]}
        self._made: dict[str, T] = {}

    def _row(self, key: str) -> list:
        return self._index[key]

    def __getitem__(self, key: str) -> T:
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = self._make(self._row(key))
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the plain dict of every row made (the row maker is a closure)."""
        return dict, (dict(self.items()),)


class LazyLines(LazyRows[T]):
    """Rows of a cached table by key, each stored as a line of JSON of its own and decoded, then
    made into its object, when first asked for.

    The places are the largest table of the network file (1.2 MB of JSON for 3,800 places): a
    route reads a handful, and decoding them all took longer than the search. `lines()` gives the
    section's lines (read and checked on first use); `keys` are the rows' keys in line order.
    """

    def __init__(self, fields: list[str], kind: type[T], key: str, keys: list[str], lines: Callable[[], list[bytes]]):
        self._make = _maker({"fields": fields}, kind)
        self._key = fields.index(key)
        self._index = {k: i for i, k in enumerate(keys)}
        if len(self._index) != len(keys):
            raise CacheError(f"{kind.__name__} keys repeat")
        self._lines = Deferred(lambda: dict(enumerate(lines())))
        self._made = {}

    def _row(self, key: str) -> list:
        row = json.loads(self._lines[self._index[key]])
        if not isinstance(row, list) or len(row) <= self._key or row[self._key] != key:
            raise CacheError(f"the row of {key} is not its own")
        return row


class Deferred(Mapping[K, T]):
    """A mapping read from its section of a cache file the first time it is used.

    The sections a route rarely needs (the feeder links, the access paths, the other names of
    places) would otherwise cost more to decode than the route takes to find.
    """

    def __init__(self, load: Callable[[], Mapping[K, T]]):
        self._load: Callable[[], Mapping[K, T]] | None = load
        self._items: Mapping[K, T] = {}

    def _get(self) -> Mapping[K, T]:
        # Safe from several threads (the web server's): one that finds the section unread reads
        # it itself, and `_items` is set before `_load` is cleared.
        load = self._load
        if load is None:
            return self._items
        items = load()
        self._items = items
        self._load = None
        return items

    def __getitem__(self, key: K) -> T:
        return self._get()[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __contains__(self, key: object) -> bool:
        return key in self._get()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the plain dict of the section, read now (its reader is a closure)."""
        return dict, (dict(self._get()),)


# Parts of the header stored as sections of their own, decoded on first use.
SECTIONS = ("sea_links", "access", "passages_of", "waits", "other_names", "place_rows")
# Sections that hold lines of JSON, one per row, not one JSON value (`LazyLines`).
LINE_SECTIONS = ("place_rows",)


def _optional_int(value: Any) -> int | None:
    """Return a header's whole number or None; ValueError for anything else."""
    if value is None:
        return None
    if type(value) is not int or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _operations(table: dict) -> Operations:
    return Operations(
        hubs={h.id: h for h in _objects(table["hubs"], Hub)},
        services=_objects(table["services"], Service),
        crossings={(c.place_id, c.mode): c for c in _objects(table["crossings"], Crossing)},
        clearance={(c.place_id, c.direction): c for c in _objects(table["clearance"], Clearance)},
        spreads={s.place_id: s for s in _objects(table["spreads"], Spread)},
        canals={c.passage: c for c in _objects(table["canals"], Canal)},
        way_calls={c.passage: c for c in _objects(table["way_calls"], WayCall)},
    )


def dumps(network) -> bytes:
    """Return a network as the bytes of a cache file."""
    core: Graph = network.core
    arrays: dict[str, array] = {name: getattr(core, name) for name in ARRAYS}
    arrays.update({f"weight:{m}": core.weights[m] for m in METRIC_NAMES})
    arrays["lane_coords"] = array("d", [v for point in network.lane_coords for v in point])
    layout, blobs, offset = {}, [], 0
    for name, values in arrays.items():
        blob = values.tobytes() if sys.byteorder == "little" else _swapped(values)
        layout[name] = [values.typecode, offset, len(values)]
        blobs.append(blob + bytes(-len(blob) % 8))
        offset += len(blobs[-1])
    header = {
        "format": FORMAT,
        "version": __version__,
        "fingerprint": network.fingerprint,
        "corners_from": network.corners_from,
        "data_digests": network.data_digests,
        "root": str(network.root),
        "arrays": layout,
        "place_ids": core.place_ids,
        "place_countries": [network.places[pid].country for pid in core.place_ids],  # without decoding a place
        "passages": core.passages,
        "link_ids": core.link_ids,
        "categories": core.categories,
        "transit_layers": core.transit_layers,
        "places": {"fields": [f.name for f in dataclasses.fields(Place)]},  # rows: place_rows
        "links": _rows(list(network.links.values()), Link),
        "parameters": _rows(list(network.parameters.table.values()), Parameter),
        "sources": _rows(list(network.sources.values()), Source),
        "countries": network.countries,
        "customs_unions": network.customs_unions,
        "problems": network.problems,
        "warnings": network.warnings,
        "gazetteer": dict(network.gazetteer.to_data()),
        "operations": {
            "hubs": _rows(list(network.operations.hubs.values()), Hub),
            "services": _rows(network.operations.services, Service),
            "crossings": _rows(list(network.operations.crossings.values()), Crossing),
            "clearance": _rows(list(network.operations.clearance.values()), Clearance),
            "spreads": _rows(list(network.operations.spreads.values()), Spread),
            "canals": _rows(list(network.operations.canals.values()), Canal),
            "way_calls": _rows(list(network.operations.way_calls.values()), WayCall),
        },
        "sea_classes": dict(network.sea_classes),
    }
    header["gazetteer"].pop("names")  # a section of its own, other_names
    sections, tail, at = {}, [], 0
    for name in SECTIONS:
        blob = _section_blob(network, name)
        sections[name] = [at, len(blob), hashlib.sha256(blob).hexdigest()]
        tail.append(blob + bytes(-len(blob) % 8))
        at += len(tail[-1])
    header["sections"] = sections
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    padding = bytes(-(len(text) + _HEADER.size) % 8)
    head = _HEADER.pack(MAGIC, FORMAT, len(text), offset) + text + padding + b"".join(blobs)
    return head + hashlib.sha256(head).digest() + b"".join(tail)


def _section_blob(network, name: str) -> bytes:
    """Return a section of a network's cache file as its bytes: JSON, or lines of it."""
    data = _section_data(network, name)
    if name in LINE_SECTIONS:  # json.dumps escapes a line break inside a string: one row a line
        return "\n".join(json.dumps(row, separators=(",", ":"), allow_nan=False) for row in data).encode()
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()


def _section_value(name: str, blob: bytes) -> Any:
    """Return what a section's bytes hold: its JSON value, or its lines (`LINE_SECTIONS`)."""
    if name in LINE_SECTIONS:
        return blob.split(b"\n") if blob else []
    return json.loads(blob)


def _section_data(network, name: str) -> Any:
    """Return a section of a network's cache file as the JSON value it holds (`SECTIONS`)."""
    if name == "sea_links":
        return _rows(list(network.sea_links.values()), Link)
    if name == "access":
        return _rows(list(network.access.values()), Access)
    if name == "passages_of":
        return dict(network.passages_of)
    if name == "waits":
        return [[pid, mode, hours] for (pid, mode), hours in network.waits.items()]
    if name == "other_names":
        return network.gazetteer.to_data()["names"]
    if name == "place_rows":
        return _rows([network.places[pid] for pid in network.core.place_ids], Place)["rows"]
    raise ValueError(f"no section {name}")


def _swapped(values: array) -> bytes:
    copy = array(values.typecode, values)
    copy.byteswap()
    return copy.tobytes()


def loads(
    data: bytes | mmap.mmap,
    root: Path,
    *,
    accept: Callable[[dict], bool] | None = None,
    rebuild: Callable[[], Any] | None = None,
):
    """Return the network a cache file holds; raise CacheError for anything else.

    The header and arrays must be followed by their SHA-256, and each section must match the
    SHA-256 the header gives it: what was written after the network passed the graph's contract
    check at its build (the user's cache) or at the wheel's build (the packaged network), so the
    check is not run again. A section is read, and its checksum checked, when first used; one
    found damaged then is taken from `rebuild()` (the same network built again from its data),
    or raises CacheError without it. `accept`, when given, judges the header before the arrays
    and sections are read.
    """
    from .network import Network

    whole = memoryview(data)
    if len(whole) < _HEADER.size + _CHECKSUM:
        raise CacheError("too short")
    magic, version, length, body_size = _HEADER.unpack_from(whole)
    if magic != MAGIC or version != FORMAT:
        raise CacheError("not a corridor network of this format")
    end = _HEADER.size + length
    start = end + (-end % 8)
    checked = start + body_size
    if checked + _CHECKSUM > len(whole):
        raise CacheError("truncated")
    if hashlib.sha256(whole[:checked]).digest() != whole[checked : checked + _CHECKSUM]:
        raise CacheError("its contents do not match its checksum")
    content, tail = whole[:checked], whole[checked + _CHECKSUM :]
    try:
        header = json.loads(content[_HEADER.size : end].tobytes())
    except (ValueError, RecursionError) as exc:
        raise CacheError(f"bad header ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CacheError("bad header")
    if accept is not None and not accept(header):
        raise CacheError("not the network asked for")
    body = content[start:]
    arrays: dict[str, array] = {}
    try:
        for name, (typecode, offset, count) in header["arrays"].items():
            values = array(typecode)
            size = values.itemsize * count
            if not (isinstance(offset, int) and offset >= 0 and offset + size <= len(body)):
                raise CacheError(f"array {name} lies outside the file")
            values.frombytes(body[offset : offset + size])
            if sys.byteorder != "little":
                values.byteswap()
            arrays[name] = values
        expected = {**ARRAYS, **{f"weight:{m}": "d" for m in METRIC_NAMES}, "lane_coords": "d"}
        if {name: a.typecode for name, a in arrays.items()} != expected:
            raise CacheError("unexpected arrays")
        core = Graph(
            place_ids=list(header["place_ids"]),
            passages=list(header["passages"]),
            link_ids=list(header["link_ids"]),
            categories=[tuple(c) for c in header["categories"]],
            transit_layers=[str(name) for name in header["transit_layers"]],
            weights={m: arrays[f"weight:{m}"] for m in METRIC_NAMES},
            **{name: arrays[name] for name in ARRAYS},  # type: ignore[arg-type]
        )
        sections = header["sections"]
        if set(sections) != set(SECTIONS):
            raise CacheError("unexpected sections")
        for name, (offset, size, _digest) in sections.items():
            if not (isinstance(offset, int) and isinstance(size, int) and offset >= 0 and offset + size <= len(tail)):
                raise CacheError(f"section {name} lies outside the file")

        def section(name: str) -> Any:
            offset, size, digest = sections[name]
            blob = tail[offset : offset + size]
            try:
                if hashlib.sha256(blob).hexdigest() != digest:
                    raise CacheError(f"its section {name} does not match its checksum")
                return _section_value(name, blob.tobytes())
            except (ValueError, RecursionError) as exc:  # CacheError is a ValueError
                if rebuild is None:
                    raise CacheError(f"bad section {name} ({exc})") from None
                _warn_once(f"the cached network is damaged ({exc}): building it again")
                return _section_value(name, _section_blob(rebuild(), name))

        def place_lines() -> list[bytes]:
            lines = section("place_rows")
            if len(lines) != len(core.place_ids):
                raise CacheError("places and graph disagree")
            return lines

        places = LazyLines(list(header["places"]["fields"]), Place, "id", core.place_ids, place_lines)
        coords = arrays["lane_coords"]
        network = Network(
            core=core,
            places=places,
            links={link.id: link for link in _objects(header["links"], Link)},
            sea_links=Deferred(lambda: {link.id: link for link in _objects(section("sea_links"), Link)}),
            passages_of=Deferred(lambda: {k: tuple(v) for k, v in section("passages_of").items()}),
            parameters=Parameters({(p.name, p.scope): p for p in _objects(header["parameters"], Parameter)}),
            lane_coords=[(coords[i], coords[i + 1]) for i in range(0, len(coords), 2)],
            access=Deferred(lambda: LazyRows(section("access"), Access, "place_id")),
            root=root,
            sources={s.id: s for s in _objects(header["sources"], Source)},
            countries=dict(header["countries"]),
            customs_unions=dict(header["customs_unions"]),
            problems=list(header["problems"]),
            warnings=list(header["warnings"]),
            fingerprint=header["fingerprint"],
            corners_from=_optional_int(header["corners_from"]),
            operations=_operations(header["operations"]),
            sea_classes=dict(header["sea_classes"]),
            place_countries=[str(c) for c in header["place_countries"]],
            waits=Deferred(lambda: {(pid, mode): float(hours) for pid, mode, hours in section("waits")}),
        )
    except CacheError:
        raise
    except (KeyError, TypeError, ValueError, DataError) as exc:
        raise CacheError(f"bad contents ({type(exc).__name__}: {exc})") from None
    network.data_digests = header.get("data_digests")
    if isinstance(header.get("gazetteer"), dict):
        names = header["gazetteer"].get("names") or (lambda: section("other_names"))
        network.gazetteer_index = {**header["gazetteer"], "names": names}
    return network


# --------------------------------------------------------------------------- files


def _map(fd: int, size: int) -> bytes | mmap.mmap:
    """Map an open file for reading (its pages are read when touched); an empty one is b""."""
    return mmap.mmap(fd, 0, access=mmap.ACCESS_READ) if size else b""


def _read_private(path: Path) -> bytes | mmap.mmap | None:
    """Map a cache file if it is a regular file of this user that nobody else can write.

    Cache files are replaced by renaming, never rewritten in place, so a mapped file stays the
    one that was checked."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        why = _untrusted(st)
        if why:
            _warn_once(f"ignoring the cache file {path}: {why}")
            return None
        return _map(fd, st.st_size)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


def _read_packaged(path: Path) -> bytes | mmap.mmap:
    """Map the packaged network (installed with the package, not the user's to guard)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return _map(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def write(path: Path, data: bytes) -> None:
    """Write a cache file privately (0600) and atomically; a failure is only logged."""
    from ._fs import write_atomic

    try:
        write_atomic(path, data, mode=0o600)
    except WriteError as exc:
        log.debug("%s", exc)


def _once(make: Callable[[], T]) -> Callable[[], T]:
    """Return a function that calls `make` the first time (from any thread) and then returns that."""
    lock = threading.Lock()
    made: list[T] = []

    def once() -> T:
        with lock:
            if not made:
                made.append(make())
            return made[0]

    return once


def _prebuilt(root: Path):
    """Return the packaged network of the bundled dataset when it matches the data beside it."""
    from .network import build_from

    if not PREBUILT.is_file() or os.path.realpath(root) != os.path.realpath(bundled_data_dir()):
        return None

    identity = {"data_digests": data_digests(root), "fingerprint": f"packaged:{code_digest()}"}

    def matches(header: dict) -> bool:  # an identity from before the digests (data_sizes) matches nothing
        return all(header.get(key) == value for key, value in identity.items())

    try:
        if PREBUILT_IDENTITY.is_file() and not matches(json.loads(PREBUILT_IDENTITY.read_bytes())):
            log.debug("passing over the packaged network: it was built from other data or code")
            return None
        return loads(_read_packaged(PREBUILT), root, accept=matches, rebuild=_once(lambda: build_from(root)))
    except (OSError, ValueError, DataError) as exc:  # CacheError and a bad identity file are ValueErrors
        log.debug("ignoring the packaged network (%s): it does not match the bundled data or this code", exc)
        return None


def compile_bundled(root: Path, path: Path) -> None:
    """Build the network of the dataset at `root` and write it to `path` as the packaged network.

    The wheel build runs this (`hatch_build.py`); the network is checked against the graph
    contract as every build is, and records the SHA-256 of each data file (`data_digests`) and a
    digest of the code, so that it is only used beside the data and with the code it was built
    from; both are written beside it too (`PREBUILT_IDENTITY`), to pass over a stale one without
    reading it.
    """
    from .network import build_from

    network = build_from(root)
    network.fingerprint = f"packaged:{code_digest(remember=False)}"
    network.data_digests = data_digests(root, remember=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps(network))
    identity = {"data_digests": network.data_digests, "fingerprint": network.fingerprint}
    path.with_name(PREBUILT_IDENTITY.name).write_text(json.dumps(identity, sort_keys=True), encoding="utf-8")


def load_or_build(root: Path, params_file: Path | None, build: Callable[[Path, Path | None], Any]):
    """Return the network of a dataset from the packaged build or the cache, else build and cache it."""
    started = time.perf_counter()
    if params_file is None:
        network = _prebuilt(root)
        if network is not None:
            log.debug("loaded the packaged network %s in %.0f ms", PREBUILT, 1000 * (time.perf_counter() - started))
            return network
    key = fingerprint(root, params_file)
    directory = trusted_cache_dir()
    path = _entry(directory, root, params_file) if directory is not None else None

    def build_and_keep():
        started = time.perf_counter()
        network = build(root, params_file)
        network.fingerprint = key
        changed = fingerprint(root, params_file) != key  # a writer changed the data while it was read
        where = f"; caching it in {path}" if path is not None else " (no private cache folder to keep it in)"
        if changed:
            where = "; not caching it: the data changed while it was read"
        log.debug("built the network in %.1f s%s", time.perf_counter() - started, where)
        if path is not None and not changed:
            from ._fs import sweep_temps

            sweep_temps(path.parent)
            write(path, dumps(network))
        return network

    if path is not None:
        data = _read_private(path)
        if data is not None:
            try:
                network = loads(data, root, rebuild=_once(build_and_keep))
            except (CacheError, DataError) as exc:
                log.debug("ignoring the cache %s: %s", path, exc)
            else:
                if network.fingerprint == key:
                    log.debug("loaded the cached network %s in %.0f ms", path, 1000 * (time.perf_counter() - started))
                    return network
                log.debug("the cached network %s is of other data or code: building it again", path)
    return build_and_keep()
