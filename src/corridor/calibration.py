"""Judge the network against published figures: the calibration table of tests/data/calibration.csv.

Each row names a published door-to-door or leg figure (time, distance or cost per TEU), how it
was travelled (`constraint`), what it measures (`door`: everything; `transit`: from departure to
arrival, without the wait for the first departure, the import clearance at the end or customs
cleared on a link that crosses a border by itself) and a band a faithful answer falls in.
`scripts/calibrate.py` fits the sea rates on the calibration half and reports both halves; the
tests assert every row.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .geo import KM_PER_NM
from .graph import ROLE_CODE, Role
from .network import Network
from .routing import Route, find_routes

METRIC_BY = {"time_h": "time", "distance_km": "time", "cost_usd": "cost", "co2_kg": "co2"}


@dataclass(frozen=True)
class Row:
    id: str
    origin: str
    destination: str
    constraint: str
    metric: str
    measure: str
    low: float
    high: float
    split: str
    independent: bool
    note: str


@dataclass(frozen=True)
class Outcome:
    """What the network answers for a row, and whether the published band takes it."""

    row: Row
    value: float
    bad_case: float  # the route's 90th-percentile time, for time rows
    route: Route

    @property
    def within(self) -> bool:
        """True when the answer lies in the band; for a time, when the band meets [typical, bad case].

        A published time is an experienced one: a launch-day run, a schedule, a forwarder's
        average. It agrees with the model when it lies between the model's typical time and
        its 90th-percentile time, or the typical time lies inside the published band.
        """
        if self.row.low <= self.value <= self.row.high:
            return True
        return self.row.metric == "time_h" and self.value <= self.row.high and self.bad_case >= self.row.low

    @property
    def error(self) -> float:
        """The relative distance of the answer from the middle of the band."""
        middle = (self.row.low + self.row.high) / 2
        return abs(self.value - middle) / middle


def read_rows(path: Path) -> list[Row]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Row(
                r["id"],
                r["origin"],
                r["destination"],
                r["constraint"],
                r["metric"],
                r["measure"],
                float(r["low"]),
                float(r["high"]),
                r["split"],
                r["independent"] == "yes",
                r["note"],
            )
            for r in csv.DictReader(handle)
        ]


def constraints(row: Row) -> dict:
    """Return the keyword arguments of `find_routes` a row's constraint stands for."""
    options: dict = {}
    for part in filter(None, row.constraint.split(";")):
        key, _, value = part.partition("=")
        if key == "modes":
            options["modes"] = value.split(",")
        elif key == "via":
            options.setdefault("via", []).append(value)
        elif key == "avoid":
            options.setdefault("avoid", []).append(value)
        else:
            raise ValueError(f"{row.id}: unknown constraint {part!r}")
    return options


def evaluate(network: Network, row: Row) -> Outcome:
    """Route a row's journey as it was travelled and measure it as it was published."""
    (route,) = find_routes(network, row.origin, row.destination, by=METRIC_BY[row.metric], **constraints(row))
    value = getattr(route, row.metric)
    bad_case = route.time_p90_h
    if row.measure == "transit":
        cleared = [leg for leg in route.legs if leg.activity == "import clearance"]
        value -= sum(getattr(leg, row.metric) for leg in cleared)
        # Customs cleared on a link that crosses a border by itself is not the service's transit.
        on_links = network.clearance_along(route.edges)
        if row.metric == "cost_usd":
            value -= sum(c.usd for c in on_links) * route.teu
        if row.metric == "time_h":
            first_wait = (
                network.core.weights["time_h"][route.edges[0]]
                + first_link_wait_h(network, route)
                + first_arrival_wait_h(network, route)
            )
            customs = sum(c.h for c in on_links)
            value -= first_wait + customs
            bad_case -= first_wait + customs + sum(leg.time_h for leg in cleared)
    return Outcome(row, value, bad_case, route)


