"""The `corridor` command: parse arguments, call the library, report results and errors."""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import sys
import threading  # logging imports it anyway
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from ._table import plain_columns
from .datasets import CUSTOMS, KINDS, STATUSES
from .errors import CorridorError, NoMatchError, NoRouteError, UsageError, WriteError
from .registry import BY, LINK_MODES, MAX_TEU, METRIC_NAMES, MODE_NAMES

log = logging.getLogger("corridor")

FILE_FORMATS = ("gpkg", "parquet")  # written to --out FILE (frames.write_frame)
STDOUT = "-"  # --out - writes to standard output
ROUTE_FORMATS = ("text", "json", "geojson", *FILE_FORMATS)
STDOUT_TABLE_FORMATS = ("text", "json", "csv")  # criticality: no --out, so no file format
TABLE_FORMATS = (*STDOUT_TABLE_FORMATS, *FILE_FORMATS)
MATRIX_FORMATS = ("csv", "json", *FILE_FORMATS)
METRIC_CHOICES = tuple(BY)
OBJECTIVE_CHOICES = (*METRIC_CHOICES, "generalized")
DEFAULT_MAP = "maps/network.html"
_TEXT_LIMIT = 50  # io.TEXT_LIMIT, without importing io for --help
SEA_ACCESS_WARNING = "cannot reach the sea lanes"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit code 2.

    Options are never abbreviated: `--origins X` would otherwise be taken for `--origins-file X`
    and `--to` for `--to-file`, and read a place name as a file.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def _print_message(self, message: str, file=None) -> None:
        """Print --help and --version as a command prints its output: argparse would say nothing
        and exit 0 when stdout cannot take them (a full disk)."""
        if file is not sys.stdout or not message:
            super()._print_message(message, file)
        elif _write_stdout(message):
            self.exit(1)


class _Once(argparse.Action):
    """Store an option given at most once: argparse keeps the last of several, so `--scenario A
    --scenario B` would apply B alone, in silence, `--modes rail --modes sea` (the filter) allow
    sea alone, and `--params A --params B` read B alone."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string} is given twice: give it once")
        setattr(namespace, self.dest, values)


def _plain(value: float | None) -> str:
    """A bound as people write it: 1,000,000 rather than 1e+06."""
    from ._text import plain_number

    return "" if value is None else plain_number(value)


def _number(convert: type, *, low: float | None = None, high: float | None = None, positive: bool = False):
    """Return an argparse type: a finite number of `convert`'s type within the given bounds."""
    noun = "whole number" if convert is int else "number"

    def parse(text: str):
        try:
            # float() and int() accept "2_9" and other scripts' digits ("٢٩"); a typo should not pass
            value = convert(text.replace("_", "x") if text.isascii() else "x")
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {noun}") from None
        if positive and not value > 0:  # also refuses nan
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive {noun}")
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if low is not None and (high is None or positive) and value < low:
            raise argparse.ArgumentTypeError(f"{text!r} is below {_plain(low)}: give {_plain(low)} or more")
        if high is not None and (low is None or positive) and value > high:
            raise argparse.ArgumentTypeError(f"{text!r} is above {_plain(high)}: give {_plain(high)} or less")
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r} is outside {_plain(low)}-{_plain(high)}")
        return value

    return parse


_positive_float = _number(float, positive=True)
_teu = _number(float, positive=True, high=MAX_TEU)
_finite_float = _number(float)
_count = _number(int, low=0, high=20)
_count_rows = _number(int, positive=True)


def _modes(text: str) -> list[str]:
    modes = [m.strip().lower() for m in text.split(",")]
    unknown = [m for m in modes if m not in MODE_NAMES]
    if not modes or unknown:
        raise argparse.ArgumentTypeError(f"{text!r}: give a comma-separated list of {', '.join(MODE_NAMES)}")
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
        group.add_argument("--params", action=_Once, metavar="FILE",
                           help="parameters CSV whose rows replace the dataset's")  # fmt: skip
    group.add_argument("-v", "--verbose", action="count", default=0, help="say more on stderr")
    group.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")


def _filters(parser: argparse.ArgumentParser, *, by: bool = True, teu: bool = True) -> None:
    if by:
        parser.add_argument(
            "--by", choices=OBJECTIVE_CHOICES, default="cost",
            help="metric to minimise, or generalized: cost + time value + CO2 price (default: cost)",
        )  # fmt: skip
    parser.add_argument(
        "--modes", action=_Once, type=_modes,
        help=f"comma-separated modes allowed: {','.join(MODE_NAMES)} (default: all)",
    )  # fmt: skip
    parser.add_argument("--avoid", action="append", default=[], metavar="PLACE_OR_PASSAGE",
                        help="a place, 'three-gorges', or a sea passage (malacca, hormuz, suez, sunda, "
                             "bab-el-mandeb, panama, ...); repeatable")  # fmt: skip
    parser.add_argument("--allow", action="append", default=[], metavar="PASSAGE",
                        help="open a passage closed by default (northwest-passage); repeatable")  # fmt: skip
    if teu:
        parser.add_argument("--teu", type=_teu, default=1.0, help="containers, scales cost and CO2 (default: 1)")


