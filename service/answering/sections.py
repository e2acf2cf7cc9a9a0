"""The strategy as a tree (prioriteringar → delprioriteringar → needs, challenges, plans), sections and documents.

Built from the index's sections.json side file: full cleaned section text and pages, and each section's numbered
challenges and needs as the build found them (ingest.chunking) — nothing here parses the text again.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingest.models import Item
from ingest.vocabulary import BULLET, PRIORITY_ID, SUBPRIORITY_PREFIX, is_subpriority, item_label
from service.answering.plan_links import linked_documents
from service.errors import NotFound, no_such_document
from service.models import (
    DocumentTree,
    ItemQuote,
    PlanLink,
    PlanList,
    PriorityNode,
    SectionDetail,
    SectionPart,
    SectionRef,
    SectionTreeResponse,
    SubpriorityNode,
    SubpriorityRef,
)
from service.state import Corpus


def _sections(corpus: Corpus, doc_id: str | None = None) -> Iterator[tuple[dict, dict]]:
    for document in corpus.sections:
        if doc_id is None or document["doc_id"] == doc_id:
            for section in document["sections"]:
                yield document, section


def _pages(parts: list[dict]) -> tuple[int | None, int | None]:
    starts = [p["page_start"] for p in parts if p.get("page_start") is not None]
    ends = [p["page_end"] if p.get("page_end") is not None else p.get("page_start") for p in parts]
    ends = [e for e in ends if e is not None]
    return (min(starts) if starts else None), (max(ends) if ends else None)


def subpriority_title(heading_path: list[str] | tuple[str, ...], section_id: str) -> str:
    """ "3.1 Samverkanskraft för …" from a heading path holding "Delprioritering 3.1 Samverkanskraft för …"."""
    for heading in heading_path:
        if section_id in heading:
            return SUBPRIORITY_PREFIX.sub("", heading).strip()
    return section_id


def subpriority_ref(corpus: Corpus, doc_id: str, section_id: str) -> SubpriorityRef:
    parts = [s for _, s in _sections(corpus, doc_id) if s["section_id"] == section_id]
    main = next((s for s in parts if s["kind"] == "subpriority"), parts[0] if parts else None)
    if main is None:  # not in the side file: fall back to the chunks
        chunk = next(c for c in corpus.chunks if c.doc_id == doc_id and c.section_id == section_id)
        path = list(chunk.heading_path)
        start, end = chunk.page_start, chunk.page_end
        priority = chunk.priority
    else:
        path = list(main["heading_path"])
        start, end = _pages(parts)
        priority = main.get("priority")
    sub_index = next((i for i, h in enumerate(path) if section_id in h), len(path) - 1)
    return SubpriorityRef(
        section_id=section_id,
        title=subpriority_title(path, section_id),
        priority=priority,
        priority_title=path[0] if sub_index > 0 else None,
        heading_path=path[: sub_index + 1],
        page_start=start,
        page_end=end,
    )


def item_quote(item: Item) -> ItemQuote:
    """The API shape of a numbered item as the build stored it."""
    return ItemQuote(
        kind=item.kind,
        item=item_label(item.kind, item.number),
        number=item.number,
        text=item.text,
        text_en=item.text_en,
        page_start=item.page_start,
        page_end=item.page_end,
        chunk_id=item.chunk_ids[0] if item.chunk_ids else None,
    )


def stored_items(corpus: Corpus, doc_id: str, section_id: str, kind: str | None = None) -> list[Item]:
    """A section's numbered items in document order: challenges then needs (`kind` "challenge"/"need": one kind)."""
    return [
        item
        for _, section in _sections(corpus, doc_id)
        if section["section_id"] == section_id
        for item in section["items"]
        if kind is None or item.kind == kind
    ]


def section_items(corpus: Corpus, doc_id: str, section_id: str, kind: str) -> list[ItemQuote]:
    """A sub-priority's numbered needs (kind "need") or challenges (kind "challenge"), in order, quoted in full."""
    return [item_quote(item) for item in stored_items(corpus, doc_id, section_id, kind)]


def _plan_list(section: dict, library: list[tuple[str, str]]) -> PlanList:
    """A "Vägen framåt" list, each mentioned plan linked to the library documents (doc id, title) it names."""
    plans = [BULLET.sub("", p).strip() for p in section["text"].split("\n\n") if p.strip()]
    return PlanList(
        title=section["heading_path"][-1],
        plans=plans,
        page_start=section.get("page_start"),
        page_end=section.get("page_end"),
        in_library=[
            PlanLink(plan=plan, doc_id=doc_id, title=title)
            for plan in plans
            for doc_id, title in linked_documents(plan, library)
        ],
    )


