"""One guarded door for every file and bounded heavy work.

* ingest's format table: every format refuses each limit the table says it runs into, with that limit's code;
* every route that takes a file gets the upload body limit (the library route and its alias);
* alignment and match, from the API and the UI: at most `max_heavy_jobs` at once (503 with Retry-After, or the
  UI's words for it) and a time budget (503 over_time_budget); the UI's events queue in Gradio beyond the limit;
* searches and answers: a bounded wait for their threads (503 busy past it);
* Gradio's upload route: a bound on the space its folder takes (507 past it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hostile import flate_bomb
from pdf_factory import _simple_pdf_bytes

from ingest.errors import IngestError, Refusal
from ingest.formats import FORMATS, read_file
from ingest.limits import IngestLimits
from service.api.app import create_app
from service.limits import LIBRARY_UPLOAD_ALIAS, UPLOAD_PATHS, Limits
from service.settings import Settings
from service.state import IndexHolder

TEXT = "Regionen ska stärka kollektivtrafiken i inlandet. Fler ska kunna pendla till arbete och studier.\n\n"
DESCRIPTION = "Vi vill bygga laddstolpar för elbilar längs vägarna i inlandet så att fler kan pendla."


def sample(fmt_name: str, folder: Path) -> Path:
    """A small readable file of each format in the table."""
    if fmt_name == "PDF":
        path = folder / "plan.pdf"
        path.write_bytes(_simple_pdf_bytes([[TEXT.strip()], [TEXT.strip()]], "Plan"))
    elif fmt_name == "DOCX":
        import docx

        path = folder / "plan.docx"
        document = docx.Document()
        document.add_heading("Plan", level=1)
        document.add_paragraph(TEXT.strip())
        document.save(str(path))
    elif fmt_name == "HTML":
        path = folder / "plan.html"
        path.write_text(f"<html><head><title>Plan</title></head><body><p>{TEXT}</p></body></html>", "utf-8")
    elif fmt_name == "Markdown":
        path = folder / "plan.md"
        path.write_text(f"# Plan\n\n{TEXT}", "utf-8")
    else:
        path = folder / "plan.txt"
        path.write_text(f"Plan\n\n{TEXT}", "utf-8")
    return path


OVER = {  # a limit → (the limits that a sample file is over, the refusal expected)
    "max_file_bytes": (IngestLimits(max_file_bytes=100), Refusal.TOO_LARGE),
    "max_document_chars": (IngestLimits(max_document_chars=20), Refusal.TOO_MUCH_TEXT),
    "max_extract_seconds": (IngestLimits(max_extract_seconds=0.0), Refusal.TOO_SLOW),
    "max_pdf_pages": (IngestLimits(max_pdf_pages=1), Refusal.TOO_MANY_PAGES),
    "max_unpacked_bytes": (IngestLimits(max_unpacked_bytes=1000), Refusal.UNPACKS_TOO_LARGE),
}


@pytest.mark.parametrize(
    ("fmt", "limit"), [(f, limit) for f in FORMATS for limit in f.limits], ids=lambda v: getattr(v, "name", v)
)
def test_every_format_refuses_each_limit_it_runs_into(fmt, limit: str, tmp_path: Path) -> None:
    path = sample(fmt.name, tmp_path)
    assert read_file(path, IngestLimits()).lines  # readable under the defaults
    if limit == "max_stream_bytes":  # a flate bomb in a PDF stream
        path.write_bytes(flate_bomb(5_000_000))
        limits, expected = IngestLimits(max_stream_bytes=100_000), Refusal.UNPACKS_TOO_LARGE
    else:
        limits, expected = OVER[limit]
    with pytest.raises(IngestError) as refused:
        read_file(path, limits)
    assert refused.value.code == expected, refused.value


def test_the_table_names_every_suffix_once_with_a_media_type() -> None:
    suffixes = [suffix for fmt in FORMATS for suffix in fmt.suffixes]
    assert len(suffixes) == len(set(suffixes)) and {".pdf", ".docx", ".html", ".md", ".txt"} <= set(suffixes)
    assert all(fmt.media_type and "max_file_bytes" in fmt.limits for fmt in FORMATS)


def test_every_route_that_takes_a_file_has_the_upload_body_limit(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "missing", ui_enabled=False)
    app = create_app(settings)
    spec = app.openapi()
    takes_files = {
        path for path, operations in spec["paths"].items() for operation in operations.values()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }
    assert takes_files and takes_files <= UPLOAD_PATHS
    assert app.url_path_for("add_document_alias") == LIBRARY_UPLOAD_ALIAS  # the older path: same handler
    limits = Limits.from_settings(settings)
    for path in UPLOAD_PATHS:
        assert limits.body_limit(path) == settings.max_file_bytes + 64 * 1024 > 20_000_000  # a 20 MB plan fits
    assert limits.body_limit("/v1/ask") == settings.max_body_bytes


# --- heavy work -------------------------------------------------------------------------------------------------


def _api(corpus_index: Path, **settings) -> TestClient:
    return TestClient(create_app(Settings(index_dir=corpus_index, ui_enabled=False, **settings)))


def test_api_heavy_work_beyond_the_limit_gets_503_with_retry_after(corpus_index: Path) -> None:
    with _api(corpus_index, max_heavy_jobs=1, heavy_retry_after_seconds=7, heavy_wait_seconds=0.2) as client:
        with client.app.state.heavy.slot():  # one job running: the limit
            for path in ("/v1/match", "/v1/align", "/v1/align/docx"):
                body = {"text": DESCRIPTION}
                busy = client.post(path, json=body)
                assert busy.status_code == 503 and busy.headers["Retry-After"] == "7", busy.text
                assert busy.json()["error"]["code"] == "busy"
            assert client.post("/v1/ask", json={"question": "kollektivtrafik"}).status_code == 200  # not heavy
        assert client.post("/v1/match", json={"text": DESCRIPTION}).status_code == 200  # the slot is free again


def test_api_searches_past_the_waiting_bound_get_503_busy(corpus_index: Path) -> None:
    """While every query thread is taken and the wait is full, /v1/search and /v1/ask answer 503 busy at once
    (JSON error shape) instead of queueing without bound; once a thread is free they answer again."""
    with _api(corpus_index) as client:
        assert client.get("/v1/search", params={"q": "kollektivtrafik"}).status_code == 200  # sizes the threads
        queries = client.app.state.queries
        queries.max_waiting = 0
        threads = queries._limiter
        holders = [object() for _ in range(threads.total_tokens)]
        for holder in holders:  # every thread busy with another request
            client.portal.call(threads.acquire_on_behalf_of, holder)
        busy = [client.get("/v1/search", params={"q": "kollektivtrafik"}),
                client.post("/v1/ask", json={"question": "kollektivtrafik"})]
        for answer in busy:
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "busy" and "overloaded" in answer.json()["error"]["message"]
        for holder in holders:
            client.portal.call(threads.release_on_behalf_of, holder)
        assert client.post("/v1/ask", json={"question": "kollektivtrafik"}).status_code == 200


def test_api_heavy_work_stops_at_its_time_budget(corpus_index: Path) -> None:
    with _api(corpus_index, heavy_time_budget_seconds=0.0) as client:
        # four in turn with two slots: each slot is given back
        for path in ("/v1/match", "/v1/align", "/v1/align/docx", "/v1/match"):
            over = client.post(path, json={"text": DESCRIPTION})
            assert over.status_code == 503 and over.json()["error"]["code"] == "over_time_budget", over.text


@pytest.mark.slow
@pytest.mark.parametrize("serving", ["with the API", "alone"])
def test_gradio_uploads_stop_when_the_upload_space_is_full(
    serving: str, corpus_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gradio keeps uploaded files for an hour or two; past ui_upload_space_bytes in its folder the next upload gets
    507 with the JSON error shape instead of filling the disk, and uploads work again once space is free. A body
    over the UI's body limit gets 413 before Gradio reads it. Both as `rus serve` mounts the UI and as `python -m ui`
    serves it alone."""
    import shutil

    from ui.app import standalone_app
    from ui.limits import ui_body_limit

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    settings = Settings(index_dir=corpus_index, ui_upload_space_bytes=3_500, ui_max_upload_bytes=10_000)
    app = create_app(settings) if serving == "with the API" else standalone_app(settings)
    with TestClient(app) as client:
        too_large = client.post("/ui/gradio_api/queue/join", content=b"x" * (ui_body_limit(settings) + 1))
        assert too_large.status_code == 413, too_large.text
        assert too_large.json()["error"]["code"] == "input_too_long"

        def upload(name: str):
            return client.post("/ui/gradio_api/upload", files={"files": (name, b"x" * 2_000, "text/plain")})

        first = upload("first.txt")
        assert first.status_code == 200, first.text
        assert Path(first.json()[0]).is_relative_to(tmp_path / "gradio")  # Gradio's folder is the one counted
        full = upload("second.txt")
        assert full.status_code == 507, full.text
        error = full.json()["error"]
        assert error["code"] == "upload_space_full" and "of 3 kB in use" in error["message"]
        assert "try again later" in error["message"]
        shutil.rmtree(tmp_path / "gradio")  # what Gradio's delete_cache does after an hour
        assert upload("third.txt").status_code == 200


