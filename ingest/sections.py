"""Cut the cleaned line stream into sections with canonical ids and heading paths."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.clean import paragraphs_from_lines
from ingest.headings import classify
from ingest.models import Heading, Line, Section
from ingest.vocabulary import ACTORS_INTRO, ACTORS_TITLE, BULLET, CHALLENGES_INTRO, LIST_ITEM_START


@dataclass
class _Context:
    """Where we are in the priority → sub-priority hierarchy."""

    priority: int | None = None
    priority_title: str | None = None
    priority_level: int | None = None
    sub_id: str | None = None
    sub_title: str | None = None
    sub_level: int | None = None


def build_sections(lines: list[Line], headings: list[Heading]) -> list[Section]:
    """Assign every body line to exactly one section, then split sub-priorities into their parts.

    "Vägen framåt" headings caption a boxed list of plans: the section claims the list of titles
    next to the heading (after it, or before it when the caption sits below the box) and the text
    flow then returns to the section it interrupted.
    """
    owner: list[int | None] = [None] * len(lines)
    sections: list[Section] = []
    context = _Context()
    current: int | None = None
    heading_lines = {i for h in headings for i in range(h.start, h.end)}
    for heading in headings:
        section = _open_section(heading, context)
        sections.append(section)
        index = len(sections) - 1
        if section.kind == "plans":
            for line_index in _plan_list(lines, heading, heading_lines, owner, current):
                owner[line_index] = index
            if current is None:  # no section to return to: the text after it is the plans section's own
                current = index
        else:
            current = index
        _assign_until_next(owner, heading, headings, current, heading_lines)
    first_start = headings[0].start if headings else len(lines)
    preamble = [lines[i] for i in range(first_start) if i not in heading_lines]
    result: list[Section] = []
    if preamble:
        result.append(Section("Inledning", ["Inledning"], "intro", None, paragraphs_from_lines(preamble)))
    for index, section in enumerate(sections):
        body = [lines[i] for i, who in enumerate(owner) if who == index]
        section.paragraphs = paragraphs_from_lines(body)
        result.extend(_split_subpriority(section) if section.kind == "subpriority" else [section])
    return result


def _open_section(heading: Heading, context: _Context) -> Section:
    kind = classify(heading.title)
    title = heading.title
    page = heading.page
    if kind.kind == "priority":
        context.priority, context.priority_title, context.priority_level = kind.priority, title, heading.level
        context.sub_id = context.sub_title = context.sub_level = None
        return Section(kind.section_id or title, [title], "priority", kind.priority, heading_page=page)
    if kind.kind == "subpriority":
        if context.priority != kind.priority:
            context.priority, context.priority_title, context.priority_level = kind.priority, None, None
        context.sub_id, context.sub_title, context.sub_level = kind.section_id, title, heading.level
        path = [p for p in (context.priority_title, title) if p]
        return Section(kind.section_id or title, path, "subpriority", kind.priority, heading_page=page)
    if kind.kind == "needs" and context.sub_id:
        path = [p for p in (context.priority_title, context.sub_title, title) if p]
        return Section(context.sub_id, path, "needs", context.priority, heading_page=page)
    if kind.kind == "plans":
        path = [p for p in (context.priority_title, title) if p]
        return Section(title, path, "plans", context.priority, heading_page=page)
    if _nested(heading, context):
        if context.sub_id:
            path = [p for p in (context.priority_title, context.sub_title, title) if p]
            return Section(context.sub_id, path, "subpriority", context.priority, heading_page=page)
        path = [p for p in (context.priority_title, title) if p]
        return Section(f"P {context.priority}", path, "priority", context.priority, heading_page=page)
    context.priority = context.priority_title = context.priority_level = None
    context.sub_id = context.sub_title = context.sub_level = None
    return Section(title, [title], "intro", None, heading_page=page)


def _nested(heading: Heading, context: _Context) -> bool:
    """An unknown heading belongs inside the current priority only when the outline nests it there."""
    if heading.level is None or context.priority is None:
        return False
    parent_level = context.sub_level if context.sub_id else context.priority_level
    return parent_level is not None and heading.level > parent_level


def _assign_until_next(
    owner: list[int | None], heading: Heading, headings: list[Heading], current: int | None, heading_lines: set[int]
) -> None:
    position = headings.index(heading)
    stop = headings[position + 1].start if position + 1 < len(headings) else len(owner)
    for index in range(heading.end, stop):
        if owner[index] is None and index not in heading_lines:
            owner[index] = current


def _plan_list(
    lines: list[Line], heading: Heading, heading_lines: set[int], owner: list[int | None], current: int | None
) -> list[int]:
    """The boxed list of plan titles captioned by a "Vägen framåt" heading."""
    after = _title_run(lines, range(heading.end, len(lines)), heading_lines)
    if after:
        return after
    before = _title_run(lines, range(heading.start - 1, -1, -1), heading_lines, backwards=True)
    return [i for i in before if owner[i] == current or owner[i] is None]


def _title_run(lines: list[Line], indices: range, heading_lines: set[int], backwards: bool = False) -> list[int]:
    """Consecutive bullet items that start with a capital (document titles), with their wrapped lines."""
    run: list[int] = []
    pending: list[int] = []
    for index in indices:
        if index in heading_lines:
            break
        text = lines[index].text.strip()
        if BULLET.match(text):
            if not BULLET.sub("", text)[:1].isupper():
                break
            run.extend([*pending, index])
            pending = []
        elif index > 0 and _continues(lines[index - 1].text, text):
            if backwards:
                pending.append(index)
            elif run:
                run.append(index)
            else:
                break
        else:
            break
    return sorted(run)


def _continues(previous: str, text: str) -> bool:
    """A wrapped line of a list item: not a new item, and lower-case or after an open-ended line."""
    if LIST_ITEM_START.match(text):
        return False
    return text[:1].islower() or bool(re.search(r"[,–-]$|\b[a-zåäö]+$", previous.rstrip()))


def _split_subpriority(section: Section) -> list[Section]:
    """Split a sub-priority's own text into goal/description, challenges and key actors."""
    parts = [
        Section(
            section.section_id, section.heading_path, "subpriority", section.priority, heading_page=section.heading_page
        )
    ]
    for paragraph in section.paragraphs:
        if CHALLENGES_INTRO.match(paragraph.text):
            label = paragraph.text.rstrip(":").strip()
            parts.append(_child(section, label, "challenges"))
        elif ACTORS_INTRO.match(paragraph.text) and parts[-1].kind != "actors":
            parts.append(_child(section, ACTORS_TITLE, "actors"))
        parts[-1].paragraphs.append(paragraph)
    return [part for part in parts if part.paragraphs or part is parts[0]]


def _child(section: Section, label: str, kind: str) -> Section:
    return Section(section.section_id, [*section.heading_path, label], kind, section.priority, paragraphs=[])
