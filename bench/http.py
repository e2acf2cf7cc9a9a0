"""HTTP benchmark (not a test): latency p50/p95/p99 and throughput of /v1/search and /v1/ask with 1 and 8
concurrent clients on loopback, plus the server's resident memory.

    python -m bench.http [--index-dir DIR] [--requests 20] [--concurrency 1 8] [--json FILE]

Starts `rus serve` on 127.0.0.1 at a free port (or use --url http://127.0.0.1:PORT --pid PID for a running
server), waits for /readyz, then sends a bounded number of requests per (endpoint, concurrency). The queries
are a realistic mix first — eval/realistic.jsonl in a fixed shuffled order: keywords, casual Swedish, everyday
English, 60–150-word project descriptions and off-topic questions, as users type them — then the gold
questions (../shared/eval/dev.jsonl, eval/calibration_extra.jsonl); each run takes its own slice so that query
vectors are not already cached (when the pool is too small, queries repeat and the report says so). RSS is
read from /proc/<pid>/status (VmRSS, VmHWM).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlparse

import numpy as np

from bench.server import ServerFailed, running, wait_ready
from eval.gold import load_gold
from index.analysis import is_description
from service.settings import REPO_ROOT, get_settings

REALISTIC = REPO_ROOT / "eval" / "realistic.jsonl"
GOLD = [REPO_ROOT.parent / "shared" / "eval" / "dev.jsonl", REPO_ROOT / "eval" / "calibration_extra.jsonl"]
MIX_SEED = 15  # the realistic set is shuffled once with this seed, so every run sends the same mix in the same order
MAX_REQUESTS = 500
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ENCODE_ROUTE = "/bench/encode"  # bench.encode_only: a query embedded as /v1/search embeds it, and no search


def _queries(path: Path) -> list[str]:
    """A gold file's queries (none when the file is absent, e.g. without ../shared)."""
    return [item.query for item in load_gold(path)] if path.exists() else []


def questions() -> list[str]:
    """Distinct benchmark queries: the realistic mix (shuffled with MIX_SEED), then the gold questions."""
    realistic = _queries(REALISTIC)
    random.Random(MIX_SEED).shuffle(realistic)
    return list(dict.fromkeys([*realistic, *(query for path in GOLD for query in _queries(path))]))


def memory(pid: int | None) -> dict[str, float]:
    """Resident set size now and at its peak, in MiB (Linux /proc)."""
    if pid is None:
        return {}
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    values = {}
    for line in status.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return {"rss_mib": round(values.get("VmRSS", 0.0), 1), "peak_rss_mib": round(values.get("VmHWM", 0.0), 1)}


class Client:
    """One keep-alive HTTP/1.1 connection to the server through the standard library's http.client: the load
    generator shares the server's cores, and httpx took 1.7 CPU ms per request from 8 threads where this takes 0.3
    (docs/benchmarks.md, "Request profile"). A request that fails at the connection counts as status 0 and the
    next one reconnects."""

    def __init__(self, base: str, timeout: float = 120) -> None:
        url = urlparse(base)
        self._connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)

    def send(self, method: str, path: str, body: bytes | None = None) -> int:
        """The response's status code (its body read, so the connection can be reused); 0 when the connection
        failed."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            self._connection.request(method, path, body=body, headers=headers)
            response = self._connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            self._connection.close()
            return 0

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def request(client: Client, endpoint: str, query: str) -> int:
    """One /v1/search (k=10) or /v1/ask request, or bench.encode_only's "encode" (no search); its status code."""
    if endpoint == "search":
        return client.send("GET", "/v1/search?" + urlencode({"q": query, "k": 10}))
    if endpoint == "encode":
        return client.send("GET", ENCODE_ROUTE + "?" + urlencode({"q": query}))
    return client.send("POST", "/v1/ask", json.dumps({"question": query}).encode())


