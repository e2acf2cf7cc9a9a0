"""The labelled alignment set: written application summaries with the sub-priority, needs and inriktningar they address.

eval/align_gold.jsonl holds one JSON object a line: `id`, `lang` ("sv"/"en"), `organisation`, the summary `text`,
its main `section` (a sub-priority such as "3.2") and `also_ok` alternatives, the 2–3 numbered needs of that section
it addresses (`needs`, each with an evidence sentence copied from the text), two needs it clearly does not address
(`not_needs`), and for each of the three inriktningar whether the text explicitly states an aim for it, with an
evidence sentence for each one it does.

Fully labelled items (eval/align_multi.jsonl) add `needs_elsewhere`: every need of the other sub-priorities the text
addresses, as {section, number, evidence}; together with `needs` that is every need the text addresses anywhere in
the strategy, so any other need counts as not addressed. Such items may label 1–12 needs of the main sub-priority
and list 1 or more `not_needs`. Two further optional fields: `inriktning_kind` says for each true inriktning whether
the text states it in so many words ("explicit") or only in other words ("paraphrase"), and `file` names a PDF or
DOCX rendering of the text (relative to the gold file; eval/align_files.py writes them) that the evaluation reads
instead of the text, as an officer's upload would be read.

Loading validates every line and names the file, the line and the problem. Need numbers are checked against the
numbered "Identifierade behov" of the cleaned strategy (`needs_in_document`) when a map is passed in.
`python -m eval.align_gold` validates the file against the strategy and writes the tune/heldout halves with the
team's fixed split (eval.split, seed 20261129), stratified by language.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from eval.gold import load_items
from eval.split import DEFAULT_SEED, output_paths, split_items
from ingest.errors import IngestError
from ingest.load import load_document
from ingest.models import Document
from ingest.vocabulary import INRIKTNINGAR, is_subpriority, numbered_item

HERE = Path(__file__).resolve().parent
ALIGN_GOLD = HERE / "align_gold.jsonl"
LANGS = ("en", "sv")
FIELDS = (
    "id", "lang", "organisation", "text", "section", "also_ok", "needs", "not_needs", "inriktningar",
    "inriktning_evidence",
)
OPTIONAL_FIELDS = ("needs_elsewhere", "inriktning_kind", "file")
NEEDS_PER_ITEM = (2, 3)  # each summary is written to address 2–3 needs of its sub-priority
NOT_NEEDS_PER_ITEM = 2
NEEDS_PER_FULL_ITEM = (1, 12)  # a fully labelled item: whatever it addresses of its main sub-priority (2.2 has 11)
INRIKTNING_KINDS = ("explicit", "paraphrase")
FILE_SUFFIXES = (".pdf", ".docx")
SECTION_ID = re.compile(r"^\d\.\d$")


class AlignGoldError(ValueError):
    """The alignment gold file is missing or malformed; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class NeedLabel:
    """A need of the item's main sub-priority that the text addresses, with a sentence of the text showing it."""

    number: int
    evidence: str


@dataclass(frozen=True)
class ElsewhereNeed:
    """A need of another sub-priority than the item's main one that the text addresses, with its sentence."""

    section: str
    number: int
    evidence: str


@dataclass(frozen=True)
class AlignItem:
    """One labelled application summary."""

    id: str
    lang: str
    organisation: str
    text: str
    section: str
    also_ok: tuple[str, ...]
    needs: tuple[NeedLabel, ...]
    not_needs: tuple[int, ...]
    inriktningar: dict[str, bool]
    inriktning_evidence: dict[str, str]
    line: int = 0
    needs_elsewhere: tuple[ElsewhereNeed, ...] = ()
    fully_labelled: bool = False  # every need addressed anywhere is labelled (the item has `needs_elsewhere`)
    inriktning_kind: dict[str, str] = field(default_factory=dict)  # true inriktning → "explicit" / "paraphrase"
    file: str | None = None  # a PDF/DOCX rendering of the text, relative to the gold file

    @property
    def need_numbers(self) -> tuple[int, ...]:
        return tuple(need.number for need in self.needs)

    @property
    def addressed(self) -> frozenset[tuple[str, int]]:
        """Every labelled need the text addresses, as (sub-priority, number): the main ones and those elsewhere."""
        return frozenset({(self.section, n) for n in self.need_numbers}
                         | {(need.section, need.number) for need in self.needs_elsewhere})

    @property
    def sections(self) -> tuple[str, ...]:
        """The main sub-priority, then every other sub-priority with a labelled need, in label order."""
        return tuple(dict.fromkeys([self.section, *(need.section for need in self.needs_elsewhere)]))


