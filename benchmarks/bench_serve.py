"""Load-test `corridor serve` on loopback: concurrent clients asking routes, comparisons and places.

    python benchmarks/bench_serve.py [--clients 20] [--seconds 60] [--requests 200000] [--workers 1]

Starts `corridor serve` as a subprocess on a free loopback port (the bundled dataset unless
`--data`), waits for it to answer, then runs `--clients` concurrent clients (one asyncio task
each, one keep-alive HTTP/1.1 connection each) for `--seconds` or until `--requests` answers,
whichever comes first. Each client asks, in a seeded random order, a route (half the requests:
a corridor origin to a world port, by cost, time or CO2, some with alternatives), a comparison of
the metrics (a fifth) or type-ahead place suggestions (the rest), as the page does.

Reports the count, the errors (any status but 200, or no answer), the throughput, the p50, p95
and p99 latency per kind, and the server's resident memory sampled every half second, the first
quarter of the run against the last (flat, or growing). The goal it checks: p95 of a route under
100 ms. `--json FILE` also writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

from _common import machine

ROOT = Path(__file__).resolve().parent.parent

ORIGINS = ["Chongqing", "Chengdu", "Kunming", "Guiyang", "Nanning", "Xi'an", "Lanzhou", "Wuhan", "Qinzhou", "Vientiane"]
DESTINATIONS = [
    "Umm Qasr",
    "Singapore",
    "Rotterdam",
    "Hamburg",
    "Jebel Ali",
    "Mumbai (Bombay)",
    "Karachi",
    "Colombo",
    "Mombasa",
    "GRPIR",
    "Port Klang",
    "Laem Chabang",
    "Haiphong",
    "Jakarta",
    "Busan",
    "Los Angeles",
    "Durban",
    "Hong Kong",
]
PREFIXES = [
    "ch",
    "chong",
    "umm",
    "sin",
    "rot",
    "ham",
    "qin",
    "kun",
    "port",
    "jeb",
    "mum",
    "hai",
    "cn",
    "iq",
    "la",
    "bus",
]
GOAL_P95_ROUTE_MS = 100.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mib(pid: int) -> float:
    """Return the resident memory of a process and its children (the workers), in MiB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pids += [int(c) for c in children]
    return total / 1024


