"""The planner's web page and HTTP API of `corridor serve`: one ASGI application over one loaded network.

Each process loads the network once and answers concurrently: every search runs in a worker
thread (the compiled core releases the GIL while it searches), under a time limit. The answers
are the CLI's own: the JSON of `--format json` and the text tables from `corridor.io`, the maps
from `corridor.render`. Errors are one JSON line, `{"error": ..., "parameter": ...}`, in the
CLI's words: 400 for bad input, 404 for an unknown place, 422 for a route that cannot be
found, 413 for a body too large, 503 past the time limit; the parameter names the field at
fault, so the page shows the message beside it.

Safety: the page is one static HTML file, one script and one style sheet served from a fixed
list in the package (no request path reaches the filesystem), under a Content-Security-Policy
that allows scripts from this origin only; the script builds every element with `textContent`.
Nothing writes to the dataset unless the server was started with `allow_edits`, and then only
through `corridor.editing`, whose writes are validated, locked and atomic. CORS is off unless
one origin is named.

Starlette, uvicorn and anyio come with the `serve` extra and are imported only here.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__, io
from ._table import fixed_width
from ._text import printable
from .errors import (
    CorridorError,
    DataError,
    NoMatchError,
    NoRouteError,
    PlaceError,
    UsageError,
    WriteError,
    cancel_when,
)
from .gazetteer import country_code
from .network import Network, load_network
from .registry import BY, MAX_TEU, MODE_NAMES

log = logging.getLogger("corridor.server")

MAX_BODY_BYTES = 1 << 20  # a POST body: a matrix of a few thousand places, or one place to add
MAX_QUERY_BYTES = 16 << 10  # a query string; larger lists go in a POST body
TIME_LIMIT_S = 30.0
THREADS = 4  # searches at once per process; more only queue on the GIL
MAX_PLACES = 50  # type-ahead suggestions
MAX_MATRIX_ORIGINS = 200
MAX_MATRIX_CELLS = 100_000
MAX_CRITICALITY_DESTINATIONS = 20  # each costs one search per element closed: bounded
MAX_CRITICALITY_TOP = 50
RELOAD_CHECK_S = 2.0  # how often the dataset's files are looked at for changes
SETTINGS_ENV = "CORRIDOR_SERVE_SETTINGS"  # how `--workers N` hands the settings to each worker process

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

OBJECTIVES = (*BY, "generalized")
METRIC_CHOICES = tuple(BY)


@dataclass(frozen=True)
class Settings:
    """How a server runs: its dataset, what it allows, its limits."""

    data: str | None = None
    params: str | None = None
    allow_edits: bool = False
    cors: str | None = None  # the one other origin allowed to call the API from a browser
    allowed_hosts: tuple[str, ...] | None = None  # Host headers answered (None: any); loopback by default
    time_limit_s: float = TIME_LIMIT_S
    max_body_bytes: int = MAX_BODY_BYTES
    threads: int = THREADS

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        raw = json.loads(text)
        if raw.get("allowed_hosts") is not None:
            raw["allowed_hosts"] = tuple(raw["allowed_hosts"])
        return cls(**raw)


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """A request the server refuses: its HTTP status, one line saying why, and the parameter at fault."""

    def __init__(self, status: int, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter


def _one_line(text: str) -> str:
    """Text escaped as `printable` does, the newline too: an error is one line, whatever a request put in it."""
    return printable(text).replace("\n", "\\u000a")


def error_response(status: int, message: str, parameter: str | None = None, headers=None) -> Response:
    # The parameter may be a name the client sent (an unknown one): escaped as the message is, so
    # that a lone surrogate from a JSON body ("\ud800") cannot make the answer unencodable.
    named = None if parameter is None else _one_line(parameter)
    body = json.dumps({"error": _one_line(message), "parameter": named}, ensure_ascii=False)
    return Response(body + "\n", status_code=status, media_type="application/json", headers=headers)


_BLOCKED_BY = re.compile(r"blocked by (?:the [\w-]+ being closed \(.*?)?--(modes|avoid|via|allow|scenario)\b")


def _no_route_parameter(message: str) -> str:
    """Return the field a NoRouteError's message blames (the first constraint it names), else the destination."""
    found = _BLOCKED_BY.search(message)
    if found:
        return found.group(1)
    if " closed in scenario " in message:
        return "scenario"
    return "destination"


def _problem_field(exc: DataError) -> str | None:
    """Return the field the first problem of a refused write names ('lat: ...'), if it names one."""
    first = exc.problems[0] if exc.problems else ""
    found = re.match(r"(?:.*?: )?(id|name|country|lat|lon|modes|kind|aliases|area|status|source|notes): ", first)
    return found.group(1) if found else None


# --------------------------------------------------------------------------- parameters


# How often a repeatable filter may be given: a route through hundreds of vias is no request a
# planner makes, and each via is a search of its own.
MAX_REPEATS = {"via": 10, "avoid": 50, "allow": 20}
# Parameters that may be left out but not sent empty (an empty `modes` would allow every mode, an
# empty `scenario` route on the network without it, an empty price take the default price).
NOT_EMPTY = frozenset({"modes", "by", "teu", "width", "alternatives", "limit", "top", "sort", "rank", "format", "mode",
                       "scenario", "on", "cargo_value_usd", "holding_rate_per_day", "co2_price_usd_per_t"})  # fmt: skip
# Repeatable filters whose empty values are kept for `query.check_filters` to refuse, as the CLI does.
CHECKED_WHEN_EMPTY = frozenset({"via", "avoid", "allow"})
# Parameters that hold a comma-separated list: a JSON body may give them as a list.
COMMA_LISTS = frozenset({"modes"})
MIN_WIDTH, MAX_WIDTH = 40, 1000


@dataclass(frozen=True)
class Param:
    """A request parameter: how it is read, and how the OpenAPI document describes it."""

    name: str
    schema: dict
    description: str
    parse: Callable[[str], Any] | None = None  # an argparse type of the CLI: the same checks, the same words
    repeat: bool = False
    flag: str = ""  # the CLI flag it stands for (default: --name with dashes)

    @property
    def cli_flag(self) -> str:
        return self.flag or f"--{self.name.replace('_', '-')}"


def _cli_types():
    """Return the CLI's argparse types, so a request is checked exactly as the command line is."""
    from . import cli

    return cli


def _choice(choices: Sequence[str]) -> Callable[[str], str]:
    """Return a parser refusing what is not one of `choices`, in argparse's own words (as the CLI says it)."""

    def parse(text: str) -> str:
        if text not in choices:
            action = argparse.Action(option_strings=[], dest="choice", choices=choices)
            try:
                argparse.ArgumentParser()._check_value(action, text)
            except argparse.ArgumentError as exc:
                raise argparse.ArgumentTypeError(exc.message) from None
        return text

    return parse