NeedsMap = Mapping[str, Sequence[int]]  # sub-priority id → its need numbers in document order (duplicates kept)


def needs_in_document(document: Document) -> dict[str, list[int]]:
    """Each sub-priority's need numbers as the document prints them, in order.

    The needs are the run of numbered paragraphs in the sub-priority's "Identifierade behov" section; the run ends
    at the first paragraph that is not a numbered need (the boilerplate after it, and footnotes such as 6.2's
    "1. Likvärdighet betyder …", are not needs). Duplicates are kept: 5.3 prints "4." twice.
    """
    found: dict[str, list[int]] = {}
    for section in document.sections:
        if section.kind != "needs" or not is_subpriority(section.section_id):
            continue
        numbers = found.setdefault(section.section_id, [])
        started = False
        for paragraph in section.paragraphs:
            item = numbered_item("needs", paragraph.text)
            if item is not None:
                numbers.append(item[1])
                started = True
            elif started:
                break
    return found


def ambiguous_needs(needs_map: NeedsMap) -> dict[str, list[int]]:
    """Need numbers the document prints more than once in a section (a label with that number is ambiguous)."""
    result = {}
    for section, numbers in needs_map.items():
        repeated = sorted(n for n, count in Counter(numbers).items() if count > 1)
        if repeated:
            result[section] = repeated
    return result


