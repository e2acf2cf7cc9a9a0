"""Scale paths (docs/benchmarks.md): candidate search and approximate vector indexes, on small synthetic data.

The thresholds are lowered so that a few thousand vectors take the large-index paths; no model is loaded
(a stub embedder hands out query vectors), so these run in seconds.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import index.dense as dense_module
import index.store as store_module
import index.vectors as vectors_module
from index.hits import Filters
from index.lexical import LexicalIndex
from index.search import SearchIndex
from index.store import load_build, write_build
from ingest.models import Chunk

DIM = 32
WORDS = "renar bredband vård skola turism skog vatten energi digital transport kultur forskning".split()


class StubEmbedder:
    id = "test:stub"
    dim = DIM

    def __init__(self, centres: np.ndarray) -> None:
        self.centres = centres

    def embed_queries(self, texts):
        rows = []
        for text in texts:
            rng = np.random.default_rng(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16))
            vector = self.centres[rng.integers(len(self.centres))] + 0.4 * rng.standard_normal(DIM) / np.sqrt(DIM)
            rows.append(vector / np.linalg.norm(vector))
        return np.array(rows, dtype=np.float32)

    def embed_passages(self, texts, progress=False):
        raise NotImplementedError


def clustered(rng: np.random.Generator, centres: np.ndarray, owners: np.ndarray, noise: float) -> np.ndarray:
    vectors = centres[owners] + noise * rng.standard_normal((len(owners), DIM)) / np.sqrt(DIM)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def synthetic_index(tmp_path_factory: pytest.TempPathFactory):
    """3,000 chunks (2–4 sentences each) in 40 clusters, written and loaded by index.store."""
    rng = np.random.default_rng(0)
    n = 3000
    centres = rng.standard_normal((40, DIM))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    chunks, spans = [], []
    for position in range(n):
        sentences = [
            " ".join(rng.choice(WORDS, size=5)).capitalize() + f" mening nummer {position}-{i}."
            for i in range(rng.integers(2, 5))
        ]
        text = " ".join(sentences)
        start = 0
        for sentence in sentences:
            spans.append((position, start, start + len(sentence)))
            start += len(sentence) + 1
        chunks.append(
            Chunk(
                chunk_id=f"c{position:05d}",
                doc_id=f"doc{position % 3}",
                doc_title="Syntetisk",
                section_id=f"{position % 6 + 1}.{position % 4 + 1}",
                heading_path=(f"Prioritering {position % 6 + 1}",),
                kind="needs",
                priority=position % 6 + 1,
                page_start=1,
                page_end=1,
                text=text,
            )
        )
    spans = np.array(spans, dtype=np.int32)
    chunk_owner = rng.integers(0, len(centres), n)
    vectors = clustered(rng, centres, chunk_owner, 0.8)
    sentence_vectors = clustered(rng, np.asarray(vectors, dtype=np.float64), spans[:, 0], 0.6)
    directory = tmp_path_factory.mktemp("synthetic-index")
    lexical = LexicalIndex.build([c.text for c in chunks])
    manifest = {"n_sentences": len(spans), "embedder": {"id": StubEmbedder.id, "dim": DIM}}
    write_build(directory, manifest, chunks, vectors, lexical, sentence_vectors, spans)
    return directory, StubEmbedder(centres)


QUERIES = ["renar och skog", "digital vård", "bredband på landsbygden", "turism kultur", "energi vatten"] + [
    f"fråga {i} om {WORDS[i % len(WORDS)]}" for i in range(25)
]


def rankings(index: SearchIndex, retriever: str, filters: Filters | None = None) -> list[list[tuple]]:
    return [
        [(h.chunk.chunk_id, round(h.score, 5), h.highlights) for h in index.search(q, 10, retriever, filters)]
        for q in QUERIES
    ]


@pytest.mark.parametrize("retriever", ["dense", "hybrid", "bm25"])
@pytest.mark.parametrize("filters", [None, Filters(priority=2), Filters(doc="doc1", section="3.2")])
def test_candidate_search_equals_the_full_path_on_exact_indexes(
    synthetic_index, monkeypatch: pytest.MonkeyPatch, retriever: str, filters: Filters | None
) -> None:
    directory, embedder = synthetic_index
    index = SearchIndex(load_build(directory), embedder)
    assert len(index.chunks) < dense_module.CANDIDATES_FROM  # every chunk is a candidate by default
    full = rankings(index, retriever, filters)
    monkeypatch.setattr(dense_module, "CANDIDATES_FROM", 1000)
    monkeypatch.setattr(dense_module, "CHUNK_CANDIDATES", 20)  # small lists: the widening must kick in
    monkeypatch.setattr(dense_module, "SENTENCE_CANDIDATES", 30)
    monkeypatch.setattr(dense_module, "EXACT_SUBSET", 100)  # filtered searches use FAISS selectors too
    candidate = rankings(index, retriever, filters)
    assert [[hit[0] for hit in r] for r in candidate] == [[hit[0] for hit in r] for r in full]
    assert [[hit[2] for hit in r] for r in candidate] == [[hit[2] for hit in r] for r in full]
    for got, expected in zip(candidate, full, strict=True):
        assert np.allclose([h[1] for h in got], [h[1] for h in expected], atol=2e-5)


def test_candidate_search_keeps_every_chunk_its_phrasings_lift(synthetic_index, monkeypatch: pytest.MonkeyPatch):
    """Everyday phrasings (index/phrasings.py) can lift a chunk that neither candidate list holds: the candidate path
    must rank exactly as scoring every chunk does. Here each query is the phrasing of the chunk it ranks 60th
    (beyond the lowered candidate lists; dense, so no BM25 candidate brings it in), which the bonus lifts into the
    top 10."""
    directory, embedder = synthetic_index
    stored = load_build(directory)
    plain = SearchIndex(stored, embedder)
    pairs = sorted((plain.search(query, 60, "dense")[-1].position, query) for query in QUERIES)
    owners = np.array([position for position, _ in pairs], dtype=np.int32)
    texts = [query for _, query in pairs]
    stored.phrasings = store_module.PhrasingTable(owners, texts, embedder.embed_queries(texts))
    index = SearchIndex(stored, embedder)
    full = rankings(index, "dense")
    lifted = {stored.chunks[p].chunk_id for p in owners}
    assert sum(bool(lifted & {hit[0] for hit in r}) for r in full) >= len(QUERIES) // 2  # the bonus shows
    monkeypatch.setattr(dense_module, "CANDIDATES_FROM", 1000)
    monkeypatch.setattr(dense_module, "CHUNK_CANDIDATES", 20)
    monkeypatch.setattr(dense_module, "SENTENCE_CANDIDATES", 30)
    candidate = rankings(index, "dense")
    assert [[hit[0] for hit in r] for r in candidate] == [[hit[0] for hit in r] for r in full]


def test_chunk_similarity_and_sentence_scores_agree_with_search(synthetic_index) -> None:
    """Match, align and answers score chunks with SearchIndex.similarity and read hits' sentence scores: both must
    be the scores search ranked by (one mix of chunk and sentence similarity)."""
    directory, embedder = synthetic_index
    index = SearchIndex(load_build(directory), embedder)
    query = "renar och skog"
    hits = index.search(query, 20, "dense")
    matrix = index.dense.similarity(index.query_vectors([query]), [h.position for h in hits])
    assert np.allclose(matrix[:, 0], [h.dense_score for h in hits], atol=1e-5)
    for hit in hits:
        best = max(hit.sentences, key=lambda sentence: sentence.score)
        assert hit.highlights == [(best.start, best.end)]
        assert index.chunks[hit.position] is hit.chunk


def test_an_approximate_index_is_chosen_above_the_threshold_and_reaches_the_recall(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((64, DIM))
    vectors = clustered(rng, centres, rng.integers(0, 64, 6000), 0.7)
    small, small_info = vectors_module.build_vector_index(vectors[:500], approximate_from=1000)
    assert small_info["type"] == "flat" and vectors_module.is_exact(small)
    index, info = vectors_module.build_vector_index(vectors, approximate_from=1000)
    assert info["type"].startswith("IVF") and info["nlist"] == vectors_module.n_lists(len(vectors))
    assert info["recall_at_10"] >= vectors_module.TUNE_RECALL
    # held-out queries: recall@10 against exact search
    queries = vectors_module.near_vectors(vectors, 100, np.random.default_rng(2))
    _, truth = vectors_module.search(vectors_module.exact_index(vectors), vectors, queries, 10)
    _, found = vectors_module.search(index, vectors, queries, 10)
    assert vectors_module.recall_at(found, truth) >= vectors_module.TARGET_RECALL


def test_a_large_build_stores_its_approximate_indexes_and_search_still_works(
    tmp_path, monkeypatch: pytest.MonkeyPatch, synthetic_index
) -> None:
    directory, embedder = synthetic_index
    stored = load_build(directory)
    monkeypatch.setattr(vectors_module, "APPROXIMATE_FROM", 2000)
    monkeypatch.setattr(store_module, "build_vector_index", lambda v: vectors_module.build_vector_index(v, 2000))
    monkeypatch.setattr(store_module, "MMAP_FROM", 2000)
    big = tmp_path / "big"
    write_build(
        big, stored.manifest, stored.chunks, np.asarray(stored.vectors), stored.lexical,
        np.asarray(stored.sentence_vectors), stored.sentence_spans,
    )
    loaded = load_build(big)
    info = loaded.manifest["vector_index"]
    assert info["chunks"]["type"].startswith("IVF") and info["sentences"]["type"].startswith("IVF")
    assert (loaded.path / store_module.SENTENCE_INDEX).is_file()
    assert faiss_nprobe(loaded.faiss_index) == info["chunks"]["nprobe"]
    assert isinstance(loaded.vectors, np.memmap)
    monkeypatch.setattr(dense_module, "CANDIDATES_FROM", 1000)
    approximate = SearchIndex(loaded, embedder)
    exact = SearchIndex(load_build(directory), embedder)
    overlap = [
        len({h.chunk.chunk_id for h in approximate.search(q, 10)} & {h.chunk.chunk_id for h in exact.search(q, 10)})
        for q in QUERIES
    ]
    assert np.mean(overlap) / 10 >= 0.95


def faiss_nprobe(index) -> int:
    import faiss

    return faiss.extract_index_ivf(index).nprobe
