"""Render results.json as a Markdown report, and diff two results files (`rus eval compare`)."""

from __future__ import annotations

import math

from eval.metrics import EVIDENCE_KS, MRR_K, NDCG_K

WORST = 10
# the metric parts of a `rus eval align` results document (eval/align_eval.py), compared as "align.<part>…"
ALIGNMENT_PARTS = ("overall", "by_lang", "curve", "curve_every_claim")
SUMMARY_COLUMNS = (
    ("chunk_hit@1", "chunk@1"), ("chunk_hit@3", "chunk@3"), ("chunk_hit@5", "chunk@5"),
    ("chunk_hit@10", "chunk@10"), (f"chunk_mrr@{MRR_K}", "chunk MRR"), (f"chunk_ndcg@{NDCG_K}", "nDCG@10"),
    ("section_hit@1", "sect@1"), ("section_hit@3", "sect@3"), ("section_hit@5", "sect@5"),
    (f"section_mrr@{MRR_K}", "sect MRR"), *((f"evidence@{k}", f"evid@{k}") for k in EVIDENCE_KS),
)


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _metric_row(label: str, summary: dict) -> list[object]:
    return [label, summary.get("n_answerable", "–"), *(_fmt(summary.get(key)) for key, _ in SUMMARY_COLUMNS)]


def _metric_header(first: str) -> list[str]:
    return [first, "n", *(title for _, title in SUMMARY_COLUMNS)]


def worst_misses(outcome: dict, limit: int = WORST) -> list[dict]:
    """Answerable items whose first correct section is ranked worst (not retrieved at all first)."""
    misses = [r for r in outcome["items"] if r["answerable"] and r["section_rank"] != 1]

    def badness(record: dict) -> tuple:
        section = record["section_rank"] or math.inf
        chunk = record["chunk_rank"] or math.inf
        return (section, chunk, record["evidence_rank"] or math.inf)

    return sorted(misses, key=badness, reverse=True)[:limit]


