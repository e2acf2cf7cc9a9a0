"""CI quality gate: hybrid retrieval on the dev set, the realistic held-out half and the fresh paired set must stay
above the floors in eval/floors.json, with the answer path's decision (what /v1/ask returns) on every item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.baselines import IndexRetriever
from eval.gold import load_gold
from eval.metrics import DEFAULT_AGGREGATION
from eval.runner import evaluate
from service.answering.decision import decide

REPO_ROOT = Path(__file__).resolve().parent.parent
FLOORS = REPO_ROOT / "eval" / "floors.json"
GATES: dict[str, dict[str, float]] = json.loads(FLOORS.read_text(encoding="utf-8"))["gates"]


@pytest.fixture(scope="module")
def gate_results(corpus_search) -> dict[str, dict]:
    return {
        gold: evaluate(IndexRetriever(corpus_search, "hybrid"), load_gold(REPO_ROOT / gold), k=10, decide=decide,
                       progress=False)
        for gold in GATES
    }


@pytest.mark.parametrize("gold", list(GATES))
@pytest.mark.parametrize("metric", ["section_hit@1", "section_hit@5"])
def test_hybrid_section_level_quality_stays_above_floor(gate_results: dict, gold: str, metric: str):
    results, floor = gate_results[gold], GATES[gold][metric]
    measured = results["metrics"]["overall"][metric]
    misses = [r["id"] for r in results["items"]
              if r["answerable"] and (r["section_rank"] is None or r["section_rank"] > int(metric[-1]))]
    assert measured >= floor, (
        f"hybrid {metric} on {gold} is {measured:.3f}, below the floor {floor:.3f} in eval/floors.json "
        f"(aggregation {DEFAULT_AGGREGATION}); items missed: {', '.join(misses)}"
    )


@pytest.mark.parametrize("gold", list(GATES))
def test_answerable_items_are_rarely_called_not_covered(gate_results: dict, gold: str):
    results, ceiling = gate_results[gold], GATES[gold]["max_not_covered_answerable"]
    measured = results["negatives"]["abstain_on_answerable"]
    wrong = [r["id"] for r in results["items"] if r["answerable"] and r["state"] == "not_covered"]
    assert measured <= ceiling, (
        f"{gold}: {measured:.3f} of the answerable items are called 'not covered' (ceiling {ceiling:.3f} in "
        f"eval/floors.json): {', '.join(wrong)}"
    )


@pytest.mark.parametrize("gold", [gold for gold, floors in GATES.items() if "min_not_covered_negative" in floors])
def test_negatives_are_called_not_covered(gate_results: dict, gold: str):
    results, floor = gate_results[gold], GATES[gold]["min_not_covered_negative"]
    measured = results["negatives"]["abstain_on_negative"]
    negatives = [r for r in results["items"] if not r["answerable"]]
    answered = [f"{r['id']} ({r['state']})" for r in negatives if r["state"] != "not_covered"]
    assert measured >= floor, (
        f"{gold}: only {measured:.3f} of the negatives are called 'not covered' (floor {floor:.3f} in "
        f"eval/floors.json); the others: {', '.join(answered)}"
    )
