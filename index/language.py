"""Tell Swedish from English (the two languages users write in): stopword counts, then general word frequencies.

Stopwords decide most queries. A keyword query has none ("broadband", "drinking water", "vätgas"), so a tie is
decided by how common its words are in general English versus general Swedish text (the `wordfreq` package's
small word lists, ~30k words per language). A word neither list knows counts as English when it is an English
glossary entry (index/translate.py: "ergonomics"), else for neither; a query with no signal at all counts as
Swedish, the document's language.
"""

from __future__ import annotations

import re
from functools import lru_cache

import wordfreq

from index.translate import load_glossary
from index.wording import WORDING

# function words and letters of each language: [detection] in index/languages/sv.toml and en.toml
SWEDISH = frozenset(WORDING.language("sv").get("detection", "function_words"))
ENGLISH = frozenset(WORDING.language("en").get("detection", "function_words"))
SWEDISH_LETTERS = re.compile(f"[{WORDING.language('sv').text('detection', 'letters')}]", re.IGNORECASE)
WORDLIST = "small"
GLOSSARY_ZIPF = 3.0  # an unlisted glossary word weighs as an English word seen about once per million words
COMMON_ZIPF = 3.0  # a common word: seen at least once per million words of general English or Swedish text
# a function word of English: as frequent as "my", "his", "we" or "can" (zipf 6.3–6.7; "people" 6.25, "phone"
# 5.3) — what an English question's unknown share leaves out, as a Swedish one's stopwords are (index/analysis.py).
# Refitting the answer-state model at 5.5 / 6.0 / 6.5, its training negatives below the not-covered cut-off were 58 /
# 67 / 68 % and those answered confidently 9.1 / 8.0 / 9.1 % (docs/retrieval.md, "The unknown share in English")
FUNCTION_ZIPF = 6.0


@lru_cache(maxsize=2)
def _frequencies(language: str) -> dict[str, float]:
    return wordfreq.get_frequency_dict(language, WORDLIST)


def load_word_lists() -> None:
    """Read every word list the language checks use (≈ 0.35 s and 40 MB, once per process), so that the service
    pays it at start-up rather than in the first question that needs one."""
    _frequencies("en")
    _frequencies("sv")
    wordfreq.zipf_frequency("a", "en", wordlist="large")  # is_general_word's list (wordfreq keeps it loaded)


def english_lean(words: list[str]) -> float:
    """Σ over words of zipf(English) − zipf(Swedish), a word missing from a list scoring 0 there (GLOSSARY_ZIPF for
    a glossary word missing from both): > 0 leans English, < 0 Swedish."""
    english, swedish, glossary = _frequencies("en"), _frequencies("sv"), load_glossary()
    lean = 0.0
    for word in words:
        if word in english or word in swedish:
            lean += _zipf(english.get(word, 0.0)) - _zipf(swedish.get(word, 0.0))
        elif word in glossary:
            lean += GLOSSARY_ZIPF
    return lean


def is_common(word: str) -> bool:
    """Whether a (case-folded) word is common in general English or Swedish text; names mostly are not."""
    return max(_zipf(_frequencies("en").get(word, 0.0)), _zipf(_frequencies("sv").get(word, 0.0))) >= COMMON_ZIPF


def is_function_word(word: str) -> bool:
    """Whether a (case-folded) word is among the most frequent of general English (FUNCTION_ZIPF): a pronoun, an
    auxiliary, a preposition — no question's subject."""
    return _zipf(_frequencies("en").get(word, 0.0)) >= FUNCTION_ZIPF


def is_general_word(word: str) -> bool:
    """Whether a (case-folded) word is in general use at all: in wordfreq's large English list (which also has
    rare words such as "depopulation") or its small Swedish one (the large Swedish list holds many Swedish
    company and place names, "northvolt" among them)."""
    return wordfreq.zipf_frequency(word, "en", wordlist="large") > 0 or is_swedish_word(word)


def is_swedish_word(word: str) -> bool:
    """Whether a (lower-case) word is in wordfreq's small Swedish list: in general Swedish use."""
    return word in _frequencies("sv")


def _zipf(frequency: float) -> float:
    return wordfreq.freq_to_zipf(frequency) if frequency > 0 else 0.0


def detect_language(text: str) -> str:
    """'sv' or 'en'."""
    words = re.findall(r"[^\W\d_]+", text.casefold())
    swedish = sum(w in SWEDISH for w in words) + 0.5 * len(SWEDISH_LETTERS.findall(text)) / max(len(words), 1)
    english = sum(w in ENGLISH for w in words)
    if english != swedish:
        return "en" if english > swedish else "sv"
    return "en" if english_lean(words) > 0 else "sv"
