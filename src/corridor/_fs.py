"""Filesystem safety in one place: regular-file checks, bounded reads, atomic writes, the lock, leftovers.

Every file corridor reads from a dataset goes through `read_regular` (or `check_regular_file`
first), every file it writes through `write_atomic`, and every dataset write holds `DatasetLock`.
Temporary files carry the writing process's id in their name, so a later run can tell a
leftover of a killed process from the work of a live one (`sweep_temps`).
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import DataError, WriteError

log = logging.getLogger(__name__)

LOCK_FILE = ".corridor.lock"
# A waiting writer gives up when the lock holder has shown no progress for this long.
LOCK_STALL_S = 60.0
# Larger than any table or line file of a dataset; a bigger file (or /dev/zero behind a
# link) is refused rather than read into memory.
MAX_READ_BYTES = 256 * 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.tmp$")


def file_kind(mode: int) -> str:
    """Return what a file of this st_mode is, in words: 'a regular file', 'a directory', ..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def _refusal(path: Path, mode: int, what: str) -> str:
    return f"{path} is {file_kind(mode)}, not {what}"


def check_regular_file(path: str | os.PathLike[str], what: str = "a file") -> os.stat_result:
    """Return the status of `path` if it is a regular file (or a link to one); raise DataError if not.

    Call it before opening anything a user or a dataset names: a directory, a FIFO (which would
    block the reader), a device (/dev/zero is endless) or a socket is refused by what it is,
    never reported as missing. `what` says what the file should be, for the message:
    "D/links/links.csv is a directory, not a CSV table".
    """
    path = Path(path)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise DataError(f"{path} is a symbolic link to {os.readlink(path)}, which does not exist") from None
        raise DataError(f"{path} does not exist") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise DataError(_refusal(path, status.st_mode, what))
    return status


def read_regular(path: str | os.PathLike[str], what: str = "a file", *, limit: int = MAX_READ_BYTES) -> bytes:
    """Read a regular file whole, at most `limit` bytes; raise DataError for anything else.

    The file is opened without blocking and checked on the open descriptor, so a FIFO or a
    device swapped in after a check is still refused, and never waited on.
    """
    path = Path(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        check_regular_file(path, what)  # names a dangling link
        raise DataError(f"{path} does not exist") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):  # checked before anything reads or wraps the descriptor
        os.close(fd)
        raise DataError(_refusal(path, status.st_mode, what))
    with os.fdopen(fd, "rb") as handle:
        if status.st_size > limit:
            raise DataError(f"{path} is {status.st_size // (1024 * 1024)} MB, more than {what} can be")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:  # it grew while read
        raise DataError(f"{path} is more than {limit // (1024 * 1024)} MB, more than {what} can be")
    return data


def read_gzip_regular(path: str | os.PathLike[str], what: str = "a gzip file", *, limit: int = MAX_READ_BYTES) -> bytes:
    """Read and decompress a gzipped regular file, refusing more than `limit` bytes unpacked."""
    import gzip  # not on the route path: imported where used

    packed = read_regular(path, what)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(packed)) as handle:
            data = handle.read(limit + 1)
    except (OSError, EOFError) as exc:
        raise DataError(f"{path} is not {what} ({exc})") from None
    if len(data) > limit:
        raise DataError(f"{path} unpacks to more than {limit // (1024 * 1024)} MB, more than {what} can be")
    return data


# --------------------------------------------------------------------------- writing


def test_hook(stage: str) -> None:
    """Mark reaching a stage of a write, and pause there if asked: for crash and concurrency tests.

    With CORRIDOR_TEST_HOOK_DIR set, reaching a stage creates a file of that name in the
    directory; a stage listed in CORRIDOR_TEST_PAUSE (comma-separated) then waits until a file
    `STAGE.release` appears there (or two minutes pass). Unset, this does nothing.
    """
    directory = os.environ.get("CORRIDOR_TEST_HOOK_DIR")
    if not directory:
        return
    marker = Path(directory) / stage
    marker.touch()
    if stage in os.environ.get("CORRIDOR_TEST_PAUSE", "").split(","):
        release = marker.with_name(f"{stage}.release")
        deadline = time.monotonic() + 120
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.01)


test_hook.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, whatever its name


