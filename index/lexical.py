"""BM25 over chunks with Swedish stemming and stopwords (bm25s + PyStemmer)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

LANGUAGE = "swedish"


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer(LANGUAGE)


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, Swedish-stemmed tokens with Swedish stopwords removed."""
    return bm25s.tokenize(texts, stopwords="sv", stemmer=_stemmer(), return_ids=False, show_progress=False)


class LexicalIndex:
    """A BM25 index whose scores line up with chunk positions."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        retriever = bm25s.BM25()
        retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, size: int) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(directory), show_progress=False), size)

    def knows(self, stem: str) -> bool:
        """Whether a stem occurs in any indexed chunk."""
        return stem in self._retriever.vocab_dict

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros when no query term is in the vocabulary)."""
        tokens = tokenize([query])[0]
        vocab = self._retriever.vocab_dict
        known = [t for t in tokens if t in vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)
