"""The on-disk cache: plain data that never runs, private folders and files, keys by real path."""

from __future__ import annotations

import json
import os
import pickle
import random
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from corridor import cache
from corridor.network import load_network
from corridor.routing import find_routes


class Payload:
    """A pickle that creates a file when it is unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def cache_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith("network-"))


def test_a_pickle_planted_in_every_cache_file_never_runs(tiny, tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("CORRIDOR_CACHE", str(directory))
    load_network(tiny)
    marker = tmp_path / "pwned"
    files = cache_files(directory)
    assert files
    for path in files:
        path.write_bytes(pickle.dumps(Payload(marker)))
        path.chmod(0o600)
    # In a fresh process, as a user would meet it.
    done = subprocess.run(
        [sys.executable, "-m", "corridor", "route", "Alpha", "Bravo Port", "--data", str(tiny), "--format", "json"],
        capture_output=True, text=True, env={**os.environ, "CORRIDOR_CACHE": str(directory)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"destination"' in done.stdout
    assert not marker.exists()
    # The planted file was replaced by a real cache entry.
    assert all(path.read_bytes().startswith(cache.MAGIC) for path in cache_files(directory))


def test_a_world_writable_cache_folder_is_not_trusted(tiny, tmp_path, monkeypatch, caplog):
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(0o777)
    monkeypatch.setenv("CORRIDOR_CACHE", str(directory))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    marker = tmp_path / "pwned"
    planted = cache._entry(directory, tiny, None)
    planted.write_bytes(pickle.dumps(Payload(marker)))
    cache._warned.clear()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    network = load_network(tiny)
    assert find_routes(network, "Alpha", "Bravo Port")[0].destination == "CNBBB"
    assert not marker.exists()
    assert "others can write to it" in caplog.text
    assert [p for p in directory.iterdir()] == [planted]  # nothing written to the shared folder
    (fallback,) = (tmp_path / "tmp").iterdir()
    assert stat.S_IMODE(fallback.stat().st_mode) == 0o700


def test_the_cache_is_private_even_under_umask_000(tiny, tmp_path, monkeypatch):
    directory = tmp_path / "cache" / "corridor"
    monkeypatch.setenv("CORRIDOR_CACHE", str(directory))
    old = os.umask(0)
    try:
        load_network(tiny)
    finally:
        os.umask(old)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_a_cache_file_of_another_user_is_not_read(tiny, tmp_path, monkeypatch, caplog):
    directory = tmp_path / "cache"
    monkeypatch.setenv("CORRIDOR_CACHE", str(directory))
    load_network(tiny)
    (path,) = cache_files(directory)
    os.chown(path, 65534, 65534)
    cache._warned.clear()
    network = load_network(tiny)
    assert network.routable("CNAAA")
    assert "belongs to another user" in caplog.text


def test_a_symlinked_cache_file_is_not_followed(tiny, tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("CORRIDOR_CACHE", str(directory))
    load_network(tiny)
    (path,) = cache_files(directory)
    elsewhere = tmp_path / "elsewhere.bin"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert cache._read_private(path) is None
    assert load_network(tiny).routable("CNAAA")


def test_two_spellings_and_a_symlink_share_one_entry_and_see_changes(tiny, tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("CORRIDOR_CACHE", str(directory))
    link = tmp_path / "link"
    link.symlink_to(tiny)
    first = load_network(tiny)
    again = load_network(str(tiny) + "/../" + tiny.name)
    through_link = load_network(link)
    assert len(cache_files(directory)) == 1
    assert first.fingerprint == again.fingerprint == through_link.fingerprint
    places = link / "ports" / "places.csv"
    places.write_text(places.read_text().replace("Bravo Port", "Bravo Harbour"))
    assert load_network(link).places["CNBBB"].name == "Bravo Harbour"
    assert load_network(tiny).places["CNBBB"].name == "Bravo Harbour"


def test_temporary_files_of_killed_writers_are_swept(tiny, tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    monkeypatch.setenv("CORRIDOR_CACHE", str(directory))
    # A writer killed mid-write leaves its temporary file; its process is gone.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    entry = cache._entry(directory, tiny, None)
    leftover = directory / f".{entry.name}.{dead.stdout.strip()}.abc.tmp"
    leftover.write_bytes(b"half a network")
    alive = directory / f".{entry.name}.{os.getpid()}.def.tmp"
    alive.write_bytes(b"being written")
    load_network(tiny)
    assert not leftover.exists()
    assert alive.exists()  # a live writer's file stays


def test_a_kill_during_a_write_leaves_no_temporary_file_behind_the_next_run(tiny, tmp_path):
    directory = tmp_path / "cache"
    env = {**os.environ, "CORRIDOR_CACHE": str(directory)}
    # The writer dies after writing half its temporary file, before the rename.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    script = (
        "import os, signal, corridor._fs as f\n"
        "f.test_hook = lambda stage: stage == 'partial' and os.kill(os.getpid(), signal.SIGKILL)\n"
        f"from corridor.network import load_network; load_network({str(tiny)!r})\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert killed.returncode == -9, killed.stderr
    assert [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]
    subprocess.run([sys.executable, "-c", f"from corridor.network import load_network; load_network({str(tiny)!r})"],
                   env=env, check=True)  # fmt: skip
    assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")]
    assert cache_files(directory)


def test_a_cache_file_is_plain_data_with_a_checked_layout(network):
    data = cache.dumps(network)
    assert data.startswith(cache.MAGIC)
    again = cache.loads(data, network.root)
    assert list(again.core.head) == list(network.core.head)
    assert again.places.keys() == network.places.keys()
    for cut in (10, len(data) // 2, len(data) - 8):
        with pytest.raises(cache.CacheError):
            cache.loads(data[:cut], network.root)
    with pytest.raises(cache.CacheError):
        cache.loads(data.replace(b'"format":%d' % cache.FORMAT, b'"format":99', 1), network.root)


def read_every_section(loaded) -> None:
    """Read what a cached network keeps for first use: the feeder links, the passages of the
    lanes, the access paths, the waits, the gazetteer's other names and the places' rows."""
    len(loaded.sea_links), len(loaded.passages_of), len(loaded.access), len(loaded.waits)
    loaded.gazetteer_index["names"]()
    loaded.places[next(iter(loaded.places))]


def test_a_cache_file_changed_anywhere_is_refused_by_its_checksum(network):
    # The contract check runs when a network is built, not on each load: the checksums must
    # catch any change to what was checked, in the header or an array when the file is loaded,
    # in a section when it is first read.
    data = cache.dumps(network)
    whole = cache.loads(data, network.root)
    assert whole.core.n_edges == network.core.n_edges
    read_every_section(whole)
    rng = random.Random(3)
    head = data.index(b'"head"')
    for where in [head, len(data) // 3, len(data) // 2, len(data) - 40, *rng.sample(range(30, len(data)), 20)]:
        changed = bytearray(data)
        changed[where] ^= 0x01
        with pytest.raises(cache.CacheError, match="checksum"):
            read_every_section(cache.loads(bytes(changed), network.root))


def test_a_mapped_cache_file_keeps_its_sections_for_first_use(network, tmp_path):
    # The file is mapped, so a section nobody asks for (a route asks for no access paths) is
    # never read from it; one asked for is decoded then, from the same mapping.
    path = tmp_path / "network.bin"
    path.write_bytes(cache.dumps(network))
    path.chmod(0o600)
    mapped = cache._read_private(path)
    loaded = cache.loads(mapped, network.root)
    assert loaded.access._load is not None
    assert loaded.access["CNQZH"].nodes == network.access["CNQZH"].nodes
    assert loaded.access._load is None


def test_a_text_route_reads_no_feeder_links_from_the_cache(network):
    # The feeder links are a deferred section (7,000 links): naming the service a leg sails on
    # must not decode it, or every route pays for it in time and memory.
    from corridor.io import route_text

    loaded = cache.loads(cache.dumps(network), network.root)
    (route,) = find_routes(loaded, "Shekou", "Manila", by="time", modes=["sea"])
    assert "on PIL South China Philippines (SCP)" in route_text(loaded, route, title="", width=300)
    assert loaded.sea_links._load is not None, "the route decoded the feeder links section"


def test_a_cached_network_makes_only_the_places_a_route_reads(network):
    # The places are the largest table of the file, one line of JSON each: a route decodes the
    # few it shows, and every place decodes to the one that was written.
    loaded = cache.loads(cache.dumps(network), network.root)
    find_routes(loaded, "Chongqing", "Umm Qasr", by="time")
    assert 0 < len(loaded.places._made) < 50
    assert list(loaded.places) == list(network.places)
    assert all(loaded.places[pid] == place for pid, place in network.places.items())
    assert pickle.loads(pickle.dumps(loaded.places)) == dict(network.places)


def test_a_stale_packaged_network_is_passed_over_unread(tiny, tmp_path, monkeypatch):
    # An editable install keeps its packaged network beside the code; once code or data change,
    # the identity file beside it says so, and the network file is not read at all.
    packaged = tmp_path / "_prebuilt" / "bundled.network"
    monkeypatch.setattr(cache, "bundled_data_dir", lambda: tiny)
    monkeypatch.setattr(cache, "PREBUILT", packaged)
    monkeypatch.setattr(cache, "PREBUILT_IDENTITY", packaged.with_name("bundled.identity.json"))
    cache.compile_bundled(tiny, packaged)
    assert cache._prebuilt(tiny) is not None
    reads = []
    real_loads = cache.loads
    monkeypatch.setattr(cache, "loads", lambda data, *a, **k: reads.append(len(data)) or real_loads(data, *a, **k))
    (tiny / "parameters.csv").write_text((tiny / "parameters.csv").read_text() + "\n", encoding="utf-8")
    assert cache._prebuilt(tiny) is None
    assert reads == []


def edit_in_place(path: Path, old: str, new: str) -> None:
    """Make `old` `new` in a file, its length, inode and times kept: as a copy that keeps times
    (`cp -p`, `rsync -t`) or an edit within one tick of the clock leaves it."""
    st = path.stat()
    text = path.read_text(encoding="utf-8")
    assert len(new) == len(old) and text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_ino) == (st.st_size, st.st_ino)


def test_a_figure_edited_to_the_same_length_is_seen_through_the_cache(tiny, tmp_path, monkeypatch):
    # The cache is keyed by the data's contents: "400" made "401", the file's size and times as
    # they were, is a new network, not the cached one.
    monkeypatch.setenv("CORRIDOR_CACHE", str(tmp_path / "cache"))
    assert load_network(tiny).links["rail-a-b"].distance_km == 400
    edit_in_place(tiny / "links" / "links.csv", "rail,400,", "rail,401,")
    assert load_network(tiny).links["rail-a-b"].distance_km == 401
    edit_in_place(tiny / "parameters.csv", "speed_kmh,rail,32,", "speed_kmh,rail,33,")
    assert load_network(tiny).parameters.table[("speed_kmh", "rail")].value == 33
    assert len(cache_files(tmp_path / "cache")) == 1


def test_a_network_built_while_a_writer_changes_the_data_is_not_cached_as_the_old_data(tiny, tmp_path, monkeypatch):
    # The key was taken before the build read the tables: a link edited while a route was
    # building was cached under the old data's key, and once the edit was undone (the same
    # bytes as before) every later route took the edited network from the cache.
    from corridor import network as network_module

    monkeypatch.setenv("CORRIDOR_CACHE", str(tmp_path / "cache"))
    links = tiny / "links" / "links.csv"
    before = links.read_bytes()
    real_build = network_module.build_from

    def build_during_an_edit(root, params_file=None):
        edit_in_place(links, "rail,400,", "rail,401,")  # another process writes meanwhile
        return real_build(root, params_file)

    monkeypatch.setattr(network_module, "build_from", build_during_an_edit)
    assert load_network(tiny).links["rail-a-b"].distance_km == 401  # what the build read
    monkeypatch.setattr(network_module, "build_from", real_build)
    links.write_bytes(before)  # the edit undone
    assert load_network(tiny).links["rail-a-b"].distance_km == 400


def test_remembered_digests_are_read_again_when_a_file_changes(tiny, tmp_path, monkeypatch):
    # cache.file_digests keeps each file's digest with its size, inode, times and ctime, and
    # reads a file again when any of them changed; here every file counts as settled at once.
    import time

    monkeypatch.setenv("CORRIDOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "SETTLED_NS", -(10**18))
    reads = []
    real_digest = cache.file_digest
    monkeypatch.setattr(cache, "file_digest", lambda path: reads.append(Path(path).name) or real_digest(path))
    first = cache.data_digests(tiny)
    assert "links.csv" in reads and (tmp_path / "cache" / cache.DIGESTS_FILE).is_file()
    reads.clear()
    assert cache.data_digests(tiny) == first and reads == []  # remembered: nothing read
    time.sleep(0.05)  # past a coarse clock's tick: the edit's ctime differs from the one kept
    edit_in_place(tiny / "links" / "links.csv", "rail,400,", "rail,401,")
    again = cache.data_digests(tiny)
    assert reads == ["links.csv"] and again["links/links.csv"] != first["links/links.csv"]
    assert load_network(tiny).links["rail-a-b"].distance_km == 401
    # Without `remember`, as the wheel build asks, every file is read and nothing is kept.
    reads.clear()
    assert cache.data_digests(tiny, remember=False) == again and "links.csv" in reads


def test_a_file_changed_just_before_it_is_read_is_not_remembered(tiny, tmp_path, monkeypatch):
    # An edit in the same tick of the clock as the reading would keep the file's times: a digest
    # is kept only for a file whose status changed SETTLED_NS before it was read.
    import time

    monkeypatch.setenv("CORRIDOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "SETTLED_NS", 300_000_000)
    time.sleep(0.4)  # the dataset's files settle
    (tiny / "parameters.csv").write_text((tiny / "parameters.csv").read_text() + "\n", encoding="utf-8")
    cache.data_digests(tiny)
    kept = json.loads((tmp_path / "cache" / cache.DIGESTS_FILE).read_bytes())
    assert [path for path in kept if path.endswith("links.csv")]
    assert not [path for path in kept if path.endswith("parameters.csv")]


def test_a_figure_edited_to_the_same_length_passes_the_packaged_network_over(tiny, tmp_path, monkeypatch):
    # The packaged network is tied to its data by their contents, not their sizes: beside an
    # editable install, a link's figure edited without changing the file's length is a change.
    packaged = tmp_path / "_prebuilt" / "bundled.network"
    monkeypatch.setenv("CORRIDOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "bundled_data_dir", lambda: tiny)
    monkeypatch.setattr(cache, "PREBUILT", packaged)
    monkeypatch.setattr(cache, "PREBUILT_IDENTITY", packaged.with_name("bundled.identity.json"))
    cache.compile_bundled(tiny, packaged)
    before = load_network(tiny)
    assert before.fingerprint.startswith("packaged:") and before.links["rail-a-b"].distance_km == 400
    edit_in_place(tiny / "links" / "links.csv", "rail,400,", "rail,401,")
    assert cache._prebuilt(tiny) is None
    assert load_network(tiny).links["rail-a-b"].distance_km == 401


def test_a_packaged_network_of_the_sizes_era_is_passed_over(tiny, tmp_path, monkeypatch):
    # A packaged network built before data were identified by their digests (its identity and
    # header give the files' sizes) is built again, whether its identity file is there or not.
    packaged = tmp_path / "_prebuilt" / "bundled.network"
    identity = packaged.with_name("bundled.identity.json")
    monkeypatch.setenv("CORRIDOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "bundled_data_dir", lambda: tiny)
    monkeypatch.setattr(cache, "PREBUILT", packaged)
    monkeypatch.setattr(cache, "PREBUILT_IDENTITY", identity)
    cache.compile_bundled(tiny, packaged)
    sizes = {name: (tiny / name).stat().st_size for name in cache.data_digests(tiny)}
    identity.write_text(json.dumps({"data_sizes": sizes, "fingerprint": f"packaged:{cache.code_digest()}"}))
    assert cache._prebuilt(tiny) is None
    old = cache.loads(packaged.read_bytes(), tiny)
    old.data_digests = None
    packaged.write_bytes(cache.dumps(old))
    identity.unlink()
    assert cache._prebuilt(tiny) is None
    assert load_network(tiny).links["rail-a-b"].distance_km == 400


def test_a_section_found_damaged_when_first_read_is_built_again(tiny, tmp_path, monkeypatch, caplog):
    # A section is checked when first read, after the route has begun: a damaged one is taken
    # from the network built again, the route goes on, and the file is written anew.
    monkeypatch.setenv("CORRIDOR_CACHE", str(tmp_path / "cache"))
    cache._warned.clear()
    built = load_network(tiny)
    (path,) = cache_files(tmp_path / "cache")
    data = bytearray(path.read_bytes())
    _magic, _version, length, body = cache._HEADER.unpack_from(data)
    end = cache._HEADER.size + length
    header = json.loads(bytes(data[cache._HEADER.size : end]))
    offset, size, _ = header["sections"]["access"]
    data[end + (-end % 8) + body + cache._CHECKSUM + offset + size // 2] ^= 0x01
    path.write_bytes(bytes(data))
    loaded = load_network(tiny)
    assert loaded.access["CNAAA"].nodes == built.access["CNAAA"].nodes
    assert "the cached network is damaged" in caplog.text
    read_every_section(cache.loads(cache._read_private(path), tiny))  # written anew: every checksum holds
