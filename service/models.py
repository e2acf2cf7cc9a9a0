"""Typed request and response shapes of the API (shared with the UI, which calls the same functions)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Language = Literal["sv", "en"]
RetrieverName = Literal["hybrid", "dense", "bm25"]


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable error code, e.g. empty_input, not_found, index_unavailable")
    message: str
    field: str | None = Field(None, description="the input field at fault, when there is one")


class ErrorResponse(BaseModel):
    error: ErrorDetail


# --- shared pieces ---------------------------------------------------------------------------


class Span(BaseModel):
    """A stretch of a passage: character offsets [start, end) into the passage text, and that text."""

    start: int
    end: int
    text: str


class Citation(BaseModel):
    """Where an answer comes from: the document, section, pages and the passage with its supporting spans."""

    doc_id: str
    doc_title: str
    section_id: str
    heading_path: list[str]
    kind: str
    item: str | None = Field(None, description='"Behov 4" or "Utmaning 3" for a numbered need or challenge')
    page_start: int | None
    page_end: int | None
    chunk_id: str
    passage: str
    spans: list[Span] = Field(description="the supporting sentence(s), as offsets into `passage`")
    score: float | None = None


class ItemQuote(BaseModel):
    """A numbered identified need ("Behov N") or challenge ("Utmaning N"), quoted as in the document."""

    item: str
    number: int
    text: str
    page_start: int | None
    page_end: int | None
    score: float | None = None
    chunk_id: str | None = None


class SubpriorityRef(BaseModel):
    section_id: str
    title: str = Field(description='e.g. "3.1 Samverkanskraft för en nära och tillgänglig plats"')
    priority: int | None
    priority_title: str | None
    heading_path: list[str]
    page_start: int | None
    page_end: int | None


# --- /v1/search ----------------------------------------------------------------------------


class SearchHit(BaseModel):
    rank: int
    score: float
    dense_score: float | None
    bm25_score: float | None
    doc_id: str
    doc_title: str
    section_id: str
    heading_path: list[str]
    kind: str
    item: str | None
    page_start: int | None
    page_end: int | None
    chunk_id: str
    text: str
    highlights: list[Span]


class SearchResponse(BaseModel):
    query: str
    k: int
    retriever: RetrieverName
    hits: list[SearchHit]


# --- /v1/ask -------------------------------------------------------------------------------


class AskRequest(BaseModel):
    question: str = Field(
        description="a question in Swedish or English", examples=["Which sub-priority covers reindeer crossings?"]
    )
    k: int | None = Field(None, description="how many passages to retrieve (default from settings)")
    lang: Language | None = Field(None, description="the question's language; detected when omitted")


class AskResponse(BaseModel):
    question: str
    language: Language
    answer_type: Literal["subpriority", "fact", "not_covered"]
    covered: bool
    answer: str = Field(description="composed only of text quoted from the strategy (or a not-covered notice)")
    subpriority: SubpriorityRef | None = None
    needs: list[ItemQuote] = Field(default_factory=list, description="the identified needs that match best")
    citations: list[Citation] = Field(default_factory=list)
    related: list[Citation] = Field(
        default_factory=list, description="when not covered: the closest passages, for the reader to judge"
    )
    top_score: float | None = Field(None, description="best dense score among the retrieved passages")
    threshold: float | None = Field(None, description="the abstention threshold applied for this language")


# --- /v1/match -----------------------------------------------------------------------------


class MatchRequest(BaseModel):
    text: str = Field(description="a project description in Swedish or English (about 5,000 characters at most)")
    k: int | None = Field(None, description="how many sub-priorities to return (default 3)")


class SubpriorityMatch(BaseModel):
    subpriority: SubpriorityRef
    score: float
    needs: list[ItemQuote]
    passages: list[Citation]


class MatchResponse(BaseModel):
    language: Language
    n_sentences: int
    matches: list[SubpriorityMatch]


# --- /v1/align -----------------------------------------------------------------------------


class AlignRequest(BaseModel):
    text: str = Field(description="an application text in Swedish or English (about 5,000 characters at most)")
    k: int | None = Field(None, description="how many matched sub-priorities to check (default 3)")


class ApplicationSentence(BaseModel):
    """A sentence of the submitted text: offsets into the text as submitted, and its similarity."""

    start: int
    end: int
    text: str
    score: float


class ItemLink(ItemQuote):
    addressed: bool
    sentences: list[ApplicationSentence] = Field(description="the application's sentences that support the link")


class SubpriorityAlignment(BaseModel):
    subpriority: SubpriorityRef
    score: float
    needs: list[ItemLink]
    challenges: list[ItemLink]


class InriktningCheck(BaseModel):
    name: str
    addressed: bool
    score: float
    sentences: list[ApplicationSentence]
    source: Citation | None = Field(None, description="the strategy's own description of the inriktning")


class AlignResponse(BaseModel):
    language: Language
    n_sentences: int
    subpriorities: list[SubpriorityAlignment]
    inriktningar: list[InriktningCheck]
    markdown: str = Field(description="the whole report as Markdown, for an assessment memo")


# --- sections and documents ----------------------------------------------------------------


class SectionRef(BaseModel):
    section_id: str
    title: str
    kind: str
    page_start: int | None
    page_end: int | None


class PlanList(BaseModel):
    title: str
    plans: list[str]
    page_start: int | None
    page_end: int | None


class SubpriorityNode(BaseModel):
    section_id: str
    title: str
    page_start: int | None
    page_end: int | None
    challenges: list[ItemQuote]
    needs: list[ItemQuote]


class PriorityNode(BaseModel):
    section_id: str
    number: int
    title: str
    page_start: int | None
    page_end: int | None
    subpriorities: list[SubpriorityNode]
    related_plans: list[PlanList] = Field(description='the "Vägen framåt" lists of other strategies and plans')


class DocumentTree(BaseModel):
    doc_id: str
    title: str
    n_pages: int | None
    priorities: list[PriorityNode]
    other_sections: list[SectionRef] = Field(description="introductory and cross-cutting sections, in order")


class SectionTreeResponse(BaseModel):
    documents: list[DocumentTree]


class SectionPart(BaseModel):
    kind: str
    heading_path: list[str]
    page_start: int | None
    page_end: int | None
    text: str


class SectionDetail(BaseModel):
    doc_id: str
    doc_title: str
    section_id: str
    title: str
    page_start: int | None
    page_end: int | None
    parts: list[SectionPart]
    text: str = Field(description="the full cleaned text of all parts")


class DocumentInfo(BaseModel):
    doc_id: str
    title: str
    source: str
    n_pages: int | None
    n_chunks: int
    n_sections: int
    headings_from: str | None = None


class DocumentsResponse(BaseModel):
    documents: list[DocumentInfo]
    embedder: str
    built_at: str | None


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    index_dir: str
    build: str
    embedder: str
    n_chunks: int
    n_documents: int
