"""The answer-state decision, in one place: a question's analysis (index/analysis.py) and its ranked passages in,
one of three answer states with the signals that decided it out, from signals that hold across wording, language
and query length. Nothing here reads the question's text or asks the index again.

Absolute similarity scores move with query length, language and wording (a one-word query, an English question
and a 120-word project description score on different scales), so one threshold on them fails on real input.
The decision uses:
- what kind of information the question asks for — an amount of money, another figure (rate, count), a time or
  timetable, a map — and whether the best-matching sentences hold it at all (the strategy states goals and needs;
  it has almost no prices, figures, dates or schedules);
- the top dense score, and its gap to the query's own score distribution over the ranked passages;
- how many of the query's concepts the best passages contain (the lexical side's agreement with the dense side),
  the share of the query's concepts that the corpus cannot match (an English query's: its English rendering), and
  whether the question names something (capitalised) that the corpus never mentions — a village after "in"/"till"
  is where, not what, and counts for neither;
- whether the question asks which (sub-)priority covers a topic (or is a project description): a topical match
  answers that.
A logistic model over these signals gives the probability that the strategy covers the question; its
coefficients and the two cut-offs are fitted on the realistic tuning half, gold_extra.jsonl and
calibration_extra.jsonl by
`python -m eval.calibrate` (reliability plot and per-state figures: `rus eval`, docs/retrieval.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np

from index.analysis import Concept, QuestionAnalysis
from index.hits import Hit
from index.sentences import aligned_spans
from index.tokens import tokenize, tokenize_english
from index.wording import PATTERNS
from ingest.models import Chunk
from service.answering.answer_state_model import MODEL_FILE, read_model

State = Literal["answer", "low_confidence", "not_covered"]
ConfidenceLevel = Literal["high", "medium", "low"]

# What a sentence holds ([information] in index/languages/*.toml); what a question asks for is its analysis's
# (index/analysis.py).
MONEY = PATTERNS.money
NUMBERING = re.compile(  # list numbers, item labels, section numbers and the strategy's own time span
    r"^\s*\d{1,2}\.\s|\b(?:Utmaning|Behov|[Dd]elprioritering|[Pp]rioritering)\s+\d+(?:\.\d+)?|\bAgenda\s*2030\b|"
    r"\b(?:19|20)\d\d\s*[–-]\s*(?:19|20)?\d\d\b|\bS3\b|(?<=[^\W\d_])\d+\b"
)
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
NUMBER = PATTERNS.number  # a digit or a number word
EVIDENCE_HITS = 3  # the asked-for information must be in the best sentences of this many top passages
TAIL_FROM = 10  # the query's own score distribution: the ranked passages from this rank on


@dataclass(frozen=True)
class Signals:
    """What the decision is based on, for one question and its ranked passages."""

    top: float  # best dense score
    gap: float  # best dense score minus the mean of the passages ranked TAIL_FROM and below
    coverage: float  # share of the query's concepts in the best of the top three passages (0 when it has none)
    missing_information: bool  # asks for a figure, time or map that the best sentences do not hold
    unknown: float  # share of the query's concepts that the corpus (an English one: its rendering) cannot match
    topical: bool  # asks which (sub-)priority covers a topic, or is a description: a topical match answers it
    unknown_name: bool  # names something (capitalised) the corpus never mentions; never when it asks topically

    def vector(self) -> np.ndarray:
        values = [
            self.top, self.gap, self.coverage, float(self.missing_information), self.unknown, float(self.topical),
            float(self.unknown_name),
        ]
        return np.array(values, dtype=np.float64)


@dataclass(frozen=True)
class Confidence:
    """The probability that the strategy covers the question, the answer state it leads to, and why."""

    score: float
    state: State
    signals: Signals


# Fitted by `python -m eval.calibrate --write` on eval/realistic_tune.jsonl + eval/gold_extra.jsonl +
# eval/calibration_extra.jsonl (190 answerable and 88 negatives, weighted equally) over hybrid search with its
# section context, which writes answer_state_model.json beside this module: weights for Signals.vector(), then
# the intercept.
# The cut-offs are the ones its rule chooses (`eval.calibrate.choose_cutoffs`): NOT_COVERED_BELOW, the highest under
# which at most 5 % of the answerable items of every training file fall (realistic tune 4.9 %; 67 % of the
# negatives); from ANSWER_FROM on, at most 10 % of the negatives (8.0 %) and 84 % of the answerable items. The top
# score, missing information, the unknown share and an unknown name carry the model. With 18 negatives (tune +
# gold_extra only) a refit answered held-out negatives confidently (0.08 → 0.31); calibration_extra's 70 more —
# named companies (ten of them opening the question), household grants, practical services, figures — and 8
# questions about villages the strategy does not name let it call held-out negatives "not covered" without turning
# answerable ones away (docs/retrieval.md).
MODEL = read_model(MODEL_FILE, tuple(field.name for field in fields(Signals)))
WEIGHTS = MODEL.weights
INTERCEPT = MODEL.intercept
NOT_COVERED_BELOW = MODEL.not_covered_below
ANSWER_FROM = MODEL.answer_from
# The one word users see for how sure an answer is (the UI shows it instead of a probability or a cosine):
# "high" for an answer (probability from ANSWER_FROM on), "medium" for low_confidence (between the cut-offs),
# "low" for not_covered (below NOT_COVERED_BELOW). Texts: ui/locales/ "level_high" / "level_medium" / "level_low".
CONFIDENCE_LEVELS: dict[State, ConfidenceLevel] = {"answer": "high", "low_confidence": "medium", "not_covered": "low"}


def confidence_level(state: State) -> ConfidenceLevel:
    """The confidence word's key (high / medium / low) for an answer state."""
    return CONFIDENCE_LEVELS[state]