def _flag_value(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("", "1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def _date(text: str):
    return _cli_types()._date(text)


def _param_table() -> dict[str, Param]:
    cli = _cli_types()
    place = {"type": "string"}
    number = {"type": "number"}
    places = "a place id (IQUQR), name or alias (umm qasr), or an area (Chongqing)"
    params = [
        Param("origin", place, f"where the containers start: {places}"),
        Param("destination", place, f"where they go: {places}"),
        Param(
            "by",
            {"type": "string", "enum": list(OBJECTIVES), "default": "cost"},
            "metric to minimise, or generalized: cost + time value + CO2 price",
            _choice(OBJECTIVES),
        ),
        Param(
            "modes",
            {"type": "string", "example": "rail,sea"},
            f"comma-separated modes allowed: {','.join(MODE_NAMES)} (default: all)",
            cli._modes,
        ),
        Param("via", place, "pass through a place; repeatable", repeat=True),
        Param(
            "avoid",
            {"type": "string"},
            "a place, 'three-gorges', or a sea passage (malacca, hormuz, suez, ...); repeatable",
            repeat=True,
        ),
        Param(
            "allow", {"type": "string"}, "open a passage closed by default (northwest-passage); repeatable", repeat=True
        ),
        Param(
            "alternatives",
            {"type": "integer", "minimum": 0, "maximum": 20, "default": 0},
            "also give K different routes",
            cli._count,
        ),
        Param(
            "teu",
            {**number, "exclusiveMinimum": 0, "maximum": MAX_TEU, "default": 1},
            "containers, scales cost and CO2",
            cli._teu,
        ),
        Param("scenario", {"type": "string"}, "apply a scenario by name (see /api/scenarios)"),
        Param("on", {"type": "string", "format": "date"}, "only the scenario's changes in force on this date", _date),
        Param(
            "cargo_value_usd",
            {**number, "minimum": 0, "maximum": cli.MAX_CARGO_VALUE_USD},
            "value of the goods in one TEU, for generalized",
            cli._cargo_value,
        ),
        Param(
            "holding_rate_per_day",
            {**number, "minimum": 0, "maximum": 1},
            "holding cost per day as a share of the value",
            cli._holding_rate,
        ),
        Param(
            "co2_price_usd_per_t",
            {**number, "minimum": 0, "maximum": cli.MAX_CO2_PRICE_USD_PER_T},
            "carbon price per tonne of CO2",
            cli._co2_price,
        ),
        Param(
            "sort",
            {"type": "string", "enum": [*METRIC_CHOICES, "name", "country"]},
            "sort by (default: by)",
            _choice((*METRIC_CHOICES, "name", "country")),
        ),
        Param("country", {"type": "string"}, "only places in this country (an ISO 3166 code or a country name)"),
        Param(
            "mode", {"type": "string", "enum": list(MODE_NAMES)}, "only places served by this mode", _choice(MODE_NAMES)
        ),
        Param("limit", {"type": "integer", "minimum": 1}, "at most N rows", cli._count_rows),
        Param(
            "served",
            {"type": "boolean", "default": False},
            "cross the sea only on the published services of sea/services.csv",
            _flag_value,
        ),
        Param("q", {"type": "string"}, "what the user typed: part of an id, name, alias or area"),
        Param("origins", place, f"origin places, {MAX_MATRIX_ORIGINS} at most; repeatable", repeat=True),
        Param("destinations", place, "destination places; repeatable", repeat=True, flag="--to"),
        Param("to", place, f"a destination, {MAX_CRITICALITY_DESTINATIONS} at most; repeatable", repeat=True),
        Param(
            "top",
            {"type": "integer", "minimum": 1, "maximum": MAX_CRITICALITY_TOP, "default": 20},
            "the N most critical elements",
            cli._count_rows,
        ),
        Param(
            "rank",
            {"type": "string", "enum": ["cutoff", "added"], "default": "cutoff"},
            "rank by destinations cut off, then added total, or by added total",
            _choice(("cutoff", "added")),
        ),
        Param(
            "width",
            {"type": "integer", "minimum": MIN_WIDTH, "maximum": MAX_WIDTH},
            "text: fit the tables to this many columns (default: never wrap)",
            cli._number(int, low=MIN_WIDTH, high=MAX_WIDTH),
        ),
    ]
    return {p.name: p for p in params}


def _format_param(formats: Sequence[str]) -> Param:
    return Param(
        "format",
        {"type": "string", "enum": list(formats), "default": formats[0]},
        "json as `--format json` prints it; text as the CLI prints it; html: the map to download",
        _choice(formats),
    )


class Params:
    """A request's parameters (query string or JSON body), read as the CLI reads its arguments."""

    def __init__(self, values: Mapping[str, list[str]], known: Mapping[str, Param]):
        self.values = values
        self.known = known
        for name in values:
            if name not in known:
                raise ApiError(400, f"unrecognized parameter {name!r}", name)
        # As argparse does, a bad value is refused even where this output does not read it (a
        # `width` with JSON): the request may mean something other than what it is answered.
        for name in values:
            if known[name].parse is not None and not known[name].repeat:
                self.get(name)

    @classmethod
    def from_query(cls, request: Request, known: Mapping[str, Param]) -> Params:
        values: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            values.setdefault(name, []).append(value)
        return cls(values, known)

    @classmethod
    def from_json(cls, data: object, known: Mapping[str, Param]) -> Params:
        if not isinstance(data, dict):
            raise ApiError(400, "the body must be a JSON object of parameters")
        values: dict[str, list[str]] = {}
        for name, value in data.items():
            if name in COMMA_LISTS and isinstance(value, list) and all(isinstance(v, str) for v in value):
                value = ",".join(value)
            items = value if isinstance(value, list) else [value]
            texts = []
            for item in items:
                if isinstance(item, bool):
                    texts.append("true" if item else "false")
                elif isinstance(item, (int, float, str)):
                    texts.append(str(item))
                elif item is not None:
                    raise ApiError(400, f"{name}: give a string, a number or a list of them", str(name))
            values[str(name)] = texts
        return cls(values, known)

    def _spec(self, name: str) -> Param:
        return self.known[name]

    def text(self, name: str, *, required: bool = False) -> str | None:
        items = self.values.get(name, [])
        spec = self._spec(name)
        if len(items) > 1 and not spec.repeat:
            raise ApiError(400, f"argument {spec.cli_flag}: give it once", name)
        value = items[0].strip() if items else None
        if not value and items and name in NOT_EMPTY:
            raise ApiError(400, f"argument {spec.cli_flag}: is empty: leave it out for the default", name)
        if not value:
            if required:
                raise ApiError(400, f"the following arguments are required: {name}", name)
            return None
        return value

    def texts(self, name: str) -> list[str]:
        found = [v.strip() for v in self.values.get(name, []) if v.strip() or name in CHECKED_WHEN_EMPTY]
        limit = MAX_REPEATS.get(name)
        if limit is not None and len(found) > limit:
            raise ApiError(400, f"argument {self._spec(name).cli_flag}: give it at most {limit} times", name)
        return found

    def get(self, name: str, default: Any = None) -> Any:
        text = self.text(name)
        if text is None:
            return default
        spec = self._spec(name)
        if spec.parse is None:
            return text
        try:
            return spec.parse(text)
        except argparse.ArgumentTypeError as exc:
            raise ApiError(400, f"argument {spec.cli_flag}: {exc}", name) from None


def _width(params: Params) -> int | None:
    return params.get("width")


# --------------------------------------------------------------------------- the loaded network


def _signature(root: Path) -> tuple:
    """Return what identifies a dataset's state: each file's path, size and modification time."""
    out = []
    for path in sorted(root.rglob("*")):
        if path.name.startswith("."):  # the lock file, temporary files of a write under way
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


class Service:
    """One process's network and what its requests share: loaded once, reloaded when the dataset changes."""

    def __init__(self, settings: Settings, network: Network | None = None):
        from .datasets import dataset_dir

        self.settings = settings
        self.root = dataset_dir(settings.data)
        self._network = network
        self._seen = _signature(self.root) if network is not None else None
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._derived: dict[tuple, Any] = OrderedDict()  # per network: scenarios applied, the place index
        # Held by the thread doing a search until the search ends, answered or abandoned past the
        # time limit: so searches never outnumber the threads, however many requests time out.
        self.gate = threading.BoundedSemaphore(settings.threads)
        # The worker threads searches may take, apart from anyio's default pool (40), which the
        # light requests use: a search waiting for the gate holds a thread, and the searches
        # queued behind a busy gate must not take every thread the type-ahead needs.
        self.searches = anyio.CapacityLimiter(settings.threads)
        # Edits, one at a time in this process (the dataset's lock orders them with other writers).
        self.writes = anyio.Lock()

    def load(self) -> Network:
        """Load (or reload) the network; warm what is computed on first use, so requests do not race for it."""
        with self._lock:
            seen = _signature(self.root)
            network = load_network(self.settings.data, params=self.settings.params)
            _warm(network)
            self._network, self._seen, self._checked = network, seen, time.monotonic()
            self._derived.clear()
        log.info("network loaded: %d places, %d links", len(network.places), len(network.links))
        return network

    def invalidate(self) -> None:
        """Look at the dataset again before the next request (after a write)."""
        self._checked = 0.0

    @property
    def network(self) -> Network:
        network = self._network
        if network is None:
            return self.load()
        if time.monotonic() - self._checked > RELOAD_CHECK_S:
            self._checked = time.monotonic()
            if _signature(self.root) != self._seen:
                log.info("the dataset changed: reloading it")
                return self.load()
        return network

    def derived(self, network: Network, key: tuple, make: Callable[[], Any]) -> Any:
        """Return something computed once per network (an index, a scenario applied), keeping the last few."""
        full = (id(network), *key)
        with self._lock:
            if full in self._derived:
                self._derived.move_to_end(full)  # type: ignore[attr-defined]
                return self._derived[full]
        value = make()
        with self._lock:
            self._derived[full] = value
            while len(self._derived) > 16:
                self._derived.popitem(last=False)  # type: ignore[call-arg]
        return value


def _warm(network: Network) -> None:
    """Compute the lazy parts of a network that routes, tables and drawings use."""
    from . import routing
    from .geometry import leg_coords

    places = list(network.places.values())
    _ = network.gazetteer, network.masks, network.traces
    routable = [p.id for p in places if network.routable(p.id)]
    if len(routable) >= 2:
        try:
            route = routing.find_routes(network, routable[0], routable[-1])[0]
        except CorridorError:
            return
        for leg in route.legs:
            leg_coords(network, leg)
        io.route_dict(network, route)


# --------------------------------------------------------------------------- answers


@dataclass
class Reply:
    body: str | bytes
    media_type: str = "application/json"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def _json(data: object, status: int = 200) -> Reply:
    """Answer with the CLI's JSON document, written compactly (the indentation costs more than the search)."""
    return Reply(printable(io.dumps(data, indent=None)) + "\n", status=status)


def _text(text: str) -> Reply:
    return Reply(printable(text) + "\n", "text/plain; charset=utf-8")


def _csv(text: str, name: str) -> Reply:
    return Reply(text, "text/csv; charset=utf-8", headers={"content-disposition": f'attachment; filename="{name}.csv"'})


def _map(m, name: str) -> Reply:
    from .render import map_html

    return Reply(
        map_html(m), "text/html; charset=utf-8", headers={"content-disposition": f'attachment; filename="{name}.html"'}
    )


def _finite(items: Iterable, teu: float) -> None:
    """Refuse totals that overflowed (a huge TEU count), as the CLI does."""
    from .registry import METRICS

    for item in items:
        values = [item[m] for m in METRICS] if isinstance(item, dict) else [getattr(item, m) for m in METRICS]
        if not all(math.isfinite(v) for v in values):
            raise ApiError(400, f"--teu {teu:g} makes the totals overflow: give a smaller number of containers", "teu")


def _known_places(network: Network, **fields: str | Sequence[str] | None) -> None:
    """Resolve each place a request names, so that an unknown one is blamed on its own field.

    An unknown or ambiguous name is a 404, a place no route can use (planned, cut off) a 422,
    but for a matrix, which gives it empty totals (`routing.matrix_places`).
    """
    from .query import avoided_place, resolve
    from .sealanes import passage_name

    for parameter, values in fields.items():
        if values is None:
            continue
        for text in [values] if isinstance(values, str) else values:
            try:
                if parameter == "avoid":
                    if passage_name(text) is None:
                        avoided_place(network, text)
                else:
                    resolve(network, text)
            except PlaceError as exc:
                message = str(exc)
                if "," in text and not isinstance(values, str):
                    message += f" (give each place as its own {parameter}= parameter, not a list with commas)"
                raise ApiError(404, message, parameter) from None
            except NoRouteError as exc:
                if parameter in ("origins", "destinations"):  # a matrix gives it empty totals
                    continue
                raise ApiError(422, str(exc), parameter) from None


def _scenario_names(service: Service) -> list[str]:
    from .scenarios import list_scenarios

    return [path.stem for path in list_scenarios(service.settings.data)]


def _load_scenario(service: Service, network: Network, name: str):
    """Return a scenario named in a request: only a name the server lists, never a path."""
    from .scenarios import load_scenario

    names = _scenario_names(service)
    if name not in names:
        listed = ", ".join(names) or "none"
        raise ApiError(404, f"scenario {name!r} is not one of this server's scenarios ({listed})", "scenario")
    return load_scenario(name, service.settings.data, known_sources=network.sources)


def _disruption(service: Service, base: Network, name: str, on):
    from .scenarios import apply_scenario

    def make():
        return apply_scenario(base, _load_scenario(service, base, name), on=on)

    return service.derived(base, ("scenario", name, on), make)


def _network_for(service: Service, params: Params) -> tuple[Network, Network]:
    """Return (the network to search, the base network): the base, or the scenario applied to it."""
    base = service.network
    name = params.text("scenario")
    on = params.get("on")
    if name is None:
        if on is not None:
            raise ApiError(400, "--on picks the changes of a scenario in force on a date: give --scenario too", "on")
        return base, base
    return _disruption(service, base, name, on).network, base


def _prices(params: Params, network: Network):
    from .objectives import Prices

    return Prices.from_parameters(
        network.parameters,
        cargo_value_usd=params.get("cargo_value_usd"),
        holding_rate_per_day=params.get("holding_rate_per_day"),
        co2_price_usd_per_t=params.get("co2_price_usd_per_t"),
    )


def _generalized_routes(service: Service, network: Network, prices, origin: str, destination: str, **query) -> list:
    """Return `objectives.find_routes`, searching on a generalised-cost view made once per network and prices."""
    from . import objectives, routing

    network = objectives.shipment_network(network, origin, destination, **query)
    view = service.derived(
        network,
        ("generalized", prices),
        lambda: objectives.searching_on(network, prices.weight(network.core), weigh=prices.weight),
    )
    found = routing.find_routes(view, origin, destination, by="cost", **query)
    return [objectives.measured(network, route) for route in found]


def _query(params: Params) -> dict[str, Any]:
    """Return the filters shared by route, compare, reach, pareto and criticality, refused as the
    CLI refuses them when empty or contradictory (`query.check_filters`, before any search)."""
    from .query import check_filters

    query = {
        "modes": params.get("modes"),
        "avoid": params.texts("avoid"),
        "allow": params.texts("allow"),
        "teu": params.get("teu", 1.0) if "teu" in params.known else 1.0,
    }
    country = next(iter(params.values.get("country", [])), None)  # as sent: an empty one is refused
    check_filters(via=params.texts("via"), avoid=query["avoid"], allow=query["allow"], country=country)
    return query


def _priced(params: Params, by: str) -> None:
    """Refuse a price of the generalised cost that a search `by` another metric would ignore, as the CLI does."""
    from .cli import unused_price

    found = unused_price(by, params.get)
    if found is not None:
        raise ApiError(400, found[1], found[0])


def _required(params: Params, name: str) -> str:
    text = params.text(name, required=True)
    assert text is not None
    return text


def _ends(params: Params) -> tuple[str, str]:
    return _required(params, "origin"), _required(params, "destination")


NOTE_HEADER = "x-corridor-note"
NOTE_SAFE = "".join(chr(c) for c in range(32, 127) if chr(c) != "%")


def _events(service: Service, params: Params) -> list:
    """The dataset's dated scenarios, to be noted on an answer; none with a scenario applied."""
    from .scenarios import dated_scenarios

    if params.text("scenario") is not None:
        return []
    return service.derived(
        service.network, ("dated-scenarios",), lambda: dated_scenarios(service.network, str(service.network.root))
    )


def _advisor(service: Service, params: Params, network: Network):
    """What each route's JSON lists under `scenarios_in_force`, as `route --format json` does."""
    import datetime as dt

    from .scenarios import advisor

    return advisor(network, on=dt.date.today(), scenarios=_events(service, params))


def _noted(service: Service, params: Params, network: Network, routes, reply: Reply) -> Reply:
    """Add the notes the CLI prints on stderr (dated scenarios in force today that meet the
    routes) as a header, one line, the page shows above the answer; none with a scenario applied."""
    import datetime as dt

    from .scenarios import advisories

    notes = [a.text() for a in advisories(network, routes, on=dt.date.today(), scenarios=_events(service, params))]
    if notes:
        # A header holds ASCII only: other characters (and %) are percent-encoded as UTF-8, which
        # the page decodes (decodeURIComponent); an ASCII note reads as it is.
        reply.headers[NOTE_HEADER] = quote(printable(" | ".join(notes)), safe=NOTE_SAFE)
    return reply


def route_api(service: Service, params: Params) -> Reply:
    from . import routing

    fmt = params.get("format", "json")
    origin, destination = _ends(params)
    by = params.get("by", "cost")
    _priced(params, by)
    alternatives = params.get("alternatives", 0)
    query = {**_query(params), "via": params.texts("via")}
    prices = _prices(params, service.network) if by == "generalized" else None
    network, _ = _network_for(service, params)
    _known_places(network, origin=origin, destination=destination, via=query["via"], avoid=query["avoid"])
    if prices is not None:
        routes = _generalized_routes(service, network, prices, origin, destination, alternatives=alternatives, **query)
    else:
        routes = routing.find_routes(network, origin, destination, by=by, alternatives=alternatives, **query)
    _finite(routes, query["teu"])
    if fmt == "geojson":
        reply = _json(io.route_geojson(network, routes))
    elif fmt == "text":
        with fixed_width(_width(params)):
            if prices is not None:
                text = io.generalized_routes_text(network, routes, prices)
            else:
                text = io.routes_text(network, routes)
        reply = _text(text)
    elif fmt == "html":
        from .render import route_map

        reply = _map(route_map(network, routes, title=f"{origin} to {destination}"), "corridor-route")
    elif prices is not None:
        reply = _json(io.generalized_routes_dict(network, routes, prices, _advisor(service, params, network)))
    else:
        reply = _json(io.routes_dict(network, routes, _advisor(service, params, network)))
    return _noted(service, params, network, routes, reply)


def compare_api(service: Service, params: Params) -> Reply:
    from . import routing

    fmt = params.get("format", "json")
    origin, destination = _ends(params)
    query = {**_query(params), "via": params.texts("via")}
    network, base = _network_for(service, params)
    prices = _prices(params, base)
    _known_places(network, origin=origin, destination=destination, via=query["via"], avoid=query["avoid"])
    best = routing.compare(network, origin, destination, **query)
    best["generalized"] = _generalized_routes(service, network, prices, origin, destination, **query)[0]
    _finite(best.values(), query["teu"])
    if fmt == "geojson":
        reply = _json(io.route_geojson(network, list(best.values())))
    elif fmt == "html":
        from .render import compare_map

        metrics = {by: route for by, route in best.items() if by != "generalized"}
        title = f"{origin} to {destination}: best per metric"
        reply = _map(compare_map(network, metrics, title=title), "corridor-compare")
    elif fmt == "text":
        with fixed_width(_width(params)):
            text = io.generalized_compare_text(network, best, prices, origin=origin, destination=destination)
        reply = _text(text)
    else:
        reply = _json(io.generalized_compare_dict(network, best, prices, _advisor(service, params, network)))
    return _noted(service, params, network, list(best.values()), reply)


def reach_api(service: Service, params: Params) -> Reply:
    from . import objectives, routing

    fmt = params.get("format", "json")
    origin = _required(params, "origin")
    by = params.get("by", "cost")
    _priced(params, by)
    query = _query(params)
    sort = params.get("sort") or by
    country = params.text("country")
    limit = params.get("limit")
    served = params.get("served", False)
    network, base = _network_for(service, params)
    _known_places(network, origin=origin, avoid=query["avoid"])
    prices = _prices(params, base) if by == "generalized" else None
    if prices is not None:
        reached = objectives.reach(network, origin, prices=prices, served=served, **query)
    else:
        reached = routing.reach(network, origin, by=by, served=served, **query)
    rows = io.reach_rows(network, reached)
    if prices is not None:
        for row in rows:
            row["generalized_usd"] = round(
                prices.of(row["cost_usd"], row["time_h"], row["co2_kg"], teu=query["teu"]), 2
            )
    _finite(rows, query["teu"])
    if country:
        rows = io.reach_in_country(network, rows, country, origin)
    io.sort_reach_rows(rows, reached, sort, prices=prices, teu=query["teu"])
    total, countries = len(rows), len({r["country"] for r in rows})
    if fmt == "text" and limit is None:
        limit = io.TEXT_LIMIT
    if limit is not None:
        rows = rows[:limit]
    if fmt == "geojson":
        # The map of `corridor reach --map`: every place reached, in bands of the metric (cost for the generalised one).
        return _json(_reach_geojson(network, rows, "cost_usd" if prices is not None else routing.BY[by]))
    if fmt == "csv":
        columns = ["id", "name", "country", "distance_km", "time_h", "cost_usd", "co2_kg"]
        return _csv(io.to_csv(rows, columns), "corridor-reach")
    if fmt == "text":
        shown = f"{len(rows):,} of {total:,} places shown" if len(rows) < total else ""
        summary = f"{total:,} places in {countries:,} {'country' if countries == 1 else 'countries'} reachable"
        with fixed_width(_width(params)):
            return _text("\n".join(x for x in (io.reach_text(rows), shown, summary) if x))
    return _json(rows)


def _reach_geojson(network: Network, rows: Sequence[Mapping[str, Any]], metric: str) -> dict:
    """Places reached as GeoJSON points, each with its band of `metric`; the bands' colours and labels as `bands`."""
    from .decision_maps import BAND_COLOURS, band_label, band_of, bands

    bounds = bands([float(r[metric]) for r in rows], len(BAND_COLOURS))
    features = []
    for row in rows:
        place = network.places[str(row["id"])]
        properties = {**row, "band": band_of(float(row[metric]), bounds)}
        point = {"type": "Point", "coordinates": [place.lon, place.lat]}
        features.append({"type": "Feature", "geometry": point, "properties": properties})
    legend = [
        {"color": BAND_COLOURS[i], "label": band_label(metric, bounds[i - 1] if i else 0.0, bound)}
        for i, bound in enumerate(bounds)
    ]
    return {"type": "FeatureCollection", "features": features, "metric": metric, "bands": legend}


def matrix_api(service: Service, params: Params) -> Reply:
    from . import routing
    from .distributed import matrix as matrix_generalized

    fmt = params.get("format", "json")
    origins, destinations = params.texts("origins"), params.texts("destinations")
    if not origins:
        raise ApiError(400, "give at least one origin (origins)", "origins")
    if not destinations:
        raise ApiError(400, "give at least one destination (destinations)", "destinations")
    if len(origins) > MAX_MATRIX_ORIGINS:
        raise ApiError(400, f"at most {MAX_MATRIX_ORIGINS} origins per request (got {len(origins)})", "origins")
    if len(origins) * len(destinations) > MAX_MATRIX_CELLS:
        raise ApiError(
            400, f"at most {MAX_MATRIX_CELLS:,} origin-destination pairs per request: split the matrix", "destinations"
        )
    by = params.get("by", "cost")
    _priced(params, by)
    query = _query(params)
    network, base = _network_for(service, params)
    _known_places(network, origins=origins, destinations=destinations, avoid=query["avoid"])
    if by == "generalized":
        rows = matrix_generalized(network, origins, destinations, by=by, prices=_prices(params, base), **query)
    else:
        rows = routing.matrix(network, origins, destinations, by=by, **query)
    records = io.matrix_rows(network, origins, destinations, rows)
    _finite((r for r in records if r["time_h"] is not None), query["teu"])
    if fmt == "csv":
        return _csv(io.to_csv(records, io.MATRIX_COLUMNS), "corridor-matrix")
    return _json(records)


def places_api(service: Service, params: Params) -> Reply:
    from .query import check_filters

    q = _required(params, "q")
    limit = min(params.get("limit", 10), MAX_PLACES)
    check_filters(country=next(iter(params.values.get("country", [])), None))  # as reach: an empty one is refused
    country, mode = params.text("country"), params.get("mode")
    network = service.network
    if country:
        country = country_code(country, network.countries)
    index = service.derived(network, ("places",), lambda: PlaceIndex(network))
    return _json(index.search(q, limit=limit, country=country, mode=mode))


def place_api(service: Service, params: Params, name: str) -> Reply:
    """One place, or every place of an area, with what routes charge there (corridor ports show)."""
    network = service.network
    try:
        target = network.gazetteer.resolve(name)
    except PlaceError as exc:  # unknown or ambiguous: the place in the path is at fault
        raise ApiError(404, str(exc), "name") from None
    if params.get("format", "json") == "text":
        with fixed_width(_width(params)):
            return _text(str(io.places_shown(network, target, "text")))
    return _json(io.places_shown(network, target, "json"))


def pareto_api(service: Service, params: Params) -> Reply:
    from .pareto import front_dict, front_text, pareto

    fmt = params.get("format", "json")
    origin, destination = _ends(params)
    query = {**_query(params), "via": params.texts("via")}
    network, _ = _network_for(service, params)
    _known_places(network, origin=origin, destination=destination, via=query["via"], avoid=query["avoid"])
    front = pareto(network, origin, destination, **query)
    _finite(front.routes, query["teu"])
    if fmt == "geojson":
        return _json(io.route_geojson(network, front.routes))
    if fmt == "html":
        from .decision_maps import front_map

        return _map(front_map(network, front, title=f"Trade-offs from {origin} to {destination}"), "corridor-pareto")
    if fmt == "text":
        with fixed_width(_width(params)):
            return _text(front_text(network, front, origin=origin, destination=destination))
    return _json(front_dict(network, origin, destination, front))


@contextlib.contextmanager
def _fields(**names: str) -> Iterator[None]:
    """Blame an error the library blames on its own parameter on the request's field instead
    (criticality's `destinations` is the API's `to`), so the page shows it beside that field."""
    try:
        yield
    except UsageError as exc:
        if exc.parameter not in names:
            raise
        raise ApiError(400, exc.as_flag(), names[exc.parameter]) from None
    except NoRouteError as exc:
        blamed = _no_route_parameter(str(exc))
        if blamed not in names:
            raise
        raise ApiError(422, str(exc), names[blamed]) from None


def criticality_api(service: Service, params: Params) -> Reply:
    from .criticality import criticality, criticality_dict, criticality_text, impact_rows

    fmt = params.get("format", "json")
    origin = _required(params, "origin")
    names = params.texts("to")
    if not names:
        raise ApiError(400, "give at least one destination (to)", "to")
    if len(names) > MAX_CRITICALITY_DESTINATIONS:
        raise ApiError(
            400,
            f"at most {MAX_CRITICALITY_DESTINATIONS} destinations per request: use the CLI for "
            "more (corridor criticality --to-file)",
            "to",
        )
    by = params.get("by", "cost")
    _priced(params, by)
    top = params.get("top", 20)
    if top > MAX_CRITICALITY_TOP:
        raise ApiError(400, f"argument --top: at most {MAX_CRITICALITY_TOP} here", "top")
    rank = params.get("rank", "cutoff")
    query = _query(params)
    del query["teu"]  # criticality ranks per TEU and takes no teu
    network, base = _network_for(service, params)
    _known_places(network, origin=origin, to=names, avoid=query["avoid"])
    prices = _prices(params, base) if by == "generalized" else None
    with _fields(destinations="to", destination="to"):
        result = criticality(network, origin, names, by=by, prices=prices, rank=rank, **query)
    if fmt == "geojson":
        # The map of `corridor criticality --map`: each element coloured by how much closing it costs.
        from .decision_maps import IMPACT_LEGEND, criticality_features

        legend = [{"color": colour, "label": label} for colour, label in IMPACT_LEGEND]
        features = criticality_features(network, result, top=top)
        return _json({"type": "FeatureCollection", "features": features, "legend": legend})
    if fmt == "csv":
        rows = impact_rows(result, top)
        return _csv(io.to_csv(rows, list(rows[0]) if rows else ["rank"]), "corridor-criticality")
    if fmt == "text":
        with fixed_width(_width(params)):
            return _text(criticality_text(result, top))
    return _json(criticality_dict(result, top))


def scenarios_api(service: Service, params: Params) -> Reply:
    from .scenarios import as_dict, list_scenarios, load_scenario

    rows = []
    for path in list_scenarios(service.settings.data):
        try:
            scenario = load_scenario(str(path))
            when = as_dict(scenario)
            rows.append(
                {
                    "name": scenario.name,
                    "title": scenario.title,
                    "start": when["start"],
                    "end": when["end"],
                    "changes": len(scenario.changes),
                    "problem": None,
                }
            )
        except CorridorError as exc:
            problem = _inside(service, str(exc))  # the file named from the dataset's root
            rows.append({"name": path.stem, "title": "", "start": None, "end": None, "changes": 0, "problem": problem})
    return _json(rows)


def scenario_api(service: Service, params: Params, name: str) -> Reply:
    from .scenarios import as_dict

    data = as_dict(_load_scenario(service, service.network, name))
    data.pop("file", None)  # where it lies on the server is not the client's business
    return _json(data)


def scenario_compare_api(service: Service, params: Params, name: str) -> Reply:
    from . import routing

    fmt = params.get("format", "json")
    origin, destination = _ends(params)
    by = params.get("by", "cost")
    query = {**_query(params), "via": params.texts("via")}
    base = service.network
    disruption = _disruption(service, base, name, params.get("on"))
    prices = _prices(params, base)
    _known_places(base, origin=origin, destination=destination, via=query["via"], avoid=query["avoid"])
    routes: list = []
    why = ""
    for network in (base, disruption.network):
        try:
            if by == "generalized":
                route = _generalized_routes(service, network, prices, origin, destination, **query)[0]
            else:
                route = routing.find_routes(network, origin, destination, by=by, **query)[0]
        except NoRouteError as exc:
            if network is base:
                raise
            route, why = None, str(exc)
        routes.append(route)
    before, after = routes
    if fmt == "geojson":  # the base route first, then the scenario's
        return _json(io.route_geojson(base, [r for r in routes if r is not None]))
    if fmt == "text":
        with fixed_width(_width(params)):
            return _text(
                io.scenario_compare_text(
                    base, disruption, before, after, prices, origin=origin, destination=destination, why=why
                )
            )
    return _json(io.scenario_compare_dict(base, disruption, before, after, prices, why))


def meta_api(service: Service, params: Params) -> Reply:
    """What the page builds its form and map from: modes, metrics, colours, passages, limits."""
    from .render import MODE_COLORS, MODE_LABELS, MODE_PATTERNS, ROUTE_COLORS
    from .sealanes import CLOSED_BY_DEFAULT, PASSAGES

    return _json(
        {
            "version": __version__,
            "modes": [
                {"name": m, "label": MODE_LABELS.get(m, m), "color": MODE_COLORS.get(m, "#555")} for m in MODE_NAMES
            ],
            "objectives": list(OBJECTIVES),
            "metric_labels": dict(io.METRIC_LABELS),  # cost_usd: cheapest, ... as the CLI's titles say
            "passages": sorted(PASSAGES),
            "closed_by_default": sorted(CLOSED_BY_DEFAULT),
            "route_colors": list(ROUTE_COLORS),
            "mode_colors": dict(MODE_COLORS),
            "mode_patterns": {
                m: {"weight": p["weight"], "dashArray": p["dash_array"]} for m, p in MODE_PATTERNS.items()
            },
            "scenarios": _scenario_names(service),
            "edits": service.settings.allow_edits,
            "limits": {
                "alternatives": 20,
                "criticality_destinations": MAX_CRITICALITY_DESTINATIONS,
                "criticality_top": MAX_CRITICALITY_TOP,
                "matrix_origins": MAX_MATRIX_ORIGINS,
                "time_limit_s": service.settings.time_limit_s,
            },
        }
    )


PLACE_FIELDS = {
    "id": ("place_id", None),
    "name": ("name", None),
    "country": ("country", None),
    "lat": ("lat", "_finite_float"),
    "lon": ("lon", "_finite_float"),
    "modes": ("modes", "_modes"),
    "kind": ("kind", None),
    "aliases": ("aliases", None),
    "area": ("area", None),
    "status": ("status", None),
    "source": ("source", None),
    "notes": ("notes", None),
}
REQUIRED_PLACE_FIELDS = ("id", "name", "country", "lat", "lon", "modes")


def _inside(service: Service, text: str) -> str:
    """Name the dataset's files from its root, so an answer never shows where the server keeps them."""
    root = str(service.root)
    return text.replace(root + os.sep, "").replace(root, "the dataset")


def add_port_api(service: Service, data: object) -> Reply:
    """Add a place to the dataset through the CLI's validated, locked, atomic writer (`ports add`)."""
    from .datasets import KINDS, STATUSES
    from .editing import add_place

    cli = _cli_types()
    if not isinstance(data, dict):
        raise ApiError(400, 'the body must be a JSON object: {"id": ..., "name": ..., ...}')
    unknown = [k for k in data if k not in PLACE_FIELDS]
    if unknown:
        raise ApiError(400, f"unrecognized field {unknown[0]!r}", str(unknown[0]))
    missing = [f"--{k}" for k in REQUIRED_PLACE_FIELDS if data.get(k) in (None, "", [])]
    if missing:
        raise ApiError(400, f"the following arguments are required: {', '.join(missing)}", missing[0][2:])
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue  # as a matrix request takes it: a field sent as null is left out
        name, parser = PLACE_FIELDS[key]
        if key == "aliases":
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(a, str) for a in items):
                raise ApiError(400, "aliases: give a list of names", key)
            fields[name] = [a for a in items if a.strip()]
            continue
        if key == "modes" and isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ApiError(400, f"argument --{key}: give a string or a number", key)
        text = str(value)
        if parser is not None:
            try:
                fields[name] = getattr(cli, parser)(text)
            except argparse.ArgumentTypeError as exc:
                raise ApiError(400, f"argument --{key}: {exc}", key) from None
        else:
            fields[name] = text
    for key, choices in (("kind", KINDS), ("status", STATUSES)):
        if key in fields and fields[key] not in choices:
            listed = ", ".join(repr(c) for c in choices)
            raise ApiError(400, f"argument --{key}: invalid choice: {fields[key]!r} (choose from {listed})", key)
    try:
        change = add_place(service.settings.data, **fields)
    except DataError as exc:
        raise ApiError(400, _inside(service, str(exc)), _problem_field(exc)) from None
    finally:
        service.invalidate()
    (place,) = change.places
    where = _inside(service, str(change.path))
    message = f"added {place.name} ({place.id}), {place.kind}, {'/'.join(place.modes)}, to {where}"
    body = {
        "message": message,
        "place": io.place_row(place),
        "notes": list(change.notes),
        "replaced": list(change.replaced),
    }
    return _json(body, status=201)


# --------------------------------------------------------------------------- place search


class PlaceIndex:
    """Type-ahead over the gazetteer: ids, names, aliases and areas, best matches first.

    Each place and area is an entry with its answer made once; a search finds the texts that
    contain what was typed, ranks their entries (the whole text, then its start, then a word's
    start, then anywhere; areas before places, corridor places before World Port Index ports,
    routable ones first, short names first) and returns the first few.
    """

    def __init__(self, network: Network):
        from .gazetteer import normalize

        self.normalize = normalize
        self.texts: list[str] = []  # normalised ids, names, aliases and area names
        self.owner: list[int] = []  # the entry each text belongs to
        self.rows: list[dict] = []  # each entry's answer
        self.ranks: list[tuple] = []  # each entry's order among matches of the same score
        self.countries: list[frozenset[str]] = []
        self.modes: list[frozenset[str]] = []
        areas: dict[str, list] = {}
        for place in network.places.values():
            routable = network.routable(place.id)
            row = {**io.place_row(place), "area": place.area, "value": place.id, "routable": routable}
            self._entry(row, (1, place.origin != "curated", not routable, len(place.name), place.name),
                        (place.id, place.name, *place.aliases), {place.country}, set(place.modes))  # fmt: skip
            if place.area:
                areas.setdefault(place.area, []).append((place, routable))
        for label, members in areas.items():
            countries = sorted({p.country for p, _ in members})
            routable = any(r for _, r in members)
            row = {
                "id": None, "name": label, "country": countries[0] if len(countries) == 1 else "", "kind": "area",
                "modes": sorted({m for p, _ in members for m in p.modes}),
                "lat": round(sum(p.lat for p, _ in members) / len(members), 4),
                "lon": round(sum(p.lon for p, _ in members) / len(members), 4),
                "area": label, "places": [p.id for p, _ in members], "value": label, "routable": routable,
            }  # fmt: skip
            self._entry(row, (0, 0, not routable, len(label), label), (label,), set(countries),
                        {m for p, _ in members for m in p.modes})  # fmt: skip

    def _entry(self, row: dict, rank: tuple, texts: Iterable[str], countries: set[str], modes: set[str]) -> None:
        index = len(self.rows)
        self.rows.append(row)
        self.ranks.append(rank)
        self.countries.append(frozenset(countries))
        self.modes.append(frozenset(modes))
        for text in dict.fromkeys(self.normalize(t) for t in texts):
            self.texts.append(text)
            self.owner.append(index)

    def search(self, q: str, *, limit: int = 10, country: str | None = None, mode: str | None = None) -> list[dict]:
        needle = self.normalize(q)
        if not needle:
            raise ApiError(400, "q: type part of a place's id, name or alias", "q")
        word = " " + needle
        best: dict[int, int] = {}
        for i in [i for i, text in enumerate(self.texts) if needle in text]:
            text = self.texts[i]
            score = 0 if text == needle else 1 if text.startswith(needle) else 2 if word in text else 3
            entry = self.owner[i]
            if score < best.get(entry, 9):
                best[entry] = score
        wanted_country = country.upper() if country else None
        found = [
            (score, self.ranks[entry], entry)
            for entry, score in best.items()
            if (wanted_country is None or wanted_country in self.countries[entry])
            and (mode is None or mode in self.modes[entry])
        ]
        found.sort()
        return [self.rows[entry] for _, _, entry in found[:limit]]


# --------------------------------------------------------------------------- static files

WEB = Path(__file__).with_name("_web")


def _static_files() -> dict[str, tuple[bytes, str]]:
    """Return the page's files, read once from a fixed list: request path -> (bytes, content type)."""
    from xstatic.pkg import leaflet

    from .datasets import bundled_data_dir
    from .render import BASEMAP_FILE

    base = Path(leaflet.BASE_DIR)
    files = {
        "/": (WEB / "index.html", "text/html; charset=utf-8"),
        "/static/app.js": (WEB / "app.js", "text/javascript; charset=utf-8"),
        "/static/app.css": (WEB / "app.css", "text/css; charset=utf-8"),
        "/static/leaflet.js": (base / "leaflet.js", "text/javascript; charset=utf-8"),
        "/static/leaflet.css": (base / "leaflet.css", "text/css; charset=utf-8"),
        "/static/land.geojson": (bundled_data_dir() / BASEMAP_FILE, "application/geo+json"),
        **{
            f"/static/images/{name}": (base / "images" / name, "image/png")
            for name in ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")
        },
    }
    out = {}
    for route, (path, kind) in files.items():
        data = path.read_bytes()
        if path.suffix == ".js" and path.parent == base:
            data = re.sub(rb"(?m)^//# sourceMappingURL=.*$", b"", data)  # no request for a map file
        out[route] = (data, kind)
    return out


def _static_endpoint(files: dict[str, tuple[bytes, str]]):
    tags = {route: '"' + hashlib.sha256(data).hexdigest()[:20] + '"' for route, (data, _) in files.items()}

    async def endpoint(request: Request) -> Response:
        route = request.url.path
        found = files.get(route)
        if found is None:
            return error_response(404, f"no such file: {route}")
        data, kind = found
        headers = {"etag": tags[route], "cache-control": "no-cache"}
        if request.headers.get("if-none-match") == tags[route]:
            return Response(status_code=304, headers=headers)
        return Response(data, media_type=kind, headers=headers)

    return endpoint


# --------------------------------------------------------------------------- the application


@dataclass(frozen=True)
class Endpoint:
    path: str
    summary: str
    handler: Callable[..., Reply]
    params: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("json",)
    methods: tuple[str, ...] = ("GET",)


# Endpoints that answer from indexes in memory, without a search: they take no search slot.
LIGHT_PATHS = frozenset({"/api/places", "/api/places/{name}", "/api/meta", "/api/scenarios", "/api/scenarios/{name}"})
FILTERS = ("modes", "avoid", "allow", "teu", "scenario", "on")
PRICES = ("cargo_value_usd", "holding_rate_per_day", "co2_price_usd_per_t")
ENDPOINTS = (
    Endpoint(
        "/api/route",
        "The best route between two places, with alternatives (corridor route)",
        route_api,
        ("origin", "destination", "by", *FILTERS, "via", "alternatives", *PRICES, "width"),
        ("json", "geojson", "text", "html"),
    ),
    Endpoint(
        "/api/compare",
        "The best route for each metric and by generalised cost (corridor compare)",
        compare_api,
        ("origin", "destination", *FILTERS, "via", *PRICES, "width"),
        ("json", "text", "html", "geojson"),
    ),
    Endpoint(
        "/api/reach",
        "Every place reachable from an origin, with totals (corridor reach)",
        reach_api,
        ("origin", "by", *FILTERS, "sort", "country", "limit", "served", *PRICES, "width"),
        ("json", "text", "csv", "geojson"),
    ),
    Endpoint(
        "/api/matrix",
        "Totals of the best route from each origin to each destination (corridor matrix); "
        "POST a JSON object of the same parameters for long lists",
        matrix_api,
        ("origins", "destinations", "by", *FILTERS, *PRICES),
        ("json", "csv"),
        ("GET", "POST"),
    ),
    Endpoint(
        "/api/places",
        "Places whose id, name, alias or area contains q, best matches first (type-ahead)",
        places_api,
        ("q", "limit", "country", "mode"),
    ),
    Endpoint(
        "/api/places/{name}",
        "One place (or an area's places) with everything a route charges there, each figure with its source "
        "(corridor ports show)",
        place_api,
        ("width",),
        ("json", "text"),
    ),
    Endpoint(
        "/api/pareto",
        "Every route not dominated on cost, time and CO2 (corridor pareto)",
        pareto_api,
        ("origin", "destination", *FILTERS, "via", "width"),
        ("json", "text", "html", "geojson"),
    ),
    Endpoint(
        "/api/criticality",
        f"Which elements matter most from an origin, for at most "
        f"{MAX_CRITICALITY_DESTINATIONS} destinations (corridor criticality)",
        criticality_api,
        ("origin", "to", "by", *(f for f in FILTERS if f != "teu"), "top", "rank", *PRICES, "width"),
        ("json", "text", "csv", "geojson"),
    ),
    Endpoint("/api/scenarios", "The scenarios this server knows (corridor scenario list)", scenarios_api),
    Endpoint(
        "/api/scenarios/{name}", "One scenario's changes with their sources (corridor scenario show)", scenario_api
    ),
    Endpoint(
        "/api/scenarios/{name}/compare",
        "The best route without and with a scenario (corridor scenario compare)",
        scenario_compare_api,
        ("origin", "destination", "by", "modes", "avoid", "allow", "teu", "on", "via", *PRICES, "width"),
        ("json", "text", "geojson"),
    ),
    Endpoint("/api/meta", "What the page needs: modes, metrics, colours, passages, scenarios, limits", meta_api),
)


# A place's name may hold a slash ("Singapore (Pasir Panjang / Tuas)", sent as %2F): the name is
# the rest of the path, not one segment.
ROUTE_PATHS = {"/api/places/{name}": "/api/places/{name:path}"}


def _known_params(endpoint: Endpoint, table: Mapping[str, Param]) -> dict[str, Param]:
    known = {name: table[name] for name in endpoint.params}
    if len(endpoint.formats) > 1:
        known["format"] = _format_param(endpoint.formats)
    return known


async def _run(service: Service, call: Callable[[], Reply], *, light: bool = False, write: bool = False) -> Response:
    """Run a handler in a worker thread under the time limit; turn what it raises into the API's errors.

    A search holds one of the service's slots (`Service.gate`) in its thread until it ends: a
    request answered 503 past the time limit leaves its search running, and the slot with it, so
    abandoned searches cannot pile up; a trade-offs search, the one that can run for a minute,
    stops at its next check (`errors.cancel_when`) and frees the slot. A search that has waited
    past the limit for a slot does not start. `light` requests (type-ahead, the page's metadata)
    take no slot and no thread of the searches' own (`Service.searches`), so they do not queue
    behind searches.

    A `write` (an edit) is never answered 503 once it has begun: it may wait for the dataset's
    lock while another command writes, and a 503 while it went on to write would say it failed.
    Only its wait for this server's other edits is limited, and then nothing is written.
    """
    limit = service.settings.time_limit_s
    abandoned = threading.Event()

    def gated() -> Reply:
        with service.gate, cancel_when(abandoned):  # a long trade-offs search stops once abandoned
            if abandoned.is_set():
                raise TimeoutError
            return call()

    try:
        if write:
            try:
                with anyio.fail_after(limit):
                    await service.writes.acquire()
            except TimeoutError:
                busy = f"this server was still writing other edits after {limit:g} s: nothing was written; try again"
                return error_response(503, busy)
            try:
                reply = await anyio.to_thread.run_sync(call)
            finally:
                service.writes.release()
        else:
            with anyio.fail_after(limit):
                if light:
                    reply = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
                else:
                    reply = await anyio.to_thread.run_sync(gated, abandon_on_cancel=True, limiter=service.searches)
    except TimeoutError:
        abandoned.set()
        return error_response(503, f"the request took longer than this server's limit of {limit:g} s: narrow it")
    except ApiError as exc:
        return error_response(exc.status, exc.message, exc.parameter)
    except UsageError as exc:
        return error_response(400, exc.as_flag(), exc.parameter)
    except PlaceError as exc:
        return error_response(404, str(exc))
    except NoMatchError as exc:
        return error_response(404, str(exc), exc.parameter)
    except NoRouteError as exc:
        return error_response(422, str(exc), _no_route_parameter(str(exc)))
    except WriteError as exc:  # the dataset's lock or a file: named from the dataset's root, as every answer does
        return error_response(409, _inside(service, str(exc)))
    except DataError as exc:
        log.error("dataset problem: %s", exc)  # the log, for the operator, keeps the full paths
        return error_response(500, f"the server's dataset has a problem: {_inside(service, str(exc))}")
    except CorridorError as exc:  # e.g. a trade-off front too large to enumerate
        return error_response(422, str(exc))
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type, headers=reply.headers)


