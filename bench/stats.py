"""Small measuring helpers shared by the benchmark modules."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np


def percentiles(seconds: Iterable[float]) -> dict[str, float]:
    """p50/p95/p99/mean of durations in seconds, as milliseconds."""
    values = np.asarray(list(seconds), dtype=np.float64) * 1000
    if not len(values):
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "mean_ms": round(float(values.mean()), 2),
    }


def timed(function: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def latencies(function: Callable[[object], object], items: Iterable[object]) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        function(item)
        out.append(time.perf_counter() - started)
    return out


def rss_mib(pid: int | str = "self") -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM) in MiB, from /proc."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    except OSError:
        return {}
    return {"rss_mib": round(values.get("VmRSS", 0.0), 1), "peak_rss_mib": round(values.get("VmHWM", 0.0), 1)}


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []
