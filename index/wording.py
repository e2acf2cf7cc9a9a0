"""The words and phrases the service reads questions and texts with, from one data file per language.

`index/languages/<code>.toml` (sv.toml, en.toml) holds a language's question frames, question openers, money, figure
and time words, place prepositions, plan-link words, inriktning wordings and the function words that tell the
languages apart. This module reads every such file once, checks it against SCHEMA (an error names the file and the
key) and compiles the patterns the other modules import from WORDING. The patterns are the union of the languages'
entries, so a question in either language is read the same way; a third language is a new file, not new code.

The files are TOML, read with the standard library's `tomllib`: unlike JSON it has comments (each list says what it
is for and why a word is there or not) and literal strings ('\\s+', no doubled backslashes for regular
expressions), and unlike YAML it needs no third-party parser and has no implicit typing ("no" stays a string).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

LANGUAGES_DIR = Path(__file__).with_name("languages")
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")  # the file name: an ISO 639 code
FRAGMENT = re.compile(r"\{([^\W\d]\w*)\}")  # "{places}" in a wording; a quantifier ({0,3}) opens with a digit

WORD_LIST = "plain words"  # compared as case-folded strings
PATTERN_LIST = "regular-expression fragments"
LETTERS = "letters"
FRAGMENT_TABLE = "named regular-expression fragments"
SENTENCE_LIST = "sentences"  # whole sentences, embedded rather than matched
# section → key → kind of value (a nested table for question.frame); every key is optional
SCHEMA: dict[str, dict[str, object]] = {
    "detection": {"function_words": WORD_LIST, "letters": LETTERS},
    "question": {
        "openers": PATTERN_LIST,
        "asks_for_section": PATTERN_LIST,
        "frame": {"section": PATTERN_LIST, "auxiliaries": PATTERN_LIST, "verbs": PATTERN_LIST, "fixed": PATTERN_LIST},
    },
    "information": {
        "money": PATTERN_LIST,
        "figure": PATTERN_LIST,
        "time_question_words": PATTERN_LIST,
        "time": PATTERN_LIST,
        "clock": PATTERN_LIST,
        "map": PATTERN_LIST,
        "currency": PATTERN_LIST,
        "currency_names": PATTERN_LIST,
        "number_words": PATTERN_LIST,
    },
    "places": {"prepositions": PATTERN_LIST},
    "plan_links": {"generic": WORD_LIST},
    "inriktningar": {
        "cohesion": PATTERN_LIST,
        "inclusion": PATTERN_LIST,
        "transition": PATTERN_LIST,
        "fragments": FRAGMENT_TABLE,
        "statements": {"cohesion": SENTENCE_LIST, "inclusion": SENTENCE_LIST, "transition": SENTENCE_LIST},
    },
}
INRIKTNING_KEYS = ("cohesion", "inclusion", "transition")  # ingest.vocabulary.INRIKTNINGAR's order


class WordingError(ValueError):
    """A language file that cannot be read or does not follow SCHEMA."""


@dataclass(frozen=True)
class LanguageFile:
    """One language file's entries: (section, key) → a tuple of words or fragments, or a string (a question frame's
    keys under ("question.frame", key)); {name} in the inriktning wordings already replaced by its fragment."""

    language: str
    path: Path
    entries: Mapping[tuple[str, str], object]

    def get(self, section: str, key: str) -> tuple[str, ...]:
        """A list's entries (none when the file leaves the key out)."""
        value = self.entries.get((section, key), ())
        return value if isinstance(value, tuple) else ()

    def text(self, section: str, key: str) -> str:
        """A string value ("" when the file leaves the key out)."""
        value = self.entries.get((section, key), "")
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Wording:
    """Every language file of a folder, in name order."""

    files: tuple[LanguageFile, ...]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(f.language for f in self.files)

    def language(self, code: str) -> LanguageFile:
        """One language's file; a clear error when the folder has none for it."""
        for file in self.files:
            if file.language == code:
                return file
        folder = self.files[0].path.parent if self.files else LANGUAGES_DIR
        raise WordingError(f"{folder}: no word list for language {code!r} (add {code}.toml)")

    def entries(self, section: str, key: str) -> list[str]:
        """One key's entries over all languages, in file order, each once."""
        return list(dict.fromkeys(e for f in self.files for e in f.get(section, key)))

    def words(self, section: str, key: str) -> frozenset[str]:
        """One key's plain words over all languages."""
        return frozenset(self.entries(section, key))


