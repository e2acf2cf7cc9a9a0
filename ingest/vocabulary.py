"""The strategy's own structure words, in one place: headings, numbered items and the inriktningar.

Everything that recognises the RUS's structure reads it from here: heading classification (ingest/headings.py),
sub-priority splitting (ingest/sections.py), paragraph joining (ingest/clean.py), item chunks and item data
(ingest/chunking.py), sentence splitting (index/sentences.py) and the service, which reads the items that the
build wrote rather than parsing text again.
"""

from __future__ import annotations

import re
from typing import Literal

# --- headings -------------------------------------------------------------------------------------------------
PRIORITY_HEADING = re.compile(r"^Prioritering\s+(\d+)\s*:\s*\S")  # "Prioritering 3: Västerbotten – nära …"
SUBPRIORITY_HEADING = re.compile(r"^Delprioritering\s+(\d+)\.(\d+)\s+\S")  # "Delprioritering 3.1 Samverkanskraft …"
NEEDS_HEADING = re.compile(r"^Identifierade behov$")
PLANS_HEADING = re.compile(r"^Vägen framåt\s*[–-]")  # "Vägen framåt – exempel på andra strategier och planer"
PLANS_LISTED = ("strategier", "planer")  # what the "Vägen framåt" lists list: a question asking for these wants them
CHALLENGES_INTRO = re.compile(r"^Utmaningar\b.*:$")  # "Utmaningar för robust transportinfrastruktur:"
ACTORS_INTRO = re.compile(r"^Viktiga aktörer\b")
ACTORS_TITLE = "Viktiga aktörer"
SUBPRIORITY_PREFIX = re.compile(r"^Delprioritering\s+", re.IGNORECASE)

# --- section ids ----------------------------------------------------------------------------------------------
SUBPRIORITY_ID = re.compile(r"^\d+\.\d+$")  # "3.1"
PRIORITY_ID = re.compile(r"^P (\d+)$")  # "P 3"

# --- numbered items -------------------------------------------------------------------------------------------
ItemKind = Literal["challenge", "need"]
NEED_ITEM = re.compile(r"^(\d{1,2})\.\s+\S")  # "4. Ta höjd för …" inside "Identifierade behov"
CHALLENGE_ITEM = re.compile(r"^Utmaning (\d+)\s*[:.]")  # "Utmaning 2: …" and, once (3.2), "Utmaning 2. …"
ITEM_LABELS: dict[str, str] = {"need": "Behov", "challenge": "Utmaning"}
ITEM_IN_TEXT = re.compile(r"(?m)^(?:\d{1,2}\.\s|Utmaning \d+\s*[:.])")  # where an item starts inside a chunk
ITEM_NUMBER_ONLY = re.compile(r"^(\d{1,2}\.|Utmaning \d+[:.])$")  # a list number split off from its text
BULLET = re.compile(r"^[•●▪]\s*")
LIST_ITEM_START = re.compile(r"^(\d{1,2}\.\s+\S|Utmaning \d+\s*[:.]|[•●▪\-–]\s)")  # a line that opens a list item

# --- the three inriktningar (cross-cutting perspectives), as the strategy names them -------------------------
INRIKTNINGAR: tuple[str, ...] = (
    "Sammanhållen utveckling",
    "Jämlik och jämställd inkludering",
    "Föregångare i omställning",
)


INRIKTNINGAR_HEADING = "Inriktningar"
FRAMING_KINDS = ("intro", "plans")  # section kinds (ingest/sections.py) outside the priorities


def is_framing(section_kind: str, section_id: str) -> bool:
    """The strategy's framing text — introduction, context, vision, goals, the lists of other plans — as opposed to
    the priorities, sub-priorities and inriktningar that a topical question is about."""
    return section_kind in FRAMING_KINDS and section_id not in (INRIKTNINGAR_HEADING, *INRIKTNINGAR)


def is_subpriority(section_id: str) -> bool:
    """True for a sub-priority id such as "3.1"."""
    return bool(SUBPRIORITY_ID.match(section_id))


def numbered_item(section_kind: str, text: str) -> tuple[ItemKind, int] | None:
    """("need", 4) for "4. …" in a needs section, ("challenge", 2) for "Utmaning 2: …" anywhere, else None."""
    if section_kind == "needs" and (match := NEED_ITEM.match(text)):
        return "need", int(match.group(1))
    if match := CHALLENGE_ITEM.match(text):
        return "challenge", int(match.group(1))
    return None


def item_label(kind: ItemKind, number: int) -> str:
    """ "Behov 4" / "Utmaning 2": how chunks and answers name a numbered item."""
    return f"{ITEM_LABELS[kind]} {number}"


def item_start(text: str) -> int:
    """Offset where a numbered item starts inside a chunk's text (after a lead-in such as "… behov:"), or 0."""
    match = ITEM_IN_TEXT.search(text)
    return match.start() if match else 0
