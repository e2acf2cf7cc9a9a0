"""The fully labelled alignment set (eval/align_multi.jsonl): applications that span several sub-priorities, each
labelled with every need it addresses anywhere in the strategy; its files, its halves, and the validator's errors
for the fields it adds to the alignment gold format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.align_files import ALIGN_MULTI, blocks
from eval.align_gold import AlignGoldError, ambiguous_needs, load_align_gold, needs_in_document, split_halves
from eval.split import output_paths
from ingest.load import load_document
from ingest.vocabulary import INRIKTNINGAR
from service.library.uploads import DocumentReader
from service.limits import Limits
from service.settings import Settings


@pytest.fixture(scope="module")
def needs_map(corpus_pdf: Path) -> dict[str, list[int]]:
    return needs_in_document(load_document(corpus_pdf))


@pytest.fixture(scope="module")
def items(needs_map):
    return load_align_gold(ALIGN_MULTI, needs_map)


def _words(text: str) -> int:
    return len(text.split())


def test_forty_applications_half_in_each_language_short_and_long(items):
    assert len(items) >= 40
    langs = [item.lang for item in items]
    assert langs.count("sv") == langs.count("en")
    short = [item for item in items if 120 <= _words(item.text) <= 250]
    long = [item for item in items if 700 <= _words(item.text) <= 1200]
    assert len(short) + len(long) == len(items)
    assert len(long) >= 8
    assert {item.lang for item in long} == {"sv", "en"}
    assert len({item.organisation for item in items}) >= 35


def test_applications_span_several_subpriorities_and_every_label_is_a_sentence_of_the_text(items, needs_map):
    assert all(item.fully_labelled for item in items)
    spanning = [item for item in items if len(item.sections) > 1]
    assert len(spanning) >= 0.75 * len(items)
    assert len({s for item in items for s in item.sections}) >= 18
    ambiguous = ambiguous_needs(needs_map)
    for item in items:
        assert len(item.addressed) == len(item.needs) + len(item.needs_elsewhere), item.id  # no need labelled twice
        for section, number in item.addressed:
            assert number in needs_map[section] and number not in ambiguous.get(section, []), (item.id, section)
        for evidence in [n.evidence for n in (*item.needs, *item.needs_elsewhere)] + list(
            item.inriktning_evidence.values()
        ):
            assert evidence in item.text and evidence.endswith((".", "!", "?")), (item.id, evidence)


def test_inriktningar_are_stated_explicitly_and_in_other_words(items):
    for name in INRIKTNINGAR:
        kinds = [item.inriktning_kind[name] for item in items if item.inriktningar[name]]
        assert kinds.count("explicit") >= 3 and kinds.count("paraphrase") >= 3, name
        assert sum(not item.inriktningar[name] for item in items) >= 10, name
    founders = [e for item in items for e in item.inriktning_evidence.values() if "half of the places" in e]
    assert founders, "a 'half of the places go to women/girls' paraphrase is in the set"


def test_the_pdf_and_docx_files_read_back_with_every_evidence_sentence(items):
    with_files = [item for item in items if item.file]
    suffixes = [Path(item.file).suffix for item in with_files]
    assert suffixes.count(".pdf") >= 3 and suffixes.count(".docx") >= 3
    for item in with_files:
        path = ALIGN_MULTI.parent / item.file
        upload = DocumentReader(Limits.from_settings(Settings())).application_text(path, path.name, 10_000_000)
        read = " ".join(upload.text.split())
        for evidence in [n.evidence for n in (*item.needs, *item.needs_elsewhere)]:
            assert " ".join(evidence.split()) in read, (item.file, evidence)


def test_headings_are_short_blocks_without_a_full_stop():
    assert blocks("Bakgrund\n\nVi bygger en väg. Den blir bra.\n\n1. Syfte och mål") == [
        ("Bakgrund", True), ("Vi bygger en väg. Den blir bra.", False), ("1. Syfte och mål", True)]


def test_the_halves_are_the_fixed_split_of_the_current_file(items):
    lines = {json.loads(line)["id"]: line for line in ALIGN_MULTI.read_text(encoding="utf-8").splitlines() if line}
    for path, half in zip(output_paths(ALIGN_MULTI), split_halves(items), strict=True):
        written = path.read_text(encoding="utf-8").splitlines()
        assert written == [lines[item.id] for item in half], f"{path.name} is stale: run python -m eval.align_gold"
        assert sum(item.lang == "sv" for item in half) == sum(item.lang == "en" for item in half)
        assert any(_words(item.text) >= 700 for item in half)


TEXT = ("Vi bygger ett lärcentrum med tolv studieplatser. En studiecoach hjälper distansstudenterna. "
        "Bussen stannar vid lärcentrum. Minst hälften av platserna går till kvinnor.")
EQUAL = "Jämlik och jämställd inkludering"


def _row(**fields) -> dict:
    row = {
        "id": "x1", "lang": "sv", "organisation": "Testkommunen", "text": TEXT, "section": "6.2", "also_ok": [],
        "needs": [{"number": 1, "evidence": "Vi bygger ett lärcentrum med tolv studieplatser."}],
        "not_needs": [5],
        "needs_elsewhere": [{"section": "3.3", "number": 5, "evidence": "Bussen stannar vid lärcentrum."}],
        "inriktningar": {"Sammanhållen utveckling": False, EQUAL: True, "Föregångare i omställning": False},
        "inriktning_evidence": {EQUAL: "Minst hälften av platserna går till kvinnor."},
        "inriktning_kind": {EQUAL: "paraphrase"},
    }
    row.update(fields)
    return row


def _write(tmp_path: Path, row: dict) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_a_fully_labelled_line_reads_with_its_needs_anywhere(tmp_path, needs_map):
    (item,) = load_align_gold(_write(tmp_path, _row()), needs_map)
    assert item.fully_labelled and item.sections == ("6.2", "3.3")
    assert item.addressed == {("6.2", 1), ("3.3", 5)}
    assert item.inriktning_kind == {EQUAL: "paraphrase"}
    (old,) = load_align_gold(_write(tmp_path, {k: v for k, v in _row().items() if k not in (
        "needs_elsewhere", "inriktning_kind")} | {"needs": [
            {"number": 1, "evidence": "Vi bygger ett lärcentrum med tolv studieplatser."},
            {"number": 2, "evidence": "En studiecoach hjälper distansstudenterna."}], "not_needs": [5, 6]}), needs_map)
    assert not old.fully_labelled and old.addressed == {("6.2", 1), ("6.2", 2)}


ELSEWHERE = "Bussen stannar vid lärcentrum."
BAD = [
    (_row(needs_elsewhere={"3.3": 5}), "field 'needs_elsewhere' must be a list"),
    (_row(needs_elsewhere=[{"section": "3.3", "number": 5}]), "needs_elsewhere[0] must be an object with exactly"),
    (_row(needs_elsewhere=[{"section": "6.2", "number": 2, "evidence": ELSEWHERE}]),
     "needs_elsewhere[0] is in the main sub-priority 6.2; label it in 'needs'"),
    (_row(needs_elsewhere=[{"section": "3.3", "number": 9, "evidence": ELSEWHERE}]), "sub-priority 3.3 has no need 9"),
    (_row(needs_elsewhere=[{"section": "5.3", "number": 4, "evidence": ELSEWHERE}]), "need 4 of 5.3 is ambiguous"),
    (_row(needs_elsewhere=[{"section": "3.3", "number": 5, "evidence": ELSEWHERE}] * 2),
     "needs_elsewhere[1] labels need 5 of 3.3 twice"),
    (_row(needs_elsewhere=[{"section": "3.3", "number": 5, "evidence": "Tåget går."}]),
     "needs_elsewhere[0].evidence does not occur in the text: 'Tåget går.'"),
    (_row(needs_elsewhere=[{"section": "9.9", "number": 5, "evidence": ELSEWHERE}]),
     "needs_elsewhere[0].section '9.9' is not a sub-priority of the strategy"),
    (_row(not_needs=[]), "field 'not_needs' must be a non-empty list"),
    (_row(inriktning_kind={}), "field 'inriktning_kind' must name exactly the true inriktningar"),
    (_row(inriktning_kind={EQUAL: "implied"}), "must be one of explicit, paraphrase, got 'implied'"),
    (_row(file="../secret.pdf"), "field 'file' must be a relative path to a .pdf or .docx file"),
    (_row(file="x1.txt"), "field 'file' must be a relative path"),
    (_row(file="files/x1.pdf"), "file 'files/x1.pdf' does not exist beside the gold file"),
]


@pytest.mark.parametrize(("row", "message"), BAD, ids=[message for _, message in BAD])
def test_a_bad_fully_labelled_line_names_the_problem(tmp_path, needs_map, row, message):
    with pytest.raises(AlignGoldError) as caught:
        load_align_gold(_write(tmp_path, row), needs_map)
    assert str(caught.value).startswith("gold.jsonl line 1: ") and message in str(caught.value)


@pytest.mark.parametrize("name", ["align_multi_fresh.jsonl", "align_multi_tune2.jsonl"])
def test_the_later_sets_validate_against_the_strategy_and_span_several_subpriorities(name, needs_map):
    # the clean held-out set and the second tune set: same format, every need number and evidence sentence checked
    later = load_align_gold(ALIGN_MULTI.with_name(name), needs_map)
    assert len(later) >= 20 and {item.lang for item in later} == {"sv", "en"}
    assert all(item.needs_elsewhere and item.fully_labelled for item in later)
