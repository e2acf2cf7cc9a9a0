"""Dictionary-based query translation: English domain words → the Swedish terms the strategy uses.

The multilingual embedder matches many English questions to Swedish text, but it is weak on domain words
(e.g. "reindeer" ↔ "renar"), and BM25 over Swedish text cannot match English words at all. A curated
glossary (index/glossary_en_sv.tsv, written from the strategy's vocabulary) bridges both.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

GLOSSARY = Path(__file__).with_name("glossary_en_sv.tsv")
MAX_PHRASE_WORDS = 3


@lru_cache(maxsize=4)
def load_glossary(path: Path = GLOSSARY) -> dict[str, tuple[str, ...]]:
    """English term → Swedish terms, from a `english<TAB>sv1|sv2` file."""
    entries: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" not in line or line.startswith("#"):
            continue
        english, swedish = line.split("\t", 1)
        entries[english.strip().casefold()] = tuple(t.strip() for t in swedish.split("|") if t.strip())
    return entries


def swedish_concepts(query: str, glossary: dict[str, tuple[str, ...]] | None = None) -> list[tuple[str, ...]]:
    """For each English glossary word or phrase in the query (longest match first): its Swedish terms."""
    glossary = load_glossary() if glossary is None else glossary
    words = re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", query.casefold())
    concepts: list[tuple[str, ...]] = []
    position = 0
    while position < len(words):
        for size in range(min(MAX_PHRASE_WORDS, len(words) - position), 0, -1):
            phrase = " ".join(words[position : position + size])
            if phrase in glossary:
                if glossary[phrase] not in concepts:
                    concepts.append(glossary[phrase])
                position += size
                break
        else:
            position += 1
    return concepts
