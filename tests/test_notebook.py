"""The example notebook runs, top to bottom, in a kernel of this test environment's own Python."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "southeast-asian-ports.ipynb"


@pytest.fixture
def own_kernel(tmp_path, monkeypatch):
    """A kernel spec running this interpreter, found before any other (the notebook must test this install)."""
    spec = tmp_path / "jupyter" / "kernels" / "corridor-tests"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec_json = {"argv": argv, "display_name": "corridor tests", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(spec_json))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "corridor-tests"


@pytest.mark.slow
def test_the_example_notebook_ranks_20_ports_in_three_lines(own_kernel, tmp_path):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    ranking = notebook.cells[1]
    assert ranking.cell_type == "code" and len(ranking.source.strip().splitlines()) == 3
    client = nbclient.NotebookClient(
        notebook, kernel_name=own_kernel, timeout=600, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    (output,) = [o for o in notebook.cells[1].outputs if o.output_type == "execute_result"]
    table = output["data"]["text/plain"]
    rows = table.strip().splitlines()[1:]
    assert len(rows) == 20
    assert "cost_usd" in table and "days" in table
    costs = [float(row.split()[-2]) for row in rows]
    assert costs == sorted(costs)  # ranked by cost
    countries = {row.split()[-3] for row in rows}
    assert countries <= {"VN", "TH", "MY", "SG", "ID", "PH", "KH", "MM", "BN"}
    route = next(o for o in notebook.cells[3].outputs if o.output_type == "execute_result")
    assert "<table" in route["data"]["text/html"] and "Haiphong" in route["data"]["text/html"]
    legs = next(o for o in notebook.cells[4].outputs if o.output_type == "execute_result")
    assert "LINESTRING" in legs["data"]["text/plain"]
