"""What `reach` and `matrix` return: lists as before, that also export DataFrames and show in notebooks.

`Reach` is the list of `Reached` places, best first; `Matrix` the list of rows of `Reached` or
None. Both keep the network and the query they came from, so `.to_dataframe()` and
`.to_geodataframe()` need no arguments; slicing one gives a plain list. Their reprs are short
(a notebook never prints 2,000 tuples), and `_repr_html_` shows the first rows as a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._text import plain_number
from .registry import METRICS

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from .network import Network
    from .routing import Reached, Route

SHOWN = 10  # rows a repr or notebook view shows


def _text(metric: str, value: float) -> str:
    return METRICS[metric].text(value)


def _table(head: Sequence[str], rows: Iterable[Sequence[str] | str], caption: str) -> str:
    """Return an HTML table of text cells, every one escaped; a row given as one string is a note
    under the row before it, across every column but the first."""
    import html  # notebooks only: not on the CLI's route path

    e = html.escape

    def row_html(row: Sequence[str] | str) -> str:
        if isinstance(row, str):
            return f"<tr><td></td><td colspan='{len(head) - 1}' style='text-align:left'><i>{e(row)}</i></td></tr>"
        return "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"

    header = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join(row_html(row) for row in rows)
    return (
        f"<table class='corridor'><caption style='text-align:left'>{e(caption)}</caption>"
        f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
    )


class Reach(list):
    """Every place reachable from an origin, best first: a list of `Reached` with exports."""

    def __init__(self, items: Iterable[Reached] = (), *, network: Network | None = None, origin: str = "",
                 by: str = "") -> None:  # fmt: skip
        super().__init__(items)
        self.network = network
        self.origin = origin
        self.by = by

    def to_dataframe(self) -> pd.DataFrame:
        """Return one row per place: id, name, country, kind, lat, lon, distance_km, time_h, cost_usd, co2_kg."""
        from .frames import _need, reach_to_df

        return reach_to_df(_need(self.network, "Reach.to_dataframe"), self)

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """Return `to_dataframe()` with each place's Point, in EPSG:4326."""
        from .frames import _need, reach_to_gdf

        return reach_to_gdf(_need(self.network, "Reach.to_geodataframe"), self)

    def _title(self) -> str:
        by = f" by {self.by}" if self.by else ""
        return f"{len(self):,} places reachable from {self.origin or '?'}{by}"

    def __repr__(self) -> str:
        head = ", ".join(repr(r) for r in self[:3])
        more = ", ..." if len(self) > 3 else ""
        return f"<Reach: {self._title()}: [{head}{more}]>"

    def _repr_html_(self) -> str:
        names = self.network.places if self.network is not None else {}
        rows = [
            [r.place_id, names[r.place_id].name if r.place_id in names else "",
             *(_text(m, getattr(r, m)) for m in METRICS)]
            for r in self[:SHOWN]
        ]  # fmt: skip
        more = f" (first {SHOWN}; .to_dataframe() has all)" if len(self) > SHOWN else ""
        return _table(["id", "name", *(spec.noun for spec in METRICS.values())], rows, self._title() + more)


class Matrix(list):
    """The totals from each origin (rows) to each destination (columns): lists of `Reached` or None."""

    def __init__(self, rows: Iterable[list[Reached | None]] = (), *, network: Network | None = None,
                 origins: Sequence[str] = (), destinations: Sequence[str] = (), by: str = "",
                 origin_points: Sequence[tuple[float, float]] = (),
                 destination_ids: Sequence[str | None] = (),
                 unroutable: Mapping[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(rows)
        self.network = network
        self.origins = [str(o) for o in origins]
        self.destinations = [str(d) for d in destinations]
        # The place each destination names where it names one (None for an area), so that a
        # destination no route reaches still says which place it is.
        self.destination_ids: list[str | None] = list(destination_ids) or [None] * len(self.destinations)
        self.by = by
        self.origin_points = list(origin_points)
        # The names of the places no route can use, each with why: their rows or columns are empty.
        self.unroutable: dict[str, str] = dict(unroutable or {})

    def to_dataframe(self) -> pd.DataFrame:
        """Return one row per origin and destination (long format), NaN totals where there is no route."""
        from .frames import _need, matrix_to_df

        return matrix_to_df(_need(self.network, "Matrix.to_dataframe"), self.origins, self.destinations, self,
                            self.destination_ids)  # fmt: skip

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """Return `to_dataframe()` with a straight line from each origin to the place reached, in EPSG:4326."""
        from .frames import _need, matrix_to_gdf

        network = _need(self.network, "Matrix.to_geodataframe")
        return matrix_to_gdf(network, self.origins, self.destinations, self, self.origin_points, self.destination_ids)

    def _title(self) -> str:
        by = f" by {self.by}" if self.by else ""
        return f"{len(self):,} origins x {len(self.destinations):,} destinations{by}"

    def __repr__(self) -> str:
        reached = sum(cell is not None for row in self for cell in row)
        return f"<Matrix: {self._title()}, {reached:,} pairs with a route>"

    def _repr_html_(self) -> str:
        rows = []
        for origin, row in zip(self.origins[:SHOWN], self[:SHOWN], strict=False):
            cells = [_text(self.by, getattr(c, self.by)) if c is not None and self.by else "-" for c in row[:SHOWN]]
            rows.append([origin, *cells])
        caption = self._title() + (f" (first {SHOWN}; .to_dataframe() has all)" if len(self) > SHOWN else "")
        return _table(["", *self.destinations[:SHOWN]], rows, caption)


def route_html(route: Route, network: Network | None) -> str:
    """Return a route as an HTML table of its legs and totals, each leg's notes under it (the
    text view's: via places, passages, calls, customs) and its bad case (every name escaped)."""

    def label(pid: str) -> str:
        if network is None or pid not in network.places:
            return pid
        return f"{network.places[pid].short_name} ({pid})"

    from .io import leg_label, leg_notes, leg_to  # notebooks only: not on the CLI's route path

    rows: list[Sequence[str] | str] = []
    for i, leg in enumerate(route.legs, 1):
        cells = [leg_label(leg) if network is not None else leg.mode, label(leg.from_id), leg_to(leg, label)]
        rows.append([str(i), *cells, *(_text(m, getattr(leg, m)) for m in METRICS)])
        if network is not None:
            rows.extend(leg_notes(network, route, leg))
    rows.append(["", "total", "", "", *(_text(m, getattr(route, m)) for m in METRICS)])
    rows.append(["", "bad case", "", "", "", _text("time_h", route.time_p90_h), "", ""])
    best = METRICS[route.optimized_for].best if route.optimized_for in METRICS else route.optimized_for
    teu = f", for {plain_number(route.teu)} TEU" if route.teu != 1 else ""
    caption = f"{best.capitalize()} route from {label(route.origin)} to {label(route.destination)}{teu}"
    body = _table(["#", "mode", "from", "to", *(spec.noun for spec in METRICS.values())], rows, caption)
    if network is None:
        return body
    import html

    from .io import BAD_CASE_NOTE
    from .provenance import not_charged_notes

    notes = not_charged_notes(network, [route])
    return body + "".join(f"<p>{html.escape(note)}</p>" for note in [*notes, BAD_CASE_NOTE])


def leg_repr(leg: Any) -> str:
    """Return a short repr of a leg (its edges can number in the hundreds)."""
    totals = ", ".join(_text(m, getattr(leg, m)) for m in METRICS)
    return f"<Leg {leg.mode} {leg.from_id}->{leg.to_id}: {totals}, {len(leg.edges)} edges>"


__all__ = ["Matrix", "Reach", "leg_repr", "route_html"]