class _Given(argparse.Action):
    """Store an option's value and note that it was given: a --format given beside an --out FILE
    whose extension says otherwise is refused, where a default gives way to the extension."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_given", True)


# The formats a file of --out may hold by its extension, the first taken when --format is not given.
EXTENSION_FORMATS = {
    ".txt": ("text",),
    ".json": ("json", "geojson"),
    ".geojson": ("geojson",),
    ".csv": ("csv",),
    ".gpkg": ("gpkg",),
    ".parquet": ("parquet",),
    ".geoparquet": ("parquet",),
    # No --out writes HTML: a map is --map's. Known here so that a .html file is refused, not
    # filled with the text table.
    ".html": ("html",),
    ".htm": ("html",),
}


def _out(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the output to FILE instead of stdout (- for stdout; needed by --format gpkg|parquet); "
        "without --format, FILE's extension sets it (.json, .geojson, .csv, .gpkg, .parquet, .txt)",
    )
    parser.set_defaults(out_formats=formats)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Return the command line's parser: every command's, or with `only` that command's alone.

    A run builds only the command it is given (`main`): a parser of every command and option
    costs more than a route takes to find. Help and errors are the same either way.
    """
    parser = _Parser(
        prog="corridor",
        description="Plan container routes over the New International Land-Sea Trade Corridor.",
    )
    parser.add_argument("--version", action="version", version=f"corridor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, add in COMMAND_PARSERS.items():
        if only is None or name == only:
            add(sub)
    return parser


def _route_parser(sub) -> None:
    route = sub.add_parser("route", help="best route between two places, with alternatives")
    route.add_argument("origin")
    route.add_argument("destination")
    _filters(route)
    route.add_argument("--via", action="append", default=[], metavar="PLACE", help="pass through a place; repeatable")
    route.add_argument("--alternatives", type=_count, default=0, metavar="K", help="also give K different routes")
    route.add_argument(
        "--format", choices=ROUTE_FORMATS, default="text", action=_Given, help="gpkg and parquet: one row per leg"
    )
    _out(route, ROUTE_FORMATS)
    route.add_argument("--map", metavar="FILE.html", help="also write an interactive map")
    _decision_options(route)
    _common(route)


def _compare_parser(sub) -> None:
    compare = sub.add_parser("compare", help="the best route for each metric, side by side")
    compare.add_argument("origin")
    compare.add_argument("destination")
    _filters(compare, by=False)
    compare.add_argument("--via", action="append", default=[], metavar="PLACE")
    compare.add_argument("--format", choices=("text", "json"), default="text")
    compare.add_argument("--map", metavar="FILE.html", help="also write an interactive map")
    _decision_options(compare)
    _common(compare)


def _reach_parser(sub) -> None:
    reach = sub.add_parser("reach", help="every place reachable from an origin, with totals")
    reach.add_argument("origin")
    _filters(reach)
    reach.add_argument("--sort", choices=(*METRIC_CHOICES, "name", "country"), help="sort by (default: --by)")
    reach.add_argument("--country", help="only places in this country (ISO code or name: VN, Vietnam)")
    reach.add_argument("--limit", type=_count_rows, help=f"show at most N rows (text: {_TEXT_LIMIT} unless --all)")
    reach.add_argument("--all", action="store_true", help="show every row as text")
    reach.add_argument(
        "--served", action="store_true",
        help="cross the sea only on the published services of sea/services.csv (the ports the corridor serves)",
    )  # fmt: skip
    reach.add_argument("--format", choices=TABLE_FORMATS, default="text", action=_Given)
    reach.add_argument("--map", metavar="FILE.html", help="also write a map of every place reached, in bands")
    reach.add_argument("--by-country", action="store_true", help="one row per country: places, nearest, median")
    _decision_options(reach)
    _out(reach, TABLE_FORMATS)
    _common(reach)


def _matrix_parser(sub) -> None:
    grid = sub.add_parser(
        "matrix",
        help="totals of the best route from each origin to each destination",
        description="Totals of the best route from every origin to every destination, one row per pair "
        "(CSV long format, or JSON). Unreachable pairs have empty totals.",
    )
    grid.add_argument("origins", nargs="*", metavar="ORIGIN", help="origin places")
    grid.add_argument("--to", action="append", default=[], metavar="DEST", help="a destination; repeatable")
    grid.add_argument("--origins-file", metavar="FILE", help="origins, one place per line")
    grid.add_argument("--destinations-file", metavar="FILE", help="destinations, one place per line")
    _filters(grid)
    grid.add_argument("--format", choices=MATRIX_FORMATS, default="csv", action=_Given)
    _decision_options(grid)
    _cluster_options(grid)
    _out(grid, MATRIX_FORMATS)
    _common(grid)


def _ports_parser(sub) -> None:
    ports = sub.add_parser("ports", help="list, show, add and import places")
    ports_sub = ports.add_subparsers(dest="ports_command", metavar="ACTION", parser_class=_Parser)
    ports_sub.required = True
    listing = ports_sub.add_parser("list", help="list places")
    listing.add_argument("--country", help="ISO 3166 code or country name (VN, Vietnam)")
    listing.add_argument("--mode", choices=MODE_NAMES)
    listing.add_argument("--kind", choices=KINDS)
    listing.add_argument("--search", metavar="TEXT", help="in id, name and aliases")
    listing.add_argument("--limit", type=_count_rows, help=f"show at most N places (text: {_TEXT_LIMIT} unless --all)")
    listing.add_argument("--all", action="store_true", help="show every place as text")
    listing.add_argument("--format", choices=TABLE_FORMATS, default="text", action=_Given)
    _out(listing, TABLE_FORMATS)
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
    imp = ports_sub.add_parser("import", help="add every place of a file (CSV, GeoJSON, GeoPackage ...), or none")
    imp.add_argument(
        "file", metavar="FILE", help="CSV or GeoJSON with places.csv columns, or any file geopandas reads (Points)"
    )
    imp.add_argument("--layer", help="the layer to read from a file of several (GeoPackage)")
    _common(imp, writes=True)
    edit = ports_sub.add_parser("edit", help="change fields of a place of your dataset")
    edit.add_argument("place_id", metavar="ID", help="the place's id")
    edit.add_argument("--name")
    edit.add_argument("--country", metavar="CC", help="ISO 3166 alpha-2 code")
    edit.add_argument("--lat", type=_finite_float, help="latitude, degrees north")
    edit.add_argument("--lon", type=_finite_float, help="longitude, degrees east")
    edit.add_argument("--modes", type=_modes, help="comma-separated modes served (replaces them)")
    edit.add_argument("--kind", choices=KINDS)
    edit.add_argument(
        "--alias", action="append", dest="aliases", metavar="NAME", help="replaces the aliases; repeatable"
    )
    edit.add_argument("--area")
    edit.add_argument("--status", choices=STATUSES)
    edit.add_argument("--handling-h", type=_finite_float, metavar="HOURS", help="handling time per transfer")
    edit.add_argument("--handling-usd", type=_finite_float, metavar="USD", help="handling cost per TEU per transfer")
    edit.add_argument("--dwell-h", type=_finite_float, metavar="HOURS", help="dwell on entry (border, lock)")
    edit.add_argument("--sea-departures-per-week", type=_finite_float, metavar="N")
    edit.add_argument("--notes")
    edit.add_argument("--source", help="where the changed figures come from (default: an unsourced estimate)")
    edit.add_argument("--unset", action="append", default=[], metavar="FIELD", help="clear an optional field")
    _common(edit, writes=True)
    remove = ports_sub.add_parser("remove", help="remove a place from your dataset (refused while links use it)")
    remove.add_argument("place_id", metavar="ID", help="the place's id")
    _common(remove, writes=True)


def _links_parser(sub) -> None:
    links = sub.add_parser("links", help="add, edit, remove and import links of your dataset")
    links_sub = links.add_subparsers(dest="links_command", metavar="ACTION", parser_class=_Parser)
    links_sub.required = True
    link_add = links_sub.add_parser("add", help="add a rail, river or road service between two places")
    link_add.add_argument("start", metavar="FROM", help="place id or name")
    link_add.add_argument("end", metavar="TO", help="place id or name")
    link_add.add_argument("--mode", required=True, choices=LINK_MODES)
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
    link_add.add_argument(
        "--customs", choices=CUSTOMS[1:], default="",
        help="for a link between two countries with no border place at either end: cleared (charge the clearance "
        "of both), included (its time holds their hours: their cost is charged) or none (a customs union)",
    )  # fmt: skip
    _common(link_add, writes=True)
    link_edit = links_sub.add_parser("edit", help="change the figures of a link")
    link_edit.add_argument("link_id", metavar="ID", help="the link's id")
    link_edit.add_argument("--distance-km", type=_positive_float, metavar="KM", help="published route distance")
    link_edit.add_argument("--time-h", type=_positive_float, metavar="HOURS", help="published running time")
    link_edit.add_argument("--time-back-h", type=_positive_float, metavar="HOURS", help="running time back")
    link_edit.add_argument("--frequency-per-week", type=_positive_float, metavar="N", help="departures per week")
    link_edit.add_argument("--one-way", choices=("yes", "no"), help="yes: from FROM to TO only")
    link_edit.add_argument("--current", choices=("down", "up"), help="river links: which way FROM to TO runs")
    link_edit.add_argument("--name")
    link_edit.add_argument("--notes")
    link_edit.add_argument("--customs", choices=CUSTOMS[1:], help="cleared, included or none (see links add)")
    link_edit.add_argument("--source", help="where the changed figures come from (default: an unsourced estimate)")
    link_edit.add_argument(
        "--unset", action="append", default=[], metavar="FIELD", help="clear a field (a distance is then measured)"
    )
    _common(link_edit, writes=True)
    link_remove = links_sub.add_parser("remove", help="remove a link")
    link_remove.add_argument("link_id", metavar="ID", help="the link's id")
    _common(link_remove, writes=True)
    link_import = links_sub.add_parser("import", help="add every link of a file (CSV, GeoPackage ...), or none")
    link_import.add_argument("file", metavar="FILE", help="CSV with links.csv columns, or any file geopandas reads")
    link_import.add_argument("--layer", help="the layer to read from a file of several (GeoPackage)")
    _common(link_import, writes=True)


def _init_parser(sub) -> None:
    init = sub.add_parser("init", help="create an editable dataset (a copy of the bundled one)")
    init.add_argument("directory", metavar="DIR", help="a new or empty directory")
    init.add_argument(
        "--from", dest="from_dataset", metavar="DATASET", help="copy this dataset instead of the bundled one"
    )
    init.add_argument("-v", "--verbose", action="count", default=0, help="say more on stderr")
    init.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")


def _validate_parser(sub) -> None:
    validate = sub.add_parser("validate", help="check a dataset and report every problem")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument("--warnings", action="store_true", help="list every warning, not only how many")
    _common(validate)


def _completion_parser(sub) -> None:
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description='Print a completion script: `eval "$(corridor completion bash)"` in ~/.bashrc, '
        "`corridor completion zsh > ~/.zfunc/_corridor`, or "
        "`corridor completion fish > ~/.config/fish/completions/corridor.fish`.",
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"))


def _map_parser(sub) -> None:
    network_map = sub.add_parser("map", help="draw the whole network on an interactive map")
    network_map.add_argument(
        "--out", metavar="FILE.html", default=DEFAULT_MAP, help=f"where to write the map (default: {DEFAULT_MAP})"
    )
    _common(network_map)


# --------------------------------------------------------------------------- commands


def _network(args: argparse.Namespace):
    from ._fs import check_regular_file
    from .network import load_network

    if args.params and os.path.lexists(args.params):  # a missing one: load_network says so
        check_regular_file(args.params, "a parameters CSV table")
    from .datasets import dataset_dir

    log.debug("dataset: %s%s", dataset_dir(args.data), f", parameters from {args.params}" if args.params else "")
    with _Activity.stage("loading the network (built and cached on first use)"):
        network = load_network(args.data, params=args.params)
    if getattr(args, "scenario", None):  # decisions: every command runs on the changed network
        network = _disruption(args, network).network
    elif getattr(args, "on", None):
        raise UsageError("--on picks the changes of a scenario in force on a date: give --scenario too")
    return network


def _advise(args: argparse.Namespace, network, routes):
    """Note on stderr each dated scenario in force today that closes or delays something on the
    routes (the base network's answer does not know of it); not when a scenario is applied.
    Return what each route's JSON lists under `scenarios_in_force` (`scenarios.advisor`)."""
    import datetime as dt

    from .scenarios import advisor, advisories, dated_scenarios

    if getattr(args, "scenario", None):
        return lambda route: []
    today = dt.date.today()
    events = dated_scenarios(network, args.data)
    for advisory in advisories(network, list(routes), on=today, scenarios=events):
        log.warning("note: %s", advisory.text())
    return advisor(network, on=today, scenarios=events)


def _map_path(args: argparse.Namespace, path: str | None, what: str = "the map"):
    """Check where a map (or `what`) goes before any work: a regular file or a new name, outside the dataset."""
    from ._fs import check_output_path
    from .datasets import dataset_dir

    if path is None:
        return None
    if path == STDOUT:
        raise UsageError(f"{what} is written to a file, not to standard output: give a file name (./- for one named -)")
    target = check_output_path(path, dataset_dir(args.data), what=what)
    extension = target.suffix.lower()
    if what == "the map" and "html" not in EXTENSION_FORMATS.get(extension, ("html",)):  # map.json: HTML in it
        flag = "--out" if args.command == "map" else "--map"
        raise UsageError(f"{flag} {path} is a {extension} file but a map is an HTML page: give a .html file name")
    return target


def _save(m, path) -> str:
    from .render import save_map

    try:
        written = save_map(m, path)
    except OSError as exc:
        raise CorridorError(f"cannot write the map to {path}: {exc.strerror or exc}") from None
    log.info("map written to %s (%.1f MB)", written, written.stat().st_size / 1e6)
    return str(written)


def _write_map(network, routes, path, *, title: str) -> None:
    from .render import route_map

    _save(route_map(network, routes, title=title), path)


def _format_from_extension(args: argparse.Namespace) -> None:
    """Take --format from --out's extension when it was not given; refuse an extension that contradicts it."""
    extension = Path(args.out).suffix.lower()
    holds = EXTENSION_FORMATS.get(extension)
    if holds is None or args.format in holds:
        return
    formats = getattr(args, "out_formats", ())
    possible = [name for name in holds if name in formats]
    if not possible:
        maps = " (a map is written by --map FILE.html)" if "html" in holds and hasattr(args, "map") else ""
        raise UsageError(f"cannot write a {extension} file: --format takes {', '.join(formats)}{maps}")
    if getattr(args, "format_given", False):
        raise UsageError(f"--out {args.out} is a {extension} file but --format is {args.format}: "
                         f"give --format {possible[0]} or a file name that fits")  # fmt: skip
    args.format = possible[0]


def _out_path(args: argparse.Namespace):
    """Check where --out goes before any work; a file format needs one.

    Return None for stdout, a descriptor number or a FIFO/device path for a stream
    (/dev/stdout, /dev/null, a named pipe), else the file's path.
    """
    from ._fs import check_output_path, output_stream
    from .datasets import dataset_dir

    if args.format in FILE_FORMATS and args.out in (None, "", STDOUT):
        raise UsageError(f"--format {args.format} writes a file: give --out FILE.{args.format}")
    if not args.out or args.out == STDOUT:
        return None  # "-" is standard output, as for other tools (a file named - is ./-)
    _format_from_extension(args)
    stream = output_stream(args.out)
    if stream is not None:
        if args.format in FILE_FORMATS:
            raise UsageError(f"--format {args.format} writes a file, not a stream: give --out FILE.{args.format}")
        return stream
    return check_output_path(args.out, dataset_dir(args.data), what="the output")


def _emit(args: argparse.Namespace, path, output) -> str:
    """Write a table to --out (a GeoDataFrame as GeoPackage or GeoParquet, text as it is) or return it for stdout."""
    if path is not None and args.format in FILE_FORMATS:
        from .frames import write_frame

        written = write_frame(output(), path, args.format)
    else:
        text = output() if callable(output) else output
        if path is None:
            return text
        if isinstance(path, int | str):  # a stream: written in order, nothing to replace; escaped as stdout is
            from ._fs import write_stream
            from ._text import printable

            write_stream(path, (printable(text) + "\n").encode("utf-8"))
            return ""
        from ._fs import write_atomic

        try:  # a new folder is made, as for --map and the file formats
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(f"cannot write {path}: {exc.strerror or exc}") from None
        write_atomic(path, (text + "\n").encode("utf-8"))
        written = path
    log.info("written to %s (%.1f kB)", written, written.stat().st_size / 1e3)
    return str(written)


def _require_finite(items, teu: float) -> None:
    """Refuse results whose totals overflowed: a huge --teu makes cost and CO2 infinite."""
    from .costing import METRICS

    for item in items:
        values = [item[m] for m in METRICS] if isinstance(item, dict) else [getattr(item, m) for m in METRICS]
        if not all(math.isfinite(v) for v in values):
            raise UsageError(f"--teu {teu:g} makes the totals overflow: give a smaller number of containers")


def cmd_route(args: argparse.Namespace) -> str:
    from . import io, routing

    map_path = _map_path(args, args.map)
    out_path = _out_path(args)
    network = _network(args)
    if args.by == "generalized":
        return _route_generalized(args, network, map_path)
    routes = routing.find_routes(
        network, args.origin, args.destination, by=args.by, modes=args.modes, via=args.via,
        avoid=args.avoid, allow=args.allow, alternatives=args.alternatives, teu=args.teu,
    )  # fmt: skip
    _require_finite(routes, args.teu)
    advise = _advise(args, network, routes)
    if map_path:
        _write_map(network, routes, map_path, title=f"{args.origin} to {args.destination}")
    if args.format in FILE_FORMATS:
        from .frames import routes_to_gdf

        return _emit(args, out_path, lambda: routes_to_gdf(network, routes))
    if args.format == "json":
        return _emit(args, out_path, io.dumps(io.routes_dict(network, routes, advise)))
    if args.format == "geojson":
        return _emit(args, out_path, io.dumps(io.route_geojson(network, routes)))
    return _emit(args, out_path, io.routes_text(network, routes))


def cmd_compare(args: argparse.Namespace) -> str:
    from . import io, routing

    map_path = _map_path(args, args.map)
    network = _network(args)
    if _wants_generalized(args):
        return _compare_generalized(args, network, map_path)
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
    _require_finite(best.values(), args.teu)
    advise = _advise(args, network, best.values())
    if map_path:
        from .render import compare_map

        _save(compare_map(network, best, title=f"{args.origin} to {args.destination}: best per metric"), map_path)
    if args.format == "json":
        return io.dumps(io.compare_dict(network, best, advise))
    return io.compare_text(network, best, origin=args.origin, destination=args.destination)


def cmd_reach(args: argparse.Namespace) -> str:
    from . import io, routing

    map_path = _map_path(args, args.map)
    out_path = _out_path(args)
    if args.by_country and args.format in FILE_FORMATS:
        raise UsageError(f"--by-country gives a table by country, not places: --format {args.format} cannot hold it")
    network = _network(args)
    prices = None
    if args.by == "generalized":
        from . import objectives

        prices = _prices(args, network)
        reached = objectives.reach(
            network, args.origin, prices=prices, modes=args.modes, avoid=args.avoid, allow=args.allow, teu=args.teu,
            served=args.served,
        )  # fmt: skip
    else:
        reached = routing.reach(
            network, args.origin, by=args.by, modes=args.modes, avoid=args.avoid, allow=args.allow, teu=args.teu,
            served=args.served,
        )  # fmt: skip
    if not reached:
        raise NoRouteError(_nothing_reached(args, network))
    rows = io.reach_rows(network, reached)
    if prices is not None:
        for row in rows:
            row["generalized_usd"] = round(prices.of(row["cost_usd"], row["time_h"], row["co2_kg"], teu=args.teu), 2)
    _require_finite(rows, args.teu)
    if args.country:
        rows = io.reach_in_country(network, rows, args.country, args.origin)
    if map_path:  # also: the places listed go to stdout or --out as they do without a map
        _reach_map(args, network, rows, map_path)
    if args.by_country:
        return _emit(args, out_path, _reach_by_country(args, network, rows))
    io.sort_reach_rows(rows, reached, args.sort or args.by, prices=prices, teu=args.teu)
    total, countries = len(rows), len({r["country"] for r in rows})
    if args.limit is not None:
        rows = rows[: max(args.limit, 0)]
    if args.format in FILE_FORMATS:
        from .frames import reach_to_gdf

        by_id = {r.place_id: r for r in reached}
        return _emit(args, out_path, lambda: reach_to_gdf(network, [by_id[r["id"]] for r in rows]))
    if args.format == "json":
        return _emit(args, out_path, io.dumps(rows))
    if args.format == "csv":
        columns = ["id", "name", "country", "distance_km", "time_h", "cost_usd", "co2_kg"]
        columns += ["generalized_usd"] if prices is not None else []  # as the JSON has it
        return _emit(args, out_path, io.to_csv(rows, columns).rstrip("\n"))
    if out_path is not None:
        args.all = True  # a file gets every row
    rows, hint = _cut(rows, args, total, "places", "--all for every one, --format csv for a file")
    summary = f"{total:,} places in {countries:,} {'country' if countries == 1 else 'countries'} reachable"
    return _emit(args, out_path, "\n".join(x for x in (io.reach_text(rows), hint, summary) if x))


def _nothing_reached(args: argparse.Namespace, network) -> str:
    """Say why a reach found no place: which of --modes, --avoid and --served, each let go alone, finds some."""
    from . import routing

    origin = network.gazetteer.resolve(args.origin).label
    loose = {"modes": args.modes, "avoid": args.avoid, "allow": args.allow, "served": args.served}
    culprits = []
    for name, free, shown in (
        ("modes", None, f"--modes {','.join(args.modes or ())}"),
        ("avoid", [], " ".join(f"--avoid {a}" for a in args.avoid)),
        ("served", False, "--served"),
    ):
        if loose[name] and routing.reach(network, args.origin, by="distance", teu=args.teu, **{**loose, name: free}):
            culprits.append(shown)
    if culprits:
        return f"nothing is reachable from {origin}: blocked by {' or '.join(culprits)}"
    return f"nothing is reachable from {origin} with these options: it is not connected in the network"


def _cut(rows: list, args: argparse.Namespace, total: int, noun: str, how: str) -> tuple[list, str]:
    """Cut a long text list to io.TEXT_LIMIT rows unless --limit or --all asked; return it and a hint."""
    from . import io

    if args.limit is not None or getattr(args, "all", False) or len(rows) <= io.TEXT_LIMIT:
        shown = "" if len(rows) >= total else f"{len(rows):,} of {total:,} {noun} shown"
        return rows, shown
    from ._table import limited, terminal_width, wrap

    return rows[: io.TEXT_LIMIT], "\n".join(wrap(limited(total, io.TEXT_LIMIT, noun, how=how), terminal_width()))


def _places_file(path: str, option: str) -> list[str]:
    """Return the places listed in a file, one per line (blank lines and # comments skipped)."""
    from .datasets import read_text

    try:
        text = read_text(Path(path), expected="a text file of place names")
    except CorridorError as exc:
        raise UsageError(f"{option}: {exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _showing_progress() -> bool:
    """Progress goes to stderr when it is a terminal, and not with -q."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and logging.getLogger("corridor").getEffectiveLevel() <= logging.INFO


def _fit(line: str) -> str:
    """Cut a line drawn in place on stderr to the terminal's width less one ($COLUMNS first, as
    tables are fitted): a longer one wraps, and each redraw then leaves its first rows behind."""
    text = os.environ.get("COLUMNS", "")
    try:
        width = int(text) if text.isdigit() and int(text) > 0 else os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return line
    return line[: max(width - 1, 1)] if width > 0 else line  # 0: a terminal of unknown size


def _progress(label: str):
    """Return a progress callback drawing a bar on stderr when it is a terminal, else None."""
    if not _showing_progress():
        return None
    _Activity.pause()

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        bar = f"corridor: {label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        with _Activity.lock:
            sys.stderr.write(f"\r{_fit(bar)}{end}")
            sys.stderr.flush()

    return show


class _Activity:
    """A line on stderr saying what corridor is doing and for how long, once that passes a second.

    One runs around each command (when stderr is a terminal and not with -q); `stage` names
    the part under way. The line is cleared before any log message and when the work ends.
    """

    DELAY_S = 1.0
    TICK_S = 0.25
    lock = threading.Lock()
    current: _Activity | None = None

    def __init__(self, label: str) -> None:
        self.label = label
        self.drawn = 0
        self.paused = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="corridor-activity", daemon=True)
        self._started = 0.0

    def __enter__(self) -> _Activity:
        import time

        if _showing_progress():
            self._started = time.monotonic()
            _Activity.current = self
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if _Activity.current is self:
            self._done.set()
            self._thread.join()
            self.clear()
            _Activity.current = None

    def _run(self) -> None:
        import time

        if self._done.wait(self.DELAY_S):
            return
        while not self._done.is_set():
            if not self.paused:
                text = _fit(f"corridor: {self.label} ... {time.monotonic() - self._started:.0f} s")
                with _Activity.lock:
                    try:
                        sys.stderr.write("\r" + _fit(text.ljust(self.drawn)))
                        sys.stderr.flush()
                    except (OSError, ValueError):
                        return
                    self.drawn = len(text)
            self._done.wait(self.TICK_S)

    def clear(self) -> None:
        """Take the line off the terminal (before a log message, or at the end)."""
        with _Activity.lock:
            if self.drawn:
                with contextlib.suppress(OSError, ValueError):
                    sys.stderr.write("\r" + " " * self.drawn + "\r")
                    sys.stderr.flush()
                self.drawn = 0

    @classmethod
    def stage(cls, label: str):
        """Name the part of the work under way, for as long as the context lasts."""
        activity = cls.current

        @contextlib.contextmanager
        def named():
            if activity is None:
                yield
                return
            before, activity.label = activity.label, label
            try:
                yield
            finally:
                activity.label = before

        return named()

    @classmethod
    def pause(cls) -> None:
        """Stop drawing (another progress display takes the line)."""
        if cls.current is not None:
            cls.current.paused = True
            cls.current.clear()


def cmd_matrix(args: argparse.Namespace) -> str:
    from . import io, routing

    origins = list(args.origins) + (_places_file(args.origins_file, "--origins-file") if args.origins_file else [])
    destinations = list(args.to) + (
        _places_file(args.destinations_file, "--destinations-file") if args.destinations_file else []
    )
    if not origins:
        raise UsageError("give at least one origin (ORIGIN ... or --origins-file)")
    if not destinations:
        raise UsageError("give at least one destination (--to DEST ... or --destinations-file)")
    out_path = _out_path(args)
    network = _network(args)
    if args.by == "generalized" or args.workers or args.scheduler:
        rows = _matrix_distributed(args, network, origins, destinations)
    else:
        rows = routing.matrix(
            network, origins, destinations, by=args.by, modes=args.modes, avoid=args.avoid, allow=args.allow,
            teu=args.teu, progress=_progress("matrix"),
        )  # fmt: skip
    if rows.unroutable:  # their totals are empty, as those of pairs no route joins
        count, why = len(rows.unroutable), next(iter(rows.unroutable.values()))
        if count == 1:
            log.warning("note: a place no route can use has empty totals: %s", why)
        else:
            log.warning("note: %s places no route can use have empty totals: %s; and %s more", f"{count:,}", why,
                        f"{count - 1:,}")  # fmt: skip
    if args.format in FILE_FORMATS:

        def frame():
            table = rows.to_geodataframe()
            # A destination that is its origin has totals 0 in every format, as in the JSON and CSV.
            table.loc[io.matrix_at_origin(network, origins, destinations, rows), list(METRIC_NAMES)] = 0.0
            return table

        return _emit(args, out_path, frame)
    records = io.matrix_rows(network, origins, destinations, rows)
    if args.format == "json":
        return _emit(args, out_path, io.dumps(records))
    return _emit(args, out_path, io.to_csv(records, io.MATRIX_COLUMNS).rstrip("\n"))


def cmd_ports_list(args: argparse.Namespace) -> str:
    from . import io
    from .gazetteer import normalize

    out_path = _out_path(args)
    network = _network(args)
    places = sorted(network.places.values(), key=lambda p: (p.country, p.name, p.id))
    filters = []
    if args.country:
        from .gazetteer import country_code, country_label

        code = country_code(args.country, network.countries)
        places = [p for p in places if p.country == code]
        filters.append(f"--country {country_label(network.countries, code)}")
    if args.mode:
        places = [p for p in places if args.mode in p.modes]
    if args.kind:
        places = [p for p in places if p.kind == args.kind]
    if args.search:
        needle = normalize(args.search)
        if not needle:  # punctuation alone would match every place
            raise UsageError("argument --search: type part of a place's id, name or alias")
        places = [p for p in places if any(needle in normalize(t) for t in (p.id, p.name, *p.aliases))]
    if not places:
        shown = [*filters, *(f"--{o} {getattr(args, o)}" for o in ("mode", "kind", "search") if getattr(args, o))]
        raise NoMatchError(f"no places match {' and '.join(shown) or 'the dataset'}")
    total = len(places)
    if args.limit is not None:
        places = places[: args.limit]
    if args.format in FILE_FORMATS:

        def frame():
            ids = [p.id for p in places]
            return network.places_gdf().set_index("id", drop=False).loc[ids].reset_index(drop=True)

        return _emit(args, out_path, frame)
    rows = [io.place_row(p) for p in places]
    if args.format == "json":
        return _emit(args, out_path, io.dumps(rows))
    if args.format == "csv":
        return _emit(
            args, out_path, io.to_csv(rows, ["id", "name", "country", "lat", "lon", "kind", "modes"]).rstrip("\n")
        )
    if out_path is not None:
        args.all = True
    places, hint = _cut(places, args, total, "places", "narrow with --country, --mode or --search, or --all")
    return _emit(args, out_path, "\n".join(x for x in (io.places_text(places), hint or f"{total:,} places") if x))


def cmd_ports_show(args: argparse.Namespace) -> str:
    from . import io

    if not args.place.strip():
        raise UsageError("place: empty place name")
    network = _network(args)
    shown = io.places_shown(network, network.gazetteer.resolve(args.place), args.format)
    return io.dumps(shown) if args.format == "json" else str(shown)


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
        unlisted = 0 if args.warnings else len(report.warnings) - len(unjoined)
        summary += f", {len(report.warnings)} warning(s)"
        if unlisted:  # the seaports that cannot join are listed above already
            listed = f"{unlisted} not listed: " if unjoined else ""
            summary += f" ({listed}list them with --warnings)"
    lines.append(summary)
    return "\n".join(lines), code


def _warn_notes(change, *, verbose: int = 0) -> None:
    """Say a write's notes on stderr: the first few, or all with -v."""
    shown = change.notes if verbose else change.notes[:LISTED_PROBLEMS]
    for note in shown:
        log.warning("note: %s", note)
    if len(shown) < len(change.notes):  # a large import: one line for the rest
        log.warning("note: ... and %d more (all with -v)", len(change.notes) - len(shown))


def _report_change(change, added: str, *, verbose: int = 0) -> str:
    _warn_notes(change, verbose=verbose)
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
    added = f"added {place.name} ({place.id}), {place.kind}, {'/'.join(place.modes)},"
    return _report_change(change, added, verbose=args.verbose)


def cmd_ports_import(args: argparse.Namespace) -> str:
    from .editing import import_places

    change = import_places(args.data, args.file, layer=args.layer)
    return _report_change(change, f"imported {len(change.places)} place(s) from {args.file}", verbose=args.verbose)


PLACE_FLAGS = (
    "name", "country", "lat", "lon", "modes", "kind", "aliases", "area", "status", "handling_h", "handling_usd",
    "dwell_h", "sea_departures_per_week", "notes",
)  # fmt: skip
LINK_FLAGS = (
    "distance_km", "time_h", "time_back_h", "frequency_per_week", "one_way", "current", "name", "notes", "customs",
)  # fmt: skip


def _changed(args: argparse.Namespace, flags: Sequence[str]) -> dict[str, object]:
    changes = {flag: getattr(args, flag) for flag in flags if getattr(args, flag) is not None}
    if not changes and not args.unset and args.source is None:
        raise UsageError("give at least one field to change (--name, ... see --help) or --unset FIELD")
    return changes


def cmd_ports_edit(args: argparse.Namespace) -> str:
    from .editing import edit_place

    changes = _changed(args, PLACE_FLAGS)
    change = edit_place(args.data, args.place_id, source=args.source, unset=args.unset, **changes)
    (place,) = change.places
    fields = ", ".join([*changes, *(f"{f} unset" for f in args.unset)]) or "source"
    return _report_change(change, f"changed {place.name} ({place.id}): {fields},", verbose=args.verbose)


def cmd_ports_remove(args: argparse.Namespace) -> str:
    from .editing import remove_place

    change = remove_place(args.data, args.place_id)
    (place,) = change.places
    _warn_notes(change, verbose=args.verbose)
    return f"removed {place.name} ({place.id}) from {change.path}"


def cmd_links_edit(args: argparse.Namespace) -> str:
    from .editing import edit_link
    from .registry import METRICS

    changes = _changed(args, LINK_FLAGS)
    change = edit_link(args.data, args.link_id, source=args.source, unset=args.unset, **changes)
    (link,), ((distance_km, time_h),) = change.links, change.measures
    fields = ", ".join([*changes, *(f"{f} unset" for f in args.unset)]) or "source"
    figures = f"{METRICS['distance_km'].text(distance_km)}, {METRICS['time_h'].text(time_h)}"
    return _report_change(change, f"changed {link.mode} link {link.id} ({figures}): {fields},", verbose=args.verbose)


def cmd_links_remove(args: argparse.Namespace) -> str:
    from .editing import remove_link

    change = remove_link(args.data, args.link_id)
    (link,) = change.links
    _warn_notes(change, verbose=args.verbose)
    return f"removed {link.mode} link {link.id} ({link.from_id} - {link.to_id}) from {change.path}"


def cmd_links_import(args: argparse.Namespace) -> str:
    from .editing import import_links

    change = import_links(args.data, args.file, layer=args.layer)
    return _report_change(change, f"imported {len(change.links)} link(s) from {args.file}", verbose=args.verbose)


def cmd_links_add(args: argparse.Namespace) -> str:
    from .editing import add_link

    if args.source and args.distance_km is None and args.time_h is None and args.frequency_per_week is None:
        raise UsageError("--source cites the figures the link gives: give --distance-km, --time-h or "
                         "--frequency-per-week with it (measured ones are estimates)")  # fmt: skip
    change = add_link(
        args.data, args.start, args.end, mode=args.mode, distance_km=args.distance_km, time_h=args.time_h,
        frequency_per_week=args.frequency_per_week, one_way=args.one_way, link_id=args.link_id, name=args.name,
        source=args.source, notes=args.notes, customs=args.customs,
    )  # fmt: skip
    (link,), ((distance_km, time_h),) = change.links, change.measures
    from .registry import METRICS

    ways = "one way" if link.one_way else "both ways"
    figures = f"{METRICS['distance_km'].text(distance_km)}, {METRICS['time_h'].text(time_h)}, {ways}"
    added = f"added {link.mode} link {link.id}: {link.from_id} - {link.to_id}, {figures},"
    return _report_change(change, added, verbose=args.verbose)


def cmd_init(args: argparse.Namespace) -> str:
    from .editing import init_dataset

    target = init_dataset(args.directory, source=args.from_dataset)
    return (
        f"created an editable dataset in {target}\n"
        f"use it with --data {target} or export CORRIDOR_DATA={target}; then `corridor ports add`, "
        "`corridor links add`, `corridor ports import` and `corridor validate`"
    )


def cmd_completion(args: argparse.Namespace) -> str:
    from ._completion import script

    return script(build_parser(), args.shell).rstrip("\n")


def cmd_map(args: argparse.Namespace) -> str:
    from .render import network_map

    path = _map_path(args, args.out)
    return _save(network_map(_network(args)), path)


# ==================================================================== decisions (issue 12)
# Trade-offs, generalised cost, scenarios, criticality and scale-out: options, parsers, commands.


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written as 2024-01-31") from None


# Bounds on the generalised-cost prices that keep every total finite and far beyond any real case.
MAX_CARGO_VALUE_USD, MAX_CO2_PRICE_USD_PER_T = 1e9, 1e7
_cargo_value = _number(float, low=0.0, high=MAX_CARGO_VALUE_USD)
_holding_rate = _number(float, low=0.0, high=1.0)
_co2_price = _number(float, low=0.0, high=MAX_CO2_PRICE_USD_PER_T)
_workers = _number(int, low=1, high=256)


def _decision_options(parser: argparse.ArgumentParser, *, prices: bool = True) -> None:
    """Add --scenario and, to a command with a generalised cost (`prices`), that cost's prices."""
    group = parser.add_argument_group("scenario and generalised cost" if prices else "scenario")
    group.add_argument(
        "--scenario", action=_Once, metavar="NAME|FILE", help="apply a scenario (see corridor scenario list)"
    )
    group.add_argument("--on", type=_date, metavar="DATE", help="only the scenario's changes in force on this date")
    if not prices:
        return
    group.add_argument("--cargo-value-usd", type=_cargo_value, metavar="USD",
                       help="value of the goods in one TEU, for --by generalized (default: parameters)")  # fmt: skip
    group.add_argument("--holding-rate-per-day", type=_holding_rate, metavar="RATE",
                       help="holding cost per day as a share of the value, 0-1 (default: parameters)")  # fmt: skip
    group.add_argument("--co2-price-usd-per-t", type=_co2_price, metavar="USD",
                       help="carbon price per tonne of CO2 (default: parameters)")  # fmt: skip


def _cluster_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scale-out (needs corridor[dask])")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_workers, metavar="N", help="run on a new local Dask cluster of N processes")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on a running Dask cluster (tcp://host:8786)")


