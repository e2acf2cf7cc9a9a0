"""A question read once: what it asks for, in which language, with which concepts, and what of it the index knows.

`QuestionReader.read(question, language)` turns a question (or a topic phrase, or a project description) into an
immutable `QuestionAnalysis`. Ranking (index/search.py), the answer state (service/answering/decision.py), the
answer's form (service/answering/answers.py) and match all receive that object; nothing reads the question's
text again. What kinds of question there are comes from the patterns of index/languages/*.toml (index/wording.py):
- its shape: asks which (sub-)priority covers a topic ("which sub-priority …"), is a project description (more
  than DESCRIPTION_WORDS words), opens as or ends like a question, or else is a topic phrase;
- the information it asks for, which only some sentences can give: an amount of money, another figure, a time or
  timetable, a time of day, a map;
- how each side of search reads it (`PreparedQuery`): the frame stripped ("vilken delprioritering handlar om …"),
  English domain words translated to Swedish (index/translate.py), Swedish words the index lacks matched to its
  vocabulary (compounds, typos: index/terms.py);
- what the index does not know: the share of a Swedish question's concepts it cannot match, the names it never
  mentions (a village after "in"/"till" is where, not what, and counts for neither), and the question's subject
  (its rarest specific concepts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, TypeVar

from index.language import detect_language, is_common, is_function_word, is_general_word, load_word_lists
from index.lexical import LexicalIndex
from index.terms import QueryTerms
from index.tokens import WORD, tokenize, tokenize_english
from index.translate import load_glossary, swedish_concepts
from index.wording import PATTERNS, WORDING
from ingest.vocabulary import PLANS_LISTED

T = TypeVar("T")
Concept = frozenset[frozenset[str]]  # alternative stem sets; a text names the concept when it holds one whole
Information = Literal["money", "figure", "time", "clock", "map"]
Kind = Literal["subpriority", "description", "fact", "topic"]

# A longer text is a project description (eval/realistic.jsonl's are 60–150 words), not a question.
DESCRIPTION_WORDS = 25
QUESTION_FRAME = PATTERNS.question_frame  # "which sub-priority covers …", "vilken delprioritering …"
QUESTION_START = PATTERNS.question_start  # openers: a text that opens as a question
SECTION_QUESTION = PATTERNS.section_question  # asks for a section, never for a figure
# The information a question asks for, by the pattern that tells it ([question] and [information] in the
# languages' files): "när"/"when" count as a time only as the question word; the figure pattern holds the money
# words too, the time pattern the clock words.
INFORMATION: dict[Information, re.Pattern[str]] = {
    "money": PATTERNS.money_request,
    "figure": PATTERNS.figure_request,
    "time": PATTERNS.time_request,
    "clock": PATTERNS.clock_request,
    "map": PATTERNS.map_request,
}
# A query concept is specific when at most this share of the chunks contain it (or none do): "renar", "förskola", a
# village — not "Västerbotten" or "län", which most of the strategy names. The answer state asks a figure to
# stand beside the question's rarest specific concept.
SPECIFIC_SHARE = 0.05
# an English question's words that never name its subject: the English file's function words and question openers
# (index/languages/en.toml), as the English BM25 stems them
ENGLISH_FRAME_STEMS = frozenset(tokenize_english([" ".join(
    WORDING.language("en").get("detection", "function_words") + WORDING.language("en").get("question", "openers")
)])[0])
NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-ZÅÄÖ][^\W\d_]{2,}")  # a capitalised word, not opening a sentence
OPENING_WORD = re.compile(r"^\W*([A-ZÅÄÖ][^\W\d_]{2,})(?:['’]s)?\b")  # "Northvolt", "Holmen's"
# A word right after a place preposition says where something is ("bredband till Kusfors", "the shop in Ammarnäs"): a
# village the strategy, written for the whole county, need not name.
AFTER_PLACE_WORD = PATTERNS.after_place_word  # the prepositions: [places] in index/languages/*.toml


@dataclass(frozen=True)
class PreparedQuery:
    """A query as each side of the retriever sees it."""

    language: str
    dense_text: str  # frame-stripped; English queries carry their Swedish glossary terms
    lexical_text: str  # Swedish words for BM25 (glossary terms for English queries)
    lexical_tokens: tuple[str, ...]  # the stems BM25 scores (Swedish: with compounds and typos resolved)
    concepts: tuple[Concept, ...]  # each concept: alternative stem sets


@dataclass(frozen=True)
class QuestionAnalysis:
    """Everything ranking, the answer state and the answer read from a question, computed once."""

    text: str  # the question as the user wrote it
    language: str  # "sv" or "en": chosen by the user, else detected
    asks_section: bool  # "which sub-priority covers …"
    description: bool  # a project description (more than DESCRIPTION_WORDS words)
    question_shaped: bool  # opens as a question or ends with "?"
    kind: Kind  # its shape: asks for a sub-priority, a project description, a fact (a question), or a topic phrase
    topical: bool  # asks which (sub-)priority covers a topic, or is a description: a topical match answers it
    asks_for_subpriority: bool  # asks for one, or is a description or topic phrase that is no question
    asks: frozenset[Information]  # the information it asks for
    prepared: PreparedQuery  # as the lexical side reads it (and the dense side, without an English rendering)
    dense_text: str  # what search embeds
    english_stems: tuple[str, ...]  # its stems for the English rendering's BM25 (empty: none, or not English)
    unknown_share: float  # share of its concepts the index (English: its rendering) cannot match, places left out
    unknown_names: tuple[str, ...]  # names the index never mentions (not read for topical questions: empty)
    subject: tuple[Concept, ...]  # its rarest specific concepts (read only when it asks for a figure or time)
    english_subject: tuple[str, ...]  # the same for an English question, as English stems of the rendering's BM25
    query_stems: frozenset[str]  # its stems as written, for a passage's best sentence by shared words


def _kind(asks_section: bool, description: bool, question_shaped: bool) -> Kind:
    if asks_section:
        return "subpriority"
    if description:
        return "description"
    return "fact" if question_shaped else "topic"


def retrieval_text(query: str) -> str:
    """The query without a leading "which sub-priority covers…"/"vilken delprioritering…" frame."""
    stripped = QUESTION_FRAME.sub("", query, count=1).strip()
    return stripped if len(stripped) >= 3 else query.strip()


def is_description(query: str) -> bool:
    """Whether a query is a project description rather than a question (more than DESCRIPTION_WORDS words)."""
    return len(query.split()) > DESCRIPTION_WORDS


def prepare_query(query: str, language: str | None = None, terms: QueryTerms | None = None) -> PreparedQuery:
    """Strip the question frame, detect the language and translate English domain words to Swedish; with an
    index's `terms`, Swedish words it lacks are matched to its vocabulary (compounds, typos)."""
    language = language or detect_language(query)
    text = retrieval_text(query)
    if language == "en":
        concepts = swedish_concepts(text)
        terms = list(dict.fromkeys(term for concept in concepts for term in concept))
        dense_text = f"{text} ({', '.join(terms)})" if terms else text
        lexical_text = " ".join(terms)
        stems = tuple(frozenset(frozenset(tokenize([t])[0]) for t in concept) for concept in concepts)
        tokens = tuple(tokenize([lexical_text])[0])
    elif terms is not None:
        dense_text = lexical_text = text
        stems, tokens = terms.concepts(text), tuple(terms.tokens(text))
    else:
        dense_text = lexical_text = text
        stems = tuple(frozenset([frozenset([stem])]) for stem in dict.fromkeys(tokenize([text])[0]))
        tokens = tuple(tokenize([text])[0])
    return PreparedQuery(language, dense_text, lexical_text, tokens, tuple(c for c in stems if any(c)))


