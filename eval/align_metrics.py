"""Alignment metrics as pure functions over what the report claimed for each labelled application.

Counting rules (eval/README.md, "Alignment evaluation"):
- Needs are judged on the gold (main) sub-priority only, where the labels are: a claim ("addressed") of a
  labelled need is right, a claim of any other need of that sub-priority is wrong (each summary was written to
  address exactly its labelled needs). When the main sub-priority is not among the checked ones, its labelled
  needs count as missed and nothing counts as claimed.
- Needs claimed in the other matched sub-priorities are not labelled; they are counted per application and
  enter only the strict precision, which treats every one of them as wrong (a lower bound).
- "Possible" links are not claims; they are counted separately.
- An inriktning judgement is right when "shown in the application" equals the gold true/false.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemOutcome:
    """What the report said about one labelled application, next to its labels."""

    id: str
    lang: str
    section: str
    ranked: tuple[str, ...]  # the checked sub-priorities, best first
    accepted: frozenset[str]  # the main section and its also_ok alternatives
    gold_needs: frozenset[int]
    not_needs: frozenset[int]
    claimed: frozenset[int]  # needs of the main sub-priority marked as addressed
    possible: frozenset[int] = frozenset()  # needs of the main sub-priority marked as possible
    other_claims: int = 0  # needs marked as addressed in the other checked sub-priorities
    inriktningar: dict[str, tuple[bool, bool]] = field(default_factory=dict)  # name → (gold, judged shown)

    @property
    def rank(self) -> int | None:
        """1-based rank of the first accepted sub-priority among the checked ones, or None."""
        return next((i for i, s in enumerate(self.ranked, start=1) if s in self.accepted), None)


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def hit_at(outcomes: Sequence[ItemOutcome], k: int) -> float | None:
    """Share of applications whose main sub-priority (or an also_ok one) is among the first k checked."""
    return ratio(sum(o.rank is not None and o.rank <= k for o in outcomes), len(outcomes))


def need_counts(outcomes: Iterable[ItemOutcome]) -> dict[str, int]:
    """Micro counts over applications: claims, right claims, gold needs, not-addressed needs and their claims."""
    counts = {"claimed": 0, "right": 0, "gold": 0, "not_needs": 0, "not_needs_claimed": 0, "other_claims": 0,
              "possible": 0, "possible_gold": 0}
    for o in outcomes:
        counts["claimed"] += len(o.claimed)
        counts["right"] += len(o.claimed & o.gold_needs)
        counts["gold"] += len(o.gold_needs)
        counts["not_needs"] += len(o.not_needs)
        counts["not_needs_claimed"] += len(o.claimed & o.not_needs)
        counts["other_claims"] += o.other_claims
        counts["possible"] += len(o.possible)
        counts["possible_gold"] += len(o.possible & o.gold_needs)
    return counts


def need_metrics(outcomes: Sequence[ItemOutcome]) -> dict[str, float | int | None]:
    """Precision, recall, strict precision, share of not-addressed needs claimed, claims per application."""
    c = need_counts(outcomes)
    return {
        **c,
        "precision": ratio(c["right"], c["claimed"]),
        "recall": ratio(c["right"], c["gold"]),
        "strict_precision": ratio(c["right"], c["claimed"] + c["other_claims"]),
        "not_needs_claimed_share": ratio(c["not_needs_claimed"], c["not_needs"]),
        "claims_per_application": ratio(c["claimed"] + c["other_claims"], len(outcomes)),
        "recall_with_possible": ratio(c["right"] + c["possible_gold"], c["gold"]),
    }


def inriktning_metrics(outcomes: Sequence[ItemOutcome]) -> dict[str, dict[str, float | int | None]]:
    """Per inriktning (and "all"): accuracy and the confusion counts of "shown" against the gold."""
    names = list(dict.fromkeys(name for o in outcomes for name in o.inriktningar))
    result: dict[str, dict[str, float | int | None]] = {}
    for name in [*names, "all"]:
        pairs = [pair for o in outcomes for n, pair in o.inriktningar.items() if name in (n, "all")]
        tp = sum(gold and shown for gold, shown in pairs)
        tn = sum(not gold and not shown for gold, shown in pairs)
        fp = sum(shown and not gold for gold, shown in pairs)
        fn = sum(gold and not shown for gold, shown in pairs)
        result[name] = {"n": len(pairs), "accuracy": ratio(tp + tn, len(pairs)), "tp": tp, "tn": tn, "fp": fp,
                        "fn": fn}
    return result


def summarise(outcomes: Sequence[ItemOutcome]) -> dict:
    """Every headline figure for a set of applications."""
    return {
        "n": len(outcomes),
        "subpriority@1": hit_at(outcomes, 1),
        "subpriority@3": hit_at(outcomes, 3),
        "needs": need_metrics(outcomes),
        "inriktningar": inriktning_metrics(outcomes),
    }


def precision_recall_curve(
    scored: Sequence[tuple[float, bool]], gold_total: int, thresholds: Sequence[float]
) -> list[dict[str, float | int | None]]:
    """For each threshold: precision and recall if every need scored at or above it were claimed.

    `scored` holds (confidence, is a gold need) for every need of the main sub-priorities; `gold_total` counts
    all gold needs (those of a main sub-priority that was not checked are missed at any threshold)."""
    rows = []
    for threshold in thresholds:
        claimed = [gold for value, gold in scored if value >= threshold]
        right = sum(claimed)
        rows.append({"threshold": threshold, "claimed": len(claimed), "precision": ratio(right, len(claimed)),
                     "recall": ratio(right, gold_total)})
    return rows
