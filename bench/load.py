"""Load from a second process on 127.0.0.1: ``wrk --latency`` when Debian's wrk is installed, else a small
bundled generator (threads, one keep-alive ``http.client`` connection each, reconnecting when the server
closes it, which gunicorn's sync workers do after every response).

Both report the same :class:`LoadResult`: requests, errors (non-2xx and socket errors), throughput and
the p50/p99 latency, so a figure never depends on which generator ran.
"""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

CONNECTIONS = 4


@dataclass
class LoadResult:
    generator: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> LoadResult:
    """Read ``wrk --latency``'s summary: the distribution, the totals and the error lines."""
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", output, re.M))
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)", output, re.M)
    if total is None or "50" not in percentiles or "99" not in percentiles:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    requests, seconds = int(total.group(1)), _ms(total.group(2) + total.group(3)) / 1e3
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non2xx.group(1)) if non2xx else 0
    return LoadResult("wrk", requests, errors, seconds, requests / seconds if seconds else 0.0,
                      _ms(percentiles["50"]), _ms(percentiles["99"]))


def run_wrk(url: str, seconds: float, headers: dict[str, str], connections: int) -> LoadResult:
    args = ["wrk", "--latency", "-t", "1", "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    done = subprocess.run([*args, url], check=True, capture_output=True, text=True)
    return parse_wrk(done.stdout)


def run_python(url: str, seconds: float, headers: dict[str, str], connections: int) -> LoadResult:
    """The bundled generator: ``connections`` threads issuing GETs back to back for ``seconds``."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    stop_at = time.perf_counter() + seconds

    def client(slot: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if not 200 <= response.status < 400:
                    errors[slot] += 1
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                conn.close()
            latencies[slot].append(time.perf_counter() - started)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    samples = sorted(x for per in latencies for x in per)
    if len(samples) < 2:
        raise RuntimeError(f"no responses from {url}")
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return LoadResult("python", len(samples), sum(errors), elapsed, len(samples) / elapsed,
                      cuts[49] * 1e3, cuts[98] * 1e3)


def generator_name(prefer: str = "auto") -> str:
    if prefer == "python" or (prefer == "auto" and shutil.which("wrk") is None):
        return "python"
    return "wrk"


def measure(url: str, seconds: float, headers: dict[str, str] | None = None, generator: str = "auto",
            connections: int = CONNECTIONS) -> LoadResult:
    """Load ``url`` for ``seconds`` after a short warm-up (caches, connection pools, lazy imports)."""
    headers = headers or {}
    run = run_wrk if generator_name(generator) == "wrk" else run_python
    run_python(url, min(1.0, seconds / 4), headers, connections)  # warm-up, not counted
    return run(url, seconds, headers, connections)
