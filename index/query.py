"""Prepare a question for retrieval: drop the question frame so the content words carry the match."""

from __future__ import annotations

import re

# A longer text is a project description (eval/realistic.jsonl's are 60–150 words), not a question.
DESCRIPTION_WORDS = 25

QUESTION_FRAME = re.compile(
    r"^\s*(?:"
    r"(?:which|what)\s+(?:sub-?\s?priorit(?:y|ies)|priorit(?:y|ies)|part\s+of\s+the\s+strategy|section)"
    r"(?:\s+(?:would|could|should|will|does|do|is|are)\b)?"
    r"(?:\s+(?:cover|covers|mention|mentions|address|addresses|support|supports|help|helps|want|wants|fit|fits|"
    r"deal\s+with|deals\s+with|talk\s+about|talks\s+about|be\s+about|is\s+about|apply\s+to|applies\s+to|handle|"
    r"handles|include|includes|focus\s+on|focuses\s+on)\b)?"
    r"|where\s+(?:does|do|in)\s+the\s+strategy\s+(?:say|says|mention|mentions|talk\s+about|discuss)"
    r"|what\s+does\s+the\s+strategy\s+say\s+about"
    r"|(?:vilken|vilka)\s+(?:del)?prioritering(?:ar|en)?(?:\s+(?:som|skulle|kan|ska))?"
    r"(?:\s+(?:handlar\s+om|stöttar|stödjer|vill|täcker|nämner|tar\s+upp|omfattar|passar|gäller|rör|hjälper)\b)?"
    r"|var\s+(?:i\s+strategin\s+)?(?:står\s+det|nämns|säger\s+strategin|tar\s+strategin\s+upp)(?:\s+om)?"
    r"|vad\s+säger\s+strategin\s+om"
    r")\s*[:,-]?\s*",
    re.IGNORECASE,
)


def retrieval_text(query: str) -> str:
    """The query without a leading "which sub-priority covers…"/"vilken delprioritering…" frame."""
    stripped = QUESTION_FRAME.sub("", query, count=1).strip()
    return stripped if len(stripped) >= 3 else query.strip()


def is_description(query: str) -> bool:
    """Whether a query is a project description rather than a question (more than DESCRIPTION_WORDS words)."""
    return len(query.split()) > DESCRIPTION_WORDS
