"""Passage search with validated inputs (/v1/search), returning API models."""

from __future__ import annotations

from index.hits import Filters
from index.library import KINDS
from index.search import RETRIEVERS, SearchIndex
from service.errors import InvalidInput, no_such_document, require_k, require_text
from service.models import SearchHit, SearchResponse
from service.settings import Settings
from service.state import Corpus


def require_kind(kind: str | None) -> str | None:
    """A document kind filter: None when empty, else one of index.library.KINDS (a 422 naming the field)."""
    kind = (kind or "").strip() or None
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"'kind' must be one of {', '.join(KINDS)}, got {kind!r}", "kind")
    return kind


def require_filters(
    index: SearchIndex,
    doc: str | None = None,
    priority: int | None = None,
    section: str | None = None,
    kind: str | None = None,
) -> Filters:
    """The filters of a request, each naming something the index holds (read from its filter fields): a document
    id it has, a priority and a section id (of that document, when one is given) it has, a known kind — else a 422
    naming the field, so that a mistyped filter is not answered as an empty result or "not covered"."""
    doc = (doc or "").strip() or None
    section = (section or "").strip() or None
    kind = require_kind(kind)
    documents = index.documents
    if doc is not None and doc not in documents:
        raise InvalidInput(no_such_document(doc, documents), "doc")
    priorities = index.fields.priorities()
    if priority is not None and priority not in priorities:
        listed = f"{min(priorities)}–{max(priorities)}" if priorities else "none"
        raise InvalidInput(f"no priority {priority} in the index (its priorities: {listed})", "priority")
    if section is not None and not len(index.fields.allowed(Filters(doc=doc, section=section))):
        where = f" of document {doc!r}" if doc else ""
        raise InvalidInput(f"no section {section!r}{where}; see /v1/sections for the section ids", "section")
    return Filters(doc=doc, priority=priority, section=section, kind=kind)


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
    filters = require_filters(corpus.index, doc, priority, section, kind)
    hits = corpus.index.search(query, k=k, retriever=retriever, filters=filters)
    return SearchResponse(query=query, k=k, retriever=retriever, hits=[SearchHit.of(h) for h in hits])