def temp_prefix(path: Path) -> str:
    """Return the name prefix of this process's temporary files beside `path`.

    A dot file (dataset readers and cache keys skip it) naming the process, so that
    `sweep_temps` can tell a leftover of a killed writer from the work of a live one.
    """
    return f".{path.name}.{os.getpid()}."


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` by `data` so that a crash at any moment leaves the old file or the new one.

    Writes a temporary file in the same directory, flushes and fsyncs it, renames it over
    `path` (atomic on POSIX), then fsyncs the directory so the rename itself is durable. The
    file keeps its mode; a new file gets `mode`, else the usual one (0666 less the umask).
    An existing `path` that is not a regular file (a directory, FIFO or device) is refused:
    a rename would replace the node itself; so is a read-only file (no write permission bit,
    or none for this user), which a rename in a writable directory would replace regardless
    of its mode. A `path` that is a symbolic link is written where it
    points, and the link stays: a table linked from a shared folder is edited there, not cut
    loose from it by a file of the same name put in the link's place.
    """
    path = Path(path)
    if os.path.islink(path):
        path = Path(os.path.realpath(path))
    try:
        status = os.stat(path)
    except FileNotFoundError:
        status = None
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror}") from None
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise WriteError(f"{path} is {file_kind(status.st_mode)}, not a file: nothing was written")
    if status is not None and (not status.st_mode & 0o222 or not os.access(path, os.W_OK)):
        raise WriteError(f"{path} is read-only: nothing was written (make it writable to change it)")
    if mode is None:
        mode = stat.S_IMODE(status.st_mode) if status is not None else _default_mode()
    import tempfile  # not on the route path: imported where used

    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            half = len(data) // 2
            handle.write(data[:half])
            handle.flush()
            test_hook("partial")
            handle.write(data[half:])
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        test_hook("written")
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        kept = "it is unchanged" if status is not None else "nothing was written"  # a new file is not made
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}; {kept}") from None
    finally:
        if tmp is not None:  # also on SIGTERM, which the CLI turns into an exception
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    test_hook("replaced")
    fsync_dir(path.parent)


def fsync_file(path: Path) -> None:
    """Flush a file's content to disk."""
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries to disk, so a rename in it survives a power cut."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a directory; the rename is done regardless
        pass
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def sweep_temps(directory: Path, name: str = "*") -> int:
    """Remove temporary files that killed processes left in `directory`; return how many.

    Only files named as `temp_prefix` names them (`.NAME.PID.RANDOM.tmp`, for `name` or any)
    whose process no longer runs are removed: a live writer's file is never touched.
    """
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if not match or (name != "*" and match["name"] != name) or _alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                import shutil

                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
    if removed:
        log.debug("removed %d leftover temporary file(s) in %s", removed, directory)
    return removed


# --------------------------------------------------------------------------- outputs


_DESCRIPTOR_ALIAS = re.compile(r"/dev/(?:stdout|stderr|fd/\d+)|/proc/(?:self|thread-self|\d+)/fd/\d+")


def output_stream(path: str | os.PathLike[str]) -> int | str | None:
    """Return what to write for an --out that names a stream, else None (a file, replaced whole).

    /dev/stdout, /dev/stderr and /dev/fd/N (or /proc/self/fd/N) name a descriptor this process
    already holds: its number is returned and the text goes to it as the shell opened it, so
    `--out /dev/stdout >> log` appends to the log rather than replacing it by rename. A FIFO or
    a character device (/dev/null, a named pipe) is returned as its path, to be opened and
    written in order. Anything else (a file, a new name, a directory) is left to
    `check_output_path`.
    """
    given = os.fspath(Path(path).expanduser())
    alias = _DESCRIPTOR_ALIAS.fullmatch(given)
    if alias and given.startswith("/proc/") and given.split("/")[2] not in ("self", "thread-self", str(os.getpid())):
        alias = None  # another process's descriptor: not ours to write
    if alias:
        return {"/dev/stdout": 1, "/dev/stderr": 2}.get(given) or int(given.rsplit("/", 1)[1])
    try:
        mode = os.stat(given).st_mode
    except OSError:
        return None
    return given if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) else None


def write_stream(stream: int | str, data: bytes) -> None:
    """Write `data` to a descriptor number or a FIFO/device path from `output_stream`."""
    try:
        if isinstance(stream, int):
            with os.fdopen(os.dup(stream), "wb") as handle:
                handle.write(data)
        else:
            with open(stream, "wb") as handle:  # a FIFO or a device: written in place, no rename
                handle.write(data)
    except OSError as exc:
        name = stream if isinstance(stream, str) else f"descriptor {stream}"
        raise WriteError(f"cannot write {name}: {exc.strerror or exc}") from None


def check_output_path(
    path: str | os.PathLike[str], dataset_root: str | os.PathLike[str] | None = None, *, what: str = "the output"
) -> Path:
    """Return where to write an output the user named (a map): a regular file or a new name.

    Refused, with a one-line WriteError saying what to give instead: a directory, FIFO,
    device or socket; a read-only file; anything inside the dataset `dataset_root` (its
    tables, or a new file that would become part of it), inside the bundled dataset or inside
    the package (whatever dataset the command reads). A symbolic link is followed and its
    target judged. Write the returned path with `write_atomic`.
    """
    from .datasets import bundled_data_dir

    given = Path(path).expanduser()
    if _DESCRIPTOR_ALIAS.fullmatch(os.fspath(given)):
        raise WriteError(f"{given} is a stream, not a file: give a file name for {what}")
    target = Path(os.path.realpath(given))
    protected = [
        (dataset_root, f"the dataset {dataset_root}"),
        (bundled_data_dir(), "the bundled dataset"),
        (Path(__file__).parent, "the corridor package"),
    ]
    for folder, name in protected:
        if folder is None:
            continue
        root = Path(os.path.realpath(Path(folder).expanduser()))
        if target == root or root in target.parents:
            raise WriteError(f"{given} is inside {name}: write {what} elsewhere")
    try:
        status = os.stat(target)
    except FileNotFoundError:
        parent = target.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise WriteError(f"{given}: {parent} is {file_kind(os.stat(parent).st_mode)}, not a directory") from None
        return target
    except OSError as exc:
        raise WriteError(f"cannot write {given}: {exc.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise WriteError(f"{given} is {file_kind(status.st_mode)}, not a file: give a file name for {what}")
    if not status.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteError(f"{given} is read-only: give another file name for {what}")
    return target


# --------------------------------------------------------------------------- the lock


class DatasetLock:
    """The write lock of one dataset: `.corridor.lock` in its directory, never followed as a link.

    One writer at a time reads, validates and writes. The holder records its progress in the
    lock file (`progress(stage)`); a waiting writer waits as long as the holder is alive (the
    lock is released when its process ends, however it ends) and its record keeps changing,
    and gives up only after `stall_s` seconds without progress.
    """

    def __init__(self, root: str | os.PathLike[str], *, stall_s: float = LOCK_STALL_S):
        self.root = Path(root)
        self.path = self.root / LOCK_FILE
        self.stall_s = stall_s
        self._fd: int | None = None
        self._step = 0

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP or os.path.islink(self.path):
                raise WriteError(
                    f"{self.path} is a symbolic link, not a lock file: remove it (nothing was written)"
                ) from None
            if os.path.lexists(self.path) and not os.path.isfile(self.path):
                kind = file_kind(os.lstat(self.path).st_mode)
                raise WriteError(f"{self.path} is {kind}, not a lock file: remove it (nothing was written)") from None
            raise WriteError(f"cannot write to {self.root}: {exc.strerror}") from None
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            os.close(fd)
            raise WriteError(f"{self.path} is {file_kind(status.st_mode)}, not a lock file: remove it")
        return fd

    def _record(self) -> bytes:
        if self._fd is None:
            return b""
        try:
            return os.pread(self._fd, 200, 0)
        except OSError:
            return b""

    def progress(self, stage: str) -> None:
        """Record that the holder reached `stage`: waiting writers see it moving and keep waiting."""
        if self._fd is None:
            return
        self._step += 1
        record = f"pid {os.getpid()} step {self._step} {stage} at {time.time():.3f}\n".encode()
        with contextlib.suppress(OSError, AttributeError):  # no pwrite on Windows, where nobody waits
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, record, 0)

    def acquire(self) -> None:
        fcntl: Any
        try:
            import fcntl
        except ImportError:  # not POSIX: writes stay atomic, but concurrent writers are not serialised
            fcntl = None
        self._fd = self._open()
        if fcntl is None:
            return
        seen, since, waiting = self._record(), time.monotonic(), False
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            now = time.monotonic()
            record = self._record()
            if record != seen:
                seen, since = record, now
            if not waiting:
                waiting = True
                log.info("waiting for another corridor command writing to %s", self.root)
                test_hook("lock-wait")
            if now - since > self.stall_s:
                holder = record.decode(errors="replace").split(" step")[0].strip() or "another process"
                os.close(self._fd)
                self._fd = None
                raise WriteError(
                    f"another corridor command ({holder}) has made no progress writing to {self.root} for "
                    f"{self.stall_s:.0f} s; try again when it ends"
                )
            time.sleep(0.05)
        self.progress("locked")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None

    def __enter__(self) -> DatasetLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def locked(root: str | os.PathLike[str], *, timeout_s: float = LOCK_STALL_S) -> Iterator[DatasetLock]:
    """Hold a dataset's write lock; `timeout_s` is how long a holder may show no progress."""
    with DatasetLock(root, stall_s=timeout_s) as lock:
        yield lock


__all__ = [
    "LOCK_FILE",
    "DatasetLock",
    "check_output_path",
    "check_regular_file",
    "file_kind",
    "locked",
    "read_gzip_regular",
    "read_regular",
    "sweep_temps",
    "temp_prefix",
    "write_atomic",
]
