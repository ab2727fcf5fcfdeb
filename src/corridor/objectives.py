"""Derived objectives: the generalised cost a shipper weighs, built from the measured metrics.

The registry's metrics are the four quantities every edge carries (distance, time, cost, CO2).
The generalised cost is not a fifth one: it is a weight array derived from three of them and
three prices, made when a query asks for it:

    generalised cost per TEU = cost + time x (cargo value x holding rate per day / 24)
                               + CO2 x (carbon price per tonne / 1000)

The prices default to the parameters `cargo_value_usd_per_teu`, `holding_rate_per_day` and
`co2_price_usd_per_t` (data/parameters.csv, each with its source); a query may override each.
Searches run on the derived array; every route still reports its four measured totals, and
its generalised cost is computed from them (`Prices.of`).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .engine import INF, STOP_ALL, STOP_NONE, Result, go_on, search
from .errors import UsageError
from .registry import BY, METRIC_NAMES

if TYPE_CHECKING:
    from .costing import Parameters
    from .graph import Graph
    from .network import Network
    from .query import Plan
    from .routing import Bans, Reached, Route

GENERALIZED = "generalized_usd"  # the JSON key and `optimized_for` of a generalised-cost route
OBJECTIVES: tuple[str, ...] = (*BY, "generalized")  # the --by choices where a derived objective is allowed
# Fallbacks when a dataset's parameters table has no prices (each the bundled table's figure).
DEFAULT_PRICES = {"cargo_value_usd_per_teu": 54500.0, "holding_rate_per_day": 0.000685, "co2_price_usd_per_t": 72.0}


@dataclass(frozen=True)
class Prices:
    """What a shipper pays for time and for carbon, per TEU: the generalised cost's weights."""

    cargo_value_usd: float  # value of the goods in one TEU
    holding_rate_per_day: float  # share of the value that holding the goods costs per day
    co2_price_usd_per_t: float

    def __post_init__(self) -> None:
        for name in ("cargo_value_usd", "holding_rate_per_day", "co2_price_usd_per_t"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (math.isfinite(value) and value >= 0)
            ):
                raise UsageError(f"{name} must be a finite number of at least 0, not {value!r}", name)

    @classmethod
    def from_parameters(
        cls,
        parameters: Parameters,
        *,
        cargo_value_usd: float | None = None,
        holding_rate_per_day: float | None = None,
        co2_price_usd_per_t: float | None = None,
    ) -> Prices:
        """Return the prices of a parameters table, with any given value replacing its own."""

        def pick(given: float | None, name: str) -> float:
            return given if given is not None else parameters.value(name, "all", DEFAULT_PRICES[name])

        return cls(
            pick(cargo_value_usd, "cargo_value_usd_per_teu"),
            pick(holding_rate_per_day, "holding_rate_per_day"),
            pick(co2_price_usd_per_t, "co2_price_usd_per_t"),
        )

    @property
    def usd_per_hour(self) -> float:
        """What an hour in transit costs per TEU (the holding cost of its goods)."""
        return self.cargo_value_usd * self.holding_rate_per_day / 24.0

    @property
    def usd_per_kg_co2(self) -> float:
        return self.co2_price_usd_per_t / 1000.0

    def of(self, cost_usd: float, time_h: float, co2_kg: float, *, teu: float = 1.0) -> float:
        """Return the generalised cost of totals (cost and CO2 for `teu` containers, time as it is)."""
        return cost_usd + time_h * self.usd_per_hour * teu + co2_kg * self.usd_per_kg_co2

    def route(self, route: Route) -> float:
        """Return a route's generalised cost for its number of containers."""
        return self.of(route.cost_usd, route.time_h, route.co2_kg, teu=route.teu)

    def weight(self, graph: Graph) -> array:
        """Return the generalised cost per TEU of every edge of a compiled graph."""
        cost, time_h, co2 = graph.weights["cost_usd"], graph.weights["time_h"], graph.weights["co2_kg"]
        per_h, per_kg = self.usd_per_hour, self.usd_per_kg_co2
        return array("d", (c + t * per_h + k * per_kg for c, t, k in zip(cost, time_h, co2, strict=True)))

    def weight_on(self, network: Network, weight: array | None = None) -> array:
        """Return the generalised cost per TEU of every edge of a network (`weight`), given that of
        the network it is a domestic network of (`weight`): only the edges it changed are
        weighed again (`Network.edited_edges`)."""
        edited = network.edited_edges()
        if weight is None or edited is None:
            return self.weight(network.core)
        out = array("d", weight)
        graph = network.core
        cost, time_h, co2 = graph.weights["cost_usd"], graph.weights["time_h"], graph.weights["co2_kg"]
        per_h, per_kg = self.usd_per_hour, self.usd_per_kg_co2
        for e in edited:
            out[e] = cost[e] + time_h[e] * per_h + co2[e] * per_kg
        return out

    def as_dict(self) -> dict[str, float]:
        return {
            "cargo_value_usd_per_teu": self.cargo_value_usd,
            "holding_rate_per_day": self.holding_rate_per_day,
            "co2_price_usd_per_t": self.co2_price_usd_per_t,
            "usd_per_hour": self.usd_per_hour,
        }