def _api_endpoint(service: Service, endpoint: Endpoint, table: Mapping[str, Param]):
    known = _known_params(endpoint, table)

    async def handle(request: Request) -> Response:
        try:
            if request.method == "POST":
                if request.query_params:
                    raise ApiError(400, "a POST takes its parameters in the JSON body only, not in the address")
                data = await _json_body(request, service.settings.max_body_bytes)
                params = Params.from_json(data, known)
            else:
                params = Params.from_query(request, known)
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.parameter)
        extra = [request.path_params[k] for k in ("name",) if k in request.path_params]
        light = endpoint.path in LIGHT_PATHS
        return await _run(service, lambda: endpoint.handler(service, params, *extra), light=light)

    return handle


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are each given once: a parameter twice is refused, as in a query
    string, not taken from its last mention (which would drop the values of the first)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ApiError(400, f"the body gives {key!r} twice: give it once (a list for several values)", key)
        out[key] = value
    return out


async def _json_body(request: Request, limit: int) -> object:
    """Read a JSON body of at most `limit` bytes; refuse any other content type (no form can post here)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise ApiError(415, "send the parameters as a JSON object, with Content-Type: application/json")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the request body is larger than this server's limit of {limit:,} bytes")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks) or b"null", object_pairs_hook=_once_each)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the request body is not valid JSON") from None
    except RecursionError:
        raise ApiError(400, "the request body nests JSON too deeply") from None


def _ports_endpoint(service: Service):
    async def handle(request: Request) -> Response:
        if not service.settings.allow_edits:
            return error_response(
                403,
                "this server does not change its dataset: start it with corridor serve --allow-edits "
                "(on a dataset of your own, see corridor init)",
            )
        try:
            data = await _json_body(request, service.settings.max_body_bytes)
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.parameter)
        return await _run(service, lambda: add_port_api(service, data), write=True)

    return handle


class _Guard:
    """Security headers on every answer; refuse strange Host headers, long query strings and large bodies early."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings
        self.hosts = {h.lower().strip("[]") for h in settings.allowed_hosts} if settings.allowed_hosts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names
                ]
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, secured)
            return
        await self.app(scope, receive, secured)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> Response | None:
        if sum(1 for k, _ in scope.get("headers", []) if k.lower() == b"host") > 1:
            # HTTP/1.1 wants a 400: the check below would read one, the rest of the server another.
            return error_response(400, "the request has more than one Host header")
        if self.hosts is not None:
            host = headers.get("host", "")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name.lower().strip("[]") not in self.hosts:
                return error_response(400, f"this server answers requests for {', '.join(sorted(self.hosts))} only")
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            return error_response(414, f"the query string is longer than {MAX_QUERY_BYTES:,} bytes: POST long lists")
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return error_response(400, "the Content-Length header is not a number")
            if int(length) > self.settings.max_body_bytes:
                limit = self.settings.max_body_bytes
                return error_response(413, f"the request body is larger than this server's limit of {limit:,} bytes")
        return None


