"""POST /v1/feedback: a user's 👍/👎 on an answer or a match, stored by service/feedback.py.

`install_feedback(app, settings)` puts the store and the per-process rate limit on `app.state.feedback`
and includes the route (the UI posts here and reads the counts from the same file, settings.feedback_file()).
Bodies over settings.feedback_max_body_bytes get 413, bursts over the rate limit 429 with Retry-After, bad
fields 422 naming the field, and a store that cannot be written 503.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field

from service.errors import InvalidInput, ServiceError, require_text
from service.feedback import FeedbackError, FeedbackStore, TokenBucket
from service.models import ErrorResponse, RequestBody
from service.settings import Settings
from service.state import Corpus

log = logging.getLogger("rus.service")


class FeedbackRequest(RequestBody):
    question: str = Field(description="the question asked, or the project description matched")
    verdict: Literal["up", "down"] = Field(description="👍 (up) or 👎 (down)")
    kind: Literal["ask", "match"] = Field("ask", description="an answer (/v1/ask) or a match (/v1/match)")
    answer_state: Literal["subpriority", "fact", "not_covered", "match"] | None = Field(
        None, description="the answer's answer_type (or \"match\")"
    )
    top_sections: list[str] = Field(
        default_factory=list, description="the section ids shown, best first; for a match the judged one first"
    )
    section_id: str | None = Field(None, description='"the right section is …", e.g. "3.1"')


class FeedbackReceipt(BaseModel):
    id: int
    created_at: str
    verdict: str
    section_id: str | None
    build_id: str | None


@dataclass
class FeedbackService:
    """What the route needs: the store, the rate limit and the body limit."""

    store: FeedbackStore
    bucket: TokenBucket
    max_body_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackService:
        return cls(
            FeedbackStore(settings.feedback_file()),
            TokenBucket(settings.feedback_rate_per_minute / 60.0, settings.feedback_burst),
            settings.feedback_max_body_bytes,
        )


class RateLimited(ServiceError, status=429, code="rate_limited"):
    """Too much feedback at once: the wait in whole seconds goes in Retry-After and in the error as `retry_after`."""

    def __init__(self, wait: float) -> None:
        retry_after = max(1, math.ceil(wait))
        super().__init__(f"too much feedback at once; try again in {retry_after} s")
        self.headers["Retry-After"] = str(retry_after)
        self.details["retry_after"] = retry_after


class FeedbackUnavailable(ServiceError, status=503, code="feedback_unavailable"):
    """The feedback store cannot be written (e.g. a full disk)."""


class BodyTooLarge(ServiceError, status=413, code="input_too_long"):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the feedback body is {size} bytes; the limit is {limit} bytes", "body")


async def _admit(request: Request) -> None:
    """Rate limit first (cheap), then the body size; both before the body is validated."""
    service: FeedbackService = request.app.state.feedback
    wait = service.bucket.take()
    if wait:
        raise RateLimited(wait)
    size = len(await request.body())
    if size > service.max_body_bytes:
        raise BodyTooLarge(size, service.max_body_bytes)


router = APIRouter(tags=["feedback"])


@router.post(
    "/v1/feedback",
    response_model=FeedbackReceipt,
    status_code=201,
    responses={
        413: {"model": ErrorResponse, "description": "Body or question over the size limit"},
        422: {"model": ErrorResponse, "description": "Invalid input (the field is named)"},
        429: {"model": ErrorResponse, "description": "Rate limit: too much feedback at once (see Retry-After)"},
        503: {"model": ErrorResponse, "description": "The feedback store cannot be written"},
    },
    dependencies=[Depends(_admit)],
)
def post_feedback(body: FeedbackRequest, request: Request) -> FeedbackReceipt:
    """Store a 👍/👎 on an answer or a match, optionally with the section that would have been right.
    Stored: the question, answer state, sections shown, index build, verdict, chosen section and time."""
    settings: Settings = request.app.state.settings
    service: FeedbackService = request.app.state.feedback
    limit = settings.max_text_chars if body.kind == "match" else settings.max_query_chars
    question = require_text(body.question, "question", limit)
    corpus = request.app.state.holder.corpus  # None while no index is loaded: then ids are checked by form only
    known = corpus.derived(known_sections) if corpus is not None else None
    try:
        entry = service.store.add(
            question=question,
            verdict=body.verdict,
            kind=body.kind,
            answer_state=body.answer_state,
            top_sections=body.top_sections,
            chosen_section=body.section_id,
            build_id=corpus.build.name if corpus is not None else None,
            known_sections=known,
        )
    except FeedbackError as error:
        raise InvalidInput(error.message, error.field) from None
    except sqlite3.Error as error:  # e.g. a full disk or a damaged file: the caller can only retry later
        log.error("cannot store feedback in %s: %s", service.store.path, error)
        raise FeedbackUnavailable("feedback cannot be stored right now; please try again later") from None
    return FeedbackReceipt(
        id=entry.id,
        created_at=entry.created_at,
        verdict=entry.verdict,
        section_id=entry.chosen_section,
        build_id=entry.build_id,
    )


def known_sections(corpus: Corpus) -> frozenset[str]:
    """Every section id of the loaded index (its chunks' and its section tree's); derived once per index."""
    ids = {chunk.section_id for chunk in corpus.chunks}
    ids.update(section["section_id"] for document in corpus.sections for section in document["sections"])
    return frozenset(ids)


def install_feedback(app: FastAPI, settings: Settings) -> None:
    """The feedback store and rate limit on app.state.feedback, and the POST /v1/feedback route."""
    app.state.feedback = FeedbackService.from_settings(settings)
    app.include_router(router)
