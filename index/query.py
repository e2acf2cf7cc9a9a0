"""Prepare a question for retrieval: drop the question frame so the content words carry the match."""

from __future__ import annotations

from index.wording import PATTERNS

# A longer text is a project description (eval/realistic.jsonl's are 60–150 words), not a question.
DESCRIPTION_WORDS = 25

# "which sub-priority covers …", "vilken delprioritering …": [question.frame] in index/languages/*.toml
QUESTION_FRAME = PATTERNS.question_frame


def retrieval_text(query: str) -> str:
    """The query without a leading "which sub-priority covers…"/"vilken delprioritering…" frame."""
    stripped = QUESTION_FRAME.sub("", query, count=1).strip()
    return stripped if len(stripped) >= 3 else query.strip()


def is_description(query: str) -> bool:
    """Whether a query is a project description rather than a question (more than DESCRIPTION_WORDS words)."""
    return len(query.split()) > DESCRIPTION_WORDS
