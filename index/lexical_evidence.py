"""The lexical side of hybrid search: how completely a chunk covers a query's concepts, and the BM25 evidence that
may nudge the dense ranking in proportion to it (index/search.py). Also the BM25 share that match and align read.

The chunks' stems are tokenized when first needed and kept in a bounded cache guarded by a lock, so concurrent
searches share it safely."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np

from index.analysis import Concept, PreparedQuery, prepare_query
from index.hits import Hit
from index.scores import best_normalised
from index.store import StoredIndex
from index.tokens import tokenize

LEXICAL_CANDIDATES = 100  # coverage is computed for the top BM25 chunks only
STEM_CACHE = 200_000  # chunks whose stems are kept (large indexes)


class LexicalEvidence:
    """Concept coverage and BM25 evidence over one loaded build."""

    def __init__(self, stored: StoredIndex) -> None:
        self.stored = stored
        self._stems: dict[int, frozenset[str]] = {}
        self._lock = threading.Lock()

    def evidence(self, lexical: np.ndarray, concepts: tuple[Concept, ...]) -> tuple[np.ndarray, np.ndarray]:
        """For the top LEXICAL_CANDIDATES BM25 chunks (ascending positions): max-normalised BM25 × (share of the
        query's concepts the chunk contains)²."""
        if not concepts or not len(lexical):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        candidates, normalised = best_normalised(lexical, LEXICAL_CANDIDATES)
        if not len(candidates):
            return candidates, normalised
        coverage = np.asarray(self.coverage(candidates, concepts), dtype=np.float32)
        return candidates, (normalised * coverage**2).astype(np.float32)

    def coverage(self, positions: np.ndarray, concepts: tuple[Concept, ...]) -> list[float]:
        """Per chunk: the share of the query's concepts it contains (a concept counts when all stems of one of its
        alternatives are among the chunk's stems). One-stem alternatives, the usual kind, are tested together as
        one set per concept."""
        stems = self._stems_of(positions)
        covered = np.zeros(len(stems), dtype=np.int64)
        for concept in concepts:
            single = frozenset(stem for alternative in concept if len(alternative) == 1 for stem in alternative)
            other = [alternative for alternative in concept if len(alternative) != 1]  # an empty one is always in
            if other:
                covered += [
                    not single.isdisjoint(chunk) or any(alternative <= chunk for alternative in other)
                    for chunk in stems
                ]
            else:
                covered += [not single.isdisjoint(chunk) for chunk in stems]
        return (covered / len(concepts)).tolist()

    def with_coverage(self, hits: list[Hit], concepts: tuple[Concept, ...]) -> list[Hit]:
        """The hits with the share of the query's concepts each one's chunk contains."""
        if concepts and hits:
            for hit, share in zip(hits, self.coverage(np.array([h.position for h in hits]), concepts), strict=True):
                hit.coverage = share
        return hits

    def with_lexicon(self, prepared: PreparedQuery, vector: np.ndarray) -> PreparedQuery:
        """A short English query the glossary does not cover, with the index's Swedish words nearest to its vector
        (index/lexicon.py) as its BM25 terms: one concept that any of them covers."""
        lexicon = self.stored.lexical.lexicon
        related = tuple(s for s in lexicon.nearest(vector) if s not in prepared.lexical_tokens) if lexicon else ()
        if not related:
            return prepared
        concept = frozenset(frozenset([stem]) for stem in related)
        return replace(
            prepared, lexical_tokens=prepared.lexical_tokens + related, concepts=(*prepared.concepts, concept)
        )

    def share(self, texts: list[str], positions: list[int] | np.ndarray, language: str | None = None) -> np.ndarray:
        """(len(positions), len(texts)): each text's BM25 score for the chunks at `positions` as a share of its best
        score over the whole index (0 when it shares no word with the index). Texts are read as queries (English
        ones through the glossary), so 1.0 means no chunk matches the text's words better than this one."""
        positions = np.asarray(positions, dtype=np.int64)
        shares = np.zeros((len(positions), len(texts)), dtype=np.float32)
        for column, text in enumerate(texts):
            scores = self.stored.lexical.scores(prepare_query(text, language).lexical_text)
            best = float(scores.max()) if len(scores) else 0.0
            if best > 0 and len(positions):
                shares[:, column] = scores[positions] / best
        return shares

    def _stems_of(self, positions: np.ndarray) -> list[frozenset[str]]:
        """Stems of the given chunks (heading path + text); those not cached yet are tokenized in one call."""
        wanted = positions.tolist()
        with self._lock:
            if len(self._stems) > STEM_CACHE:
                self._stems.clear()  # bounded memory on large indexes
            known = {p: self._stems[p] for p in wanted if p in self._stems}
        missing = [p for p in dict.fromkeys(wanted) if p not in known]
        if missing:
            chunks = self.stored.chunks
            texts = [" ".join(chunks[p].heading_path) + " " + chunks[p].text for p in missing]
            fresh = {position: frozenset(tokens) for position, tokens in zip(missing, tokenize(texts), strict=True)}
            known.update(fresh)
            with self._lock:
                self._stems.update(fresh)
        return [known[p] for p in wanted]
