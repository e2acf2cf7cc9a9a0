"""Reach the index's vocabulary from the words users type: split compounds the text does not use and correct typos.

A Swedish query word whose stem is not in the BM25 vocabulary is matched, first match wins, to
1. the folded word itself (typed without diacritics, the stemmer may cut it differently: "samrad");
2. a vocabulary stem it starts with, followed by at most INFLECTION letters ("forskolan" → forskol) or by the
   noun ending -ning ("återanvändning" → återanvänd, from "återanvända");
3. the vocabulary stems one edit away by optimal-string-alignment distance (a swap of two letters counts once),
   for words of at least TYPO_MIN_LENGTH letters ("bredbnad" → bredband, "klimatanpasning" → klimatanpassning),
   the most frequent first;
4. a split into 2–3 parts whose stems all are in the vocabulary ("renpassager" → ren + passag, the text's
   "passager för renar"; "laddinfrastruktur" → ladd + infrastruktur, the text's "ladd- och tankinfrastruktur"),
   preferring fewer parts, then the split whose rarest part is in the most chunks; the head (last part) alone is
   a second alternative ("mobiltäckning": the text has "områden utan täckning" but no "mobil" beside it). A part
   ending in -en/-el/-er also matches its inflected stem without the e ("vuxenutbildning" → vuxn + utbildning,
   the text's "vuxna");
5. a head in the vocabulary after a modifier that is a general Swedish word but not in the text ("elbilar" → bil,
   "lastbilar" → bil: the text writes "bilen" and "fordon", never "el" or "last" in a compound): the head alone;
6. the stems two edits away, from 10 letters on (counted on the string compared: the stemmer cuts "lägenheter" to
   "lagen", whose neighbours two edits away, "lan" and "aven", are other words).
Every alternative is a set of stems a chunk must all contain to match the word (coverage in index/search.py).
Measured in docs/retrieval.md ("Real wording: lexical side").
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from index.language import is_swedish_word
from index.lexical import LexicalIndex
from index.tokens import fold, stem_words, words

MIN_PART = 3  # letters of a compound part ("ren", "väg"); shorter parts split too many words wrongly
MIN_MODIFIER = 2  # letters of a general word before a known head ("el" in "elbilar")
MIN_HEAD = 4  # letters of that head ("bilar")
MAX_PARTS = 3
TYPO_MIN_LENGTH = 5  # shorter words have too many neighbours at distance 1
TYPO_MAX_ALTERNATIVES = 2
INFLECTION = 3  # letters an unstripped ending may leave after a vocabulary stem
INFLECTION_MIN_STEM = 5
NOUN_ENDINGS = ("ningarna", "ningar", "ningen", "ning")  # a verb stem made a noun ("återanvänd" + "ning")
MAX_WORD = 40  # letters; longer "words" (pasted junk) are not resolved — splitting costs grow with the square
Alternative = frozenset[str]


def typo_distance(length: int) -> int:
    """Edits allowed for a word of `length` letters: 1 below 10 letters, else 2 (at 8–9 letters two edits
    already turn unrelated words into each other: "parkering" → "vardering")."""
    return 1 if length < 10 else 2


class QueryTerms:
    """Resolve query words against one index's BM25 vocabulary (results cached per word)."""

    def __init__(self, lexical: LexicalIndex) -> None:
        self._frequency = lexical.document_frequency()
        self._stems = list(self._frequency)
        self.alternatives = lru_cache(maxsize=20_000)(self._alternatives)

    def concepts(self, text: str) -> tuple[frozenset[Alternative], ...]:
        """Per distinct query word: the stem sets that match it (its own stem when unknown and unresolvable)."""
        concepts: dict[frozenset[Alternative], None] = {}
        for word in words(text):
            concepts.setdefault(self.alternatives(word), None)
        return tuple(concepts)

    def tokens(self, text: str) -> list[str]:
        """The stems BM25 should score for the text: known stems, and the stems of every resolved alternative."""
        stems: dict[str, None] = {}
        for concept in self.concepts(text):
            for alternative in concept:
                stems.update(dict.fromkeys(sorted(alternative)))
        return list(stems)

    def _alternatives(self, word: str) -> frozenset[Alternative]:
        stem, folded = stem_words([word])[0], fold(word)
        if stem in self._frequency or not word.isalpha() or len(word) > MAX_WORD:
            return frozenset([frozenset([stem])])
        if folded in self._frequency:  # typed without diacritics, stemmed differently ("samrad" → samr ≠ samråd)
            return frozenset([frozenset([folded])])
        inflected = self._inflection_of(folded)
        if inflected:
            return frozenset([frozenset([inflected])])
        typo = len(folded) >= TYPO_MIN_LENGTH and not is_swedish_word(word)  # a word in general use is no typo
        corrections = self._corrections(stem, folded, 1) if typo else []
        if not corrections:
            split = self._best_split(folded)
            if split:
                return frozenset([frozenset(split), frozenset(split[-1:])])
            head = self._head_after_word(word)
            if head:
                return frozenset([frozenset([head])])
            corrections = self._corrections(stem, folded, typo_distance(len(folded))) if typo else []
        return frozenset(frozenset([c]) for c in corrections) or frozenset([frozenset([stem])])

    def _inflection_of(self, word: str) -> str | None:
        """The longest vocabulary stem the word starts with, when at most INFLECTION letters are left over (an
        ending the stemmer did not strip: "forskolan" → forskol), else a verb stem the word adds a NOUN_ENDINGS
        ending to ("ateranvandning" → ateranvand)."""
        for cut in range(len(word) - 1, max(len(word) - INFLECTION, INFLECTION_MIN_STEM) - 1, -1):
            if word[:cut] in self._frequency:
                return word[:cut]
        for ending in NOUN_ENDINGS:
            stem = word.removesuffix(ending)
            if stem != word and len(stem) >= INFLECTION_MIN_STEM and stem in self._frequency:
                return stem
        return None

    def _part(self, part: str) -> str | None:
        """The vocabulary stem of a compound part ("ladd" as in "ladd- och tankinfrastruktur"), if any."""
        if len(part) < MIN_PART:
            return None
        if part in self._frequency:
            return part
        stem = stem_words([part])[0]
        if stem in self._frequency:
            return stem
        syncopated = part[:-2] + part[-1]  # "vuxen" → vuxn, "enkel" → enkl: the e drops when inflected
        if len(part) > MIN_PART and part[-2:] in ("en", "el", "er") and syncopated in self._frequency:
            return syncopated
        return None

    def _splits(self, word: str, parts_left: int) -> list[list[str]]:
        """Every way to cut `word` into at most `parts_left` parts that are all in the vocabulary."""
        whole = self._part(word)
        found = [[whole]] if whole else []
        if parts_left > 1:
            for cut in range(MIN_PART, len(word) - MIN_PART + 1):
                head = self._part(word[:cut])
                if head:
                    found.extend([head, *tail] for tail in self._splits(word[cut:], parts_left - 1))
        return found

    def _head_after_word(self, word: str) -> str | None:
        """The vocabulary stem of the longest head (≥ MIN_HEAD letters) that follows a general Swedish word."""
        for cut in range(MIN_MODIFIER, len(word) - MIN_HEAD + 1):
            if is_swedish_word(word[:cut]):
                head = self._part(fold(word[cut:]))
                if head:
                    return head
        return None

    def _best_split(self, word: str) -> list[str] | None:
        splits = [s for s in self._splits(word, MAX_PARTS) if len(s) > 1]
        if not splits:
            return None
        return min(splits, key=lambda s: (len(s), -min(self._frequency[p] for p in s)))

    def _corrections(self, stem: str, word: str, limit: int) -> list[str]:
        """The vocabulary stems nearest to the word or its stem (the stemmer may cut a misspelt word oddly:
        "bredbnad" → bredbn), at most `limit` edits away."""
        distance: dict[str, int] = {}
        for query in (stem, word):
            for match, edits, _ in process.extract(  # a short stem of a long word gets its own length's edits
                query, self._stems, scorer=OSA.distance, score_cutoff=min(limit, typo_distance(len(query))), limit=None
            ):
                distance[match] = min(edits, distance.get(match, edits))
        ranked = sorted(distance, key=lambda s: (distance[s], -self._frequency[s]))
        return [s for s in ranked if distance[s] == distance[ranked[0]]][:TYPO_MAX_ALTERNATIVES]
