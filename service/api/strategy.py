"""GET /v1/sections (the strategy as a tree) and /v1/sections/{id} (one section's text and pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.answering import sections
from service.api.deps import ERRORS, CorpusDep
from service.models import ErrorResponse, SectionDetail, SectionTreeResponse

router = APIRouter(tags=["strategy"])


@router.get("/v1/sections", response_model=SectionTreeResponse, responses={503: ERRORS[503]})
def section_tree(corpus: CorpusDep) -> SectionTreeResponse:
    """Prioriteringar → delprioriteringar → their challenges and needs; related plans per priority."""
    return sections.section_tree(corpus)


@router.get(
    "/v1/sections/{section_id:path}",
    response_model=SectionDetail,
    responses={404: {"model": ErrorResponse}, 503: ERRORS[503]},
)
def section_detail(
    section_id: str, corpus: CorpusDep, doc: Annotated[str | None, Query(description="document id")] = None
) -> SectionDetail:
    """A section's full cleaned text and pages ("3.1", "P 3" or a heading text)."""
    return sections.section_detail(corpus, section_id, doc)