def test_ui_heavy_work_is_queued_by_gradio_and_bounded(corpus_index: Path, tmp_path: Path) -> None:
    from ui.app import RusUI
    from ui.context import UIContext

    settings = Settings(index_dir=corpus_index, eval_reports_dir=tmp_path, max_heavy_jobs=1,
                        heavy_time_budget_seconds=0.2)
    holder = IndexHolder(corpus_index)
    holder.load()
    ui = RusUI(UIContext(holder, settings))
    demo = ui.build()
    heavy = [fn for fn in demo.fns.values() if fn.name in ("on_match", "on_align")]
    assert len(heavy) >= 3 and {(fn.concurrency_limit, fn.concurrency_id) for fn in heavy} == {(1, "heavy")}
    with ui.heavy.slot():  # an API job holds the only slot longer than the UI waits for it
        assert "Försök igen om 5 sekunder" in ui.on_match(DESCRIPTION, 3, "sv")
        html, download, _ = ui.on_align(DESCRIPTION, None, "en")
        assert "Try again in 5 seconds" in html and download["visible"] is False
    ui.heavy.budget_seconds = 0.0
    assert "took longer than its 0 seconds" in ui.on_align(DESCRIPTION, None, "en")[0]


def test_a_file_that_cannot_be_opened_is_a_refusal_not_a_crash(tmp_path: Path, monkeypatch) -> None:
    """A file the program may not read (permissions) is refused with its own code, so that a folder build skips it
    as it skips a damaged file, and `rus docs add` says why instead of printing a traceback."""
    locked = tmp_path / "plan.txt"
    locked.write_text("Ett stycke text om kollektivtrafik i inlandet.", encoding="utf-8")
    real_open = Path.open

    def denied(self: Path, *args, **kwargs):
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)  # chmod 000 does not stop root, which runs the tests here
    with pytest.raises(IngestError, match=r"plan\.txt: the file cannot be opened \(Permission denied\)") as refused:
        read_file(locked, IngestLimits())
    assert refused.value.code == Refusal.UNREADABLE
