"""Sea distances along the lanes agree with published port-to-port distances."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from corridor.datasets import bundled_data_dir
from corridor.geo import KM_PER_NM

TABLE = Path(__file__).parent / "data" / "published_sea_distances.csv"
ROWS = list(csv.DictReader(TABLE.open(encoding="utf-8")))
TOLERANCE = 0.05


def test_the_table_is_large_enough_and_sourced():
    tested = [r for r in ROWS if r["status"] == "test"]
    assert len(tested) >= 15
    for row in ROWS:
        assert row["source_title"] and row["source_url"].startswith("http"), row
        assert row["status"] == "test" or row["status"].startswith("excluded: "), row


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r["status"] == "test"], ids=lambda r: f"{r['from_locode']}-{r['to_locode']}"
)
def test_lane_distance_within_five_percent(network, row):
    avoid = [a for a in row["avoid"].split(";") if a]
    start, end = (network.resolve(row[k]).place_ids[0] for k in ("from_locode", "to_locode"))
    found = network.sea_path(start, end, avoid=avoid)
    assert found is not None
    computed_nm = found[0] / KM_PER_NM
    published = float(row["distance_nm"])
    assert abs(computed_nm - published) <= TOLERANCE * published, (
        f"{computed_nm:.0f} nm against {published:.0f} nm published ({row['source_title']})"
    )


def test_every_lane_correction_is_explained():
    root = bundled_data_dir() / "sea"
    features = json.loads((root / "corrections.geojson").read_text())["features"]
    listed = (root / "CORRECTIONS.md").read_text()
    assert features
    for feature in features:
        props = feature["properties"]
        assert props["action"] in ("add", "remove")
        assert len(props["reason"]) > 30
        assert props["source"]
        assert f"`{props['id']}`" in listed, f"{props['id']} is missing from CORRECTIONS.md"
