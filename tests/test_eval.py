"""Unit tests of the evaluation harness: gold validation, metrics, aggregation, baselines, reports, CLI."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from eval.baselines import NaiveDenseIndex, VectorCache, naive_chunks, whole_text
from eval.gold import GoldFormatError, load_gold, missing_evidence, unknown_labels
from eval.metrics import (
    ItemResult,
    Ranked,
    aggregate_sections,
    contains_evidence,
    evidence_rank,
    first_relevant_rank,
    first_relevant_section,
    hit_at,
    label_matches,
    language_pairs,
    latency_summary,
    mcnemar_exact,
    ndcg_at,
    normalise_evidence,
    reciprocal_rank,
    separation_auc,
    summarise,
)
from eval.report import compare, flatten_metrics, render_report, worst_misses
from eval.runner import evaluate, write_results
from ingest.models import Chunk, Document, Paragraph, Section

EXTRA_GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold_extra.jsonl"
FLOORS = Path(__file__).resolve().parent.parent / "eval" / "floors.json"


def gold_line(**overrides) -> str:
    item = {
        "id": "g1", "query": "Which sub-priority covers cybersecurity?", "lang": "en", "kind": "subpriority",
        "section": "1.2", "also_ok": [], "evidence": ["säkerhetsövervakning"], "answer": "1.2",
    }
    item.update(overrides)
    return json.dumps(item, ensure_ascii=False)


def write_gold(tmp_path: Path, *lines: str, name: str = "gold.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- gold validation


def test_valid_gold_loads_with_labels_and_skips_blank_lines(tmp_path):
    path = write_gold(tmp_path, gold_line(also_ok=["P 1"]), "",
                      gold_line(id="g2", kind="negative", section=None, evidence=[]))
    items = load_gold(path)
    assert [i.id for i in items] == ["g1", "g2"]
    assert items[0].labels == ("1.2", "P 1") and items[0].answerable and items[0].line == 1
    assert items[1].labels == () and not items[1].answerable and items[1].line == 3


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"id": "g1"}), "missing field 'query'"),
        (gold_line(lang="de"), "field 'lang' must be one of en, sv"),
        (gold_line(kind="trivia"), "field 'kind' must be one of"),
        (gold_line(section=None), "null only for negatives"),
        (gold_line(kind="negative"), "must be null for kind 'negative'"),
        (gold_line(evidence="säkerhetsövervakning"), "field 'evidence' must be a list of strings"),
        (gold_line(also_ok=[3]), "field 'also_ok' must hold non-empty strings"),
        (gold_line(query="  "), "field 'query' must be a non-empty string"),
    ],
)
def test_malformed_line_names_file_line_and_problem(tmp_path, line, problem):
    path = write_gold(tmp_path, gold_line(id="ok"), line, name="dev.jsonl")
    with pytest.raises(GoldFormatError) as error:
        load_gold(path)
    assert str(error.value).startswith("dev.jsonl line 2: ")
    assert problem in str(error.value)


def test_duplicate_ids_missing_and_empty_files_are_errors(tmp_path):
    with pytest.raises(GoldFormatError, match="line 2: duplicate id 'g1' \\(first on line 1\\)"):
        load_gold(write_gold(tmp_path, gold_line(), gold_line()))
    with pytest.raises(GoldFormatError, match="no such gold file"):
        load_gold(tmp_path / "absent.jsonl")
    with pytest.raises(GoldFormatError, match="has no items"):
        load_gold(write_gold(tmp_path, "", name="empty.jsonl"))


def test_evidence_and_label_checks(tmp_path):
    line = gold_line(evidence=["etablera säkerhets-\növervakning", "finns inte"], also_ok=["9.9", "P 2"])
    items = load_gold(write_gold(tmp_path, line))
    texts = ["… och etablera säkerhetsövervakning och incidenthantering …"]
    assert missing_evidence(items, texts) == [("g1", "finns inte")]
    assert unknown_labels(items, {"1.2"}) == [("g1", "9.9")]


# ---------------------------------------------------------------- relevance and evidence


def test_label_matching_rules():
    assert label_matches("1.2", 1, ["1.2"])
    assert label_matches("2.2", 2, ["1.2", "2.2"])  # also_ok
    assert not label_matches("1.3", 1, ["1.2"])
    # a delprioritering or anything of priority N counts for "P N"
    assert label_matches("3.1", 3, ["P 3"])
    assert label_matches("P 3", 3, ["P 3"])
    assert label_matches("Vägen framåt – exempel på andra strategier och planer", 3, ["P 3"])
    assert label_matches("3.1", None, ["P 3"])
    assert not label_matches("4.1", 4, ["P 3"])
    assert not label_matches("P 1", 1, ["1.1"])  # the priority text does not answer a sub-priority label
    assert not label_matches("En gemensam vision", None, ["P 1"])


def test_evidence_normalisation_soft_hyphen_line_hyphen_whitespace_case():
    assert normalise_evidence("Kom\u00adpetens-\n  utveckling   för\tALLA") == "kompetensutveckling för alla"
    assert normalise_evidence("EU-\ninitiativ") == normalise_evidence("EU-initiativ")
    assert normalise_evidence("2020 – 2025") == "2020 – 2025"  # dashes between digits stay
    chunk = ("Det kan handla om att in-\nföra ett lednings\u00adstyrt riskbaserat   systematiskt\n"
             "informationssäkerhetsarbete.")
    assert contains_evidence(chunk, ["införa ett ledningsstyrt riskbaserat systematiskt informationssäkerhetsarbete"])
    assert contains_evidence(chunk, ["saknas", "LEDNINGSSTYRT riskbaserat"])
    assert not contains_evidence(chunk, ["incidenthantering"])
    assert not contains_evidence(chunk, [])
    assert not contains_evidence(chunk, ["  "])  # an empty quote must not match everything


# ---------------------------------------------------------------- chunk-level metrics


def ranking(*sections: str, scores: list[float] | None = None, texts: list[str] | None = None) -> list[Ranked]:
    scores = scores or [1.0 - i / 10 for i in range(len(sections))]
    texts = texts or [""] * len(sections)
    out = []
    for section, score, text in zip(sections, scores, texts, strict=True):
        priority = int(section[2]) if section.startswith("P ") else int(section[0]) if section[0].isdigit() else None
        out.append(Ranked(section, priority, score, text))
    return out


def test_hit_at_k_and_mrr():
    ranked = ranking("4.1", "1.3", "1.2", "1.2")
    rank = first_relevant_rank(ranked, ["1.2"])
    assert rank == 3
    assert [hit_at(rank, k) for k in (1, 3, 5, 10)] == [0.0, 1.0, 1.0, 1.0]
    assert reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert reciprocal_rank(11) == 0.0 and reciprocal_rank(None) == 0.0
    assert first_relevant_rank(ranked, ["6.3"]) is None and hit_at(None, 10) == 0.0
    assert first_relevant_rank(ranked, ["P 1"]) == 2


def test_ndcg_binary_by_section():
    ranked = ranking("1.2", "4.1", "1.2")
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at(ranked, ["1.2"], n_relevant=2) == pytest.approx(expected)
    assert ndcg_at(ranking("1.2", "1.2"), ["1.2"], n_relevant=2) == pytest.approx(1.0)
    # more relevant chunks in the index than retrieved lowers the ideal-normalised score
    assert ndcg_at(ranking("1.2", "1.2"), ["1.2"], n_relevant=5) < 1.0
    assert ndcg_at(ranking("4.1"), ["1.2"], n_relevant=3) == 0.0
    assert ndcg_at(ranking("4.1"), ["1.2"], n_relevant=0) == 0.0


def test_evidence_rank_uses_chunk_text():
    ranked = ranking("1.1", "1.2", "1.2", texts=["inget här", "…etablera säkerhets-\növervakning…", "x"])
    assert evidence_rank(ranked, ["etablera säkerhetsövervakning"]) == 2
    assert evidence_rank(ranked, []) is None


# ---------------------------------------------------------------- section aggregation


def test_section_aggregation_max_and_sum_of_top_two():
    ranked = ranking("2.2", "1.2", "1.2", "1.2", "3.1", scores=[0.90, 0.85, 0.84, 0.10, 0.50])
    by_max = aggregate_sections(ranked, "max")
    assert [s.section_id for s in by_max] == ["2.2", "1.2", "3.1"]
    assert by_max[1].n_chunks == 3 and by_max[1].best_rank == 2
    by_sum = aggregate_sections(ranked, "sum2")
    assert [s.section_id for s in by_sum] == ["1.2", "2.2", "3.1"]
    assert by_sum[0].score == pytest.approx(1.69)  # top two only, not the 0.10
    assert first_relevant_section(by_max, ["1.2"]) == 2 and first_relevant_section(by_sum, ["1.2"]) == 1
    assert aggregate_sections(ranked, "rrf")[0].section_id == "1.2"
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate_sections(ranked, "median")


def test_section_aggregation_ties_and_shared_headings():
    plans = "Vägen framåt – exempel på andra strategier och planer"
    ranked = [Ranked(plans, 1, 0.8), Ranked("2.1", 2, 0.8), Ranked(plans, 2, 0.7)]
    sections = aggregate_sections(ranked, "max")
    assert [(s.section_id, s.priority) for s in sections] == [(plans, 1), ("2.1", 2), (plans, 2)]
    assert sections[0].label == f"{plans} [P 1]" and sections[1].label == "2.1"
    assert first_relevant_section(sections, ["P 2"]) == 2


# ---------------------------------------------------------------- summaries


def test_summarise_excludes_negatives_and_breaks_down():
    items = [
        ItemResult("a", "en", "subpriority", True, chunk_rank=1, section_ranks={"max": 1}, evidence_rank=2,
                   has_evidence=True, ndcg=0.5),
        ItemResult("b", "sv", "subpriority", True, chunk_rank=4, section_ranks={"max": 2}, evidence_rank=None,
                   has_evidence=True, ndcg=0.1),
        ItemResult("c", "sv", "fact", True, chunk_rank=None, section_ranks={"max": None}, has_evidence=False),
        ItemResult("n", "en", "negative", False, top_score=0.8),
    ]
    summary = summarise(items, "max")
    assert summary["n"] == 4 and summary["n_answerable"] == 3 and summary["n_negative"] == 1
    assert summary["chunk_hit@1"] == pytest.approx(1 / 3)
    assert summary["chunk_hit@5"] == pytest.approx(2 / 3)
    assert summary["chunk_mrr@10"] == pytest.approx((1 + 0.25) / 3)
    assert summary["section_hit@3"] == pytest.approx(2 / 3)
    assert summary["evidence@5"] == pytest.approx(0.5)  # over items that have evidence
    assert summarise([items[3]])["chunk_hit@1"] is None


def test_language_pairs_compare_the_same_intents_in_both_languages():
    def item(item_id: str, lang: str, rank: int | None, answerable: bool = True) -> ItemResult:
        return ItemResult(item_id, lang, "everyday", answerable, section_ranks={"max": rank})

    items = [
        item("a-sv", "sv", 1), item("a-en", "en", 1),  # both right
        item("b-sv", "sv", 1), item("b-en", "en", 2),  # Swedish only
        item("c-sv", "sv", 3), item("c-en", "en", None),  # neither
        item("d-sv", "sv", 1),  # no English twin: not a pair
        item("e-sv", "sv", None, answerable=False), item("e-en", "en", None, answerable=False),  # negatives
        item("r001", "en", 1),  # an id without a language suffix
    ]
    pairs = language_pairs(items, "max")
    assert (pairs["pairs"], pairs["both"], pairs["sv_only"], pairs["en_only"], pairs["neither"]) == (3, 1, 1, 0, 1)
    assert pairs["section_hit@1_sv"] == pytest.approx(2 / 3) and pairs["section_hit@1_en"] == pytest.approx(1 / 3)
    assert pairs["gap_en_minus_sv"] == pytest.approx(-1 / 3)
    assert language_pairs([item("r001", "en", 1), item("r002", "sv", 1)], "max") is None
    assert mcnemar_exact(0, 0) == 1.0 and mcnemar_exact(1, 0) == 1.0
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64) and mcnemar_exact(2, 3) == 1.0
    assert mcnemar_exact(1, 9) == pytest.approx(2 * 11 / 1024)


def test_latency_and_separation():
    latency = latency_summary([0.01, 0.02, 0.03, 0.04], wall=1.5)
    assert latency["p50_ms"] == pytest.approx(25.0) and latency["wall_s"] == 1.5
    assert latency["p95_ms"] == pytest.approx(38.5)
    assert separation_auc([0.9, 0.8], [0.1]) == 1.0
    assert separation_auc([0.5], [0.5]) == 0.5
    assert separation_auc([], [0.1]) is None


# ---------------------------------------------------------------- runner, report, compare with a fake system


@dataclass
class FakeHit:
    rank: int
    score: float
    chunk: Chunk


def make_chunk(section_id: str, priority: int | None, text: str, n: int = 0) -> Chunk:
    return Chunk(f"c{section_id}{n}", "doc", "Doc", section_id, (section_id,), "needs", priority, 1, 1, text)


class FakeSystem:
    """Answers every query with a fixed ranking; its chunks are the whole 'index'."""

    answer_states = True

    def __init__(self, name: str, order: list[Chunk]) -> None:
        self.name = name
        self._order = order

    @property
    def chunks(self):
        return self._order

    def search(self, query: str, k: int):
        return [FakeHit(r, 1.0 - r / 100, c) for r, c in enumerate(self._order[:k], start=1)]

    def read(self, query: str) -> SimpleNamespace:
        return SimpleNamespace(text=query)


@pytest.fixture
def tiny_gold(tmp_path) -> Path:
    return write_gold(
        tmp_path,
        gold_line(id="a", section="1.2", evidence=["säkerhetsövervakning"]),
        gold_line(id="b", lang="sv", kind="applicant", section="3.1", evidence=["Hållplatsbristlistan"],
                  query="Vi vill uppdatera Hållplatsbristlistan."),
        gold_line(id="n", kind="negative", section=None, evidence=[], query="How many wolves live here?"),
    )



@dataclass(frozen=True)
class Decision:
    state: str
    score: float


def fake_results(tiny_gold: Path, order_a: list[Chunk], order_b: list[Chunk], decide=None) -> dict:
    items = load_gold(tiny_gold)
    return {
        "meta": {"gold": str(tiny_gold), "gold_sha256": "x", "n_items": 3, "n_answerable": 2, "index_dir": "-",
                 "index_chunks": 4, "embedder": "fake", "index_built_at": "-", "k": 3, "pool": 4,
                 "aggregation": "max", "aggregations": ["max", "sum2", "rrf"], "created_at": "now"},
        "retrievers": {
            "dense": evaluate(FakeSystem("dense", order_a), items, k=3, pool=4, decide=decide, progress=False),
            "hybrid": evaluate(FakeSystem("hybrid", order_b), items, k=3, pool=4, decide=decide, progress=False),
        },
    }


CHUNKS = [
    make_chunk("1.2", 1, "etablera säkerhets-\növervakning och incidenthantering"),
    make_chunk("3.1", 3, "behovsanalyser (som Hållplatsbristlistan och bredbandskartläggningar)"),
    make_chunk("4.1", 4, "annat"),
    make_chunk("1.2", 1, "mer om 1.2", n=1),
]


def test_evaluate_and_reports(tiny_gold, tmp_path):
    results = fake_results(tiny_gold, CHUNKS, [CHUNKS[2], CHUNKS[1], CHUNKS[0], CHUNKS[3]],
                           decide=lambda analysis, hits: Decision(
                               "answer" if "cybersecurity" in analysis.text else "not_covered",
                               0.9 if "cyber" in analysis.text else 0.1,
                           ))
    dense = results["retrievers"]["dense"]
    overall = dense["metrics"]["overall"]
    # item a: 1.2 at rank 1; item b: 3.1 at rank 2 (the ranking is the same for every query)
    assert overall["chunk_hit@1"] == 0.5 and overall["chunk_hit@3"] == 1.0
    assert overall["chunk_mrr@10"] == pytest.approx(0.75)
    assert overall["evidence@5"] == 1.0
    assert dense["metrics"]["by_lang"]["sv"]["chunk_hit@1"] == 0.0
    assert dense["metrics"]["by_kind"]["negative"]["n_answerable"] == 0
    record = dense["items"][1]
    assert record["chunk_rank"] == 2 and record["section_rank"] == 2
    assert [c["section"] for c in record["top_chunks"]] == ["1.2", "3.1", "4.1"]
    assert record["top_chunks"][1]["correct"] and record["top_chunks"][1]["evidence"]
    assert [s["section"] for s in record["top_sections"]] == ["1.2", "3.1", "4.1"]
    assert dense["negatives"]["abstain_on_negative"] == 1.0
    assert dense["negatives"]["abstain_on_answerable"] == 0.5
    states = dense["negatives"]["states"]
    assert states["answer"] == {"n": 1, "answerable": 1, "negative": 0, "precision": 1.0}  # item a: 1.2 first
    assert states["not_covered"] == {"n": 2, "answerable": 1, "negative": 1, "precision": 0.5}
    reliability = {row["low"]: row for row in dense["negatives"]["reliability"] if row["n"]}
    assert reliability[0.0]["answerable"] == 0.5 and reliability[0.8]["right"] == 1.0
    assert dense["curves"]["chunk_hit@k"] == [0.5, 1.0, 1.0]

    written = write_results(results, tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == ["hit1_by_kind.png", "hit1_by_lang.png", "hitk.png", "reliability.png", "report.md",
                     "results.json", "top_scores.png"]
    assert all(p.stat().st_size > 0 for p in written)
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "## Overall" in report and "## By language" in report and "## By kind" in report
    assert "| hybrid | 2 |" in report and "## Worst misses" in report and "![hitk.png](hitk.png)" in report
    assert json.loads((tmp_path / "out" / "results.json").read_text())["retrievers"]["dense"]["items"]
    misses = worst_misses(results["retrievers"]["hybrid"])
    assert [m["id"] for m in misses] == ["a", "b"]  # 1.2 at section rank 3 is worse than 3.1 at rank 2

    # a run stopped while writing (Ctrl-C during the plots) leaves the previous report whole, not mixed
    before = {p.name: p.read_bytes() for p in written}
    changed = {**results, "meta": {**results["meta"], "gold": "another.jsonl"}}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("eval.plots.write_plots", interrupted)
        with pytest.raises(KeyboardInterrupt):
            write_results(changed, tmp_path / "out")
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    assert render_report(results).count("### ") == 2


def test_the_report_shows_language_pairs_only_for_a_paired_set(tiny_gold, tmp_path):
    assert "## Language pairs" not in render_report(fake_results(tiny_gold, CHUNKS, CHUNKS))
    paired = write_gold(
        tmp_path,
        gold_line(id="i1-en", query="How is cybersecurity handled?"),
        gold_line(id="i1-sv", lang="sv", kind="casual", query="hur hanteras cybersäkerhet?"),
        gold_line(id="i2-en", section="3.1", evidence=[], query="Missing bus stops?"),
        gold_line(id="i2-sv", lang="sv", kind="casual", section="3.1", evidence=[], query="saknade busshållplatser?"),
        name="paired.jsonl",
    )
    report = render_report(fake_results(paired, CHUNKS, CHUNKS))  # 1.2 first for every query: i1 right, i2 not
    assert "## Language pairs" in report
    assert "| hybrid | 2 | 1 | 0 | 0 | 1 | 0.500 | 0.500 | +0.000 | 1.00 |" in report


def test_compare_prints_every_metric_delta(tiny_gold):
    a = fake_results(tiny_gold, CHUNKS, CHUNKS)
    b = fake_results(tiny_gold, [CHUNKS[1], CHUNKS[0], CHUNKS[2], CHUNKS[3]], CHUNKS)
    flat = flatten_metrics(a)
    assert "dense.metrics.overall.chunk_hit@1" in flat and "dense.latency.p50_ms" in flat
    assert not any(".items" in key for key in flat)
    text = compare(a, b)
    line = next(x for x in text.splitlines() if x.startswith("dense.metrics.overall.chunk_mrr@10 "))
    assert "0.7500" in line and "+0.0000" in line  # ranks 1 and 2 swapped between the two items
    line = next(x for x in text.splitlines() if x.startswith("dense.metrics.by_lang.sv.chunk_hit@1 "))
    assert line.split()[1:4] == ["0.0000", "1.0000", "+1.0000"] and line.endswith("▲")
    changed = compare(a, b, changed_only=True)
    assert "hybrid.metrics.overall.chunk_hit@1" not in changed.split("delta")[1]


# ---------------------------------------------------------------- naive baseline


def test_naive_chunks_are_labelled_by_the_section_they_start_in():
    body = " ".join(f"mening {i} om vägar och broar." for i in range(120))
    sections = [
        Section("P 3", ["Prioritering 3: nära"], "priority", 3, [Paragraph("Kort inledning.", 40, 40)]),
        Section("3.2", ["Prioritering 3: nära", "Delprioritering 3.2 Robust"], "subpriority", 3,
                [Paragraph(body, 44, 45)]),
        Section("3.2", ["Prioritering 3: nära", "Delprioritering 3.2 Robust", "Utmaningar för robust"],
                "challenges", 3, [Paragraph("Utmaningar för robust:\n\nUtmaning 1: tjälskott.", 44, 44)]),
    ]
    document = Document("doc", "Doc", "doc.pdf", "h", 2, sections, "outline")
    text, starts, owners = whole_text(document)
    assert text.startswith("Prioritering 3: nära\n\nKort inledning.\n\nDelprioritering 3.2 Robust\n\nmening 0")
    assert "Utmaningar för robust\n\nUtmaningar för robust:" not in text  # inline headings are not repeated
    assert [text[s:s + 12] for s in starts] == ["Prioritering", "Delprioriter", "Utmaningar f"]
    assert owners == [0, 1, 2]
    chunks = naive_chunks(document)
    assert chunks[0].section_id == "P 3" and chunks[0].text.startswith("Prioritering 3")
    assert all(len(c.text) <= 1000 for c in chunks)
    assert {c.section_id for c in chunks[1:]} == {"3.2"}
    assert all(c.priority == 3 for c in chunks)


class FakeEmbedder:
    id = "fake:embedder"
    dim = 3

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        vector = np.array([text.count("väg"), text.count("kultur"), 1.0], dtype=np.float32)
        return vector / np.linalg.norm(vector)

    def embed_passages(self, texts, progress=False):
        self.embedded.extend(texts)
        return np.vstack([self._vector(t) for t in texts])

    def embed_queries(self, texts):
        return np.vstack([self._vector(t) for t in texts])


def test_vector_cache_round_trip_and_naive_search(tmp_path):
    embedder = FakeEmbedder()
    cache = VectorCache(tmp_path, embedder.id)
    cache.put("väg", embedder.embed_passages(["väg"])[0])
    cache.save()
    reloaded = VectorCache(tmp_path, embedder.id)
    assert reloaded.get("väg") is not None and reloaded.get("annat") is None
    assert VectorCache(tmp_path, "other").get("väg") is None  # keyed by embedder too
    chunks = [make_chunk("3.2", 3, "väg väg väg"), make_chunk("4.3", 4, "kultur kultur")]
    index = NaiveDenseIndex(chunks, embedder.embed_passages([c.text for c in chunks]), embedder)
    hits = index.search("kultur", 2)
    assert [h.chunk.section_id for h in hits] == ["4.3", "3.2"] and hits[0].rank == 1
    assert index.search("kultur", 0) == []


def test_naive_build_reuses_cached_vectors(tmp_path):
    source = tmp_path / "strategi.txt"
    source.write_text("Inledning om vägar.\n\n" + "Väg och bro. " * 200 + "\n", encoding="utf-8")
    first = FakeEmbedder()
    built = NaiveDenseIndex.build([source], first, cache_dir=tmp_path / "cache")
    assert built.stats["embedded"] == len(built.chunks) > 1 and built.stats["reused"] == 0
    second = FakeEmbedder()
    rebuilt = NaiveDenseIndex.build([source], second, cache_dir=tmp_path / "cache")
    assert rebuilt.stats == {"chunks": len(built.chunks), "embedded": 0, "reused": len(built.chunks)}
    assert second.embedded == []


# ---------------------------------------------------------------- CLI


def test_cli_errors_are_messages_not_tracebacks(tmp_path, capsys):
    from service.cli.main import main

    assert main(["eval", "--gold", str(tmp_path / "absent.jsonl"), "--index-dir", str(tmp_path)]) == 1
    assert "error:" in capsys.readouterr().err
    bad = write_gold(tmp_path, gold_line(), "{oops", name="bad.jsonl")
    assert main(["eval", "--gold", str(bad), "--index-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "bad.jsonl line 2: not valid JSON" in err and "Traceback" not in err
    good = write_gold(tmp_path, gold_line(), name="good.jsonl")
    assert main(["eval", "--gold", str(good), "--index-dir", str(tmp_path / "no-index")]) == 1
    assert "no index in" in capsys.readouterr().err
    assert main(["eval"]) == 2
    assert "--gold FILE is required" in capsys.readouterr().err
    assert main(["eval", "--gold", str(good), "--decide", "nowhere"]) == 1
    assert "MODULE:FUNCTION" in capsys.readouterr().err
    assert main(["eval", "compare", str(tmp_path / "a.json"), str(good)]) == 1
    assert "no such results file" in capsys.readouterr().err


def test_cli_compare(tiny_gold, tmp_path, capsys):
    from service.cli.main import main

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(fake_results(tiny_gold, CHUNKS, CHUNKS)), encoding="utf-8")
    b.write_text(json.dumps(fake_results(tiny_gold, [CHUNKS[2], CHUNKS[1], CHUNKS[0], CHUNKS[3]], CHUNKS)),
                 encoding="utf-8")
    assert main(["eval", "compare", str(a), str(b), "--changed"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [f"A = {a}", f"B = {b}"]
    assert "dense.metrics.overall.chunk_hit@1" in out and "hybrid.metrics.overall.chunk_hit@1 " not in out


def test_cli_compare_reads_alignment_results_too(tmp_path, capsys):
    from service.cli.main import main

    def results(precision: float) -> dict:
        every = {"precision": precision, "recall": 0.5, "claims": 10}
        return {"meta": {"gold_sha256": "x"}, "overall": {"subpriority@1": 0.9, "every_claim": every},
                "by_lang": {"sv": {"every_claim": every}}, "curve": [], "curve_every_claim": [], "items": []}

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(results(0.6)), encoding="utf-8")
    b.write_text(json.dumps(results(0.7)), encoding="utf-8")
    assert main(["eval", "compare", str(a), str(b), "--changed"]) == 0
    changed = capsys.readouterr().out.splitlines()[3:]
    assert [line.split()[0] for line in changed] == [
        "align.by_lang.sv.every_claim.precision", "align.overall.every_claim.precision"
    ]
    assert changed[1].split()[1:] == ["0.6000", "0.7000", "+0.1000", "▲"]
    (tmp_path / "other.json").write_text(json.dumps({"meta": {}}), encoding="utf-8")
    assert main(["eval", "compare", str(a), str(tmp_path / "other.json")]) == 1
    assert "not a results.json written by `rus eval` or `rus eval align`" in capsys.readouterr().err


# ---------------------------------------------------------------- our own gold file and the floors file


def test_gold_extra_is_valid_and_covers_the_strategy(corpus_pdf):
    from ingest.load import load_document

    items = load_gold(EXTRA_GOLD)
    assert len(items) >= 40
    kinds = Counter(i.kind for i in items)
    assert set(kinds) == {"subpriority", "applicant", "fact", "crosscut", "related_plan", "negative"}
    assert kinds["negative"] >= 5
    assert set(Counter(i.lang for i in items)) == {"en", "sv"}
    covered = {label for i in items for label in i.labels if label[:1].isdigit()}
    assert covered >= {f"{p}.{s}" for p, n in ((1, 3), (2, 2), (3, 4), (4, 4), (5, 4), (6, 3))
                       for s in range(1, n + 1)}
    assert all(i.evidence for i in items if i.answerable)
    document = load_document(corpus_pdf)
    assert missing_evidence(items, [s.text for s in document.sections]) == []
    assert unknown_labels(items, {s.section_id for s in document.sections}) == []
    dev = {i.query for i in load_gold(Path(__file__).resolve().parent.parent.parent / "shared/eval/dev.jsonl")}
    assert not dev & {i.query for i in items}


def test_floors_file_is_readable():
    gates = json.loads(FLOORS.read_text(encoding="utf-8"))["gates"]
    assert "eval/realistic_heldout.jsonl" in gates  # the gate covers the realistic held-out half
    for gold, floors in gates.items():
        assert (FLOORS.parent.parent / gold).is_file(), gold
        for metric in ("section_hit@1", "section_hit@5", "max_not_covered_answerable"):
            assert 0.0 <= floors[metric] <= 1.0


def test_decide_seam_loads_module_function_and_defaults_to_the_answer_path():
    from eval.cli import PRODUCTION_DECISION, load_decide
    from eval.runner import EvalError
    from service.answering.decision import decide

    assert load_decide("os.path:join") is __import__("os").path.join
    assert load_decide(PRODUCTION_DECISION) is decide
    for spec in ("os.path:nope", "no_such_module_xyz:f", "os.path", "os:sep"):
        with pytest.raises(EvalError):
            load_decide(spec)


def test_calibration_cutoffs_keep_every_files_answerable_items_above_not_covered() -> None:
    from eval.calibrate import choose_cutoffs

    # a document-like file whose answerable items all score high, a realistic one with one low answerable item
    p = np.array([0.9] * 40 + [0.2, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9] + [0.05] * 8 + [0.7, 0.8])
    y = np.array([1] * 50 + [0] * 10)
    files = np.array(["extra"] * 40 + ["realistic"] * 10 + ["negatives"] * 10)
    not_covered_below, answer_from = choose_cutoffs(p, y, files)
    assert not_covered_below <= 0.2  # pooled, 1 of 50 (2 %) would allow up to 0.5: 1 of 10 realistic is 10 %
    assert answer_from == 0.71  # one of the ten negatives (10 %) may score at or above it, not two


def test_rus_eval_with_every_retriever_runs_and_the_baseline_keeps_its_retrieval_metrics(
    plan_library, tmp_path, capsys
):
    """`rus eval --retriever all` (the README's command) completes: answer states are decided for the index's
    retrievers, while the naive baseline, whose hits carry no sentence scores, reports retrieval metrics only.
    Over the small generated strategy and its two plans: the baseline embeds every source document afresh."""
    from service.cli.main import main

    answerable = [
        gold_line(id="a1", query="Vilken delprioritering handlar om trygga passager för renar?", lang="sv",
                  section="1.1", evidence=["trygga passager"], answer="1.1"),
        gold_line(id="a2", query="broadband in sparsely populated villages", section="1.2", evidence=["bredband"]),
        gold_line(id="a3", query="Hur blir kollektivtrafiken bättre?", lang="sv", section="2.1",
                  evidence=["kollektivtrafiken"], answer="2.1"),
        gold_line(id="a4", query="digital skills for older people", section="1.2", evidence=["digitala kompetensen"]),
    ]
    negatives = [
        gold_line(id=f"n{i}", query=query, kind="negative", section=None, evidence=[], answer="not covered")
        for i, query in enumerate(("What is the price of a bus ticket in Umeå?", "Vem vann melodifestivalen?"))
    ]
    gold = write_gold(tmp_path, *answerable, *negatives, name="small.jsonl")
    out = tmp_path / "report"
    code = main(["eval", "--gold", str(gold), "--index-dir", str(plan_library), "--retriever", "all",
                 "--out", str(out), "--cache", str(tmp_path / "cache"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert list(results["retrievers"]) == ["naive-dense", "bm25", "dense", "hybrid"]
    naive = results["retrievers"]["naive-dense"]
    overall = naive["metrics"]["overall"]
    assert overall["n_answerable"] == 4 and overall["section_mrr@10"] is not None
    assert "states" not in naive["negatives"] and all(item["state"] is None for item in naive["items"])
    hybrid = results["retrievers"]["hybrid"]
    assert {item["state"] for item in hybrid["items"]} <= {"answer", "low_confidence", "not_covered"}
    assert sum(c["n"] for c in hybrid["negatives"]["states"].values()) == 6
    assert "naive-dense" in (out / "report.md").read_text(encoding="utf-8")
