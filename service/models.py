"""Typed request and response shapes of the API (shared with the UI, which calls the same functions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from index.hits import Hit
from index.sentences import aligned_spans
from ingest.models import Chunk

Language = Literal["sv", "en"]
RetrieverName = Literal["hybrid", "dense", "bm25"]


class RequestBody(BaseModel):
    """A JSON request body: a field it does not define, or a number sent as text or true/false, is an error
    naming the field (422), not silently ignored or converted."""

    model_config = ConfigDict(extra="forbid")


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


def english_spans(chunk: Chunk, spans: Sequence[tuple[int, int]]) -> list[Span]:
    """The sentences of the chunk's English rendering that render `spans` of its text (none without one)."""
    if not chunk.text_en or not spans:
        return []
    return [
        Span(start=s, end=e, text=chunk.text_en[s:e]) for s, e in aligned_spans(chunk.text, chunk.text_en, list(spans))
    ]


class Passage(BaseModel):
    """Where a passage of a document stands: the base of every search hit and citation."""

    doc_id: str
    doc_title: str
    doc_kind: str | None = Field(None, description='the document\'s kind in the library: "strategi", "plan", …')
    doc_year: int | None = Field(None, description="the document's year, when the library knows it")
    section_id: str
    heading_path: list[str]
    kind: str
    item: str | None = Field(None, description='"Behov 4" or "Utmaning 3" for a numbered need or challenge')
    page_start: int | None
    page_end: int | None
    chunk_id: str
    text_en: str | None = Field(
        None, description="the passage in English: the team's unofficial translation (null: none for this passage)"
    )

    @staticmethod
    def fields_of(chunk: Chunk) -> dict:
        """The Passage fields of an indexed chunk (the one chunk → response mapping)."""
        return {
            "doc_id": chunk.doc_id,
            "doc_title": chunk.doc_title,
            "doc_kind": chunk.doc_kind,
            "doc_year": chunk.doc_year,
            "section_id": chunk.section_id,
            "heading_path": list(chunk.heading_path),
            "kind": chunk.kind,
            "item": chunk.item,
            "page_start": chunk.page_start,
            "page_end": chunk.page_end,
            "chunk_id": chunk.chunk_id,
            "text_en": chunk.text_en,
        }


class Citation(Passage):
    """Where an answer comes from: the passage with its supporting spans."""

    passage: str
    spans: list[Span] = Field(description="the supporting sentence(s), as offsets into `passage`")
    spans_en: list[Span] = Field(default_factory=list, description="the same sentence(s) in `text_en`")
    score: float | None = None

    @classmethod
    def of(cls, chunk: Chunk, spans: Sequence[tuple[int, int]], score: float | None = None) -> Citation:
        spans = sorted(set(spans))
        return cls(
            **Passage.fields_of(chunk),
            passage=chunk.text,
            spans=[Span(start=s, end=e, text=chunk.text[s:e]) for s, e in spans],
            spans_en=english_spans(chunk, spans),
            score=None if score is None else round(float(score), 6),
        )


class ItemQuote(BaseModel):
    """A numbered challenge ("Utmaning N") or identified need ("Behov N"), quoted as in the document."""

    kind: Literal["challenge", "need"]
    item: str = Field(description='"Behov 4" or "Utmaning 2"')
    number: int
    text: str
    text_en: str | None = Field(None, description="the item in English (unofficial translation), if there is one")
    page_start: int | None
    page_end: int | None
    score: float | None = None
    chunk_id: str | None = Field(None, description="the (first) chunk that holds the item")


class SubpriorityRef(BaseModel):
    section_id: str
    title: str = Field(description='e.g. "3.1 Samverkanskraft för en nära och tillgänglig plats"')
    priority: int | None
    priority_title: str | None
    heading_path: list[str]
    page_start: int | None
    page_end: int | None


# --- /v1/search ----------------------------------------------------------------------------


class SearchHit(Passage):
    rank: int
    score: float
    dense_score: float | None
    bm25_score: float | None
    text: str
    highlights: list[Span]
    highlights_en: list[Span] = Field(default_factory=list, description="the same sentence(s) in `text_en`")

    @classmethod
    def of(cls, hit: Hit) -> SearchHit:
        chunk = hit.chunk
        return cls(
            **Passage.fields_of(chunk),
            rank=hit.rank,
            score=round(hit.score, 6),
            dense_score=None if hit.dense_score is None else round(hit.dense_score, 6),
            bm25_score=None if hit.bm25_score is None else round(hit.bm25_score, 6),
            text=chunk.text,
            highlights=[Span(start=s, end=e, text=chunk.text[s:e]) for s, e in hit.highlights],
            highlights_en=english_spans(chunk, hit.highlights),
        )


class SearchResponse(BaseModel):
    query: str
    k: int
    retriever: RetrieverName
    hits: list[SearchHit]


# --- /v1/ask -------------------------------------------------------------------------------


