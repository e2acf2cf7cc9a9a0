"""Users' 👍/👎 on answers and matches, kept durably in SQLite beside the index (no FastAPI here).

One row per verdict: the question, what kind of result was judged (an answer or a match), the answer's
state, the sections shown, the index build that produced them, the verdict, the section the user picked as
the right one (optional), the question's language and the time. No IP addresses or user ids are stored.
The database lives outside the index directory (Settings.feedback_file(): <index-dir>/../feedback.sqlite3),
so rebuilds and restarts keep it; WAL mode lets the UI read while the API writes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from index.language import detect_language

VERDICTS = ("up", "down")
KINDS = ("ask", "match")
ANSWER_STATES = ("subpriority", "fact", "not_covered", "match")
MAX_TOP_SECTIONS = 20
MAX_SECTION_CHARS = 40
SECTION_ID = re.compile(r"^[\w. -]+$")  # "3.1", "P 3", "1.2.4" (what chunks carry as section ids)

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    question TEXT NOT NULL,
    lang TEXT NOT NULL,
    verdict TEXT NOT NULL,
    answer_state TEXT,
    top_sections TEXT NOT NULL,
    chosen_section TEXT,
    build_id TEXT
)
"""


class FeedbackError(ValueError):
    """Feedback that cannot be stored as sent; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Feedback:
    """One stored verdict."""

    id: int
    created_at: str  # ISO 8601, UTC
    kind: str  # "ask" or "match"
    question: str
    lang: str  # "sv" or "en", detected from the question
    verdict: str  # "up" or "down"
    answer_state: str | None  # subpriority / fact / not_covered for answers, "match" for matches
    top_sections: tuple[str, ...]  # the sections shown, best first (for a match: the judged one first)
    chosen_section: str | None  # "the right section is …"
    build_id: str | None

    @property
    def question_type(self) -> str:
        """What was judged: the answer's state for answers, "match" for matches."""
        return "match" if self.kind == "match" else (self.answer_state or "unknown")

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "kind": self.kind,
            "question": self.question,
            "lang": self.lang,
            "verdict": self.verdict,
            "answer_state": self.answer_state,
            "top_sections": list(self.top_sections),
            "chosen_section": self.chosen_section,
            "build_id": self.build_id,
        }


def _section(value: str, field: str) -> str:
    text = value.strip()
    if not text or len(text) > MAX_SECTION_CHARS or not SECTION_ID.match(text):
        raise FeedbackError(
            f"'{field}' must be a section id such as \"3.1\" or \"P 3\" (at most {MAX_SECTION_CHARS} characters), "
            f"got {value[:60]!r}",
            field,
        )
    return text


def validate(
    *,
    kind: str,
    verdict: str,
    answer_state: str | None,
    top_sections: Sequence[str],
    chosen_section: str | None,
    known_sections: AbstractSet[str] | None = None,
) -> tuple[tuple[str, ...], str | None]:
    """The cleaned (top_sections, chosen_section), or FeedbackError naming the field at fault.
    With `known_sections` (the loaded index's section ids) the chosen and shown sections must be among them."""
    if kind not in KINDS:
        raise FeedbackError(f"'kind' must be one of {', '.join(KINDS)}, got {kind!r}", "kind")
    if verdict not in VERDICTS:
        raise FeedbackError(f"'verdict' must be one of {', '.join(VERDICTS)}, got {verdict!r}", "verdict")
    if answer_state is not None and answer_state not in ANSWER_STATES:
        raise FeedbackError(
            f"'answer_state' must be one of {', '.join(ANSWER_STATES)}, got {answer_state!r}", "answer_state"
        )
    if answer_state is not None and (answer_state == "match") != (kind == "match"):
        raise FeedbackError(
            f"'answer_state' {answer_state!r} does not go with 'kind' {kind!r} (a match's state is \"match\")",
            "answer_state",
        )
    if len(top_sections) > MAX_TOP_SECTIONS:
        raise FeedbackError(f"'top_sections' may hold at most {MAX_TOP_SECTIONS} section ids", "top_sections")
    top = tuple(_section(s, "top_sections") for s in top_sections)
    chosen = _section(chosen_section, "section_id") if chosen_section is not None else None
    if chosen is not None and known_sections is not None and chosen not in known_sections:
        raise FeedbackError(f"'section_id' {chosen!r} is not a section of the indexed strategy", "section_id")
    unknown = [section for section in top if known_sections is not None and section not in known_sections]
    if unknown:
        raise FeedbackError(f"'top_sections' holds {unknown[0]!r}, not a section of the indexed strategy",
                            "top_sections")
    return top, chosen


