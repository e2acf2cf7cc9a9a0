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

Every claim (`every_claim_metrics`): the report's claims in all checked sub-priorities, against every need the
application is labelled with anywhere. For a fully labelled application (eval/align_multi.jsonl) a claim is right
when its (sub-priority, need) is labelled; for an application labelled on its main sub-priority only, claims
elsewhere are unlabelled and count as wrong (so its every-claim precision is the strict precision, a lower bound).
Recall is over the labelled needs of the checked sub-priorities; `recall_anywhere` over all labelled needs.
Per sub-priority rank (`subpriority_ranks`): where each labelled sub-priority stands in the full ranking.
"""

from __future__ import annotations

import statistics
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
    fully_labelled: bool = False  # every need the application addresses anywhere is labelled
    claims: frozenset[tuple[str, int]] = frozenset()  # (sub-priority, need) marked addressed in any checked one
    gold_all: frozenset[tuple[str, int]] = frozenset()  # every labelled need: the main ones and those elsewhere
    section_ranks: dict[str, int | None] = field(default_factory=dict)  # labelled sub-priority → full-ranking rank
    inriktning_kinds: dict[str, str] = field(default_factory=dict)  # true inriktning → "explicit" / "paraphrase"

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


def every_claim_metrics(outcomes: Sequence[ItemOutcome]) -> dict[str, float | int | None]:
    """Precision over every claim of the checked sub-priorities, recall over the labelled needs of the checked
    sub-priorities (and anywhere), and the same split into the main sub-priority and the others."""
    c = {"claims": 0, "right": 0, "gold_checked": 0, "gold_anywhere": 0, "claims_main": 0, "right_main": 0,
         "claims_other": 0, "right_other": 0, "gold_checked_other": 0}
    for o in outcomes:
        right = o.claims & o.gold_all
        checked_gold = {g for g in o.gold_all if g[0] in o.ranked}
        c["claims"] += len(o.claims)
        c["right"] += len(right)
        c["gold_checked"] += len(checked_gold)
        c["gold_anywhere"] += len(o.gold_all)
        c["claims_main"] += sum(s == o.section for s, _ in o.claims)
        c["right_main"] += sum(s == o.section for s, _ in right)
        c["claims_other"] += sum(s != o.section for s, _ in o.claims)
        c["right_other"] += sum(s != o.section for s, _ in right)
        c["gold_checked_other"] += sum(s != o.section for s, _ in checked_gold)
    return {
        **c,
        "precision": ratio(c["right"], c["claims"]),
        "recall": ratio(c["right"], c["gold_checked"]),
        "recall_anywhere": ratio(c["right"], c["gold_anywhere"]),
        "precision_main": ratio(c["right_main"], c["claims_main"]),
        "precision_other": ratio(c["right_other"], c["claims_other"]),
        "recall_other": ratio(c["right_other"], c["gold_checked_other"]),
        "claims_per_application": ratio(c["claims"], len(outcomes)),
    }


def subpriority_ranks(outcomes: Sequence[ItemOutcome], checked: int) -> dict:
    """Where the labelled sub-priorities stand in the full ranking: the other sub-priorities with labelled needs
    (how many are among the `checked`, their median rank), and per sub-priority its applications as main (@1) and
    as other (checked), and the claims made in it with how many were right."""
    other = [rank for o in outcomes if o.fully_labelled for s, rank in o.section_ranks.items() if s != o.section]
    per: dict[str, dict] = {}

    def row(section: str) -> dict:
        return per.setdefault(section, {"main": 0, "main_at1": 0, "other": 0, "other_checked": 0, "ranks": [],
                                        "claims": 0, "right": 0})

    for o in outcomes:
        main = row(o.section)
        main["main"] += 1
        main["main_at1"] += o.rank == 1
        for section, rank in o.section_ranks.items():
            row(section)["ranks"].append(rank)
            if section != o.section and o.fully_labelled:
                row(section)["other"] += 1
                row(section)["other_checked"] += rank is not None and rank <= checked
        for section, number in o.claims:
            row(section)["claims"] += 1
            row(section)["right"] += (section, number) in o.gold_all
    for values in per.values():
        ranks = [r for r in values.pop("ranks") if r is not None]
        values["median_rank"] = statistics.median(ranks) if ranks else None
    return {
        "other_labelled": len(other),
        "other_checked": sum(r is not None and r <= checked for r in other),
        "other_checked_share": ratio(sum(r is not None and r <= checked for r in other), len(other)),
        "other_median_rank": statistics.median([r for r in other if r is not None]) if other else None,
        "by_subpriority": dict(sorted(per.items(), key=lambda kv: [int(p) for p in kv[0].split(".")])),
    }


def inriktning_kind_metrics(outcomes: Sequence[ItemOutcome]) -> dict[str, dict[str, float | int | None]]:
    """Share shown of the true inriktningar stated explicitly and of those stated in other words, and share shown
    of the false ones (a true inriktning without a kind counts as explicit: the first set labels explicit aims)."""
    groups: dict[str, list[bool]] = {"explicit": [], "paraphrase": [], "not stated": []}
    for o in outcomes:
        for name, (gold, shown) in o.inriktningar.items():
            groups[o.inriktning_kinds.get(name, "explicit") if gold else "not stated"].append(shown)
    return {kind: {"n": len(shown), "shown": sum(shown), "shown_share": ratio(sum(shown), len(shown))}
            for kind, shown in groups.items()}


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


def summarise(outcomes: Sequence[ItemOutcome], checked: int = 3) -> dict:
    """Every headline figure for a set of applications."""
    return {
        "n": len(outcomes),
        "fully_labelled": sum(o.fully_labelled for o in outcomes),
        "subpriority@1": hit_at(outcomes, 1),
        "subpriority@3": hit_at(outcomes, 3),
        "needs": need_metrics(outcomes),
        "every_claim": every_claim_metrics(outcomes),
        "ranks": subpriority_ranks(outcomes, checked),
        "inriktningar": inriktning_metrics(outcomes),
        "inriktning_kinds": inriktning_kind_metrics(outcomes),
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
