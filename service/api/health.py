"""GET /healthz (the process is up) and /readyz (an index is loaded and its embedder answered); both answer HEAD
too, for probes that send it."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import ERRORS, CorpusDep, SettingsDep
from service.models import Health, Readiness

router = APIRouter(tags=["service"])


@router.get("/healthz", response_model=Health)
@router.head("/healthz", include_in_schema=False)
def healthz() -> Health:
    """The process is up (says nothing about the index)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: ERRORS[503]})
@router.head("/readyz", include_in_schema=False)
def readyz(corpus: CorpusDep, settings: SettingsDep) -> Readiness:
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
