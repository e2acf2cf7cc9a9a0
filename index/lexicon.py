"""A bilingual lexicon derived from the embedder: the index's Swedish vocabulary words nearest to an English query.

The hand-written glossary (index/translate.py) is tuned to one document. This lexicon is derived from whatever
is indexed: at build time every vocabulary stem's most frequent word form in the chunks is embedded once (as a
passage; vectors are reused across builds by text, like chunk vectors), and at query time the query's own vector
— already computed for the dense side — picks the Swedish words most similar to it ("reindeer" → renar,
rennäringen). No query-time embedding: one matrix–vector product over the word vectors.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.tokens import stem_words, words
from index.vectors import dot

WORDS_FILE = "lexicon_words.json"
VECTORS_FILE = "lexicon_vectors.npy"
MIN_WORD = 4  # letters; shorter words are mostly function words and abbreviations
# Measured on eval/realistic_tune.jsonl (docs/retrieval.md, "Real wording: lexical side").
# Short queries only: the vector of a long text is near the document's generic words ("delprioritering").
SIMILARITY = 0.86
MARGIN = 0.02  # and at most this far below the best word: past it come loosely related words ("vatten")
NEAREST = 3
MAX_QUERY_WORDS = 8


@dataclass
class Lexicon:
    """Swedish vocabulary words, their stems and their (unit) vectors, row-aligned."""

    words: list[str]
    stems: list[str]
    vectors: np.ndarray

    @staticmethod
    def vocabulary(texts: list[str]) -> tuple[list[str], list[str]]:
        """Per stem of the texts (alphabetic words of ≥ MIN_WORD letters): its most frequent word form."""
        forms: dict[str, Counter[str]] = {}
        counts = Counter(w for text in texts for w in words(text) if len(w) >= MIN_WORD and w.isalpha())
        distinct = sorted(counts)
        for word, stem in zip(distinct, stem_words(distinct), strict=True):
            forms.setdefault(stem, Counter())[word] = counts[word]
        stems = sorted(forms)
        return [forms[s].most_common(1)[0][0] for s in stems], stems

    @staticmethod
    def applies_to(n_words: int) -> bool:
        """Whether a query of `n_words` words is short enough for its vector to stand for its words (at most
        MAX_QUERY_WORDS)."""
        return n_words <= MAX_QUERY_WORDS

    def nearest(self, vector: np.ndarray) -> list[str]:
        """Stems of the (at most NEAREST) words most similar to the query vector, each at least SIMILARITY and
        within MARGIN of the best, most similar first."""
        if not len(self.stems):
            return []
        sims = dot(self.vectors, vector)  # on the calling thread: BLAS would split it and may stall under load
        top = np.argsort(-sims)[:NEAREST]
        floor = max(SIMILARITY, float(sims[top[0]]) - MARGIN)
        return [self.stems[i] for i in top if sims[i] >= floor]

    def save(self, directory: Path) -> None:
        (directory / WORDS_FILE).write_text(
            json.dumps({"words": self.words, "stems": self.stems}, ensure_ascii=False), encoding="utf-8"
        )
        np.save(directory / VECTORS_FILE, self.vectors.astype(np.float32))

    @classmethod
    def load(cls, directory: Path) -> Lexicon | None:
        """The lexicon saved in `directory`, or None when the build has none."""
        if not (directory / WORDS_FILE).is_file():
            return None
        data = json.loads((directory / WORDS_FILE).read_text(encoding="utf-8"))
        vectors = np.load(directory / VECTORS_FILE)
        if len(vectors) != len(data["words"]) or len(data["stems"]) != len(data["words"]):
            raise ValueError("lexicon words and vectors differ in length")
        return cls(data["words"], data["stems"], vectors)
