"""The FastAPI application: thin routes over the domain functions in answers/matching/sections/searching.

`create_app(settings)` builds the app; the index is loaded at startup into `app.state.holder` and handed
to routes through the `corpus` dependency (503 with build instructions while there is no index).
OpenAPI: /openapi.json (self-contained); /docs (Swagger UI) and /redoc load their scripts and styles from
the fastapi-offline package (service/docs.py for /redoc), so they work without internet access.
The Gradio UI (ui/) is mounted at settings.ui_path (/ui) on the same index holder, and / redirects there.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from service import answers, matching, searching, sections
from service.admin import install_access
from service.align_report_docx import DOCX_MEDIA_TYPE, word_report
from service.docs import install_redoc
from service.errors import install_error_handlers
from service.feedback_api import install_feedback
from service.library_routes import install_library
from service.limits import BodyLimitMiddleware, HeavyWork, Limits
from service.models import (
    AlignReportRequest,
    AlignRequest,
    AlignResponse,
    AskRequest,
    AskResponse,
    ErrorResponse,
    Health,
    MatchRequest,
    MatchResponse,
    Readiness,
    RetrieverName,
    SearchResponse,
    SectionDetail,
    SectionTreeResponse,
)
from service.settings import Settings, get_settings
from service.state import Corpus, IndexHolder
from service.uploads import DocumentReader
from ui.limits import with_ui

log = logging.getLogger("rus.service")

ERRORS = {
    413: {"model": ErrorResponse, "description": "Input over the size limit"},
    422: {"model": ErrorResponse, "description": "Invalid input (the field is named)"},
    503: {"model": ErrorResponse, "description": "No index loaded; build one with `rus index build`"},
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


CorpusDep = Annotated[Corpus, Depends(get_corpus)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def create_app(settings: Settings | None = None, holder: IndexHolder | None = None) -> FastAPI:
    settings = settings or get_settings()
    holder = holder or IndexHolder(
        settings.index_dir, settings.embedder, settings.embedding_cache_size, engine=settings.e5_engine
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        holder.load()
        if holder.error:
            log.warning("starting without an index: %s", holder.error)
        yield

    app = FastAPIOffline(  # FastAPI with /docs and /redoc served from installed files, not a CDN
        title="RUS Search",
        version="0.1.0",
        description="Search, cited answers, sub-priority matching and alignment checks over Region "
        "Västerbotten's regional development strategy (RUS 2020–2030). Every answer quotes the "
        "strategy's own text.",
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from the online validator
        redoc_url=None,  # served by install_redoc, without the packaged ReDoc's CDN logo
    )
    app.state.settings = settings
    app.state.holder = holder
    # uploaded files are read in a sandboxed child, a few at once (service/uploads.py); alignment and match run a
    # few at once with a time budget, the API's and the UI's together (service/limits.py HeavyWork)
    app.state.reader = DocumentReader(Limits.from_settings(settings), settings.max_concurrent_uploads)
    app.state.heavy = HeavyWork.from_settings(settings)
    install_error_handlers(app)
    # request bodies over the limit get 413 before parsing (uploads have their own, larger limit: service/limits.py)
    # (the mounted UI, when on, gets room under settings.ui_path for Gradio's file uploads: ui/limits.py)
    app.add_middleware(BodyLimitMiddleware, limits=with_ui(Limits.from_settings(settings), settings))
    install_access(app, settings, holder)  # API-key endpoints (upload, rebuild) and CORS: service/admin.py
    install_feedback(app, settings)  # POST /v1/feedback and its store: service/feedback_api.py
    install_redoc(app)  # /redoc with every asset from this server: service/docs.py
    install_library(app)  # the document library: list, original files, add and remove: service/library_routes.py

    @app.get("/healthz", response_model=Health, tags=["service"])
    def healthz() -> Health:
        """The process is up (says nothing about the index)."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Readiness, tags=["service"], responses={503: ERRORS[503]})
    def readyz(corpus: CorpusDep) -> Readiness:
        """The index is loaded and the embedder has answered once."""
        manifest = corpus.index.manifest
        return Readiness(
            status="ready",
            index_dir=str(settings.index_dir),
            build=corpus.build.name,
            embedder=corpus.embedder.id,
            n_chunks=len(corpus.chunks),
            n_documents=len(manifest.get("documents", [])),
        )

    # /v1/search and /v1/ask are coroutines that run the search in the thread pool themselves: FastAPI then checks
    # the returned model on the event loop, where for a plain function it takes another trip through the pool.
    @app.get("/v1/search", response_model=SearchResponse, tags=["search"], responses=ERRORS)
    async def search(
        corpus: CorpusDep,
        app_settings: SettingsDep,
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
        return await run_in_threadpool(
            searching.search, corpus, q, k, retriever, doc, priority, section, settings=app_settings, kind=kind
        )

    @app.post("/v1/ask", response_model=AskResponse, tags=["answers"], responses=ERRORS)
    async def ask(body: AskRequest, corpus: CorpusDep, app_settings: SettingsDep) -> AskResponse:
        """A short answer quoted from the strategy with citations, or "not covered" when evidence is weak."""
        return await run_in_threadpool(
            answers.ask, corpus, body.question, body.k, body.lang, settings=app_settings, doc=body.doc, kind=body.kind
        )

    @app.post("/v1/match", response_model=MatchResponse, tags=["applicants"], responses=HEAVY_ERRORS)
    def match(body: MatchRequest, corpus: CorpusDep, app_settings: SettingsDep) -> MatchResponse:
        """The sub-priorities a project description fits, with the best-matching identified needs."""
        with app.state.heavy.slot() as budget:
            return matching.match(corpus, body.text, body.k, app_settings, doc=body.doc, kind=body.kind, budget=budget)

    @app.post("/v1/align", response_model=AlignResponse, tags=["officers"], responses=HEAVY_ERRORS)
    def align(body: AlignRequest, corpus: CorpusDep, app_settings: SettingsDep) -> AlignResponse:
        """Which needs, challenges and inriktningar an application addresses, with a Markdown report."""
        with app.state.heavy.slot() as budget:
            return matching.align(corpus, body.text, body.k, app_settings, budget=budget)

    @app.post(
        "/v1/align/docx",
        response_class=Response,
        tags=["officers"],
        responses={
            200: {
                "content": {DOCX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                "description": "the report as a Word document (Content-Disposition names the file)",
            },
            **ERRORS,
        },
    )
    def align_docx(body: AlignReportRequest, corpus: CorpusDep, app_settings: SettingsDep) -> Response:
        """The /v1/align report as a Word document (.docx) for the case file: the application's name and the date,
        the main and other sub-priorities checked, each addressed need with the strategy's text and the
        application's supporting sentence, and the inriktningar with quotes."""
        report = word_report(corpus, body.text, body.k, body.name, app_settings)
        disposition = f'attachment; filename="{report.filename}"'
        return Response(report.content, media_type=DOCX_MEDIA_TYPE, headers={"Content-Disposition": disposition})

    @app.get("/v1/sections", response_model=SectionTreeResponse, tags=["strategy"], responses={503: ERRORS[503]})
    def section_tree(corpus: CorpusDep) -> SectionTreeResponse:
        """Prioriteringar → delprioriteringar → their challenges and needs; related plans per priority."""
        return sections.section_tree(corpus)

    @app.get(
        "/v1/sections/{section_id:path}",
        response_model=SectionDetail,
        tags=["strategy"],
        responses={404: {"model": ErrorResponse}, 503: ERRORS[503]},
    )
    def section_detail(
        section_id: str, corpus: CorpusDep, doc: Annotated[str | None, Query(description="document id")] = None
    ) -> SectionDetail:
        """A section's full cleaned text and pages ("3.1", "P 3" or a heading text)."""
        return sections.section_detail(corpus, section_id, doc)

    @app.get("/", include_in_schema=False, response_model=None)
    def root() -> JSONResponse | RedirectResponse:
        if settings.ui_enabled:
            return RedirectResponse("/" + settings.ui_path.strip("/") + "/")
        return JSONResponse({"service": "RUS Search", "docs": "/docs", "openapi": "/openapi.json"})

    if settings.ui_enabled:  # the Gradio UI (ui/), calling the same domain functions on the same index holder
        from ui.app import mount_ui

        mount_ui(app, holder, settings, app.state.reader, app.state.heavy)

    return app
