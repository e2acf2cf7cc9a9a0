"""Cut a plan (any document not shaped like the strategy) into sections along its heading hierarchy.

Section ids are qualified by the document id — "lanstransportplan#3.1", "kulturplan#Bakgrund" — so a plan's
"3.1" never collides with the strategy's sub-priority 3.1 in search filters, citations or eval labels.
"""

from __future__ import annotations

from ingest.clean import paragraphs_from_lines
from ingest.models import Heading, Line, Section
from ingest.plan_headings import heading_number

PLAN_KIND = "text"
PREAMBLE = "Inledning"
DOC_SEPARATOR = "#"  # between the document id and the local id in a plan's section id: "lanstransportplan#3.1"


def section_id(doc_id: str, local: str) -> str:
    """The id of a plan section: the document id, "#", and the heading's number or title."""
    return f"{doc_id}{DOC_SEPARATOR}{local}"


def build_plan_sections(lines: list[Line], headings: list[Heading], doc_id: str) -> list[Section]:
    """One section per heading (heading path = the titles of its ancestors and itself), plus the text
    before the first heading as "Inledning". Every non-heading line belongs to exactly one section."""
    sections: list[Section] = []
    first = headings[0].start if headings else len(lines)
    preamble = paragraphs_from_lines(lines[:first])
    if preamble:
        sections.append(Section(section_id(doc_id, PREAMBLE), [PREAMBLE], PLAN_KIND, None, preamble))
    stack: list[tuple[int, str]] = []  # (level, title) of the open ancestors
    for position, heading in enumerate(headings):
        level = heading.level if heading.level is not None else 1  # outline levels start at 0
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading.title))
        stop = headings[position + 1].start if position + 1 < len(headings) else len(lines)
        local = heading_number(heading.title) or heading.title
        sections.append(
            Section(
                section_id(doc_id, local),
                [title for _, title in stack],
                PLAN_KIND,
                None,
                paragraphs_from_lines(lines[heading.end : stop]),
                heading_page=heading.page,
            )
        )
    return sections