def cpu_s(pid: int) -> float:
    """Return the CPU time (user + system) a process and its children have used, in seconds."""
    total = 0.0
    pids = [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pids += [int(c) for c in children]
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def requests(seed: int):
    """Yield (kind, path, params) forever, in a seeded mix: half routes, a fifth comparisons, the rest places."""
    rng = random.Random(seed)
    while True:
        draw = rng.random()
        if draw < 0.5:
            params = {
                "origin": rng.choice(ORIGINS),
                "destination": rng.choice(DESTINATIONS),
                "by": rng.choice(["cost", "cost", "time", "co2"]),
            }
            if rng.random() < 0.2:
                params["alternatives"] = "2"
            yield "route", "/api/route", params
        elif draw < 0.7:
            yield "compare", "/api/compare", {"origin": rng.choice(ORIGINS), "destination": rng.choice(DESTINATIONS)}
        else:
            yield "places", "/api/places", {"q": rng.choice(PREFIXES), "limit": "8"}


async def fetch(reader, writer, host: str, path: str, params: dict) -> int:
    """Send one GET on a kept-alive connection and read the whole answer; return its status.

    A few lines of asyncio rather than an HTTP library: the clients share the 2 cores with the
    server, and a lighter client leaves the server more of them.
    """
    writer.write(f"GET {path}?{urlencode(params)} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode("ascii"))
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return status


async def client(port: int, seed: int, until: float, budget: list[int], results: list, errors: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    host = f"127.0.0.1:{port}"
    try:
        for kind, path, params in requests(seed):
            if time.monotonic() >= until or budget[0] <= 0:
                return
            budget[0] -= 1
            start = time.perf_counter()
            try:
                status: int | str = await fetch(reader, writer, host, path, params)
            except (OSError, asyncio.IncompleteReadError, ValueError, StopIteration) as exc:
                status = type(exc).__name__
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            elapsed = (time.perf_counter() - start) * 1000
            results.append((kind, elapsed, time.monotonic()))
            if status != 200:
                errors.append((kind, status, params))
    finally:
        writer.close()


def answers(url: str) -> bool:
    try:
        with urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def run(args: argparse.Namespace) -> dict:
    port = free_port()
    command = [sys.executable, "-m", "corridor", "serve", "--port", str(port), "--workers", str(args.workers), "-q"]
    if args.data:
        command += ["--data", args.data]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    server = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if answers(f"{base}/api/meta"):
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        started_rss = rss_mib(server.pid)
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append((time.monotonic(), rss_mib(server.pid)))
                stop.wait(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        results: list = []
        errors: list = []
        budget = [args.requests]
        server_cpu = cpu_s(server.pid)
        client_cpu = time.process_time()
        load = os.getloadavg()[0]
        begin = time.monotonic()
        until = begin + args.seconds
        sampler.start()

        async def everyone() -> None:
            await asyncio.gather(*(client(port, seed, until, budget, results, errors) for seed in range(args.clients)))

        asyncio.run(everyone())
        wall = time.monotonic() - begin
        server_cpu = cpu_s(server.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
        stop.set()
        sampler.join()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    kinds: dict[str, list[float]] = {}
    for kind, elapsed, _ in results:
        kinds.setdefault(kind, []).append(elapsed)
    quarter = max(1, len(samples) // 4)
    first = statistics.mean(v for _, v in samples[:quarter]) if samples else float("nan")
    last = statistics.mean(v for _, v in samples[-quarter:]) if samples else float("nan")
    return {
        "machine": machine(),
        "clients": args.clients,
        "seconds": round(wall, 1),
        "workers": args.workers,
        "requests": len(results),
        "errors": len(errors),
        "error_examples": [list(map(str, e)) for e in errors[:5]],
        "per_second": round(len(results) / wall, 1),
        "cpu_ms_per_request": {
            "server": round(server_cpu * 1000 / max(len(results), 1), 2),
            "clients": round(client_cpu * 1000 / max(len(results), 1), 2),
        },
        "load_before": round(load, 2),
        "latency_ms": {
            kind: {
                "count": len(values),
                "p50": round(percentile(values, 50), 1),
                "p95": round(percentile(values, 95), 1),
                "p99": round(percentile(values, 99), 1),
                "max": round(max(values), 1),
            }
            for kind, values in sorted(kinds.items())
        },
        "rss_mib": {
            "idle": round(started_rss, 1),
            "first_quarter": round(first, 1),
            "last_quarter": round(last, 1),
            "max": round(max((v for _, v in samples), default=float("nan")), 1),
            "samples": len(samples),
        },
    }


def report(figures: dict) -> str:
    lines = [
        f"machine: {figures['machine']}",
        f"{figures['clients']} clients for {figures['seconds']} s against {figures['workers']} server process(es): "
        f"{figures['requests']:,} requests, {figures['errors']} errors, {figures['per_second']:,} per second",
        f"CPU per request: {figures['cpu_ms_per_request']['server']} ms in the server, "
        f"{figures['cpu_ms_per_request']['clients']} ms in the clients; load average before the run "
        f"{figures['load_before']}",
        "",
        f"{'kind':<8} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}",
    ]
    for kind, row in figures["latency_ms"].items():
        lines.append(f"{kind:<8} {row['count']:>7,} {row['p50']:>8} {row['p95']:>8} {row['p99']:>8} {row['max']:>8}")
    rss = figures["rss_mib"]
    growth = rss["last_quarter"] - rss["first_quarter"]
    verdict = "flat" if abs(growth) <= max(5.0, 0.05 * rss["first_quarter"]) else f"{'grew' if growth > 0 else 'fell'}"
    lines += [
        "",
        f"server RSS: {rss['idle']} MiB idle, {rss['first_quarter']} MiB in the first quarter, "
        f"{rss['last_quarter']} MiB in the last, {rss['max']} MiB at most ({verdict}, {rss['samples']} samples)",
    ]
    route = figures["latency_ms"].get("route")
    if route:
        met = "met" if route["p95"] < GOAL_P95_ROUTE_MS else "MISSED"
        lines.append(f"goal p95 of a route < {GOAL_P95_ROUTE_MS:.0f} ms: {met} ({route['p95']} ms)")
    for example in figures["error_examples"]:
        lines.append(f"error: {' '.join(example)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--requests", type=int, default=200_000, help="stop after this many answers")
    parser.add_argument("--workers", type=int, default=1, help="server processes (corridor serve --workers)")
    parser.add_argument("--data", help="dataset directory (default: the bundled one)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    figures = run(args)
    print(report(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
