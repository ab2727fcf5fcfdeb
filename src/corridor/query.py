"""One validated query, shared by route, compare, reach, matrix and what builds on them.

A `Query` checks what can be checked without a network (metric, modes, passages, TEU,
alternatives) when it is made; `Query.plan(network)` resolves its places and returns the `Plan`
the search core runs. Errors name the parameter (`teu must be a positive number`); the CLI
words them as flags.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .engine import Rules
from .errors import NoRouteError, PlaceError, UsageError
from .gazetteer import Target
from .registry import MODE_NAMES, Metric, graph_modes, metric
from .sealanes import CLOSED_BY_DEFAULT, PASSAGES, passage_name

if TYPE_CHECKING:
    from .network import Network

MAX_ALTERNATIVES = 20


def _names(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclass(frozen=True)
class Query:
    """What a user asks: places, the metric to minimise, and the constraints on the way."""

    origin: str | Target
    destination: str | Target | None = None
    by: str = "cost"
    modes: tuple[str, ...] | None = None  # None: every mode
    via: tuple[str | Target, ...] = ()
    avoid: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    teu: float = 1.0
    alternatives: int = 0
    metric: Metric = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        try:
            set_(self, "metric", metric(self.by))
        except ValueError:
            raise UsageError(f"by must be one of cost, time, distance, co2, not {self.by!r}", "by") from None
        if self.modes is not None:
            modes = tuple(dict.fromkeys(m.strip().lower() for m in _names(self.modes)))
            unknown = [m for m in modes if m not in MODE_NAMES]
            if unknown or not modes:
                raise UsageError(
                    f"modes: {', '.join(unknown) or 'none given'} is not one of {', '.join(MODE_NAMES)}", "modes"
                )
            set_(self, "modes", modes)
        set_(self, "via", tuple(self.via) if not isinstance(self.via, (str, Target)) else (self.via,))
        set_(self, "avoid", _names(self.avoid))
        set_(self, "allow", _names(self.allow))
        for text in self.allow:
            if passage_name(text) is None:
                raise UsageError(f"allow {text!r} is not a sea passage ({', '.join(PASSAGES)})", "allow")
        if (
            isinstance(self.teu, bool)
            or not isinstance(self.teu, (int, float))
            or not (self.teu > 0 and math.isfinite(self.teu))
        ):
            raise UsageError(f"teu must be a positive number, not {self.teu!r}", "teu")
        if (
            isinstance(self.alternatives, bool)
            or not isinstance(self.alternatives, int)
            or not 0 <= self.alternatives <= MAX_ALTERNATIVES
        ):
            raise UsageError(f"alternatives must be a whole number from 0 to {MAX_ALTERNATIVES}", "alternatives")

    @property
    def rules(self) -> Rules:
        """The modes and closed passages this query allows (places aside)."""
        avoided = {PASSAGES[name] for text in self.avoid if (name := passage_name(text)) is not None}
        opened = {PASSAGES[passage_name(text)] for text in self.allow}  # type: ignore[index]
        closed = {PASSAGES[name] for name in CLOSED_BY_DEFAULT} - opened
        return Rules(graph_modes(self.modes or MODE_NAMES), frozenset(avoided | closed))

    def plan(self, network: Network, *, destination: bool = True) -> Plan:
        """Resolve the places against a network and return what the search core runs."""
        start = resolve(network, self.origin)
        end = resolve(network, self.destination) if destination and self.destination is not None else None
        vias = tuple(resolve(network, v) for v in self.via)
        avoided: set[str] = set()
        for text in self.avoid:
            if passage_name(text) is None:
                avoided.update(avoided_place(network, text))
        checks = [(start, "origin"), *((v, "via") for v in vias)] + ([(end, "destination")] if end else [])
        for target, what in checks:
            if set(target.place_ids) <= avoided:
                raise UsageError(f"the {what} {target.label} is also in --avoid", "avoid")
        if end is not None and set(start.place_ids) & set(end.place_ids):
            raise UsageError(f"origin and destination are the same place ({start.label})", "destination")
        country = network.country_of(p for t in (start, end, *vias) if t for p in t.place_ids)
        if end is not None and country is not None:
            network = network.domestic(country)  # no customs for cargo that stays in one country
        return Plan(network, self, start, end, vias, self.rules, frozenset(avoided))


@dataclass(frozen=True)
class Plan:
    """A query resolved against one network: targets, rules and the places avoided."""

    network: Network
    query: Query
    start: Target
    end: Target | None
    vias: tuple[Target, ...]
    rules: Rules
    avoided: frozenset[str]

    @property
    def metric(self) -> str:
        return self.query.metric.name


def resolve(network: Network, text: str | Target) -> Target:
    """Resolve a place name to routable places; raise PlaceError or NoRouteError saying why not."""
    if isinstance(text, Target):
        return text
    target = network.gazetteer.resolve(text)
    usable = tuple(p for p in target.place_ids if network.routable(p))
    if not usable:
        place = network.places[target.place_ids[0]]
        access = network.access.get(place.id)
        if not place.operational:
            why = "is planned, not operational"
        elif access is not None and access.problem:
            why = f"cannot reach the sea lanes: {access.problem} (see `corridor validate`)"
        else:
            why = "has no connection to the network"
        raise NoRouteError(f"{place.name} ({place.id}) {why}")
    return Target(target.label, usable, target.area)


def make_query(
    origin: str | Target,
    destination: str | Target | None = None,
    *,
    by: str = "cost",
    modes: Iterable[str] | None = None,
    via: Sequence[str | Target] = (),
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    teu: float = 1.0,
    alternatives: int = 0,
) -> Query:
    """Return a Query from keyword arguments as the library functions take them."""
    return Query(
        origin, destination, by=by, modes=tuple(modes) if modes is not None else None, via=tuple(via),
        avoid=tuple(avoid), allow=tuple(allow), teu=teu, alternatives=alternatives,
    )  # fmt: skip


def avoided_place(network: Network, text: str) -> tuple[str, ...]:
    """Return the places an --avoid text names; one that names neither a place nor a sea passage
    says so, with the close passage names and places as suggestions."""
    import difflib

    try:
        return network.gazetteer.resolve(text).place_ids
    except PlaceError as exc:
        if not exc.unknown:
            raise  # ambiguous or empty: the message says so
        near = [f"{name} (sea passage)" for name in difflib.get_close_matches(text.lower(), sorted(PASSAGES), n=2)]
        candidates = near + exc.candidates
        hint = (
            f"; did you mean {', '.join(candidates)}?"
            if candidates
            else f"; sea passages: {', '.join(sorted(PASSAGES))}"
        )
        raise PlaceError(f"unknown place or sea passage {text!r}{hint}", candidates, unknown=True) from None
