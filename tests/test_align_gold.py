"""The labelled alignment set (eval/align_gold.jsonl): its make-up, its labels against the strategy, its halves,
and the validator's specific errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.align_gold import (
    ALIGN_GOLD,
    AlignGoldError,
    ambiguous_needs,
    load_align_gold,
    main,
    needs_in_document,
    split_halves,
)
from eval.split import output_paths
from ingest.load import load_document
from ingest.vocabulary import INRIKTNINGAR


@pytest.fixture(scope="module")
def needs_map(corpus_pdf: Path) -> dict[str, list[int]]:
    return needs_in_document(load_document(corpus_pdf))


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    """The gold file's lines decoded without the validator, for checks that do not trust it."""
    return [json.loads(line) for line in ALIGN_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_needs_are_read_from_the_strategy_as_it_numbers_them(needs_map):
    assert len(needs_map) == 20
    assert needs_map["2.2"] == list(range(1, 12))
    assert needs_map["4.4"] == [1, 2, 3, 4, 5]  # 4.4 has its own "Identifierade behov"
    assert needs_map["6.2"] == [1, 2, 3, 4, 5, 6]  # the footnote "1. Likvärdighet …" after the list is not a need
    assert needs_map["5.3"] == [1, 2, 3, 4, 4]  # the strategy prints "4." for both of 5.3's last two needs
    assert ambiguous_needs(needs_map) == {"5.3": [4]}


def test_the_gold_file_validates_against_the_strategy(needs_map):
    items = load_align_gold(ALIGN_GOLD, needs_map)
    assert len(items) >= 24
    assert len({item.id for item in items}) == len(items)


def test_summaries_are_120_to_250_words_in_both_languages_over_many_subpriorities(rows):
    lengths = {row["id"]: len(row["text"].split()) for row in rows}
    assert all(120 <= n <= 250 for n in lengths.values()), lengths
    langs = [row["lang"] for row in rows]
    assert abs(langs.count("sv") - langs.count("en")) <= len(rows) // 5  # roughly half each
    assert len({row["section"] for row in rows}) >= 12
    assert len({row["organisation"] for row in rows}) == len(rows)


def test_every_evidence_sentence_is_copied_from_its_own_text(rows):
    for row in rows:
        quotes = [need["evidence"] for need in row["needs"]] + list(row["inriktning_evidence"].values())
        for quote in quotes:
            assert quote in row["text"], (row["id"], quote)
            assert quote.rstrip().endswith((".", "!", "?")), (row["id"], quote)  # whole sentences, not fragments


def test_every_labelled_need_exists_in_its_subpriority_and_none_is_ambiguous(rows, needs_map):
    ambiguous = ambiguous_needs(needs_map)
    for row in rows:
        numbers = needs_map[row["section"]]
        addressed = [need["number"] for need in row["needs"]]
        assert 2 <= len(addressed) <= 3, row["id"]
        assert len(row["not_needs"]) == 2, row["id"]
        for number in [*addressed, *row["not_needs"]]:
            assert number in numbers, (row["id"], row["section"], number)
        assert not set(addressed) & set(ambiguous.get(row["section"], [])), row["id"]
        assert not set(addressed) & set(row["not_needs"]), row["id"]


def test_about_half_state_an_inriktning_and_each_is_stated_several_times(rows):
    stating = [row for row in rows if any(row["inriktningar"].values())]
    assert 0.3 <= len(stating) / len(rows) <= 0.7
    for name in INRIKTNINGAR:
        true_rows = [row for row in rows if row["inriktningar"][name]]
        assert len(true_rows) >= 3, name
        assert all(name in row["inriktning_evidence"] for row in true_rows), name
    for row in rows:
        assert set(row["inriktning_evidence"]) == {n for n, flag in row["inriktningar"].items() if flag}, row["id"]


def test_the_halves_are_the_fixed_split_of_the_current_file_with_both_languages_in_each():
    items = load_align_gold(ALIGN_GOLD)
    lines = {json.loads(line)["id"]: line for line in ALIGN_GOLD.read_text(encoding="utf-8").splitlines() if line}
    expected = split_halves(items)
    for path, half in zip(output_paths(ALIGN_GOLD), expected, strict=True):
        written = path.read_text(encoding="utf-8").splitlines()
        assert written == [lines[item.id] for item in half], f"{path.name} is stale: run python -m eval.align_gold"
        assert {item.lang for item in half} == {"sv", "en"}
        assert abs(len(half) - len(items) / 2) <= 1
    tune, heldout = expected
    assert {i.id for i in tune}.isdisjoint({i.id for i in heldout})
    assert len(tune) + len(heldout) == len(items)
    assert split_halves(list(reversed(items)))[0] == list(reversed(tune))  # the side depends on the id, not the order


EQUAL = "Jämlik och jämställd inkludering"
EQUAL_SENTENCE = "Projektet vill ge kvinnor och män samma möjligheter."


def _good_row() -> dict:
    text = ("Vi bygger ett lärcentrum med tolv studieplatser. En studiecoach hjälper distansstudenterna. "
            "Projektet vill ge kvinnor och män samma möjligheter.")
    return {
        "id": "x1", "lang": "sv", "organisation": "Testkommunen", "text": text, "section": "6.2", "also_ok": [],
        "needs": [{"number": 1, "evidence": "Vi bygger ett lärcentrum med tolv studieplatser."},
                  {"number": 2, "evidence": "En studiecoach hjälper distansstudenterna."}],
        "not_needs": [5, 6],
        "inriktningar": {"Sammanhållen utveckling": False, "Jämlik och jämställd inkludering": True,
                         "Föregångare i omställning": False},
        "inriktning_evidence": {EQUAL: EQUAL_SENTENCE},
    }


def _write(tmp_path: Path, rows: list[dict | str]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def _changed(**fields) -> dict:
    row = _good_row()
    row.update(fields)
    return row


def _without(name: str) -> dict:
    row = _good_row()
    del row[name]
    return row


BAD_ROWS = [
    ("{not json", "line 2: not valid JSON"),
    (_without("not_needs"), "line 2: missing field 'not_needs'"),
    (_changed(extra=1), "line 2: unknown field 'extra'"),
    (_changed(lang="de"), "line 2: field 'lang' must be one of en, sv, got 'de'"),
    (_changed(section="6"), "line 2: field 'section' must be a sub-priority id"),
    (_changed(section="7.1"), "line 2: field 'section' '7.1' is not a sub-priority of the strategy"),
    (_changed(also_ok=["6.2"]), "line 2: field 'also_ok' repeats the main section '6.2'"),
    (_changed(needs=[{"number": 1, "evidence": "Vi bygger ett lärcentrum med tolv studieplatser."}]),
     "line 2: field 'needs' must be a list of 2–3 needs"),
    (_changed(needs=[{"number": 1, "evidence": "Vi bygger ett lärcentrum med tolv studieplatser."},
                     {"number": 2, "evidence": "Vi bygger en skola."}]),
     "line 2: needs[1].evidence (need 2) does not occur in the text: 'Vi bygger en skola.'"),
    (_changed(needs=[{"number": 1, "evidence": "Vi bygger ett lärcentrum med tolv studieplatser."},
                     {"number": 9, "evidence": "En studiecoach hjälper distansstudenterna."}]),
     "line 2: sub-priority 6.2 has no need 9 (its needs are 1, 2, 3, 4, 5, 6)"),
    (_changed(needs=[{"number": "1", "evidence": "Vi bygger ett lärcentrum med tolv studieplatser."},
                     {"number": 2, "evidence": "En studiecoach hjälper distansstudenterna."}]),
     "line 2: needs[0].number must be a positive integer, got '1'"),
    (_changed(not_needs=[2, 6]), "line 2: need 2 is in both 'needs' and 'not_needs'"),
    (_changed(not_needs=[5, 7]), "line 2: sub-priority 6.2 has no need 7"),
    (_changed(section="5.3", not_needs=[1, 3],
              needs=[{"number": 4, "evidence": "Vi bygger ett lärcentrum med tolv studieplatser."},
                     {"number": 2, "evidence": "En studiecoach hjälper distansstudenterna."}]),
     "line 2: need 4 of 5.3 is ambiguous: the strategy numbers 2 needs 4"),
    (_changed(inriktningar={"Sammanhållen utveckling": False, "Jämlik och jämställd inkludering": True}),
     "line 2: field 'inriktningar' must be an object with exactly the keys"),
    (_changed(inriktningar={"Sammanhållen utveckling": "no", "Jämlik och jämställd inkludering": True,
                            "Föregångare i omställning": False}),
     "line 2: inriktningar['Sammanhållen utveckling'] must be true or false, got 'no'"),
    (_changed(inriktning_evidence={}),
     "line 2: field 'inriktning_evidence' has no evidence for 'Jämlik och jämställd inkludering', which is true"),
    (_changed(inriktning_evidence={EQUAL: EQUAL_SENTENCE, "Föregångare i omställning": EQUAL_SENTENCE}),
     "line 2: field 'inriktning_evidence' has evidence for 'Föregångare i omställning', which is not a true"),
    (_changed(inriktning_evidence={"Jämlik och jämställd inkludering": "Alla ska med."}),
     "line 2: inriktning_evidence['Jämlik och jämställd inkludering'] does not occur in the text: 'Alla ska med.'"),
    (_changed(id="x0"), "line 2: duplicate id 'x0' (first on line 1)"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS, ids=[message for _, message in BAD_ROWS])
def test_a_bad_line_gives_an_error_naming_the_file_the_line_and_the_problem(tmp_path, needs_map, bad, message):
    path = _write(tmp_path, [_changed(id="x0"), bad])
    with pytest.raises(AlignGoldError) as caught:
        load_align_gold(path, needs_map)
    assert str(caught.value).startswith("gold.jsonl line 2: ")
    assert message in str(caught.value)


def test_missing_and_empty_files_are_named(tmp_path):
    with pytest.raises(AlignGoldError, match=r"nothing\.jsonl: no such file"):
        load_align_gold(tmp_path / "nothing.jsonl")
    with pytest.raises(AlignGoldError, match=r"gold\.jsonl: the file has no items"):
        load_align_gold(_write(tmp_path, [""]))


def test_the_command_validates_writes_the_halves_once_and_reports_bad_files(tmp_path, corpus_pdf, capsys):
    rows = [_changed(id=f"x{n}", lang=lang) for n, lang in enumerate(["sv", "en"] * 3)]
    path = _write(tmp_path, rows)
    assert main(["--gold", str(path), "--document", str(corpus_pdf)]) == 0
    out = capsys.readouterr().out
    assert "6 items: en 3, sv 3" in out
    assert "note: the strategy numbers need 4 of 5.3 more than once" in out
    tune_path, heldout_path = output_paths(path)
    tune, heldout = (load_align_gold(p) for p in (tune_path, heldout_path))
    assert sorted(i.id for i in tune + heldout) == [r["id"] for r in rows]
    assert {i.lang for i in tune} == {i.lang for i in heldout} == {"sv", "en"}

    assert main(["--gold", str(path), "--document", str(corpus_pdf)]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert main(["--gold", str(path), "--document", str(corpus_pdf), "--force"]) == 0

    _write(tmp_path, [_changed(section="6.2", not_needs=[5, 9])])
    assert main(["--gold", str(path), "--document", str(corpus_pdf), "--no-split"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: gold.jsonl line 1: sub-priority 6.2 has no need 9 (its needs are 1, 2, 3, 4, 5, 6)")
