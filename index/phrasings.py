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

The phrasings' words are lexical evidence too (PhrasingWords; doc2query's document expansion): BM25 over each
passage's phrasings finds the passages people describe with the question's everyday words ("mobile coverage",
"lonely", "turism"), which the strategy's planning language never uses; hybrid search nudges them as it nudges the
strategy's own BM25 evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import faiss
import numpy as np

from index.lexical import LexicalIndex
from index.scores import best_normalised
from index.sentences import rows_in_ranges
from index.store import PhrasingTable
from index.tokens import ENGLISH_TOKENIZER, TOKENIZER
from index.translation_memory import Memory, load_memory
from index.vectors import RERANK, single_threaded
from ingest.models import Chunk

LANGUAGES = ("en", "sv")
# Chosen on eval/realistic_tune.jsonl (docs/retrieval.md, "Everyday phrasings"): section hit@1 0.829 → 0.878 with
# dev and gold_extra not lower; weight 2 gives tune 0.890 but gold_extra 0.931 (0.944 at 1), weight 4 loses dev.
# Re-checked with the second round of phrasings (six per language): 0.5 / 1.5 / 2 and floors 0.80 / 0.84 no better.
PHRASING_WEIGHT = 1.0
PHRASING_FLOOR = 0.82  # the first rule's floor (0.80–0.85 scored alike on tune); a lead must also clear it
# The phrasings' words: hybrid search adds weight[question's language] × the max-normalised BM25 of the passage's
# phrasings, for the PHRASING_WORDS_CANDIDATES best. Chosen on eval/realistic_tune.jsonl (docs/retrieval.md, "The
# phrasings' words"): section hit@1 0.890 → 0.951 (English 0.868 → 0.974, Swedish 0.909 → 0.932), dev and gold_extra
# one item up each. English 0.06–0.12 scored alike (0.16 loses dev); Swedish 0.005, 0.015 and 0.02 one tune item fewer
# than 0.01 — a Swedish question has the strategy's own words, an English one only the formal rendering's.
PHRASING_WORDS_WEIGHT = {"sv": 0.01, "en": 0.08}
PHRASING_WORDS_CANDIDATES = 20


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


def phrasing_rows(table: PhrasingTable, positions: Sequence[int] | np.ndarray) -> np.ndarray:
    """The rows of `table` that hold the phrasings of the chunks at `positions` (each chunk's phrasings are one run of
    rows: the build writes them in chunk order, and PhrasingTable.load checks it)."""
    positions = np.asarray(positions, dtype=np.int64)
    starts = np.searchsorted(table.owners, positions)
    ends = np.searchsorted(table.owners, positions, side="right")
    rows, _ = rows_in_ranges(starts, ends, np.arange(len(positions)))
    return rows


class PhrasingBonus:
    """Per question, the lift the phrasings give the one passage they single out (computed over all chunks)."""

    def __init__(self, table: PhrasingTable, n_chunks: int) -> None:
        self.table = table
        self.n_chunks = n_chunks
        # Half-precision codes of the phrasings (+3.4 MB), searched first; the best RERANK × fetch are re-ranked with
        # the float vectors, so the lift is the one the float vectors give. A search right after an encoder call
        # finds none of the 6.9 MB of float vectors in cache: streaming half as much took the step 646 → 315–347 µs
        # (p50 over 200 of make bench's queries, one thread; docs/benchmarks.md).
        self.codes = faiss.IndexScalarQuantizer(
            table.vectors.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        self.codes.add(np.ascontiguousarray(table.vectors, dtype=np.float32))
        # enough of the best phrasings to hold another passage's best one, whatever one passage has
        self.fetch = int(np.bincount(table.owners).max()) + 1 if len(table.owners) else 0

    def of(self, vector: np.ndarray) -> np.ndarray:
        """(n_chunks,) zero but for the passage(s) with the closest phrasing: PHRASING_WEIGHT × how far it leads the
        closest phrasing of every other passage and PHRASING_FLOOR."""
        bonus = np.zeros(self.n_chunks, dtype=np.float32)
        if not self.fetch:
            return bonus
        query = np.asarray(vector, dtype=np.float32)
        with single_threaded():
            _, found = self.codes.search(query[None, :], RERANK * self.fetch)
        rows = found[0][found[0] >= 0]
        scores = self.table.vectors[rows] @ query  # exact, for the few best
        order = np.argsort(-scores, kind="stable")
        best = float(scores[order[0]])
        lead: set[int] = set()  # an exact tie (one phrasing written for two passages) lifts both
        runner_up = -np.inf
        for score, owner in zip(scores[order].tolist(), self.table.owners[rows[order]].tolist(), strict=True):
            if score == best:
                lead.add(owner)
            elif owner not in lead:
                runner_up = score
                break
        bonus[sorted(lead)] = PHRASING_WEIGHT * max(0.0, best - max(PHRASING_FLOOR, runner_up))
        return bonus


class PhrasingWords:
    """BM25 over each passage's everyday phrasings, both languages as one document per passage, scored with the
    question's language's analyser (a Swedish place name in an English question still meets its Swedish phrasings)."""

    def __init__(self, table: PhrasingTable) -> None:
        self.owners, starts = np.unique(table.owners, return_index=True)  # the passages with phrasings, ascending
        bounds = [*starts.tolist(), len(table.owners)]  # each passage's phrasings are one run of rows
        documents = [" ".join(table.texts[start:end]) for start, end in pairwise(bounds)]
        analysers = {"sv": TOKENIZER, "en": ENGLISH_TOKENIZER} if documents else {}
        self.sides = {language: LexicalIndex.build(documents, name) for language, name in analysers.items()}

    def evidence(self, text: str, language: str) -> tuple[np.ndarray, np.ndarray]:
        """The chunk positions whose phrasings share words with `text` (at most PHRASING_WORDS_CANDIDATES, the best by
        BM25; ascending) and each one's nudge: PHRASING_WORDS_WEIGHT[language] × its BM25 / the best one's."""
        side, weight = self.sides.get(language), PHRASING_WORDS_WEIGHT.get(language, 0.0)
        if side is None or not weight:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        best, normalised = best_normalised(side.scores(text), PHRASING_WORDS_CANDIDATES)
        return self.owners[best], (weight * normalised).astype(np.float32)