# The parameters an endpoint answers nothing without (each refused when missing, as its own 400).
REQUIRED_PARAMS = frozenset({"origin", "destination", "q", "origins", "destinations", "to"})


def _openapi(service: Service, table: Mapping[str, Param]) -> dict:
    """Return the OpenAPI document of the API, from the same tables the requests are checked against."""
    error = {"$ref": "#/components/schemas/Error"}

    def responses(endpoint: Endpoint) -> dict:
        kinds = {
            "json": "application/json",
            "geojson": "application/json",
            "text": "text/plain",
            "csv": "text/csv",
            "html": "text/html",
        }
        out: dict = {
            "200": {
                "description": "the answer, as the CLI gives it in that format",
                "content": {kinds[f]: {} for f in endpoint.formats},
            }
        }
        out["400"] = {
            "description": "bad input: the error names the parameter",
            "content": {"application/json": {"schema": error}},
        }
        if any(p in endpoint.params for p in ("origin", "origins", "q")) or "{name}" in endpoint.path:
            out["404"] = {
                "description": "an unknown place or scenario",
                "content": {"application/json": {"schema": error}},
            }
        if "origin" in endpoint.params:  # a matrix gives a place no route can use empty totals instead
            out["422"] = {
                "description": "no route: the error names the constraint that blocks it",
                "content": {"application/json": {"schema": error}},
            }
        out["503"] = {"description": "past the time limit", "content": {"application/json": {"schema": error}}}
        return out

    paths: dict = {}
    for endpoint in ENDPOINTS:
        known = _known_params(endpoint, table)
        parameters = []
        if "{name}" in endpoint.path:
            parameters.append(
                {
                    "name": "name",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "a scenario's name, from /api/scenarios"
                    if endpoint.path.startswith("/api/scenarios/")
                    else "a place id (IQUQR), name or alias, or an area (Chongqing); a slash in it as %2F",
                }
            )
        for param in known.values():
            schema = {"type": "array", "items": param.schema} if param.repeat else param.schema
            required = param.name in REQUIRED_PARAMS
            parameters.append(
                {
                    "name": param.name,
                    "in": "query",
                    "required": required,
                    "schema": schema,
                    "description": param.description,
                    **({"explode": True} if param.repeat else {}),
                }
            )
        item: dict = {}
        for method in endpoint.methods:
            operation: dict = {"summary": endpoint.summary, "responses": responses(endpoint)}
            if method == "GET":
                operation["parameters"] = parameters
            else:
                operation["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": [p.name for p in known.values() if p.name in REQUIRED_PARAMS],
                                "properties": {
                                    p.name: ({"type": "array", "items": p.schema} if p.repeat else p.schema)
                                    for p in known.values()
                                },
                            }
                        }
                    },
                }
                operation["responses"]["413"] = {"description": "the body is too large"}
                operation["responses"]["415"] = {"description": "the body is not JSON"}
            item[method.lower()] = operation
        paths[endpoint.path] = item
    place_schema = {
        "type": "object",
        "required": list(REQUIRED_PLACE_FIELDS),
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "country": {"type": "string"},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "modes": {"type": "array", "items": {"type": "string", "enum": list(MODE_NAMES)}},
            "kind": {"type": "string"},
            "aliases": {"type": "array", "items": {"type": "string"}},
            "area": {"type": "string"},
            "status": {"type": "string"},
            "source": {"type": "string"},
            "notes": {"type": "string"},
        },
    }
    paths["/api/ports"] = {
        "post": {
            "summary": "Add a place to the dataset (corridor ports add); only with corridor serve --allow-edits",
            "requestBody": {"required": True, "content": {"application/json": {"schema": place_schema}}},
            "responses": {
                "201": {"description": "added; the network is reloaded"},
                "400": {
                    "description": "refused: the error names the field",
                    "content": {"application/json": {"schema": error}},
                },
                "403": {"description": "the server was started without --allow-edits"},
                "409": {
                    "description": "the dataset cannot take it (its lock, a file not writable): nothing is written",
                    "content": {"application/json": {"schema": error}},
                },
                "413": {"description": "the body is too large"},
                "415": {"description": "the body is not JSON"},
                "503": {
                    "description": "this server's other edits kept it waiting past the time limit: nothing is written",
                    "content": {"application/json": {"schema": error}},
                },
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "corridor",
            "version": __version__,
            "description": "Container routes over the New International Land-Sea Trade Corridor: the answers "
            "of the corridor CLI over HTTP.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "parameter"],
                    "properties": {
                        "error": {"type": "string", "description": "one line, in the CLI's words"},
                        "parameter": {"type": ["string", "null"], "description": "the parameter at fault"},
                    },
                }
            }
        },
    }