def render_report(results: dict, plots: list[str] | None = None) -> str:
    meta = results["meta"]
    retrievers = results["retrievers"]
    lines = [
        f"# Retrieval evaluation: `{meta['gold']}`",
        "",
        f"{meta['n_items']} items ({meta['n_answerable']} answerable, "
        f"{meta['n_items'] - meta['n_answerable']} negatives) · index `{meta['index_dir']}` "
        f"({meta.get('index_chunks')} chunks, embedder `{meta.get('embedder')}`, built {meta.get('index_built_at')}) · "
        f"k = {meta['k']} chunks, section pool = {meta['pool']} chunks aggregated by "
        f"**{meta['aggregation']}** · {meta['created_at']}",
        "",
        "Chunk level: a hit is a retrieved chunk from the gold section (or an `also_ok` one; a sub-priority "
        "N.M also counts for a label \"P N\"). Section level: chunk scores aggregated per section, then ranked. "
        "Evidence@k: some top-k chunk contains an evidence quote (whitespace collapsed, soft hyphens and "
        "line-end hyphenation removed, case-insensitive). Negatives are excluded from these metrics.",
        "",
        "## Overall",
        "",
    ]
    rows = [_metric_row(name, o["metrics"]["overall"]) for name, o in retrievers.items()]
    lines += _table(_metric_header("retriever"), rows)

    lines += ["## By language", ""]
    rows = [_metric_row(f"{name} · {lang}", summary)
            for name, o in retrievers.items() for lang, summary in o["metrics"]["by_lang"].items()]
    lines += _table(_metric_header("retriever · lang"), rows)

    paired = {name: o["metrics"].get("language_pairs") for name, o in retrievers.items()}
    if any(paired.values()):
        lines += ["## Language pairs", "",
                  "Intents asked in both languages (ids `<intent>-sv` / `<intent>-en`): whether each language's "
                  "first section is right. The gap is English − Swedish section hit@1 over the same intents; p is "
                  "the exact McNemar test of the one-language counts.", ""]
        rows = [[name, p["pairs"], p["both"], p["sv_only"], p["en_only"], p["neither"], _fmt(p["section_hit@1_sv"]),
                 _fmt(p["section_hit@1_en"]), f"{p['gap_en_minus_sv']:+.3f}", _fmt(p["mcnemar_p"], 2)]
                for name, p in paired.items() if p]
        lines += _table(["retriever", "pairs", "both right", "sv only", "en only", "neither", "sect@1 sv",
                         "sect@1 en", "gap en − sv", "McNemar p"], rows)

    lines += ["## By kind", ""]
    rows = [_metric_row(f"{name} · {kind}", summary)
            for name, o in retrievers.items() for kind, summary in o["metrics"]["by_kind"].items()
            if summary.get("n_answerable")]
    lines += _table(_metric_header("retriever · kind"), rows)

    lines += ["## By document", "",
              "Answerable items grouped by the document their gold labels name (\"doc#section\" labels name a "
              f"plan, plain labels the strategy); searched with scope **{meta.get('scope', 'library')}**.", ""]
    rows = [_metric_row(f"{name} · {doc}", summary)
            for name, o in retrievers.items() for doc, summary in o["metrics"].get("by_doc", {}).items()]
    lines += _table(_metric_header("retriever · document"), rows)

    lines += ["## Section aggregation rules", "",
              f"The default rule (**{meta['aggregation']}**) is used everywhere else in this report.", ""]
    rules = meta.get("aggregations", [])
    header = ["retriever", *(f"{rule} {m}" for rule in rules for m in ("@1", "@3", "@5", "MRR"))]
    rows = []
    for name, o in retrievers.items():
        row: list[object] = [name]
        for rule in rules:
            summary = o["aggregation"].get(rule, {})
            row += [_fmt(summary.get(f"section_hit@{k}")) for k in (1, 3, 5)]
            row.append(_fmt(summary.get(f"section_mrr@{MRR_K}")))
        rows.append(row)
    lines += _table(header, rows)

    lines += ["## Negatives: top-1 scores", "",
              "Scores are on each retriever's own scale. AUC = chance that an answerable item's top score "
              "beats a negative's (0.5 = no separation).", ""]
    header = ["retriever", "answerable median [p25–p75]", "negative median [min–max]", "AUC",
              "abstain on negatives", "abstain on answerable"]
    rows = []
    for name, o in retrievers.items():
        neg = o["negatives"]
        pos, bad = neg["top_score_answerable"], neg["top_score_negative"]
        rows.append([
            name,
            f"{_fmt(pos['median'], 4)} [{_fmt(pos['p25'], 4)}–{_fmt(pos['p75'], 4)}]",
            f"{_fmt(bad['median'], 4)} [{_fmt(bad['min'], 4)}–{_fmt(bad['max'], 4)}]",
            _fmt(neg.get("top_score_auc")),
            _fmt(neg.get("abstain_on_negative")),
            _fmt(neg.get("abstain_on_answerable")),
        ])
    lines += _table(header, rows)

    judged = {name: o["negatives"]["states"] for name, o in retrievers.items() if o["negatives"].get("states")}
    if judged:
        lines += ["## Answer states", "",
                  "The state the answer path decides for each item (`--decide`, by default what /v1/ask returns). "
                  "Precision: for *answer* and *low confidence* the share whose first section is right; for "
                  "*not covered* the share that are negatives.", ""]
        header = ["retriever", "state", "items", "answerable", "negatives", "precision"]
        rows = [[name, state, c["n"], c["answerable"], c["negative"], _fmt(c["precision"])]
                for name, states in judged.items() for state, c in states.items()]
        lines += _table(header, rows)
        header = ["retriever", "answerable called not covered", "negatives called not covered",
                  "negatives answered confidently"]
        rows = [[name, _fmt(retrievers[name]["negatives"].get("abstain_on_answerable")),
                 _fmt(retrievers[name]["negatives"].get("abstain_on_negative")),
                 _fmt(retrievers[name]["negatives"].get("answered_negative"))] for name in judged]
        lines += _table(header, rows)

    lines += ["## Latency", ""]
    rows = [[name, _fmt(o["latency"]["p50_ms"], 1), _fmt(o["latency"]["p95_ms"], 1),
             _fmt(o["latency"]["max_ms"], 1), _fmt(o["latency"]["wall_s"], 2), o.get("n_chunks", "–")]
            for name, o in retrievers.items()]
    lines += _table(["retriever", "p50 ms", "p95 ms", "max ms", "wall s", "chunks"], rows)

    lines += ["## Worst misses", "",
              "Answerable items whose correct section is ranked lowest (– = not in the pool), "
              "with the top sections returned instead.", ""]
    for name, o in retrievers.items():
        misses = worst_misses(o)
        lines += [f"### {name}", ""]
        if not misses:
            lines += ["No misses: every answerable item has a correct section at rank 1.", ""]
            continue
        rows = []
        for record in misses:
            returned = ", ".join(f"{s['section']} ({_fmt(s['score'], 3)})" for s in record["top_sections"][:3])
            top = record["top_chunks"][0]["snippet"][:120] if record["top_chunks"] else ""
            rows.append([
                record["id"], f"{record['lang']}/{record['kind']}", record["query"][:90],
                ", ".join(record["labels"]), _fmt(record["section_rank"]), _fmt(record["chunk_rank"]),
                _fmt(record["evidence_rank"]), returned, top,
            ])
        lines += _table(["id", "lang/kind", "query", "expected", "sect rank", "chunk rank", "evid rank",
                         "returned instead (top 3 sections)", "top chunk"], rows)

    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{name}]({name})" for name in plots]
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- compare


