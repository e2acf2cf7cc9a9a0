"""The FastAPI application, put together: settings, the index holder, limits, middleware and the routers.

`create_app(settings)` builds the app; the index is loaded at startup into `app.state.holder` and handed
to routes through the `corpus` dependency (service/api/deps.py; 503 with build instructions while there is no
index). One module per group of routes: health.py, search.py (/v1/search, /v1/ask), alignment.py (/v1/match,
/v1/align, /v1/align/docx), strategy.py (/v1/sections), library.py, feedback.py, admin.py (API key, rebuild,
CORS), redoc.py. OpenAPI: /openapi.json (self-contained); /docs (Swagger UI) and /redoc load their scripts and
styles from the fastapi-offline package, so they work without internet access.
The Gradio UI (ui/) is mounted at settings.ui_path (/ui) on the same index holder, and / redirects there.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi_offline import FastAPIOffline

from service.api import alignment, health, search, strategy
from service.api.admin import install_access
from service.api.errors import install_error_handlers
from service.api.feedback import install_feedback
from service.api.library import install_library
from service.api.redoc import install_redoc
from service.library.uploads import DocumentReader
from service.limits import BodyLimitMiddleware, HeavyWork, Limits, QueryThreads
from service.settings import VERSION, Settings, get_settings
from service.state import IndexHolder
from ui.limits import with_ui


def create_app(settings: Settings | None = None, holder: IndexHolder | None = None) -> FastAPI:
    settings = settings or get_settings()
    holder = holder or IndexHolder.from_settings(settings)

    app = FastAPIOffline(  # FastAPI with /docs and /redoc served from installed files, not a CDN
        title="RUS Search",
        version=VERSION,
        description="Search, cited answers, sub-priority matching and alignment checks over Region "
        "Västerbotten's regional development strategy (RUS 2020–2030). Every answer quotes the "
        "strategy's own text.",
        lifespan=holder.serving,  # the index is loaded at startup
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from the online validator
        redoc_url=None,  # served by install_redoc, without the packaged ReDoc's CDN logo
    )
    app.state.settings = settings
    app.state.holder = holder
    # uploaded files are read in a sandboxed child, a few at once (service/library/uploads.py); alignment and
    # match run a few at once with a time budget, the API's and the UI's together (service/limits.py HeavyWork)
    app.state.reader = DocumentReader(Limits.from_settings(settings), settings.max_concurrent_uploads)
    app.state.heavy = HeavyWork.from_settings(settings)
    app.state.queries = QueryThreads()  # searches and answers: a thread per encoder lane plus one, a bounded queue
    install_error_handlers(app)
    # request bodies over the limit get 413 before parsing (uploads have their own, larger limit: service/limits.py)
    # (the mounted UI, when on, gets room under settings.ui_path for Gradio's file uploads: ui/limits.py)
    app.add_middleware(BodyLimitMiddleware, limits=with_ui(Limits.from_settings(settings), settings))
    install_access(app, settings, holder)  # API-key endpoints (upload, rebuild) and CORS: service/api/admin.py
    install_feedback(app, settings)  # POST /v1/feedback and its store: service/api/feedback.py
    install_redoc(app)  # /redoc with every asset from this server: service/api/redoc.py
    install_library(app)  # the document library: list, original files, add and remove: service/api/library.py

    for routes in (health, search, alignment, strategy):
        app.include_router(routes.router)

    @app.get("/", include_in_schema=False, response_model=None)
    def root() -> JSONResponse | RedirectResponse:
        if settings.ui_enabled:
            return RedirectResponse(settings.ui_prefix() + "/")
        return JSONResponse({"service": "RUS Search", "docs": "/docs", "openapi": "/openapi.json"})

    if settings.ui_enabled:  # the Gradio UI (ui/), calling the same domain functions on the same index holder
        from ui.app import mount_ui

        mount_ui(app, holder, settings, app.state.reader, app.state.heavy)

    return app