def _pareto_parser(sub) -> None:
    pareto = sub.add_parser(
        "pareto", help="every route not dominated on cost, time and CO2",
        description="Every route from ORIGIN to DESTINATION that no other beats on cost, time and CO2 at once, "
        "one per corridor (and the fastest, the lowest-CO2 and the best by generalised cost whatever their "
        "corridor), cheapest first.",
    )  # fmt: skip
    pareto.add_argument("origin")
    pareto.add_argument("destination")
    _filters(pareto, by=False)
    pareto.add_argument("--via", action="append", default=[], metavar="PLACE", help="pass through a place; repeatable")
    pareto.add_argument("--format", choices=("text", "json"), default="text")
    pareto.add_argument("--map", metavar="FILE.html", help="also write a map with each route a layer")
    pareto.add_argument("--plot", metavar="FILE", help="also write a chart of the front (.svg, or .html with a table)")
    _decision_options(pareto, prices=False)  # the front is of cost, time and CO2
    _common(pareto)


def _criticality_parser(sub) -> None:
    crit = sub.add_parser(
        "criticality", help="which links, gateways, borders and passages matter most from an origin",
        description="Close each link, gateway, border crossing, lock and sea passage in turn, find the best routes "
        "from ORIGIN to every destination again, and rank the elements by destinations cut off and by added total.",
    )  # fmt: skip
    crit.add_argument("origin")
    crit.add_argument("--to", action="append", default=[], metavar="DEST", help="a destination; repeatable")
    crit.add_argument("--to-file", metavar="FILE", help="destinations, one per line, optionally 'place,weight'")
    _filters(crit, teu=False)
    crit.add_argument("--top", type=_count_rows, default=20, metavar="N", help="show the N most critical (default 20)")
    crit.add_argument("--rank", choices=("cutoff", "added"), default="cutoff",
                      help="rank by destinations cut off, then added total (default), or by added total")  # fmt: skip
    crit.add_argument("--all-elements", action="store_true",
                      help="also close elements no best route uses (they cannot matter; slower)")  # fmt: skip
    crit.add_argument("--format", choices=STDOUT_TABLE_FORMATS, default="text")
    crit.add_argument("--map", metavar="FILE.html", help="also write a map coloured by criticality")
    _decision_options(crit)
    _cluster_options(crit)
    _common(crit)


