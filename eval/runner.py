"""Run retrieval systems over a gold file and collect every metric and every per-item ranking."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from tqdm import tqdm

from eval.baselines import IndexRetriever, NaiveDenseIndex, RetrievalSystem
from eval.gold import GoldItem, load_gold, missing_evidence
from eval.metrics import (
    AGGREGATIONS,
    DEFAULT_AGGREGATION,
    MRR_K,
    NDCG_K,
    ItemResult,
    Ranked,
    aggregate_sections,
    breakdowns,
    contains_evidence,
    count_relevant,
    evidence_rank,
    first_relevant_rank,
    first_relevant_section,
    hit_curve,
    label_document,
    label_matches,
    latency_summary,
    ndcg_at,
    negatives_summary,
    priority_of_label,
    section_display,
    section_summary,
)
from eval.report import ALIGNMENT_PARTS
from index.analysis import QuestionAnalysis
from index.embedders import DEFAULT_ENGINE
from index.search import SearchIndex

RETRIEVER_ORDER = ("naive-dense", "bm25", "dense", "hybrid")
RETRIEVER_CHOICES = (*RETRIEVER_ORDER, "all")
SCOPES = ("answer", "library")
DEFAULT_POOL = 50  # chunks retrieved per query for the section-level aggregation
TOP_SECTIONS = 10
SNIPPET_CHARS = 240
STRATEGY_LABEL = "strategi"  # the document of plain (strategy) labels when the index names no strategy document
Decide = Callable[[QuestionAnalysis, list], object]  # (the query read, ranked hits) → a state or .state/.score


MAX_EVAL_K = 1000  # chunks ranked per query at most (the strategy has about 370; results hold a curve to k)


class EvalError(Exception):
    """A problem the user can fix (bad arguments, missing corpus files)."""


def _ranked(hits: Sequence) -> list[Ranked]:
    return [Ranked(h.chunk.section_id, h.chunk.priority, float(h.score), h.chunk.text) for h in hits]


def evaluate_item(
    item: GoldItem,
    hits: Sequence,
    k: int,
    relevant_in_index: int,
    latency: float,
    decision: object = None,
    strategy: str = STRATEGY_LABEL,
) -> tuple[ItemResult, dict]:
    """Metrics for one item plus its JSON record (top-k chunks, top sections, ranks of the first correct)."""
    ranking = _ranked(hits)
    top = ranking[:k]
    labels = item.labels
    result = ItemResult(
        id=item.id, lang=item.lang, kind=item.kind, answerable=item.answerable,
        top_score=top[0].score if top else None, latency=latency, has_evidence=bool(item.evidence),
        state=decision if isinstance(decision, str) or decision is None else decision.state,
        confidence=None if isinstance(decision, str) or decision is None else round(float(decision.score), 6),
        doc=label_document(labels, strategy) if item.answerable else "",
    )
    sections = {rule: aggregate_sections(ranking, rule) for rule in AGGREGATIONS}
    if item.answerable:
        result.chunk_rank = first_relevant_rank(top, labels)
        result.ndcg = ndcg_at(top, labels, relevant_in_index, NDCG_K)
        result.section_ranks = {rule: first_relevant_section(ranked, labels) for rule, ranked in sections.items()}
        result.evidence_rank = evidence_rank(top, item.evidence)
    record = {
        "id": item.id,
        "query": item.query,
        "lang": item.lang,
        "kind": item.kind,
        "labels": list(labels),
        "doc": result.doc,
        "answerable": item.answerable,
        "chunk_rank": result.chunk_rank,
        "section_rank": result.section_ranks.get(DEFAULT_AGGREGATION),
        "section_ranks": result.section_ranks,
        "evidence_rank": result.evidence_rank,
        f"ndcg@{NDCG_K}": round(result.ndcg, 6),
        "top_score": result.top_score,
        "latency_ms": round(latency * 1000.0, 3),
        "state": result.state,
        "confidence": result.confidence,
        "abstained": result.abstained,
        "top_chunks": [
            {
                "rank": rank,
                "section": section_display(hit.chunk.section_id, hit.chunk.priority),
                "section_id": hit.chunk.section_id,
                "priority": hit.chunk.priority,
                "score": round(float(hit.score), 6),
                "chunk_id": hit.chunk.chunk_id,
                "page": hit.chunk.page_start,
                "correct": item.answerable and label_matches(hit.chunk.section_id, hit.chunk.priority, labels),
                "evidence": bool(item.evidence) and contains_evidence(hit.chunk.text, item.evidence),
                "snippet": " ".join(hit.chunk.text.split())[:SNIPPET_CHARS],
            }
            for rank, hit in enumerate(hits[:k], start=1)
        ],
        "top_sections": [
            {
                "rank": rank,
                "section": s.label,
                "section_id": s.section_id,
                "priority": s.priority,
                "score": round(s.score, 6),
                "n_chunks": s.n_chunks,
                "correct": item.answerable and label_matches(s.section_id, s.priority, labels),
            }
            for rank, s in enumerate(sections[DEFAULT_AGGREGATION][:TOP_SECTIONS], start=1)
        ],
    }
    return result, record


def evaluate(
    system: RetrievalSystem,
    items: Sequence[GoldItem],
    k: int = 10,
    pool: int = DEFAULT_POOL,
    decide: Decide | None = None,
    progress: bool = True,
) -> dict:
    """Every metric of one system over the gold items, with per-item records; `decide` gives each item's answer
    state from the query as the system reads it and its ranked pool (the production rule by default in `rus eval`),
    for a system whose hits carry what it reads (`answer_states`; the naive baseline's do not)."""
    if k < 1:
        raise EvalError("--k must be at least 1")
    if decide is not None and not system.answer_states:
        decide = None
    depth = max(k, pool)
    system.search("uppvärmning", 1)  # warm-up: first-call costs are not query latency
    index_sections = [(c.section_id, c.priority) for c in system.chunks]
    strategy = strategy_document(system.chunks)
    results: list[ItemResult] = []
    records: list[dict] = []
    started = time.perf_counter()
    for item in tqdm(items, desc=f"eval {system.name}", unit="query", disable=not progress):
        mark = time.perf_counter()
        hits = system.search(item.query, k)  # timed as a user would call it
        latency = time.perf_counter() - mark
        if depth > k:
            hits = system.search(item.query, depth)  # the deeper pool for the section ranking
        decision = decide(system.read(item.query), list(hits)) if decide is not None else None
        relevant = count_relevant(index_sections, item.labels) if item.answerable else 0
        result, record = evaluate_item(item, hits, k, relevant, latency, decision, strategy)
        results.append(result)
        records.append(record)
    wall = time.perf_counter() - started
    answerable = [r for r in results if r.answerable]
    return {
        "name": system.name,
        "n_chunks": len(index_sections),
        "metrics": breakdowns(results, DEFAULT_AGGREGATION),
        "aggregation": {rule: section_summary(results, rule) for rule in AGGREGATIONS},
        "curves": {
            "chunk_hit@k": hit_curve([r.chunk_rank for r in answerable], k),
            "section_hit@k": hit_curve([r.section_ranks.get(DEFAULT_AGGREGATION) for r in answerable], TOP_SECTIONS),
        },
        "latency": latency_summary([r.latency for r in results], wall),
        "negatives": negatives_summary(results),
        "items": records,
    }


def strategy_document(chunks: Sequence) -> str:
    """The doc id of the strategy (the document of plain labels): the first chunk of kind "strategi"."""
    return next((c.doc_id for c in chunks if getattr(c, "doc_kind", None) == STRATEGY_LABEL), STRATEGY_LABEL)


def selected_retrievers(choice: str) -> list[str]:
    if choice == "all":
        return list(RETRIEVER_ORDER)
    if choice not in RETRIEVER_ORDER:
        raise EvalError(f"unknown retriever {choice!r}; use one of {', '.join(RETRIEVER_CHOICES)}")
    return [choice]


def corpus_sources(index: SearchIndex) -> list[Path]:
    """The files the index was built from (the naive baseline indexes the same corpus)."""
    sources = [Path(d["source"]) for d in index.manifest.get("documents", [])]
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise EvalError(f"the naive baseline needs the indexed files, but these are gone: {', '.join(missing)}")
    if not sources:
        raise EvalError("the index lists no source documents")
    return sources


def build_systems(
    index: SearchIndex, names: Sequence[str], cache_dir: Path | None, progress: bool = True, scope: str = "answer"
) -> list[RetrievalSystem]:
    systems: list[RetrievalSystem] = []
    for name in names:
        if name == "naive-dense":
            systems.append(NaiveDenseIndex.build(corpus_sources(index), index.embedder, cache_dir, progress))
        else:
            systems.append(IndexRetriever(index, name, answer_scope=scope == "answer"))
    return systems


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(
    gold: Path,
    index_dir: Path,
    retriever: str = "all",
    k: int = 10,
    pool: int = DEFAULT_POOL,
    cache_dir: Path | None = None,
    decide: Decide | None = None,
    progress: bool = True,
    index: SearchIndex | None = None,
    scope: str = "answer",
    engine: str = DEFAULT_ENGINE,
) -> dict:
    """Validate the gold file, open the index, evaluate the chosen retrievers; return the results document.

    `scope` "answer": each query is searched where the answer path searches it (a (sub-)priority question within
    the strategy when the index also holds plans); "library": every query over the whole index."""
    items = load_gold(gold)
    names = selected_retrievers(retriever)
    if not (1 <= k <= MAX_EVAL_K and 1 <= pool <= MAX_EVAL_K):
        raise EvalError(f"--k and --pool must be between 1 and {MAX_EVAL_K}")
    if scope not in SCOPES:
        raise EvalError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
    index = index or SearchIndex.open(Path(index_dir), engine=engine)
    require_labels_in(items, index, gold)
    if cache_dir is None:
        cache_dir = Path(index_dir).resolve().parent / "eval-cache"
    systems = build_systems(index, names, cache_dir, progress, scope)
    manifest = index.manifest
    results = {
        "meta": {
            "gold": str(gold),
            "gold_sha256": file_sha256(gold),
            "n_items": len(items),
            "n_answerable": sum(i.answerable for i in items),
            "index_dir": str(index_dir),
            "embedder": manifest.get("embedder", {}).get("id"),
            "index_built_at": manifest.get("built_at"),
            "index_chunks": manifest.get("n_chunks"),
            "chunking": manifest.get("chunking"),
            "k": k,
            "pool": max(k, pool),
            "mrr_k": MRR_K,
            "ndcg_k": NDCG_K,
            "aggregation": DEFAULT_AGGREGATION,
            "aggregations": list(AGGREGATIONS),
            "scope": scope,
            "documents": {d["doc_id"]: d.get("kind") for d in manifest.get("documents", [])},
            "decide": f"{decide.__module__}:{decide.__qualname__}" if decide else None,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
        "retrievers": {},
    }
    for system in systems:
        outcome = evaluate(system, items, k=k, pool=pool, decide=decide, progress=progress)
        if isinstance(system, NaiveDenseIndex):
            outcome["naive"] = {"size": 1000, "overlap": 200, **system.stats}
        results["retrievers"][system.name] = outcome
    return results


def require_labels_in(items: list[GoldItem], index: SearchIndex, gold: Path) -> None:
    """EvalError when the gold names what the index does not hold: an answerable item's main section, or an
    evidence quote found in no passage. Scores against such labels are zeros that say nothing about retrieval
    (a gold file written for another document or version); alternatives (`also_ok`) may name headings."""
    sections = {chunk.section_id for chunk in index.chunks}
    main = [item for item in items if item.answerable and item.section]
    unknown = [(item.id, item.section) for item in main
               if item.section not in sections and priority_of_label(item.section) is None]
    missing = missing_evidence(main, [chunk.text for chunk in index.chunks])
    problems = [f"{item_id}: section {label!r} is not in the index" for item_id, label in unknown]
    problems += [f"{item_id}: evidence {quote[:60]!r} is in no passage" for item_id, quote in missing]
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise EvalError(f"{gold}: the gold does not fit the index in {index.stored.path}: {shown}")


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh folder inside `out` to write a report's files into; when the block ends without an error they
    replace their namesakes in `out`, one rename each, so that an interrupted or failed run leaves the previous
    report whole rather than mixed with half of a new one."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".writing-", dir=out))
    try:
        yield stage
        for path in sorted(stage.iterdir()):
            os.replace(path, out / path.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_results(results: dict, out: Path) -> list[Path]:
    """results.json, report.md and the PNG plots in `out` (staged: all or nothing); returns the files written."""
    from eval.plots import write_plots
    from eval.report import render_report

    with staged(out) as stage:
        (stage / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        plots = write_plots(results, stage)
        (stage / "report.md").write_text(render_report(results, [p.name for p in plots]), encoding="utf-8")
    return [Path(out) / name for name in ("results.json", "report.md", *(p.name for p in plots))]


def load_results(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise EvalError(f"{path}: no such results file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvalError(f"{path}: not a readable results.json ({exc})") from None
    if not isinstance(data, dict) or not ("retrievers" in data or ALIGNMENT_PARTS[0] in data):
        raise EvalError(f"{path}: not a results.json written by `rus eval` or `rus eval align`")
    return data
