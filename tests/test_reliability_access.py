"""Access: read endpoints are open, state-changing ones need the API key (constant-time check) and are off without
one; an upload goes into the library through its one route (the older POST /v1/documents is an alias of it) with
the upload body limit on both paths; CORS is off unless configured."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from live_server import small_corpus, tree_digest

from index.build import build_index
from index.embedders import get_embedder
from service.api import admin
from service.api.app import create_app
from service.settings import Settings
from service.state import IndexHolder, ServiceEmbedder

KEY = "access-test-key"
TEXT = "Skogsnäringen och bioekonomin\n\nRegionen vill utveckla skogsnäringen i hela länet.\n".encode()


@pytest.fixture(scope="module")
def embedder() -> ServiceEmbedder:
    return ServiceEmbedder(get_embedder())


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    docs = small_corpus(tmp_path_factory.mktemp("access-docs"))
    target = tmp_path_factory.mktemp("access-index")
    build_index([docs], target, embedder=embedder, progress=False)
    return target


def _own_copy(index_dir: Path, tmp_path: Path) -> Path:
    """A copy of the module's index for a test that changes its library."""
    own = tmp_path / "index"
    shutil.copytree(index_dir, own, symlinks=True)
    return own


def _client(index_dir: Path, embedder, tmp_path: Path, **settings) -> TestClient:
    config = Settings(index_dir=index_dir, corpus_dir=tmp_path / "corpus", corpus=[], **settings)
    return TestClient(create_app(config, IndexHolder(index_dir, embedder)))


def test_without_a_configured_key_state_changes_are_off(index_dir: Path, embedder, tmp_path: Path) -> None:
    with _client(index_dir, embedder, tmp_path) as client:
        assert client.get("/v1/search", params={"q": "skog"}).status_code == 200  # reads stay open
        for response in (
            client.post("/v1/documents", files={"file": ("a.txt", TEXT)}, headers={"X-API-Key": "anything"}),
            client.post("/v1/index/rebuild", headers={"X-API-Key": ""}),
            client.get("/v1/index/rebuild"),
        ):
            assert response.status_code == 403, response.text
            error = response.json()["error"]
            assert error["code"] == "admin_disabled" and "RUS_API_KEY" in error["message"]
    assert not (tmp_path / "corpus").exists()


def test_key_is_required_and_compared_in_constant_time(
    index_dir: Path, embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = admin.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(admin.hmac, "compare_digest", spy)
    with _client(_own_copy(index_dir, tmp_path), embedder, tmp_path, api_key=KEY) as client:
        for path in ("/v1/documents/library", "/v1/documents"):
            for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY + " "}, {"X-API-Key": KEY[:-1]}):
                response = client.post(path, files={"file": ("a.txt", TEXT)}, headers=headers)
                assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
        assert compared and all(b == KEY.encode() for _, b in compared)
        ok = client.post("/v1/documents", files={"file": ("Skog & bioekonomi.TXT", TEXT)}, headers={"X-API-Key": KEY})
        assert ok.status_code == 201, ok.text
        assert ok.json()["title"] == "Skogsnäringen och bioekonomin"  # the document's first line, not its file name
        assert ok.json()["original_name"] == "Skog & bioekonomi.TXT"
        listed = [d["doc_id"] for d in client.get("/v1/documents").json()["documents"]]
        assert ok.json()["doc_id"] in listed  # the alias added it to the library, served at once
    assert not (tmp_path / "corpus").exists()  # nothing is stored beside the index