def weight(network: Network, by: str, prices: Prices | None = None) -> array:
    """Return the weight array a search on `by` runs on (a metric's own, or the generalised cost's)."""
    if prices is not None and not isinstance(prices, Prices):
        raise UsageError(f"prices must be a Prices (corridor.objectives.Prices), not {prices!r}", "prices")
    if by in ("generalized", GENERALIZED):
        return (prices or Prices.from_parameters(network.parameters)).weight(network.core)
    from .registry import metric

    try:
        return network.core.weights[metric(by).name]
    except ValueError:
        raise UsageError(f"by must be one of {', '.join(OBJECTIVES)}, not {by!r}", "by") from None


def objective_name(by: str) -> str:
    """Return the key an objective is reported under: the metric's attribute, or generalized_usd."""
    if by in ("generalized", GENERALIZED):
        return GENERALIZED
    from .registry import metric

    return metric(by).name


def searching_on(
    network: Network, weight: array, *, slot: str = "cost_usd", weigh: Callable[[Graph], array] | None = None
) -> Network:
    """Return a view of a network whose `slot` metric array is `weight`, for searching only.

    The routing functions search on a metric's array; handing them this view makes them search
    on a derived objective. Totals read from the view are wrong in `slot`: `measured` restores them.
    Given `weigh`, the function that made `weight` from a graph, the view's domestic networks
    (`Network.domestic`) are views of the network's, weighed by it.
    """
    import copy

    view = copy.copy(network)
    view.core = replace(network.core, weights={**network.core.weights, slot: weight})
    for cached in ("graph",):  # built from the weights: rebuilt on demand
        view.__dict__.pop(cached, None)
    if weigh is not None:
        view.__dict__["_reweigh"] = (network, weigh, slot)
    return view


def measured(network: Network, route: Route, optimized_for: str = GENERALIZED) -> Route:
    """Return a route found on a search view with every leg's totals summed from the real metrics:
    the network's, or for a leg whose cargo has cleared into the destination's customs territory
    (`Leg.cleared`), that territory's domestic network's."""
    scale = {m: route.teu if _per_teu(m) else 1.0 for m in METRIC_NAMES}
    home = None  # the destination's domestic network, for cleared legs (the route's is a search view)
    legs = []
    for leg in route.legs:
        if leg.cleared and home is None:
            home = network.domestic(network.territory(network.places[route.destination].country))
        weights = (home if leg.cleared else network).core.weights  # type: ignore[union-attr]
        legs.append(replace(leg, **{m: sum(weights[m][e] for e in leg.edges) * scale[m] for m in METRIC_NAMES}))
    return replace(route, legs=tuple(legs), optimized_for=optimized_for, network=network)


def _per_teu(name: str) -> bool:
    from .registry import METRICS

    return METRICS[name].per_teu


