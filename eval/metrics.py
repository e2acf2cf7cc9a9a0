"""Retrieval metrics as pure functions over ranked lists of (section_id, priority, score, text).

Relevance is binary and by section: a retrieved chunk is correct when its section id is one of the
item's labels (`section` or `also_ok`), or when a label is "P N" and the chunk belongs to priority N
(its own text "P N", a sub-priority "N.M", or anything else with `priority == N`, e.g. the
"Vägen framåt" plan list of that priority).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ingest.plan_sections import DOC_SEPARATOR

CHUNK_KS = (1, 3, 5, 10)
SECTION_KS = (1, 3, 5)
EVIDENCE_KS = (5, 10)
MRR_K = 10
NDCG_K = 10
PRIORITY_LABEL = re.compile(r"^P\s*(\d+)$")
SUBPRIORITY_ID = re.compile(r"^(\d+)\.\d+$")
SOFT_HYPHEN = "\u00ad"
LINE_HYPHEN = re.compile(r"(?<=[^\W\d_])-\s*(?=[^\W\d_])")
WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Ranked:
    """One retrieved chunk as the metrics see it."""

    section_id: str
    priority: int | None
    score: float
    text: str = ""


@dataclass(frozen=True)
class SectionScore:
    """One section in a section-level ranking, with the chunks that were aggregated into it."""

    section_id: str
    priority: int | None
    score: float
    n_chunks: int
    best_rank: int  # chunk rank of the section's best chunk

    @property
    def label(self) -> str:
        return section_display(self.section_id, self.priority)


# ---------------------------------------------------------------- relevance and evidence


def priority_of_label(label: str) -> int | None:
    """N for a label "P N", else None."""
    match = PRIORITY_LABEL.match(label.strip())
    return int(match.group(1)) if match else None


def label_matches(section_id: str, priority: int | None, labels: Iterable[str]) -> bool:
    """Whether a chunk (or section) with this id and priority answers an item with these labels."""
    for label in labels:
        if section_id == label:
            return True
        wanted = priority_of_label(label)
        if wanted is None:
            continue
        if priority == wanted or section_id == f"P {wanted}":
            return True
        sub = SUBPRIORITY_ID.match(section_id)
        if sub and int(sub.group(1)) == wanted:
            return True
    return False


def section_display(section_id: str, priority: int | None) -> str:
    """The id, with its priority appended for headings shared by several priorities ("Vägen framåt …")."""
    if priority is None or SUBPRIORITY_ID.match(section_id) or PRIORITY_LABEL.match(section_id):
        return section_id
    return f"{section_id} [P {priority}]"


def normalise_evidence(text: str) -> str:
    """Casefolded text with soft hyphens removed, hyphens between letters dropped and whitespace collapsed.

    Dropping every hyphen between letters (with or without a line break after it) joins line-end
    hyphenation ("kompetens-\nutveckling" = "kompetensutveckling") and also matches a compound split at
    its own hyphen ("EU-\ninitiativ" = "EU-initiativ"). Chunk text and evidence quotes go through the
    same function, so "arbets- och" is joined on both sides alike and still matches.
    """
    text = text.replace(SOFT_HYPHEN, "")
    text = LINE_HYPHEN.sub("", text)
    return WHITESPACE.sub(" ", text).strip().casefold()


def contains_evidence(text: str, evidence: Iterable[str]) -> bool:
    """Whether the text contains at least one of the evidence alternatives (after normalisation)."""
    haystack = normalise_evidence(text)
    return any((needle := normalise_evidence(e)) and needle in haystack for e in evidence)


# ---------------------------------------------------------------- chunk-level ranking metrics


def first_relevant_rank(ranking: Sequence[Ranked], labels: Sequence[str]) -> int | None:
    """1-based rank of the first correct chunk, or None when none is retrieved."""
    for rank, entry in enumerate(ranking, start=1):
        if label_matches(entry.section_id, entry.priority, labels):
            return rank
    return None


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, k: int = MRR_K) -> float:
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ndcg_at(ranking: Sequence[Ranked], labels: Sequence[str], n_relevant: int, k: int = NDCG_K) -> float:
    """Binary-relevance nDCG@k; the ideal ranking puts min(n_relevant, k) correct chunks first.

    `n_relevant` is the number of correct chunks in the whole index (at least the number retrieved).
    """
    gains = [label_matches(e.section_id, e.priority, labels) for e in ranking[:k]]
    dcg = sum(1.0 / math.log2(rank + 1) for rank, relevant in enumerate(gains, start=1) if relevant)
    ideal_n = min(max(n_relevant, sum(gains)), k)
    if ideal_n == 0:
        return 0.0
    idcg = sum(1.0 / math.log2(rank + 1) for rank in range(1, ideal_n + 1))
    return dcg / idcg


def count_relevant(sections: Iterable[tuple[str, int | None]], labels: Sequence[str]) -> int:
    """How many chunks of an index (given as (section_id, priority) pairs) are correct for the labels."""
    return sum(label_matches(section_id, priority, labels) for section_id, priority in sections)


def evidence_rank(ranking: Sequence[Ranked], evidence: Sequence[str]) -> int | None:
    """1-based rank of the first chunk containing an evidence string, or None."""
    if not evidence:
        return None
    for rank, entry in enumerate(ranking, start=1):
        if contains_evidence(entry.text, evidence):
            return rank
    return None


# ---------------------------------------------------------------- section-level ranking


def _top_sum(n: int) -> Callable[[list[float], list[int]], float]:
    return lambda scores, ranks: float(sum(sorted(scores, reverse=True)[:n]))


AGGREGATIONS: dict[str, Callable[[list[float], list[int]], float]] = {
    # the best chunk decides
    "max": lambda scores, ranks: float(max(scores)),
    # the best two chunks: rewards sections with more than one good passage
    "sum2": _top_sum(2),
    # reciprocal-rank votes of every chunk in the pool: scale-free across retrievers
    "rrf": lambda scores, ranks: float(sum(1.0 / (60 + r) for r in ranks)),
}
# Chosen by measurement on dev.jsonl and eval/gold_extra.jsonl (see eval/README.md).
DEFAULT_AGGREGATION = "max"


def aggregate_sections(ranking: Sequence[Ranked], rule: str = DEFAULT_AGGREGATION) -> list[SectionScore]:
    """Rank sections by aggregating the scores of their chunks; ties go to the earlier best chunk.

    A section is a (section_id, priority) pair, so the "Vägen framåt" plan lists of different
    priorities, which share a heading, stay apart.
    """
    if rule not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {rule!r}; use one of {', '.join(AGGREGATIONS)}")
    groups: dict[tuple[str, int | None], tuple[list[float], list[int]]] = {}
    for rank, entry in enumerate(ranking, start=1):
        scores, ranks = groups.setdefault((entry.section_id, entry.priority), ([], []))
        scores.append(float(entry.score))
        ranks.append(rank)
    sections = [
        SectionScore(section_id, priority, AGGREGATIONS[rule](scores, ranks), len(scores), ranks[0])
        for (section_id, priority), (scores, ranks) in groups.items()
    ]
    sections.sort(key=lambda s: (-s.score, s.best_rank))
    return sections


def first_relevant_section(sections: Sequence[SectionScore], labels: Sequence[str]) -> int | None:
    for rank, section in enumerate(sections, start=1):
        if label_matches(section.section_id, section.priority, labels):
            return rank
    return None


# ---------------------------------------------------------------- per-item results and summaries


@dataclass
class ItemResult:
    """What one retriever did for one gold item (the ranks are 1-based, None = not retrieved)."""

    id: str
    lang: str
    kind: str
    answerable: bool
    chunk_rank: int | None = None
    ndcg: float = 0.0
    section_ranks: dict[str, int | None] = field(default_factory=dict)  # by aggregation rule
    evidence_rank: int | None = None
    has_evidence: bool = False
    top_score: float | None = None
    latency: float = 0.0  # seconds
    state: str | None = None  # the answer state decided for the item: answer | low_confidence | not_covered
    confidence: float | None = None  # the decision's probability that the strategy covers the question
    doc: str = ""  # the document the gold labels name (plan labels are "doc#section"; plain ones the strategy's)

    @property
    def abstained(self) -> bool | None:
        """Called "not covered" (None when no decision was made)."""
        return None if self.state is None else self.state == "not_covered"

    @property
    def top_right(self) -> bool:
        """Answerable, and the first section ranked is a right one."""
        return self.answerable and self.section_ranks.get(DEFAULT_AGGREGATION) == 1


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def summarise(items: Sequence[ItemResult], rule: str = DEFAULT_AGGREGATION) -> dict[str, float | int | None]:
    """All rank metrics of a group of items (answerable items only; None where a metric has no items)."""
    answerable = [i for i in items if i.answerable]
    with_evidence = [i for i in answerable if i.has_evidence]
    summary: dict[str, float | int | None] = {
        "n": len(items),
        "n_answerable": len(answerable),
        "n_negative": len(items) - len(answerable),
    }
    for k in CHUNK_KS:
        summary[f"chunk_hit@{k}"] = _mean([hit_at(i.chunk_rank, k) for i in answerable])
    summary[f"chunk_mrr@{MRR_K}"] = _mean([reciprocal_rank(i.chunk_rank) for i in answerable])
    summary[f"chunk_ndcg@{NDCG_K}"] = _mean([i.ndcg for i in answerable])
    for k in SECTION_KS:
        summary[f"section_hit@{k}"] = _mean([hit_at(i.section_ranks.get(rule), k) for i in answerable])
    summary[f"section_mrr@{MRR_K}"] = _mean([reciprocal_rank(i.section_ranks.get(rule)) for i in answerable])
    for k in EVIDENCE_KS:
        summary[f"evidence@{k}"] = _mean([hit_at(i.evidence_rank, k) for i in with_evidence])
    return summary


def section_summary(items: Sequence[ItemResult], rule: str) -> dict[str, float | None]:
    """Section-level hit@k and MRR of one aggregation rule (to compare the rules)."""
    answerable = [i for i in items if i.answerable]
    summary: dict[str, float | None] = {
        f"section_hit@{k}": _mean([hit_at(i.section_ranks.get(rule), k) for i in answerable]) for k in SECTION_KS
    }
    summary[f"section_mrr@{MRR_K}"] = _mean([reciprocal_rank(i.section_ranks.get(rule)) for i in answerable])
    return summary


def breakdowns(items: Sequence[ItemResult], rule: str = DEFAULT_AGGREGATION) -> dict[str, dict]:
    """Summaries overall, by kind, by language and by the gold labels' document; the language pairs, if any."""
    by_kind: dict[str, list[ItemResult]] = {}
    by_lang: dict[str, list[ItemResult]] = {}
    by_doc: dict[str, list[ItemResult]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
        by_lang.setdefault(item.lang, []).append(item)
        if item.answerable:
            by_doc.setdefault(item.doc, []).append(item)
    return {
        "overall": summarise(items, rule),
        "by_kind": {kind: summarise(group, rule) for kind, group in sorted(by_kind.items())},
        "by_lang": {lang: summarise(group, rule) for lang, group in sorted(by_lang.items())},
        "by_doc": {doc: summarise(group, rule) for doc, group in sorted(by_doc.items())},
        "language_pairs": language_pairs(items, rule),
    }


def language_pairs(items: Sequence[ItemResult], rule: str = DEFAULT_AGGREGATION) -> dict[str, float | int] | None:
    """The same answerable question asked in Swedish and in English (ids `<intent>-sv` and `<intent>-en`, as in
    eval/paired_fresh.jsonl): per intent, whether each language's first section is right. A pair differs only in its
    language, so the difference between the one-language counts is the language gap with the topics' difficulty
    held equal; `mcnemar_p` is the exact two-sided McNemar test of it. None when no intent is asked in both."""
    by_intent: dict[str, dict[str, ItemResult]] = {}
    for item in items:
        if item.answerable and item.id.endswith(f"-{item.lang}"):
            by_intent.setdefault(item.id[: -len(item.lang) - 1], {})[item.lang] = item
    pairs = [pair for pair in by_intent.values() if set(pair) == {"sv", "en"}]
    if not pairs:
        return None
    right = [(p["sv"].section_ranks.get(rule) == 1, p["en"].section_ranks.get(rule) == 1) for p in pairs]
    both = sum(sv and en for sv, en in right)
    sv_only = sum(sv and not en for sv, en in right)
    en_only = sum(en and not sv for sv, en in right)
    n = len(pairs)
    return {
        "pairs": n,
        "both": both,
        "sv_only": sv_only,
        "en_only": en_only,
        "neither": n - both - sv_only - en_only,
        "section_hit@1_sv": (both + sv_only) / n,
        "section_hit@1_en": (both + en_only) / n,
        "gap_en_minus_sv": (en_only - sv_only) / n,
        "mcnemar_p": mcnemar_exact(sv_only, en_only),
    }


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for b and c discordant pairs (binomial, p = ½); 1.0 with none."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def label_document(labels: Sequence[str], strategy: str) -> str:
    """The document an item's labels name: "kulturplan" for "kulturplan#2.1", `strategy` for plain labels."""
    docs = {label.split(DOC_SEPARATOR, 1)[0] if DOC_SEPARATOR in label else strategy for label in labels}
    return " + ".join(sorted(docs))


def latency_summary(seconds: Sequence[float], wall: float | None = None) -> dict[str, float | None]:
    """p50/p95/mean/max per-query latency in milliseconds, and the total wall time in seconds."""
    values = np.asarray(seconds, dtype=float) * 1000.0
    empty = not len(values)
    return {
        "p50_ms": None if empty else float(np.percentile(values, 50)),
        "p95_ms": None if empty else float(np.percentile(values, 95)),
        "mean_ms": None if empty else float(values.mean()),
        "max_ms": None if empty else float(values.max()),
        "wall_s": float(wall) if wall is not None else float(values.sum() / 1000.0),
    }


def distribution(values: Sequence[float]) -> dict[str, float | int | None]:
    """Five-number summary plus mean."""
    array = np.asarray([v for v in values if v is not None], dtype=float)
    if not len(array):
        return {"n": 0, "min": None, "p25": None, "median": None, "p75": None, "max": None, "mean": None}
    return {
        "n": len(array),
        "min": float(array.min()),
        "p25": float(np.percentile(array, 25)),
        "median": float(np.median(array)),
        "p75": float(np.percentile(array, 75)),
        "max": float(array.max()),
        "mean": float(array.mean()),
    }


def separation_auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """P(a random answerable item's top score > a random negative's); ties count half. 0.5 = no signal."""
    if not len(positives) or not len(negatives):
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return float(wins / (len(positives) * len(negatives)))


def negatives_summary(items: Sequence[ItemResult]) -> dict:
    """Top-score distributions of negatives vs answerable items, and abstain rates when known."""
    answerable = [i.top_score for i in items if i.answerable and i.top_score is not None]
    negative = [i.top_score for i in items if not i.answerable and i.top_score is not None]
    summary: dict = {
        "top_score_answerable": distribution(answerable),
        "top_score_negative": distribution(negative),
        "top_score_auc": separation_auc(answerable, negative),
    }
    judged = [i for i in items if i.abstained is not None]
    if judged:
        neg = [i for i in judged if not i.answerable]
        pos = [i for i in judged if i.answerable]
        summary["abstain_on_negative"] = _mean([float(bool(i.abstained)) for i in neg])
        summary["abstain_on_answerable"] = _mean([float(bool(i.abstained)) for i in pos])
        summary["answered_negative"] = _mean([float(i.state == "answer") for i in neg])
        summary["states"] = state_summary(judged)
        scored = [i for i in judged if i.confidence is not None]
        if scored:
            summary["reliability"] = reliability(scored)
    return summary


ANSWER_STATES = ("answer", "low_confidence", "not_covered")


def state_summary(items: Sequence[ItemResult]) -> dict[str, dict]:
    """Per answer state: how many items got it, how many of them were answerable or negatives, and its precision
    (answer and low_confidence: the share whose first section is right; not_covered: the share of negatives)."""
    summary = {}
    for state in ANSWER_STATES:
        mine = [i for i in items if i.state == state]
        right = [i for i in mine if not i.answerable] if state == "not_covered" else [i for i in mine if i.top_right]
        summary[state] = {
            "n": len(mine),
            "answerable": sum(i.answerable for i in mine),
            "negative": sum(not i.answerable for i in mine),
            "precision": len(right) / len(mine) if mine else None,
        }
    return summary


RELIABILITY_BINS = 5


def reliability(items: Sequence[ItemResult], bins: int = RELIABILITY_BINS) -> list[dict]:
    """Confidence in equal-width bins against what happened: the share of items that were answerable (what the
    confidence predicts) and the share answered right (answerable with the right first section)."""
    rows = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        mine = [i for i in items if low <= i.confidence < high or (b == bins - 1 and i.confidence == 1.0)]
        rows.append({
            "low": low, "high": high, "n": len(mine),
            "mean_confidence": _mean([i.confidence for i in mine]),
            "answerable": _mean([float(i.answerable) for i in mine]),
            "right": _mean([float(i.top_right) for i in mine]),
        })
    return rows


def hit_curve(ranks: Sequence[int | None], max_k: int = 10) -> list[float]:
    """hit@k for k = 1..max_k."""
    if not ranks:
        return [0.0] * max_k
    return [float(np.mean([hit_at(r, k) for r in ranks])) for k in range(1, max_k + 1)]
