"""Passage search with validated inputs (/v1/search), returning API models."""

from __future__ import annotations

from index.hits import Filters
from index.library import KINDS
from index.search import RETRIEVERS
from service.errors import InvalidInput, require_k, require_text
from service.models import SearchHit, SearchResponse
from service.settings import Settings
from service.state import Corpus


def require_kind(kind: str | None) -> str | None:
    """A document kind filter: None when empty, else one of index.library.KINDS (a 422 naming the field)."""
    kind = (kind or "").strip() or None
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"'kind' must be one of {', '.join(KINDS)}, got {kind!r}", "kind")
    return kind


def search(
    corpus: Corpus,
    q: str,
    k: int = 10,
    retriever: str = "hybrid",
    doc: str | None = None,
    priority: int | None = None,
    section: str | None = None,
    *,
    settings: Settings,
    kind: str | None = None,
) -> SearchResponse:
    query = require_text(q, "q", settings.max_query_chars)
    k = require_k(k, settings.max_k)
    if retriever not in RETRIEVERS:
        raise InvalidInput(f"'retriever' must be one of {', '.join(RETRIEVERS)}, got {retriever!r}", "retriever")
    if priority is not None and priority < 1:
        raise InvalidInput(f"'priority' must be a priority number (1 or more), got {priority}", "priority")
    filters = Filters(
        doc=doc or None, priority=priority, section=(section or "").strip() or None, kind=require_kind(kind)
    )
    hits = corpus.index.search(query, k=k, retriever=retriever, filters=filters)
    return SearchResponse(query=query, k=k, retriever=retriever, hits=[SearchHit.of(h) for h in hits])