def section_tree(corpus: Corpus) -> SectionTreeResponse:
    """The strategy as a tree (built once per loaded index)."""
    return corpus.derived(_section_tree)


def _section_tree(corpus: Corpus) -> SectionTreeResponse:
    documents = []
    for document in corpus.sections:
        doc_id = document["doc_id"]
        library = [(d["doc_id"], d["title"]) for d in corpus.sections if d["doc_id"] != doc_id]
        priorities: dict[int, PriorityNode] = {}
        others: list[SectionRef] = []
        seen_subs: set[str] = set()
        for section in document["sections"]:
            sid, kind, number = section["section_id"], section["kind"], section.get("priority")
            if number is not None and number not in priorities:
                title = section["heading_path"][0] if section["heading_path"] else f"Prioritering {number}"
                parts = [s for s in document["sections"] if s["section_id"] == f"P {number}"]
                start, end = _pages(parts or [section])
                priorities[number] = PriorityNode(
                    section_id=f"P {number}",
                    number=number,
                    title=title,
                    page_start=start,
                    page_end=end,
                    subpriorities=[],
                    related_plans=[],
                )
            if kind == "plans" and number is not None:
                priorities[number].related_plans.append(_plan_list(section, library))
            elif is_subpriority(sid) and number is not None and sid not in seen_subs:
                seen_subs.add(sid)
                ref = subpriority_ref(corpus, doc_id, sid)
                priorities[number].subpriorities.append(
                    SubpriorityNode(
                        section_id=sid,
                        title=ref.title,
                        page_start=ref.page_start,
                        page_end=ref.page_end,
                        challenges=section_items(corpus, doc_id, sid, "challenge"),
                        needs=section_items(corpus, doc_id, sid, "need"),
                    )
                )
            elif number is None:
                others.append(
                    SectionRef(
                        section_id=sid,
                        title=section["heading_path"][-1],
                        kind=kind,
                        page_start=section.get("page_start"),
                        page_end=section.get("page_end"),
                    )
                )
        documents.append(
            DocumentTree(
                doc_id=doc_id,
                title=document["title"],
                n_pages=document.get("n_pages"),
                priorities=[priorities[n] for n in sorted(priorities)],
                other_sections=others,
            )
        )
    return SectionTreeResponse(documents=documents)


def section_detail(corpus: Corpus, section_id: str, doc: str | None = None) -> SectionDetail:
    """All parts of a section (for "3.1": description, challenges, actors, needs) with text and pages."""
    wanted = section_id.strip()
    if doc is not None and doc not in corpus.index.documents:
        raise NotFound(no_such_document(doc, corpus.index.documents), "doc")
    matches = [(d, s) for d, s in _sections(corpus, doc) if s["section_id"] == wanted]
    if not matches:  # heading-text ids: forgive case and spacing differences
        folded = " ".join(wanted.split()).casefold()
        matches = [(d, s) for d, s in _sections(corpus, doc) if " ".join(s["section_id"].split()).casefold() == folded]
    if not matches:
        where = f" in document {doc!r}" if doc else ""
        raise NotFound(f"no section {section_id!r}{where}; see /v1/sections for the section ids", "section_id")
    document = matches[0][0]
    parts = [s for d, s in matches if d["doc_id"] == document["doc_id"]]
    start, end = _pages(parts)
    main = next((s for s in parts if s["kind"] in ("subpriority", "priority")), parts[0])
    sid = main["section_id"]
    title = subpriority_title(main["heading_path"], sid) if is_subpriority(sid) else main["heading_path"][-1]
    if PRIORITY_ID.match(sid):
        title = main["heading_path"][0]
    return SectionDetail(
        doc_id=document["doc_id"],
        doc_title=document["title"],
        section_id=sid,
        title=title,
        page_start=start,
        page_end=end,
        parts=[
            SectionPart(
                kind=s["kind"],
                heading_path=list(s["heading_path"]),
                page_start=s.get("page_start"),
                page_end=s.get("page_end"),
                text=s["text"],
            )
            for s in parts
        ],
        text="\n\n".join(s["text"] for s in parts if s["text"]),
        items=[item_quote(item) for s in parts for item in s["items"]],
    )