def shipment_network(network: Network, origin, destination, **query) -> Network:
    """Return the network a route from origin to destination is found on: `Network.domestic` for
    cargo that starts and ends in one country, else the network itself."""
    from .query import make_query

    return make_query(origin, destination, **query).plan(network).network


def find_routes(network: Network, origin, destination, *, prices: Prices, **query) -> list[Route]:
    """Return the route of lowest generalised cost and its alternatives (as `routing.find_routes`)."""
    from . import routing

    network = shipment_network(network, origin, destination, **query)
    view = searching_on(network, prices.weight(network.core), weigh=prices.weight)
    return [measured(network, r) for r in routing.find_routes(view, origin, destination, by="cost", **query)]


def compare(network: Network, origin, destination, *, prices: Prices, **query) -> dict[str, Route]:
    """Return the best route for each metric and for the generalised cost (key "generalized")."""
    from . import routing

    best = routing.compare(network, origin, destination, **query)
    best["generalized"] = find_routes(network, origin, destination, prices=prices, **query)[0]
    return best


# --------------------------------------------------------------------------- searches on any weight


def masks(plan: Plan, bans: Bans | None = None) -> tuple[bytes | bytearray, bytearray | None]:
    """Return the edge and node masks of a plan's rules and avoided places (and `bans`), as a
    route's search takes them (`routing._masks`)."""
    from .routing import Bans, _masks

    return _masks(plan, plan.rules, plan.avoided, bans or Bans())


def tree(plan: Plan, weight: array, targets: Sequence[int] = (), bans: Bans | None = None) -> Result:
    """Search from a plan's origin on `weight`, totalling the four metrics along the search tree."""
    core = plan.network.core
    edge_ok, node_ok = masks(plan, bans)
    sources = [(core.origin(pid), 0.0) for pid in plan.start.place_ids]
    return search(
        core, weight, sources, targets=targets, stop=STOP_ALL if targets else STOP_NONE,
        edge_ok=edge_ok, node_ok=node_ok, sums=METRIC_NAMES,
    )  # fmt: skip


def reach(
    network: Network,
    origin,
    *,
    prices: Prices,
    modes: Iterable[str] | None = None,
    avoid: Sequence[str] = (),
    allow: Sequence[str] = (),
    teu: float = 1.0,
    served: bool = False,
) -> list[Reached]:
    """Return every place reachable from origin with the totals of its route of lowest generalised
    cost; with `served`, crossing the sea on the published services alone (`routing.reach`)."""
    from .query import make_query
    from .routing import Bans, _by_territory, _home, _inside, _reached, _served_bans, onwards

    plan = make_query(origin, modes=modes, avoid=avoid, allow=allow, teu=teu).plan(network, destination=False)
    bans = _served_bans(network) if served else Bans()
    weighed = prices.weight(network.core)
    result = tree(plan, weighed, bans=bans)
    core = network.core
    # Places in the origin's own country are reached as `route` reaches them: without customs.
    home = _home(plan)
    country = network.country_of(plan.start.place_ids) if home else None
    home_result = tree(home, prices.weight_on(home.network, weighed), _inside(network, country), bans) if home else None
    # Places abroad too: cargo cleared into their territory by land sails on inside it without customs.
    edge_ok, node_ok = masks(plan, bans)
    ends = _by_territory(
        network, (n for n in core.destination_node if n >= 0), network.country_of(plan.start.place_ids)
    )
    ways = onwards(network, ends, lambda on: prices.weight_on(on, weighed), edge_ok)
    result = go_on(core, result, ways, node_ok, paths=False)
    out = []
    for index, pid in enumerate(core.place_ids):
        node = core.destination_node[index]
        inside = network.territory(network.places[pid].country) == country
        found = home_result if home_result is not None and inside else result
        if node < 0 or found.dist[node] == INF or pid in plan.start.place_ids or network.places[pid].kind == "lock":
            continue
        out.append(_reached(found, node, pid, teu))
    out.sort(key=lambda r: (prices.of(r.cost_usd, r.time_h, r.co2_kg, teu=teu), r.place_id))
    return out
