"""What the benchmark scripts share: the machine they ran on, and median timings."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def machine() -> str:
    """Describe this machine as the README quotes it: CPU model, cores, system, Python."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def median_run(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Call fn `runs` times; return the median of the wall times (s) and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def warm_median(fn: Callable[[], Any], runs: int) -> float:
    """Call fn once untimed (caches, imports, lazy sections), then return the median of `runs` calls (s)."""
    fn()
    return median_run(fn, runs)[0]
