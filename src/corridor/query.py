"""One validated query, shared by route, compare, reach, matrix and what builds on them.

A `Query` checks what can be checked without a network (metric, modes, passages, TEU,
alternatives) when it is made; `Query.plan(network)` resolves its places and returns the `Plan`
the search core runs. Errors name the parameter (`teu must be a positive number`); the CLI
words them as flags.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .engine import Rules
from .errors import NoRouteError, PlaceError, UsageError
from .gazetteer import Target
from .registry import MAX_TEU, MODE_NAMES, Metric, graph_modes, metric
from .sealanes import CLOSED_BY_DEFAULT, PASSAGES, passage_name

if TYPE_CHECKING:
    from .network import Network

MAX_ALTERNATIVES = 20


def _listed(value: object, one: type | tuple[type, ...], what: str, noun: str) -> tuple:
    """Return one item or an iterable of them as a tuple: a single one is a list of one, not its
    characters; anything else (a number, None, bytes) is refused naming the parameter."""
    if isinstance(value, one):
        return (value,)
    if isinstance(value, (bytes, bytearray)) or not isinstance(value, Iterable):
        raise UsageError(f"{what} must be {noun} or a list of them, not {value!r}", what)
    items = tuple(value)
    for item in items:
        if not isinstance(item, one):
            raise UsageError(f"{what}: {item!r} is not {noun}", what)
    return items


def _names(value: str | Iterable[str] | None, what: str = "names") -> tuple[str, ...]:
    """Return the names a filter is given as a tuple (None: none)."""
    return () if value is None else _listed(value, str, what, "a name")


def places(value: str | Target | Iterable[str | Target], what: str = "places") -> tuple[str | Target, ...]:
    """Return one place or a sequence of them as a tuple: a single name is one place, not its
    characters (`matrix(network, "Chongqing", "Singapore")`)."""
    return _listed(value, (str, Target), what, "a place name")


def _place(value: object, what: str) -> None:
    """Refuse a place that is not a name or a resolved Target (None, a number): say so, not fail later."""
    if not isinstance(value, (str, Target)):
        raise UsageError(f"{what} must be a place name, not {value!r}", what)


def check_network(network: object) -> None:
    """Refuse what is not a Network (None, a path, the origin given first): say so, not fail inside."""
    from .network import Network

    if not isinstance(network, Network):
        text = repr(network) if len(repr(network)) <= 60 else f"a {type(network).__name__}"
        raise UsageError(f"network must be a Network (corridor.load_network()), not {text}", "network")


def check_flag(value: object, what: str) -> bool:
    """Return a true/false argument as a bool, refusing anything else: a text such as "no" or
    "false" would otherwise count as true and turn the option on."""
    if value is True or value is False:
        return value
    dtype = getattr(value, "dtype", None)  # a numpy bool (a DataFrame's cell)
    if dtype is not None and dtype.kind == "b" and getattr(value, "ndim", None) == 0:
        return bool(value)
    raise UsageError(f"{what} must be True or False, not {value!r}", what)


def check_filters(
    *,
    via: Iterable[str | Target] = (),
    avoid: Iterable[str] = (),
    allow: Iterable[str] = (),
    country: str | None = None,
) -> None:
    """Refuse filters that are each well formed but empty, or that contradict one another.

    The one place these rules live: a `Query` runs them on its own filters, and the CLI and the
    API on their arguments before loading anything, so all three refuse the same in the same words.
    """
    for what, texts in (("via", via), ("avoid", avoid)):
        if any(isinstance(text, str) and not text.strip() for text in texts):
            raise UsageError(f"{what}: empty place name", what)
    if country is not None and not str(country).strip():
        raise UsageError("country is empty: give an ISO code or a country name, or leave it out", "country")
    if allow and avoid:
        allowed = {passage_name(text) for text in allow} - {None}
        for text in avoid:
            if passage_name(text) in allowed:
                raise UsageError(f"--avoid {text} and --allow {text} contradict each other: give one", "avoid")


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
        except (ValueError, TypeError):  # TypeError: a list or a dict, which no name can be
            raise UsageError(f"by must be one of cost, time, distance, co2, not {self.by!r}", "by") from None
        if self.modes is not None:
            modes = tuple(dict.fromkeys(m.strip().lower() for m in _names(self.modes, "modes")))
            unknown = [m for m in modes if m not in MODE_NAMES]
            if unknown or not modes:
                raise UsageError(
                    f"modes: {', '.join(unknown) or 'none given'} is not one of {', '.join(MODE_NAMES)}", "modes"
                )
            set_(self, "modes", modes)
        _place(self.origin, "origin")
        if self.destination is not None:
            _place(self.destination, "destination")
        set_(self, "via", places(() if self.via is None else self.via, "via"))
        set_(self, "avoid", _names(self.avoid, "avoid"))
        set_(self, "allow", _names(self.allow, "allow"))
        for text in self.allow:
            if passage_name(text) is None:
                raise UsageError(f"allow {text!r} is not a sea passage ({', '.join(PASSAGES)})", "allow")
        check_filters(via=self.via, avoid=self.avoid, allow=self.allow)
        # Any real number (a numpy or pandas scalar from a table too), kept as a plain float.
        if (
            isinstance(self.teu, bool)
            or not isinstance(self.teu, numbers.Real)
            or not (self.teu > 0 and math.isfinite(self.teu))
        ):
            raise UsageError(f"teu must be a positive number, not {self.teu!r}", "teu")
        if self.teu > MAX_TEU:
            raise UsageError(f"teu must be at most {MAX_TEU:,.0f} (totals stay finite), not {self.teu!r}", "teu")
        set_(self, "teu", float(self.teu))
        if (
            isinstance(self.alternatives, bool)
            or not isinstance(self.alternatives, numbers.Integral)
            or not 0 <= self.alternatives <= MAX_ALTERNATIVES
        ):
            raise UsageError(f"alternatives must be a whole number from 0 to {MAX_ALTERNATIVES}", "alternatives")
        set_(self, "alternatives", int(self.alternatives))

    @property
    def rules(self) -> Rules:
        """The modes and closed passages this query allows (places aside)."""
        avoided = {PASSAGES[name] for text in self.avoid if (name := passage_name(text)) is not None}
        opened = {PASSAGES[passage_name(text)] for text in self.allow}  # type: ignore[index]
        closed = {PASSAGES[name] for name in CLOSED_BY_DEFAULT} - opened
        return Rules(graph_modes(self.modes or MODE_NAMES), frozenset(avoided | closed))

    def plan(self, network: Network, *, destination: bool = True) -> Plan:
        """Resolve the places against a network and return what the search core runs; with
        `destination` (a route's plan, not a reach's) the query must name one."""
        check_network(network)
        if destination and self.destination is None:
            raise UsageError(
                "destination is missing: give the place to route to (reach() lists every place reachable)",
                "destination",
            )
        start = resolve(network, self.origin, "origin")
        end = (
            resolve(network, self.destination, "destination") if destination and self.destination is not None else None
        )
        vias = tuple(resolve(network, v, "via") for v in self.via)
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


def resolve(network: Network, text: str | Target, what: str = "place") -> Target:
    """Resolve a place name to routable places; raise PlaceError or NoRouteError saying why not
    (UsageError naming `what` for something that is no name). A Target (`network.gazetteer.resolve`'s,
    which keeps planned places) is checked as a name's: its places must be this network's."""
    if isinstance(text, Target):
        unknown = [pid for pid in text.place_ids if pid not in network.places]
        if not text.place_ids:
            raise PlaceError(f"{what} {text.label!r} names no place", unknown=True)
        if unknown:
            listed = ", ".join(unknown[:3]) + (", ..." if len(unknown) > 3 else "")
            raise PlaceError(f"{what} {text.label!r} names places this network does not have: {listed}", unknown=True)
        target = text
    else:
        _place(text, what)
        if not text.strip():  # bad usage, as an empty --via is, not an unknown place
            raise UsageError(f"{what}: empty place name", what)
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
    modes: str | Iterable[str] | None = None,
    via: str | Target | Sequence[str | Target] = (),
    avoid: str | Sequence[str] = (),
    allow: str | Sequence[str] = (),
    teu: float = 1.0,
    alternatives: int = 0,
) -> Query:
    """Return a Query from keyword arguments as the library functions take them; a single name
    stands for a list of one (`avoid="malacca"`, `modes="sea"`), as in `Query`."""
    return Query(
        origin, destination, by=by, modes=_names(modes, "modes") if modes is not None else None,
        via=places(() if via is None else via, "via"), avoid=_names(avoid, "avoid"), allow=_names(allow, "allow"),
        teu=teu, alternatives=alternatives,
    )  # fmt: skip


def query_of(origin: str | Target | Query, destination: str | Target | None = None, **keywords: object) -> Query:
    """Return the Query a library function is given: a `Query` passed as its origin, else one made
    from its arguments (`make_query`).

    A Query carries every setting, so a keyword beside it that differs from its default would be
    silently ignored: it is refused instead, naming the keyword.
    """
    if not isinstance(origin, Query):
        return make_query(origin, destination, **keywords)  # type: ignore[arg-type]
    defaults = inspect.signature(make_query).parameters
    given = ["destination"] if destination is not None else []
    for name, value in keywords.items():
        default = defaults[name].default
        if value != default and not (isinstance(value, (list, tuple)) and tuple(value) == default):
            given.append(name)
    if given:
        raise UsageError(f"{', '.join(given)}: given beside a Query, which carries its own; set it there", given[0])
    return origin


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