class FeedbackStore:
    """The feedback table in one SQLite file; a connection per call, so any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with closing(sqlite3.connect(self.path, timeout=10)) as db:
                        db.execute("PRAGMA journal_mode=WAL")
                        db.execute(SCHEMA)
                        db.commit()
                    self._ready = True
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA synchronous=FULL")  # each verdict is on disk when add() returns (power loss too)
        return db

    def add(
        self,
        *,
        question: str,
        verdict: str,
        kind: str = "ask",
        answer_state: str | None = None,
        top_sections: Sequence[str] = (),
        chosen_section: str | None = None,
        build_id: str | None = None,
        known_sections: AbstractSet[str] | None = None,
    ) -> Feedback:
        """Validate and store one verdict; returns it with its id and time."""
        question = " ".join(question.split())
        if not question:
            raise FeedbackError("'question' must not be empty or only whitespace", "question")
        top, chosen = validate(
            kind=kind,
            verdict=verdict,
            answer_state=answer_state,
            top_sections=top_sections,
            chosen_section=chosen_section,
            known_sections=known_sections,
        )
        created = datetime.now(UTC).isoformat(timespec="seconds")
        lang = detect_language(question)
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, kind, question, lang, verdict, answer_state, top_sections,"
                " chosen_section, build_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (created, kind, question, lang, verdict, answer_state, json.dumps(top), chosen, build_id),
            )
            row_id = int(cursor.lastrowid or 0)
        return Feedback(row_id, created, kind, question, lang, verdict, answer_state, top, chosen, build_id)

    def entries(self) -> list[Feedback]:
        """Every stored verdict, oldest first (none when the file does not exist yet)."""
        if not self.path.is_file():
            return []
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT id, created_at, kind, question, lang, verdict, answer_state, top_sections, chosen_section,"
                " build_id FROM feedback ORDER BY id"
            ).fetchall()
        return [_entry_of(row, self.path) for row in rows]


def _entry_of(row: tuple, path: Path) -> Feedback:
    """One stored row as a Feedback; sqlite3.DatabaseError naming the row when it was changed outside this
    program (its shown sections not a JSON list, a verdict or kind it never writes)."""
    try:
        top = json.loads(row[7])
        if not isinstance(top, list) or row[5] not in VERDICTS or row[2] not in KINDS:
            raise ValueError("a value this program never writes")
    except (TypeError, ValueError) as error:
        raise sqlite3.DatabaseError(f"row {row[0]} of {path} is damaged ({error})") from None
    return Feedback(row[0], row[1], row[2], row[3], row[4], row[5], row[6], tuple(top), row[8], row[9])


@dataclass(frozen=True)
class Tally:
    """Verdicts for one group of questions."""

    up: int = 0
    down: int = 0

    @property
    def total(self) -> int:
        return self.up + self.down

    @property
    def down_share(self) -> float:
        return self.down / self.total if self.total else 0.0


def tally(entries: Sequence[Feedback]) -> dict[tuple[str, str], Tally]:
    """(question type, language) → its 👍/👎 counts, sorted by type then language."""
    counts: dict[tuple[str, str], list[int]] = {}
    for entry in entries:
        pair = counts.setdefault((entry.question_type, entry.lang), [0, 0])
        pair[0 if entry.verdict == "up" else 1] += 1
    return {key: Tally(*counts[key]) for key in sorted(counts)}


class TokenBucket:
    """A per-process rate limit: `rate` requests per second on average, bursts of up to `burst`."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0.0 when a token was taken, else the seconds until one is available."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate
