"""Access control and the background index rebuild (documents are added through the library: library_routes.py).

* Read endpoints stay open. The endpoints here change state and need ``X-API-Key`` equal to
  ``Settings.api_key`` (RUS_API_KEY), compared in constant time (hmac.compare_digest). With no key
  configured they are switched off: 403 ``admin_disabled`` saying how to switch them on.
* ``POST /v1/index/rebuild`` runs ``rus index build`` over the corpus and the corpus directory
  (``Settings.corpus_dir``, files an operator put there) in a child process and the server hot-swaps to the new
  build when it is complete (service.state.IndexHolder; library documents are kept); ``GET /v1/index/rebuild``
  reports the last rebuild.
* CORS is off unless ``Settings.cors_origins`` lists origins.
"""

from __future__ import annotations

import hmac
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel, Field

from ingest.load import expand_paths
from service.errors import ServiceError
from service.library.uploads import limit_env
from service.limits import Limits
from service.models import ErrorResponse
from service.settings import Settings
from service.state import IndexHolder

log = logging.getLogger("rus.service")

API_KEY_HEADER = "X-API-Key"
LOG_TAIL = 2000


class AdminDisabled(ServiceError, status=403, code="admin_disabled"):
    """No API key is configured, so the state-changing endpoints are off."""


class Unauthorized(ServiceError, status=401, code="unauthorized"):
    """The API key is missing or wrong."""


class RebuildRunning(ServiceError, status=409, code="rebuild_running"):
    """A rebuild was asked for while one is running."""


def _error(description: str) -> dict:
    return {"model": ErrorResponse, "description": description}


ADMIN_ERRORS = {
    401: _error("Missing or wrong API key (header X-API-Key)"),
    403: _error("State-changing endpoints are off: no API key is configured (RUS_API_KEY)"),
}


def require_api_key(
    request: Request,
    x_api_key: Annotated[
        str | None, Header(alias=API_KEY_HEADER, description="the API key configured as RUS_API_KEY")
    ] = None,
) -> None:
    check_api_key(request.app.state.settings, x_api_key)


def check_api_key(settings: Settings, given_key: str | None) -> None:
    """AdminDisabled (403) when no key is configured, Unauthorized (401) unless `given_key` is the key (compared in
    constant time); the API's admin routes and the UI's library writes both check keys here."""
    configured = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    if not configured:
        raise AdminDisabled(
            "uploading and rebuilding are switched off on this server: no API key is configured "
            "(set RUS_API_KEY to enable them)"
        )
    given = (given_key or "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(given, configured.encode("utf-8")):
        raise Unauthorized(f"a valid API key is required in the {API_KEY_HEADER} header", API_KEY_HEADER)


class RebuildStatus(BaseModel):
    state: Literal["idle", "running", "succeeded", "failed"]
    started_at: float | None = None
    finished_at: float | None = None
    message: str | None = None
    build: str | None = Field(None, description="the build being served")
    swaps: int = Field(0, description="hot swaps since the server started")


class RebuildJob:
    """At most one `rus index build` child at a time; the holder hot-swaps to its result."""

    def __init__(self, settings: Settings, holder: IndexHolder) -> None:
        self.settings = settings
        self.holder = holder
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.state: str = "idle"
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.message: str | None = None

    def sources(self) -> list[Path]:
        paths = [Path(p) for p in self.settings.corpus if Path(p).exists()]
        corpus_dir = Path(self.settings.corpus_dir)
        if corpus_dir.is_dir() and expand_paths([corpus_dir]):  # it holds a supported document
            paths.append(corpus_dir)
        unique: dict[Path, None] = {}
        for path in paths:
            unique.setdefault(path.resolve(), None)
        return list(unique)

    def start(self) -> RebuildStatus:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise RebuildRunning("a rebuild is already running; see GET /v1/index/rebuild")
            sources = self.sources()
            if not sources:
                raise ServiceError("there is nothing to index: no corpus files and no uploaded documents", None)
            self.state, self.started_at, self.finished_at, self.message = "running", time.time(), None, None
            self._thread = threading.Thread(target=self._run, args=(sources,), name="index-rebuild", daemon=True)
            self._thread.start()
            return self.status()

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self, sources: list[Path]) -> None:
        command = [
            sys.executable,
            "-m",
            "service.cli",
            "index",
            "build",
            *map(str, sources),
            "--index-dir",
            str(self.settings.index_dir),
            "--embedder",
            self.settings.embedder,
            "--quiet",
        ]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                timeout=self.settings.rebuild_timeout_seconds,
                env={
                    **os.environ, "PYTHONUNBUFFERED": "1", "RUS_E5_ENGINE": self.settings.e5_engine,
                    **limit_env(Limits.from_settings(self.settings)),
                },
                check=False,
            )
            output = (done.stdout + done.stderr).decode("utf-8", "replace").strip()
            ok = done.returncode == 0
        except subprocess.TimeoutExpired:
            limit = self.settings.rebuild_timeout_seconds
            output, ok = f"the build took longer than {limit:.0f} s and was stopped", False
        except OSError as exc:
            output, ok = f"the build could not start: {exc}", False
        if ok:
            self.holder.load()  # in this thread: requests keep being answered from the old index meanwhile
            ok = self.holder.error is None
            if not ok:
                output = f"the new build could not be loaded: {self.holder.error}"
        self.state = "succeeded" if ok else "failed"
        self.message = output[-LOG_TAIL:] or None
        self.finished_at = time.time()
        log.info("index rebuild %s: %s", self.state, self.message)

    def status(self) -> RebuildStatus:
        corpus = self.holder.corpus
        return RebuildStatus(
            state=self.state,  # type: ignore[arg-type]
            started_at=self.started_at,
            finished_at=self.finished_at,
            message=self.message,
            build=corpus.build.name if corpus is not None else None,
            swaps=self.holder.swaps,
        )


def build_router(settings: Settings, holder: IndexHolder) -> APIRouter:
    router = APIRouter(tags=["admin"], dependencies=[Depends(require_api_key)])
    job = RebuildJob(settings, holder)

    @router.post(
        "/v1/index/rebuild",
        response_model=RebuildStatus,
        status_code=202,
        responses={**ADMIN_ERRORS, 409: _error("A rebuild is already running")},
    )
    def start_rebuild() -> RebuildStatus:
        """Rebuild the index from the corpus in the background; the server switches when it is complete."""
        return job.start()

    @router.get("/v1/index/rebuild", response_model=RebuildStatus, responses=ADMIN_ERRORS)
    def rebuild_status() -> RebuildStatus:
        """The state of the last rebuild and the build being served."""
        return job.status()

    router.rebuild_job = job  # type: ignore[attr-defined]  (for tests)
    return router


def install_access(app: FastAPI, settings: Settings, holder: IndexHolder) -> None:
    """Mount the admin endpoints (API key) and CORS (only when origins are configured)."""
    router = build_router(settings, holder)
    app.include_router(router)
    app.state.rebuild_job = router.rebuild_job  # type: ignore[attr-defined]
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", API_KEY_HEADER],
        )
