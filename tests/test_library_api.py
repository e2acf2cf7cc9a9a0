"""The document library through the API: list, add and remove (API key), original files, kind/doc filters, and
(sub-)priority questions answered from the strategy with the plans' passages as related."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from plan_factory import CORPUS_DIR

from index.embedders import get_embedder
from service.api.app import create_app
from service.settings import Settings
from service.state import IndexHolder, ServiceEmbedder

KEY = "library-test-key"
REINDEER = "Which sub-priority covers safe reindeer passages along the E12?"
AGENDA = (
    "# Digital agenda för Testlänet\n\nTestdokument – fiktiv agenda.\n\n## 1. Fiber\n\n"
    "Alla byar i Testlänet ska ha fiber med minst en gigabit per sekund senast år 2027.\n"
).encode()


@pytest.fixture(scope="module")
def embedder() -> ServiceEmbedder:
    return ServiceEmbedder(get_embedder())


def _client(index_dir: Path, embedder, tmp_path: Path, **settings) -> TestClient:
    config = Settings(index_dir=index_dir, corpus_dir=tmp_path / "corpus", corpus=[], ui_enabled=False, **settings)
    return TestClient(create_app(config, IndexHolder(index_dir, embedder)))


@pytest.fixture(scope="module")
def reader(plan_library: Path, embedder, tmp_path_factory: pytest.TempPathFactory):
    """A client on the shared library index (read-only use)."""
    with _client(plan_library, embedder, tmp_path_factory.mktemp("reader")) as client:
        yield client


@pytest.fixture
def writer(plan_library: Path, embedder, tmp_path: Path):
    """A client with the API key on a copy of the library index (tests may change it)."""
    index_dir = Path(shutil.copytree(plan_library, tmp_path / "index", symlinks=True))
    with _client(index_dir, embedder, tmp_path, api_key=KEY) as client:
        yield client


def _error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    if field is not None:
        assert error.get("field") == field, error
    return error


def test_documents_are_listed_with_title_kind_year_pages_and_chunks(reader) -> None:
    listing = {d["doc_id"]: d for d in reader.get("/v1/documents").json()["documents"]}
    assert list(listing) == ["strategi", "lanstransportplan", "kulturplan"]
    transport = listing["lanstransportplan"]
    assert (transport["title"], transport["kind"], transport["year"], transport["n_pages"]) == (
        "Länstransportplan för Testlänet 2022–2033", "plan", 2022, 3)
    assert transport["n_chunks"] > 0 and transport["file_url"] == "/v1/documents/lanstransportplan/file"
    assert (listing["kulturplan"]["kind"], listing["kulturplan"]["year"]) == ("program", None)
    assert listing["strategi"]["kind"] == "strategi" and listing["strategi"]["n_pages"] == 6


def test_the_original_file_is_served_with_its_type(reader, plan_library: Path) -> None:
    pdf = reader.get("/v1/documents/lanstransportplan/file")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-disposition"].startswith("inline")
    text = reader.get("/v1/documents/kulturplan/file")
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.content == (CORPUS_DIR / "kulturplan.txt").read_bytes()
    assert text.headers["content-security-policy"] == "sandbox"  # an uploaded HTML/text file cannot run scripts
    error = _error(reader.get("/v1/documents/finns-inte/file"), 404, "not_found", "doc_id")
    assert "lanstransportplan" in error["message"]


def test_a_range_of_the_file_is_served_and_a_bad_range_gets_a_json_error(reader) -> None:
    url = "/v1/documents/kulturplan/file"
    whole = reader.get(url).content
    part = reader.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == whole[:10]
    error = _error(reader.get(url, headers={"Range": "bytes=nine-ten"}), 400, "invalid_range", "Range")
    assert "cannot be read" in error["message"]
    outside = reader.get(url, headers={"Range": f"bytes={len(whole) + 10}-"})
    error = _error(outside, 416, "range_not_satisfiable", "Range")
    assert f"which has {len(whole)} bytes" in error["message"]
    assert outside.headers["content-range"] == f"bytes */{len(whole)}"


def test_every_hit_names_its_document_and_page(reader) -> None:
    hits = reader.get("/v1/search", params={"q": "säkra passager för renar längs E12", "k": 5}).json()["hits"]
    top = hits[0]
    assert (top["doc_id"], top["doc_kind"], top["doc_year"]) == ("lanstransportplan", "plan", 2022)
    assert top["doc_title"] == "Länstransportplan för Testlänet 2022–2033" and top["page_start"] == 2
    assert all(h["doc_title"] and h["doc_kind"] and h["page_start"] for h in hits if h["doc_id"] != "kulturplan")


def test_kind_and_doc_filters(reader) -> None:
    query = {"q": "renar och trafiksäkerhet", "k": 8}
    plans = reader.get("/v1/search", params={**query, "kind": "plan"}).json()["hits"]
    assert plans and {h["doc_kind"] for h in plans} == {"plan"}
    strategy = reader.get("/v1/search", params={**query, "kind": "strategi"}).json()["hits"]
    assert strategy and {h["doc_id"] for h in strategy} == {"strategi"}
    one = reader.get("/v1/search", params={**query, "doc": "kulturplan"}).json()["hits"]
    assert one and {h["doc_id"] for h in one} == {"kulturplan"}
    _error(reader.get("/v1/search", params={**query, "kind": "roman"}), 422, "invalid_input", "kind")

    asked = reader.post("/v1/ask", json={"question": "Hur många passager för renar anläggs?", "kind": "plan"}).json()
    assert asked["citations"] and {c["doc_kind"] for c in asked["citations"]} == {"plan"}
    _error(reader.post("/v1/ask", json={"question": "renar", "kind": "roman"}), 422, "invalid_input", "kind")
    text = {"text": "Vi bygger säkra passager för renar mellan betesområdena."}
    assert reader.post("/v1/match", json=text).json()["matches"][0]["subpriority"]["section_id"] == "1.1"
    # plans have no sub-priorities: a match limited to them has nothing to rank, and says so
    _error(reader.post("/v1/match", json={**text, "kind": "plan"}), 422, "invalid_input", "kind")
    error = _error(reader.post("/v1/match", json={**text, "doc": "kulturplan"}), 422, "invalid_input", "doc")
    assert "no sub-priorities" in error["message"]
    # a filter naming a document, section or priority the index does not have is an error, not an empty result
    error = _error(reader.get("/v1/search", params={**query, "doc": "kulturplann"}), 422, "invalid_input", "doc")
    assert "kulturplan" in error["message"]  # the documents there are are listed
    _error(reader.post("/v1/ask", json={"question": "renar", "doc": "kulturplann"}), 422, "invalid_input", "doc")
    _error(reader.post("/v1/match", json={**text, "doc": "kulturplann"}), 422, "invalid_input", "doc")
    section = reader.get("/v1/search", params={**query, "doc": "kulturplan", "section": "1.1"})
    _error(section, 422, "invalid_input", "section")  # 1.1 is the strategy's, not the plan's
    assert reader.get("/v1/search", params={**query, "doc": "strategi", "section": "1.1"}).json()["hits"]


def test_a_subpriority_question_is_answered_from_the_strategy_with_the_plan_as_related(reader) -> None:
    whole = reader.get("/v1/search", params={"q": REINDEER, "k": 1}).json()["hits"][0]
    assert whole["doc_id"] == "lanstransportplan"  # over the whole library the plan's E12 section ranks first …
    answer = reader.post("/v1/ask", json={"question": REINDEER}).json()
    assert answer["answer_type"] == "subpriority" and answer["subpriority"]["section_id"] == "1.1"  # … not here
    assert answer["citations"] and {c["doc_id"] for c in answer["citations"]} == {"strategi"}
    assert "renar" in answer["citations"][0]["passage"] and answer["citations"][0]["page_start"] == 4
    related = answer["related"]
    assert related and {c["doc_kind"] for c in related} == {"plan"}
    assert related[0]["section_id"].startswith("lanstransportplan#3.1") and related[0]["page_start"] == 2


def test_library_writes_need_the_api_key(plan_library: Path, embedder, tmp_path: Path) -> None:
    index_dir = Path(shutil.copytree(plan_library, tmp_path / "index", symlinks=True))
    before = sorted(p.name for p in (index_dir / "builds").iterdir())
    with _client(index_dir, embedder, tmp_path / "off") as client:
        response = client.post("/v1/documents/library", files={"file": ("agenda.md", AGENDA)},
                               headers={"X-API-Key": "anything"})
        _error(response, 403, "admin_disabled")
        _error(client.delete("/v1/documents/kulturplan", headers={"X-API-Key": "anything"}), 403, "admin_disabled")
    with _client(index_dir, embedder, tmp_path / "on", api_key=KEY) as client:
        for headers in ({}, {"X-API-Key": "wrong"}):
            response = client.post("/v1/documents/library", files={"file": ("agenda.md", AGENDA)}, headers=headers)
            _error(response, 401, "unauthorized")
            _error(client.delete("/v1/documents/kulturplan", headers=headers), 401, "unauthorized")
        assert len(client.get("/v1/documents").json()["documents"]) == 3
    assert sorted(p.name for p in (index_dir / "builds").iterdir()) == before  # nothing was written


def test_add_then_remove_through_the_api(writer) -> None:
    headers = {"X-API-Key": KEY}
    query = {"q": "fiber gigabit till alla byar", "k": 3}
    added = writer.post(
        "/v1/documents/library",
        files={"file": ("digital-agenda.md", AGENDA)},
        data={"kind": "agenda", "year": "2023", "title": "Digital agenda 2023"},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    document = added.json()
    assert (document["doc_id"], document["title"], document["kind"], document["year"]) == (
        "digital-agenda", "Digital agenda 2023", "agenda", 2023)
    assert document["n_chunks"] >= 1 and document["original_name"] == "digital-agenda.md"
    top = writer.get("/v1/search", params=query).json()["hits"][0]  # served at once: no restart, no rebuild
    assert (top["doc_id"], top["doc_kind"], top["doc_year"]) == ("digital-agenda", "agenda", 2023)
    assert writer.get("/v1/documents/digital-agenda/file").content == AGENDA

    removed = writer.delete("/v1/documents/digital-agenda", headers=headers)
    assert removed.status_code == 200, removed.text
    assert [d["doc_id"] for d in removed.json()["documents"]] == ["strategi", "lanstransportplan", "kulturplan"]
    hits = writer.get("/v1/search", params=query).json()["hits"]
    assert all(h["doc_id"] != "digital-agenda" for h in hits)  # a removed document is no longer found
    _error(writer.get("/v1/documents/digital-agenda/file"), 404, "not_found")
    _error(writer.delete("/v1/documents/digital-agenda", headers=headers), 404, "not_found", "doc_id")


def test_bad_library_requests_are_specific_4xx(writer, tmp_path: Path) -> None:
    headers = {"X-API-Key": KEY}

    def add(name: str, body: bytes, **form: str):
        return writer.post("/v1/documents/library", files={"file": (name, body)}, data=form, headers=headers)

    builds = writer.get("/readyz").json()["build"]
    _error(add("agenda.md", AGENDA, kind="roman"), 422, "invalid_input", "kind")
    _error(add("agenda.md", AGENDA, year="tjugo"), 422, "invalid_input", "year")
    _error(add("agenda.md", AGENDA, year="30"), 422, "invalid_input", "year")
    _error(add("budget.xlsx", b"PK\x03\x04"), 415, "unsupported_type", "file")
    _error(add("tom.md", b""), 422, "invalid_input", "file")
    _error(add("skadad.pdf", b"%PDF-1.4 inte en riktig pdf"), 422, "unreadable_document", "file")
    duplicate = _error(add("kopia.txt", (CORPUS_DIR / "kulturplan.txt").read_bytes()), 409, "conflict", "file")
    assert "already in the library as 'kulturplan'" in duplicate["message"]
    _error(writer.delete("/v1/documents/finns-inte", headers=headers), 404, "not_found", "doc_id")
    only = _error(writer.delete("/v1/documents/strategi", headers=headers), 409, "conflict", "doc_id")
    assert "only strategy" in only["message"]  # the plans stay, but what answers the questions cannot go
    _error(add("agenda.md", AGENDA, title="Agenda\x00"), 422, "invalid_input", "title")
    _error(add("agenda.md", AGENDA, title="A" * 301), 413, "input_too_long", "title")
    assert writer.get("/readyz").json()["build"] == builds  # no request changed the index
    assert not any((Path(writer.app.state.settings.index_dir) / ".library-incoming").iterdir())
