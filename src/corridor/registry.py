"""One description per transport mode and per metric; every other module iterates these.

Adding a mode (say `air`) or a metric (say `reliability`) means one entry here plus its rows in
the data (parameters, links); tables, JSON, maps, the CLI's choices and the parameter checks
read them from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# A million containers is more than any shipment (the largest ships carry about 24,000): a bound
# that keeps every total finite. The library's Query, the CLI's --teu and the API's teu all use it.
MAX_TEU = 1e6


@dataclass(frozen=True)
class Mode:
    """A transport mode: how it is named, drawn and costed."""

    name: str
    label: str  # for legends and tables
    colour: str  # its colour on maps
    follows: str  # "links": curated links.csv rows; "lanes": the sea-lane network; "services": sea services
    drawn_along: str  # the line file its links are traced along ("" for straight via points)
    has_current: bool = False  # speeds differ upstream and downstream
    family: str = ""  # the mode users name and see (`--modes sea` takes mainline and feeder ships)

    def __post_init__(self) -> None:
        if not self.family:
            object.__setattr__(self, "family", self.name)

    @property
    def uses_links(self) -> bool:
        """True for modes whose links come from the links table (rail, river, road)."""
        return self.follows == "links"


@dataclass(frozen=True)
class Metric:
    """A quantity every edge carries, per TEU, with its unit in its name."""

    name: str  # the attribute, column and JSON key: distance_km, time_h ...
    by: str  # the --by choice
    unit: str
    noun: str  # "distance", "time" ...
    best: str  # "shortest", "fastest" ...
    decimals: int  # JSON rounding
    per_teu: bool  # scales with the number of containers

    def text(self, value: float) -> str:
        """Return the value with its unit, the one format of this metric everywhere text shows it.

        '1,406 km', '2.3 d' (time in days, one decimal), '$1,743', '211 kg'. Machines get the
        exact figure in the metric's own unit from JSON and CSV.
        """
        if self.name == "time_h":
            return f"{value / 24:,.1f} d"
        if self.name == "cost_usd":
            return f"${value:,.0f}"
        return f"{value:,.0f} {self.unit}"


MODES: dict[str, Mode] = {
    m.name: m
    for m in (
        Mode("rail", "Rail", "#c0392b", "links", "rail"),
        Mode("river", "River and river-sea", "#2471a3", "links", "river", has_current=True),
        # Mainline ships sail the lanes between mainline ports; feeders and the corridor's own
        # short-sea services join the other ports to them, changing ship at a hub.
        Mode("sea", "Sea (mainline)", "#117a65", "lanes", ""),
        Mode("feeder", "Sea (feeder and short-sea services)", "#48a999", "services", "", family="sea"),
        Mode("road", "Road", "#b9770e", "links", ""),
    )
}
# A leg that changes mode at a place; not a mode a link or a --modes filter names.
TRANSFER = Mode("transfer", "Transfer", "#6c3483", "", "")
# Every mode of the graph, and the modes users name (places, links, --modes): the families.
GRAPH_MODES: tuple[str, ...] = tuple(MODES)
MODE_NAMES: tuple[str, ...] = tuple(dict.fromkeys(m.family for m in MODES.values()))
LINK_MODES: tuple[str, ...] = tuple(m.name for m in MODES.values() if m.uses_links)
LANE_MODES: tuple[str, ...] = tuple(m.name for m in MODES.values() if m.follows == "lanes")
SERVICE_MODES: tuple[str, ...] = tuple(m.name for m in MODES.values() if m.follows == "services")


def mode(name: str) -> Mode:
    """Return the description of a mode, or of the transfer pseudo-mode."""
    return TRANSFER if name == TRANSFER.name else MODES[name]


def graph_modes(families: Iterable[str]) -> frozenset[str]:
    """Return the graph modes of some families: `sea` is mainline ships and feeders."""
    wanted = set(families)
    return frozenset(m.name for m in MODES.values() if m.family in wanted)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("distance_km", "distance", "km", "distance", "shortest", 1, per_teu=False),
        Metric("time_h", "time", "h", "time", "fastest", 1, per_teu=False),
        Metric("cost_usd", "cost", "USD", "cost", "cheapest", 2, per_teu=True),
        Metric("co2_kg", "co2", "kg", "CO2", "lowest-CO2", 1, per_teu=True),
    )
}
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
BY: dict[str, str] = {m.by: m.name for m in METRICS.values()}


def metric(by: str) -> Metric:
    """Return the metric for a --by choice (cost, time, distance, co2) or an attribute name.

    Raises ValueError naming the choices.
    """
    name = BY.get(by, by)
    if name not in METRICS:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    return METRICS[name]
