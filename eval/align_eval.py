"""`rus eval align`: run the officer's alignment check (service.answering.matching.align) over a labelled alignment set.

For every application of the gold file (eval/align_gold.py format) the report the service would give is
compared with the labels; the metrics are in eval/align_metrics.py, the Markdown and plot in eval/align_report.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from eval.align_gold import AlignGoldError, AlignItem, load_align_gold
from eval.align_metrics import ItemOutcome, precision_recall_curve, summarise
from eval.runner import file_sha256, staged
from service.answering.matching import align, read_application, score_subpriorities
from service.models import AlignResponse
from service.settings import Settings
from service.state import Corpus

CHECKED = 3  # sub-priorities checked per application, as /v1/align does by default (settings.match_k)


def outcome_of(item: AlignItem, report: AlignResponse, ranking: Sequence[str] = ()) -> tuple[ItemOutcome, dict]:
    """The application's outcome for the metrics, and its JSON record (every need of the main sub-priority with
    its state, confidence and supporting sentence; every need of every checked sub-priority with its label; every
    inriktning judgement with its quoted sentence). `ranking` is every sub-priority, best first."""
    ranked = tuple(a.subpriority.section_id for a in report.subpriorities)
    main = next((a for a in report.subpriorities if a.subpriority.section_id == item.section), None)
    links = main.needs if main else []
    gold, not_needs = set(item.need_numbers), set(item.not_needs)
    claimed = {link.number for link in links if link.status == "addressed"}
    possible = {link.number for link in links if link.status == "possible"}
    others = sum(link.status == "addressed" for a in report.subpriorities if a is not main for link in a.needs)
    judged = {check.name: check.addressed for check in report.inriktningar}
    gold_all = item.addressed
    checked_needs = [(a.subpriority.section_id, link) for a in report.subpriorities for link in a.needs]
    claims = frozenset((section, link.number) for section, link in checked_needs if link.status == "addressed")
    positions = {section: rank for rank, section in enumerate(ranking, start=1)}
    section_ranks = {section: positions.get(section) for section in item.sections}
    outcome = ItemOutcome(
        id=item.id, lang=item.lang, section=item.section, ranked=ranked,
        accepted=frozenset({item.section, *item.also_ok}), gold_needs=frozenset(gold),
        not_needs=frozenset(not_needs), claimed=frozenset(claimed), possible=frozenset(possible),
        other_claims=others,
        inriktningar={name: (flag, judged.get(name, False)) for name, flag in item.inriktningar.items()},
        fully_labelled=item.fully_labelled, claims=claims, gold_all=gold_all, section_ranks=section_ranks,
        inriktning_kinds=dict(item.inriktning_kind),
    )
    record = {
        "id": item.id,
        "lang": item.lang,
        "organisation": item.organisation,
        "section": item.section,
        "ranked": list(ranked),
        "rank": outcome.rank,
        "gold_needs": sorted(gold),
        "not_needs": sorted(not_needs),
        "claimed": sorted(claimed),
        "possible": sorted(possible),
        "other_claims": others,
        "fully_labelled": item.fully_labelled,
        "gold_all": sorted([section, number] for section, number in gold_all),
        "section_ranks": section_ranks,
        "checked_needs": [
            {
                "section": section,
                "number": link.number,
                "label": "addressed" if (section, link.number) in gold_all else (
                    "not addressed" if item.fully_labelled or section == item.section else None),
                "status": link.status,
                "confidence": link.confidence,
                "sentence": link.sentences[0].text if link.sentences else None,
            }
            for section, link in checked_needs
        ],
        "needs": [
            {
                "number": link.number,
                "label": "addressed" if link.number in gold else "not addressed" if link.number in not_needs else None,
                "status": link.status,
                "confidence": link.confidence,
                "sentence": link.sentences[0].text if link.sentences else None,
            }
            for link in links
        ],
        "inriktningar": [
            {
                "name": check.name,
                "gold": item.inriktningar[check.name],
                "kind": item.inriktning_kind.get(check.name),
                "shown": check.addressed,
                "sentence": check.sentences[0].text if check.sentences else None,
                "gold_evidence": item.inriktning_evidence.get(check.name),
            }
            for check in report.inriktningar
        ],
    }
    return outcome, record


def curve(records: list[dict], outcomes: list[ItemOutcome]) -> list[dict]:
    """Precision/recall of the needs of the main sub-priorities if every need at or above a confidence were claimed."""
    scored = [(n["confidence"], n["label"] == "addressed") for r in records for n in r["needs"]
              if n["confidence"] is not None]
    values = sorted({round(v, 2) for v, _ in scored})
    return precision_recall_curve(scored, sum(len(o.gold_needs) for o in outcomes), values)


def curve_every_claim(records: list[dict], outcomes: list[ItemOutcome]) -> list[dict]:
    """Precision over every claim / recall over the labelled needs of the checked sub-priorities, if every need
    of the checked sub-priorities at or above a confidence were claimed (unlabelled needs count as wrong)."""
    scored = [(n["confidence"], n["label"] == "addressed") for r in records for n in r["checked_needs"]
              if n["confidence"] is not None]
    gold = sum(1 for o in outcomes for section, _ in o.gold_all if section in o.ranked)
    return precision_recall_curve(scored, gold, sorted({round(v, 2) for v, _ in scored}))


def application_text(item: AlignItem, gold: Path, settings: Settings) -> tuple[str, bool]:
    """The text the check reads, as the UI's alignment tab would pass it on: the item's file through the upload
    reader when it names one, else its text; cut at a sentence end to the service's limit when longer (the UI's
    rule for uploads). Returns (text, whether it was cut)."""
    from service.errors import ServiceError
    from service.library.uploads import DocumentReader
    from service.limits import Limits
    from ui.uploads import truncate

    text = item.text
    if item.file is not None:
        path = gold.parent / item.file
        try:
            reader = DocumentReader(Limits.from_settings(settings), concurrency=1)
            text = reader.application_text(path, path.name, settings.ui_max_upload_bytes).text
        except ServiceError as error:
            raise AlignGoldError(f"{gold.name}: {item.id}: cannot read {item.file} ({error.message})") from error
    limit = settings.max_text_chars
    return (truncate(text, limit), True) if len(text.strip()) > limit else (text, False)


def run_align(gold: Path, settings: Settings, progress: bool = True, corpus: Corpus | None = None) -> dict:
    """Validate the gold file, open the index in settings.index_dir, check every application (with the settings'
    limits and thresholds); return the results document."""
    gold = Path(gold)
    items = load_align_gold(gold)
    index_dir = Path(settings.index_dir)
    corpus = corpus or Corpus.open(index_dir, engine=settings.e5_engine)
    outcomes, records = [], []
    started = time.perf_counter()
    for item in tqdm(items, desc="eval align", unit="application", disable=not progress):
        text, cut = application_text(item, gold, settings)
        app = read_application(corpus, text, settings.max_text_chars)
        ranking = [section for (_, section), _ in score_subpriorities(corpus, app)]
        outcome, record = outcome_of(item, align(corpus, text, CHECKED, settings), ranking)
        record["source"] = Path(item.file).suffix.lstrip(".") if item.file else "text"
        record["chars_checked"], record["cut"] = len(text), cut
        outcomes.append(outcome)
        records.append(record)
    manifest = corpus.index.manifest
    by_lang = {lang: summarise([o for o in outcomes if o.lang == lang], CHECKED)
               for lang in sorted({o.lang for o in outcomes})}
    return {
        "meta": {
            "gold": str(gold),
            "gold_sha256": file_sha256(gold),
            "n_items": len(items),
            "index_dir": str(index_dir),
            "embedder": manifest.get("embedder", {}).get("id"),
            "index_built_at": manifest.get("built_at"),
            "checked": CHECKED,
            "seconds": round(time.perf_counter() - started, 1),
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
        "overall": summarise(outcomes, CHECKED),
        "by_lang": by_lang,
        "curve": curve(records, outcomes),
        "curve_every_claim": curve_every_claim(records, outcomes),
        "items": records,
    }


def write_align_results(results: dict, out: Path) -> list[Path]:
    """results.json, report.md and the plot in `out` (staged: all or nothing); returns the files written."""
    from eval.align_report import render_align_report, write_align_plot

    with staged(out) as stage:
        (stage / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        plot = write_align_plot(results, stage)
        (stage / "report.md").write_text(render_align_report(results, [plot.name]), encoding="utf-8")
    return [Path(out) / name for name in ("results.json", "report.md", plot.name)]