def first_link_wait_h(network: Network, route: Route) -> float:
    """Hours of the route's first wait charged on its first link rather than on boarding.

    Boarding a mode waits for its most frequent departure from the place; a link of a less
    frequent service adds what its own wait exceeds that by (`Parameters.link`). A published
    transit starts when the service boarded leaves, so both parts are the first wait.
    """
    core = network.core
    if len(route.edges) < 2 or core.link[route.edges[1]] < 0:
        return 0.0  # the first departure sails the lanes or travels no link: boarding was all the wait
    first = route.edges[1]
    link = network.link(core.link_ids[core.link[first]])
    place = core.node_place_id(core.tail[first])
    if place is None:
        return 0.0
    boarded = network.waits.get((place, link.mode), 0.0)
    return max(0.0, network.parameters.link_wait_h(link) - boarded)


def first_arrival_wait_h(network: Network, route: Route) -> float:
    """Hours of the route's first wait charged where its first mainline voyage arrives.

    A voyage to a port whose ships are rarer than the busiest ports' waits the difference on
    arriving (`network.mainline_arrival_waits`); it is a wait for the ship boarded, so a
    published transit that starts when the ship leaves counts none of it.
    """
    if len(route.edges) < 2 or network.core.role[route.edges[1]] != ROLE_CODE[Role.ACCESS]:
        return 0.0  # the route does not start with a mainline voyage
    arrived = next(network.sea_arrivals(route.edges[2:]), None)
    return network.arrival_waits.get(arrived, 0.0) if arrived is not None else 0.0


def fit_rate(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Fit `charge + rate x distance` to (distance, price) points; return (charge, rate).

    The squared *relative* error is minimised (weights 1 / price^2 on the plain residuals): a
    spot rate's band is a factor either side of it, whatever the lane costs, so a plain least
    squares would let the long, dear lanes decide alone and leave the short ones outside
    their bands.
    """
    if len(points) < 2 or len({x for x, _ in points}) < 2:
        raise ValueError("a rate needs prices at two distances at least")
    if any(y <= 0 for _, y in points):
        raise ValueError("prices must be positive")
    weights = [1.0 / y**2 for _, y in points]
    total = sum(weights)
    mean_x = sum(w * x for w, (x, _) in zip(weights, points, strict=True)) / total
    mean_y = sum(w * y for w, (_, y) in zip(weights, points, strict=True)) / total
    spread = sum(w * (x - mean_x) ** 2 for w, (x, _) in zip(weights, points, strict=True))
    rate = sum(w * (x - mean_x) * (y - mean_y) for w, (x, y) in zip(weights, points, strict=True)) / spread
    return mean_y - rate * mean_x, rate


def sea_rate_points(network: Network, rows: list[Row]) -> list[tuple[float, float, str]]:
    """Return (shortest sea distance, middle of the band, row id) of the calibration half's sea rates.

    The distance is the shortest sea route between the two ports, whatever ships sail it, so
    the points do not depend on the rates they fit.
    """
    points = []
    for row in rows:
        if row.split != "calibration" or row.metric != "cost_usd" or not row.constraint.startswith("modes=sea"):
            continue
        (shortest,) = find_routes(network, row.origin, row.destination, by="distance", modes=["sea"])
        points.append((shortest.distance_km, (row.low + row.high) / 2, row.id))
    return points


def pair_places(network: Network, row: Mapping[str, str]) -> tuple[str, str]:
    """Return the two places of a published sea-distance row (tests/data/published_sea_distances.csv).

    `from_place`/`to_place` name the place at the source's position where it measures from
    another one than the code's place (Pub. 151's Shanghai is the city on the Huangpu, not
    Yangshan); else the place its code names (an id, or a curated place's alias such as VNSGN).
    """
    first, second = (
        network.gazetteer.resolve(row[f"{end}_place"] or row[f"{end}_locode"]).place_ids[0] for end in ("from", "to")
    )
    return first, second


def sea_pair_nm(network: Network, row: Mapping[str, str]) -> float | None:
    """Return a published sea-distance row's shortest distance along the lanes, access paths
    included, whatever ships sail there (`Network.sea_path`), in nm; None if no path over water."""
    found = network.sea_path(*pair_places(network, row), avoid=[a for a in row["avoid"].split(";") if a])
    return found[0] / KM_PER_NM if found is not None else None


def summary(outcomes: list[Outcome]) -> str:
    """Return 'N of M within band, median error X%' for some outcomes."""
    if not outcomes:
        return "no rows"
    inside = sum(o.within for o in outcomes)
    return f"{inside} of {len(outcomes)} within band, median error {statistics.median(o.error for o in outcomes):.0%}"
