"""One point of the scale benchmark in its own process (so that its memory is its own; run by bench.suite).

    python -m bench.scale_worker --n 100000 --mode full --seed-index DIR --workdir TMP --json OUT
    python -m bench.scale_worker --n 1000000 --mode vectors --seed-index DIR --json OUT

full: a whole synthetic index (chunks with recombined text, sentence table, structured vectors, BM25) written
and loaded by the real code (index.store), searched through SearchIndex with the dense, bm25 and hybrid
retrievers (query embedding replaced by a stub, so the figures are search cost only), and compared with the
exact full path that scored every chunk (the code before the candidate search) for latency and top-10 overlap.
vectors: the chunk-vector side alone (IVF index as the build makes it, against exact FAISS search) plus a BM25
index over generated text — the 1e6 point, where a whole index with ~3.4 sentences per chunk would not fit the
time budget.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import faiss
import numpy as np

from bench import synthetic
from bench.stats import latencies, peak_rss_mib, percentiles, rss_mib

QUERY_COUNT = 60
EXACT_QUERIES = 25


class StubEmbedder:
    """Query vectors drawn near the seed vectors, deterministically per text (no model: search cost only)."""

    id = "bench:stub"

    def __init__(self, seed: synthetic.Seed) -> None:
        self.seed = seed
        self.dim = seed.vectors.shape[1]

    def embed_queries(self, texts):
        out = []
        for text in texts:
            state = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            out.append(synthetic.near_vectors(self.seed.vectors, 1, np.random.default_rng(state))[0])
        return np.vstack(out).astype(np.float32)

    def embed_passages(self, texts, progress: bool = False):
        raise NotImplementedError


def query_texts() -> list[str]:
    from bench.http import questions

    return questions()[:QUERY_COUNT]


def run_full(n: int, seed: synthetic.Seed, workdir: Path) -> dict:
    import index.dense as dense_module
    from index.build import embedding_text
    from index.hits import Filters
    from index.lexical import LexicalIndex
    from index.search import SearchIndex
    from index.store import load_build, write_build

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    chunks = synthetic.chunks(seed, n)
    texts = [embedding_text(c) for c in chunks]
    spans = synthetic.sentence_table(chunks)
    vectors = synthetic.unit_vectors(seed, n, rng=np.random.default_rng(10))
    sentence_vectors = synthetic.sentence_vectors(seed, vectors, spans, rng=np.random.default_rng(11))
    seconds["generate"] = time.perf_counter() - started
    mark = time.perf_counter()
    lexical = LexicalIndex.build(texts)
    seconds["bm25"] = time.perf_counter() - mark
    mark = time.perf_counter()
    manifest = {"n_sentences": len(spans), "embedder": {"id": StubEmbedder.id, "dim": vectors.shape[1]}}
    write_build(workdir, manifest, chunks, vectors, lexical, sentence_vectors, spans)
    seconds["vectors_and_write"] = time.perf_counter() - mark
    del chunks, texts, vectors, sentence_vectors, lexical
    mark = time.perf_counter()
    stored = load_build(workdir)
    index = SearchIndex(stored, StubEmbedder(seed))
    seconds["load"] = time.perf_counter() - mark
    loaded_rss = rss_mib()
    queries = query_texts()
    index.search("warm-up", k=10)
    result: dict = {"n_chunks": n, "n_sentences": len(spans), "vector_index": stored.manifest["vector_index"]}
    result["latency"] = {
        retriever: percentiles(latencies(lambda q, r=retriever: index.search(q, k=10, retriever=r), queries))
        for retriever in ("dense", "bm25", "hybrid")
    }
    for name, filters in (("hybrid_priority_3", Filters(priority=3)), ("hybrid_section_3_1", Filters(section="3.1"))):
        result["latency"][name] = percentiles(
            latencies(lambda q, f=filters: index.search(q, k=10, filters=f), queries[:30])
        )
    # the exact full path (every chunk scored, exact FAISS) for the same queries: latency and top-10 overlap
    candidate = {r: [[h.chunk.chunk_id for h in index.search(q, k=10, retriever=r)] for q in queries[:EXACT_QUERIES]]
                 for r in ("dense", "hybrid")}
    stored.faiss_index = faiss.IndexFlatIP(stored.vectors.shape[1])
    stored.faiss_index.add(np.ascontiguousarray(stored.vectors))
    stored.sentence_faiss = faiss.IndexFlatIP(stored.vectors.shape[1])
    stored.sentence_faiss.add(np.ascontiguousarray(stored.sentence_vectors))
    saved = dense_module.CANDIDATES_FROM
    dense_module.CANDIDATES_FROM = 1 << 62
    try:
        exact_lat = {}
        overlap = {}
        for retriever in ("dense", "hybrid"):
            found, times = [], []
            for q in queries[:EXACT_QUERIES]:
                began = time.perf_counter()
                found.append([h.chunk.chunk_id for h in index.search(q, k=10, retriever=retriever)])
                times.append(time.perf_counter() - began)
            exact_lat[retriever] = percentiles(times)
            overlap[retriever] = round(
                float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(candidate[retriever], found, strict=True)])), 4
            )
    finally:
        dense_module.CANDIDATES_FROM = saved
    result["exact_full_path_latency"] = exact_lat
    result["recall_at_10_vs_exact"] = overlap
    result["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
    result["memory"] = {"loaded_rss_mib": loaded_rss.get("rss_mib"), "peak_rss_mib": peak_rss_mib()}
    result["disk_mib"] = round(sum(p.stat().st_size for p in workdir.rglob("*") if p.is_file()) / 2**20, 1)
    return result


def run_vectors(n: int, seed: synthetic.Seed, kind: str, with_bm25: bool) -> dict:
    from index import vectors as vector_search
    from index.analysis import prepare_query
    from index.lexical import LexicalIndex
    from index.lexical_evidence import LEXICAL_CANDIDATES
    from index.scores import top

    seconds: dict[str, float] = {}
    mark = time.perf_counter()
    vectors = synthetic.unit_vectors(seed, n, kind=kind, rng=np.random.default_rng(20))
    seconds["generate_vectors"] = time.perf_counter() - mark
    mark = time.perf_counter()
    index, info = vector_search.build_vector_index(vectors)
    seconds["vector_index"] = time.perf_counter() - mark
    queries = synthetic.queries(seed, 200, kind=kind)
    mark = time.perf_counter()
    _, truth = faiss.knn(queries, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    seconds["exact_ground_truth_200_queries"] = time.perf_counter() - mark
    found = []

    def one(query):
        found.append(vector_search.search(index, vectors, query, 10)[1][0])

    result: dict = {"n_vectors": n, "kind": kind, "vector_index": info}
    result["vector_search_k10"] = percentiles(latencies(one, queries))
    result["recall_at_10_vs_exact"] = round(vector_search.recall_at(np.array(found), truth), 4)
    result["vector_search_k200"] = percentiles(
        latencies(lambda q: vector_search.search(index, vectors, q, 200), queries[:100])
    )
    exact = vector_search.exact_index(vectors)
    result["exact_search_k10"] = percentiles(latencies(lambda q: exact.search(q[None, :], 10), queries[:30]))
    result["exact_search_all"] = percentiles(  # what the old dense path did: k = every vector
        latencies(lambda q: exact.search(q[None, :], n), queries[:3])
    )
    result["vector_rss_mib"] = rss_mib().get("rss_mib")
    if with_bm25:
        mark = time.perf_counter()
        texts = synthetic.texts(seed, n)
        seconds["generate_text"] = time.perf_counter() - mark
        mark = time.perf_counter()
        lexical = LexicalIndex.build(texts)
        seconds["bm25"] = time.perf_counter() - mark
        del texts
        lexical_queries = [prepare_query(q).lexical_text for q in query_texts()]

        def bm25(query):
            scores = lexical.scores(query)
            matching = np.flatnonzero(scores > 0)
            return top(matching, scores[matching], LEXICAL_CANDIDATES)

        result["bm25_top100"] = percentiles(latencies(bm25, lexical_queries))
        result["bm25_full_sort"] = percentiles(  # the small-index path: argsort of every score
            latencies(lambda q: np.argsort(-lexical.scores(q)), lexical_queries[:20])
        )
    result["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
    result["memory"] = {"peak_rss_mib": peak_rss_mib(), "rss_mib": rss_mib().get("rss_mib")}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--mode", choices=["full", "vectors"], default="full")
    parser.add_argument("--kind", choices=["structured", "uniform"], default="structured")
    parser.add_argument("--no-bm25", action="store_true", help="vectors mode: skip the BM25 part")
    parser.add_argument("--seed-index", type=Path, required=True, help="a real index to draw text and vectors from")
    parser.add_argument("--workdir", type=Path, help="full mode: where to write the synthetic index")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    seed = synthetic.Seed.from_index(args.seed_index)
    if args.mode == "full":
        if args.workdir is None:
            parser.error("--workdir is required in full mode")
        result = run_full(args.n, seed, args.workdir)
    else:
        result = run_vectors(args.n, seed, args.kind, not args.no_bm25)
    args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
