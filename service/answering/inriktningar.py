"""Does an application state what it will do for each of the strategy's three inriktningar? (/v1/align)

A transparent rule: a sentence of the application shows an inriktning when it contains one of that inriktning's
explicit wordings (Swedish or English: [inriktningar] in index/languages/*.toml). The sentences are quoted with the
wordings found; when there is none the report says the inriktning is not shown in the application. The embedder's
margin over the strategy's own descriptions of the inriktningar, the rule used before, judged 0.50 of the tune half's
42 judgements right (`rus eval align`, docs/retrieval.md "Alignment"): it found every text close to all three, so it
is not used.
"""

from __future__ import annotations

from dataclasses import dataclass

from index import wording
from ingest.vocabulary import INRIKTNINGAR
from service.texts import t

# the explicit wordings of each inriktning: [inriktningar] in index/languages/*.toml, in INRIKTNINGAR's order
PATTERNS = dict(zip(INRIKTNINGAR, (wording.PATTERNS.inriktningar[key] for key in wording.INRIKTNING_KEYS), strict=True))


@dataclass(frozen=True)
class Statement:
    """A sentence of the application (its index) that states an aim for an inriktning, and the wordings found."""

    sentence: int
    terms: list[str]


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


def judge_inriktning(terms: list[str], lang: str) -> str:
    """How an inriktning was judged, in one plain sentence in the application's language."""
    if terms:
        return t("judge_shown", lang, terms=", ".join(f"“{term}”" for term in terms))
    return t("judge_not_shown", lang)
