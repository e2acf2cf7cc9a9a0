"""Library pieces that need no index: the strategy's plan mentions linked to library titles, and the eval's
per-document figures (plan labels "doc#section", strategy labels plain)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from eval.gold import load_gold
from eval.metrics import label_document
from eval.report import render_report
from eval.runner import evaluate
from ingest.models import Chunk
from service.answering.plan_links import linked_documents, matches

LIBRARY = [
    ("lanstransportplan", "Länstransportplan för Västerbottens län 2022–2033"),
    ("livsmedelsstrategi", "Livsmedelsstrategin för Testlänet"),
    ("innovationsstrategi", "Regional innovationsstrategi för smart specialisering 2021–2027"),
    ("kulturplan", "Kulturplan för Testlänet 2024–2027"),
]


@pytest.mark.parametrize(
    ("mention", "expected"),
    [
        ("Länstransportplan (under framtagande)", ["lanstransportplan"]),
        ("Mer mat från Västerbotten Regional livsmedelsstrategi 2021-2030", ["livsmedelsstrategi"]),
        ("Region Västerbottens kulturplan 2024-2027", ["kulturplan"]),
        ("Regional innovationsstrategi 2022-2030", ["innovationsstrategi"]),
        # generic words, the region's name and years link nothing
        ("Regional digitaliseringsstrategi för Västerbotten 2022–2030", []),
        ("Regionalt trafikförsörjningsprogram för Västerbottens län 2020–2025", []),
        ("Strategi för hållbar besöksnäring i Västerbotten 2022–2026", []),
        ("Lokala utvecklingsstrategier och planer", []),
    ],
)
def test_a_mentioned_plan_links_to_the_library_document_with_a_matching_title(mention, expected) -> None:
    assert [doc_id for doc_id, _ in linked_documents(mention, LIBRARY)] == expected


def test_inflected_forms_match_only_long_words() -> None:
    assert matches("livsmedelsstrategi", "Livsmedelsstrategin")
    assert not matches("Plan för kultur", "Kulturplan")  # "kultur" is too short to match "kulturplan" by prefix


@dataclass
class FakeHit:
    rank: int
    score: float
    chunk: Chunk


class FakeSystem:
    name = "hybrid"

    def __init__(self, order: list[Chunk]) -> None:
        self.chunks = order

    def search(self, query: str, k: int):
        return [FakeHit(r, 1.0 - r / 100, c) for r, c in enumerate(self.chunks[:k], start=1)]


def _chunk(doc_id: str, kind: str, section_id: str) -> Chunk:
    return Chunk(f"{doc_id}-{section_id}", doc_id, doc_id, section_id, (section_id,), "text", None, 1, 1, "text",
                 doc_kind=kind)


def test_eval_gives_figures_per_document(tmp_path: Path) -> None:
    assert label_document(["3.1"], "rus") == "rus"
    assert label_document(["kulturplan#2.1", "kulturplan#2"], "rus") == "kulturplan"
    gold = tmp_path / "gold.jsonl"
    lines = [
        {"id": "s", "query": "renar", "lang": "sv", "kind": "subpriority", "section": "3.1", "also_ok": [],
         "evidence": [], "answer": "3.1"},
        {"id": "p1", "query": "E12", "lang": "sv", "kind": "related_plan", "section": "plan#3.1", "also_ok": [],
         "evidence": [], "answer": "3.1 i planen"},
        {"id": "p2", "query": "viltstängsel", "lang": "sv", "kind": "related_plan", "section": "plan#4",
         "also_ok": [], "evidence": [], "answer": "4 i planen"},
    ]
    gold.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    system = FakeSystem([_chunk("plan", "plan", "plan#3.1"), _chunk("rus", "strategi", "3.1"),
                         _chunk("plan", "plan", "plan#4")])
    outcome = evaluate(system, load_gold(gold), k=3, pool=3, progress=False)
    by_doc = outcome["metrics"]["by_doc"]
    assert set(by_doc) == {"rus", "plan"}  # plain labels name the index's strategy document
    assert (by_doc["rus"]["n_answerable"], by_doc["rus"]["section_hit@1"]) == (1, 0.0)
    assert (by_doc["plan"]["n_answerable"], by_doc["plan"]["section_hit@1"]) == (2, 0.5)
    assert [r["doc"] for r in outcome["items"]] == ["rus", "plan", "plan"]
    meta = {"gold": str(gold), "n_items": 3, "n_answerable": 3, "index_dir": "-", "index_chunks": 3,
            "embedder": "fake", "index_built_at": "-", "k": 3, "pool": 3, "aggregation": "max",
            "aggregations": ["max"], "created_at": "now", "scope": "answer"}
    report = render_report({"meta": meta, "retrievers": {"hybrid": outcome}})
    assert "## By document" in report and "| hybrid · plan | 2 |" in report and "| hybrid · rus | 1 |" in report
