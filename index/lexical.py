"""BM25 over chunks (bm25s), tokenized by index/tokens.py: Swedish stemming, stopwords and diacritic folding for
the strategy's text, English stemming and stopwords for its English renderings (index/translation_memory.py).
The vocabulary's lexicon (index/lexicon.py) is saved and loaded with it.
"""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np

from index.lexicon import Lexicon
from index.tokens import TOKENIZE, TOKENIZER, tokenize

TOKENIZER_FILE = "tokenizer.json"


class LexicalIndex:
    """A BM25 index whose scores line up with chunk positions."""

    def __init__(self, retriever: bm25s.BM25, size: int, tokenizer: str | None = TOKENIZER) -> None:
        self._retriever = retriever
        self.size = size
        self.tokenizer = tokenizer  # the tokenizer the vocabulary was built with (None: before versioning)
        self.lexicon: Lexicon | None = None  # the vocabulary's words with vectors (index/lexicon.py), if built
        self._document_frequency: dict[str, int] | None = None

    @classmethod
    def build(cls, texts: list[str], tokenizer: str = TOKENIZER) -> LexicalIndex:
        """BM25 over `texts` with the named tokenizer (TOKENIZER: Swedish; ENGLISH_TOKENIZER: English)."""
        retriever = bm25s.BM25()
        retriever.index(TOKENIZE[tokenizer](texts), show_progress=False)
        return cls(retriever, len(texts), tokenizer)

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory), show_progress=False)
        (Path(directory) / TOKENIZER_FILE).write_text(json.dumps({"tokenizer": self.tokenizer}), encoding="utf-8")
        if self.lexicon is not None:
            self.lexicon.save(Path(directory))

    @classmethod
    def load(cls, directory: Path, size: int) -> LexicalIndex:
        """Load the BM25 files with the name of the tokenizer that wrote them (searching needs TOKENIZER's)."""
        marker = Path(directory) / TOKENIZER_FILE
        built_by = json.loads(marker.read_text(encoding="utf-8")).get("tokenizer") if marker.is_file() else None
        loaded = cls(bm25s.BM25.load(str(directory), show_progress=False), size, built_by)
        loaded.lexicon = Lexicon.load(Path(directory))
        return loaded

    @property
    def vocabulary(self) -> dict[str, int]:
        """Indexed stem → token id (bm25s adds an entry for the empty string)."""
        return self._retriever.vocab_dict

    def document_frequency(self) -> dict[str, int]:
        """Indexed stem → number of chunks containing it (computed once)."""
        if self._document_frequency is None:
            indptr = np.asarray(self._retriever.scores["indptr"])
            counts = np.diff(indptr)
            self._document_frequency = {  # bm25s's empty-string entry has no column
                stem: int(counts[i]) for stem, i in self.vocabulary.items() if stem and i < len(counts)
            }
        return self._document_frequency

    def knows(self, stem: str) -> bool:
        """Whether a stem occurs in any indexed chunk."""
        return stem in self._retriever.vocab_dict

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """Texts tokenized as this index's texts were (Swedish unless it was built with ENGLISH_TOKENIZER)."""
        return TOKENIZE.get(self.tokenizer or TOKENIZER, tokenize)(texts)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros when no query term is in the vocabulary)."""
        return self.token_scores(self.tokenize([query])[0])

    def token_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for already tokenized query terms (unknown terms are ignored)."""
        known = [t for t in tokens if t in self.vocabulary]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)
