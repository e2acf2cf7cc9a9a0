"""Search a loaded index: dense (chunk + sentence vectors), lexical (BM25) or a language-aware fusion.

Measured on the dev set (docs/retrieval.md): scoring a chunk by a mix of its own similarity and its best
sentence's similarity beats either alone; English queries gain from Swedish glossary terms (index/translate.py);
and the lexical side may only nudge the dense ranking, in proportion to how completely a chunk covers the
query's concepts — plain fusion with BM25 loses to dense alone here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from index import vectors as vector_search
from index.embedders import Embedder, embedder_id, get_embedder
from index.language import detect_language
from index.lexical import tokenize
from index.query import retrieval_text
from index.sentences import sentence_spans
from index.store import EmbedderMismatch, StoredIndex, load_build, read_manifest
from index.translate import swedish_concepts
from ingest.models import Chunk

Retriever = Literal["hybrid", "dense", "bm25"]
RETRIEVERS: tuple[str, ...] = ("hybrid", "dense", "bm25")
SENTENCE_WEIGHT = 0.6  # dense score = 0.4 · chunk similarity + 0.6 · best sentence similarity
# hybrid = dense + weight[language] · (max-normalised BM25 × concept coverage²). Dense similarities of
# candidate chunks lie within ~0.02 of each other, so these small weights already decide close calls.
LEXICAL_WEIGHT = {"sv": 0.02, "en": 0.02}
LEXICAL_CANDIDATES = 100  # coverage is computed for the top BM25 chunks only
# Large indexes (docs/benchmarks.md): from CANDIDATES_FROM chunks on, the dense side mixes only candidate chunks —
# the top CHUNK_CANDIDATES chunks and the chunks of the top SENTENCE_CANDIDATES sentences (plus the top BM25
# chunks for hybrid), each scored exactly from the stored vectors — and widens the candidate search until no
# other chunk could reach the top k. Smaller indexes score every chunk, exactly as before.
CANDIDATES_FROM = 5_000
CHUNK_CANDIDATES = 200
SENTENCE_CANDIDATES = 500
STEM_CACHE = 200_000  # chunks whose stems the hybrid side keeps (large indexes)
EXACT_SUBSET = 2_000  # a filter leaving at most this many chunks is scored exactly over that subset


@dataclass(frozen=True)
class Filters:
    """Restrict results to a document, a priority (1–6) and/or a section id."""

    doc: str | None = None
    priority: int | None = None
    section: str | None = None

    def allows(self, chunk: Chunk) -> bool:
        return (
            (self.doc is None or chunk.doc_id == self.doc)
            and (self.priority is None or chunk.priority == self.priority)
            and (self.section is None or chunk.section_id == self.section)
        )


@dataclass
class Hit:
    """One ranked chunk with its scores and the sentence(s) that best match the query."""

    rank: int
    score: float
    chunk: Chunk
    dense_score: float | None = None
    bm25_score: float | None = None
    highlights: list[tuple[int, int]] = field(default_factory=list)  # character offsets into chunk.text


@dataclass
class _Scores:
    dense: np.ndarray | None
    lexical: np.ndarray | None
    best_sentence: np.ndarray | None  # per chunk: row in the sentence table of its best sentence, or -1
    evidence: np.ndarray | None = None  # BM25 × concept coverage², for the fusion


@dataclass(frozen=True)
class PreparedQuery:
    """A query as each side of the retriever sees it."""

    language: str
    dense_text: str  # frame-stripped; English queries carry their Swedish glossary terms
    lexical_text: str  # Swedish words for BM25 (glossary terms for English queries)
    concepts: tuple[frozenset[frozenset[str]], ...]  # each concept: alternative stem sets


def prepare_query(query: str, language: str | None = None) -> PreparedQuery:
    """Strip the question frame, detect the language and translate English domain words to Swedish."""
    language = language or detect_language(query)
    text = retrieval_text(query)
    if language == "en":
        concepts = swedish_concepts(text)
        terms = list(dict.fromkeys(term for concept in concepts for term in concept))
        dense_text = f"{text} ({', '.join(terms)})" if terms else text
        lexical_text = " ".join(terms)
        stems = tuple(frozenset(frozenset(tokenize([t])[0]) for t in concept) for concept in concepts)
    else:
        dense_text = lexical_text = text
        stems = tuple(frozenset([frozenset([stem])]) for stem in dict.fromkeys(tokenize([text])[0]))
    return PreparedQuery(language, dense_text, lexical_text, tuple(c for c in stems if any(c)))


class SearchIndex:
    """An index loaded for searching, with its embedder."""

    def __init__(self, stored: StoredIndex, embedder: Embedder) -> None:
        self.stored = stored
        self.embedder = embedder
        self.chunks = stored.chunks
        self.manifest = stored.manifest
        self._stems: dict[int, frozenset[str]] = {}
        self._fields: dict[str, dict[object, np.ndarray]] | None = None  # filter field → value → positions
        self._sentence_table: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None

    @classmethod
    def open(cls, index_dir: Path, embedder: Embedder | str | None = None) -> SearchIndex:
        """Load the index in `index_dir`; the embedder must be the one it was built with."""
        manifest = read_manifest(index_dir)
        built_with = manifest["embedder"]["id"]
        if isinstance(embedder, str) and embedder_id(embedder) != built_with:
            raise EmbedderMismatch(Path(index_dir), built_with, embedder_id(embedder))
        if embedder is None or isinstance(embedder, str):
            embedder = get_embedder(built_with if built_with.startswith("st:") else "e5")
        if embedder.id != built_with:
            raise EmbedderMismatch(Path(index_dir), built_with, embedder.id)
        return cls(load_build(index_dir), embedder)

    def search(
        self,
        query: str,
        k: int = 10,
        retriever: Retriever = "hybrid",
        filters: Filters | None = None,
        language: str | None = None,
    ) -> list[Hit]:
        """Rank chunks for a query; `language` ('sv'/'en') overrides detection for the fusion weights."""
        if retriever not in RETRIEVERS:
            raise ValueError(f"unknown retriever {retriever!r}; use one of {', '.join(RETRIEVERS)}")
        if len(self.chunks) >= CANDIDATES_FROM:
            return self._search_candidates(query, k, retriever, filters, language)
        allowed = self._allowed(filters)
        if k <= 0 or not len(allowed):
            return []
        prepared = prepare_query(query, language)
        scores = self._scores(prepared, retriever, allowed)
        if retriever == "dense":
            final = scores.dense
        elif retriever == "bm25":
            final = scores.lexical
        else:
            final = scores.dense + LEXICAL_WEIGHT[prepared.language] * scores.evidence
        if retriever == "bm25":
            allowed = allowed[final[allowed] > 0]  # a chunk sharing no term with the query is no match
        subset = final[allowed]
        order = allowed[np.argsort(-subset, kind="stable")[:k]]
        return [
            self._hit(rank, int(position), float(final[position]), scores, query)
            for rank, position in enumerate(order, start=1)
        ]

    def query_vector(self, text: str) -> np.ndarray:
        return self.embedder.embed_queries([text])[0]

    def _scores(self, query: PreparedQuery, retriever: str, allowed: np.ndarray) -> _Scores:
        dense = best = lexical = evidence = None
        if retriever != "bm25":
            dense, best = self.dense_scores(self.query_vector(query.dense_text), allowed)
        if retriever != "dense":
            lexical = self.stored.lexical.scores(query.lexical_text)
        if retriever == "hybrid":
            evidence = self._lexical_evidence(lexical, query.concepts)
        return _Scores(dense, lexical, best, evidence)

    def _lexical_evidence(self, lexical: np.ndarray, concepts: tuple[frozenset[frozenset[str]], ...]) -> np.ndarray:
        """Max-normalised BM25 × (share of the query's concepts the chunk contains)², for top BM25 chunks."""
        evidence = np.zeros(len(self.chunks), dtype=np.float32)
        if not concepts or not len(lexical) or lexical.max() <= 0:
            return evidence
        normalised = lexical / lexical.max()
        candidates = np.argsort(-lexical)[:LEXICAL_CANDIDATES]
        for position in candidates[lexical[candidates] > 0]:
            stems = self._chunk_stems(int(position))
            covered = sum(any(alternative <= stems for alternative in concept) for concept in concepts)
            evidence[position] = normalised[position] * (covered / len(concepts)) ** 2
        return evidence

    def _cache_stems(self, positions: np.ndarray) -> None:
        """_chunk_stems for many chunks with one tokenizer call (per-text tokens are the same as one by one)."""
        missing = [int(p) for p in positions if int(p) not in self._stems]
        if missing:
            if len(self._stems) > STEM_CACHE:
                self._stems.clear()  # bounded memory on large indexes
            texts = [" ".join(self.chunks[p].heading_path) + " " + self.chunks[p].text for p in missing]
            for position, tokens in zip(missing, tokenize(texts), strict=True):
                self._stems[position] = frozenset(tokens)

    def _chunk_stems(self, position: int) -> frozenset[str]:
        cached = self._stems.get(position)
        if cached is None:
            chunk = self.chunks[position]
            cached = self._stems[position] = frozenset(tokenize([" ".join(chunk.heading_path) + " " + chunk.text])[0])
        return cached

    def dense_scores(
        self, query_vector: np.ndarray, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per chunk: the mixed chunk/sentence similarity (others -inf) and the row of its best sentence.

        From CANDIDATES_FROM chunks on, only candidate chunks (see search) get a score; the others stay -inf."""
        n = len(self.chunks)
        if n >= CANDIDATES_FROM:
            restrict = None if allowed is None or len(allowed) == n else np.asarray(allowed, dtype=np.int64)
            positions, mixed, best, _, _ = self._dense_candidates(query_vector, restrict, None, 1)
            dense = np.full(n, -np.inf, dtype=np.float32)
            rows = np.full(n, -1, dtype=np.int64)
            dense[positions], rows[positions] = mixed, best
            return dense, rows
        allowed = np.arange(n) if allowed is None else allowed
        chunk_sim = _search_all(self.stored.faiss_index, query_vector, allowed if len(allowed) < n else None)
        spans = self.stored.sentence_spans
        sentence_rows = np.arange(len(spans))
        if len(allowed) < n:
            sentence_rows = sentence_rows[np.isin(spans[:, 0], allowed)]
        sentence_sim = _search_all(
            self.stored.sentence_faiss, query_vector, sentence_rows if len(sentence_rows) < len(spans) else None
        )
        best_value = np.full(n, -np.inf, dtype=np.float32)
        np.maximum.at(best_value, spans[:, 0], sentence_sim)
        best_row = np.full(n, -1, dtype=np.int64)
        is_best = sentence_sim >= best_value[spans[:, 0]]
        best_row[spans[is_best, 0]] = np.nonzero(is_best)[0]
        has_sentence = np.isfinite(best_value)
        mixed = np.where(has_sentence, (1 - SENTENCE_WEIGHT) * chunk_sim + SENTENCE_WEIGHT * best_value, chunk_sim)
        mask = np.full(n, -np.inf, dtype=np.float32)
        mask[allowed] = 0.0
        return (mixed + mask).astype(np.float32), best_row

    def _allowed(self, filters: Filters | None) -> np.ndarray:
        """Positions (ascending) of the chunks the filters allow."""
        if filters is None or filters == Filters():
            return np.arange(len(self.chunks))
        allowed: np.ndarray | None = None
        for name, value in (("doc", filters.doc), ("priority", filters.priority), ("section", filters.section)):
            if value is not None:
                positions = self._field_positions(name).get(value, np.zeros(0, dtype=np.int64))
                allowed = positions if allowed is None else np.intersect1d(allowed, positions, assume_unique=True)
        return allowed if allowed is not None else np.arange(len(self.chunks))

    def _field_positions(self, name: str) -> dict[object, np.ndarray]:
        """value → ascending chunk positions, per filter field (built once, at the first filtered search)."""
        if self._fields is None:
            fields: dict[str, dict[object, list[int]]] = {"doc": {}, "priority": {}, "section": {}}
            for position, chunk in enumerate(self.chunks):
                fields["doc"].setdefault(chunk.doc_id, []).append(position)
                fields["priority"].setdefault(chunk.priority, []).append(position)
                fields["section"].setdefault(chunk.section_id, []).append(position)
            self._fields = {
                field_name: {value: np.array(rows, dtype=np.int64) for value, rows in values.items()}
                for field_name, values in fields.items()
            }
        return self._fields[name]

    # --- large indexes: candidate search -------------------------------------------------------------------------

    def _search_candidates(
        self, query: str, k: int, retriever: str, filters: Filters | None, language: str | None
    ) -> list[Hit]:
        """search() for indexes of CANDIDATES_FROM chunks or more: rank candidates instead of every chunk."""
        allowed = None if filters is None or filters == Filters() else self._allowed(filters)
        if k <= 0 or (allowed is not None and not len(allowed)):
            return []
        prepared = prepare_query(query, language)
        lexical = None
        if retriever != "dense":
            lexical = self.stored.lexical.scores(prepared.lexical_text)
        if retriever == "bm25":
            matching = np.flatnonzero(lexical > 0)
            if allowed is not None:
                matching = np.intersect1d(matching, allowed, assume_unique=True)
            order = _top(matching, lexical[matching], k)
            return [
                self._make_hit(rank, int(p), float(lexical[p]), None, float(lexical[p]), -1, query)
                for rank, p in enumerate(order, start=1)
            ]
        boosted = boost = None
        if retriever == "hybrid":
            boosted, evidence = self._sparse_lexical_evidence(lexical, prepared.concepts)
            keep = evidence > 0
            if allowed is not None:
                keep &= np.isin(boosted, allowed)
            boosted, boost = boosted[keep], LEXICAL_WEIGHT[prepared.language] * evidence[keep]
        vector = self.query_vector(prepared.dense_text)
        scale = 1
        while True:
            positions, mixed, best, bound, exhaustive = self._dense_candidates(vector, allowed, boosted, scale)
            final = mixed.copy()
            if boosted is not None and len(boosted):
                final[np.searchsorted(positions, boosted)] += boost
            kth = np.partition(final, len(final) - k)[len(final) - k] if len(final) >= k else -np.inf
            if exhaustive or kth > bound:
                break
            scale *= 4  # another chunk could still reach the top k: widen the candidate search
        order = _top(np.arange(len(positions)), final, k)
        return [
            self._make_hit(
                rank,
                int(positions[i]),
                float(final[i]),
                float(mixed[i]),
                float(lexical[positions[i]]) if lexical is not None else None,
                int(best[i]),
                query,
            )
            for rank, i in enumerate(order, start=1)
        ]

    def _sparse_lexical_evidence(
        self, lexical: np.ndarray, concepts: tuple[frozenset[frozenset[str]], ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """_lexical_evidence for the top BM25 chunks only: (ascending positions, evidence)."""
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if not concepts or not len(lexical):
            return empty
        matching = np.flatnonzero(lexical > 0)
        if not len(matching):
            return empty
        top = float(lexical[matching].max())
        candidates = np.sort(_top(matching, lexical[matching], LEXICAL_CANDIDATES))
        self._cache_stems(candidates)
        evidence = np.zeros(len(candidates), dtype=np.float32)
        for i, position in enumerate(candidates):
            stems = self._chunk_stems(int(position))
            covered = sum(any(alternative <= stems for alternative in concept) for concept in concepts)
            evidence[i] = lexical[position] / top * (covered / len(concepts)) ** 2
        return candidates, evidence

    def _sentence_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Per chunk position: [start, end) into the sentence table sorted by chunk, and that sort (None if the
        table is already in chunk order, as builds write it)."""
        if self._sentence_table is None:
            owners = np.asarray(self.stored.sentence_spans[:, 0], dtype=np.int64)
            order = None
            if len(owners) and np.any(np.diff(owners) < 0):
                order = np.argsort(owners, kind="stable")
                owners = owners[order]
            chunk_positions = np.arange(len(self.chunks))
            starts = np.searchsorted(owners, chunk_positions, side="left")
            ends = np.searchsorted(owners, chunk_positions, side="right")
            self._sentence_table = (starts, ends, order)
        return self._sentence_table

    def _dense_candidates(
        self, vector: np.ndarray, allowed: np.ndarray | None, extra: np.ndarray | None, scale: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, bool]:
        """Candidate chunks (ascending positions) with their exact mixed dense score and best sentence row, an
        upper bound on the score of any other allowed chunk, and whether every allowed chunk is a candidate.

        Candidates: the allowed chunks themselves when there are at most EXACT_SUBSET; otherwise the top
        CHUNK_CANDIDATES·scale chunks, the chunks of the top SENTENCE_CANDIDATES·scale sentences, and `extra`."""
        stored = self.stored
        n, n_sentences = len(self.chunks), len(stored.sentence_spans)
        vector = np.asarray(vector, dtype=np.float32)
        if allowed is not None and len(allowed) <= EXACT_SUBSET:
            positions, bound, exhaustive = np.asarray(allowed, dtype=np.int64), -np.inf, True
        else:
            chunk_params = sentence_params = None
            n_allowed, s_allowed = n, n_sentences
            if allowed is not None:
                mask = np.zeros(n, dtype=bool)
                mask[allowed] = True
                sentence_mask = mask[stored.sentence_spans[:, 0]]
                n_allowed, s_allowed = len(allowed), int(sentence_mask.sum())
                chunk_params = vector_search.search_parameters(stored.faiss_index, _bitmap(mask))
                sentence_params = vector_search.search_parameters(stored.sentence_faiss, _bitmap(sentence_mask))
            kc = min(n_allowed, CHUNK_CANDIDATES * scale)
            ks = min(s_allowed, SENTENCE_CANDIDATES * scale)
            chunk_sim, chunk_ids = vector_search.search(stored.faiss_index, stored.vectors, vector, kc, chunk_params)
            sentence_sim, sentence_ids = vector_search.search(
                stored.sentence_faiss, stored.sentence_vectors, vector, ks, sentence_params
            )
            chunk_ids, sentence_ids = chunk_ids[0][chunk_ids[0] >= 0], sentence_ids[0][sentence_ids[0] >= 0]
            parts = [chunk_ids, stored.sentence_spans[sentence_ids, 0].astype(np.int64)]
            if extra is not None:
                parts.append(np.asarray(extra, dtype=np.int64))
            positions = np.unique(np.concatenate(parts))
            # a chunk outside both lists has chunk similarity ≤ the last chunk found and sentences ≤ the last found
            last_chunk = float(chunk_sim[0][len(chunk_ids) - 1]) if len(chunk_ids) == kc < n_allowed else -np.inf
            last_sentence = (
                float(sentence_sim[0][len(sentence_ids) - 1]) if len(sentence_ids) == ks < s_allowed else -np.inf
            )
            bound = max(last_chunk, (1 - SENTENCE_WEIGHT) * last_chunk + SENTENCE_WEIGHT * last_sentence)
            exhaustive = kc >= n_allowed and ks >= s_allowed
        mixed, best = self._mixed_scores(vector, positions)
        return positions, mixed, best, bound, exhaustive

    def _mixed_scores(self, vector: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dense_scores for the given chunk positions only, from the stored vectors."""
        stored = self.stored
        chunk_sim = vector_search.dot(stored.vectors[positions], vector)
        starts, ends, order = self._sentence_rows()
        counts = ends[positions] - starts[positions]
        owner = np.repeat(np.arange(len(positions)), counts)
        offsets = np.cumsum(counts) - counts
        rows = starts[positions][owner] + (np.arange(int(counts.sum())) - offsets[owner])
        if order is not None:
            rows = order[rows]
        sentence_sim = vector_search.dot(stored.sentence_vectors[rows], vector)
        best_value = np.full(len(positions), -np.inf, dtype=np.float32)
        np.maximum.at(best_value, owner, sentence_sim)
        best_row = np.full(len(positions), -1, dtype=np.int64)
        is_best = sentence_sim >= best_value[owner]
        best_row[owner[is_best]] = rows[is_best]
        has_sentence = np.isfinite(best_value)
        mixed = np.where(has_sentence, (1 - SENTENCE_WEIGHT) * chunk_sim + SENTENCE_WEIGHT * best_value, chunk_sim)
        return mixed.astype(np.float32), best_row

    def _hit(self, rank: int, position: int, score: float, scores: _Scores, query: str) -> Hit:
        return self._make_hit(
            rank,
            position,
            score,
            float(scores.dense[position]) if scores.dense is not None else None,
            float(scores.lexical[position]) if scores.lexical is not None else None,
            int(scores.best_sentence[position]) if scores.best_sentence is not None else -1,
            query,
        )

    def _make_hit(
        self, rank: int, position: int, score: float, dense: float | None, bm25: float | None, best: int, query: str
    ) -> Hit:
        chunk = self.chunks[position]
        if best >= 0:
            _, start, end = self.stored.sentence_spans[best]
            highlights = [(int(start), int(end))]
        else:
            highlights = lexical_best_sentence(chunk.text, query)
        return Hit(
            rank=rank,
            score=score,
            chunk=chunk,
            dense_score=dense,
            bm25_score=bm25,
            highlights=highlights,
        )


def _search_all(index: faiss.Index, vector: np.ndarray, subset: np.ndarray | None) -> np.ndarray:
    """Similarity of the query to every vector in `index` (-inf outside `subset`)."""
    total = index.ntotal
    scores = np.full(total, -np.inf, dtype=np.float32)
    if total == 0:
        return scores
    params = None
    limit = total
    if subset is not None:
        if not len(subset):
            return scores
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(subset.astype(np.int64)))
        limit = len(subset)
    with vector_search.single_threaded():  # same scores, without fork-join overhead for one query
        found, ids = index.search(np.ascontiguousarray(vector[None, :], dtype=np.float32), limit, params=params)
    valid = ids[0] >= 0
    scores[ids[0][valid]] = found[0][valid]
    return scores


def _top(positions: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """The k positions with the highest values, ties by position — the same as a stable argsort over ascending
    positions, without sorting them all."""
    if len(values) > 4 * k:
        threshold = np.partition(values, len(values) - k)[len(values) - k]
        keep = np.flatnonzero(values >= threshold)
        positions, values = positions[keep], values[keep]
    return positions[np.argsort(-values, kind="stable")[:k]]


def _bitmap(mask: np.ndarray) -> faiss.IDSelectorBitmap:
    """A FAISS selector for the True rows of `mask` (the bitmap array is kept alive on the selector)."""
    bits = np.packbits(mask, bitorder="little")
    selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
    selector.bits_array = bits
    return selector


def _max_normalised(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if len(scores) else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


def lexical_best_sentence(text: str, query: str) -> list[tuple[int, int]]:
    """The span of the sentence sharing the most stemmed query terms (the first sentence if none do)."""
    spans = sentence_spans(text)
    if not spans:
        return []
    tokens = tokenize([query] + [text[s:e] for s, e in spans])  # one call: per-text tokens are the same
    terms = set(tokens[0])
    overlaps = [len(terms & set(sentence)) for sentence in tokens[1:]]
    best = max(range(len(spans)), key=lambda i: (overlaps[i], -i))
    return [spans[best]]