def asks_for_plans(concepts: tuple[Concept, ...]) -> bool:
    """Whether a query asks for strategies or plans: one of its concepts is a word of PLANS_LISTED."""
    listed = _plans_listed_stems()
    return any(alternative <= listed for concept in concepts for alternative in concept)


@lru_cache(maxsize=1)
def _plans_listed_stems() -> frozenset[str]:
    """The stems of PLANS_LISTED as the lexical side tokenizes them."""
    return frozenset(tokenize([" ".join(PLANS_LISTED)])[0])


def places(query: str) -> set[str]:
    """The query's words right after a place preposition that are capitalised or no general words, case-folded:
    the names of places it is about ("kusfors" in "bredband till kusfors", "adak" in "move to Adak"), which the
    unknown share and the unknown names leave out."""
    found = AFTER_PLACE_WORD.findall(query)
    return {word.casefold() for word in found if word[0].isupper() or not is_general_word(word.casefold())}


def english_content_stems(text: str) -> list[str]:
    """The distinct stems of an English text as the English rendering's BM25 stems them, without the English file's
    function words and question openers (ENGLISH_FRAME_STEMS) and numbers."""
    return [stem for stem in dict.fromkeys(tokenize_english([text])[0])
            if stem not in ENGLISH_FRAME_STEMS and not any(c.isdigit() for c in stem)]