def test_an_upload_is_served_at_once_and_kept_by_a_rebuild(index_dir: Path, embedder, tmp_path: Path) -> None:
    own_index = _own_copy(index_dir, tmp_path)
    docs = small_corpus(tmp_path / "docs")
    config = Settings(index_dir=own_index, corpus_dir=tmp_path / "corpus", corpus=[docs], api_key=KEY)
    holder = IndexHolder(own_index, embedder)
    with TestClient(create_app(config, holder)) as client:
        headers = {"X-API-Key": KEY}
        response = client.post("/v1/documents", files={"file": ("skog.txt", TEXT)}, headers=headers)
        assert response.status_code == 201, response.text
        first = client.get("/readyz").json()["build"]
        hits = client.get("/v1/search", params={"q": "skogsnäringen bioekonomin", "k": 3}).json()["hits"]
        assert any("skogsnäringen" in hit["text"] for hit in hits)
        assert client.post("/v1/index/rebuild", headers=headers).status_code == 202
        client.app.state.rebuild_job.wait(600)
        status = client.get("/v1/index/rebuild", headers=headers).json()
        assert status["state"] == "succeeded", status
        assert status["build"] != first and status["swaps"] == 2  # the library addition, then the rebuild
        hits = client.get("/v1/search", params={"q": "skogsnäringen bioekonomin", "k": 3}).json()["hits"]
        assert any("skogsnäringen" in hit["text"] for hit in hits)


def test_cors_is_off_by_default_and_configurable(index_dir: Path, embedder, tmp_path: Path) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    with _client(index_dir, embedder, tmp_path) as client:
        response = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-origin" not in client.options("/v1/search", headers=preflight).headers
    allowed = "https://intranet.regionvasterbotten.se"
    with _client(index_dir, embedder, tmp_path, cors_origins=[allowed]) as client:
        response = client.get("/healthz", headers={"Origin": allowed})
        assert response.headers["access-control-allow-origin"] == allowed
        assert (
            "access-control-allow-origin"
            not in client.get("/healthz", headers={"Origin": "https://evil.example"}).headers
        )
        ok = client.options("/v1/search", headers={**preflight, "Origin": allowed})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == allowed


def test_upload_body_limit_is_the_file_limit_on_every_upload_route(index_dir: Path, embedder, tmp_path: Path) -> None:
    before = tree_digest(index_dir)
    with _client(index_dir, embedder, tmp_path, api_key=KEY, max_file_bytes=10_000) as client:
        for path in ("/v1/documents/library", "/v1/documents"):
            big = client.post(path, files={"file": ("a.txt", b"a " * 60_000)}, headers={"X-API-Key": KEY})
            assert big.status_code == 413 and big.json()["error"]["code"] == "input_too_long", path
            near = client.post(path, files={"file": ("a.txt", b"ord " * 2_600)}, headers={"X-API-Key": KEY})
            assert near.status_code == 413 and "10,000 bytes" in near.json()["error"]["message"], path
            assert near.json()["error"]["refusal"] == "too_large"
        # the JSON endpoints keep their own, smaller limit
        assert client.post("/v1/ask", json={"question": "x" * 70_000}).status_code == 413
    after = tree_digest(index_dir)
    after.pop(".library-incoming", None)  # the (empty) folder refused uploads were copied into
    assert after == before


def test_the_default_upload_limit_fits_a_real_plan(index_dir: Path, embedder, tmp_path: Path) -> None:
    """The README's route for plans takes a plan-sized body (the default file limit is 50 MB): a 248 KB strategy
    PDF and a 5 MB body are not refused for their size."""
    settings = Settings(index_dir=index_dir)
    assert settings.max_file_bytes == 50_000_000
    with _client(index_dir, embedder, tmp_path, api_key=KEY) as client:
        response = client.post("/v1/documents/library", files={"file": ("plan.txt", b"\x00" * 5_000_000)},
                               headers={"X-API-Key": KEY})
        assert response.status_code == 422 and response.json()["error"]["refusal"] == "not_text", response.text


def test_upload_check_uses_the_servers_limits(index_dir: Path, embedder, tmp_path: Path) -> None:
    """Limits set on the app's Settings (not the environment) reach the child that reads the upload."""
    from pdf_factory import _simple_pdf_bytes

    pdf = _simple_pdf_bytes([[f"Sida {n} med lite text om regionen."] for n in range(5)], "Fem sidor")
    with _client(index_dir, embedder, tmp_path, api_key=KEY, max_pdf_pages=3) as client:
        response = client.post("/v1/documents/library", files={"file": ("fem.pdf", pdf)}, headers={"X-API-Key": KEY})
        assert response.status_code == 422, response.text
        assert "the PDF has 5 pages; the limit is 3 pages" in response.json()["error"]["message"]
        assert response.json()["error"]["refusal"] == "too_many_pages"
