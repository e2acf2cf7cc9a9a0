"""How text becomes BM25 tokens: Swedish stemming, stopwords and diacritic folding (PyStemmer), and English
stemming and stopwords for the English renderings (index/translation_memory.py).

Stems are folded (å/ä → a, ö → o, é → e) after stemming, on the indexed text and on queries alike, so a user who
drops the diacritics ("bostader", "forskola") meets the text's "bostäder"/"förskola". Folding after stemming keeps
the stemmer's suffix rules, which depend on the letters; a word typed without diacritics may still stem differently
("samrad" → samr), which index/terms.py catches by looking the folded word itself up.

The lowest room of the lexical side: the BM25 index (index/lexical.py) and the lexicon (index/lexicon.py) both use
it, and it imports neither.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SWEDISH

LANGUAGE = "swedish"
TOKENIZER = "sv-snowball-folded-1"  # stored with the BM25 files; a build by another tokenizer must be rebuilt
ENGLISH_TOKENIZER = "en-snowball-1"  # the English renderings' BM25 side (index/translation_memory.py)
FOLD = str.maketrans("åäöéü", "aaoeu")
# Stopwords as users also type them, without diacritics ("for", "pa", "nar").
STOPWORDS = sorted(set(STOPWORDS_SWEDISH) | {word.translate(FOLD) for word in STOPWORDS_SWEDISH})
_STOPWORDS = frozenset(STOPWORDS)
_STOPWORDS_EN = frozenset(STOPWORDS_EN)
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
    `bm25s.tokenize(texts, stopwords=STOPWORDS, stemmer=stem_words, return_ids=False)` (see `_stemmed`)."""
    return _stemmed(texts, _STOPWORDS, stem_words)


@lru_cache(maxsize=1)
def _english_stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize_english(texts: list[str]) -> list[list[str]]:
    """Lower-cased, English-stemmed tokens with English stopwords removed: the tokens of
    `bm25s.tokenize(texts, stopwords=STOPWORDS_EN, stemmer=<English snowball>, return_ids=False)`."""
    return _stemmed(texts, _STOPWORDS_EN, _english_stemmer().stemWords)


def _stemmed(
    texts: list[str], stopwords: frozenset[str], stem: Callable[[list[str]], list[str]]
) -> list[list[str]]:
    """bm25s.tokenize's tokens (lower-cased words of its pattern, stopwords removed, then stemmed), each distinct
    word stemmed once, without the three progress bars and the stopword set that bm25s builds on every call (per
    text, the set), which cost more than tokenizing a query (docs/benchmarks.md, "Request profile")."""
    split = [_words(text, stopwords) for text in texts]
    distinct = list(dict.fromkeys(word for text_words in split for word in text_words))
    stems = dict(zip(distinct, stem(distinct), strict=True))
    return [[stems[word] for word in text_words] for text_words in split]


TOKENIZE = {TOKENIZER: tokenize, ENGLISH_TOKENIZER: tokenize_english}


def words(text: str) -> list[str]:
    """The lower-cased words of a text as tokenize splits them (stopwords removed), before stemming."""
    return _words(text, _STOPWORDS)


def _words(text: str, stopwords: frozenset[str]) -> list[str]:
    return [word for word in WORD.findall(text.lower()) if word not in stopwords]
