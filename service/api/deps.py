"""What the routes share: the loaded corpus, the settings, the bounds on heavy work and on queries, and the error
responses they document."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from service.limits import HeavyWork, QueryThreads
from service.models import ErrorResponse
from service.settings import Settings
from service.state import Corpus

ERRORS = {
    413: {"model": ErrorResponse, "description": "Input over the size limit"},
    422: {"model": ErrorResponse, "description": "Invalid input (the field is named)"},
    503: {"model": ErrorResponse, "description": "No index loaded; build one with `rus index build`"},
}
QUERY_ERRORS = {
    **ERRORS,
    503: {
        "model": ErrorResponse,
        "description": "No index loaded; or too many queries are waiting for the query encoder (busy)",
    },
}
HEAVY_ERRORS = {
    **ERRORS,
    503: {
        "model": ErrorResponse,
        "description": "No index loaded; or every slot for alignment and match is taken (busy, see Retry-After); "
        "or the request ran past its time budget (over_time_budget)",
    },
}


async def get_corpus(request: Request) -> Corpus:
    """The loaded corpus. A coroutine, so that FastAPI does not hand this lookup to its thread pool: each such hop
    costs a request two thread switches (docs/benchmarks.md, "Request profile"). Loading an index that is not yet
    in memory reads and verifies files, and happens off the event loop."""
    holder = request.app.state.holder
    if holder.corpus is None:
        return await run_in_threadpool(holder.get)
    return holder.get()


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_heavy_work(request: Request) -> HeavyWork:
    """The slots and time budget alignment and match share with the UI (service/limits.py)."""
    return request.app.state.heavy


CorpusDep = Annotated[Corpus, Depends(get_corpus)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
HeavyDep = Annotated[HeavyWork, Depends(get_heavy_work)]


async def get_query_threads(request: Request, corpus: CorpusDep) -> QueryThreads:
    """The threads searches and answers run on, one per lane of the corpus's encoder plus one, and the bound on
    how many requests wait for them (service/limits.py)."""
    return request.app.state.queries.sized(corpus.embedder.query_lanes)


QueriesDep = Annotated[QueryThreads, Depends(get_query_threads)]
