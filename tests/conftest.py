"""Shared fixtures: the bundled network, a synthetic dataset builder and a CLI runner."""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from corridor.cli import main
from corridor.datasets import LINK_COLUMNS, PLACE_COLUMNS, bundled_data_dir
from corridor.network import load_network

BUNDLED = bundled_data_dir()
SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load_script(name: str):
    """Import one of scripts/*.py as a module, so a test can call what the script runs."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Keep every test's graph cache out of the user's cache directory."""
    monkeypatch.setenv("CORRIDOR_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("CORRIDOR_DATA", raising=False)


@pytest.fixture(scope="session")
def network(tmp_path_factory):
    """The network built from the bundled dataset (built once per test session)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CORRIDOR_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    try:
        yield load_network()
    finally:
        mp.undo()


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def run(capsys):
    """Run the CLI in-process; return its exit code, stdout and stderr."""

    def runner(*argv: str) -> CliResult:
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse exits on usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return runner


def write_csv(path: Path, columns, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def snapshot(root: Path) -> dict[str, str]:
    """Hash every file under a dataset (stray temporary files included; the lock file aside)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != ".corridor.lock"
    }


def place(pid, name, lon, lat, modes, kind="seaport", country="CN", **extra):
    return {
        "id": pid, "name": name, "country": country, "lat": lat, "lon": lon, "kind": kind,
        "modes": ";".join(modes), "coord_source": "estimate: synthetic", **extra,
    }  # fmt: skip


def make_dataset(root: Path, *, places, links=(), lanes=(), land=()) -> Path:
    """Write a small dataset: places, links, lane LineStrings and land polygons (lon, lat lists)."""
    root.mkdir(parents=True, exist_ok=True)
    write_csv(root / "ports" / "places.csv", PLACE_COLUMNS, places)
    write_csv(root / "links" / "links.csv", LINK_COLUMNS, links)
    for name in ("parameters.csv", "sources.csv", "countries.csv"):
        shutil.copy(BUNDLED / name, root / name)
    (root / "sea").mkdir(exist_ok=True)
    features = [
        {"type": "Feature", "properties": dict(props), "geometry": {"type": "LineString", "coordinates": coords}}
        for coords, props in lanes
    ]
    (root / "sea" / "marnet.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    (root / "land").mkdir(exist_ok=True)
    polygons = [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}} for ring in land
    ]
    with gzip.open(root / "land" / "ne_10m_land.geojson.gz", "wt", encoding="utf-8") as handle:
        json.dump({"type": "FeatureCollection", "features": polygons}, handle)
    return root


@pytest.fixture
def tiny(tmp_path):
    """A synthetic coast: ports A and B joined by rail and by a sea lane (through a 'strait'
    passage), an inland terminal C by rail from A, and an island port I on a lane of its own."""
    land = [
        [[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [0.0, 2.0], [0.0, 0.0]],  # the mainland, coast at lat 0
        [[10.0, -3.2], [10.4, -3.2], [10.4, -2.8], [10.0, -2.8], [10.0, -3.2]],  # the island
    ]
    lanes = [
        ([[0.5, -0.1], [2.0, -0.2], [3.5, -0.1]], {"passage": "malacca"}),
        ([[0.5, -0.1], [2.0, -1.0], [3.5, -0.1]], {}),  # a longer way round
        ([[9.5, -3.0], [9.0, -4.0]], {}),  # the island's lane, not joined to the rest
    ]
    places = [
        place("CNAAA", "Alpha Port", 0.5, 0.0, ["sea", "rail", "road"], aliases="Alpha"),
        place("CNBBB", "Bravo Port", 3.5, 0.0, ["sea", "rail", "road"]),
        place("CNCCC", "Charlie Terminal", 1.0, 1.5, ["rail", "road"], kind="rail_terminal", area="Charlie City"),
        place("CNCCD", "Charlie River Port", 1.2, 1.5, ["road"], kind="river_port", area="Charlie City"),
        place("IDIII", "Island Port", 10.0, -3.0, ["sea"], country="ID"),
        place("CNPPP", "Planned Port", 2.0, 0.0, ["sea"], status="planned"),
    ]
    links = [
        {"id": "rail-a-b", "from": "CNAAA", "to": "CNBBB", "mode": "rail", "distance_km": 400,
         "distance_source": "estimate", "time_h": 20, "time_source": "estimate"},
        {"id": "rail-c-a", "from": "CNCCC", "to": "CNAAA", "mode": "rail", "distance_km": 200,
         "distance_source": "estimate"},
        {"id": "road-c-d", "from": "CNCCC", "to": "CNCCD", "mode": "road", "distance_km": 25,
         "distance_source": "estimate"},
    ]  # fmt: skip
    return make_dataset(tmp_path / "tiny", places=places, links=links, lanes=lanes, land=land)


HOSTILE = "<script>alert(1)</script>{{ 7*7 }}"
# The same name had a template engine evaluated it (a figure such as $494 may contain "49" itself).
EVALUATED = HOSTILE.replace("{{ 7*7 }}", "49")


@pytest.fixture
def hostile(tmp_path):
    """The tiny coast again, its names, aliases, notes and link names made of HTML, script and
    template syntax: a map must show every one as plain text."""
    land = [[[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [0.0, 2.0], [0.0, 0.0]]]
    lanes = [([[0.5, -0.1], [2.0, -0.2], [3.5, -0.1]], {"passage": "malacca"})]
    places = [
        place("CNAAA", HOSTILE, 0.5, 0.0, ["sea", "rail", "road"], aliases="<img src=x onerror=alert(2)>",
              notes="`${alert(3)}` {% if true %}{# open", source="estimate: </script><b>bold</b>"),
        place("CNBBB", "Bravo & Co's \"Port\" ${alert(5)} `tick`", 3.5, 0.0, ["sea", "rail", "road"]),
        place("CNCCC", "Charlie {{ config }}", 1.0, 1.5, ["rail", "road"], kind="rail_terminal"),
    ]  # fmt: skip
    links = [
        {"id": "rail-a-b", "from": "CNAAA", "to": "CNBBB", "mode": "rail", "distance_km": 400,
         "distance_source": "estimate", "name": "</script><script>alert(4)</script>"},
        {"id": "rail-c-a", "from": "CNCCC", "to": "CNAAA", "mode": "rail", "distance_km": 200,
         "distance_source": "estimate", "name": "{% for x in range(3) %}loop{% endfor %}"},
    ]  # fmt: skip
    return make_dataset(tmp_path / "hostile", places=places, links=links, lanes=lanes, land=land)


def pytest_terminal_summary(terminalreporter):
    """Print the sea-distance figures of both halves of the published table (and searoute's)."""
    from .test_sea_distances import FIGURES

    if not FIGURES:
        return
    terminalreporter.section("sea distances against published port-to-port distances")
    for half, by in FIGURES.items():
        for name, f in by.items():
            terminalreporter.write_line(
                f"{half:21s} {name:9s} {f['pairs']:4d} pairs: median |error| {f['median']:.2%}, "
                f"within 5% {f['within_5pct']:.1%}, no route {f['no_route']}"
            )