def _scenario_parser(sub) -> None:
    scen = sub.add_parser("scenario", help="list, show and compare scenarios (closures, delays, surcharges)")
    scen_sub = scen.add_subparsers(dest="scenario_command", metavar="ACTION", parser_class=_Parser)
    scen_sub.required = True
    listing = scen_sub.add_parser("list", help="the scenarios found by name")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    _common(listing)
    show = scen_sub.add_parser("show", help="a scenario's changes with their sources (checks the file)")
    show.add_argument("name", metavar="NAME|FILE")
    show.add_argument("--format", choices=("text", "json"), default="text")
    _common(show)
    versus = scen_sub.add_parser(
        "compare", help="the best route without and with a scenario, side by side",
        description="The best route from ORIGIN to DESTINATION on the network as it is and under --scenario, "
        "with the differences.",
    )  # fmt: skip
    versus.add_argument("origin")
    versus.add_argument("destination")
    _filters(versus)
    versus.add_argument("--via", action="append", default=[], metavar="PLACE")
    versus.add_argument("--format", choices=("text", "json"), default="text")
    _decision_options(versus)
    _common(versus)
    for action in versus._actions:
        if action.dest == "scenario":
            action.required = True


def _disruption(args: argparse.Namespace, network):
    """Apply the command's --scenario (once per command); `main` says so on stderr once the command
    succeeds, so that a refusal stays the one line there."""
    from .scenarios import apply_scenario, load_scenario

    cached = getattr(args, "_disruption", None)
    if cached is not None:
        return cached
    scenario = load_scenario(args.scenario, args.data, known_sources=network.sources)
    disruption = apply_scenario(network, scenario, on=getattr(args, "on", None))
    changes = len(disruption.scenario.changes)
    args._scenario_note = f"scenario {scenario.name}: {scenario.title} ({changes} change(s) in force)"
    args._disruption = disruption
    return disruption