class AskRequest(RequestBody):
    question: str = Field(
        description="a question in Swedish or English", examples=["Which sub-priority covers reindeer crossings?"]
    )
    k: int | None = Field(None, strict=True, description="how many passages to retrieve (default from settings)")
    lang: Language | None = Field(None, description="the question's language; detected when omitted")
    doc: str | None = Field(None, description="answer only from this document (a doc id of GET /v1/documents)")
    kind: str | None = Field(None, description='answer only from documents of this kind ("strategi", "plan", …)')


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
        default_factory=list,
        description="when not covered: the closest passages, for the reader to judge; when a (sub-)priority "
        "question is answered from the strategy: the matching passages of the library's other documents",
    )
    state: Literal["answer", "low_confidence", "not_covered"] = Field(
        "answer",
        description="answer: confident; low_confidence: the closest passages, said to be uncertain; "
        "not_covered: the strategy confidently does not hold it (only the closest passages are listed)",
    )
    confidence: float | None = Field(None, description="calibrated probability that the strategy covers the question")
    closest: list[SubpriorityRef] = Field(
        default_factory=list,
        description="when low_confidence: the closest two or three sub-priorities (distinct, best first), for the "
        "reader to choose from",
    )
    top_score: float | None = Field(None, description="best dense score among the retrieved passages")


# --- /v1/match -----------------------------------------------------------------------------


class MatchRequest(RequestBody):
    text: str = Field(description="a project description in Swedish or English (about 5,000 characters at most)")
    k: int | None = Field(None, strict=True, description="how many sub-priorities to return (default 3)")
    doc: str | None = Field(None, description="only the sub-priorities of this document (doc id)")
    kind: str | None = Field(None, description='only the sub-priorities of documents of this kind (e.g. "strategi")')


class SubpriorityMatch(BaseModel):
    subpriority: SubpriorityRef
    score: float
    needs: list[ItemQuote]
    passages: list[Citation]


class MatchResponse(BaseModel):
    language: Language
    n_sentences: int
    matches: list[SubpriorityMatch]
    state: Literal["answer", "low_confidence", "not_covered"] = Field(
        "answer",
        description="how sure it is that the strategy covers the description, by /v1/ask's answer-state model: "
        "answer (confident), low_confidence, not_covered (the matches are only the closest)",
    )
    confidence: float | None = Field(
        None, description="calibrated probability that the strategy covers the description (not a cosine)"
    )


# --- /v1/align -----------------------------------------------------------------------------


class AlignRequest(RequestBody):
    text: str = Field(description="an application text in Swedish or English (about 5,000 characters at most)")
    k: int | None = Field(None, strict=True, description="how many matched sub-priorities to check (default 3)")


class AlignReportRequest(AlignRequest):
    """/v1/align/docx: the /v1/align body, and optionally the application's name for the report's heading."""

    name: str | None = Field(
        None,
        description="the application's name or file name, shown in the report (at most 200 characters); "
        "default: the text's first line when it reads as a title, else its opening words",
    )


class ApplicationSentence(BaseModel):
    """A sentence of the submitted text: offsets into the text as submitted, and its similarity."""

    start: int
    end: int
    text: str
    score: float


LinkStatus = Literal["addressed", "possible", "not_addressed"]


class ItemLink(ItemQuote):
    addressed: bool = Field(description='true only when status is "addressed"')
    status: LinkStatus = Field(
        "not_addressed",
        description='"addressed": a sentence of the application supports the item by the calibrated margin; '
        '"possible": a weaker link for the officer to check, not support; "not_addressed": no such sentence',
    )
    confidence: float | None = Field(
        None, description="0–1: how clearly the best sentence singles out this item (calibrated, not a cosine)"
    )
    judgement: str = Field("", description="how the link was judged, in one plain sentence in the text's language")
    sentences: list[ApplicationSentence] = Field(description="the application's sentences that support the link")


class SubpriorityAlignment(BaseModel):
    subpriority: SubpriorityRef
    score: float
    needs: list[ItemLink]
    challenges: list[ItemLink]


class InriktningCheck(BaseModel):
    name: str
    addressed: bool = Field(description="true when the application states what it will do for the inriktning")
    score: float = Field(description="how many sentences state it in explicit wordings")
    confidence: float = Field(
        0.0,
        description="0–1: 1 for an explicit wording; else how likely the application's sentence closest to one of "
        "the inriktning's statements in other words shows it (calibrated, not a cosine; shown from 0.5)",
    )
    sentences: list[ApplicationSentence] = Field(description="the application's statements about the inriktning")
    terms: list[str] = Field(default_factory=list, description="the explicit wordings found in those sentences")
    judgement: str = Field("", description="how it was judged, in one plain sentence in the text's language")
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


class PlanLink(BaseModel):
    """A plan the strategy mentions that is in the library (matched by title)."""

    plan: str = Field(description="the mention as the strategy writes it")
    doc_id: str
    title: str


class PlanList(BaseModel):
    title: str
    plans: list[str]
    page_start: int | None
    page_end: int | None
    in_library: list[PlanLink] = Field(
        default_factory=list, description="the mentioned plans whose library document was found by its title"
    )


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
    items: list[ItemQuote] = Field(description="the numbered challenges and identified needs, in document order")
    text: str = Field(description="the full cleaned text of all parts")


class DocumentInfo(BaseModel):
    doc_id: str
    title: str
    kind: str | None = Field(None, description='"strategi", "plan", "program", "agenda" or "annat"')
    year: int | None = None
    source: str
    original_name: str | None = Field(None, description="the file name the document was added with")
    n_pages: int | None
    n_chunks: int
    n_sections: int
    headings_from: str | None = None
    file_url: str | None = Field(None, description="where the original file is served, when the index keeps it")


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
