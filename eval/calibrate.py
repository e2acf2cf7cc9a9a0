"""Calibrate the service's thresholds on gold questions; prints trade-off tables (run after index changes).

    python -m eval.calibrate [--index-dir DIR] [--gold FILE ...] [--write]   # /v1/ask answer states
    python -m eval.calibrate --match                                          # /v1/match aggregation variants

(/v1/align's claims and inriktningar are measured and calibrated with `rus eval align`, eval/align_eval.py.)

Answer states: fits the logistic model of service/answering/decision.py
 (covered vs negative) on the tuning items — by default
eval/realistic_tune.jsonl, eval/gold_extra.jsonl and eval/calibration_extra.jsonl, never the held-out half or
dev — and prints, per cut-off, the share of answerable items and of negatives below it and the share answered
right above it, then the two cut-offs its rule chooses (`choose_cutoffs`). With --write it writes the weights, the
intercept and the cut-offs (rounded as printed) to service/answering/answer_state_model.json, which
service/answering/decision.py reads.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

import numpy as np

from eval.gold import GoldItem
from eval.gold import load_gold as load_gold_items
from eval.metrics import label_matches
from index.search import SearchIndex
from service.answering import decision
from service.answering.answer_state_model import MODEL_FILE, AnswerStateModel, write_model
from service.answering.answers import ASK_POOL
from service.settings import get_settings
from service.state import Corpus

REALISTIC_TUNE = Path(__file__).with_name("realistic_tune.jsonl")
GOLD_EXTRA = Path(__file__).with_name("gold_extra.jsonl")
CALIBRATION_EXTRA = Path(__file__).with_name("calibration_extra.jsonl")
MAX_ANSWERABLE_NOT_COVERED = 0.05  # the target for answerable items called "not covered"
MAX_NEGATIVES_ANSWERED = 0.10  # negatives that may still get a confident answer


def load_gold(paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def confidence_signals(index: SearchIndex, items: list[GoldItem]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per gold item: the decision's signals on its /v1/ask pool, whether it is answerable, whether the first
    section is a right one."""
    rows, answerable, right = [], [], []
    for item in items:
        analysis = index.read(item.query)
        hits = index.search(analysis, ASK_POOL, "hybrid")
        rows.append(decision.measure(analysis, hits).vector())
        answerable.append(item.answerable)
        top = hits[0].chunk if hits else None
        right.append(bool(top and item.answerable and label_matches(top.section_id, top.priority, item.labels)))
    return np.array(rows), np.array(answerable, dtype=float), np.array(right)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 100) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method, classes weighted equally (negatives are few) and a small L2
    penalty on the weights: (weights, intercept)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    weight = np.where(y == 1, 0.5 / max(y.sum(), 1), 0.5 / max((1 - y).sum(), 1)) * len(y)
    beta = np.zeros(design.shape[1])
    penalty = np.diag([l2] * x.shape[1] + [0.0])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(design @ beta, -50, 50)))
        gradient = design.T @ (weight * (p - y)) + penalty @ beta
        hessian = design.T @ (design * (weight * p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def choose_cutoffs(p: np.ndarray, y: np.ndarray, files: np.ndarray) -> tuple[float, float]:
    """The answer states' cut-offs by a fixed rule (0.01 steps): *not covered* below the highest cut-off under
    which at most MAX_ANSWERABLE_NOT_COVERED of the answerable items of every training file fall (each kind of
    wording must meet the issue's target, not only the pool); *answer* from the lowest cut-off at or above which at
    most MAX_NEGATIVES_ANSWERED of the negatives score."""
    grid = np.round(np.arange(0.01, 1.0, 0.01), 2)

    def turns_away_few(cut: float) -> bool:
        return all(
            (p[(files == f) & (y == 1)] < cut).mean() <= MAX_ANSWERABLE_NOT_COVERED
            for f in np.unique(files[y == 1])
        )

    not_covered_below = max((c for c in grid if turns_away_few(c)), default=0.0)
    negatives = p[y == 0]
    answer_from = min(
        (c for c in grid if c >= not_covered_below and (negatives >= c).mean() <= MAX_NEGATIVES_ANSWERED),
        default=1.0,
    )
    return float(not_covered_below), float(answer_from)


def confidence_report(index: SearchIndex, items: list[GoldItem], files: list[str]) -> AnswerStateModel:
    """Fit the decision's model on the given (tuning) items, print cut-offs with their trade-offs and the cut-offs
    the rule chooses (`files`: each item's gold file); the model with the weights rounded as printed."""
    x, y, right = confidence_signals(index, items)
    weights, intercept = fit_logistic(x, y)
    p = 1 / (1 + np.exp(-np.clip(x @ weights + intercept, -50, 50)))
    print(f"{int(y.sum())} answerable, {int((1 - y).sum())} negatives")
    rounded = tuple(round(float(w), 3) for w in weights)
    print("WEIGHTS =", rounded, " INTERCEPT =", round(intercept, 3))
    print(f"{'cut':>5} {'answerable below':>17} {'negatives below':>16} {'negatives above':>16} {'right above':>11}")
    n_answerable, n_negative = max(y.sum(), 1), max((1 - y).sum(), 1)
    for cut in np.arange(0.05, 1.0, 0.05):
        below, above = p < cut, p >= cut
        answerable_below = (below & (y == 1)).sum() / n_answerable
        negatives_below = (below & (y == 0)).sum() / n_negative
        negatives_above = (above & (y == 0)).sum() / n_negative
        right_above = right[above].mean() if above.any() else 0.0
        rates = f"{answerable_below:17.1%} {negatives_below:16.1%} {negatives_above:16.1%} {right_above:11.1%}"
        print(f"{cut:5.2f} {rates}")
    not_covered_below, answer_from = choose_cutoffs(p, y, np.array(files))
    print(
        f"rule: NOT_COVERED_BELOW = {not_covered_below:.2f}  ANSWER_FROM = {answer_from:.2f}  (all: answerable below "
        f"{(p[y == 1] < not_covered_below).mean():.1%}, negatives below {(p[y == 0] < not_covered_below).mean():.1%}, "
        f"negatives from ANSWER_FROM {(p[y == 0] >= answer_from).mean():.1%}, answerable from it "
        f"{(p[y == 1] >= answer_from).mean():.1%})"
    )
    for name in sorted(set(files)):
        mine = np.array(files) == name
        answerable, negatives = p[mine & (y == 1)], p[mine & (y == 0)]
        shares = f"answerable below {(answerable < not_covered_below).mean():.1%}" if len(answerable) else ""
        if len(negatives):
            shares += f"  negatives below {(negatives < not_covered_below).mean():.1%}"
        print(f"  {name}: {shares}")
    return AnswerStateModel(
        signals=tuple(field.name for field in fields(decision.Signals)),
        weights=rounded,
        intercept=round(intercept, 3),
        not_covered_below=round(not_covered_below, 2),
        answer_from=round(answer_from, 2),
        fitted_on=tuple(dict.fromkeys(files)),
        answerable=int(y.sum()),
        negatives=int((1 - y).sum()),
    )


def _collapse(text: str) -> str:
    return " ".join(text.split())


def match_report(corpus: Corpus, rows: list[dict]) -> None:
    """For applicant items: rank of the gold sub-priority, its score margin over the best other one, and
    whether the best-matching need (need@1) / the top three needs (need@3) hold the gold evidence."""
    from service.answering.matching import MatchRule, rank_needs, read_application, score_subpriorities

    items = [r for r in rows if r["kind"] == "applicant"]
    apps = [(r, read_application(corpus, r["query"], 100_000)) for r in items]
    print(f"{len(items)} applicant items")
    header = ("whole weight", "top sentences", "hit@1", "hit@3", "margin", "need@1", "need@3")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (12, 13, 6, 6, 7, 7, 7), strict=True)))
    for whole_weight in (1.0, 0.75, 0.5, 0.25, 0.0):
        for top in (1, 3, 5):
            if whole_weight == 1.0 and top != 1:
                continue
            rule = MatchRule(whole_weight, top)
            hit1 = hit3 = need1 = need3 = 0
            margins = []
            for row, app in apps:
                ranked = score_subpriorities(corpus, app, rule)
                ok = {row["section"], *row.get("also_ok", [])}
                rank = next((i + 1 for i, ((_, sid), _) in enumerate(ranked) if sid in ok), None)
                gold = next(score for (_, sid), score in ranked if sid == row["section"])
                other = max(score for (_, sid), score in ranked if sid not in ok)
                margins.append(gold - other)
                hit1 += rank == 1
                hit3 += rank is not None and rank <= 3
                doc_id = ranked[0][0][0]
                needs = rank_needs(corpus, app, doc_id, row["section"], 3, rule)
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
            rule = MatchRule(whole_weight, top)
            recall = []
            for combo, app in mixed:
                ids = [sid for (_, sid), _ in score_subpriorities(corpus, app, rule)][:3]
                recall.append(np.mean([bool({r["section"], *r.get("also_ok", [])} & set(ids)) for r in combo]))
            print(f"{whole_weight:>12.2f} {top:>13d} {np.mean(recall):>6.0%}")


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=settings.index_dir)
    parser.add_argument("--gold", type=Path, nargs="*", default=[REALISTIC_TUNE, GOLD_EXTRA, CALIBRATION_EXTRA])
    parser.add_argument("--match", action="store_true", help="evaluate /v1/match aggregation instead")
    parser.add_argument(
        "--write",
        nargs="?",
        type=Path,
        const=MODEL_FILE,
        metavar="FILE",
        help=f"write the fitted answer-state model to FILE (default {MODEL_FILE}, which /v1/ask reads)",
    )
    args = parser.parse_args(argv)
    if args.match and args.write:
        parser.error("--write writes the answer-state model; it does not apply to --match")
    corpus = Corpus.open(args.index_dir, engine=settings.e5_engine)
    rows = load_gold([p for p in args.gold if p.exists()])
    if args.match:
        match_report(corpus, rows)
    else:
        per_file = [(item, path.name) for path in args.gold for item in load_gold_items(path)]
        model = confidence_report(corpus.index, [item for item, _ in per_file], [name for _, name in per_file])
        if args.write:
            write_model(model, args.write)
            print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
