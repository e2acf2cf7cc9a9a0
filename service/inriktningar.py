"""Does an application state what it will do for each of the strategy's three inriktningar? (/v1/align)

A transparent rule: a sentence of the application shows an inriktning when it contains one of that inriktning's
explicit wordings (Swedish or English, below). The sentences are quoted with the wordings found; when there is
none the report says the inriktning is not shown in the application. The embedder's margin over the strategy's
own descriptions of the inriktningar, the rule used before, judged 0.50 of the tune half's 42 judgements right
(`rus eval align`, docs/retrieval.md "Alignment"): it found every text close to all three, so it is not used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.vocabulary import INRIKTNINGAR
from service.texts import t

COHESION, INCLUSION, TRANSITION = INRIKTNINGAR
PLACES = r"(?:stad|städer(?:na)?|staden|tätort\w*|centralort\w*|kust\w*|inland\w*|landsbygd\w*|glesbygd\w*|land(?:et)?)"
BORDERS = r"(?:kommun|län|lands|riks|nations|national)gräns\w*"
WORDINGS: dict[str, tuple[str, ...]] = {
    COHESION: (
        rf"\b{PLACES}\s+och\s+{PLACES}",
        rf"\bmellan\s+{PLACES}\s+och\s+{PLACES}",
        r"\bkoppla\w*\s+ihop\s+\w+\s+med\s+\w+",
        rf"\böver\s+(?:\w+\s+)?{BORDERS}",
        rf"\b{BORDERS}",
        r"\bgränsöverskridande\b",
        r"\binterreg\b",
        r"\bcross[- ]border\b",
        r"\bacross\s+(?:the\s+)?(?:municipal|county|regional|national)\s+(?:borders?|boundar\w+|lines?)",
        r"\b(?:rural|urban)\s+and\s+(?:rural|urban)\b",
        r"\b(?:town|city|towns|cities|coast|inland|countryside)\s+and\s+(?:countryside|country|villages?|coast|"
        r"inland|towns?|cities|city)\b",
        r"\b(?:connect|link)\w*\s+(?:the\s+)?(?:rural|sparsely populated|inland|villages?)\w*\s+(?:\w+\s+)?"
        r"(?:with|to)\s+(?:the\s+)?(?:towns?|cities|city|centres?|centers?|coast)",
    ),
    INCLUSION: (
        r"\bjämställ\w*",
        r"\bjämlik\w*",
        r"\binkluder\w*",
        r"\binklusi\w*",
        r"\bmångfald\w*",
        r"\blikabehandl\w*",
        r"\bdiskrimin\w*",
        r"\b(?:lika|samma)\s+(?:stora\s+)?möjlighet\w*",
        r"\b(?:kvinnor|flickor|tjejer|män|pojkar|killar)\s+och\s+(?:kvinnor|flickor|tjejer|män|pojkar|killar)\b",
        r"\buppdela\w*\s+på\s+kön\b",
        r"\bkönsuppdela\w*",
        r"\bfunktionsnedsättning\w*",
        r"\butrikes\s+födda\b",
        r"\butländsk\s+bakgrund\b",
        r"\bgender\w*",
        r"\bequal\w*\s+opportunit\w*",
        r"\bequalit\w*",
        r"\binclusi\w*",
        r"\bdiversity\b",
        r"\bnon-?discriminat\w*",
        r"\b(?:women|girls|men|boys)\s+and\s+(?:women|girls|men|boys)\b",
        r"\bdisabilit\w*",
        r"\bregardless\s+of\s+(?:\w+\s+){0,3}(?:background|gender|sex|age|origin|ability)",
    ),
    TRANSITION: (
        r"\bfossilfri\w*",
        r"\bfossil\w*\s+bränsle\w*",
        r"\bcirkulär\w*",
        r"\båterbruk\w*",
        r"\båtervin\w*",
        r"\bklimatneutral\w*",
        r"\butsläpp\w*",
        r"\bförnybar\w*",
        r"\bkoldioxid\w*",
        r"\bklimatomställ\w*",
        r"\bgröna?\s+omställning\w*",
        r"\bfossil[- ]free\b",
        r"\bfossil\s+fuels?\b",
        r"\bcircular\w*",
        r"\breus\w+",
        r"\brecycl\w*",
        r"\bclimate[- ]neutral\w*",
        r"\bemissions?\b",
        r"\brenewable\w*",
        r"\bcarbon\b",
        r"\bgreenhouse\b",
        r"\b(?:climate|green|energy)\s+transition\b",
        r"\bnet[- ]zero\b",
    ),
}
PATTERNS = {name: re.compile("|".join(f"(?:{w})" for w in words), re.IGNORECASE) for name, words in WORDINGS.items()}


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
