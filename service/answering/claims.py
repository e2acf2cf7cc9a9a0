"""When an application sentence supports a numbered need or challenge, and how sure that is (/v1/align's claims).

For every (application sentence, item) pair of one sub-priority the support is
    gap     the sentence's similarity to the item minus its similarity to the closest other item: of the
            sub-priority in the best-matching one; of the whole document (every sub-priority's items, `Rivals`) in
            the others, where a sentence supports an item only when no item anywhere fits it as well
  + 0.25 ·  margin: its similarity to the item minus its typical similarity to the strategy (sentence baseline)
  + 0.07 ·  lexical share: the sentence's BM25 score for the item as a share of its best BM25 score in the strategy,
  + 0.75 ·  phrasing gap, when the items have everyday phrasings (index/phrasings.py): the gap above, over the
            sentence's similarities to each item's closest phrasing (PHRASING_WEIGHT),
and a sentence supports at most the NEEDS_PER_SENTENCE items it scores highest. An item's evidence is its best
supported sentence plus 1.0 · the whole text's similarity gap (the whole text against the item minus against the
closest other item, plus 0.75 · the same over the phrasings), turned into a 0–1 confidence by a logistic fit.
The weights, the two-per-sentence cap and the fit were chosen on eval/align_gold_tune.jsonl only (the phrasing
weight on both sets' tune halves; `rus eval align`, docs/retrieval.md "Alignment"): the embedder's margins alone
separate addressed from other needs with AUC 0.87; the gap, the lexical share and the whole-text agreement together
reach 0.94 there. The thresholds that turn a confidence into "addressed" and "possible" are settings
(align_confidence_addressed / align_confidence_possible; align_confidence_addressed_elsewhere after the
best-matching sub-priority, matching.link_status). Refitted on the tune halves of both sets with the document-wide
gap (455 labelled needs of the checked sub-priorities, AUC 0.906), the logistic came out at −1.391 + 49.3 ·
evidence: close enough to the fit below that it was kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.texts import t

MARGIN_WEIGHT = 0.25
LEXICAL_WEIGHT = 0.07
WHOLE_WEIGHT = 1.0
# The same two gaps over the items' everyday phrasings (index/phrasings.py), when every item has them: a sentence
# written the way people put a need meets its phrasings. Chosen on the tune halves of eval/align_gold and
# eval/align_multi (0.25 / 0.5 / 0.75 / 1: pooled every-claim precision 0.659 / 0.667 / 0.667 / 0.660, recall
# 0.714 / 0.714 / 0.738 / 0.738; without: 0.612 and 0.714; docs/retrieval.md "Alignment").
PHRASING_WEIGHT = 0.75
NEEDS_PER_SENTENCE = 2
# confidence = 1 / (1 + exp(-(INTERCEPT + SLOPE · evidence))), fitted on the tune half's needs (29 addressed, 61 not)
CONFIDENCE_INTERCEPT = -1.473
CONFIDENCE_SLOPE = 48.0
HIGH_CONFIDENCE = 0.7  # at or above: "clear support" in the wording (about 0.9 precision on the tune half)
MODERATE_CONFIDENCE = 0.35  # at or above: "moderate confidence" (the default addressed threshold)


@dataclass(frozen=True)
class Support:
    """One item's evidence in the application: its confidence, and its sentences (index, confidence) best first,
    those that support it (positive evidence) before the rest; `supported` when there is at least one."""

    confidence: float
    sentences: list[tuple[int, float]]
    supported: bool


@dataclass(frozen=True)
class Rivals:
    """Every item of the document the gaps are taken against (the sub-priority's own items among them), as
    (items × [whole text, sentences…]) similarities: to the items' text, and to each item's closest everyday
    phrasing (None when not every item has phrasings)."""

    dense: np.ndarray
    phrased: np.ndarray | None


def _gap_to_others(similarity: np.ndarray, pool: np.ndarray | None = None) -> np.ndarray:
    """(items × columns): each item's similarity minus the best similarity among the other items, those of `pool`
    (rows shaped like `similarity`'s, these items' own among them) when given, else these items."""
    pool = similarity if pool is None else pool
    if len(pool) < 2:
        return np.zeros_like(similarity)
    order = np.sort(pool, axis=0)
    best, second = order[-1], order[-2]
    return similarity - np.where(similarity >= best[None, :], second[None, :], best[None, :])


def confidence_of(evidence: float) -> float:
    """The calibrated 0–1 confidence for an evidence value."""
    return float(1.0 / (1.0 + np.exp(-(CONFIDENCE_INTERCEPT + CONFIDENCE_SLOPE * evidence))))


def item_support(
    whole: np.ndarray,
    sentences: np.ndarray,
    baseline: np.ndarray,
    lexical: np.ndarray,
    phrased: tuple[np.ndarray, np.ndarray] | None = None,
    rivals: Rivals | None = None,
) -> list[Support]:
    """Per item of one sub-priority: its confidence and supporting sentences.

    `whole` (items,) and `sentences` (items × sentences) are dense similarities to the items, `baseline`
    (sentences,) each sentence's typical similarity to the strategy, `lexical` (items × sentences) the lexical
    shares, `phrased` the whole text's and the sentences' similarities to each item's closest everyday phrasing
    (shaped like `whole` and `sentences`). A sentence is listed for an item only when the item is among the
    NEEDS_PER_SENTENCE it supports most."""
    if not len(whole):
        return []
    # gaps per column of [whole text, sentences…], against the rivals' rows when given
    gap = _gap_to_others(np.hstack([whole[:, None], sentences]), rivals.dense if rivals is not None else None)
    if phrased is not None:
        phrased_pool = rivals.phrased if rivals is not None else None
        gap = gap + PHRASING_WEIGHT * _gap_to_others(np.hstack([phrased[0][:, None], phrased[1]]), phrased_pool)
    whole_gap = gap[:, 0]
    per_sentence = gap[:, 1:] + MARGIN_WEIGHT * (sentences - baseline[None, :]) + LEXICAL_WEIGHT * lexical
    if per_sentence.shape[1]:
        cap = min(NEEDS_PER_SENTENCE, len(per_sentence))
        kth = np.sort(per_sentence, axis=0)[-cap]
        per_sentence = np.where(per_sentence >= kth[None, :], per_sentence, -np.inf)
    result = []
    for row, gap in zip(per_sentence, whole_gap, strict=True):
        best = float(row.max()) if len(row) and np.isfinite(row.max()) else None
        evidence = (best if best is not None else 0.0) + WHOLE_WEIGHT * float(gap)
        order = [int(i) for i in np.argsort(-row) if np.isfinite(row[i])]
        sentences = [(i, confidence_of(float(row[i]) + WHOLE_WEIGHT * float(gap))) for i in order]
        confidence = confidence_of(evidence) if best is not None else 0.0
        result.append(Support(confidence, sentences, best is not None and best > 0))
    return result


def confidence_label(confidence: float, lang: str) -> str:
    """"high / moderate / low confidence" in the application's language (no raw numbers in reports)."""
    key = "high" if confidence >= HIGH_CONFIDENCE else "medium" if confidence >= MODERATE_CONFIDENCE else "low"
    return t(f"confidence_{key}", lang)


def judge_link(status: str, confidence: float, lang: str, held_back: bool = False) -> str:
    """How a need/challenge link was judged, in one plain sentence in the application's language; `held_back`: a
    link that would be a claim in the best-matching sub-priority, shown as possible because it is in another."""
    if status == "addressed":
        return t("judge_clear" if confidence >= HIGH_CONFIDENCE else "judge_support", lang)
    if status == "possible":
        return t("judge_elsewhere" if held_back else "judge_possible", lang)
    return t("judge_none", lang)
