"""Does an application state what it will do for each of the strategy's three inriktningar? (/v1/align)

Two kinds of evidence, each quoted with its sentence:
- explicit: a sentence contains one of the inriktning's explicit wordings (Swedish or English: [inriktningar] in
  index/languages/*.toml), as before;
- in other words: failing that, the application sentence closest to one of the inriktning's statements
  ([inriktningar.statements]: how an application says it in other words, written from the strategy's own
  descriptions) shows it when that closeness, calibrated to a probability on the tune halves, is at least even.

The embedder's margin of the whole text over the strategy's descriptions of the inriktningar, the rule used at
first, judged 0.50 of the tune half's 42 judgements right (docs/retrieval.md "Alignment"): it found every text close
to all three. A sentence's closeness to statements of the same kind separates them (docs/retrieval.md
"Inriktningar in other words").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index import wording
from ingest.vocabulary import INRIKTNINGAR
from service.texts import t

# the explicit wordings of each inriktning: [inriktningar] in index/languages/*.toml, in INRIKTNINGAR's order
PATTERNS = dict(zip(INRIKTNINGAR, (wording.PATTERNS.inriktningar[key] for key in wording.INRIKTNING_KEYS), strict=True))
KEYS = dict(zip(INRIKTNINGAR, wording.INRIKTNING_KEYS, strict=True))

# P(the application shows the inriktning) from its best sentence's cosine to the inriktning's statements in the
# application's language: a logistic fitted on the 81 judgements without an explicit wording in the two tune halves
# (12 true; eval/align_multi_tune.jsonl and eval/align_gold_tune.jsonl, multilingual-e5-small, 2026-12-07).
# Even odds at a cosine of 0.895.
PARAPHRASE_INTERCEPT = -128.2
PARAPHRASE_SLOPE = 143.3
PARAPHRASE_SHOWN = 0.5  # at or above: shown in other words


@dataclass(frozen=True)
class Statement:
    """A sentence of the application (its index) that states an aim for an inriktning, and the wordings found."""

    sentence: int
    terms: list[str]


@dataclass(frozen=True)
class Paraphrase:
    """The application sentence (its index) closest to one of an inriktning's statements, that statement, and how
    likely the sentence shows the inriktning (0–1)."""

    sentence: int
    statement: str
    confidence: float

    @property
    def shown(self) -> bool:
        return self.confidence >= PARAPHRASE_SHOWN


def statements(sentences: list[str]) -> dict[str, list[Statement]]:
    """For each inriktning (in INRIKTNINGAR order): the sentences with one of its explicit wordings, in text order."""
    found: dict[str, list[Statement]] = {}
    for name in INRIKTNINGAR:
        found[name] = []
        for index, sentence in enumerate(sentences):
            terms = list(dict.fromkeys(" ".join(m.group(0).split()).lower() for m in PATTERNS[name].finditer(sentence)))
            if terms:
                found[name].append(Statement(index, terms))
    return found


def statement_texts(name: str) -> dict[str, list[str]]:
    """An inriktning's statements in other words, per language (the language files that have them)."""
    texts = {file.language: list(file.get("inriktningar.statements", KEYS[name])) for file in wording.WORDING.files}
    return {language: sentences for language, sentences in texts.items() if sentences}


def paraphrase_confidence(cosine: float) -> float:
    """The calibrated probability that a sentence this close to a statement shows the inriktning."""
    return float(1.0 / (1.0 + np.exp(-(PARAPHRASE_INTERCEPT + PARAPHRASE_SLOPE * cosine))))


def closest_paraphrase(sentences: np.ndarray, statement_vectors: np.ndarray, texts: list[str]) -> Paraphrase | None:
    """The application sentence (rows of `sentences`) closest to any statement (rows of `statement_vectors`, whose
    sentences are `texts`); None when there are no sentences or statements."""
    if not len(sentences) or not len(statement_vectors):
        return None
    similarity = sentences @ statement_vectors.T
    row, column = np.unravel_index(int(similarity.argmax()), similarity.shape)
    return Paraphrase(int(row), texts[int(column)], paraphrase_confidence(float(similarity[row, column])))


def judge_inriktning(terms: list[str], lang: str, paraphrase: Paraphrase | None = None, sureness: str = "") -> str:
    """How an inriktning was judged, in one plain sentence in the application's language."""
    if terms:
        return t("judge_shown", lang, terms=", ".join(f"“{term}”" for term in terms))
    if paraphrase is not None and paraphrase.shown:
        return t("judge_paraphrase", lang, sureness=sureness, statement=paraphrase.statement)
    return t("judge_not_shown", lang)