def run(base: str, endpoint: str, concurrency: int, queries: list[str]) -> dict:
    """Send `queries` from `concurrency` client threads (keep-alive connections); latency percentiles, throughput,
    wall time and errors (non-200 answers)."""
    local = threading.local()
    clients: list[Client] = []

    def one(query: str) -> tuple[float, int]:
        if not hasattr(local, "client"):
            local.client = Client(base)
            clients.append(local.client)
        began = time.perf_counter()
        status = request(local.client, endpoint, query)
        return time.perf_counter() - began, status

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, queries))
    wall = time.perf_counter() - began
    for client in clients:
        client.close()
    latencies = np.array([r[0] for r in results]) * 1000
    errors = sum(status != 200 for _, status in results)
    words = np.array([len(query.split()) for query in queries])
    long = np.array([is_description(query) for query in queries])  # as the search and the answer states tell them
    mix: dict[str, float | int] = {"median_words": float(np.median(words)), "descriptions": int(long.sum())}
    for group, rows in (("questions", latencies[~long]), ("descriptions", latencies[long])):
        if len(rows):
            mix[f"{group}_p50_ms"] = round(float(np.percentile(rows, 50)), 1)
            mix[f"{group}_p95_ms"] = round(float(np.percentile(rows, 95)), 1)
    return {
        "mix": mix,
        "endpoint": f"/v1/{endpoint}",
        "concurrency": concurrency,
        "requests": len(queries),
        "errors": errors,
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
        "p99_ms": round(float(np.percentile(latencies, 99)), 1),
        "mean_ms": round(float(latencies.mean()), 1),
        "throughput_rps": round(len(queries) / wall, 2),
        "wall_seconds": round(wall, 3),
    }


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=settings.index_dir)
    parser.add_argument("--url", help="benchmark a running server on loopback instead of starting one")
    parser.add_argument("--pid", type=int, help="the running server's process id (for RSS) with --url")
    parser.add_argument("--requests", type=int, default=20, help=f"requests per run (at most {MAX_REQUESTS})")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--endpoints", nargs="+", default=["search", "ask"], choices=["search", "ask"])
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    n = max(1, min(args.requests, MAX_REQUESTS))

    if args.url and urlparse(args.url).hostname not in LOOPBACK:
        parser.error("only loopback URLs (127.0.0.1) are benchmarked")
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"rus-bench-{os.getpid()}.log"
    try:
        if args.url:
            base = args.url.rstrip("/")
            measure(base, args.pid, wait_ready(base), args.endpoints, args.concurrency, n, args.json)
        else:
            with running(args.index_dir, log_path) as server:
                print(f"started rus serve (pid {server.pid}) on {server.base}; log {log_path}")
                startup = server.ready_seconds or 0.0
                measure(server.base, server.pid, startup, args.endpoints, args.concurrency, n, args.json)
    except ServerFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def measure(
    base: str,
    pid: int | None,
    startup: float,
    endpoints: list[str],
    concurrency_levels: list[int],
    n: int,
    json_path: Path | None,
) -> None:
    """Warm up, then `n` requests per (endpoint, concurrency); print the table (and write JSON if asked)."""
    idle = memory(pid)
    print(f"ready after {startup:.1f}s; server memory when idle: {idle}")
    with Client(base) as client:  # warm up both endpoints (JIT-free, but caches)
        for endpoint in endpoints:
            request(client, endpoint, "warm-up: regional utveckling")
    pool = questions()
    runs = [(e, c) for e in endpoints for c in concurrency_levels]
    repeats = n * len(runs) > len(pool)
    if repeats:
        print(
            f"note: {n * len(runs)} requests but {len(pool)} distinct questions; repeated questions reuse "
            "cached query vectors"
        )
    results = []
    for i, (endpoint, concurrency) in enumerate(runs):
        queries = [pool[(i * n + j) % len(pool)] for j in range(n)]
        result = run(base, endpoint, concurrency, queries)
        result.update(memory(pid))
        results.append(result)
    print(
        f"\n{'endpoint':<11} {'clients':>7} {'n':>4} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'req/s':>7} {'RSS MiB':>8} {'peak MiB':>9}"
    )
    for r in results:
        print(
            f"{r['endpoint']:<11} {r['concurrency']:>7} {r['requests']:>4} {r['errors']:>4} {r['p50_ms']:>8} "
            f"{r['p95_ms']:>8} {r['p99_ms']:>8} {r['throughput_rps']:>7} {r.get('rss_mib', '-'):>8} "
            f"{r.get('peak_rss_mib', '-'):>9}"
        )
    if json_path:
        summary = {"startup_s": round(startup, 2), "idle": idle, "cpus": os.cpu_count(), "repeated_queries": repeats}
        json_path.write_text(json.dumps({**summary, "runs": results}, indent=1))


if __name__ == "__main__":
    raise SystemExit(main())