def flatten_metrics(results: dict) -> dict[str, float]:
    """Every numeric metric of a results document as "retriever.group.metric" → value (items excluded)."""
    flat: dict[str, float] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for position, inner in enumerate(value, start=1):
                walk(f"{prefix}[{position}]", inner)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[prefix] = float(value)

    for name, outcome in results.get("retrievers", {}).items():
        for part in ("metrics", "aggregation", "curves", "latency", "negatives"):
            if part in outcome:
                walk(f"{name}.{part}", outcome[part])
    for part in ALIGNMENT_PARTS:  # a `rus eval align` results document
        if part in results:
            walk(f"align.{part}", results[part])
    return flat


def compare(a: dict, b: dict, a_name: str | None = None, b_name: str | None = None,
            changed_only: bool = False) -> str:
    """A table of every metric in A and/or B with the delta B − A (▲/▼ mark the direction of change)."""
    left, right = flatten_metrics(a), flatten_metrics(b)
    keys = sorted(set(left) | set(right))
    width = max([len(k) for k in keys] + [6])
    lines = [f"A = {a_name}", f"B = {b_name}"] if a_name or b_name else []
    lines.append(f"{'metric':<{width}}  {'A':>12}  {'B':>12}  {'delta':>10}")
    for key in keys:
        x, y = left.get(key), right.get(key)
        delta = y - x if x is not None and y is not None else None
        if changed_only and delta is not None and abs(delta) < 1e-12:
            continue
        mark = "" if delta is None or abs(delta) < 1e-12 else (" ▲" if delta > 0 else " ▼")
        lines.append(f"{key:<{width}}  {_fmt(x, 4):>12}  {_fmt(y, 4):>12}  "
                     f"{(f'{delta:+.4f}' if delta is not None else '–'):>10}{mark}")
    if a.get("meta", {}).get("gold_sha256") != b.get("meta", {}).get("gold_sha256"):
        lines.append("note: the two runs used different gold files")
    return "\n".join(lines)