# The generalised cost's prices. A command that ranks by --by uses them only with --by
# generalized; compare and scenario compare show the generalised cost whatever they rank by.
PRICE_OPTIONS = {
    "cargo_value_usd": "--cargo-value-usd", "holding_rate_per_day": "--holding-rate-per-day",
    "co2_price_usd_per_t": "--co2-price-usd-per-t",
}  # fmt: skip
SHOW_GENERALIZED = frozenset({"compare", ("scenario", "compare")})


def unused_price(by: str, given: Callable[[str], object]) -> tuple[str, str] | None:
    """Return (the price's name, why) for the first generalised-cost price in `given` (a name's value
    or None) that a search `by` another metric would ignore; the CLI and the API refuse it in these words."""
    if by == "generalized":
        return None
    for name, flag in PRICE_OPTIONS.items():
        if given(name) is not None:
            return name, f"{flag} prices the generalised cost, which --by {by} does not use: add --by generalized"
    return None


def _check_prices(args: argparse.Namespace) -> None:
    """Refuse a price of the generalised cost that the command would ignore, rather than ignore it."""
    by = getattr(args, "by", None)
    if by is None or _command_key(args) in SHOW_GENERALIZED:
        return
    found = unused_price(by, lambda name: getattr(args, name, None))
    if found is not None:
        raise UsageError(found[1])