class QuestionReader:
    """Reads questions against one index's vocabulary (its BM25 side); built with the index, read-only after."""

    def __init__(self, lexical: LexicalIndex, n_chunks: int, english: LexicalIndex | None = None) -> None:
        self.lexical = lexical
        self.terms = QueryTerms(lexical)
        self.n_chunks = n_chunks
        self.english = english  # BM25 over the English rendering, when the index has one (index/translated.py)
        load_word_lists()  # every question's names and unknown words are checked against them: read them now

    def dense_text(self, question: str, language: str | None = None) -> str:
        """What search embeds for a question, without reading the rest of it (so that a search can embed while it
        reads): `read`'s dense_text."""
        language = language or detect_language(question)
        if self._embeds_glossary_terms(question, language):
            return prepare_query(question, language).dense_text
        return retrieval_text(question)

    def _embeds_glossary_terms(self, question: str, language: str) -> bool:
        """Whether a question is embedded with its Swedish glossary terms (prepare_query), not as written with its
        frame stripped: only an English one that is no description, in an index without the English side. A
        description's own words carry its topic, and appended terms only lengthen it (realistic tune hit@1 0.793 →
        0.817, docs/retrieval.md); with the English side one vector as written serves both sides."""
        return language == "en" and self.english is None and not is_description(question)

    def read(self, question: str, language: str | None = None) -> QuestionAnalysis:
        """The analysis of a question; `language` ('sv'/'en') overrides detection."""
        prepared = prepare_query(question, language, self.terms)
        asks = frozenset(name for name, pattern in INFORMATION.items() if pattern.search(question))
        asks_section = bool(SECTION_QUESTION.search(question))
        description = is_description(question)
        question_shaped = bool(QUESTION_START.match(question) or question.rstrip().endswith("?"))
        english = self.english is not None and prepared.language == "en"
        english_stems = tuple(dict.fromkeys(tokenize_english([retrieval_text(question)])[0])) if english else ()
        figure_or_time = bool(asks & {"figure", "time"})
        return QuestionAnalysis(
            text=question,
            language=prepared.language,
            asks_section=asks_section,
            description=description,
            question_shaped=question_shaped,
            kind=_kind(asks_section, description, question_shaped),
            topical=asks_section or description,
            asks_for_subpriority=asks_section or not question_shaped,
            asks=asks,
            prepared=prepared,
            dense_text=prepared.dense_text
            if self._embeds_glossary_terms(question, prepared.language)
            else retrieval_text(question),
            english_stems=english_stems,
            unknown_share=self._unknown_share(question, prepared),
            unknown_names=() if asks_section or description else self._unknown_names(question, prepared.language),
            subject=self._subject(prepared) if figure_or_time else (),
            english_subject=self._english_subject(question) if english and figure_or_time else (),
            query_stems=frozenset(tokenize([question])[0]),
        )

    def _unknown_share(self, question: str, prepared: PreparedQuery) -> float:
        """The share of a query's concepts that the index cannot match, the places it names left out: a question
        about something the corpus never names. A Swedish query's concepts as search resolves them (compounds,
        typos) against the Swedish text; an English query's content words against the English rendering (0 without
        one: its words then reach the index only through translation)."""
        if prepared.language == "en":
            return self._unknown_english_share(question)
        if prepared.language != "sv":
            return 0.0
        named_places = {self.terms.alternatives(word) for word in places(question)}
        concepts = [concept for concept in prepared.concepts if concept not in named_places]
        if not concepts:
            return 0.0
        known = sum(any(alt and all(self.lexical.knows(s) for s in alt) for alt in concept) for concept in concepts)
        return 1.0 - known / len(concepts)

    def _unknown_english_share(self, question: str) -> float:
        """The share of an English question's content stems that the English rendering never uses: its words
        without the English file's function words and question openers, words as frequent as pronouns in general
        English (FUNCTION_ZIPF), numbers and the places it names."""
        if self.english is None:
            return 0.0
        named_places = {stem for word in places(question) for stem in tokenize_english([word])[0]}
        words = [word for word in WORD.findall(retrieval_text(question).lower()) if not is_function_word(word)]
        stems = [stem for stem in english_content_stems(" ".join(words)) if stem not in named_places]
        if not stems:
            return 0.0
        return sum(not self.english.knows(stem) for stem in stems) / len(stems)

    def _unknown_names(self, question: str, language: str) -> tuple[str, ...]:
        """Names of things the corpus never mentions: capitalised words after the first one ("Tärnaby") that no
        indexed chunk uses, that are not common words in general English or Swedish and that the glossary does not
        translate; and, in an English question, a first word that is all that and also no general word at all
        ("Northvolt battery factory…": any first word has a capital). A Swedish question's unknown words, names or
        compounds the corpus lacks ("Fiberutbyggnad…"), are the unknown share's."""
        named_places = places(question)
        names = [w for w in NAME.findall(question) if not self._knows_name(w) and w.casefold() not in named_places]
        opening = OPENING_WORD.match(question)
        if opening and language == "en":
            word = opening.group(1)
            if not self._knows_name(word) and not is_general_word(word.casefold()):
                names.insert(0, word)
        return tuple(names)

    def _knows_name(self, word: str) -> bool:
        """Whether a capitalised word is in the corpus, common in general English or Swedish, or in the glossary."""
        stems, folded = tokenize([word])[0], word.casefold()
        in_corpus = bool(stems) and all(self.lexical.knows(s) for s in stems)
        return in_corpus or is_common(folded) or folded in load_glossary()

    def _english_subject(self, question: str) -> tuple[str, ...]:
        """An English question's rarest specific stems in the English rendering, by `_subject`'s rule, leaving out
        what asks for the information ("how many", "when"), function words, question openers and numbers: "asylum"
        and "seeker" in "How many asylum seekers live in Umeå?", which reach no Swedish word through the glossary.
        Empty without a rendering, or when every stem is common."""
        if self.english is None:
            return ()
        for pattern in INFORMATION.values():
            question = pattern.sub(" ", question)
        stems = english_content_stems(question)
        frequency = self.english.document_frequency()
        return self._rarest_specific({stem: frequency.get(stem, 0) for stem in stems})

    def _subject(self, prepared: PreparedQuery) -> tuple[Concept, ...]:
        """The query's rarest concepts (as search resolves them) when they name something specific — in at most
        SPECIFIC_SHARE of the chunks, or in none: usually what the question is about ("renar" in "hur många renar
        finns det i Västerbotten", "Skellefteå" rather than "bor" in "hur många bor i Skellefteå"). Empty when
        every concept is common."""
        frequency = self.lexical.document_frequency()

        def chunks_with(concept: Concept) -> int:  # its most common wording; all stems needed
            return max(min(frequency.get(stem, 0) for stem in alternative) for alternative in concept if alternative)

        return self._rarest_specific({concept: chunks_with(concept) for concept in prepared.concepts})

    def _rarest_specific(self, counts: dict[T, int]) -> tuple[T, ...]:
        """The keys with the fewest chunks (`counts`: key → chunks that contain it) when that is at most
        SPECIFIC_SHARE of the chunks (or one), in order; empty when every key is common, or there are none."""
        if not counts or min(counts.values()) > max(1.0, SPECIFIC_SHARE * self.n_chunks):
            return ()
        rarest = min(counts.values())
        return tuple(key for key, count in counts.items() if count == rarest)
