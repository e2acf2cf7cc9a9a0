"""Soak test: N concurrent clients send a mixed search/ask/match load to a server on 127.0.0.1 for a while, and the
report gives requests, errors and latency percentiles per interval, and the server's RSS at the start and the end.

    python -m bench.soak --index-dir data/index --duration 600 --clients 8 --interval 60   # `make soak`
    python -m bench.soak --base http://127.0.0.1:8000 --pid 1234 --duration 60              # an already running server

Without --base it starts `rus serve` on a free loopback port itself (and stops it afterwards). Only loopback
addresses are accepted. Exit status 1 when any request failed or the RSS grew more than --max-rss-growth-mb.
Half the questions come from a fixed pool (served from the query-vector cache after the first time), half are
new combinations (each costs an embedding), so the load mixes cheap and expensive requests as real use does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np

from bench.server import ServerFailed, running

SEARCHES = [
    "trygga passager för renar",
    "kollektivtrafik i inlandet",
    "which sub-priority covers reindeer crossings?",
    "digital infrastructure and broadband in rural areas",
    "kompetensförsörjning",
    "laddinfrastruktur för elfordon",
    "innovation and research in small companies",
    "våld i nära relationer",
    "climate adaptation",
    "besöksnäring och turism",
]
QUESTIONS = [
    "Vilken delprioritering tar upp våld i nära relationer?",
    "Which sub-priority covers reindeer crossings?",
    "Vad säger strategin om bredband på landsbygden?",
    "How does the strategy deal with skills supply?",
    "Vad är identifierade behov för kollektivtrafiken?",
]
PROJECTS = [
    "Vi vill bygga ut fibernätet i byarna och samordna utbyggnaden med grannkommunerna.",
    "A mobile test lab for small companies in inland municipalities, with a virtual incubator.",
    "Projektet ska minska våld i nära relationer genom samverkan mellan socialtjänst och polis.",
    "We will build charging stations for electric trucks along the main roads.",
]
WORDS = (
    "regionen länet inlandet kusten fjällen unga äldre företag kommuner skolor vården bredband fiber tåg buss "
    "renskötsel skog vätgas turism kultur idrott forskning innovation klimat energi bostäder kompetens"
).split()
MIX = (("search", 0.6), ("ask", 0.2), ("match", 0.2))


@dataclass
class Sample:
    at: float
    kind: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class Soak:
    base: str
    duration: float
    clients: int
    seed: int = 1
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _request(self, client: httpx.Client, rng: random.Random) -> tuple[str, httpx.Response]:
        kind = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
        fresh = rng.random() < 0.5
        if kind == "search":
            q = " ".join(rng.sample(WORDS, 3)) if fresh else rng.choice(SEARCHES)
            return kind, client.get("/v1/search", params={"q": q, "k": rng.choice([3, 5, 10])})
        if kind == "ask":
            q = (
                f"Vad säger strategin om {rng.choice(WORDS)} och {rng.choice(WORDS)}?"
                if fresh
                else rng.choice(QUESTIONS)
            )
            return kind, client.post("/v1/ask", json={"question": q})
        text = rng.choice(PROJECTS) + (f" Fokus på {rng.choice(WORDS)} i {rng.choice(WORDS)}." if fresh else "")
        return kind, client.post("/v1/match", json={"text": text})

    def _client(self, number: int, start: float) -> None:
        rng = random.Random(self.seed * 1000 + number)
        with httpx.Client(base_url=self.base, timeout=120) as client:
            while time.monotonic() - start < self.duration:
                began = time.monotonic()
                try:
                    kind, response = self._request(client, rng)
                    ok = response.status_code == 200
                    detail = "" if ok else f"{response.status_code} {response.text[:200]}"
                except Exception as exc:  # a transport error is a failed request too
                    kind, ok, detail = "error", False, repr(exc)
                sample = Sample(began - start, kind, time.monotonic() - began, ok, detail)
                with self.lock:
                    self.samples.append(sample)

    def run(self) -> None:
        start = time.monotonic()
        threads = [threading.Thread(target=self._client, args=(i, start), daemon=True) for i in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(self.duration + 300)


def rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        import psutil

        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except Exception:
        return None


def summarise(samples: list[Sample], interval: float, duration: float) -> list[dict]:
    rows = []
    for index in range(max(1, int(np.ceil(duration / interval)))):
        window = [s for s in samples if index * interval <= s.at < (index + 1) * interval]
        seconds = np.array([s.seconds for s in window if s.ok]) * 1000
        rows.append(
            {
                "from_s": int(index * interval),
                "requests": len(window),
                "errors": sum(not s.ok for s in window),
                "rps": round(len(window) / interval, 2),
                "p50_ms": round(float(np.percentile(seconds, 50)), 1) if len(seconds) else None,
                "p95_ms": round(float(np.percentile(seconds, 95)), 1) if len(seconds) else None,
                "max_ms": round(float(seconds.max()), 1) if len(seconds) else None,
                "by_kind": {k: sum(s.kind == k for s in window) for k, _ in MIX},
            }
        )
    return rows


def soak(base: str, pid: int | None, duration: float, clients: int, interval: float, seed: int = 1) -> dict:
    host = urlparse(base).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load {host}: the soak only targets loopback")
    warm = Soak(base, duration=min(10.0, duration / 6), clients=clients, seed=seed + 99)
    warm.run()  # fill caches and thread pools before the first RSS reading
    rss_start = rss_mib(pid)
    run = Soak(base, duration=duration, clients=clients, seed=seed)
    started = time.time()
    rss_by_interval: list[float | None] = []
    done = threading.Event()

    def sample_rss() -> None:  # the server's RSS at the end of every interval
        while not done.wait(interval):
            rss_by_interval.append(rss_mib(pid))

    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    run.run()
    done.set()
    sampler.join(5)
    rss_end = rss_mib(pid)
    rows = summarise(run.samples, interval, duration)
    for row, rss in zip(rows, [*rss_by_interval, rss_end][: len(rows)], strict=False):
        row["rss_mib"] = rss
    ok = np.array([s.seconds for s in run.samples if s.ok]) * 1000
    failures = [s.detail for s in run.samples if not s.ok]
    return {
        "base": base,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "duration_s": duration,
        "clients": clients,
        "requests": len(run.samples),
        "errors": len(failures),
        "error_examples": failures[:5],
        "warmup_requests": len(warm.samples),
        "warmup_errors": sum(not s.ok for s in warm.samples),
        "p50_ms": round(float(np.percentile(ok, 50)), 1) if len(ok) else None,
        "p95_ms": round(float(np.percentile(ok, 95)), 1) if len(ok) else None,
        "rss_start_mib": rss_start,
        "rss_end_mib": rss_end,
        "rss_growth_mib": None if rss_start is None or rss_end is None else round(rss_end - rss_start, 1),
        "intervals": rows,
    }


def format_report(report: dict) -> str:
    lines = [
        f"soak: {report['clients']} clients × {report['duration_s']:.0f} s against {report['base']}",
        f"{'from':>6} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        f" {'RSS MiB':>8}",
    ]
    for row in report["intervals"]:
        lines.append(
            f"{row['from_s']:>5}s {row['requests']:>9} {row['errors']:>7} {row['rps']:>7} "
            f"{row['p50_ms'] or '-':>8} {row['p95_ms'] or '-':>8} {row['max_ms'] or '-':>8}"
            f" {row.get('rss_mib') or '-':>8}"
        )
    lines.append(
        f"total: {report['requests']} requests, {report['errors']} errors, p50 {report['p50_ms']} ms, "
        f"p95 {report['p95_ms']} ms; server RSS {report['rss_start_mib']} → {report['rss_end_mib']} MiB "
        f"(growth {report['rss_growth_mib']} MiB)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="a running server on loopback (default: start one)")
    parser.add_argument("--pid", type=int, help="the running server's process id (for RSS)")
    parser.add_argument("--index-dir", type=Path, default=None, help="index for the server this script starts")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per reported interval")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-rss-growth-mb", type=float, default=100.0)
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    args = parser.parse_args(argv)
    try:
        if args.base:
            report = soak(args.base.rstrip("/"), args.pid, args.duration, args.clients, args.interval, args.seed)
        else:
            from service.settings import get_settings

            index_dir = args.index_dir or get_settings().index_dir
            log = Path(args.out).with_suffix(".server.log") if args.out else Path(os.devnull)
            with running(index_dir, log) as server:
                report = soak(server.base, server.pid, args.duration, args.clients, args.interval, args.seed)
    except ServerFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(format_report(report))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    growth = report["rss_growth_mib"]
    failed = report["errors"] > 0 or report["warmup_errors"] > 0
    grew = growth is not None and growth > args.max_rss_growth_mb
    if failed:
        print(f"FAIL: {report['errors'] + report['warmup_errors']} failed requests: {report['error_examples']}")
    if grew:
        print(f"FAIL: the server's RSS grew by {growth} MiB (limit {args.max_rss_growth_mb})")
    return 1 if failed or grew else 0


if __name__ == "__main__":
    sys.exit(main())