def _wants_generalized(args: argparse.Namespace) -> bool:
    return True  # compare always shows the generalised cost beside the four metrics


def _prices(args: argparse.Namespace, network):
    from .objectives import Prices

    return Prices.from_parameters(
        network.parameters, cargo_value_usd=getattr(args, "cargo_value_usd", None),
        holding_rate_per_day=getattr(args, "holding_rate_per_day", None),
        co2_price_usd_per_t=getattr(args, "co2_price_usd_per_t", None),
    )  # fmt: skip


def _route_generalized(args: argparse.Namespace, network, map_path) -> str:
    from . import io, objectives

    prices = _prices(args, network)
    routes = objectives.find_routes(
        network, args.origin, args.destination, prices=prices, modes=args.modes, via=args.via,
        avoid=args.avoid, allow=args.allow, alternatives=args.alternatives, teu=args.teu,
    )  # fmt: skip
    _require_finite(routes, args.teu)
    advise = _advise(args, network, routes)
    if map_path:
        _write_map(network, routes, map_path, title=f"{args.origin} to {args.destination}")
    if args.format == "json":
        return io.dumps(io.generalized_routes_dict(network, routes, prices, advise))
    if args.format == "geojson":
        return io.dumps(io.route_geojson(network, routes))
    return io.generalized_routes_text(network, routes, prices)


def _compare_generalized(args: argparse.Namespace, network, map_path) -> str:
    from . import io, objectives

    prices = _prices(args, network)
    query = dict(modes=args.modes, via=args.via, avoid=args.avoid, allow=args.allow, teu=args.teu)
    best = objectives.compare(network, args.origin, args.destination, prices=prices, **query)
    _require_finite(best.values(), args.teu)
    advise = _advise(args, network, best.values())
    if map_path:
        from .render import compare_map

        metrics = {by: route for by, route in best.items() if by != "generalized"}
        _save(compare_map(network, metrics, title=f"{args.origin} to {args.destination}: best per metric"), map_path)
    if args.format == "json":
        return io.dumps(io.generalized_compare_dict(network, best, prices, advise))
    return io.generalized_compare_text(network, best, prices, origin=args.origin, destination=args.destination)


def _reach_metric(args: argparse.Namespace) -> str:
    from . import io

    return "generalized_usd" if args.by == "generalized" else io.BY.get(args.by, args.by)


def _reach_map(args: argparse.Namespace, network, rows: list[dict], map_path) -> None:
    """reach --map: every place reached, in bands of the metric, with a table by country."""
    from .decision_maps import reach_map

    metric = _reach_metric(args)
    if metric == "generalized_usd":
        metric = "cost_usd"
        log.warning("the map colours by cost: bands of the generalised cost are not drawn")
    _save(reach_map(network, rows, metric=metric, origin=args.origin), map_path)


def _reach_by_country(args: argparse.Namespace, network, rows: list[dict]) -> str:
    """reach --by-country: one row per country, with the places reached and their spread."""
    from . import io
    from .decision_maps import reach_by_country

    metric = _reach_metric(args)
    table = reach_by_country(rows, metric, network.countries)
    if args.limit is not None:
        table = table[: args.limit]
    columns = ["country", "name", "places", f"min_{metric}", f"median_{metric}", f"max_{metric}"]
    if args.format == "json":
        return io.dumps(table)
    if args.format == "csv":
        return io.to_csv(table, columns).rstrip("\n")
    from .registry import METRICS

    def fmt(value: float) -> str:
        return METRICS[metric].text(value) if metric in METRICS else f"${value:,.0f}"

    body = [[r["country"], r["name"], str(r["places"]), *(fmt(r[c]) for c in columns[3:])] for r in table]
    head = f"Reach from {args.origin} by country ({len(rows):,} places)"
    return (
        head
        + "\n"
        + io.table(
            plain_columns(["cc", "country", "places", "nearest", "median", "farthest"], right=(2, 3, 4, 5)), body
        )
    )


def _runner(args: argparse.Namespace):
    from .distributed import runner

    return runner(workers=getattr(args, "workers", None), scheduler=getattr(args, "scheduler", None))


def _matrix_distributed(args: argparse.Namespace, network, origins, destinations):
    from .distributed import matrix

    prices = _prices(args, network) if args.by == "generalized" else None
    with _runner(args) as run:
        log.debug("matrix %s", run.describe())
        rows = matrix(
            network, origins, destinations, by=args.by, prices=prices, modes=args.modes, avoid=args.avoid,
            allow=args.allow, teu=args.teu, run=run, progress=_progress("matrix"),
        )  # fmt: skip
    return rows


def cmd_pareto(args: argparse.Namespace) -> str:
    from . import io
    from .decision_maps import front_html, front_map, front_svg, write_chart
    from .pareto import front_dict, front_text, pareto

    map_path = _map_path(args, args.map)
    plot_path = _map_path(args, args.plot, "the chart")
    if plot_path is not None and plot_path.suffix.lower() not in (".svg", ".html", ".htm"):
        raise UsageError(f"--plot {args.plot}: give a .svg or .html file")
    network = _network(args)
    front = pareto(
        network, args.origin, args.destination, modes=args.modes, via=args.via, avoid=args.avoid, allow=args.allow,
        teu=args.teu,
    )  # fmt: skip
    _require_finite(front.routes, args.teu)
    title = f"Trade-offs from {args.origin} to {args.destination}"
    if map_path:
        _save(front_map(network, front, title=title), map_path)
    if plot_path:
        chart = front_svg if plot_path.suffix.lower() == ".svg" else front_html
        try:
            written = write_chart(plot_path, chart(network, front, title=title))
        except OSError as exc:
            raise CorridorError(f"cannot write the chart to {plot_path}: {exc.strerror or exc}") from None
        log.info("chart written to %s", written)
    if args.format == "json":
        return io.dumps(front_dict(network, args.origin, args.destination, front))
    return front_text(network, front, origin=args.origin, destination=args.destination)


def _destinations_file(path: str) -> tuple[list[str], list[float]]:
    """Read destinations, one per line, each optionally followed by ',weight' (or a tab and the weight)."""
    names, weights = [], []
    for number, line in enumerate(_places_file(path, "--to-file"), 1):
        name, weight = line, 1.0
        for separator in ("\t", ","):
            head, sep, tail = line.rpartition(separator)
            if sep:
                try:
                    value = float(tail)
                except ValueError:
                    continue
                if not (math.isfinite(value) and 0 <= value <= MAX_TEU):
                    raise UsageError(
                        f"--to-file {path}: line {number}: the weight must be a number from 0 to {_plain(MAX_TEU)}"
                    )
                name, weight = head.strip(), value
                break
        if len(name) > 1 and name[0] == name[-1] == '"':
            name = name[1:-1].strip()  # a name quoted as a spreadsheet writes it
        names.append(name)
        weights.append(weight)
    return names, weights


def cmd_criticality(args: argparse.Namespace) -> str:
    from . import io
    from .criticality import criticality, criticality_dict, criticality_text, impact_rows

    map_path = _map_path(args, args.map)
    names, weights = list(args.to), [1.0] * len(args.to)
    if args.to_file:
        more, more_weights = _destinations_file(args.to_file)
        names += more
        weights += more_weights
    if not names:
        raise UsageError("give at least one destination (--to DEST ... or --to-file FILE)")
    network = _network(args)
    prices = _prices(args, network) if args.by == "generalized" else None
    with _runner(args) as run:
        log.debug("criticality %s", run.describe())
        result = criticality(
            network, args.origin, names, weights=weights, by=args.by, prices=prices, modes=args.modes,
            avoid=args.avoid, allow=args.allow, prune=not args.all_elements, rank=args.rank, run=run,
            progress=_progress("criticality"),
        )  # fmt: skip
    if map_path:
        from .decision_maps import criticality_map

        _save(criticality_map(network, result, title=f"Criticality from {args.origin}"), map_path)
    if args.format == "json":
        return io.dumps(criticality_dict(result, args.top))
    if args.format == "csv":
        rows = impact_rows(result, args.top)
        return io.to_csv(rows, list(rows[0]) if rows else ["rank"]).rstrip("\n")
    return criticality_text(result, args.top)


