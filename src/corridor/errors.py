"""Exceptions a user can cause, each mapped to a CLI exit code."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class CorridorError(Exception):
    """Base class: a problem with the request or the data the user can act on."""

    exit_code = 1


class DataError(CorridorError, ValueError):
    """A dataset file is missing, unreadable or breaks a rule; lists every problem found."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        base = super().__str__()
        if not self.problems:
            return base
        if len(self.problems) == 1:
            return f"{base}: {self.problems[0]}"
        return f"{base}: {len(self.problems)} problems, first: {self.problems[0]}"


class PlaceError(CorridorError, LookupError):
    """A place name matched nothing (`unknown`), or matched several places."""

    def __init__(self, message: str, candidates: list[str] | None = None, *, unknown: bool = False):
        super().__init__(message)
        self.candidates = list(candidates or [])
        self.unknown = unknown


class NoMatchError(CorridorError, LookupError):
    """A filter (a country, a mode, a search text) matches nothing; the message names it, and
    `parameter` the filter where one is to blame (the API's 404 names it)."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class NoRouteError(CorridorError):
    """No route satisfies the request; the message names what blocks it."""


class WriteError(CorridorError, OSError):
    """A dataset cannot be written: the installed package's own, busy, or the disk refused."""


class UsageError(CorridorError, ValueError):
    """An argument is malformed or out of range (exit code 2).

    `parameter` names the library argument at fault (`teu`, `modes`, ...); the message starts
    with it, and the CLI words it as the matching flag (`--teu`).
    """

    exit_code = 2

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter

    def as_flag(self) -> str:
        """Return the message with its leading parameter name written as a command-line flag."""
        text = str(self)
        name = self.parameter
        if name and text.startswith(name) and name not in ("origin", "destination"):
            return f"--{name.replace('_', '-')}{text[len(name) :]}"
        return text


class Cancelled(Exception):
    """A search stopped because whoever asked for it no longer waits (`cancel_when`)."""


_waiting = threading.local()


@contextmanager
def cancel_when(event: threading.Event) -> Iterator[None]:
    """Stop this thread's long searches at their next `check_cancelled` once `event` is set: a web
    request answered past its time limit frees its search slot instead of running on for a minute."""
    before = getattr(_waiting, "event", None)
    _waiting.event = event
    try:
        yield
    finally:
        _waiting.event = before


def check_cancelled() -> None:
    """Raise Cancelled if this thread's search was given up (see `cancel_when`)."""
    event = getattr(_waiting, "event", None)
    if event is not None and event.is_set():
        raise Cancelled
