"""Passage search with validated inputs (/v1/search), returning API models."""

from __future__ import annotations

from index.search import RETRIEVERS, Filters, Hit
from service.errors import InvalidInput, require_k, require_text
from service.models import SearchHit, SearchResponse, Span
from service.settings import Settings, get_settings
from service.state import Corpus


def search_hit(hit: Hit) -> SearchHit:
    chunk = hit.chunk
    return SearchHit(
        rank=hit.rank,
        score=round(hit.score, 6),
        dense_score=None if hit.dense_score is None else round(hit.dense_score, 6),
        bm25_score=None if hit.bm25_score is None else round(hit.bm25_score, 6),
        doc_id=chunk.doc_id,
        doc_title=chunk.doc_title,
        section_id=chunk.section_id,
        heading_path=list(chunk.heading_path),
        kind=chunk.kind,
        item=chunk.item,
        page_start=chunk.page_start,
        page_end=chunk.page_end,
        chunk_id=chunk.chunk_id,
        text=chunk.text,
        highlights=[Span(start=s, end=e, text=chunk.text[s:e]) for s, e in hit.highlights],
    )


def search(
    corpus: Corpus,
    q: str,
    k: int = 10,
    retriever: str = "hybrid",
    doc: str | None = None,
    priority: int | None = None,
    section: str | None = None,
    settings: Settings | None = None,
) -> SearchResponse:
    settings = settings or get_settings()
    query = require_text(q, "q", settings.max_query_chars)
    k = require_k(k, settings.max_k)
    if retriever not in RETRIEVERS:
        raise InvalidInput(f"'retriever' must be one of {', '.join(RETRIEVERS)}, got {retriever!r}", "retriever")
    if priority is not None and priority < 1:
        raise InvalidInput(f"'priority' must be a priority number (1 or more), got {priority}", "priority")
    filters = Filters(doc=doc or None, priority=priority, section=(section or "").strip() or None)
    hits = corpus.index.search(query, k=k, retriever=retriever, filters=filters)
    return SearchResponse(query=query, k=k, retriever=retriever, hits=[search_hit(h) for h in hits])