def cmd_scenario_list(args: argparse.Namespace) -> str:
    from . import io
    from .scenarios import as_dict, list_scenarios, load_scenario

    rows = []
    for path in list_scenarios(args.data):
        try:
            scenario = load_scenario(str(path))
            rows.append({"name": scenario.name, "title": scenario.title, "file": str(path),
                         "start": as_dict(scenario)["start"], "end": as_dict(scenario)["end"],
                         "changes": len(scenario.changes), "problem": None})  # fmt: skip
        except CorridorError as exc:
            rows.append({"name": path.stem, "title": "", "file": str(path), "start": None, "end": None,
                         "changes": 0, "problem": str(exc)})  # fmt: skip
    if args.format == "json":
        return io.dumps(rows)
    body = [
        [r["name"], f"{r['start'] or '...'} to {r['end'] or '...'}", r["title"] or f"(invalid: {r['problem']})"]
        for r in rows
    ]
    return (
        io.table(plain_columns(["name", "dates", "title"], wrap=(2,)), body)
        + f"\n{len(rows)} scenario(s); see corridor scenario show NAME"
    )


def cmd_scenario_show(args: argparse.Namespace) -> str:
    from . import io
    from .datasets import dataset_dir, read_sources
    from .scenarios import apply_scenario, as_dict, describe, load_scenario

    root = dataset_dir(args.data)
    known = read_sources(root / "sources.csv") if (root / "sources.csv").is_file() else {}
    scenario = load_scenario(args.name, args.data, known_sources=known)
    # Applied once to the dataset's network, so that places, links and passages it names are checked too.
    apply_scenario(_network(args), scenario)
    if args.format == "json":
        return io.dumps(as_dict(scenario))
    return "\n".join(describe(scenario))


def cmd_scenario_compare(args: argparse.Namespace) -> str:
    from . import io, objectives
    from .errors import NoRouteError
    from .network import load_network

    base = load_network(args.data, params=args.params)
    disruption = _disruption(args, base)
    prices = _prices(args, base)
    query = dict(modes=args.modes, via=args.via, avoid=args.avoid, allow=args.allow, teu=args.teu)
    routes = []
    why = ""
    for network in (base, disruption.network):
        try:
            if args.by == "generalized":
                route = objectives.find_routes(network, args.origin, args.destination, prices=prices, **query)[0]
            else:
                route = routing_find(network, args, query)
        except NoRouteError as exc:
            if network is base:
                raise
            route = None
            why = str(exc)
        routes.append(route)
    before, after = routes
    assert before is not None  # the base network's NoRouteError is raised above
    if args.format == "json":
        return io.dumps(io.scenario_compare_dict(base, disruption, before, after, prices, why))
    return io.scenario_compare_text(
        base, disruption, before, after, prices, origin=args.origin, destination=args.destination, why=why
    )


def routing_find(network, args: argparse.Namespace, query: dict):
    from . import routing

    return routing.find_routes(network, args.origin, args.destination, by=args.by, **query)[0]


# ==================================================================== serve (issue 14)


def _serve_parser(sub) -> None:
    serve = sub.add_parser(
        "serve", help="the web page and HTTP API (needs corridor[serve])",
        description="Serve the planner's web page and the HTTP API (documented at /api/openapi.json) over one "
        "loaded network. Listens on 127.0.0.1 only unless --host says otherwise.",
    )  # fmt: skip
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine)")
    serve.add_argument(
        "--port", type=_number(int, low=0, high=65535), default=8000, help="default: 8000 (0: a free one)"
    )
    serve.add_argument("--workers", type=_workers, default=1, metavar="N",
                       help="processes, each with the network loaded (default: 1, searches in threads)")  # fmt: skip
    serve.add_argument("--allow-edits", action="store_true",
                       help="let POST /api/ports add places to the dataset (--data, see corridor init)")  # fmt: skip
    serve.add_argument("--cors", metavar="ORIGIN", help="let pages of this origin call the API (default: none)")
    serve.add_argument("--time-limit", type=_positive_float, default=30.0, metavar="SECONDS",
                       help="answer 503 to a request still running after this long (default: 30)")  # fmt: skip
    _common(serve)


def _count_places(data: str | None, params: str | None) -> int:
    """Load a dataset's network and return how many places it has (a check run in a process of its own)."""
    from .network import load_network

    return len(load_network(data, params=params).places)


def cmd_serve(args: argparse.Namespace) -> str:
    try:
        from . import server
    except ImportError as exc:
        raise CorridorError(
            f"corridor serve needs the serve extra ({exc.name or exc} is missing): pip install 'corridor[serve]'"
        ) from None
    import socket

    from .network import load_network

    if args.cors:
        from urllib.parse import urlsplit

        parts = urlsplit(args.cors)
        try:
            port = parts.port  # a port beyond 65535, or not a number, raises
        except ValueError:
            port = -1
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or port == -1
            or "@" in parts.netloc  # a browser never sends a user or password in Origin
            or parts.path not in ("", "/")
            or (parts.query or parts.fragment)
        ):
            raise UsageError(
                f"--cors {args.cors}: give an origin, a scheme and host (and port) alone, such as https://example.org"
            )
        # As a browser sends it in Origin, which is compared as it is: no trailing slash, the host in
        # lower case, and no port where it is the scheme's own.
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        own = port is None or port == {"http": 80, "https": 443}[parts.scheme]
        args.cors = f"{parts.scheme}://{host}{'' if own else f':{port}'}"
    if args.allow_edits:
        from .editing import writable_dataset

        writable_dataset(args.data)  # refuses the bundled or an installed dataset before anything runs
    loopback = server.is_loopback(args.host)
    with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((args.host, args.port))
        except OSError as exc:
            raise CorridorError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
        args.port = probe.getsockname()[1]  # --port 0: the free port the system chose, served and said
    if not loopback:
        edits = ", and add places to the dataset" if args.allow_edits else ""
        _say(
            f"corridor: warning: listening on {args.host}: anyone who can reach this machine on port {args.port} can "
            f"use the page and the API without logging in{edits}"
        )
    with _Activity.stage("loading the network"):
        if args.workers > 1:  # each worker loads its own: check the dataset in a process of its own
            import concurrent.futures
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as check:
                places = check.submit(_count_places, args.data, args.params).result()
            network = None
        else:
            network = load_network(args.data, params=args.params)  # a bad dataset fails here, with its one line
            places = len(network.places)
    settings = server.Settings(
        data=args.data, params=args.params, allow_edits=args.allow_edits, cors=args.cors,
        allowed_hosts=server.LOOPBACK_HOSTS if loopback else None, time_limit_s=args.time_limit,
    )  # fmt: skip
    shown = f"[{args.host}]" if ":" in args.host else args.host
    log.info(
        "serving %s places on http://%s:%d/ (API: /api/openapi.json); Ctrl-C stops", f"{places:,}", shown, args.port
    )
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = logging.getLogger("corridor").handlers
        logging.getLogger(name).setLevel(logging.INFO if args.verbose else logging.WARNING)
        logging.getLogger(name).propagate = False
    _Activity.pause()  # the server runs until stopped: no "serving ... 300 s" line
    server.serve(settings, network=network, host=args.host, port=args.port, workers=args.workers,
                 access_log=bool(args.verbose))  # fmt: skip
    return ""


COMMANDS = {
    "route": cmd_route,
    "compare": cmd_compare,
    "reach": cmd_reach,
    "matrix": cmd_matrix,
    "validate": cmd_validate,
    "map": cmd_map,
    "completion": cmd_completion,
    ("ports", "list"): cmd_ports_list,
    ("ports", "show"): cmd_ports_show,
    ("ports", "add"): cmd_ports_add,
    ("ports", "import"): cmd_ports_import,
    ("ports", "edit"): cmd_ports_edit,
    ("ports", "remove"): cmd_ports_remove,
    ("links", "add"): cmd_links_add,
    ("links", "edit"): cmd_links_edit,
    ("links", "remove"): cmd_links_remove,
    ("links", "import"): cmd_links_import,
    "init": cmd_init,
    "pareto": cmd_pareto,
    "criticality": cmd_criticality,
    ("scenario", "list"): cmd_scenario_list,
    ("scenario", "show"): cmd_scenario_show,
    ("scenario", "compare"): cmd_scenario_compare,
    "serve": cmd_serve,
}
# How many problems (of an import) or notes (of a change) are listed on stderr without -v.
LISTED_PROBLEMS = 50
# Commands whose errors list every problem: those that read a file the user gives.
LISTS_PROBLEMS = frozenset({("ports", "import"), ("links", "import"), ("scenario", "show")})


ACTIVITIES: dict[str | tuple[str, str], str] = {
    "route": "finding routes", "compare": "comparing routes", "reach": "searching", "matrix": "searching",
    "validate": "validating the dataset", "map": "drawing the map", "init": "copying the dataset",
    "ports": "reading the places", "links": "checking and writing",
    **{("ports", action): "checking and writing" for action in ("add", "import", "edit", "remove")},
}  # fmt: skip


class _Handler(logging.StreamHandler):
    """Log to stderr, first clearing the activity line if one is drawn."""

    def emit(self, record: logging.LogRecord) -> None:
        if _Activity.current is not None:
            _Activity.current.clear()
        super().emit(record)


class _Printable(logging.Formatter):
    """Format log records on one line each, every terminal control character escaped (names come from data)."""

    def format(self, record: logging.LogRecord) -> str:
        from ._text import one_line

        return one_line(super().format(record))


