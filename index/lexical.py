"""BM25 over chunks with Swedish stemming, stopwords and diacritic folding (bm25s + PyStemmer); and BM25 over
their English renderings (index/translation_memory.py) with English stemming and stopwords.

Stems are folded (å/ä → a, ö → o, é → e) after stemming, on the indexed text and on queries alike, so a user who
drops the diacritics ("bostader", "forskola") meets the text's "bostäder"/"förskola". Folding after stemming keeps
the stemmer's suffix rules, which depend on the letters; a word typed without diacritics may still stem differently
("samrad" → samr), which index/terms.py catches by looking the folded word itself up.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SWEDISH

if TYPE_CHECKING:
    from index.lexicon import Lexicon

LANGUAGE = "swedish"
TOKENIZER = "sv-snowball-folded-1"  # stored with the BM25 files; a build by another tokenizer must be rebuilt
TOKENIZER_FILE = "tokenizer.json"
ENGLISH_TOKENIZER = "en-snowball-1"  # the English renderings' BM25 side (index/translation_memory.py)
FOLD = str.maketrans("åäöéü", "aaoeu")
# Stopwords as users also type them, without diacritics ("for", "pa", "nar").
STOPWORDS = sorted(set(STOPWORDS_SWEDISH) | {word.translate(FOLD) for word in STOPWORDS_SWEDISH})
_STOPWORDS = frozenset(STOPWORDS)
WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default token pattern


def fold(text: str) -> str:
    """Swedish (and common accented) letters folded to their base letter."""
    return text.translate(FOLD)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer(LANGUAGE)


def stem_words(words: list[str]) -> list[str]:
    """Lower-cased words → folded Swedish stems."""
    return [fold(stem) for stem in _stemmer().stemWords(words)]


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, Swedish-stemmed, folded tokens with Swedish stopwords removed: the tokens of
    `bm25s.tokenize(texts, stopwords=STOPWORDS, stemmer=stem_words, return_ids=False)`, each distinct word stemmed
    once, without the three progress bars and the stopword set that bm25s builds on every call (per text, the set),
    which cost more than tokenizing a query (docs/benchmarks.md, "Request profile")."""
    split = [words(text) for text in texts]
    distinct = list(dict.fromkeys(word for text_words in split for word in text_words))
    stems = dict(zip(distinct, stem_words(distinct), strict=True))
    return [[stems[word] for word in text_words] for text_words in split]


@lru_cache(maxsize=1)
def _english_stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize_english(texts: list[str]) -> list[list[str]]:
    """Lower-cased, English-stemmed tokens with English stopwords removed."""
    return bm25s.tokenize(
        texts, stopwords=STOPWORDS_EN, stemmer=_english_stemmer().stemWords, return_ids=False, show_progress=False
    )


TOKENIZE = {TOKENIZER: tokenize, ENGLISH_TOKENIZER: tokenize_english}


def words(text: str) -> list[str]:
    """The lower-cased words of a text as tokenize splits them (stopwords removed), before stemming."""
    return [word for word in WORD.findall(text.lower()) if word not in _STOPWORDS]


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
        from index.lexicon import Lexicon

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
