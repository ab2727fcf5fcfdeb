"""The `corridor` command: parse arguments, call the library, report results and errors."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence

from . import __version__
from .datasets import KINDS, MODES, STATUSES
from .errors import CorridorError, NoMatchError, UsageError

log = logging.getLogger("corridor")

ROUTE_FORMATS = ("text", "json", "geojson")
TABLE_FORMATS = ("text", "json", "csv")
METRIC_CHOICES = ("cost", "time", "distance", "co2")
DEFAULT_MAP = "maps/network.html"
SEA_ACCESS_WARNING = "cannot reach the sea lanes"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(convert: type, *, low: float | None = None, high: float | None = None, positive: bool = False):
    """Return an argparse type: a finite number of `convert`'s type within the given bounds."""
    noun = "whole number" if convert is int else "number"

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {noun}") from None
        if positive and not value > 0:  # also refuses nan
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive {noun}")
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is outside {low}-{high}")
        return value

    return parse


_positive_float = _number(float, positive=True)
_finite_float = _number(float)
_count = _number(int, low=0, high=20)
_count_rows = _number(int, positive=True)


def _modes(text: str) -> list[str]:
    modes = [m.strip().lower() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if not modes or unknown:
        raise argparse.ArgumentTypeError(f"{text!r}: give a comma-separated list of {', '.join(MODES)}")
    return modes


def _common(parser: argparse.ArgumentParser, *, writes: bool = False) -> None:
    group = parser.add_argument_group("dataset and output")
    if writes:
        group.add_argument(
            "--data", metavar="DIR", help="dataset to write (default: $CORRIDOR_DATA; see corridor init)"
        )
    else:
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
    reach.add_argument("--country", help="only places in this country (ISO code or name: VN, Vietnam)")
    reach.add_argument("--limit", type=_count_rows, help="show at most N rows")
    reach.add_argument("--format", choices=TABLE_FORMATS, default="text")
    _common(reach)

    ports = sub.add_parser("ports", help="list, show, add and import places")
    ports_sub = ports.add_subparsers(dest="ports_command", metavar="ACTION", parser_class=_Parser)
    ports_sub.required = True
    listing = ports_sub.add_parser("list", help="list places")
    listing.add_argument("--country", help="ISO 3166 code or country name (VN, Vietnam)")
    listing.add_argument("--mode", choices=MODES)
    listing.add_argument("--kind", choices=KINDS)
    listing.add_argument("--search", metavar="TEXT", help="in id, name and aliases")
    listing.add_argument("--format", choices=TABLE_FORMATS, default="text")
    _common(listing)
    show = ports_sub.add_parser("show", help="everything about one place, with sources")
    show.add_argument("place")
    show.add_argument("--format", choices=("text", "json"), default="text")
    _common(show)

    add = ports_sub.add_parser("add", help="add a place to your dataset (see `corridor init`)")
    add.add_argument(
        "--id", required=True, dest="place_id", metavar="ID", help="UN/LOCODE where one exists, else a stable slug"
    )
    add.add_argument("--name", required=True)
    add.add_argument("--country", required=True, metavar="CC", help="ISO 3166 alpha-2 code")
    add.add_argument("--lat", required=True, type=_finite_float, help="latitude, degrees north")
    add.add_argument("--lon", required=True, type=_finite_float, help="longitude, degrees east")
    add.add_argument("--modes", required=True, type=_modes, help="comma-separated modes served: sea,river,rail,road")
    add.add_argument("--kind", choices=KINDS, help="default: from the modes (seaport, river_port, rail_terminal ...)")
    add.add_argument(
        "--alias", action="append", default=[], dest="aliases", metavar="NAME", help="another name; repeatable"
    )
    add.add_argument("--area", default="", help="a city or port area it belongs to (e.g. Chongqing)")
    add.add_argument("--status", choices=STATUSES, default="operational")
    add.add_argument("--source", help="where the position comes from (default: marked as an unsourced estimate)")
    add.add_argument("--notes", default="")
    _common(add, writes=True)
    imp = ports_sub.add_parser("import", help="add every place of a CSV or GeoJSON file, or none")
    imp.add_argument("file", metavar="FILE", help="CSV with places.csv columns, or a GeoJSON FeatureCollection")
    _common(imp, writes=True)

    links = sub.add_parser("links", help="add links to your dataset")
    links_sub = links.add_subparsers(dest="links_command", metavar="ACTION", parser_class=_Parser)
    links_sub.required = True
    link_add = links_sub.add_parser("add", help="add a rail, river or road service between two places")
    link_add.add_argument("start", metavar="FROM", help="place id or name")
    link_add.add_argument("end", metavar="TO", help="place id or name")
    link_add.add_argument("--mode", required=True, choices=("rail", "river", "road"))
    link_add.add_argument(
        "--distance-km", type=_positive_float, metavar="KM", help="published route distance (default: measured)"
    )
    link_add.add_argument(
        "--time-h", type=_positive_float, metavar="HOURS", help="published running time (default: from speed)"
    )
    link_add.add_argument("--frequency-per-week", type=_positive_float, metavar="N", help="departures per week")
    link_add.add_argument("--one-way", action="store_true", help="the service runs from FROM to TO only")
    link_add.add_argument("--id", dest="link_id", metavar="ID", help="default: MODE-FROM-TO")
    link_add.add_argument("--name", default="")
    link_add.add_argument("--source", help="where the figures come from (default: marked as an unsourced estimate)")
    link_add.add_argument("--notes", default="")
    _common(link_add, writes=True)

    init = sub.add_parser("init", help="create an editable dataset (a copy of the bundled one)")
    init.add_argument("directory", metavar="DIR", help="a new or empty directory")
    init.add_argument("--from", dest="source", metavar="DATASET", help="copy this dataset instead of the bundled one")
    init.add_argument("-v", "--verbose", action="count", default=0, help="say more on stderr")
    init.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")

    validate = sub.add_parser("validate", help="check a dataset and report every problem")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument("--warnings", action="store_true", help="list every warning, not only how many")
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
        from .gazetteer import country_code

        code = country_code(args.country, network.countries)
        rows = [r for r in rows if r["country"] == code]
        if not rows:
            raise NoMatchError(
                f"no place in {_country_label(network, code)} is reachable from {args.origin} with these options"
            )
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
    filters = []
    if args.country:
        from .gazetteer import country_code

        code = country_code(args.country, network.countries)
        places = [p for p in places if p.country == code]
        filters.append(f"--country {_country_label(network, code)}")
    if args.mode:
        places = [p for p in places if args.mode in p.modes]
    if args.kind:
        places = [p for p in places if p.kind == args.kind]
    if args.search:
        needle = normalize(args.search)
        places = [p for p in places if any(needle in normalize(t) for t in (p.id, p.name, *p.aliases))]
    if not places:
        shown = [*filters, *(f"--{o} {getattr(args, o)}" for o in ("mode", "kind", "search") if getattr(args, o))]
        raise NoMatchError(f"no places match {' and '.join(shown) or 'the dataset'}")
    rows = [io.place_row(p) for p in places]
    if args.format == "json":
        return io.dumps(rows)
    if args.format == "csv":
        return io.to_csv(rows, ["id", "name", "country", "lat", "lon", "kind", "modes"]).rstrip("\n")
    return f"{io.places_text(places)}\n{len(places)} places"


def _country_label(network, code: str) -> str:
    name = network.countries.get(code)
    return f"{name} ({code})" if name else code


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
    from . import io
    from .datasets import dataset_dir
    from .validation import validate_dataset

    report = validate_dataset(dataset_dir(args.data), params=args.params)
    code = 0 if report.ok else 1
    if args.format == "json":
        return io.dumps(report.as_dict()), code
    lines = []
    if report.errors:
        lines += [f"{len(report.errors)} problem(s) in {report.root}:", *(f"  {p}" for p in report.errors)]
    # Seaports that cannot join the lanes are always listed, each with its reason.
    unjoined = [w for w in report.warnings if SEA_ACCESS_WARNING in w]
    if unjoined and not args.warnings:
        lines += [f"{len(unjoined)} seaport(s) cannot join the sea lanes:", *(f"  {w}" for w in unjoined)]
    if report.warnings and args.warnings:
        lines += [f"{len(report.warnings)} warning(s):", *(f"  {w}" for w in report.warnings)]
    if report.network is None:
        summary = f"{report.root}: could not be loaded: "
    else:
        summary = f"{report.root}: {report.places} places ({report.routable} routable), {report.links} links: "
    summary += f"{len(report.errors)} problem(s)" if report.errors else "no problems"
    if report.warnings:
        summary += f", {len(report.warnings)} warning(s)" + ("" if args.warnings else " (list them with --warnings)")
    lines.append(summary)
    return "\n".join(lines), code


def _report_change(change, added: str) -> str:
    for note in change.notes:
        log.warning("note: %s", note)
    if change.replaced:
        log.warning("note: replaces the World Port Index entry %s", ", ".join(change.replaced))
    return f"{added} to {change.path}"


def cmd_ports_add(args: argparse.Namespace) -> str:
    from .editing import add_place

    change = add_place(
        args.data, place_id=args.place_id, name=args.name, country=args.country, lat=args.lat, lon=args.lon,
        modes=args.modes, kind=args.kind, aliases=args.aliases, area=args.area, status=args.status,
        source=args.source, notes=args.notes,
    )  # fmt: skip
    (place,) = change.places
    return _report_change(change, f"added {place.name} ({place.id}), {place.kind}, {'/'.join(place.modes)},")


def cmd_ports_import(args: argparse.Namespace) -> str:
    from .editing import import_places

    change = import_places(args.data, args.file)
    return _report_change(change, f"imported {len(change.places)} place(s) from {args.file}")


def cmd_links_add(args: argparse.Namespace) -> str:
    from .editing import add_link

    change = add_link(
        args.data, args.start, args.end, mode=args.mode, distance_km=args.distance_km, time_h=args.time_h,
        frequency_per_week=args.frequency_per_week, one_way=args.one_way, link_id=args.link_id, name=args.name,
        source=args.source, notes=args.notes,
    )  # fmt: skip
    (link,), ((distance_km, time_h),) = change.links, change.measures
    ways = "one way" if link.one_way else "both ways"
    figures = f"{distance_km:,.0f} km, {time_h:,.1f} h, {ways}"
    return _report_change(change, f"added {link.mode} link {link.id}: {link.from_id} - {link.to_id}, {figures},")


def cmd_init(args: argparse.Namespace) -> str:
    from .editing import init_dataset

    target = init_dataset(args.directory, source=args.source)
    return (
        f"created an editable dataset in {target}\n"
        f"use it with --data {target} or export CORRIDOR_DATA={target}; then `corridor ports add`, "
        "`corridor links add`, `corridor ports import` and `corridor validate`"
    )


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
    ("ports", "add"): cmd_ports_add,
    ("ports", "import"): cmd_ports_import,
    ("links", "add"): cmd_links_add,
    "init": cmd_init,
}
# How many of a DataError's problems are listed on stderr, below its one-line summary.
LISTED_PROBLEMS = 50


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
    action = getattr(args, f"{args.command}_command", None)
    key = (args.command, action) if action else args.command
    try:
        result = COMMANDS[key](args)
    except UsageError as exc:
        print(f"corridor {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except CorridorError as exc:
        print(f"corridor: {exc}", file=sys.stderr)
        problems = getattr(exc, "problems", [])
        if len(problems) > 1:  # the summary names the first; list them all, one per line
            shown = problems if args.verbose else problems[:LISTED_PROBLEMS]
            print("\n".join(f"  {p}" for p in shown), file=sys.stderr)
            if len(shown) < len(problems):
                print(f"  ... and {len(problems) - len(shown)} more (all with -v)", file=sys.stderr)
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
