"""Users' feedback as gold candidates, and `rus feedback list|export`.

A verdict becomes a gold candidate when it confirms or corrects a section:
  * 👎 with a chosen section ("the right section is …") → that section is the gold;
  * 👍 on an answer or match → its top section is the gold (for a match, the judged sub-priority);
  * 👍 on a "not covered" answer → a negative (the strategy does not cover the question).
The latest such verdict on a question wins (users correct earlier feedback). Candidates follow the gold
schema (eval/gold.py) with evidence [] and are checked with its parser, so `rus eval --gold FILE` runs on them.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from eval.gold import GoldFormatError, parse_item
from service.feedback import Feedback, FeedbackStore, tally
from service.settings import Settings

VERDICT_MARK = {"up": "👍", "down": "👎"}


def _gold_section(entry: Feedback) -> tuple[bool, str | None]:
    """(is a candidate, its gold section: None for a negative)."""
    if entry.chosen_section:
        return True, entry.chosen_section
    if entry.verdict != "up":
        return False, None
    if entry.kind == "ask" and entry.answer_state == "not_covered":
        return True, None
    if entry.top_sections:
        return True, entry.top_sections[0]
    return False, None


def _kind(entry: Feedback, section: str | None) -> str:
    if section is None:
        return "negative"
    if entry.kind == "match":
        return "applicant"
    return "fact" if entry.answer_state == "fact" else "subpriority"


def _answer(entry: Feedback, section: str | None) -> str:
    day = entry.created_at[:10]
    mark = VERDICT_MARK[entry.verdict]
    if section is None:
        return f"User feedback #{entry.id} ({mark}, {day}): not covered by the strategy."
    if entry.chosen_section:
        return f"User feedback #{entry.id} ({mark}, {day}): the right section is {section}."
    return f"User feedback #{entry.id} ({mark}, {day}): confirmed the top section {section}."


def gold_candidates(entries: Sequence[Feedback]) -> list[dict]:
    """Gold items (eval/gold.py's schema) from confirmed corrections, the latest per question, oldest first."""
    latest: dict[str, dict] = {}
    for entry in entries:
        is_candidate, section = _gold_section(entry)
        if not is_candidate:
            continue
        item = {
            "id": f"fb{entry.id:05d}",
            "query": entry.question,
            "lang": entry.lang,
            "kind": _kind(entry, section),
            "section": section,
            "also_ok": [],
            "evidence": [],
            "answer": _answer(entry, section),
        }
        parse_item(item, f"feedback #{entry.id}")  # the same checks `rus eval` applies to a gold file
        key = entry.question.casefold()
        latest.pop(key, None)  # re-insert so the order follows the latest verdicts
        latest[key] = item
    return sorted(latest.values(), key=lambda item: item["id"])


def _store(args: argparse.Namespace) -> FeedbackStore:
    """The store beside --index-dir when given, else the server's (RUS_FEEDBACK_PATH or beside RUS_INDEX_DIR)."""
    settings = args.settings
    if args.index_dir is not None:
        settings = settings.model_copy(update={"index_dir": args.index_dir, "feedback_path": None})
    return FeedbackStore(settings.feedback_file())


def _entries(store: FeedbackStore) -> list[Feedback] | None:
    try:
        return store.entries()
    except sqlite3.Error as error:
        print(f"error: cannot read the feedback database {store.path}: {error}", file=sys.stderr)
        return None


def cmd_feedback_list(args: argparse.Namespace) -> int:
    store = _store(args)
    entries = _entries(store)
    if entries is None:
        return 1
    if args.json:
        print(json.dumps([e.as_json() for e in entries], ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print(f"no feedback yet in {store.path}")
        return 0
    for e in entries:
        chosen = f" → {e.chosen_section}" if e.chosen_section else ""
        shown = ",".join(e.top_sections[:3]) or "–"
        print(f"#{e.id:<4} {e.created_at}  {VERDICT_MARK[e.verdict]} {e.question_type:<11} {e.lang}  "
              f"shown {shown}{chosen}  {e.question[:80]}")  # fmt: skip
    print(f"\n{len(entries)} verdict(s) in {store.path}")
    for (kind, lang), counts in tally(entries).items():
        print(f"  {kind:<11} {lang}: {counts.up} 👍  {counts.down} 👎  ({counts.down_share:.0%} 👎)")
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    store = _store(args)
    entries = _entries(store)
    if entries is None:
        return 1
    try:
        items = gold_candidates(entries)
    except GoldFormatError as error:  # a stored row that the gold schema rejects (e.g. an edited database)
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not items:
        print(f"error: no confirmed corrections in {store.path} yet (nothing to export)", file=sys.stderr)
        return 1
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    except OSError as error:
        print(f"error: cannot write {args.out}: {error}", file=sys.stderr)
        return 1
    print(f"wrote {len(items)} gold candidate(s) to {args.out}; evaluate with `rus eval --gold {args.out}`")
    return 0


def add_feedback_command(commands: argparse._SubParsersAction, settings: Settings) -> None:
    """Register `rus feedback list` and `rus feedback export` on the CLI's subcommands (defaults from `settings`)."""
    feedback = commands.add_parser("feedback", help="users' 👍/👎 feedback: list it, export it as gold candidates")
    actions = feedback.add_subparsers(dest="action", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index-dir", type=Path, default=None,
                       help="index directory; the store is feedback.sqlite3 beside it "
                       f"(default: RUS_FEEDBACK_PATH, else beside {settings.index_dir})")

    listing = actions.add_parser("list", help="every verdict, and the share of 👎 by question type and language")
    listing.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    common(listing)
    listing.set_defaults(func=cmd_feedback_list)
    export = actions.add_parser("export", help="confirmed corrections as a gold JSONL file for `rus eval --gold`")
    export.add_argument("--out", type=Path, required=True, help="the gold JSONL file to write")
    common(export)
    export.set_defaults(func=cmd_feedback_export)
