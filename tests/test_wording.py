"""The language files (index/languages/*.toml) and their loader, index/wording.py; the answer-state model file.

No index is needed: the loader reads the files and compiles patterns; a third language and faulty files are written
to a temporary folder.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import fields
from pathlib import Path

import pytest

from index.wording import LANGUAGES_DIR, PATTERNS, WordingError, compile_patterns, load_wording
from service.answering import decision
from service.answering.answer_state_model import MODEL_FILE, ModelFileError, read_model, write_model
from service.answering.inriktningar import statements

GERMAN = """
[question]
openers = ["welche", "wie", "wo", "wann"]
asks_for_section = ['teilpriorit\\w*']

[question.frame]
section = ['welche\\s+(?:teil)?priorität(?:en)?']
verbs = ["betrifft", "passt"]

[information]
money = ['kost\\w*', 'miete\\w*']
clock = ['öffnungszeit\\w*']
"""
SIGNALS = tuple(field.name for field in fields(decision.Signals))


def _languages(tmp_path: Path, extra: dict[str, str]) -> Path:
    """A folder with copies of the shipped files and `extra` (file name → text)."""
    for path in LANGUAGES_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    for name, text in extra.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_money_question_asks_for_a_figure_and_a_timetable_for_a_time() -> None:
    """The figure pattern is built from the money words and its own; the time pattern from the clock words."""
    assert PATTERNS.money_request.search("Vad kostar hyran för en lägenhet?")
    assert PATTERNS.figure_request.search("Vad kostar hyran för en lägenhet?")
    assert PATTERNS.figure_request.search("How many people live in Umeå?")
    assert not PATTERNS.money_request.search("How many people live in Umeå?")
    assert PATTERNS.time_request.search("Where can I find the bus timetable?")
    assert PATTERNS.clock_request.search("Where can I find the bus timetable?")
    assert PATTERNS.time_request.search("När öppnar simhallen?")
    assert not PATTERNS.time_request.search("Vad händer när vägen stängs?")  # "när" joins clauses there


def test_the_question_frame_leaves_the_content_words() -> None:
    frame = PATTERNS.question_frame
    assert frame.sub("", "Which sub-priority would cover broadband in villages?", count=1) == "broadband in villages?"
    assert frame.sub("", "Vilken delprioritering passar: vätgas", count=1) == "vätgas"
    # an auxiliary counts only as a whole word: "kanske" is not "kan" + "ske"
    assert frame.sub("", "vilken prioritering kanske passar", count=1) == "kanske passar"


def test_an_inriktning_wording_uses_its_named_fragment() -> None:
    found = statements(["Vi vill knyta ihop landsbygd och stad.", "We reduce emissions."])
    assert [s.terms for s in found["Sammanhållen utveckling"]] == [["landsbygd och stad"]]
    assert [s.terms for s in found["Föregångare i omställning"]] == [["emissions"]]


def test_a_third_language_file_is_picked_up_without_code_changes(tmp_path: Path) -> None:
    before = compile_patterns(load_wording(_languages(tmp_path, {})))
    assert not before.figure_request.search("Was kostet die Miete in Umeå?")

    wording = load_wording(_languages(tmp_path, {"de.toml": GERMAN}))
    patterns = compile_patterns(wording)
    assert wording.languages == ("de", "en", "sv")
    assert patterns.money_request.search("Was kostet die Miete in Umeå?")
    assert patterns.figure_request.search("Was kostet die Miete in Umeå?")  # money words ask for a figure
    assert patterns.time_request.search("Die Öffnungszeiten der Bibliothek")  # clock words ask for a time
    assert patterns.question_start.match("Wie komme ich nach Skellefteå?")
    assert patterns.section_question.search("Welche Teilpriorität passt?")
    assert patterns.question_frame.sub("", "Welche Teilpriorität passt: Breitband", count=1) == "Breitband"
    # the other languages still read as before
    assert patterns.question_frame.sub("", "Vilken delprioritering passar: vätgas", count=1) == "vätgas"
    assert wording.language("de").get("information", "money") == ("kost\\w*", "miete\\w*")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[question\nopeners = [", "cannot be read as TOML"),
        ("[question]\nopners = ['vad']\n", "unknown key [question.opners]"),
        ("[information]\nmoney = 'kostar'\n", "information.money must be a list of non-empty strings"),
        ("[information]\nmoney = ['kost(']\n", "information.money[0] 'kost(' is not a valid regular expression"),
        ("[plan_links]\ngeneric = ['två ord']\n", "plan_links.generic[0] 'två ord' must be a single word"),
        ("[detection]\nletters = 'å+'\n", "detection.letters must be a string of letters"),
        ("[inriktningar]\ncohesion = ['\\b{städer}']\n", "uses {städer}"),
        ("[inriktningar]\ncohesion = ['\\b{towns}']\n", "uses {towns}, which [inriktningar.fragments] does not define"),
    ],
)
def test_a_faulty_language_file_names_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "xx.toml").write_text(text, encoding="utf-8")
    with pytest.raises(WordingError) as error:
        load_wording(tmp_path)
    assert "xx.toml" in str(error.value)
    assert expected in str(error.value)


def test_a_folder_without_a_language_or_a_badly_named_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WordingError, match="no language files"):
        load_wording(tmp_path)
    (tmp_path / "swedish.toml").write_text("", encoding="utf-8")
    with pytest.raises(WordingError, match="named by its language code"):
        load_wording(tmp_path)
    (tmp_path / "swedish.toml").unlink()
    (tmp_path / "de.toml").write_text(GERMAN, encoding="utf-8")
    with pytest.raises(WordingError, match=r"no word list for language 'sv' \(add sv.toml\)"):
        load_wording(tmp_path).language("sv")


def test_the_answer_state_model_file_round_trips_and_is_what_the_decision_uses(tmp_path: Path) -> None:
    model = read_model(MODEL_FILE, SIGNALS)
    assert (model.weights, model.intercept) == (decision.WEIGHTS, decision.INTERCEPT)
    assert (model.not_covered_below, model.answer_from) == (decision.NOT_COVERED_BELOW, decision.ANSWER_FROM)
    copy = tmp_path / "model.json"
    write_model(model, copy)
    assert read_model(copy, SIGNALS) == model


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["signals"].reverse(), "are not the decision's"),
        (lambda d: d["weights"].pop(), "weights must be 7 numbers"),
        (lambda d: d.update(answer_from=0.1), "not_covered_below ≤ answer_from"),
        (lambda d: d.update(intercept="high"), "intercept must be a number"),
        (lambda d: d.pop("negatives"), "missing negatives"),
    ],
)
def test_a_faulty_answer_state_model_file_is_refused(tmp_path: Path, change, expected: str) -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError) as error:
        read_model(path, SIGNALS)
    assert str(path) in str(error.value) and expected in str(error.value)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ModelFileError, match="cannot be read as JSON"):
        read_model(path, SIGNALS)
