"""CI quality gate: hybrid retrieval on the dev gold set must stay above the floors in eval/floors.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.baselines import IndexRetriever
from eval.gold import load_gold
from eval.metrics import DEFAULT_AGGREGATION
from eval.runner import evaluate

FLOORS = Path(__file__).resolve().parent.parent / "eval" / "floors.json"


@pytest.fixture(scope="module")
def dev_results(corpus_search, dev_gold: Path) -> dict:
    return evaluate(IndexRetriever(corpus_search, "hybrid"), load_gold(dev_gold), k=10, progress=False)


@pytest.mark.parametrize("metric", ["section_hit@1", "section_hit@5"])
def test_hybrid_section_level_quality_stays_above_floor(dev_results: dict, metric: str):
    floor = json.loads(FLOORS.read_text(encoding="utf-8"))["hybrid"][metric]
    measured = dev_results["metrics"]["overall"][metric]
    misses = [r["id"] for r in dev_results["items"]
              if r["answerable"] and (r["section_rank"] is None or r["section_rank"] > int(metric[-1]))]
    assert measured >= floor, (
        f"hybrid {metric} on dev.jsonl is {measured:.3f}, below the floor {floor:.3f} in eval/floors.json "
        f"(aggregation {DEFAULT_AGGREGATION}); items missed: {', '.join(misses)}"
    )
