"""The realistic query set (eval/realistic.jsonl) and its one-off tune/held-out split (eval/split.py); the fresh
paired sets (eval/paired_fresh.jsonl, eval/paired_fresh2.jsonl: each intent asked in Swedish and in English) are
checked the same way."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from eval.gold import GoldFormatError, load_gold, unknown_labels
from eval.metrics import label_matches, normalise_evidence
from eval.split import DEFAULT_SEED, SplitError, main, output_paths, split_file, split_items

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
REALISTIC = EVAL_DIR / "realistic.jsonl"
PAIRED = EVAL_DIR / "paired_fresh.jsonl"
PAIRED_2 = EVAL_DIR / "paired_fresh2.jsonl"
MINIMUM_PER_KIND = {"keyword": 30, "casual": 30, "everyday": 30, "applicant": 20, "negative": 20}
SUBPRIORITIES = {f"{p}.{s}" for p, n in ((1, 3), (2, 2), (3, 4), (4, 4), (5, 4), (6, 3)) for s in range(1, n + 1)}


@pytest.fixture(scope="module")
def items():
    return load_gold(REALISTIC)


@pytest.fixture(scope="module", params=[REALISTIC, PAIRED, PAIRED_2], ids=lambda path: path.name)
def written_items(request):
    """Each hand-written query set whose labels and quotes must hold against the strategy."""
    return load_gold(request.param)


@pytest.fixture(scope="module")
def sections(corpus_pdf):
    """(section_id, priority, normalised text) of every section of the cleaned strategy PDF."""
    from ingest.load import load_document

    return [(s.section_id, s.priority, normalise_evidence(s.text)) for s in load_document(corpus_pdf).sections]


def test_counts_per_kind_and_the_shape_of_each_kind(items):
    kinds = Counter(item.kind for item in items)
    assert set(kinds) == set(MINIMUM_PER_KIND)
    assert all(kinds[kind] >= minimum for kind, minimum in MINIMUM_PER_KIND.items()), kinds
    assert len(items) >= 150
    for item in items:
        words = len(item.query.split())
        if item.kind == "keyword":
            assert 1 <= words <= 3, item.id
        elif item.kind == "casual":
            assert item.lang == "sv" and item.query == item.query.lower(), item.id
        elif item.kind == "everyday":
            assert item.lang == "en", item.id
        elif item.kind == "applicant":
            assert 60 <= words <= 150, (item.id, words)
        if item.kind == "negative":
            assert (item.section, item.also_ok, item.evidence) == (None, (), ()), item.id
        else:
            assert 1 <= len(item.evidence) <= 2, item.id
    for kind in ("keyword", "applicant", "negative"):
        assert {item.lang for item in items if item.kind == kind} == {"en", "sv"}, kind


def test_labels_are_known_sections_and_cover_every_subpriority(written_items, sections):
    assert unknown_labels(written_items, {section_id for section_id, _, _ in sections}) == []
    assert {label for item in written_items for label in item.labels} >= SUBPRIORITIES


def test_every_evidence_quote_is_in_the_text_and_in_a_labelled_section(written_items, sections, corpus_txt):
    text = normalise_evidence(corpus_txt.read_text(encoding="utf-8"))
    problems = []
    for item in written_items:
        for quote in item.evidence:
            quote_n = normalise_evidence(quote)
            if quote_n not in text:
                problems.append((item.id, quote, "not in the .txt"))
            holders = [(sid, priority) for sid, priority, body in sections if quote_n in body]
            if not any(label_matches(sid, priority, item.labels) for sid, priority in holders):
                problems.append((item.id, quote, f"in no section labelled {item.labels}: {holders}"))
    assert problems == []


def test_queries_are_new_and_unique(items, dev_gold):
    queries = [item.query.casefold() for item in items]
    assert len(set(queries)) == len(queries)
    others = {item.query.casefold() for path in (dev_gold, EVAL_DIR / "gold_extra.jsonl") for item in load_gold(path)}
    assert not others & set(queries)


@pytest.mark.parametrize(("paired_set", "earlier_sets"), [(PAIRED, ()), (PAIRED_2, (PAIRED,))], ids=["1", "2"])
def test_a_paired_set_asks_every_intent_in_both_languages_with_one_label(paired_set, earlier_sets) -> None:
    """Each intent's Swedish and English lines differ only in wording: same labels, evidence and answer; every
    sub-priority has two intents; its queries are new to every other query set."""
    paired = load_gold(paired_set)
    intents: dict[str, dict[str, object]] = {}
    for item in paired:
        stem, _, lang = item.id.rpartition("-")
        assert lang == item.lang, item.id
        assert item.kind in {"negative", "casual" if lang == "sv" else "everyday"}, item.id
        intents.setdefault(stem, {})[lang] = item
    assert all(set(pair) == {"sv", "en"} for pair in intents.values())
    for stem, pair in intents.items():
        sv, en = (pair[lang] for lang in ("sv", "en"))
        assert (sv.section, sv.also_ok, sv.evidence) == (en.section, en.also_ok, en.evidence), stem
        assert sv.answer == en.answer, stem
    sections = Counter(pair["sv"].section for pair in intents.values() if pair["sv"].section)
    assert set(sections) == SUBPRIORITIES and set(sections.values()) == {2}
    earlier_paths = (REALISTIC, EVAL_DIR / "gold_extra.jsonl", *earlier_sets)
    earlier = {item.query.casefold() for path in earlier_paths for item in load_gold(path)}
    assert not earlier & {item.query.casefold() for item in paired}


# ---------------------------------------------------------------- the split


def test_split_is_stratified_disjoint_complete_and_deterministic(items):
    tune, heldout = split_items(items, DEFAULT_SEED)
    tune_ids, heldout_ids = {i.id for i in tune}, {i.id for i in heldout}
    assert not tune_ids & heldout_ids
    assert tune_ids | heldout_ids == {i.id for i in items}
    for kind, count in Counter(i.kind for i in items).items():
        assert sum(i.kind == kind for i in tune) == count // 2
        assert sum(i.kind == kind for i in heldout) == count - count // 2
    assert split_items(items, DEFAULT_SEED) == (tune, heldout)
    again_tune, _ = split_items(list(reversed(items)), DEFAULT_SEED)  # the file order does not decide the side
    assert {i.id for i in again_tune} == tune_ids
    other_tune, _ = split_items(items, DEFAULT_SEED + 1)
    assert {i.id for i in other_tune} != tune_ids


def test_committed_halves_are_the_split_of_the_committed_file(items):
    tune_path, heldout_path = output_paths(REALISTIC)
    tune, heldout = split_items(items, DEFAULT_SEED)
    assert [i.id for i in load_gold(tune_path)] == [i.id for i in tune]
    assert [i.id for i in load_gold(heldout_path)] == [i.id for i in heldout]
    lines = {json.loads(line)["id"]: line for line in REALISTIC.read_text(encoding="utf-8").splitlines()}
    written = tune_path.read_text(encoding="utf-8").splitlines() + heldout_path.read_text(encoding="utf-8").splitlines()
    assert sorted(written) == sorted(lines.values())  # the original lines, unchanged


def test_split_cli_writes_once_and_refuses_to_overwrite(tmp_path, capsys):
    gold = tmp_path / "set.jsonl"
    shutil.copy(REALISTIC, gold)
    assert main([str(gold)]) == 0
    tune_path, heldout_path = tmp_path / "set_tune.jsonl", tmp_path / "set_heldout.jsonl"
    first = (tune_path.read_bytes(), heldout_path.read_bytes())
    assert f"{tune_path}: {len(load_gold(tune_path))} items" in capsys.readouterr().out

    assert main([str(gold)]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert main([str(gold), "--force"]) == 0
    assert (tune_path.read_bytes(), heldout_path.read_bytes()) == first  # same seed, same split
    assert main([str(gold), "--force", "--seed", "7"]) == 0
    assert tune_path.read_bytes() != first[0]


def test_split_of_a_bad_file_names_the_problem_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(REALISTIC.read_text(encoding="utf-8").splitlines()[0] + "\n{not json\n", encoding="utf-8")
    assert main([str(bad)]) == 1
    assert "error: bad.jsonl line 2: not valid JSON" in capsys.readouterr().err
    with pytest.raises(GoldFormatError, match="no such gold file"):
        split_file(tmp_path / "absent.jsonl")
    single = tmp_path / "single.jsonl"
    single.write_text(REALISTIC.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(SplitError, match="too few items"):
        split_file(single)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "single.jsonl"]
