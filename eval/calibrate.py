"""Calibrate the service's thresholds on gold questions; prints trade-off tables (run after index changes).

    python -m eval.calibrate [--index-dir DIR] [--gold FILE ...]             # "not covered" abstention
    python -m eval.calibrate --match                                          # /v1/match aggregation variants

(/v1/align's claims and inriktningar are measured and calibrated with `rus eval align`, eval/align_eval.py.)

Abstention: for each threshold, the share of negatives abstained (want high) and the share of answerable
questions wrongly abstained (want low), per language, since Swedish questions score higher against the
Swedish text. The gold files are ../shared/eval/dev.jsonl and eval/calibration_extra.jsonl (extra
negatives and answerable questions written from the document). Put the chosen thresholds in settings
(RUS_ABSTAIN_THRESHOLD_EN / RUS_ABSTAIN_THRESHOLD_SV or the defaults in service/settings.py).
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.language import detect_language
from index.search import SearchIndex
from service.answers import lacks_asked_quantity, question_type, top_dense_score
from service.settings import REPO_ROOT, Settings, get_settings
from service.state import Corpus

DEV = REPO_ROOT.parent / "shared" / "eval" / "dev.jsonl"
EXTRA = Path(__file__).with_name("calibration_extra.jsonl")
MAX_ANSWERABLE_ABSTAINED = 0.10  # used for cells without negatives


@dataclass
class Scored:
    id: str
    kind: str  # question type: fact | subpriority
    language: str
    negative: bool
    top: float
    no_number: bool  # a quantity question whose best sentences hold no number (abstains regardless of score)


def load_gold(paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def score_questions(index: SearchIndex, rows: list[dict], k: int) -> list[Scored]:
    scored = []
    for row in rows:
        query = row["query"]
        language = detect_language(query)
        hits = index.search(query, k=k, language=language)
        kind = question_type(query, hits)
        scored.append(
            Scored(
                row["id"],
                kind,
                language,
                row["kind"] == "negative",
                top_dense_score(hits) or 0.0,
                kind == "fact" and lacks_asked_quantity(query, hits),
            )
        )
    return scored


def abstains(item: Scored, threshold: float) -> bool:
    return item.top < threshold or item.no_number


def rates(items: list[Scored], threshold_of) -> tuple[int, int, int, int]:
    negatives = [s for s in items if s.negative]
    answerable = [s for s in items if not s.negative]
    return (
        sum(abstains(s, threshold_of(s)) for s in negatives),
        len(negatives),
        sum(abstains(s, threshold_of(s)) for s in answerable),
        len(answerable),
    )


def suggest(items: list[Scored]) -> float:
    """Best Youden J (share of negatives abstained minus share of answerable abstained), placed midway
    between neighbouring scores; with no negatives, the highest threshold abstaining ≤10% of answerable."""
    tops = sorted({s.top for s in items if not s.no_number})  # those with '#' abstain at any threshold
    candidates = [tops[0] - 0.001] + [(a + b) / 2 for a, b in itertools.pairwise(tops)] + [tops[-1] + 0.001]
    if not any(s.negative for s in items):
        answerable = sorted(s.top for s in items)
        allowed = int(np.floor(MAX_ANSWERABLE_ABSTAINED * len(answerable)))
        return float(np.floor(answerable[allowed] * 1000) / 1000)

    def youden(threshold: float) -> float:
        n_neg, t_neg, n_ans, t_ans = rates(items, lambda _: threshold)
        return n_neg / max(t_neg, 1) - n_ans / max(t_ans, 1)

    return round(max(candidates, key=lambda t: (youden(t), -t)), 4)


CELLS = (("fact", "en"), ("fact", "sv"), ("subpriority", "en"), ("subpriority", "sv"))


def chosen_threshold(settings: Settings, kind: str, language: str) -> float:
    return getattr(settings, f"abstain_{kind}_{language}")


def abstention_report(index: SearchIndex, rows: list[dict], settings: Settings) -> None:
    scored = score_questions(index, rows, settings.ask_k)
    for kind, language in CELLS:
        mine = [s for s in scored if s.kind == kind and s.language == language]
        if not mine:
            continue
        chosen = chosen_threshold(settings, kind, language)
        print(
            f"\n[{kind} questions, {language}] {sum(s.negative for s in mine)} negatives, "
            f"{sum(not s.negative for s in mine)} answerable (setting abstain_{kind}_{language} = {chosen})"
        )
        print(
            "  best dense score, negatives:  "
            + " ".join(
                f"{s.top:.3f}{'#' if s.no_number else ''}" for s in sorted(mine, key=lambda s: s.top) if s.negative
            )
        )
        print(
            "  best dense score, answerable: "
            + " ".join(
                f"{s.top:.3f}{'#' if s.no_number else ''}" for s in sorted(mine, key=lambda s: s.top) if not s.negative
            )
        )
        print(f"  {'threshold':>9} {'negatives abstained':>21} {'answerable abstained':>22}")
        lo, hi = min(s.top for s in mine), max(s.top for s in mine)
        grid = sorted({*np.round(np.arange(np.floor(lo * 200) / 200, hi + 0.005, 0.005), 3), chosen})
        for threshold in grid:
            n_neg, t_neg, n_ans, t_ans = rates(mine, lambda _, t=threshold: t)
            mark = "  <- chosen" if abs(threshold - chosen) < 1e-9 else ""
            print(
                f"  {threshold:>9.4f} {n_neg / max(t_neg, 1):>12.0%} ({n_neg:>2}/{t_neg:<2}) "
                f"{n_ans / max(t_ans, 1):>13.0%} ({n_ans:>2}/{t_ans:<2}){mark}"
            )
        print(f"  suggested: {suggest(mine):.4f}")
    print("\n(# = quantity question without a number in its best sentences: abstains at any threshold)")
    print("\nAt the chosen thresholds:")
    for name, subset in (
        ("dev.jsonl", [s for s in scored if not s.id.startswith("x")]),
        ("calibration_extra", [s for s in scored if s.id.startswith("x")]),
        ("all", scored),
    ):
        n_neg, t_neg, n_ans, t_ans = rates(subset, lambda s: chosen_threshold(settings, s.kind, s.language))
        print(
            f"  {name:18s} negatives abstained {n_neg}/{t_neg} ({n_neg / max(t_neg, 1):.0%}), "
            f"answerable wrongly abstained {n_ans}/{t_ans} ({n_ans / max(t_ans, 1):.0%})"
        )
    threshold_of = {s.id: chosen_threshold(settings, s.kind, s.language) for s in scored}
    print(
        "  negatives answered:",
        [f"{s.id} ({s.top:.3f})" for s in scored if s.negative and not abstains(s, threshold_of[s.id])],
    )
    print(
        "  answerable abstained:",
        [f"{s.id} ({s.top:.3f})" for s in scored if not s.negative and abstains(s, threshold_of[s.id])],
    )


def _collapse(text: str) -> str:
    return " ".join(text.split())


def match_report(corpus: Corpus, rows: list[dict]) -> None:
    """For applicant items: rank of the gold sub-priority, its score margin over the best other one, and
    whether the best-matching need (need@1) / the top three needs (need@3) hold the gold evidence."""
    from service.matching import rank_needs, read_application, score_subpriorities

    items = [r for r in rows if r["kind"] == "applicant"]
    apps = [(r, read_application(corpus, r["query"], 100_000)) for r in items]
    print(f"{len(items)} applicant items")
    header = ("whole weight", "top sentences", "hit@1", "hit@3", "margin", "need@1", "need@3")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (12, 13, 6, 6, 7, 7, 7), strict=True)))
    for whole_weight in (1.0, 0.75, 0.5, 0.25, 0.0):
        for top in (1, 3, 5):
            if whole_weight == 1.0 and top != 1:
                continue
            hit1 = hit3 = need1 = need3 = 0
            margins = []
            for row, app in apps:
                ranked = score_subpriorities(corpus, app, whole_weight, top)
                ok = {row["section"], *row.get("also_ok", [])}
                rank = next((i + 1 for i, ((_, sid), _) in enumerate(ranked) if sid in ok), None)
                gold = next(score for (_, sid), score in ranked if sid == row["section"])
                other = max(score for (_, sid), score in ranked if sid not in ok)
                margins.append(gold - other)
                hit1 += rank == 1
                hit3 += rank is not None and rank <= 3
                doc_id = ranked[0][0][0]
                needs = rank_needs(corpus, app, doc_id, row["section"], 3, whole_weight, top)
                found = [any(_collapse(e) in _collapse(q.text) for e in row["evidence"]) for q in needs]
                need1 += bool(found[:1] and found[0])
                need3 += any(found)
            n = len(apps)
            print(
                f"{whole_weight:>12.2f} {top:>13d} {hit1 / n:>6.0%} {hit3 / n:>6.0%} {np.mean(margins):>7.4f} "
                f"{need1 / n:>7.0%} {need3 / n:>7.0%}"
            )
    # Several projects in one text: does the top 3 hold each part's sub-priority?
    rng = np.random.default_rng(0)
    combos = [[items[i] for i in rng.choice(len(items), 3, replace=False)] for _ in range(60)]
    mixed = [(combo, read_application(corpus, " ".join(r["query"] for r in combo), 100_000)) for combo in combos]
    print("\nthree descriptions joined into one text (60 random triples): share of their sub-priorities in the top 3")
    for whole_weight in (1.0, 0.75, 0.5, 0.25, 0.0):
        for top in (1, 3, 5):
            if whole_weight == 1.0 and top != 1:
                continue
            recall = []
            for combo, app in mixed:
                ids = [sid for (_, sid), _ in score_subpriorities(corpus, app, whole_weight, top)][:3]
                recall.append(np.mean([bool({r["section"], *r.get("also_ok", [])} & set(ids)) for r in combo]))
            print(f"{whole_weight:>12.2f} {top:>13d} {np.mean(recall):>6.0%}")


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=settings.index_dir)
    parser.add_argument("--gold", type=Path, nargs="*", default=[DEV, EXTRA])
    parser.add_argument("--match", action="store_true", help="evaluate /v1/match aggregation instead")
    args = parser.parse_args(argv)
    corpus = Corpus.open(args.index_dir)
    rows = load_gold([p for p in args.gold if p.exists()])
    if args.match:
        match_report(corpus, rows)
    else:
        abstention_report(corpus.index, rows, settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
