"""The corridor's operating rules, read from data: port classes and hubs, sea services, border
crossings and breaks of gauge, customs clearance at gateways, and the spreads of delays.

Every table is optional (a dataset without one simply has no such rule) and checked like the
others: each problem as `file:line: column: message`, every figure with its source or marked
as an estimate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .datasets import Place, _Problems, iter_csv_rows, read_text, split_list
from .errors import DataError
from .sealanes import PASSAGES

HUBS_FILE = Path("sea/hubs.csv")
SERVICES_FILE = Path("sea/services.csv")
BORDERS_FILE = Path("borders.csv")
CLEARANCE_FILE = Path("clearance.csv")
SPREADS_FILE = Path("spreads.csv")
CANALS_FILE = Path("sea/canals.csv")
WAY_CALLS_FILE = Path("sea/calls_on_the_way.csv")
OPERATION_FILES = (HUBS_FILE, SERVICES_FILE, BORDERS_FILE, CLEARANCE_FILE, SPREADS_FILE, CANALS_FILE, WAY_CALLS_FILE)

SEA_CLASSES = ("mainline", "feeder")
VESSEL_CLASSES = ("mainline", "feeder", "roro", "river_sea")
# Services of these classes become links of their own; mainline services only mark their
# ports as mainline ports (mainline ships sail the lanes between any two of them).
LINKED_CLASSES = ("feeder", "roro", "river_sea")
DIRECTIONS = ("import", "export")


@dataclass(frozen=True)
class Hub:
    """A port where ships change: its class and what a transshipment there costs."""

    id: str
    name: str
    role: str  # hub | gateway | port
    sea_class: str  # mainline | feeder | "" (from the rules)
    transship_h: float | None
    transship_h_p90: float | None
    transship_usd: float | None
    source: str  # the sources of its figures, joined


@dataclass(frozen=True)
class Service:
    """A published sea service: its ports in order of call, frequency, speed and transit time."""

    id: str
    name: str
    ports: tuple[str, ...]
    frequency_per_week: float
    speed_kn: float | None
    transit_h: float | None
    transit_from: str
    transit_to: str
    vessel_class: str
    status: str
    source: str

    @property
    def operational(self) -> bool:
        return self.status == "operational"


@dataclass(frozen=True)
class Crossing:
    """Crossing a border (or a break of gauge) at a place by one mode."""

    place_id: str
    mode: str
    name: str
    crossing_h: float
    crossing_h_p90: float
    cost_usd: float
    gauge_break: bool
    lift_h: float
    lift_usd: float
    source: str
    # Whether borders.csv gives the crossing's fees (`cost_usd`); where it does not, none are
    # charged and a route that crosses there says so (`provenance.fees_not_charged`).
    cost_given: bool = True
    # The country whose import clearance is charged to cargo entering it by this crossing (an
    # ISO code), where the crossing's time holds only transit formalities and the cargo clears at
    # its destination inland; "" where the crossing holds both countries' customs.
    entry_clearance: str = ""


@dataclass(frozen=True)
class Clearance:
    """Customs clearance of cargo entering (import) or leaving (export) a country at a gateway."""

    place_id: str
    direction: str
    h: float
    h_p90: float
    usd: float
    source: str
    # The figures hold the port's own handling (the World Bank's border compliance does), so a
    # transfer that charges them does not charge the place's handling on top (`beside`).
    includes_handling: bool = False
    # Where the row holds: "port" (its place alone), "country" (also every seaport of its country
    # without a row of its own), or "" (the country too, unless another row of it says "country").
    scope: str = ""
    # Charged on a land link through a border crossing whose time holds both countries' customs
    # (`network.link_clearance`): the row's cost alone, its hours left to the crossing (h = 0).
    at_crossing: bool = False
    # The country it is charged for where that is not the country of `place_id`: a member of a
    # customs union with no row of its own charges the union's (`network.clearance_lookup`).
    for_country: str = ""

    def country(self, places: Mapping[str, Place]) -> str:
        """The country this clearance is charged for."""
        return self.for_country or places[self.place_id].country

    def beside(self, handling_h: float, handling_usd: float) -> tuple[float, float]:
        """Return the (hours, USD) this clearance adds to a transfer that also charges the place's
        handling: all of it, or where its figures include handling, what exceeds the handling."""
        if not self.includes_handling:
            return self.h, self.usd
        return max(0.0, self.h - handling_h), max(0.0, self.usd - handling_usd)


@dataclass(frozen=True)
class Spread:
    """How bad a delay gets: the 90th percentile beside the typical figure, for a place."""

    place_id: str
    typical_h: float
    p90_h: float
    source: str


@dataclass(frozen=True)
class Canal:
    """A canal's published transit: slower than sailing, in convoys or through locks.

    `transit_h` is the time from one end to the other and `length_km` the length it covers; the
    build charges what the transit takes beyond sailing that length at service speed on one lane
    segment inside the canal, near (`lon`, `lat`), so a voyage pays it once.
    """

    passage: str
    name: str
    transit_h: float
    transit_h_p90: float
    length_km: float
    lon: float
    lat: float
    source: str


@dataclass(frozen=True)
class WayCall:
    """A call mainline ships make on the way past a strait or along a coast, at one of its ports.

    Asia-Europe and Asia-Middle East rotations call at Singapore, Tanjung Pelepas or Port Klang
    as they pass the Strait of Malacca, and at a South China port on their way south from north
    of Taiwan. The build charges `call_h` on every lane segment that crosses one of the `gates`,
    lines ((lon, lat), (lon, lat)) from shore to shore, so a mainline voyage past them pays the
    call once whichever lane it takes. A voyage that starts or ends at a port within `zone_km` of
    one of `ports`, of a gate or of the passage's tagged lanes makes no other call there: the build
    lets it cross the gates without the charge. `passage` names the call: a sea passage as
    `--avoid` takes it (whose tagged lanes then count as part of the zone), or a name of its own.
    """

    passage: str
    name: str
    call_h: float
    call_h_p90: float
    ports: tuple[str, ...]
    zone_km: float
    gates: tuple[tuple[tuple[float, float], tuple[float, float]], ...]
    source: str


@dataclass
class Operations:
    """Everything the operating tables say."""

    hubs: dict[str, Hub] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    crossings: dict[tuple[str, str], Crossing] = field(default_factory=dict)
    clearance: dict[tuple[str, str], Clearance] = field(default_factory=dict)
    spreads: dict[str, Spread] = field(default_factory=dict)
    canals: dict[str, Canal] = field(default_factory=dict)
    way_calls: dict[str, WayCall] = field(default_factory=dict)

    def canals_by_tag(self) -> dict[str, Canal]:
        """The canals by the passage tag their lane segments carry (`sealanes.PASSAGES`)."""
        return {PASSAGES[c.passage]: c for c in self.canals.values()}

    def mainline_service_ports(self) -> set[str]:
        """Ports that an operational mainline service calls at."""
        return {p for s in self.services if s.operational and s.vessel_class == "mainline" for p in s.ports}


def _sourced(row: dict[str, str], where: str, problems: _Problems, pairs: tuple[tuple[str, str], ...]) -> str:
    """Check each figure column has its source column; return the sources joined."""
    out = []
    for value, source in pairs:
        if row.get(value) and not row.get(source):
            problems.add(where, source, f"is empty while {value} is set: cite a source or write 'estimate'")
        if row.get(source):
            out.append(f"{value}: {row[source]}")
    return "; ".join(out)


def _hours_and_p90(
    problems: _Problems,
    row: dict[str, str],
    where: str,
    typical: str,
    p90: str,
    *,
    required: bool = True,
    hi: float = 24 * 60,
) -> tuple[float | None, float | None]:
    """Read a typical time and its bad case (hours, the bad case up to 1.5 times `hi`); a bad case
    below the typical is a problem."""
    hours = problems.number(row, typical, where, required=required, lo=0, hi=hi)
    worst = problems.number(row, p90, where, required=required, lo=0, hi=hi * 1.5)
    if hours is not None and worst is not None and worst < hours:
        problems.add(where, p90, f"{worst:g} is below the typical {hours:g}")
    return hours, worst


def _rows(path: Path, required: tuple[str, ...]):
    if not path.exists() and not path.is_symlink():
        return None
    return iter_csv_rows(read_text(path), path=str(path), required=required)


def read_hubs(path: Path, problems: _Problems) -> dict[str, Hub]:
    rows = _rows(path, ("id", "name", "role", "transship_h", "transship_usd"))
    hubs: dict[str, Hub] = {}
    for line, row in rows or ():
        where = f"{path}:{line}"
        start = len(problems.items)
        sea_class = row.get("class", "")
        if sea_class and sea_class not in SEA_CLASSES:
            problems.add(where, "class", f"{sea_class!r} is not one of {', '.join(SEA_CLASSES)}")
        hours, p90 = _hours_and_p90(problems, row, where, "transship_h", "transship_h_p90", required=False, hi=24 * 30)
        usd = problems.number(row, "transship_usd", where, lo=0, hi=10_000)
        source = _sourced(
            row, where, problems,
            (("class", "class_source"), ("transship_h", "transship_source"), ("transship_h_p90", "p90_source"),
             ("transship_usd", "usd_source")),
        )  # fmt: skip
        if not row["id"]:
            problems.add(where, "id", "is empty")
        elif row["id"] in hubs:
            problems.add(where, "id", f"{row['id']!r} is listed twice")
        if len(problems.items) == start:
            hubs[row["id"]] = Hub(row["id"], row["name"], row["role"], sea_class, hours, p90, usd, source)
    return hubs


def read_services(path: Path, problems: _Problems) -> list[Service]:
    rows = _rows(path, ("id", "ports", "frequency_per_week", "vessel_class", "status"))
    services = []
    for line, row in rows or ():
        where = f"{path}:{line}"
        start = len(problems.items)
        ports = split_list(row["ports"])
        if len(ports) < 2:
            problems.add(where, "ports", "needs at least two ports, in order of call")
        frequency = problems.number(row, "frequency_per_week", where, required=True, lo=0.01, hi=100)
        speed = problems.number(row, "service_speed_kn", where, lo=3, hi=30)
        transit = problems.number(row, "transit_h", where, lo=0.5, hi=24 * 90)
        if row["vessel_class"] not in VESSEL_CLASSES:
            problems.add(where, "vessel_class", f"{row['vessel_class']!r} is not one of {', '.join(VESSEL_CLASSES)}")
        if transit is not None and (row.get("transit_from") not in ports or row.get("transit_to") not in ports):
            problems.add(where, "transit_from", "transit_h needs transit_from and transit_to among the ports")
        source = _sourced(
            row, where, problems,
            (("frequency_per_week", "frequency_source"), ("service_speed_kn", "speed_source"),
             ("transit_h", "transit_source")),
        )  # fmt: skip
        if len(problems.items) == start:
            assert frequency is not None
            services.append(
                Service(
                    row["id"],
                    row.get("name", ""),
                    ports,
                    frequency,
                    speed,
                    transit,
                    row.get("transit_from", ""),
                    row.get("transit_to", ""),
                    row["vessel_class"],
                    row["status"],
                    "; ".join(x for x in (row.get("source", ""), source) if x),
                )
            )
    return services


def read_crossings(path: Path, problems: _Problems) -> dict[tuple[str, str], Crossing]:
    rows = _rows(path, ("place_id", "mode", "crossing_h", "crossing_h_p90", "gauge_break"))
    crossings: dict[tuple[str, str], Crossing] = {}
    for line, row in rows or ():
        where = f"{path}:{line}"
        start = len(problems.items)
        hours, p90 = _hours_and_p90(problems, row, where, "crossing_h", "crossing_h_p90")
        cost = problems.number(row, "cost_usd", where, lo=0, hi=10_000) or 0.0
        gauge = row["gauge_break"].lower()
        if gauge not in ("yes", "no", ""):
            problems.add(where, "gauge_break", f"{gauge!r} is not yes or no")
        lift_h = problems.number(row, "lift_h", where, lo=0, hi=24 * 7) or 0.0
        lift_usd = problems.number(row, "lift_usd", where, lo=0, hi=10_000) or 0.0
        if gauge == "yes" and not row.get("lift_h"):
            problems.add(where, "lift_h", "is empty while gauge_break is yes")
        source = _sourced(
            row, where, problems,
            (("crossing_h", "crossing_source"), ("crossing_h_p90", "p90_source"), ("cost_usd", "cost_source"),
             ("lift_h", "lift_source")),
        )  # fmt: skip
        entry = row.get("entry_clearance", "").strip()
        if entry and not (len(entry) == 2 and entry.isalpha() and entry.isupper()):
            problems.add(where, "entry_clearance", f"{entry!r} is not a two-letter country code")
        key = (row["place_id"], row["mode"])
        if key in crossings:
            problems.add(where, "place_id", f"{key[0]} by {key[1]} is listed twice")
        if len(problems.items) == start:
            assert hours is not None and p90 is not None
            crossings[key] = Crossing(
                row["place_id"], row["mode"], row.get("name", ""), hours, p90, cost, gauge == "yes", lift_h,
                lift_usd, source, cost_given=bool(row.get("cost_usd", "").strip()), entry_clearance=entry,
            )  # fmt: skip
    return crossings


def read_clearance(path: Path, problems: _Problems) -> dict[tuple[str, str], Clearance]:
    rows = _rows(path, ("place_id", "direction", "h", "h_p90", "usd"))
    out: dict[tuple[str, str], Clearance] = {}
    for line, row in rows or ():
        where = f"{path}:{line}"
        start = len(problems.items)
        if row["direction"] not in DIRECTIONS:
            problems.add(where, "direction", f"{row['direction']!r} is not import or export")
        hours, p90 = _hours_and_p90(problems, row, where, "h", "h_p90")
        usd = problems.number(row, "usd", where, required=True, lo=0, hi=20_000)
        source = _sourced(row, where, problems, (("h", "h_source"), ("h_p90", "p90_source"), ("usd", "usd_source")))
        key = (row["place_id"], row["direction"])
        if key in out:
            problems.add(where, "place_id", f"{key[1]} clearance at {key[0]} is listed twice")
        included = row.get("includes_handling", "")
        if included not in ("", "yes", "no"):
            problems.add(where, "includes_handling", f"{included!r} is not yes or no")
        scope = row.get("scope", "")
        if scope not in ("", "port", "country"):
            problems.add(where, "scope", f"{scope!r} is not port or country")
        if len(problems.items) == start:
            assert hours is not None and p90 is not None and usd is not None
            out[key] = Clearance(row["place_id"], row["direction"], hours, p90, usd, source, included == "yes", scope)
    return out


def read_spreads(path: Path, problems: _Problems) -> dict[str, Spread]:
    rows = _rows(path, ("target", "figure", "typical", "p90"))
    out: dict[str, Spread] = {}
    for line, row in rows or ():
        where = f"{path}:{line}"
        start = len(problems.items)
        kind, _, target = row["target"].partition(":")
        if kind != "place" or not target:
            problems.add(where, "target", f"{row['target']!r} is not place:ID")
        if row["figure"] != "dwell_h":
            problems.add(where, "figure", f"{row['figure']!r} is not dwell_h")
        typical, p90 = _hours_and_p90(problems, row, where, "typical", "p90")
        source = _sourced(row, where, problems, (("typical", "typical_source"), ("p90", "p90_source")))
        if len(problems.items) == start:
            assert typical is not None and p90 is not None
            out[target] = Spread(target, typical, p90, source)
    return out


def _passage_rows(
    path: Path, required: tuple[str, ...], problems: _Problems, seen: Mapping[str, object], *, named: bool = False
):
    """Yield (row, where, problems before it) of a table keyed by sea passage, its passage checked:
    a name `--avoid` takes (or, where `named`, any lower-case name such as south-china), not listed
    before (`seen`, the table read so far)."""
    for line, row in _rows(path, ("passage", *required)) or ():
        where = f"{path}:{line}"
        start = len(problems.items)
        key = row["passage"]
        if named and key not in PASSAGES and not _CALL_NAME.fullmatch(key):
            problems.add(where, "passage", f"{key!r} is neither a sea passage ({', '.join(PASSAGES)}) nor a "
                         "lower-case name of letters, digits and hyphens")  # fmt: skip
        elif not named and key not in PASSAGES:
            problems.add(where, "passage", f"{key!r} is not a sea passage ({', '.join(PASSAGES)})")
        elif key in seen:
            problems.add(where, "passage", f"{key} is listed twice")
        yield row, where, start


_CALL_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


def read_canals(path: Path, problems: _Problems) -> dict[str, Canal]:
    out: dict[str, Canal] = {}
    required = ("transit_h", "transit_h_p90", "length_km", "lon", "lat")
    for row, where, start in _passage_rows(path, required, problems, out):
        hours, p90 = _hours_and_p90(problems, row, where, "transit_h", "transit_h_p90", hi=24 * 30)
        length = problems.number(row, "length_km", where, required=True, lo=0, hi=2_000)
        lon = problems.number(row, "lon", where, required=True, lo=-180, hi=180)
        lat = problems.number(row, "lat", where, required=True, lo=-90, hi=90)
        source = _sourced(
            row, where, problems,
            (("transit_h", "transit_source"), ("transit_h_p90", "p90_source"), ("length_km", "length_source"),
             ("lon", "position_source")),
        )  # fmt: skip
        if len(problems.items) == start:
            assert hours is not None and p90 is not None and length is not None and lon is not None and lat is not None
            out[row["passage"]] = Canal(row["passage"], row.get("name", ""), hours, p90, length, lon, lat, source)
    return out


def read_way_calls(path: Path, problems: _Problems) -> dict[str, WayCall]:
    out: dict[str, WayCall] = {}
    required = ("call_h", "call_h_p90", "ports", "zone_km", "lon1", "lat1", "lon2", "lat2")
    for row, where, start in _passage_rows(path, required, problems, out, named=True):
        hours, p90 = _hours_and_p90(problems, row, where, "call_h", "call_h_p90", hi=24 * 7)
        ports = tuple(split_list(row["ports"]))
        if not ports:
            problems.add(where, "ports", "is empty: name the hubs ships call at on the way")
        zone = problems.number(row, "zone_km", where, required=True, lo=0, hi=1_000)
        gates = [_gate(row, where, problems), *_other_gates(row, where, problems)]
        source = _sourced(
            row, where, problems,
            (("call_h", "call_source"), ("call_h_p90", "p90_source"), ("ports", "ports_source"),
             ("zone_km", "zone_source"), ("lon1", "gate_source")),
        )  # fmt: skip
        if len(problems.items) == start:
            assert hours is not None and p90 is not None and zone is not None
            name, found = row.get("name", ""), tuple(g for g in gates if g is not None)
            out[row["passage"]] = WayCall(row["passage"], name, hours, p90, ports, zone, found, source)
    return out


def _gate(row: dict[str, str], where: str, problems: _Problems):
    """Return the gate ((lon, lat), (lon, lat)) in columns lon1, lat1, lon2, lat2, or None."""
    ends = [
        problems.number(row, f"{axis}{k}", where, required=True, lo=-limit, hi=limit)
        for k in (1, 2)
        for axis, limit in (("lon", 180), ("lat", 90))
    ]
    if None in ends:
        return None
    lon1, lat1, lon2, lat2 = (float(x) for x in ends)  # type: ignore[arg-type]
    return ((lon1, lat1), (lon2, lat2))


def _other_gates(row: dict[str, str], where: str, problems: _Problems) -> list:
    """Return the gates of the optional `other_gates` column: "lon1 lat1 lon2 lat2", separated by ";",
    for a call that lanes can pass on several sides of an island."""
    out = []
    for text in split_list(row.get("other_gates", "")):
        try:
            lon1, lat1, lon2, lat2 = (float(x) for x in text.split())
        except ValueError:
            problems.add(where, "other_gates", f"{text!r} is not four numbers 'lon1 lat1 lon2 lat2'")
            continue
        if not all(-180 <= x <= 180 for x in (lon1, lon2)) or not all(-90 <= y <= 90 for y in (lat1, lat2)):
            problems.add(where, "other_gates", f"{text!r} is not a line of longitudes and latitudes")
            continue
        out.append(((lon1, lat1), (lon2, lat2)))
    return out


def read_operations(root: Path) -> Operations:
    """Read a dataset's operating tables (each optional); raise DataError listing every problem."""
    problems = _Problems()
    operations = Operations(
        hubs=read_hubs(root / HUBS_FILE, problems),
        services=read_services(root / SERVICES_FILE, problems),
        crossings=read_crossings(root / BORDERS_FILE, problems),
        clearance=read_clearance(root / CLEARANCE_FILE, problems),
        spreads=read_spreads(root / SPREADS_FILE, problems),
        canals=read_canals(root / CANALS_FILE, problems),
        way_calls=read_way_calls(root / WAY_CALLS_FILE, problems),
    )
    if problems.items:
        raise DataError(f"{root}: the operating tables have invalid rows", problems.items)
    return operations


