"""User feedback: POST /v1/feedback, its SQLite store, `rus feedback list|export` and the gold candidates,
and the offline API docs (/docs, /redoc served from installed files)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pdf_factory import strategy_pdf

from eval.feedback import gold_candidates
from eval.gold import load_gold
from service.api.app import create_app
from service.cli.main import main
from service.feedback import FeedbackStore, TokenBucket, tally
from service.settings import Settings

REINDEER = "Which sub-priority covers reindeer crossings?"


def _settings(tmp_path: Path, **overrides) -> Settings:
    """The API alone on an empty index directory: feedback needs no index."""
    return Settings(index_dir=tmp_path / "index", ui_enabled=False, **overrides)


@pytest.fixture
def client(tmp_path: Path):
    with TestClient(create_app(_settings(tmp_path))) as test_client:
        yield test_client


def _error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"].get("field") == field, body
    return body["error"]


# --- the API and the store ----------------------------------------------------------------------------


def test_feedback_is_stored_beside_the_index_and_survives_a_restart(tmp_path: Path):
    settings = _settings(tmp_path)
    assert settings.feedback_file() == tmp_path / "feedback.sqlite3"
    body = {"question": REINDEER, "verdict": "down", "answer_state": "subpriority",
            "top_sections": ["3.2", "3.1"], "section_id": "3.1"}  # fmt: skip
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/feedback", json=body)
        assert response.status_code == 201, response.text
        receipt = response.json()
        assert receipt["verdict"] == "down" and receipt["section_id"] == "3.1" and receipt["id"] == 1
    with TestClient(create_app(settings)) as client:  # a new process's app on the same files
        second = client.post("/v1/feedback", json={"question": "Hur många bor i länet?", "verdict": "up"})
        assert second.json()["id"] == 2
    entries = FeedbackStore(tmp_path / "feedback.sqlite3").entries()
    assert [(e.question, e.verdict, e.chosen_section, e.lang) for e in entries] == [
        (REINDEER, "down", "3.1", "en"),
        ("Hur många bor i länet?", "up", None, "sv"),
    ]
    assert entries[0].top_sections == ("3.2", "3.1") and entries[0].answer_state == "subpriority"
    assert entries[0].created_at.endswith("+00:00")
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
        values = json.dumps(db.execute("SELECT * FROM feedback").fetchall())
    assert not {"ip", "client", "user", "user_id", "host"} & columns  # no personal data
    assert "testclient" not in values and "127.0.0.1" not in values


def test_the_store_can_be_moved_with_an_environment_variable(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("RUS_FEEDBACK_PATH", str(tmp_path / "elsewhere" / "fb.sqlite3"))
    settings = Settings(index_dir=tmp_path / "index", ui_enabled=False)
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/feedback", json={"question": REINDEER, "verdict": "up"}).status_code == 201
    assert len(FeedbackStore(tmp_path / "elsewhere" / "fb.sqlite3").entries()) == 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"question": REINDEER, "verdict": "meh"}, "invalid_input", "verdict"),
        ({"question": REINDEER}, "invalid_input", "verdict"),
        ({"question": "   ", "verdict": "up"}, "empty_input", "question"),
        ({"question": REINDEER, "verdict": "up", "kind": "search"}, "invalid_input", "kind"),
        ({"question": REINDEER, "verdict": "down", "section_id": "3.1; DROP TABLE x"}, "invalid_input", "section_id"),
        ({"question": REINDEER, "verdict": "down", "top_sections": ["3.1"] * 21}, "invalid_input", "top_sections"),
        ({"question": REINDEER, "verdict": "up", "top_sections": "3.1"}, "invalid_input", "top_sections"),
        ({"question": REINDEER, "verdict": "up", "answer_state": "match"}, "invalid_input", "answer_state"),
        ({"question": REINDEER, "verdict": "up", "kind": "match", "answer_state": "fact"}, "invalid_input",
         "answer_state"),
        ({"question": REINDEER, "verdict": "up", "answer_id": "x"}, "invalid_input", "answer_id"),
    ],
)
def test_bad_feedback_gets_422_naming_the_field(client, tmp_path: Path, body: dict, code: str, field: str):
    _error(client.post("/v1/feedback", json=body), 422, code, field)
    assert FeedbackStore(tmp_path / "feedback.sqlite3").entries() == []


def test_feedback_that_is_not_json_gets_422(client):
    response = client.post("/v1/feedback", content=b"{not json", headers={"content-type": "application/json"})
    assert "not valid JSON" in _error(response, 422, "invalid_input")["message"]


def test_oversized_feedback_is_refused_with_413(tmp_path: Path):
    with TestClient(create_app(_settings(tmp_path, feedback_max_body_bytes=3000))) as client:
        error = _error(client.post("/v1/feedback", json={"question": "x" * 3000, "verdict": "up"}), 413,
                       "input_too_long", "body")  # fmt: skip
        assert "the limit is 3000 bytes" in error["message"]
        long_question = {"question": "renar " * 350, "verdict": "up"}  # fits the body, not the 2,000-char limit
        _error(client.post("/v1/feedback", json=long_question), 413, "input_too_long", "question")
    assert FeedbackStore(tmp_path / "feedback.sqlite3").entries() == []


def test_a_burst_over_the_rate_limit_gets_429_with_retry_after(tmp_path: Path):
    settings = _settings(tmp_path, feedback_burst=3, feedback_rate_per_minute=1.0)
    with TestClient(create_app(settings)) as client:
        statuses = [client.post("/v1/feedback", json={"question": REINDEER, "verdict": "up"}).status_code
                    for _ in range(3)]  # fmt: skip
        assert statuses == [201, 201, 201]
        refused = client.post("/v1/feedback", json={"question": REINDEER, "verdict": "up"})
        error = _error(refused, 429, "rate_limited")
        assert int(refused.headers["retry-after"]) == error["retry_after"] >= 1
    assert len(FeedbackStore(tmp_path / "feedback.sqlite3").entries()) == 3


def test_a_damaged_store_gets_503_not_a_traceback(tmp_path: Path):
    (tmp_path / "feedback.sqlite3").write_bytes(b"this is not a database" * 100)
    with TestClient(create_app(_settings(tmp_path))) as client:
        response = client.post("/v1/feedback", json={"question": REINDEER, "verdict": "up"})
        assert "try again later" in _error(response, 503, "feedback_unavailable")["message"]


def test_token_bucket_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(rate=0.5, burst=2, clock=lambda: now[0])
    assert bucket.take() == 0.0 and bucket.take() == 0.0
    assert bucket.take() == pytest.approx(2.0)  # one token takes 2 s at 0.5/s
    now[0] = 2.0
    assert bucket.take() == 0.0 and bucket.take() > 0


# --- gold candidates and the CLI ----------------------------------------------------------------------


def _fill(store: FeedbackStore) -> None:
    store.add(question=REINDEER, verdict="down", answer_state="subpriority", top_sections=["3.2"], chosen_section="3.1")
    store.add(question="Vilken delprioritering tar upp våld i nära relationer?", verdict="up",
              answer_state="subpriority", top_sections=["5.2", "5.1"])  # fmt: skip
    store.add(question="Vad kostar en fika i Umeå?", verdict="up", answer_state="not_covered", top_sections=["2.1"])
    store.add(question="How many people live in Västerbotten?", verdict="down", answer_state="fact")  # no section
    store.add(question="Vi bygger laddstolpar i byarna.", verdict="up", kind="match", answer_state="match",
              top_sections=["3.3", "3.2"])  # fmt: skip
    store.add(question="which sub-priority covers  reindeer crossings?", verdict="up",
              answer_state="subpriority", top_sections=["3.1"])  # the same question again: the latest wins


def test_confirmed_corrections_become_gold_candidates(tmp_path: Path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    _fill(store)
    items = gold_candidates(store.entries())
    got = {(i["query"], i["kind"], i["section"], i["lang"]) for i in items}
    assert got == {
        ("which sub-priority covers reindeer crossings?", "subpriority", "3.1", "en"),
        ("Vilken delprioritering tar upp våld i nära relationer?", "subpriority", "5.2", "sv"),
        ("Vad kostar en fika i Umeå?", "negative", None, "sv"),
        ("Vi bygger laddstolpar i byarna.", "applicant", "3.3", "sv"),
    }
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    assert len(load_gold(gold)) == 4  # the gold schema `rus eval --gold` reads


def test_tally_counts_down_share_by_type_and_language(tmp_path: Path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    _fill(store)
    counts = tally(store.entries())
    assert counts[("subpriority", "en")].down == 1 and counts[("subpriority", "en")].up == 1
    assert counts[("subpriority", "en")].down_share == 0.5
    assert counts[("fact", "en")].down_share == 1.0
    assert counts[("match", "sv")].up == 1 and counts[("not_covered", "sv")].up == 1


def test_rus_feedback_list_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    index_dir = tmp_path / "index"
    _fill(FeedbackStore(tmp_path / "feedback.sqlite3"))
    assert main(["feedback", "list", "--json", "--index-dir", str(index_dir)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 6 and listed[0]["chosen_section"] == "3.1" and listed[0]["verdict"] == "down"
    assert main(["feedback", "list", "--index-dir", str(index_dir)]) == 0
    shown = capsys.readouterr().out
    assert "6 verdict(s)" in shown and "fact" in shown and "100% 👎" in shown
    out = tmp_path / "reports" / "feedback-gold.jsonl"
    assert main(["feedback", "export", "--index-dir", str(index_dir), "--out", str(out)]) == 0
    assert "wrote 4 gold candidate(s)" in capsys.readouterr().out
    assert {item.section for item in load_gold(out)} == {"3.1", "5.2", None, "3.3"}


def test_rus_feedback_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    empty = tmp_path / "empty" / "index"
    assert main(["feedback", "list", "--index-dir", str(empty)]) == 0
    assert "no feedback yet" in capsys.readouterr().out
    assert main(["feedback", "export", "--index-dir", str(empty), "--out", str(tmp_path / "x.jsonl")]) == 1
    assert "no confirmed corrections" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "feedback.sqlite3").write_bytes(b"this is not a database" * 100)
    assert main(["feedback", "list", "--index-dir", str(broken / "index")]) == 1
    assert "cannot read the feedback database" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["feedback", "export", "--index-dir", str(empty)])  # --out is required
    assert exit_info.value.code == 2
    edited = tmp_path / "edited"
    store = FeedbackStore(edited / "feedback.sqlite3")
    store.add(question=REINDEER, verdict="up", kind="ask", answer_state="fact", top_sections=["3.1"],
              chosen_section=None)
    with sqlite3.connect(store.path) as db:  # a row changed outside the program
        db.execute("UPDATE feedback SET verdict = 'maybe'")
    for command in ("list", "export"):
        assert main(["feedback", command, "--index-dir", str(edited / "index"), "--out", str(tmp_path / "x.jsonl")]
                    if command == "export" else ["feedback", command, "--index-dir", str(edited / "index")]) == 1
        assert "row 1 of" in capsys.readouterr().err


# --- with a real index: sections are checked, rebuilds keep the feedback ---------------------------------


@pytest.mark.slow
def test_feedback_survives_an_index_rebuild_and_checks_sections(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    strategy_pdf(docs / "strategi.pdf")
    index_dir = tmp_path / "index"
    build = ["index", "build", str(docs / "strategi.pdf"), "--index-dir", str(index_dir), "--quiet"]
    assert main(build) == 0
    settings = Settings(index_dir=index_dir, ui_enabled=False)
    with TestClient(create_app(settings)) as client:
        first_build = client.get("/readyz").json()["build"]
        unknown = client.post("/v1/feedback", json={"question": REINDEER, "verdict": "down", "section_id": "3.1"})
        assert "not a section" in _error(unknown, 422, "invalid_input", "section_id")["message"]
        shown = client.post("/v1/feedback", json={"question": REINDEER, "verdict": "up", "top_sections": ["9.9"]})
        assert "not a section" in _error(shown, 422, "invalid_input", "top_sections")["message"]
        ok = client.post("/v1/feedback", json={"question": REINDEER, "verdict": "down", "section_id": "1.2"})
        assert ok.status_code == 201 and ok.json()["build_id"] == first_build
    assert main([*build[:-1], "--chunk-size", "900", "--quiet"]) == 0  # a different build of the index
    with TestClient(create_app(settings)) as client:
        second_build = client.get("/readyz").json()["build"]
        assert second_build != first_build
        again = client.post("/v1/feedback", json={"question": REINDEER, "verdict": "up"})
        assert again.json()["build_id"] == second_build
    entries = FeedbackStore(settings.feedback_file()).entries()
    assert [e.build_id for e in entries] == [first_build, second_build]


# --- offline API docs ----------------------------------------------------------------------------------


def test_api_docs_pages_load_their_assets_from_this_server(client):
    pages = {"/docs": ("/static-offline-docs/swagger-ui-bundle.js", "/static-offline-docs/swagger-ui.css"),
             "/redoc": ("/docs-assets/redoc.standalone.js",)}  # fmt: skip
    for page, assets in pages.items():
        html = client.get(page).text
        assert "cdn." not in html and "fonts.googleapis" not in html, page
        for asset in assets:
            assert asset in html
            response = client.get(asset)
            assert response.status_code == 200 and len(response.content) > 100_000
            assert "cdn.redoc.ly" not in response.text and "cdn.jsdelivr" not in response.text
    assert "/v1/feedback" in client.get("/openapi.json").json()["paths"]


# --- the UI's pieces (rendering only; tests/test_ui_feedback_browser.py drives them in a browser) -------------


def test_the_evaluation_tab_summary_shows_down_share_by_type_and_language(tmp_path: Path):
    from ui.feedback import summary_markdown

    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    assert "No feedback yet" in summary_markdown(tally(store.entries()), "en")
    _fill(store)
    table = summary_markdown(tally(store.entries()), "sv")
    assert "6 omdömen, varav 2 👎 (33%)" in table
    assert "| Svar: citat | engelska | 0 | 1 | 100% |" in table
    assert "| Svar: delprioritering | engelska | 1 | 1 | 50% |" in table
    assert "| Matchning | svenska | 1 | 0 | 0% |" in table


def test_feedback_controls_escape_the_question_and_link_to_the_shared_answer():
    from ui.feedback import feedback_html, share_html

    hostile = 'renar"><script>alert(1)</script>'
    html = feedback_html(endpoint="/v1/feedback", element_id="ask-feedback", kind="ask", question=hostile,
                         answer_state="subpriority", top_sections=["3.1"], options=[("3.1", "3.1 Samverkanskraft")],
                         lang="en")  # fmt: skip
    assert "<script>" not in html and 'data-question="renar&quot;&gt;&lt;script&gt;' in html
    assert '<option value="3.1">3.1 Samverkanskraft</option>' in html and "The right section is" in html
    share = share_html("q", "which sub-priority covers reindeer crossings?", "sv")
    assert 'data-link="?q=which+sub-priority+covers+reindeer+crossings%3F"' in share
