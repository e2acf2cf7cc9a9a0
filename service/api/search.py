"""GET /v1/search (ranked passages) and POST /v1/ask (a cited answer, or "not covered").

Both are coroutines that run the work on the query threads themselves (service/limits.py QueryThreads: one per
encoder lane plus one, not the shared pool): FastAPI then checks the returned model on the event loop, where for a
plain function it takes another trip through the pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.answering import answers, searching
from service.api.deps import QUERY_ERRORS, CorpusDep, QueriesDep, SettingsDep
from service.models import AskRequest, AskResponse, RetrieverName, SearchResponse

router = APIRouter(responses=QUERY_ERRORS)


@router.get("/v1/search", response_model=SearchResponse, tags=["search"])
async def search(
    corpus: CorpusDep,
    settings: SettingsDep,
    queries: QueriesDep,
    q: Annotated[str, Query(description="the query, Swedish or English")],
    k: Annotated[int, Query(description="number of passages")] = 10,
    retriever: Annotated[RetrieverName, Query(description="hybrid, dense or bm25")] = "hybrid",
    doc: Annotated[str | None, Query(description="only this document id")] = None,
    priority: Annotated[int | None, Query(description="only this priority (1–6)")] = None,
    section: Annotated[str | None, Query(description='only this section id, e.g. "3.1"')] = None,
    kind: Annotated[str | None, Query(description='only documents of this kind, e.g. "plan"')] = None,
) -> SearchResponse:
    """Ranked passages with their best-matching sentence highlighted (character offsets); each names its
    document (title, kind, year) and pages."""
    return await queries.run(
        searching.search, corpus, q, k, retriever, doc, priority, section, settings=settings, kind=kind
    )


@router.post("/v1/ask", response_model=AskResponse, tags=["answers"])
async def ask(body: AskRequest, corpus: CorpusDep, settings: SettingsDep, queries: QueriesDep) -> AskResponse:
    """A short answer quoted from the strategy with citations, or "not covered" when evidence is weak."""
    return await queries.run(
        answers.ask, corpus, body.question, body.k, body.lang, settings=settings, doc=body.doc, kind=body.kind
    )
