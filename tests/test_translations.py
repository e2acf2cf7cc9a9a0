"""The English translation memory: coverage, staleness, the translator's round trip, and English in answers."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import polib
import pytest
from conftest import TRANSLATIONS
from fastapi.testclient import TestClient

from index.store import load_build
from index.translation_memory import (
    export_template,
    import_translations,
    load_memory,
    locations,
    memory_path,
    source_key,
    status,
)
from service.api.app import create_app
from service.cli.main import main
from service.settings import Settings

STRATEGY = "rus-vasterbotten-2030"
ENGLISH_WORDS = {"the", "and", "of", "for", "to"}


def _is_english(text: str) -> bool:
    words = set(text.lower().split())
    return len(words & ENGLISH_WORDS) >= 2 and not {"och", "för", "att"} & words


@pytest.fixture(scope="module")
def strategy_chunks(corpus_index: Path):
    return [c for c in load_build(corpus_index, verify=False).chunks if c.doc_id == STRATEGY]


def test_the_memory_covers_the_strategy_and_is_marked_unofficial(corpus_index: Path, capsys) -> None:
    assert main(["translations", "status", "--json", "--index-dir", str(corpus_index)]) == 0
    documents = json.loads(capsys.readouterr().out)["documents"]
    strategy = next(d for d in documents if d["doc_id"] == STRATEGY)
    assert set(strategy) == {"doc_id", "title", "kind", "chunks", "translated", "stale", "missing"}
    assert strategy["kind"] == "strategi"
    assert strategy["translated"] >= 0.95 * strategy["chunks"]
    header = polib.pofile(str(memory_path(TRANSLATIONS, STRATEGY))).metadata
    assert "unofficial" in header["X-Translation-Status"]


def test_the_memory_holds_no_swedish_source_text(strategy_chunks) -> None:
    """Entries are keyed by a fingerprint of the Swedish passage: the strategy's own text stays out of the repo."""
    catalogue = polib.pofile(str(memory_path(TRANSLATIONS, STRATEGY)))
    assert all(entry.msgid.startswith("sv-sha256:") for entry in catalogue)
    memory_text = memory_path(TRANSLATIONS, STRATEGY).read_text(encoding="utf-8")
    assert not any(len(chunk.text) > 80 and chunk.text in memory_text for chunk in strategy_chunks)


def test_a_changed_passage_is_stale_and_goes_to_the_translator(strategy_chunks, tmp_path: Path) -> None:
    memory = load_memory(memory_path(TRANSLATIONS, STRATEGY))
    changed = replace(strategy_chunks[5], text=strategy_chunks[5].text + " Ny mening om fjällturism.")
    chunks = [*strategy_chunks[:5], changed, *strategy_chunks[6:]]
    before = status(chunks, memory, "RUS", "strategi")
    assert before.stale == 1 and before.translated == len(chunks) - 1 - before.missing

    template = tmp_path / "todo.po"
    assert export_template(chunks, memory, template) == before.stale + before.missing
    entry = next(e for e in polib.pofile(str(template)) if e.msgid == changed.text)
    assert "fuzzy" in entry.flags and entry.msgstr == memory.translation(strategy_chunks[5].text)
    assert entry.msgctxt == locations(chunks)[5]

    entry.msgstr += " A new sentence about mountain tourism."
    entry.flags.remove("fuzzy")
    translated = polib.pofile(str(template))
    translated[0].msgstr, translated[0].flags = entry.msgstr, []
    translated.save(str(template))
    target = tmp_path / f"{STRATEGY}.en.po"
    shutil.copy(memory_path(TRANSLATIONS, STRATEGY), target)
    assert import_translations(template, target, STRATEGY, chunks) == (1, 0)
    after = status(chunks, load_memory(target), "RUS", "strategi")
    assert after.stale == 0 and after.translated == before.translated + 1
    assert load_memory(target).by_key[source_key(changed.text)].endswith("mountain tourism.")


def test_the_build_warns_when_the_strategy_memory_is_incomplete(
    corpus_pdf: Path, corpus_index: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    partial = tmp_path / "translations"
    partial.mkdir()
    catalogue = polib.pofile(str(memory_path(TRANSLATIONS, STRATEGY)))
    for entry in list(catalogue)[::2]:
        catalogue.remove(entry)
    catalogue.save(str(memory_path(partial, STRATEGY)))
    index_dir = tmp_path / "index"
    shutil.copytree(corpus_index, index_dir, symlinks=True)  # the rebuild reuses its vectors
    monkeypatch.setenv("RUS_TRANSLATIONS_DIR", str(partial))
    assert main(["index", "build", str(corpus_pdf), "--index-dir", str(index_dir), "--quiet"]) == 0
    assert f"warning: the English translation memory of {STRATEGY} covers 186 of 373" in capsys.readouterr().err
    rebuilt = load_build(index_dir, verify=False).chunks
    assert sum(chunk.text_en is not None for chunk in rebuilt) == 186


def test_an_english_question_gets_english_passages_and_citations(corpus_index: Path) -> None:
    with TestClient(create_app(Settings(index_dir=corpus_index, ui_enabled=False))) as client:
        hits = client.get("/v1/search", params={"q": "which sub-priority covers reindeer crossings?"}).json()["hits"]
        top = hits[0]
        assert top["section_id"] == "3.1" and _is_english(top["text_en"])
        assert "reindeer" in top["text_en"]
        assert top["highlights_en"] and all(
            top["text_en"][s["start"] : s["end"]] == s["text"] for s in top["highlights_en"]
        )
        answer = client.post("/v1/ask", json={"question": "which sub-priority covers reindeer crossings?"}).json()
        assert answer["citations"] and _is_english(answer["citations"][0]["text_en"])
        assert any("reindeer" in need["text_en"] for need in answer["needs"] if need["text_en"])
        swedish = client.get("/v1/search", params={"q": "trygga passager för renar"}).json()["hits"][0]
        assert swedish["section_id"] == "3.1" and swedish["text"] and swedish["text_en"]


def test_the_translator_commands_refuse_an_unknown_document(corpus_index: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "todo.po"
    assert main(["translations", "export", "no-such-plan", "--out", str(out), "--index-dir", str(corpus_index)]) == 2
    assert "no document 'no-such-plan' in the index" in capsys.readouterr().err and not out.exists()
    code = main(["translations", "import", STRATEGY, str(tmp_path / "missing.po"), "--index-dir", str(corpus_index),
                 "--translations-dir", str(tmp_path)])
    assert code == 2 and "no such file" in capsys.readouterr().err
    assert not memory_path(tmp_path, STRATEGY).exists()
    # a translated entry whose Swedish text is no passage of the document is not counted as imported
    stray = polib.POFile()
    stray.append(polib.POEntry(msgid="En mening som inte finns i strategin.", msgstr="A sentence not in it."))
    stray.save(str(tmp_path / "stray.po"))
    code = main(["translations", "import", STRATEGY, str(tmp_path / "stray.po"), "--index-dir", str(corpus_index),
                 "--translations-dir", str(tmp_path)])
    assert code == 1 and "1 translated entry matches no passage" in capsys.readouterr().err
    assert not memory_path(tmp_path, STRATEGY).exists()
