"""`rus eval align`: the alignment metrics against hand-computed values, and the command on a small gold file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.align_metrics import (
    ItemOutcome,
    every_claim_metrics,
    hit_at,
    inriktning_kind_metrics,
    inriktning_metrics,
    need_metrics,
    precision_recall_curve,
    subpriority_ranks,
)
from ingest.vocabulary import INRIKTNINGAR
from service.cli.main import main

ALIGN_GOLD = Path(__file__).resolve().parent.parent / "eval" / "align_gold.jsonl"
COHESION, INCLUSION, TRANSITION = INRIKTNINGAR


def _outcome(**fields) -> ItemOutcome:
    base = dict(id="x", lang="sv", section="3.3", ranked=("3.3", "3.1", "2.2"), accepted=frozenset({"3.3"}),
                gold_needs=frozenset({4, 5}), not_needs=frozenset({3, 6}), claimed=frozenset())
    return ItemOutcome(**{**base, **fields})


def test_need_metrics_count_claims_of_the_main_subpriority_only():
    first = _outcome(claimed=frozenset({4, 5, 6, 1}), possible=frozenset({2}), other_claims=3)
    second = _outcome(id="y", gold_needs=frozenset({1, 2, 3}), not_needs=frozenset({4, 5}), claimed=frozenset({1}),
                      possible=frozenset({2}))
    metrics = need_metrics([first, second])
    # claims 4 + 1 = 5, right 2 + 1 = 3, gold 2 + 3 = 5; not-addressed claimed: need 6 of 4; others: 3
    assert metrics["precision"] == pytest.approx(3 / 5)
    assert metrics["recall"] == pytest.approx(3 / 5)
    assert metrics["strict_precision"] == pytest.approx(3 / 8)
    assert metrics["not_needs_claimed_share"] == pytest.approx(1 / 4)
    assert metrics["claims_per_application"] == pytest.approx(8 / 2)
    assert metrics["possible"] == 2 and metrics["possible_gold"] == 1
    assert metrics["recall_with_possible"] == pytest.approx(4 / 5)


def test_nothing_claimed_has_no_precision_and_a_missed_subpriority_misses_its_needs():
    missed = _outcome(ranked=("1.1", "1.2", "1.3"))
    metrics = need_metrics([missed])
    assert metrics["precision"] is None and metrics["recall"] == 0.0
    assert missed.rank is None and hit_at([missed], 3) == 0.0


def test_subpriority_hits_use_also_ok():
    outcomes = [
        _outcome(ranked=("3.3", "3.1")),
        _outcome(ranked=("3.1", "3.3")),
        _outcome(ranked=("2.1", "3.1"), accepted=frozenset({"3.3", "3.1"})),
        _outcome(ranked=("1.1", "1.2", "1.3")),
    ]
    assert [o.rank for o in outcomes] == [1, 2, 2, None]
    assert hit_at(outcomes, 1) == pytest.approx(1 / 4)
    assert hit_at(outcomes, 3) == pytest.approx(3 / 4)


def test_inriktning_accuracy_per_inriktning_and_overall():
    outcomes = [
        _outcome(inriktningar={COHESION: (True, True), INCLUSION: (False, True), TRANSITION: (False, False)}),
        _outcome(inriktningar={COHESION: (True, False), INCLUSION: (False, False), TRANSITION: (True, True)}),
    ]
    metrics = inriktning_metrics(outcomes)
    assert metrics[COHESION] == {"n": 2, "accuracy": 0.5, "tp": 1, "tn": 0, "fp": 0, "fn": 1}
    assert metrics[INCLUSION] == {"n": 2, "accuracy": 0.5, "tp": 0, "tn": 1, "fp": 1, "fn": 0}
    assert metrics[TRANSITION]["accuracy"] == 1.0
    assert metrics["all"]["n"] == 6 and metrics["all"]["accuracy"] == pytest.approx(4 / 6)


def test_every_claim_counts_claims_in_all_checked_subpriorities_against_every_labelled_need():
    full = _outcome(
        fully_labelled=True, claims=frozenset({("3.3", 4), ("3.3", 1), ("3.1", 2), ("2.2", 5)}),
        gold_all=frozenset({("3.3", 4), ("3.3", 5), ("3.1", 2), ("3.2", 4)}),
    )
    # labelled on its main sub-priority only: the claim in 2.2 is unlabelled and counts as wrong
    main_only = _outcome(id="y", claims=frozenset({("3.3", 4), ("2.2", 1)}),
                         gold_all=frozenset({("3.3", 4), ("3.3", 5)}))
    metrics = every_claim_metrics([full, main_only])
    assert (metrics["claims"], metrics["right"]) == (6, 3)
    assert metrics["precision"] == pytest.approx(3 / 6)
    # labelled needs in checked sub-priorities (3.3, 3.1, 2.2): 3 + 2; 3.2 is not checked
    assert metrics["recall"] == pytest.approx(3 / 5) and metrics["recall_anywhere"] == pytest.approx(3 / 6)
    assert (metrics["claims_main"], metrics["right_main"]) == (3, 2)
    assert (metrics["claims_other"], metrics["right_other"]) == (3, 1)
    assert metrics["recall_other"] == pytest.approx(1 / 1)


def test_subpriority_ranks_place_each_labelled_subpriority_in_the_full_ranking():
    first = _outcome(fully_labelled=True, section_ranks={"3.3": 1, "3.1": 2, "3.2": 7},
                     claims=frozenset({("3.1", 2), ("3.3", 1)}), gold_all=frozenset({("3.1", 2), ("3.3", 4)}))
    second = _outcome(id="y", fully_labelled=True, ranked=("3.1", "3.3", "2.2"), section_ranks={"3.3": 2, "3.2": 4})
    ranks = subpriority_ranks([first, second], checked=3)
    assert (ranks["other_labelled"], ranks["other_checked"], ranks["other_median_rank"]) == (3, 1, 4)
    assert ranks["by_subpriority"]["3.3"] == {"main": 2, "main_at1": 1, "other": 0, "other_checked": 0,
                                              "claims": 1, "right": 0, "median_rank": 1.5}
    assert ranks["by_subpriority"]["3.1"]["claims"] == ranks["by_subpriority"]["3.1"]["right"] == 1
    assert ranks["by_subpriority"]["3.2"]["other"] == 2 and ranks["by_subpriority"]["3.2"]["other_checked"] == 0


def test_inriktningar_shown_by_how_they_are_stated():
    outcomes = [
        _outcome(inriktningar={COHESION: (True, True), INCLUSION: (True, False), TRANSITION: (False, True)},
                 inriktning_kinds={COHESION: "explicit", INCLUSION: "paraphrase"}),
        _outcome(inriktningar={COHESION: (True, True), INCLUSION: (False, False), TRANSITION: (False, False)}),
    ]
    kinds = inriktning_kind_metrics(outcomes)
    assert kinds["explicit"] == {"n": 2, "shown": 2, "shown_share": 1.0}
    assert kinds["paraphrase"] == {"n": 1, "shown": 0, "shown_share": 0.0}
    assert kinds["not stated"] == {"n": 3, "shown": 1, "shown_share": pytest.approx(1 / 3)}


def test_precision_recall_curve():
    scored = [(0.9, True), (0.8, False), (0.5, True), (0.1, False)]
    rows = precision_recall_curve(scored, gold_total=3, thresholds=[0.0, 0.5, 0.85, 0.95])
    assert [(r["claimed"], r["precision"], r["recall"]) for r in rows] == [
        (4, 0.5, pytest.approx(2 / 3)), (3, pytest.approx(2 / 3), pytest.approx(2 / 3)),
        (1, 1.0, pytest.approx(1 / 3)), (0, None, 0.0),
    ]


# --- the command ----------------------------------------------------------------------------------


def test_missing_or_bad_gold_file_is_a_clear_error(tmp_path: Path, capsys):
    assert main(["eval", "align", "--gold", str(tmp_path / "none.jsonl"), "--index-dir", str(tmp_path)]) == 1
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text(ALIGN_GOLD.read_text(encoding="utf-8").splitlines()[0] + "\n{not json\n", encoding="utf-8")
    assert main(["eval", "align", "--gold", str(bad), "--index-dir", str(tmp_path)]) == 1
    assert "bad.jsonl line 2: not valid JSON" in capsys.readouterr().err
    assert main(["eval", "align"]) == 2
    assert "--gold FILE is required" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_align_writes_report_results_and_plot(corpus_index: Path, tmp_path: Path, capsys, monkeypatch):
    lines = ALIGN_GOLD.read_text(encoding="utf-8").splitlines()
    chosen = [line for line in lines if json.loads(line)["id"] in ("a001", "a002")]  # one Swedish, one English
    gold = tmp_path / "small.jsonl"
    gold.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    monkeypatch.setenv("RUS_EVAL_REPORTS_DIR", str(tmp_path / "reports"))  # where reports go without --out
    out = tmp_path / "reports" / "align-small"
    assert main(["eval", "align", "--gold", str(gold), "--index-dir", str(corpus_index), "--quiet"]) == 0
    headline = capsys.readouterr().out
    assert "sub-priority@1" in headline and "inriktningar accuracy" in headline
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["meta"]["n_items"] == 2 and set(results["by_lang"]) == {"sv", "en"}
    for record in results["items"]:
        assert record["rank"] is not None  # both summaries' sub-priorities are among the three checked
        for need in record["needs"]:
            assert need["status"] in ("addressed", "possible", "not_addressed")
            assert 0.0 <= need["confidence"] <= 1.0
        assert set(record["claimed"]) == {n["number"] for n in record["needs"] if n["status"] == "addressed"}
    overall = results["overall"]
    assert overall["inriktningar"]["all"]["n"] == 6
    assert overall["every_claim"]["claims"] == sum(
        n["status"] == "addressed" for r in results["items"] for n in r["checked_needs"])
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Inriktningar" in report and "a001" in report and "![alignment.png]" in report
    assert "## Every claim the report makes" in report and "## Sub-priority ranks" in report


@pytest.mark.slow
def test_eval_align_reads_a_pdf_application_and_labels_every_claim(corpus_index: Path, tmp_path: Path, capsys):
    multi = Path(__file__).resolve().parent.parent / "eval" / "align_multi.jsonl"
    line = next(x for x in multi.read_text(encoding="utf-8").splitlines() if json.loads(x)["id"] == "m05")
    gold = tmp_path / "one.jsonl"
    gold.write_text(line + "\n", encoding="utf-8")
    (tmp_path / "align_files").mkdir()
    (tmp_path / "align_files" / "m05.pdf").write_bytes((multi.parent / "align_files" / "m05.pdf").read_bytes())
    out = tmp_path / "report"
    assert main(["eval", "align", "--gold", str(gold), "--index-dir", str(corpus_index), "--out", str(out),
                 "--quiet"]) == 0
    assert "every claim: precision" in capsys.readouterr().out
    (record,) = json.loads((out / "results.json").read_text(encoding="utf-8"))["items"]
    assert record["source"] == "pdf" and record["fully_labelled"]
    assert set(record["section_ranks"]) == {"5.4", "3.3"} and all(r >= 1 for r in record["section_ranks"].values())
    labels = {(n["section"], n["number"]): n["label"] for n in record["checked_needs"]}
    assert all(label in ("addressed", "not addressed") for label in labels.values())  # every checked need labelled
    assert {tuple(g) for g in record["gold_all"]} == {("5.4", 3), ("3.3", 1)}
    assert (out / "alignment.png").read_bytes()[:4] == b"\x89PNG"
