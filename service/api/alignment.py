"""POST /v1/match (applicants: which sub-priorities a project fits), /v1/align and /v1/align/docx (officers: what
an application addresses, as JSON with a Markdown report or as a Word document). All three share the bounded
slots and time budget of heavy work (service/limits.py HeavyWork)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ingest.word import MEDIA_TYPE as DOCX_MEDIA_TYPE
from service.answering import matching
from service.answering.word_report import word_report
from service.api.deps import HEAVY_ERRORS, CorpusDep, HeavyDep, SettingsDep
from service.models import AlignReportRequest, AlignRequest, AlignResponse, MatchRequest, MatchResponse

router = APIRouter()


@router.post("/v1/match", response_model=MatchResponse, tags=["applicants"], responses=HEAVY_ERRORS)
def match(body: MatchRequest, corpus: CorpusDep, settings: SettingsDep, heavy: HeavyDep) -> MatchResponse:
    """The sub-priorities a project description fits, with the best-matching identified needs."""
    with heavy.slot() as budget:
        return matching.match(corpus, body.text, body.k, settings, doc=body.doc, kind=body.kind, budget=budget)


@router.post("/v1/align", response_model=AlignResponse, tags=["officers"], responses=HEAVY_ERRORS)
def align(body: AlignRequest, corpus: CorpusDep, settings: SettingsDep, heavy: HeavyDep) -> AlignResponse:
    """Which needs, challenges and inriktningar an application addresses, with a Markdown report."""
    with heavy.slot() as budget:
        return matching.align(corpus, body.text, body.k, settings, budget=budget)


@router.post(
    "/v1/align/docx",
    response_class=Response,
    tags=["officers"],
    responses={
        200: {
            "content": {DOCX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            "description": "the report as a Word document (Content-Disposition names the file)",
        },
        **HEAVY_ERRORS,
    },
)
def align_docx(body: AlignReportRequest, corpus: CorpusDep, settings: SettingsDep, heavy: HeavyDep) -> Response:
    """The /v1/align report as a Word document (.docx) for the case file: the application's name and the date,
    the main and other sub-priorities checked, each addressed need with the strategy's text and the
    application's supporting sentence, and the inriktningar with quotes."""
    with heavy.slot() as budget:
        report = word_report(corpus, body.text, body.k, body.name, settings, budget)
    disposition = f'attachment; filename="{report.filename}"'
    return Response(report.content, media_type=DOCX_MEDIA_TYPE, headers={"Content-Disposition": disposition})
