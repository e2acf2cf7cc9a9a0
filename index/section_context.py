"""A passage read in its place: its section's centroid (how close a query is to the section's topic as a whole) and
whether it is the strategy's framing text, which yields to topical text. Computed once at load, read-only after."""

from __future__ import annotations

import numpy as np

from index import vectors as vector_search
from index.analysis import asks_for_plans
from index.scores import unit_centroids
from index.store import StoredIndex
from index.translated import EnglishSide, fuse_english
from ingest.models import Chunk
from ingest.vocabulary import is_framing


class SectionContext:
    """Each chunk's section as a row of unit centroids, and the framing masks of the chunks."""

    def __init__(self, stored: StoredIndex) -> None:
        chunks = stored.chunks
        priority_section = {(c.doc_id, c.priority): c.section_id for c in chunks if c.kind == "priority"}
        rows: dict[tuple[str, str], int] = {}
        self.section_of = np.array(
            [rows.setdefault((c.doc_id, _context_section(c, priority_section)), len(rows)) for c in chunks],
            dtype=np.int64,
        )
        self.n_sections = len(rows)
        sentence_section = self.section_of[np.asarray(stored.sentence_spans[:, 0], dtype=np.int64)]
        self.centroids = unit_centroids(
            stored.sentence_vectors, sentence_section, stored.vectors, self.section_of, self.n_sections
        )
        framing = np.array([is_framing(chunk.kind, chunk.section_id) for chunk in chunks], dtype=np.float32)
        plan_lists = np.array([chunk.kind == "plans" for chunk in chunks], dtype=bool)
        self._framing = framing
        self._framing_without_plan_lists = np.where(plan_lists, np.float32(0), framing)

    def similarities(self, vector: np.ndarray, english: EnglishSide | None = None) -> np.ndarray:
        """Per section: the query's similarity to its centroid minus the best section's (≤ 0, so the dense side's
        bound on unseen chunks still holds); once per search. With the English side, a section with English
        sentences mixes in their centroid's similarity as the dense scores mix."""
        similarity = vector_search.dot(self.centroids, np.asarray(vector, dtype=np.float32))
        if english is not None:
            similarity = fuse_english(similarity, english.section_context(vector))
        return similarity - similarity.max()

    def framing(self, concepts: tuple[frozenset[frozenset[str]], ...]) -> np.ndarray:
        """Per chunk position: 1.0 for the strategy's framing text that yields to this query's topical text, else 0.0;
        the lists of other plans do not yield to a question that asks for strategies or plans."""
        return self._framing_without_plan_lists if asks_for_plans(concepts) else self._framing


def _context_section(chunk: Chunk, priority_section: dict[tuple[str, int | None], str]) -> str:
    """The section a passage is read in: its own, or its priority's for a list of plans. The strategy heads every
    priority's list of other plans alike, and a list of titles has no topic of its own (gold_extra evidence@5
    0.944 → 0.958 with this rule)."""
    if chunk.kind == "plans":
        return priority_section.get((chunk.doc_id, chunk.priority), chunk.section_id)
    return chunk.section_id
