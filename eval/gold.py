"""Load and validate a gold JSONL file (the format of ../shared/eval/dev.jsonl)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

KINDS = ("subpriority", "applicant", "fact", "crosscut", "related_plan", "negative", "keyword", "casual", "everyday")
LANGS = ("en", "sv")
FIELDS = ("id", "query", "lang", "kind", "section", "also_ok", "evidence", "answer")


class GoldFormatError(ValueError):
    """The gold file is missing or malformed; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class GoldItem:
    """One gold question with the sections that answer it and evidence quotes."""

    id: str
    query: str
    lang: str
    kind: str
    section: str | None
    also_ok: tuple[str, ...]
    evidence: tuple[str, ...]
    answer: str
    line: int = 0

    @property
    def answerable(self) -> bool:
        return self.kind != "negative"

    @property
    def labels(self) -> tuple[str, ...]:
        """Every acceptable section label: the main section first, then the alternatives."""
        return tuple(label for label in (self.section, *self.also_ok) if label)


def _string_list(value: object, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise GoldFormatError(f"{where}: field {name!r} must be a list of strings, got {type(value).__name__}")
    for entry in value:
        if not isinstance(entry, str) or not entry.strip():
            raise GoldFormatError(f"{where}: field {name!r} must hold non-empty strings, got {entry!r}")
    return tuple(value)


def parse_item(data: object, where: str, line: int = 0) -> GoldItem:
    """Validate one decoded JSON value; `where` (e.g. "dev.jsonl line 7") prefixes every error."""
    if not isinstance(data, dict):
        raise GoldFormatError(f"{where}: expected a JSON object, got {type(data).__name__}")
    for name in FIELDS:
        if name not in data:
            raise GoldFormatError(f"{where}: missing field {name!r}")
    for name in ("id", "query", "answer"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise GoldFormatError(f"{where}: field {name!r} must be a non-empty string")
    if data["lang"] not in LANGS:
        raise GoldFormatError(f"{where}: field 'lang' must be one of {', '.join(LANGS)}, got {data['lang']!r}")
    if data["kind"] not in KINDS:
        raise GoldFormatError(f"{where}: field 'kind' must be one of {', '.join(KINDS)}, got {data['kind']!r}")
    section = data["section"]
    if data["kind"] == "negative":
        if section is not None:
            raise GoldFormatError(f"{where}: field 'section' must be null for kind 'negative'")
    elif not isinstance(section, str) or not section.strip():
        raise GoldFormatError(f"{where}: field 'section' must be a non-empty string (null only for negatives)")
    also_ok = _string_list(data["also_ok"], "also_ok", where)
    evidence = _string_list(data["evidence"], "evidence", where)
    return GoldItem(
        id=data["id"], query=data["query"], lang=data["lang"], kind=data["kind"], section=section,
        also_ok=also_ok, evidence=evidence, answer=data["answer"], line=line,
    )


def jsonl_records(path: Path, error: type[ValueError], what: str) -> Iterator[tuple[int, str, object]]:
    """(line number, "<file> line <n>", parsed JSON) of every non-blank line of a JSONL file (the gold files' one
    reader); `error` names a missing or unreadable file (`what` it is) or the line that is not JSON."""
    if not path.is_file():
        raise error(f"{path}: no such {what}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read the {what} ({exc})") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            yield number, where, json.loads(raw)
        except json.JSONDecodeError as exc:
            raise error(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None


class Identified(Protocol):
    id: str


Item = TypeVar("Item", bound=Identified)


def load_items(
    path: Path, error: type[ValueError], what: str, parse: Callable[[object, str, int], Item]
) -> list[Item]:
    """Every item of a gold-style JSONL file, each parsed by `parse(data, where, line)`; `error` names the line
    whose id repeats an earlier one, or the file when it has no items."""
    items: list[Item] = []
    seen: dict[str, int] = {}
    for number, where, data in jsonl_records(path, error, what):
        item = parse(data, where, number)
        if item.id in seen:
            raise error(f"{where}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise error(f"{path}: the {what} has no items")
    return items


def load_gold(path: Path | str) -> list[GoldItem]:
    """Every item of a gold JSONL file (blank lines skipped), or GoldFormatError naming the bad line."""
    return load_items(Path(path), GoldFormatError, "gold file", parse_item)


def missing_evidence(items: list[GoldItem], texts: list[str]) -> list[tuple[str, str]]:
    """(item id, evidence) for every evidence string found in none of the texts (after normalisation)."""
    from eval.metrics import normalise_evidence

    corpus = "\n".join(normalise_evidence(text) for text in texts)
    return [(item.id, quote) for item in items for quote in item.evidence if normalise_evidence(quote) not in corpus]


def unknown_labels(items: list[GoldItem], section_ids: set[str]) -> list[tuple[str, str]]:
    """(item id, label) for labels that name no known section ("P N" labels are always accepted)."""
    from eval.metrics import priority_of_label

    return [(item.id, label) for item in items for label in item.labels
            if label not in section_ids and priority_of_label(label) is None]