def _configure_logging(args: argparse.Namespace) -> None:
    # -v says what is loaded and from where (the packaged network, a cache file, or built), and each stage.
    quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", 0)
    level = logging.ERROR if quiet else (logging.DEBUG if verbose else logging.INFO)
    handler = _Handler(sys.stderr)
    handler.setFormatter(_Printable("corridor: %(message)s"))
    root = logging.getLogger("corridor")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    logging.raiseExceptions = False  # a closed stderr must not print a logging traceback


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind, so that temporary files are removed on the way out."""


def _on_signal(signum, frame) -> None:
    raise _Terminated(signum)


def _closed(stream, fd: int) -> bool:
    """Return True when a standard stream was closed before corridor started (`>&-`)."""
    if stream is None:
        return True
    try:
        if stream.fileno() != fd:
            return False
    except (AttributeError, OSError, ValueError):  # a captured stream (tests): it is open
        return False
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


def _occupy(fd: int) -> None:
    """Put /dev/null on a closed standard descriptor, so that no file corridor opens gets its number."""
    null = os.open(os.devnull, os.O_RDWR)
    if null != fd:
        os.dup2(null, fd)
        os.close(null)


def _say(text: str) -> None:
    """Say one line on stderr; a line break in it (from a path or a name) is shown escaped."""
    from ._text import one_line

    with contextlib.suppress(OSError, ValueError):
        print(one_line(text), file=sys.stderr)


def _write_stdout(text: str) -> int:
    """Write `text` to stdout; return 0, or 1 when it could not be written, having said why."""
    from ._text import encodable

    try:
        sys.stdout.write(encodable(text, getattr(sys.stdout, "encoding", None)))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): say nothing, as head expects; exit 1 as the output is cut.
        _silence_stdout()
        return 1
    except OSError as exc:
        _silence_stdout()
        _say(f"corridor: cannot write the output: {exc.strerror or exc}")
        return 1
    return 0


def _silence_stdout() -> None:
    """After a failed write, point stdout at /dev/null so the flush at exit cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


# Each command's parser, in the order `corridor --help` lists them.
COMMAND_PARSERS = {
    "route": _route_parser,
    "compare": _compare_parser,
    "reach": _reach_parser,
    "matrix": _matrix_parser,
    "ports": _ports_parser,
    "links": _links_parser,
    "init": _init_parser,
    "validate": _validate_parser,
    "completion": _completion_parser,
    "map": _map_parser,
    "pareto": _pareto_parser,
    "criticality": _criticality_parser,
    "scenario": _scenario_parser,
    "serve": _serve_parser,
}


# Arguments that name a file or directory: an empty one would quietly mean the current directory.
PATH_ARGUMENTS = {
    "data": "--data", "params": "--params", "out": "--out", "map": "--map", "plot": "--plot", "file": "FILE",
    "directory": "DIRECTORY", "to_file": "--to-file", "origins_file": "--origins-file",
    "destinations_file": "--destinations-file", "from_dataset": "--from",
}  # fmt: skip


# Arguments whose blank value would pass for another: no filter, the local machine for a cluster,
# every interface for the address to listen on, no scenario at all, an unsourced estimate in
# place of a place's citations. An empty --alias would clear them all (`_check_together`).
# An empty --country is refused with the other filters (`query.check_filters`).
NOT_BLANK = {
    "scheduler": ("--scheduler", "a Dask scheduler's address (tcp://host:8786), or leave it out"),
    "host": ("--host", "an address to listen on (127.0.0.1; 0.0.0.0 for every interface)"),
    "scenario": ("--scenario", "a scenario's name (see corridor scenario list) or its .toml file, or leave it out"),
    "search": ("--search", "part of an id, a name or an alias, or leave it out"),
    "cors": ("--cors", "the origin of the pages to let call the API (https://planner.example.com), or leave it out"),
    "source": ("--source", "where the figures come from (an id of sources.csv, or 'estimate: ...'), or leave it out"),
}
# Of the paths, the files a command writes, and the files it reads (a scenario by its file).
OUTPUT_PATHS = ("out", "map", "plot")
INPUT_PATHS = ("params", "scenario", "origins_file", "destinations_file", "to_file", "file")


def _same_file(one: str | os.PathLike[str], other: str | os.PathLike[str]) -> bool:
    """Return True when two paths lead to one file: alike once links are resolved, or one file
    under two names (a hard link)."""
    if os.path.realpath(one) == os.path.realpath(other):
        return True
    try:
        return os.path.samefile(one, other)
    except OSError:  # one does not exist yet: it cannot be the other
        return False


def _input_file(args: argparse.Namespace, name: str) -> str | None:
    """Return the file an input argument reads: a scenario given by name is its file in the dataset."""
    given = getattr(args, name, None)
    if name != "scenario" or not given:
        return given
    from .scenarios import scenario_path

    try:
        return str(scenario_path(given, args.data))
    except CorridorError:  # the command says what is wrong with it
        return None


def _check_distinct_files(args: argparse.Namespace) -> None:
    """Refuse an output that names another output or a file the command reads, before any work:
    the second write would replace the first, or the output the input (an origins list replaced by
    the matrix). Paths are compared where they lead, so a link to the same file is caught."""
    outputs = [(name, getattr(args, name)) for name in OUTPUT_PATHS if getattr(args, name, None)]
    if not outputs:
        return
    inputs = [(name, _input_file(args, name)) for name in INPUT_PATHS if getattr(args, name, None)]
    for index, (name, path) in enumerate(outputs):
        for other, given in [*outputs[:index], *inputs]:
            if given and _same_file(path, given):
                raise UsageError(f"{_flag(other)} and {_flag(name)} name the same file, {path}: give each its own")


def _flag(name: str) -> str:
    return PATH_ARGUMENTS.get(name) or f"--{name.replace('_', '-')}"


def _check_together(args: argparse.Namespace) -> None:
    """Refuse arguments that are each well formed but empty, or that contradict one another."""
    for name, flag in PATH_ARGUMENTS.items():
        if getattr(args, name, None) == "":
            raise UsageError(f"{flag} is empty: give a path")
    for name, (flag, what) in NOT_BLANK.items():
        if getattr(args, name, None) is not None and not str(getattr(args, name)).strip():
            raise UsageError(f"{flag} is empty: give {what}")
    if any(not alias.strip() for alias in getattr(args, "aliases", None) or ()):
        clear = "; --unset aliases clears them" if _command_key(args) == ("ports", "edit") else ""
        raise UsageError(f"--alias is empty: give another name of the place, or leave it out{clear}")
    _check_distinct_files(args)
    _check_prices(args)
    if getattr(args, "all", False) and getattr(args, "limit", None) is not None:
        raise UsageError("--all and --limit contradict each other: give one")
    filters = {name: getattr(args, name, None) or () for name in ("via", "avoid", "allow")}
    country = getattr(args, "country", None)
    if any(filters.values()) or country is not None:
        from .query import check_filters  # the rules the library and the API apply; imported only when needed

        check_filters(**filters, country=country)


def _command_key(args: argparse.Namespace) -> str | tuple[str, str]:
    """Return the key of COMMANDS that `args` were parsed for: `route`, or `("ports", "add")`."""
    action = getattr(args, f"{args.command}_command", None)
    return (args.command, action) if action else args.command


def _command_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """Return the parser of the command (and action) `args` were parsed for."""
    found = parser
    for name in (args.command, getattr(args, f"{args.command}_command", None)):
        subs = [a for a in found._actions if isinstance(a, argparse._SubParsersAction)]
        if name is None or not subs:
            break
        found = subs[0].choices[name]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 success, 1 a problem to act on, 2 bad usage)."""
    if _closed(sys.stderr, 2):
        _occupy(2)
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if _closed(sys.stdout, 1):
        _occupy(1)
        _say("corridor: standard output is closed: give the command somewhere to write (a file, a pipe or /dev/null)")
        return 1
    if argv is None:  # the real command line: a polite kill must not leave temporary files behind
        import signal

        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), _on_signal)
    given = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(given[0] if given and given[0] in COMMAND_PARSERS else None)
    args, extra = parser.parse_known_args(given)
    if extra:  # said by the command's own parser, which names the command and its --help
        _command_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    _configure_logging(args)
    action = getattr(args, f"{args.command}_command", None)
    key = _command_key(args)
    label = ACTIVITIES.get(key) or ACTIVITIES.get(args.command, args.command)
    try:
        _check_together(args)
        with _Activity(label):
            result = COMMANDS[key](args)
    except UsageError as exc:
        _say(f"corridor {args.command}{' ' + action if action else ''}: error: {exc.as_flag()}")
        return exc.exit_code
    except CorridorError as exc:
        problems = getattr(exc, "problems", [])
        if len(problems) > 1 and (args.verbose or key in LISTS_PROBLEMS):
            # The summary names the first; an import lists the bad rows of the user's file, -v any list.
            shown = problems if args.verbose else problems[:LISTED_PROBLEMS]
            _say(f"corridor: {exc}")
            for problem in shown:
                _say(f"  {problem}")
            if len(shown) < len(problems):
                _say(f"  ... and {len(problems) - len(shown)} more (all with -v)")
        elif len(problems) > 1:
            _say(f"corridor: {exc} (-v lists all {len(problems)})")
        else:
            _say(f"corridor: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        _say("corridor: interrupted")
        return 130
    except _Terminated as exc:
        _say("corridor: terminated")
        return 128 + exc.args[0]
    except BrokenPipeError:
        _silence_stdout()
        return 1
    if getattr(args, "_scenario_note", None):
        log.info("%s", args._scenario_note)
    output, code = result if isinstance(result, tuple) else (result, 0)
    if output:
        from ._text import printable

        return _write_stdout(printable(output) + "\n") or code
    return code


if __name__ == "__main__":
    sys.exit(main())