def asks_for_missing_information(analysis: QuestionAnalysis, hits: Sequence[Hit]) -> bool:
    """A question asking for a figure, a time or timetable, or a map whose best-matching sentences (the top
    passages' highlights) hold none: the strategy does not give it. A figure or year counts only in a sentence
    that also names the question's subject (any of its rarest concepts): the strategy's population figures do not
    answer "how many reindeer". An English question's subject is read in the sentence's English rendering too,
    since its own words reach the Swedish text only through the glossary ("asylum seekers" reaches nothing there).
    Topical questions and project descriptions never count."""
    asks = analysis.asks
    if analysis.topical:
        return False
    if "map" in asks:
        return True
    sentences = [h.chunk.text[s:e] for h in hits[:EVIDENCE_HITS] for s, e in h.highlights]
    if "clock" in asks and not any(CLOCK.search(s) for s in sentences):
        return True
    if "money" in asks and not any(MONEY.search(s) for s in sentences):
        return True
    figure, time = "figure" in asks, "time" in asks
    if not (figure or time):
        return False
    return not any(
        _holds_figure(hit.chunk.text[start:end], years=time)
        and _names(hit.chunk.text[start:end], analysis.subject)
        and _rendering_names(hit.chunk, (start, end), analysis.english_subject)
        for hit in hits[:EVIDENCE_HITS]
        for start, end in hit.highlights
    )


def _rendering_names(chunk: Chunk, span: tuple[int, int], stems: Sequence[str]) -> bool:
    """Whether the chunk's English rendering of the sentence at `span` contains one of an English question's subject
    stems; True without a subject, a rendering or an aligned sentence (the Swedish check then decides alone). The
    sentence is aligned only when there is a subject to look for."""
    if not stems or not chunk.text_en:
        return True
    rendered = aligned_spans(chunk.text, chunk.text_en, [span])
    if not rendered:
        return True
    rendering = " ".join(chunk.text_en[s:e] for s, e in rendered)
    return not set(stems).isdisjoint(tokenize_english([rendering])[0])


def _names(sentence: str, concepts: Sequence[Concept]) -> bool:
    """Whether a sentence contains one of the concepts (all stems of one of its alternatives); True for none."""
    if not concepts:
        return True
    stems = set(tokenize([sentence])[0])
    return any(alternative <= stems for concept in concepts for alternative in concept)


def _holds_figure(text: str, years: bool) -> bool:
    text = NUMBERING.sub(" ", text)
    if not years:
        text = YEAR.sub(" ", text)
    return bool(NUMBER.search(text))


def measure(analysis: QuestionAnalysis, hits: Sequence[Hit]) -> Signals:
    """The decision's signals for a question (read once, index/analysis.py) and its ranked passages (dense or
    hybrid hits, best first). A project description's own places and languages, or a name in "which sub-priority
    covers …", do not decide whether its topic is covered."""
    dense = np.array([h.dense_score for h in hits if h.dense_score is not None], dtype=np.float64)
    top = float(dense.max()) if len(dense) else 0.0
    tail = np.sort(dense)[::-1][TAIL_FROM:]
    gap = top - float(tail.mean()) if len(tail) else 0.0
    coverage = max((h.coverage or 0.0 for h in hits[:3]), default=0.0)
    missing = asks_for_missing_information(analysis, hits)
    unknown_name = not analysis.topical and bool(analysis.unknown_names)
    return Signals(top, gap, coverage, missing, analysis.unknown_share, analysis.topical, unknown_name)


def probability(signals: Signals, weights: Sequence[float] = WEIGHTS, intercept: float = INTERCEPT) -> float:
    """The logistic model's probability that the strategy covers the question."""
    value = float(np.dot(signals.vector(), np.asarray(weights, dtype=np.float64))) + intercept
    return 1.0 / (1.0 + math.exp(-max(min(value, 50.0), -50.0)))


def decide(analysis: QuestionAnalysis, hits: Sequence[Hit]) -> Confidence:
    """The answer state for a question, read once, and its ranked passages (the /v1/ask pool, best first), with
    the signals that decided it."""
    if not hits:
        return Confidence(0.0, "not_covered", Signals(0.0, 0.0, 0.0, False, analysis.unknown_share, False, False))
    measured = measure(analysis, hits)
    score = probability(measured)
    state: State = "answer" if score >= ANSWER_FROM else "low_confidence"
    if score < NOT_COVERED_BELOW:
        state = "not_covered"
    return Confidence(score, state, measured)