def check_references(operations: Operations, places: dict, modes: tuple[str, ...]) -> list[str]:
    """Return problems of rows naming places the dataset lacks, or modes a place does not serve."""
    problems = []
    for hub in operations.hubs.values():
        if hub.id not in places:
            problems.append(f"{HUBS_FILE}: {hub.id}: unknown place")
    # The countries whose import figure holds beyond one port (`network.clearance_lookup`).
    importing = {
        places[pid].country
        for (pid, direction), row in operations.clearance.items()
        if direction == "import" and pid in places and row.scope != "port"
    }
    for (pid, mode), crossing in operations.crossings.items():
        if pid not in places:
            problems.append(f"{BORDERS_FILE}: {pid}: unknown place")
        elif mode not in modes or mode not in places[pid].modes:
            problems.append(f"{BORDERS_FILE}: {pid}: does not serve {mode}")
        elif crossing.entry_clearance and crossing.entry_clearance not in importing:
            entry = crossing.entry_clearance
            problems.append(f"{BORDERS_FILE}: {pid}: entry_clearance {entry} has no import row in {CLEARANCE_FILE}")
    for pid, _ in operations.clearance:
        if pid not in places:
            problems.append(f"{CLEARANCE_FILE}: {pid}: unknown place")
    countrywide: dict[tuple[str, str], list[str]] = {}
    for (pid, direction), row in sorted(operations.clearance.items()):
        if row.scope == "country" and pid in places:
            countrywide.setdefault((places[pid].country, direction), []).append(pid)
    for (country, direction), pids in countrywide.items():
        if len(pids) > 1:
            problems.append(
                f"{CLEARANCE_FILE}: {', '.join(pids)}: each says scope country for {country} {direction}; keep one"
            )
    for pid in operations.spreads:
        if pid not in places:
            problems.append(f"{SPREADS_FILE}: place:{pid}: unknown place")
    for call in operations.way_calls.values():
        for pid in call.ports:
            if pid not in places:
                problems.append(f"{WAY_CALLS_FILE}: {call.passage}: {pid}: unknown place")
    return problems
