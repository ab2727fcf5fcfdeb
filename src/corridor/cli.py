"""The `corridor` command: parse arguments, call the library, report results and errors."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence

from . import __version__
from .datasets import KINDS, MODES
from .errors import CorridorError, UsageError

log = logging.getLogger("corridor")

ROUTE_FORMATS = ("text", "json", "geojson")
TABLE_FORMATS = ("text", "json", "csv")
METRIC_CHOICES = ("cost", "time", "distance", "co2")
DEFAULT_MAP = "maps/network.html"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 20:
        raise argparse.ArgumentTypeError(f"{value} is outside 0-20")
    return value


def _count_rows(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number of rows")
    return value


def _modes(text: str) -> list[str]:
    modes = [m.strip().lower() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if not modes or unknown:
        raise argparse.ArgumentTypeError(f"{text!r}: give a comma-separated list of {', '.join(MODES)}")
    return modes


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("dataset and output")
    group.add_argument(
        "--data", metavar="DIR", help="dataset directory (default: $CORRIDOR_DATA, else the bundled one)"
    )
    group.add_argument("--params", metavar="FILE", help="parameters CSV whose rows replace the dataset's")
    group.add_argument("-v", "--verbose", action="count", default=0, help="say more on stderr")
    group.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")


def _filters(parser: argparse.ArgumentParser, *, by: bool = True) -> None:
    if by:
        parser.add_argument("--by", choices=METRIC_CHOICES, default="cost", help="metric to minimise (default: cost)")
    parser.add_argument(
        "--modes", type=_modes, help="comma-separated modes allowed: rail,river,sea,road (default: all)"
    )
    parser.add_argument("--avoid", action="append", default=[], metavar="PLACE_OR_PASSAGE",
                        help="a place, 'three-gorges', or a sea passage (malacca, hormuz, suez, sunda, "
                             "bab-el-mandeb, panama, ...); repeatable")  # fmt: skip
    parser.add_argument("--allow", action="append", default=[], metavar="PASSAGE",
                        help="open a passage closed by default (northwest-passage); repeatable")  # fmt: skip
    parser.add_argument("--teu", type=_positive_float, default=1.0, help="containers, scales cost and CO2 (default: 1)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="corridor",
        description="Plan container routes over the New International Land-Sea Trade Corridor.",
    )
    parser.add_argument("--version", action="version", version=f"corridor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    route = sub.add_parser("route", help="best route between two places, with alternatives")
    route.add_argument("origin")
    route.add_argument("destination")
    _filters(route)
    route.add_argument("--via", action="append", default=[], metavar="PLACE", help="pass through a place; repeatable")
    route.add_argument("--alternatives", type=_count, default=0, metavar="K", help="also give K different routes")
    route.add_argument("--format", choices=ROUTE_FORMATS, default="text")
    route.add_argument("--map", metavar="FILE.html", help="also write an interactive map")
    _common(route)

    compare = sub.add_parser("compare", help="the best route for each metric, side by side")
    compare.add_argument("origin")
    compare.add_argument("destination")
    _filters(compare, by=False)
    compare.add_argument("--via", action="append", default=[], metavar="PLACE")
    compare.add_argument("--format", choices=("text", "json"), default="text")
    compare.add_argument("--map", metavar="FILE.html", help="also write an interactive map")
    _common(compare)

    reach = sub.add_parser("reach", help="every place reachable from an origin, with totals")
    reach.add_argument("origin")
    _filters(reach)
    reach.add_argument("--sort", choices=(*METRIC_CHOICES, "name", "country"), help="sort by (default: --by)")
    reach.add_argument("--country", help="only places in this country (ISO code)")
    reach.add_argument("--limit", type=_count_rows, help="show at most N rows")
    reach.add_argument("--format", choices=TABLE_FORMATS, default="text")
    _common(reach)

    ports = sub.add_parser("ports", help="list and show places")
    ports_sub = ports.add_subparsers(dest="ports_command", metavar="ACTION", parser_class=_Parser)
    ports_sub.required = True
    listing = ports_sub.add_parser("list", help="list places")
    listing.add_argument("--country", help="ISO 3166 alpha-2 code")
    listing.add_argument("--mode", choices=MODES)
    listing.add_argument("--kind", choices=KINDS)
    listing.add_argument("--search", metavar="TEXT", help="in id, name and aliases")
    listing.add_argument("--format", choices=TABLE_FORMATS, default="text")
    _common(listing)
    show = ports_sub.add_parser("show", help="everything about one place, with sources")
    show.add_argument("place")
    show.add_argument("--format", choices=("text", "json"), default="text")
    _common(show)

    validate = sub.add_parser("validate", help="check a dataset and report every problem")
    _common(validate)

    network_map = sub.add_parser("map", help="draw the whole network on an interactive map")
    network_map.add_argument(
        "--out", metavar="FILE.html", default=DEFAULT_MAP, help=f"where to write the map (default: {DEFAULT_MAP})"
    )
    _common(network_map)
    return parser


# --------------------------------------------------------------------------- commands


def _network(args: argparse.Namespace):
    from .network import load_network

    return load_network(args.data, params=args.params)


def _save(m, path: str) -> str:
    from .render import save_map

    try:
        written = save_map(m, path)
    except OSError as exc:
        raise CorridorError(f"cannot write the map to {path}: {exc.strerror or exc}") from None
    log.info("map written to %s (%.1f MB)", written, written.stat().st_size / 1e6)
    return str(written)


def _write_map(network, routes, path: str, *, title: str) -> None:
    from .render import route_map

    _save(route_map(network, routes, title=title), path)


def cmd_route(args: argparse.Namespace) -> str:
    from . import io, routing

    network = _network(args)
    routes = routing.find_routes(
        network, args.origin, args.destination, by=args.by, modes=args.modes, via=args.via,
        avoid=args.avoid, allow=args.allow, alternatives=args.alternatives, teu=args.teu,
    )  # fmt: skip
    if args.map:
        _write_map(network, routes, args.map, title=f"{args.origin} to {args.destination}")
    if args.format == "json":
        return io.dumps(io.routes_dict(network, routes))
    if args.format == "geojson":
        return io.dumps(io.route_geojson(network, routes))
    return io.routes_text(network, routes)


def cmd_compare(args: argparse.Namespace) -> str:
    from . import io, routing

    network = _network(args)
    best = routing.compare(
        network,
        args.origin,
        args.destination,
        modes=args.modes,
        via=args.via,
        avoid=args.avoid,
        allow=args.allow,
        teu=args.teu,
    )
    if args.map:
        from .render import compare_map

        _save(compare_map(network, best, title=f"{args.origin} to {args.destination}: best per metric"), args.map)
    if args.format == "json":
        return io.dumps(io.compare_dict(network, best))
    return io.compare_text(network, best, origin=args.origin, destination=args.destination)


def cmd_reach(args: argparse.Namespace) -> str:
    from . import io, routing

    network = _network(args)
    reached = routing.reach(
        network, args.origin, by=args.by, modes=args.modes, avoid=args.avoid, allow=args.allow, teu=args.teu
    )
    rows = io.reach_rows(network, reached)
    if args.country:
        rows = [r for r in rows if r["country"] == args.country.upper()]
    sort = args.sort or args.by
    key = routing.BY.get(sort, sort)
    rows.sort(key=lambda r: (r[key], r["id"]))
    total, countries = len(rows), len({r["country"] for r in rows})
    if args.limit is not None:
        rows = rows[: max(args.limit, 0)]
    if args.format == "json":
        return io.dumps(rows)
    if args.format == "csv":
        return io.to_csv(rows, ["id", "name", "country", "distance_km", "time_h", "cost_usd", "co2_kg"]).rstrip("\n")
    shown = f"{len(rows)} shown of " if len(rows) < total else ""
    return f"{io.reach_text(rows)}\n{shown}{total} places in {countries} countries reachable"


def cmd_ports_list(args: argparse.Namespace) -> str:
    from . import io
    from .gazetteer import normalize

    network = _network(args)
    places = sorted(network.places.values(), key=lambda p: (p.country, p.name, p.id))
    if args.country:
        places = [p for p in places if p.country == args.country.upper()]
    if args.mode:
        places = [p for p in places if args.mode in p.modes]
    if args.kind:
        places = [p for p in places if p.kind == args.kind]
    if args.search:
        needle = normalize(args.search)
        places = [p for p in places if any(needle in normalize(t) for t in (p.id, p.name, *p.aliases))]
    rows = [io.place_row(p) for p in places]
    if args.format == "json":
        return io.dumps(rows)
    if args.format == "csv":
        return io.to_csv(rows, ["id", "name", "country", "lat", "lon", "kind", "modes"]).rstrip("\n")
    return f"{io.places_text(places)}\n{len(places)} places"


def cmd_ports_show(args: argparse.Namespace) -> str:
    from . import io

    network = _network(args)
    target = network.gazetteer.resolve(args.place)
    places = [network.places[pid] for pid in target.place_ids]
    if args.format == "json":
        rows = []
        for place in places:
            row = io.place_row(place)
            row.update(
                aliases=list(place.aliases), area=place.area, status=place.status,
                coord_source=place.coord_source, source=place.source, notes=place.notes,
                routable=network.routable(place.id),
            )  # fmt: skip
            rows.append(row)
        return io.dumps(rows if target.is_area else rows[0])
    return "\n\n".join(io.place_text(network, p) for p in places)


def cmd_validate(args: argparse.Namespace) -> tuple[str, int]:
    from .network import load_network

    network = load_network(args.data, params=args.params, cache=False)
    lines = []
    if network.warnings:
        lines += [f"{len(network.warnings)} warning(s):", *(f"  {w}" for w in network.warnings)]
    if network.problems:
        lines += [f"{len(network.problems)} problem(s) in {network.root}:", *(f"  {p}" for p in network.problems)]
        return "\n".join(lines), 1
    routable = sum(1 for p in network.places if network.routable(p))
    summary = f"{network.root}: {len(network.places)} places ({routable} routable), {len(network.links)} links"
    lines.append(f"{summary}: no problems" + (f", {len(network.warnings)} warnings" if network.warnings else ""))
    return "\n".join(lines), 0


def cmd_map(args: argparse.Namespace) -> str:
    from .render import network_map

    return _save(network_map(_network(args)), args.out)


COMMANDS = {
    "route": cmd_route,
    "compare": cmd_compare,
    "reach": cmd_reach,
    "validate": cmd_validate,
    "map": cmd_map,
    ("ports", "list"): cmd_ports_list,
    ("ports", "show"): cmd_ports_show,
}


def _configure_logging(args: argparse.Namespace) -> None:
    level = logging.ERROR if args.quiet else (logging.DEBUG if args.verbose > 1 else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("corridor: %(message)s"))
    root = logging.getLogger("corridor")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 success, 1 a problem to act on, 2 bad usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args)
    key = (args.command, args.ports_command) if args.command == "ports" else args.command
    try:
        result = COMMANDS[key](args)
    except UsageError as exc:
        print(f"corridor {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except CorridorError as exc:
        print(f"corridor: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("corridor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    output, code = result if isinstance(result, tuple) else (result, 0)
    if output:
        try:
            sys.stdout.write(output + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (e.g. `| head`); silence the flush at interpreter exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code


if __name__ == "__main__":
    sys.exit(main())
