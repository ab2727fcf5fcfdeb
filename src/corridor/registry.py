"""One description per transport mode and per metric; every other module iterates these.

Adding a mode (say `air`) or a metric (say `reliability`) means one entry here plus its rows in
the data (parameters, links); tables, JSON, maps, the CLI's choices and the parameter checks
read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    """A transport mode: how it is named, drawn and costed."""

    name: str
    label: str  # for legends and tables
    colour: str  # its colour on maps
    follows: str  # "links": curated links.csv rows; "lanes": the sea-lane network
    drawn_along: str  # the line file its links are traced along ("" for straight via points)
    has_current: bool = False  # speeds differ upstream and downstream

    @property
    def uses_links(self) -> bool:
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
        Mode("sea", "Sea", "#117a65", "lanes", ""),
        Mode("road", "Road", "#b9770e", "links", ""),
    )
}
# A leg that changes mode at a place; not a mode a link or a --modes filter names.
TRANSFER = Mode("transfer", "Transfer", "#6c3483", "", "")
MODE_NAMES: tuple[str, ...] = tuple(MODES)
LINK_MODES: tuple[str, ...] = tuple(m.name for m in MODES.values() if m.uses_links)
LANE_MODES: tuple[str, ...] = tuple(m.name for m in MODES.values() if not m.uses_links)


def mode(name: str) -> Mode:
    """Return the description of a mode, or of the transfer pseudo-mode."""
    return TRANSFER if name == TRANSFER.name else MODES[name]


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