class _Cors(CORSMiddleware):
    """CORS for the one origin named; a preflight it refuses is answered as every error is, in one JSON line."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        kept = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
        refused = bytes(response.body).decode()  # "Disallowed CORS origin" (or method, headers)
        allowed = ", ".join(self.allow_origins)
        message = f"{refused}: this server lets pages of {allowed} call it, with GET or POST and Content-Type"
        return error_response(response.status_code, message, headers=kept)


def create_app(settings: Settings | None = None, *, network: Network | None = None) -> Starlette:
    """Return the ASGI application: the page, its files and the API over one network.

    The network is loaded when the application starts (or `network` is used as it is), and
    reloaded when the dataset's files change.
    """
    settings = settings or Settings()
    service = Service(settings, network)
    table = _param_table()
    files = _static_files()
    static = _static_endpoint(files)
    document = json.dumps(_openapi(service, table), indent=2).encode("utf-8")

    async def openapi(request: Request) -> Response:
        return Response(document, media_type="application/json")

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(404, f"no such page: {request.url.path}")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return error_response(
            405,
            f"{request.method} is not allowed on {request.url.path}",
            headers={"allow": ", ".join(getattr(exc, "headers", {}).get("Allow", "GET").split(", "))},
        )

    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s", request.url.path, exc_info=exc)
        return error_response(500, "internal error: see the server's log")

    routes = [Route(path, static, methods=["GET"]) for path in files]
    routes.append(Route("/api/openapi.json", openapi, methods=["GET"]))
    routes += [
        Route(ROUTE_PATHS.get(e.path, e.path), _api_endpoint(service, e, table), methods=list(e.methods))
        for e in ENDPOINTS
    ]
    routes.append(Route("/api/ports", _ports_endpoint(service), methods=["POST"]))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if service._network is None:
            await anyio.to_thread.run_sync(service.load)
        else:
            await anyio.to_thread.run_sync(_warm, service._network)
        yield

    middleware = [Middleware(_Guard, settings=settings)]
    if settings.cors:
        middleware.insert(
            0,
            Middleware(
                _Cors,
                allow_origins=[settings.cors],
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type"],
                expose_headers=[NOTE_HEADER],
            ),
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: not_allowed, Exception: crashed},
    )
    # A path with a slash too many is a page that does not exist, as any other: not a redirect
    # whose Location is built from the request's Host header (any host, when --host allows them).
    app.router.redirect_slashes = False
    app.state.service = service
    return app


@contextlib.contextmanager
def running(
    settings: Settings | None = None, *, network: Network | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """Run a server in a background thread (for a notebook, a test or a script); yield its base URL.

    Port 0 takes a free one. The server stops when the block ends.
    """
    import uvicorn

    app = create_app(settings, network=network)
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="corridor-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield f"http://{host}:{bound[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def app_from_environment() -> Starlette:
    """Return the application for one of `--workers N` processes, its settings from the environment."""
    return create_app(Settings.from_json(os.environ.get(SETTINGS_ENV, "{}")))


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    settings: Settings,
    *,
    network: Network | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    access_log: bool = False,
) -> None:
    """Run the server until interrupted: one process with a thread pool, or `workers` processes.

    `network`, already loaded, serves a single process; each of several workers loads its own.
    """
    import uvicorn

    common: dict[str, Any] = dict(
        host=host,
        port=port,
        log_config=None,
        access_log=access_log,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    if workers > 1:
        os.environ[SETTINGS_ENV] = settings.to_json()
        uvicorn.run("corridor.server:app_from_environment", factory=True, workers=workers, **common)
        return
    config = uvicorn.Config(create_app(settings, network=network), **common)
    server = uvicorn.Server(config)
    server.run()
