"""Link the plans a strategy mentions ("Vägen framåt – exempel på andra strategier och planer") to library documents.

The strategy names plans loosely ("Länstransportplan (under framtagande)", "Mer mat från Västerbotten Regional
livsmedelsstrategi 2021-2030") and a library document carries its own title ("Länstransportplan för
Västerbottens län 2022–2033"). Both are reduced to their distinctive words — casefolded, without years,
place names of the region and generic words such as "regional", "strategi" or "plan" — and a mention links to
a document when they share a distinctive word; a word also matches its inflected form ("livsmedelsstrategi" /
"livsmedelsstrategin") when one is a prefix of the other and at least MIN_STEM characters long.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from index.wording import WORDING

WORD = re.compile(r"[^\W\d_]+")
GENERIC = WORDING.words("plan_links", "generic")  # [plan_links] in index/languages/*.toml
MIN_WORD = 4  # shorter words ("mat", "vård") are too common to link on
MIN_STEM = 8  # a prefix match needs this many characters


def distinctive_words(text: str) -> set[str]:
    """The words of a title that can identify it: casefolded, no digits, no generic or short words."""
    return {w for w in WORD.findall(text.casefold()) if len(w) >= MIN_WORD and w not in GENERIC}


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= MIN_STEM and long.startswith(short)


def matches(mention: str, title: str) -> bool:
    """Whether a plan the strategy mentions and a document title share a distinctive word."""
    return any(_same_word(a, b) for a in distinctive_words(mention) for b in distinctive_words(title))


def linked_documents(mention: str, documents: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (doc_id, title) pairs among `documents` whose title matches the mention."""
    return [(doc_id, title) for doc_id, title in documents if matches(mention, title)]
