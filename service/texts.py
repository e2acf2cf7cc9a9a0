"""The Swedish/English texts the service itself writes (answers, alignment reports and judgements) and page
references in both languages; the UI's own texts are in ui/texts.py."""

from __future__ import annotations

DEFAULT_LANGUAGE = "sv"

TEXTS: dict[str, dict[str, str]] = {
    # --- answer and alignment words the UI shows too (ui/render.py) ------------------------------
    "matching_need": {"sv": "Matchande identifierat behov", "en": "Matching identified need"},
    "addressed_count": {"sv": "adresseras: {a} av {n}", "en": "addressed: {a} of {n}"},
    # --- answers (service/answering/answers.py) ------------------------------------------------------------
    "low_confidence_answer": {
        "sv": "Osäkert svar – strategin verkar inte ta upp exakt detta; här är de närmaste avsnitten.",
        "en": "Low confidence – the strategy may not cover exactly this; these are the closest passages.",
    },
    "not_covered_answer": {
        "sv": "Strategin verkar inte ta upp den här frågan. De närmaste avsnitten listas som referens.",
        "en": "The strategy does not appear to cover this question. The closest passages are listed for reference.",
    },
    # --- how each alignment claim was judged (service/answering/claims.py, inriktningar.py) ---
    "judge_clear": {
        "sv": "Tydligt stöd: en mening i ansökan handlar om just det här behovet, klart mer än om "
        "delprioriteringens övriga, och texten som helhet pekar åt samma håll.",
        "en": "Clear support: a sentence of the application is about this item, clearly more than about the "
        "sub-priority's others, and the text as a whole points the same way.",
    },
    "judge_support": {
        "sv": "Stöd: en mening i ansökan ligger närmare det här än delprioriteringens övriga, men med liten "
        "marginal – läs meningen.",
        "en": "Support: a sentence of the application is closer to this item than to the sub-priority's others, "
        "but by a small margin – read the sentence.",
    },
    "judge_possible": {
        "sv": "Möjlig koppling, inte stöd: meningen liknar det här men lika mycket något annat i "
        "delprioriteringen – bedöm själv.",
        "en": "Possible link, not support: the sentence resembles this item but as much something else in the "
        "sub-priority – judge for yourself.",
    },
    "judge_none": {
        "sv": "Ingen mening i ansökan pekar ut det här.",
        "en": "No sentence of the application singles this out.",
    },
    "judge_shown": {
        "sv": "Framgår av ansökan: meningen säger uttryckligen {terms}.",
        "en": "Shown in the application: the sentence explicitly says {terms}.",
    },
    "judge_not_shown": {
        "sv": "Framgår inte av ansökan: ingen mening säger vad projektet gör för inriktningen.",
        "en": "Not shown in the application: no sentence says what the project will do for this inriktning.",
    },
    "confidence_high": {"sv": "hög säkerhet", "en": "high confidence"},
    "confidence_medium": {"sv": "måttlig säkerhet", "en": "moderate confidence"},
    "confidence_low": {"sv": "låg säkerhet", "en": "low confidence"},
    "report_title": {
        "sv": "Avstämning mot den regionala utvecklingsstrategin",
        "en": "Alignment with the regional development strategy",
    },
    "report_note": {
        "sv": "Underlag framtaget med RUS Search. Citat ur strategin och ansökan återges ordagrant. Ett behov "
        "räknas som adresserat bara när en mening i ansökan pekar ut just det; svagare kopplingar anges som "
        "möjliga och är inte stöd. En inriktning framgår av ansökan bara när en mening uttryckligen säger vad "
        "projektet gör för den. Handläggaren gör den slutliga bedömningen.",
        "en": "Prepared with RUS Search. Quotations from the strategy and the application are verbatim. A need "
        "counts as addressed only when a sentence of the application singles it out; weaker links are listed "
        "as possible and are not support. An inriktning is shown in the application only when a sentence "
        "explicitly says what the project will do for it. The officer makes the final assessment.",
    },
    "report_matched": {"sv": "Matchade delprioriteringar", "en": "Matched sub-priorities"},
    "report_possible": {"sv": "Möjliga kopplingar (inte stöd)", "en": "Possible links (not support)"},
    "report_judgement": {"sv": "Bedömning", "en": "Judgement"},
    "report_needs": {"sv": "Identifierade behov", "en": "Identified needs"},
    "report_challenges": {"sv": "Utmaningar", "en": "Challenges"},
    "report_addressed": {"sv": "Adresseras", "en": "Addressed"},
    "report_not_addressed": {"sv": "Adresseras inte", "en": "Not addressed"},
    "report_support": {"sv": "Stöd i ansökan", "en": "Support in the application"},
    "report_directions": {"sv": "Inriktningar", "en": "Inriktningar (cross-cutting directions)"},
    "report_direction": {"sv": "Inriktning", "en": "Inriktning"},
    "report_where": {"sv": "Var i ansökan", "en": "Where in the application"},
    "report_none": {"sv": "–", "en": "–"},
    "report_nothing": {"sv": "inga", "en": "none"},
    # the Word report (service/answering/word_report.py)
    "report_application": {"sv": "Ansökan", "en": "Application"},
    "report_date": {"sv": "Datum", "en": "Date"},
    "report_unnamed": {"sv": "Inklistrad text som börjar ”{start}”", "en": "Pasted text beginning “{start}”"},
    "report_input": {
        "sv": "Rapporten är underlag för handläggarens bedömning av ansökan; den är inte ett beslut.",
        "en": "This report is input to the officer's assessment of the application; it is not a decision.",
    },
    "report_main": {"sv": "Huvudsaklig delprioritering", "en": "Main sub-priority"},
    "report_others": {"sv": "Andra kontrollerade delprioriteringar", "en": "Other sub-priorities checked"},
    "report_strategy_text": {"sv": "Strategins text", "en": "The strategy's text"},
    "report_in_strategy": {"sv": "I strategin", "en": "In the strategy"},
}


def t(key: str, lang: str, **params: object) -> str:
    """The text for `key` in `lang` (Swedish when the language is unknown), formatted with `params`."""
    return in_language(TEXTS[key], lang, **params)


def in_language(entry: dict[str, str], lang: str, **params: object) -> str:
    """One text entry ({"sv": …, "en": …}) in `lang` (Swedish when missing), formatted with `params`."""
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text


def format_pages(start: int | None, end: int | None, lang: str) -> str:
    """ "s. 12" / "s. 12–14" in Swedish, "p. 12" / "pp. 12–14" in English; "" when the page is unknown."""
    if start is None:
        return ""
    if end in (None, start):
        return f"s. {start}" if lang == "sv" else f"p. {start}"
    return f"s. {start}–{end}" if lang == "sv" else f"pp. {start}–{end}"
