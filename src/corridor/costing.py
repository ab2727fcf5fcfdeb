"""Turn the parameters table into per-TEU metrics for links, sea lanes and transfers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .datasets import (
    KINDS,
    MAX_DEPARTURES_PER_WEEK,
    MIN_DEPARTURES_PER_WEEK,
    Link,
    Parameter,
    Place,
    is_estimate,
    read_parameters,
)  # fmt: skip
from .errors import DataError
from .geo import path_length_km
from .registry import GRAPH_MODES, LANE_MODES, LINK_MODES, METRIC_NAMES, MODES, SERVICE_MODES
from .services import Clearance

METRICS = METRIC_NAMES
HOURS_PER_WEEK = 168.0
_CURRENT_MODES = tuple(m.name for m in MODES.values() if m.has_current)

# Parameter names, the scopes they take, and whether every scope needs a value. Scopes that are
# modes come from the registry: a new mode needs its rows in parameters.csv, nothing here.
PARAMETER_NAMES: dict[str, tuple[tuple[str, ...], bool]] = {
    "payload_t_per_teu": (("all",), True),
    "speed_kmh": (GRAPH_MODES, True),
    "speed_down_kmh": (_CURRENT_MODES, True),
    "speed_up_kmh": (_CURRENT_MODES, True),
    "port_call_h": ((*LANE_MODES, *SERVICE_MODES), False),
    "frequency_per_week": (GRAPH_MODES, False),
    "sea_departures_per_week": (("large", "medium", "small", "very_small"), False),
    "cost_usd_per_teu_km": (GRAPH_MODES, True),
    "cost_usd_per_leg": (GRAPH_MODES, False),
    "co2_g_per_tkm": (GRAPH_MODES, True),
    # A sea service's ships of a class whose emissions differ from its mode's (sea/services.csv's
    # vessel_class): ro-ro ships carry containers on decks built for vehicles.
    "vessel_co2_g_per_tkm": (("roro",), False),
    "handling_h": (KINDS, True),
    "handling_usd": (KINDS, True),
    "circuity": (LINK_MODES, True),
    # Changing ship at a port that lists no figures of its own (sea/hubs.csv).
    "transship_h": (("all",), False),
    "transship_h_p90": (("all",), False),
    "transship_usd": (("all",), False),
    # Cargo crossing a country in transit, under bond (see `Parameters.transit`).
    "transit_h": (("all",), False),
    "transit_h_p90": (("all",), False),
    "transit_usd": (("all",), False),
    # A World Port Index port this deep or deeper (and large or medium) is called by mainline ships.
    "mainline_min_depth_m": (("all",), False),
    # The plausible range of a link's average speed: `validate` and `links add` refuse a link
    # outside it (a typo such as 1,500 km in 0.02 h). Optional, so older datasets still load.
    "min_speed_kmh": (LINK_MODES, False),
    "max_speed_kmh": (LINK_MODES, False),
    # Prices of the generalised cost (`corridor.objectives`): optional, with defaults there.
    "cargo_value_usd_per_teu": (("all",), False),
    "holding_rate_per_day": (("all",), False),
    "co2_price_usd_per_t": (("all",), False),
}
# The defaults of optional figures, and the bad case (90th percentile) of each typical figure.
DEFAULTS = {"transship_h": 48.0, "transship_h_p90": 120.0, "transit_h": 12.0, "transit_h_p90": 24.0}
BAD_CASES = {"transship_h": "transship_h_p90", "transit_h": "transit_h_p90"}
# Parameters that divide or scale a distance: zero would stop a container or break the arithmetic.
POSITIVE = (
    "payload_t_per_teu", "speed_kmh", "speed_down_kmh", "speed_up_kmh", "circuity", "min_speed_kmh", "max_speed_kmh",
)  # fmt: skip
# Ranges outside which a figure makes routes absurd, with its unit. Departures as a link's or a
# port's own (datasets.py): fewer than 0.01 a week waits years, none at all makes the wait vanish.
# A link is no shorter than the line along its via points, and no road, rail or river is three
# times as long (the longest measured run 2.2 times it: scripts/circuity.py).
MIN_CIRCUITY, MAX_CIRCUITY = 1.0, 3.0
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "frequency_per_week": (MIN_DEPARTURES_PER_WEEK, MAX_DEPARTURES_PER_WEEK, " a week"),
    "sea_departures_per_week": (MIN_DEPARTURES_PER_WEEK, MAX_DEPARTURES_PER_WEEK, " a week"),
    "circuity": (MIN_CIRCUITY, MAX_CIRCUITY, " times the line along its via points"),
}


@dataclass(frozen=True)
class Metrics:
    """The four per-TEU figures every edge carries."""

    distance_km: float = 0.0
    time_h: float = 0.0
    cost_usd: float = 0.0
    co2_kg: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {m: getattr(self, m) for m in METRICS}


class Parameters:
    """Speeds, tariffs, emission factors and handling, each with its source."""

    def __init__(self, table: dict[tuple[str, str], Parameter], files: dict[tuple[str, str], str] | None = None):
        self.table = dict(table)
        problems = []
        where = files or {}
        for name, scope in self.table:
            if name not in PARAMETER_NAMES:
                problems.append(f"unknown parameter {name!r} (known: {', '.join(sorted(PARAMETER_NAMES))})")
            elif scope not in PARAMETER_NAMES[name][0]:
                problems.append(f"{name} has no scope {scope!r} (scopes: {', '.join(PARAMETER_NAMES[name][0])})")
            elif name in POSITIVE and self.table[(name, scope)].value <= 0:
                problems.append(f"{name} for {scope} is {self.table[(name, scope)].value:g}: it must be positive")
            elif name in PLAUSIBLE and not PLAUSIBLE[name][0] <= self.table[(name, scope)].value <= PLAUSIBLE[name][1]:
                problems.append(self._implausible(name, scope, where.get((name, scope))))
        for name, (scopes, required) in PARAMETER_NAMES.items():
            if required:
                problems.extend(f"{name} for {scope} is missing" for scope in scopes if (name, scope) not in self.table)
        problems += self._implausible_speeds(where)
        problems += self._bad_cases_below_typical(where)
        if problems:
            raise DataError("the parameters table is incomplete or wrong", problems)

    def _implausible(self, name: str, scope: str, file: str | None) -> str:
        """Say that a figure is outside its `PLAUSIBLE` range, naming the file its row came from."""
        low, high, unit = PLAUSIBLE[name]
        value = self.table[(name, scope)].value
        where = f"{file}: " if file else ""
        return f"{where}{name} for {scope} is {value:g}, outside the plausible {low:g}-{high:g}{unit}"

    def _bad_cases_below_typical(self, files: dict[tuple[str, str], str]) -> list[str]:
        """Return a problem for each bad case (`BAD_CASES`) below its typical figure, either given
        here or the default, naming the files of the rows given: a bad case is never better."""
        problems = []
        for typical, bad in BAD_CASES.items():
            low, high = self.value(typical, "all", DEFAULTS[typical]), self.value(bad, "all", DEFAULTS[bad])
            if high < low:

                def origin(name: str) -> str:
                    found = files.get((name, "all"))
                    return f" ({found})" if found else "" if (name, "all") in self.table else " (the default)"

                problems.append(
                    f"{bad} for all is {high:g}{origin(bad)}, below {typical} {low:g}{origin(typical)}: "
                    "a bad case is no better than the typical figure"
                )
        return problems

    def speed_range(self, mode: str) -> tuple[float, float] | None:
        """Return the plausible (min, max) average speed of a link of `mode` in km/h, None if not given."""
        low, high = self.table.get(("min_speed_kmh", mode)), self.table.get(("max_speed_kmh", mode))
        if low is None or high is None:
            return None
        return low.value, high.value

    def _implausible_speeds(self, files: dict[tuple[str, str], str]) -> list[str]:
        """Return a problem for each mode speed outside its mode's plausible range (min_speed_kmh
        to max_speed_kmh, where the table gives one), naming the file the row came from."""
        problems = []
        for mode in LINK_MODES:
            bounds = self.speed_range(mode)
            if bounds is None or bounds[0] >= bounds[1]:
                continue  # `validate` reports a range that is missing or upside down
            low, high = bounds
            for name in ("speed_kmh", "speed_down_kmh", "speed_up_kmh"):
                found = self.table.get((name, mode))
                if found is not None and found.value > 0 and not low <= found.value <= high:
                    file = files.get((name, mode))
                    problems.append(
                        f"{file + ': ' if file else ''}{name} for {mode} is {found.value:g}, outside the plausible "
                        f"{low:g}-{high:g} km/h (min_speed_kmh and max_speed_kmh)"
                    )
        return problems

    @classmethod
    def from_files(cls, base: Path, override: Path | None = None) -> Parameters:
        """Read the dataset's parameters, with a user's file replacing matching rows."""
        table = read_parameters(base)
        files = dict.fromkeys(table, str(base))
        if override is not None:
            extra = read_parameters(override)
            table.update(extra)
            files.update(dict.fromkeys(extra, str(override)))
        return cls(table, files)

    def value(self, name: str, scope: str, default: float | None = None) -> float:
        parameter = self.table.get((name, scope))
        if parameter is None:
            if default is None:
                raise DataError(f"parameter {name} for {scope} is missing")
            return default
        return parameter.value

    def source(self, name: str, scope: str) -> str:
        parameter = self.table.get((name, scope))
        return parameter.source if parameter else ""

    @property
    def payload_t_per_teu(self) -> float:
        return self.value("payload_t_per_teu", "all")

    def service_wait_h(self, mode: str, frequency_per_week: float | None = None) -> float:
        """Return the mean wait for a departure: half the headway of the service."""
        frequency = frequency_per_week or self.value("frequency_per_week", mode, 0.0)
        return 0.5 * HOURS_PER_WEEK / frequency if frequency > 0 else 0.0

    def co2_kg(self, mode: str, distance_km: float, vessel_class: str = "") -> float:
        return distance_km * self.payload_t_per_teu * self.co2_factor(mode, vessel_class)[0] / 1000.0

    def co2_factor(self, mode: str, vessel_class: str = "") -> tuple[float, tuple[str, str]]:
        """Return the CO2 grams per tonne-km of a mode, or of a sea service's vessel class where
        the parameters give that class its own, and the (name, scope) of the row it comes from."""
        if vessel_class and ("vessel_co2_g_per_tkm", vessel_class) in self.table:
            row = ("vessel_co2_g_per_tkm", vessel_class)
        else:
            row = ("co2_g_per_tkm", mode)
        return self.value(*row), row

    # ------------------------------------------------------------------ edges

    def sea_departures(self, place: Place) -> tuple[float, str]:
        """Return a port's mainline departures a week and the source of that figure.

        A port's own figure where known; for a World Port Index port, by its harbour size; else
        the default frequency of sea services.
        """
        if place.sea_departures_per_week is not None:
            return place.sea_departures_per_week, place.sea_departures_source
        by_size = self.value("sea_departures_per_week", place.harbor_size, 0.0) if place.harbor_size else 0.0
        if by_size:
            return by_size, self.source("sea_departures_per_week", place.harbor_size)
        return self.value("frequency_per_week", "sea", 0.0), self.source("frequency_per_week", "sea")

    def sea_departures_wait_h(self, place: Place) -> float:
        """Return the mean wait for a mainline sailing from a port: half its headway (`sea_departures`)."""
        return self.service_wait_h("sea", self.sea_departures(place)[0])

    def link_wait_h(self, link: Link) -> float:
        """Return the mean wait for a link's service: half its headway, none if its time includes it."""
        if link.time_includes_wait:
            return 0.0
        return self.service_wait_h(link.mode, link.frequency_per_week)

    def handling(self, place: Place) -> Metrics:
        """Metrics of moving a container between two modes at a place."""
        time_h = place.handling_h if place.handling_h is not None else self.value("handling_h", place.kind)
        cost = place.handling_usd if place.handling_usd is not None else self.value("handling_usd", place.kind)
        return Metrics(time_h=time_h, cost_usd=cost)

    def handling_sources(self, place: Place) -> tuple[str, str]:
        """Return the source fields of a place's handling time and cost: the place's own where it
        sets the figure, else the parameter's for its kind (the two may differ)."""
        own = place.handling_source
        time_h = own if place.handling_h is not None else self.source("handling_h", place.kind)
        cost = own if place.handling_usd is not None else self.source("handling_usd", place.kind)
        return time_h, cost

    def leg_charge_usd(self, mode: str) -> float:
        """Return the charge per leg of a mode (loading, documentation, a sea voyage's two calls)."""
        return self.value("cost_usd_per_leg", mode, 0.0)

    def link_distance_km(self, link: Link, start: Place, end: Place) -> float:
        """Return the link's published distance, else its length along its via points x circuity."""
        if link.distance_km is not None:
            return link.distance_km
        return drawn_length_km(link, start, end) * self.value("circuity", link.mode)

    def link(self, link: Link, start: Place, end: Place, *, forward: bool, waited_h: float = 0.0) -> Metrics:
        """Metrics of travelling a link in one direction, arriving at `end` (or `start` if not forward).

        The link's own wait (half its headway, see `link_wait_h`) is charged here less
        `waited_h`, the wait already charged on boarding its mode at the place it leaves.
        """
        distance = self.link_distance_km(link, start, end)
        published = link.time_h if forward else link.time_back_h
        if published is None and not link.current:
            # Without a current the published time holds both ways.
            published = link.time_back_h if forward else link.time_h
        running = published if published is not None else distance / self._speed(link, forward)
        return Metrics(
            distance_km=distance,
            time_h=running + max(0.0, self.link_wait_h(link) - waited_h),
            cost_usd=distance * self.value("cost_usd_per_teu_km", link.mode),
            co2_kg=self.co2_kg(link.mode, distance, link.vessel_class),
        )

    def _speed(self, link: Link, forward: bool) -> float:
        if MODES[link.mode].has_current and link.current:
            downstream = (link.current == "down") == forward
            return self.value("speed_down_kmh" if downstream else "speed_up_kmh", link.mode)
        return self.value("speed_kmh", link.mode)

    def sailing(self, mode: str, distance_km: float, *, calls: int = 0, speed_kmh: float | None = None) -> Metrics:
        """Metrics of sailing a distance at the mode's service speed, with `calls` port calls."""
        speed = speed_kmh or self.value("speed_kmh", mode)
        return Metrics(
            distance_km=distance_km,
            time_h=distance_km / speed + calls * self.value("port_call_h", mode, 0.0),
            cost_usd=distance_km * self.value("cost_usd_per_teu_km", mode),
            co2_kg=self.co2_kg(mode, distance_km),
        )

    def transship(self, hub: object | None) -> Metrics:
        """Metrics of changing ship at a port: its own figures where listed, else the defaults."""
        hours = getattr(hub, "transship_h", None)
        usd = getattr(hub, "transship_usd", None)
        return Metrics(
            time_h=hours if hours is not None else self.value("transship_h", "all", DEFAULTS["transship_h"]),
            cost_usd=usd if usd is not None else self.value("transship_usd", "all", 100.0),
        )

    def transit(self, place: Place) -> Clearance:
        """The formalities of cargo that enters a country at `place` in transit for another, or
        leaves by it after crossing in transit: a transit declaration and its seals, charged
        instead of the country's import or export clearance (`network.transit_places`)."""
        hours = self.value("transit_h", "all", DEFAULTS["transit_h"])
        figures = (("h", "transit_h"), ("h_p90", "transit_h_p90"), ("usd", "transit_usd"))
        sources = [f"{figure}: {self.source(name, 'all') or 'estimate'}" for figure, name in figures]
        return Clearance(
            place_id=place.id,
            direction="transit",
            h=hours,
            h_p90=self.value("transit_h_p90", "all", DEFAULTS["transit_h_p90"]),
            usd=self.value("transit_usd", "all", 50.0),
            source="; ".join(sources),
        )

    def transship_spread_h(self, hub: object | None) -> float:
        hours = getattr(hub, "transship_h", None)
        p90 = getattr(hub, "transship_h_p90", None)
        if hours is not None and p90 is not None:
            return p90 - hours
        return self.value("transship_h_p90", "all", DEFAULTS["transship_h_p90"]) - self.value(
            "transship_h", "all", DEFAULTS["transship_h"]
        )


def drawn_length_km(link: Link, start: Place, end: Place) -> float:
    """Return a link's length along its via points, what `circuity` multiplies for a link
    without a published distance."""
    return path_length_km([(start.lon, start.lat), *link.via, (end.lon, end.lat)])


def published_circuity(links: Iterable[Link], places: Mapping[str, Place]) -> dict[str, list[tuple[float, str]]]:
    """Return, per mode, (ratio, link id) of each link whose distance cites a document: its
    published length over its drawn length (the evidence for each mode's `circuity`;
    `scripts/circuity.py` prints it). Links drawn shorter than 20 km (bridges, terminal spurs)
    say nothing about circuity and are left out."""
    found: dict[str, list[tuple[float, str]]] = {}
    for link in links:
        if link.distance_km is None or is_estimate(link.distance_source):
            continue
        drawn = drawn_length_km(link, places[link.from_id], places[link.to_id])
        if drawn >= 20:
            found.setdefault(link.mode, []).append((link.distance_km / drawn, link.id))
    return {mode: sorted(ratios) for mode, ratios in found.items()}