def _alternatives(entries: Iterable[str]) -> str:
    """entries as one alternation; a pattern that never matches when there are none."""
    joined = "|".join(entries)
    return joined or "(?!)"


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def load_language(path: Path) -> LanguageFile:
    """Read and check one language file (SCHEMA); WordingError names the file and the key at fault."""
    if not LANGUAGE_CODE.fullmatch(path.stem):
        raise WordingError(f"{path}: a language file is named by its language code, such as sv.toml or de.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise WordingError(f"{path}: cannot be read as TOML: {error}") from error
    entries: dict[tuple[str, str], object] = {}
    _read_table(path, data, SCHEMA, "", entries)
    fragments = entries.pop(("inriktningar", "fragments"), {})
    for key in INRIKTNING_KEYS:
        if ("inriktningar", key) in entries:
            entries[("inriktningar", key)] = _with_fragments(path, key, entries[("inriktningar", key)], fragments)
    return LanguageFile(path.stem, path, entries)


def _read_table(path: Path, table: Mapping[str, object], schema: Mapping[str, object], where: str, out: dict) -> None:
    """Check `table` against `schema` into out[(section, key)]; nested tables recurse ("question.frame")."""
    for key, value in table.items():
        name = f"{where}.{key}" if where else key
        if key not in schema:
            raise WordingError(f"{path}: unknown key [{name}] (known here: {', '.join(sorted(schema))})")
        kind = schema[key]
        if isinstance(kind, dict):
            if not isinstance(value, dict):
                raise WordingError(f"{path}: [{name}] must be a table")
            _read_table(path, value, kind, name, out)
        else:
            out[(where, key)] = _checked(path, name, value, str(kind))


def _checked(path: Path, name: str, value: object, kind: str) -> object:
    """`value` if it is of the kind SCHEMA names (a list as a tuple), else WordingError."""
    if kind == LETTERS:
        if not isinstance(value, str) or not all(c.isalpha() for c in value):
            raise WordingError(f"{path}: {name} must be a string of letters, got {value!r}")
        return value
    if kind == FRAGMENT_TABLE:
        if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
            raise WordingError(f"{path}: [{name}] must be a table of non-empty strings (name = 'fragment')")
        for key, fragment in value.items():
            _check_pattern(path, f"{name}.{key}", fragment)
        return dict(value)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise WordingError(f"{path}: {name} must be a list of non-empty strings ({kind})")
    for position, entry in enumerate(value):
        if kind == WORD_LIST and any(c.isspace() for c in entry):
            raise WordingError(f"{path}: {name}[{position}] {entry!r} must be a single word")
        if kind == PATTERN_LIST:
            _check_pattern(path, f"{name}[{position}]", FRAGMENT.sub("x", entry))
    return tuple(value)


def _check_pattern(path: Path, name: str, pattern: str) -> None:
    """WordingError unless `pattern` is a regular expression that can stand as one alternative among others."""
    try:
        re.compile(f"x|(?:{pattern})")
    except re.error as error:
        raise WordingError(f"{path}: {name} {pattern!r} is not a valid regular expression: {error}") from error


def _with_fragments(path: Path, key: str, wordings: object, fragments: Mapping[str, str]) -> tuple[str, ...]:
    """An inriktning's wordings with each {name} replaced by the file's [inriktningar.fragments] name."""
    result = []
    for wording in wordings if isinstance(wordings, tuple) else ():
        for name in FRAGMENT.findall(wording):
            if name not in fragments:
                raise WordingError(
                    f"{path}: inriktningar.{key} {wording!r} uses {{{name}}}, which [inriktningar.fragments] does not "
                    "define"
                )
        result.append(FRAGMENT.sub(lambda m: fragments[m.group(1)], wording))
    return tuple(result)


def load_wording(folder: Path = LANGUAGES_DIR) -> Wording:
    """Every <code>.toml in `folder`, in name order, checked; WordingError when there is none or one is faulty."""
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise WordingError(f"{folder}: no language files (<code>.toml)")
    return Wording(tuple(load_language(path) for path in paths))


@dataclass(frozen=True)
class Patterns:
    """The compiled patterns, each the union over the languages (case-insensitive)."""

    question_frame: re.Pattern[str]  # index/analysis.py: "which sub-priority covers …" before the content words
    question_start: re.Pattern[str]  # answers.py: a text that opens as a question (match at the start)
    section_question: re.Pattern[str]  # asks which (sub-)priority covers a topic
    money_request: re.Pattern[str]  # asks for an amount of money
    figure_request: re.Pattern[str]  # asks for a figure: the money words and the figure words
    time_request: re.Pattern[str]  # asks for a time: opens with a time question word, or time or clock words
    clock_request: re.Pattern[str]  # asks for a time of day or a timetable
    map_request: re.Pattern[str]
    money: re.Pattern[str]  # an amount of money in a sentence
    number: re.Pattern[str]  # a digit or a number word
    after_place_word: re.Pattern[str]  # group 1: the word right after a place preposition
    inriktningar: Mapping[str, re.Pattern[str]]  # INRIKTNING_KEYS → explicit wordings


def _frame(file: LanguageFile) -> list[str]:
    """One language's question frames: section [auxiliary] [verb], and the fixed frames."""
    frames = []
    section = file.get("question.frame", "section")
    if section:
        frame = f"(?:{_alternatives(section)})"
        if auxiliaries := file.get("question.frame", "auxiliaries"):
            frame += rf"(?:\s+(?:{_alternatives(auxiliaries)})\b)?"
        if verbs := file.get("question.frame", "verbs"):
            frame += rf"(?:\s+(?:{_alternatives(verbs)})\b)?"
        frames.append(frame)
    return frames + list(file.get("question.frame", "fixed"))


def compile_patterns(wording: Wording) -> Patterns:
    """The patterns the service reads with, from a folder's language files."""
    entries = wording.entries
    frames = [frame for file in wording.files for frame in _frame(file)]
    money_words = entries("information", "money")
    clock_words = entries("information", "clock")
    currency = rf"\d[\d\s.,]*\s*(?:{_alternatives(entries('information', 'currency'))})"
    if names := entries("information", "currency_names"):
        currency += rf"|\b(?:{_alternatives(names)})\b"
    return Patterns(
        question_frame=_compile(rf"^\s*(?:{_alternatives(frames)})\s*[:,-]?\s*"),
        question_start=_compile(rf"^\s*(?:{_alternatives(entries('question', 'openers'))})\b"),
        section_question=_compile(rf"\b(?:{_alternatives(entries('question', 'asks_for_section'))})\b"),
        money_request=_compile(rf"\b(?:{_alternatives(money_words)})\b"),
        figure_request=_compile(rf"\b(?:{_alternatives([*entries('information', 'figure'), *money_words])})\b"),
        time_request=_compile(
            rf"^\s*(?:{_alternatives(entries('information', 'time_question_words'))})\b"
            rf"|\b(?:{_alternatives([*entries('information', 'time'), *clock_words])})\b"
        ),
        clock_request=_compile(rf"\b(?:{_alternatives(clock_words)})\b"),
        map_request=_compile(rf"\b(?:{_alternatives(entries('information', 'map'))})\b"),
        money=_compile(currency),
        number=_compile(rf"\d|\b(?:{_alternatives(entries('information', 'number_words'))})\b"),
        after_place_word=_compile(rf"\b(?:{_alternatives(entries('places', 'prepositions'))})\s+([^\W\d_]+)"),
        inriktningar={
            key: _compile("|".join(f"(?:{w})" for w in entries("inriktningar", key)) or "(?!)")
            for key in INRIKTNING_KEYS
        },
    )


WORDING = load_wording()
PATTERNS = compile_patterns(WORDING)