def _text(data: dict, name: str, where: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value.strip():
        raise AlignGoldError(f"{where}: field {name!r} must be a non-empty string, got {value!r}")
    return value


def _number(value: object, what: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AlignGoldError(f"{where}: {what} must be a positive integer, got {value!r}")
    return value


def _section_id(value: object, what: str, where: str, needs_map: NeedsMap | None) -> str:
    if not isinstance(value, str) or not SECTION_ID.match(value):
        raise AlignGoldError(f"{where}: {what} must be a sub-priority id such as \"3.2\", got {value!r}")
    if needs_map is not None and value not in needs_map:
        raise AlignGoldError(f"{where}: {what} {value!r} is not a sub-priority of the strategy")
    return value


def _evidence(value: object, what: str, text: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AlignGoldError(f"{where}: {what}.evidence must be a non-empty string")
    if value not in text:
        raise AlignGoldError(f"{where}: {what}.evidence does not occur in the text: {value!r}")
    return value


def _needs(value: object, text: str, where: str, counts: tuple[int, int] = NEEDS_PER_ITEM) -> tuple[NeedLabel, ...]:
    low, high = counts
    if not isinstance(value, list) or not low <= len(value) <= high:
        raise AlignGoldError(f"{where}: field 'needs' must be a list of {low}–{high} needs, got {value!r}")
    needs = []
    for index, entry in enumerate(value):
        what = f"needs[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"number", "evidence"}:
            raise AlignGoldError(f"{where}: {what} must be an object with exactly 'number' and 'evidence'")
        number = _number(entry["number"], f"{what}.number", where)
        evidence = entry["evidence"]
        if not isinstance(evidence, str) or not evidence.strip():
            raise AlignGoldError(f"{where}: {what}.evidence must be a non-empty string")
        if evidence not in text:
            raise AlignGoldError(f"{where}: {what}.evidence (need {number}) does not occur in the text: {evidence!r}")
        needs.append(NeedLabel(number, evidence))
    numbers = [need.number for need in needs]
    if len(set(numbers)) != len(numbers):
        raise AlignGoldError(f"{where}: field 'needs' lists a need number twice: {numbers}")
    return tuple(needs)


def _not_needs(
    value: object, needs: tuple[NeedLabel, ...], where: str, fully_labelled: bool = False
) -> tuple[int, ...]:
    if fully_labelled:
        if not isinstance(value, list) or not value:
            raise AlignGoldError(f"{where}: field 'not_needs' must be a non-empty list of need numbers, got {value!r}")
    elif not isinstance(value, list) or len(value) != NOT_NEEDS_PER_ITEM:
        raise AlignGoldError(f"{where}: field 'not_needs' must be a list of {NOT_NEEDS_PER_ITEM} need numbers, "
                             f"got {value!r}")
    numbers = tuple(_number(n, f"not_needs[{i}]", where) for i, n in enumerate(value))
    if len(set(numbers)) != len(numbers):
        raise AlignGoldError(f"{where}: field 'not_needs' lists need {numbers[0]} twice")
    overlap = sorted(set(numbers) & {need.number for need in needs})
    if overlap:
        raise AlignGoldError(f"{where}: need {overlap[0]} is in both 'needs' and 'not_needs'")
    return numbers


def _check_against_document(
    section: str, needs: tuple[NeedLabel, ...], not_needs: tuple[int, ...], where: str, needs_map: NeedsMap
) -> None:
    numbers = needs_map[section]
    for number in (*(need.number for need in needs), *not_needs):
        if number not in numbers:
            raise AlignGoldError(f"{where}: sub-priority {section} has no need {number} "
                                 f"(its needs are {', '.join(map(str, sorted(set(numbers))))})")
    for need in needs:
        if numbers.count(need.number) > 1:
            raise AlignGoldError(f"{where}: need {need.number} of {section} is ambiguous: the strategy numbers "
                                 f"{numbers.count(need.number)} needs {need.number}; do not label it as addressed")


def _needs_elsewhere(value: object, section: str, text: str, where: str,
                     needs_map: NeedsMap | None) -> tuple[ElsewhereNeed, ...]:
    if not isinstance(value, list):
        raise AlignGoldError(f"{where}: field 'needs_elsewhere' must be a list of {{section, number, evidence}} "
                             "objects")
    found: list[ElsewhereNeed] = []
    for index, entry in enumerate(value):
        what = f"needs_elsewhere[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"section", "number", "evidence"}:
            raise AlignGoldError(f"{where}: {what} must be an object with exactly 'section', 'number' and 'evidence'")
        other = _section_id(entry["section"], f"{what}.section", where, needs_map)
        if other == section:
            raise AlignGoldError(f"{where}: {what} is in the main sub-priority {section}; label it in 'needs'")
        number = _number(entry["number"], f"{what}.number", where)
        if any((need.section, need.number) == (other, number) for need in found):
            raise AlignGoldError(f"{where}: {what} labels need {number} of {other} twice")
        if needs_map is not None:
            numbers = needs_map[other]
            if number not in numbers:
                raise AlignGoldError(f"{where}: sub-priority {other} has no need {number} "
                                     f"(its needs are {', '.join(map(str, sorted(set(numbers))))})")
            if numbers.count(number) > 1:
                raise AlignGoldError(f"{where}: need {number} of {other} is ambiguous: the strategy numbers "
                                     f"{numbers.count(number)} needs {number}; do not label it as addressed")
        found.append(ElsewhereNeed(other, number, _evidence(entry["evidence"], what, text, where)))
    return tuple(found)


def _inriktning_kind(value: object, flags: dict[str, bool], where: str) -> dict[str, str]:
    stated = {name for name, flag in flags.items() if flag}
    if not isinstance(value, dict) or set(value) != stated:
        raise AlignGoldError(f"{where}: field 'inriktning_kind' must name exactly the true inriktningar "
                             f"({', '.join(sorted(stated)) or 'none'}), got {value!r}")
    for name, kind in value.items():
        if kind not in INRIKTNING_KINDS:
            raise AlignGoldError(f"{where}: inriktning_kind[{name!r}] must be one of {', '.join(INRIKTNING_KINDS)}, "
                                 f"got {kind!r}")
    return {name: value[name] for name in INRIKTNINGAR if name in value}


def _file(value: object, where: str) -> str:
    path = Path(value) if isinstance(value, str) and value.strip() else None
    if path is None or path.is_absolute() or ".." in path.parts or path.suffix.lower() not in FILE_SUFFIXES:
        raise AlignGoldError(f"{where}: field 'file' must be a relative path to a {' or '.join(FILE_SUFFIXES)} file "
                             f"beside the gold file, got {value!r}")
    return str(value)


def _inriktningar(data: dict, text: str, where: str) -> tuple[dict[str, bool], dict[str, str]]:
    flags = data["inriktningar"]
    if not isinstance(flags, dict) or set(flags) != set(INRIKTNINGAR):
        raise AlignGoldError(f"{where}: field 'inriktningar' must be an object with exactly the keys "
                             f"{', '.join(repr(name) for name in INRIKTNINGAR)}")
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise AlignGoldError(f"{where}: inriktningar[{name!r}] must be true or false, got {flag!r}")
    evidence = data["inriktning_evidence"]
    if not isinstance(evidence, dict):
        raise AlignGoldError(f"{where}: field 'inriktning_evidence' must be an object")
    stated = {name for name, flag in flags.items() if flag}
    if set(evidence) != stated:
        missing, extra = sorted(stated - set(evidence)), sorted(set(evidence) - stated)
        problem = f"no evidence for {missing[0]!r}, which is true" if missing else (
            f"evidence for {extra[0]!r}, which is not a true inriktning")
        raise AlignGoldError(f"{where}: field 'inriktning_evidence' has {problem}")
    for name, sentence in evidence.items():
        if not isinstance(sentence, str) or not sentence.strip():
            raise AlignGoldError(f"{where}: inriktning_evidence[{name!r}] must be a non-empty string")
        if sentence not in text:
            raise AlignGoldError(f"{where}: inriktning_evidence[{name!r}] does not occur in the text: {sentence!r}")
    return {name: flags[name] for name in INRIKTNINGAR}, {n: evidence[n] for n in INRIKTNINGAR if n in evidence}


def parse_item(data: object, where: str, line: int = 0, needs_map: NeedsMap | None = None) -> AlignItem:
    """Validate one decoded JSON value; `where` (e.g. "align_gold.jsonl line 7") prefixes every error.

    With `needs_map` (from `needs_in_document`) the sections and need numbers must exist in the strategy.
    """
    if not isinstance(data, dict):
        raise AlignGoldError(f"{where}: expected a JSON object, got {type(data).__name__}")
    for name in FIELDS:
        if name not in data:
            raise AlignGoldError(f"{where}: missing field {name!r}")
    unknown = sorted(set(data) - set(FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise AlignGoldError(f"{where}: unknown field {unknown[0]!r}")
    item_id, organisation, text = (_text(data, name, where) for name in ("id", "organisation", "text"))
    if data["lang"] not in LANGS:
        raise AlignGoldError(f"{where}: field 'lang' must be one of {', '.join(LANGS)}, got {data['lang']!r}")
    section = _section_id(data["section"], "field 'section'", where, needs_map)
    if not isinstance(data["also_ok"], list):
        raise AlignGoldError(f"{where}: field 'also_ok' must be a list of sub-priority ids")
    also_ok = tuple(_section_id(s, "an 'also_ok' entry", where, needs_map) for s in data["also_ok"])
    if section in also_ok:
        raise AlignGoldError(f"{where}: field 'also_ok' repeats the main section {section!r}")
    fully_labelled = "needs_elsewhere" in data
    needs = _needs(data["needs"], text, where, NEEDS_PER_FULL_ITEM if fully_labelled else NEEDS_PER_ITEM)
    not_needs = _not_needs(data["not_needs"], needs, where, fully_labelled)
    if needs_map is not None:
        _check_against_document(section, needs, not_needs, where, needs_map)
    elsewhere = _needs_elsewhere(data["needs_elsewhere"], section, text, where, needs_map) if fully_labelled else ()
    flags, evidence = _inriktningar(data, text, where)
    kinds = _inriktning_kind(data["inriktning_kind"], flags, where) if "inriktning_kind" in data else {}
    file = _file(data["file"], where) if "file" in data else None
    return AlignItem(
        id=item_id, lang=data["lang"], organisation=organisation, text=text, section=section, also_ok=also_ok,
        needs=needs, not_needs=not_needs, inriktningar=flags, inriktning_evidence=evidence, line=line,
        needs_elsewhere=elsewhere, fully_labelled=fully_labelled, inriktning_kind=kinds, file=file,
    )


def load_align_gold(
    path: Path | str = ALIGN_GOLD, needs_map: NeedsMap | None = None, check_files: bool = True
) -> list[AlignItem]:
    """Every item of an alignment gold JSONL file (blank lines skipped), or AlignGoldError naming the bad line.

    With `check_files` an item's `file` must exist beside the gold file (eval/align_files.py writes them)."""
    path = Path(path)

    def parse_checked(data: object, where: str, number: int) -> AlignItem:
        item = parse_item(data, where, number, needs_map)
        if check_files and item.file is not None and not (path.parent / item.file).is_file():
            raise AlignGoldError(f"{where}: file {item.file!r} does not exist beside the gold file "
                                 f"(python -m eval.align_files writes it)")
        return item

    return load_items(path, AlignGoldError, "file", parse_checked)


def split_halves(items: Sequence[AlignItem], seed: int = DEFAULT_SEED) -> tuple[list[AlignItem], list[AlignItem]]:
    """(tune, heldout) by the team's fixed split (eval.split), stratified by language instead of kind."""
    by_id = {item.id: item for item in items}
    stand_ins = [SimpleNamespace(id=item.id, kind=item.lang) for item in items]  # eval.split groups by `kind`
    tune, heldout = split_items(stand_ins, seed)  # type: ignore[arg-type]
    return [by_id[item.id] for item in tune], [by_id[item.id] for item in heldout]


def write_split(path: Path, items: Sequence[AlignItem], force: bool = False) -> list[tuple[Path, list[AlignItem]]]:
    """Write the tune and heldout halves beside `path`, each line as it stands in the gold file, atomically.

    Refuses to overwrite existing halves unless `force` (the split is made once).
    """
    outputs = output_paths(path)
    existing = [str(p) for p in outputs if p.exists()]
    if existing and not force:
        raise AlignGoldError(f"refusing to overwrite {', '.join(existing)} (the split is made once; --force redoes it)")
    lines = path.read_text(encoding="utf-8").splitlines()
    halves = list(zip(outputs, split_halves(items), strict=True))
    for out_path, half in halves:
        handle, temporary = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("".join(lines[item.line - 1] + "\n" for item in half))
            os.replace(temporary, out_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return halves


def summary(items: Sequence[AlignItem]) -> str:
    """Counts per language and sub-priority, needs labelled and inriktningar stated."""
    langs = Counter(item.lang for item in items)
    sections = Counter(item.section for item in items)
    stated = {name: sum(item.inriktningar[name] for item in items) for name in INRIKTNINGAR}
    none = sum(not any(item.inriktningar.values()) for item in items)
    full = [item for item in items if item.fully_labelled]
    lines = [
        f"{len(items)} items: " + ", ".join(f"{lang} {langs[lang]}" for lang in LANGS),
        f"{len(sections)} sub-priorities: "
        + ", ".join(f"{s} {n}" for s, n in sorted(sections.items(), key=lambda kv: [int(p) for p in kv[0].split(".")])),
        f"needs labelled: {sum(len(item.needs) for item in items)} addressed, "
        f"{sum(len(item.not_needs) for item in items)} not addressed",
        "inriktningar stated: " + ", ".join(f"{name} {count}" for name, count in stated.items())
        + f"; none stated: {none}",
    ]
    if full:
        words = [len(item.text.split()) for item in full]
        kinds = Counter(kind for item in full for kind in item.inriktning_kind.values())
        files = Counter(Path(item.file).suffix for item in full if item.file)
        lines += [
            f"fully labelled: {len(full)}; {sum(len(item.needs_elsewhere) for item in full)} needs addressed in other "
            f"sub-priorities; {sum(len(item.sections) > 1 for item in full)} items span several sub-priorities "
            f"(up to {max(len(item.sections) for item in full)})",
            f"length: {sum(w <= 250 for w in words)} short (≤ 250 words), {sum(w >= 700 for w in words)} long "
            f"(≥ 700 words); {min(words)}–{max(words)} words",
            "inriktningar stated explicitly / in other words: "
            f"{kinds['explicit']} / {kinds['paraphrase']}; files: "
            + (", ".join(f"{suffix} {n}" for suffix, n in sorted(files.items())) or "none"),
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Validate the alignment gold against the strategy, print its make-up and write the tune/heldout halves."""
    from service.settings import DEFAULT_CORPUS

    parser = argparse.ArgumentParser(prog="python -m eval.align_gold", description=main.__doc__)
    parser.add_argument("--gold", type=Path, default=ALIGN_GOLD, help="alignment gold JSONL (default: %(default)s)")
    parser.add_argument("--document", type=Path, default=DEFAULT_CORPUS,
                        help="the strategy whose need numbering is checked (default: %(default)s)")
    parser.add_argument("--no-split", action="store_true", help="validate only; do not write the halves")
    parser.add_argument("--force", action="store_true", help="overwrite existing _tune/_heldout halves")
    args = parser.parse_args(argv)
    try:
        needs_map = needs_in_document(load_document(args.document))
        items = load_align_gold(args.gold, needs_map)
    except (AlignGoldError, IngestError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary(items))
    for section, numbers in ambiguous_needs(needs_map).items():
        print(f"note: the strategy numbers need {', '.join(map(str, numbers))} of {section} more than once")
    if not args.no_split:
        try:
            halves = write_split(args.gold, items, force=args.force)
        except (AlignGoldError, OSError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        for path, half in halves:
            print(f"wrote {path} ({len(half)} items: "
                  + ", ".join(f"{lang} {sum(i.lang == lang for i in half)}" for lang in LANGS) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
