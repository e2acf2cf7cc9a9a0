"""Everyday phrasings: how people ask for what each passage covers, kept as data beside the translation memory.

The strategy speaks in planning language ("attraktiva livsmiljöer", "kompetensförsörjning"); people ask "help for
lonely old people" or "our shop might close". For every chunk of the strategy the team wrote a few such
phrasings — a question, a keyword phrase, a situation — in English and in Swedish, from the passage's own text
and without sight of any evaluation question (doc2query, by hand). They are kept as gettext PO files in the
translations folder, `<doc id>.<language>.phrasings.po`, keyed like the translation memory by a fingerprint of the
Swedish passage (index/translation_memory.py), one phrasing per line of an entry's msgstr, so a passage whose
text changes loses its phrasings until they are written again.

The build embeds each phrasing as a query (query-to-query similarity is what e5 measures best) into the build's
PhrasingTable (index/store.py). At search (index/search.py) the phrasings lift at most one passage: the one whose
closest phrasing is closest to the question, by PHRASING_WEIGHT × how far that similarity leads every other
passage's closest phrasing (and PHRASING_FLOOR). e5 rates any two short questions 0.80–0.88 alike, so a bonus for
every passage near a phrasing moved short questions to whichever neighbour's phrasing happened to share a word
("trygga passager för renar" to road safety); a lead over all other passages is a match the phrasings agree on.
Only the ranking moves: a hit's dense_score, which decides the answer state, stays the passage's own similarity,
so an off-topic question does not gain confidence from a phrasing that merely resembles it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.store import PhrasingTable
from index.translation_memory import Memory, load_memory
from ingest.models import Chunk

LANGUAGES = ("en", "sv")
# Chosen on eval/realistic_tune.jsonl (docs/retrieval.md, "Everyday phrasings"): section hit@1 0.829 → 0.878 with
# dev and gold_extra not lower; weight 2 gives tune 0.890 but gold_extra 0.931 (0.944 at 1), weight 4 loses dev.
# Re-checked with the second round of phrasings (six per language): 0.5 / 1.5 / 2 and floors 0.80 / 0.84 no better.
PHRASING_WEIGHT = 1.0
PHRASING_FLOOR = 0.82  # the first rule's floor (0.80–0.85 scored alike on tune); a lead must also clear it


def phrasings_path(directory: Path, doc_id: str, language: str) -> Path:
    return Path(directory) / f"{doc_id}.{language}.phrasings.po"


def read_phrasings(chunks: Sequence[Chunk], directory: Path | None) -> list[tuple[int, str]]:
    """(chunk position, phrasing) for every current phrasing of the chunks' documents, in chunk order."""
    if directory is None:
        return []
    found: list[tuple[int, str]] = []
    memories: dict[str, list[Memory]] = {}
    for doc_id in dict.fromkeys(chunk.doc_id for chunk in chunks):
        for language in LANGUAGES:
            path = phrasings_path(directory, doc_id, language)
            if path.is_file():
                memories.setdefault(doc_id, []).append(load_memory(path))
    for position, chunk in enumerate(chunks):
        for memory in memories.get(chunk.doc_id, []):
            entry = memory.translation(chunk.text)
            if entry:
                found.extend((position, line.strip()) for line in entry.splitlines() if line.strip())
    return found


class PhrasingBonus:
    """Per question, the lift the phrasings give the one passage they single out (computed over all chunks)."""

    def __init__(self, table: PhrasingTable, n_chunks: int) -> None:
        self.table = table
        self.n_chunks = n_chunks
        # the build writes phrasings in chunk order: each chunk's phrasings are one run of rows
        self.chunks_with = np.unique(table.owners)
        self.run_starts = np.searchsorted(table.owners, self.chunks_with)

    def of(self, vector: np.ndarray) -> np.ndarray:
        """(n_chunks,) zero but for the passage(s) with the closest phrasing: PHRASING_WEIGHT × how far it leads the
        closest phrasing of every other passage and PHRASING_FLOOR."""
        bonus = np.zeros(self.n_chunks, dtype=np.float32)
        if not len(self.chunks_with):
            return bonus
        # BLAS (sgemv): 2.5× einsum's speed on 4,476 × 384 (98 vs 251 µs); the server runs BLAS on the calling
        # thread (service/cli/serve.py), so it does not spread this over cores
        similarity = self.table.vectors @ np.asarray(vector, dtype=np.float32)
        best = np.maximum.reduceat(similarity, self.run_starts)
        lead = best == best.max()  # an exact tie (one phrasing written for two passages) lifts both
        runner_up = float(best[~lead].max()) if not lead.all() else -np.inf
        bonus[self.chunks_with[lead]] = PHRASING_WEIGHT * max(0.0, float(best.max()) - max(PHRASING_FLOOR, runner_up))
        return bonus
