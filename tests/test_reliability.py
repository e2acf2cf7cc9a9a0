"""Index reliability: damaged builds are refused with a clear message (503 from the API, an error from the CLI),
and a running server hot-swaps to a new build under load without a single failed request."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from live_server import small_corpus

from bench.server import running
from index.build import build_index
from index.embedders import get_embedder
from index.search import SearchIndex
from index.store import CURRENT, IndexDamaged, IndexProblem, current_build, load_build
from service.api.app import create_app
from service.cli.main import main
from service.settings import Settings
from service.state import Corpus, IndexHolder, ServiceEmbedder

API_KEY = "test-key-0123456789"


@pytest.fixture(scope="module")
def embedder() -> ServiceEmbedder:
    return ServiceEmbedder(get_embedder())


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_corpus(tmp_path_factory.mktemp("rel-docs"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, docs: Path, embedder: ServiceEmbedder) -> Path:
    index_dir = tmp_path_factory.mktemp("rel-index")
    build_index([docs], index_dir, embedder=embedder, progress=False)
    return index_dir


def _copy(index_dir: Path, target: Path) -> Path:
    shutil.copytree(index_dir, target, symlinks=True)
    return target


def _flip(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path, keep: float = 0.5) -> None:
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])


def _manifest_edit(build: Path, edit) -> None:
    manifest = json.loads((build / "manifest.json").read_text())
    edit(manifest)
    (build / "manifest.json").write_text(json.dumps(manifest))


DAMAGE = {
    "flip chunks.jsonl": (lambda b: _flip(b / "chunks.jsonl"), "chunks.jsonl"),
    "flip vectors.npy": (lambda b: _flip(b / "vectors.npy", 0.9), "vectors.npy"),
    "flip faiss.index": (lambda b: _flip(b / "faiss.index", 0.7), "faiss.index"),
    "flip sentence_vectors.npy": (lambda b: _flip(b / "sentence_vectors.npy", 0.8), "sentence_vectors.npy"),
    "flip sentence_spans.npy": (lambda b: _flip(b / "sentence_spans.npy", 0.9), "sentence_spans.npy"),
    "flip bm25 vocab": (lambda b: _flip(b / "bm25" / "vocab.index.json", 0.5), "vocab.index.json"),
    "flip sections.json": (lambda b: _flip(b / "sections.json", 0.5), "sections.json"),
    "truncate vectors.npy": (lambda b: _truncate(b / "vectors.npy"), "vectors.npy"),
    "empty faiss.index": (lambda b: _truncate(b / "faiss.index", 0), "faiss.index"),
    "delete faiss.index": (lambda b: (b / "faiss.index").unlink(), "missing file faiss.index"),
    "delete bm25 file": (lambda b: (b / "bm25" / "params.index.json").unlink(), "missing file bm25/params.index.json"),
    "truncate manifest": (lambda b: _truncate(b / "manifest.json", 0.6), "manifest unreadable"),
    "manifest without checksums": (lambda b: _manifest_edit(b, lambda m: m.pop("checksums")), "no checksums"),
    "manifest format version": (lambda b: _manifest_edit(b, lambda m: m.update(format_version=99)), "format version"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_index_is_refused_everywhere(case: str, pristine: Path, tmp_path: Path, embedder) -> None:
    index_dir = _copy(pristine, tmp_path / "index")
    damage, expected = DAMAGE[case]
    damage(current_build(index_dir))

    with pytest.raises(IndexDamaged) as caught:
        load_build(index_dir)
    message = str(caught.value)
    assert "damaged" in message and expected in message and "rus index build" in message, message

    holder = IndexHolder(index_dir, embedder)
    with TestClient(create_app(Settings(index_dir=index_dir), holder)) as client:
        assert client.get("/healthz").status_code == 200
        for response in (client.get("/readyz"), client.get("/v1/search", params={"q": "kollektivtrafik"})):
            assert response.status_code == 503, response.text
            error = response.json()["error"]
            assert error["code"] == "index_unavailable" and "damaged" in error["message"], error
            assert expected in error["message"]


def test_cli_refuses_a_damaged_index(pristine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index_dir = _copy(pristine, tmp_path / "index")
    _flip(current_build(index_dir) / "vectors.npy", 0.9)
    assert main(["search", "kollektivtrafik", "--index-dir", str(index_dir)]) == 1
    err = capsys.readouterr().err
    assert "damaged" in err and "checksum mismatch in vectors.npy" in err, err


def test_dangling_current_link_means_no_index(pristine: Path, tmp_path: Path, embedder) -> None:
    index_dir = _copy(pristine, tmp_path / "index")
    shutil.rmtree(current_build(index_dir))
    with pytest.raises(IndexProblem, match="no index"):
        load_build(index_dir)
    with TestClient(create_app(Settings(index_dir=index_dir), IndexHolder(index_dir, embedder))) as client:
        response = client.get("/v1/search", params={"q": "x"})
        assert response.status_code == 503 and "rus index build" in response.json()["error"]["message"]


def test_running_server_keeps_serving_when_the_next_build_is_damaged(
    pristine: Path, docs: Path, tmp_path: Path, embedder
) -> None:
    index_dir = _copy(pristine, tmp_path / "index")
    holder = IndexHolder(index_dir, embedder, check_interval=0)
    with TestClient(create_app(Settings(index_dir=index_dir), holder)) as client:
        first = client.get("/readyz").json()["build"]
        # a second build of the same corpus, then damaged on disk after the switch
        extra = small_corpus(tmp_path / "docs2", extra_text="Ett nytt dokument om vätgas och elektrifiering.\n")
        shutil.copy(docs / "strategi.pdf", extra / "strategi.pdf")
        new_build = build_index([extra], index_dir, embedder=embedder, progress=False).build_dir
        _flip(new_build / "chunks.jsonl")
        for _ in range(5):
            response = client.get("/v1/search", params={"q": "kollektivtrafik i inlandet", "k": 3})
            assert response.status_code == 200 and response.json()["hits"]
            holder.wait_for_reload(30)
        assert client.get("/readyz").json()["build"] == first
        assert holder.error and "checksum mismatch in chunks.jsonl" in holder.error
        # a good build after the damaged one is picked up
        good = build_index([extra], index_dir, embedder=embedder, progress=False).build_dir
        client.get("/v1/search", params={"q": "vätgas"})
        holder.wait_for_reload(60)
        assert client.get("/readyz").json()["build"] == good.name
        assert holder.error is None and holder.swaps == 1


def test_loading_is_pinned_to_one_build(pristine: Path, tmp_path: Path) -> None:
    """A switch of `current` while a build is being loaded cannot mix the files of two builds."""
    index_dir = _copy(pristine, tmp_path / "index")
    build = current_build(index_dir)
    other = index_dir / "builds" / "other"
    shutil.copytree(build, other)
    _flip(other / "vectors.npy", 0.9)
    (index_dir / "tmp-link").symlink_to(Path("builds") / "other")
    (index_dir / "tmp-link").replace(index_dir / CURRENT)
    stored = load_build(index_dir, build=build)  # the pinned build loads even though `current` moved on
    assert stored.path == build


# --- hot swap under load on a real server ----------------------------------------------------------------------


class Hammer:
    """Threads sending /v1/search until stopped; every non-200 or transport error is recorded."""

    QUERIES = ("kollektivtrafik i inlandet", "laddstolpar", "digital omställning", "innovation", "transporter")

    def __init__(self, base: str, threads: int = 6) -> None:
        self.base = base
        self.stop = threading.Event()
        self.ok = 0
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def _run(self, number: int) -> None:
        with httpx.Client(base_url=self.base, timeout=120) as client:
            i = number
            while not self.stop.is_set():
                query = self.QUERIES[i % len(self.QUERIES)]
                i += 1
                try:
                    response = client.get("/v1/search", params={"q": query, "k": 3})
                    good = response.status_code == 200 and bool(response.json()["hits"])
                    detail = f"{response.status_code} {response.text[:200]}"
                except Exception as exc:
                    good, detail = False, repr(exc)
                with self._lock:
                    if good:
                        self.ok += 1
                    else:
                        self.failures.append(detail)

    def __enter__(self) -> Hammer:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(180)


def _wait_for_build(base: str, not_build: str, timeout: float = 240) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        build = httpx.get(base + "/readyz", timeout=60).json()["build"]
        if build != not_build:
            return build
        time.sleep(0.25)
    raise AssertionError(f"the server still serves {not_build}")


@pytest.mark.slow
def test_hot_swap_under_load_loses_no_request(pristine: Path, docs: Path, tmp_path: Path) -> None:
    index_dir = _copy(pristine, tmp_path / "index")
    corpus = small_corpus(tmp_path / "corpus")
    shutil.copy(docs / "strategi.pdf", corpus / "strategi.pdf")
    uploads = tmp_path / "uploads"
    env = {
        "RUS_API_KEY": API_KEY,
        "RUS_CORPUS": json.dumps([str(corpus)]),
        "RUS_CORPUS_DIR": str(uploads),
    }
    with running(index_dir, tmp_path / "server.log", env) as server:
        builds = [httpx.get(server.base + "/readyz", timeout=30).json()["build"]]
        with Hammer(server.base) as hammer:
            time.sleep(2)
            # 1. a rebuild from the command line, while the server is under load
            (corpus / "extra.txt").write_text("Vätgas och elektrifiering av tunga transporter i länet.\n")
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "service.cli",
                    "index",
                    "build",
                    str(corpus),
                    "--index-dir",
                    str(index_dir),
                    "--quiet",
                ],
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr
            builds.append(_wait_for_build(server.base, builds[-1]))
            # 2. a library addition (the older upload path) and a rebuild through the API, still under load
            headers = {"X-API-Key": API_KEY}
            upload = httpx.post(
                server.base + "/v1/documents",
                headers=headers,
                files={"file": ("skog.txt", "Skogsnäringen och bioekonomin i Västerbotten.\n".encode(), "text/plain")},
                timeout=120,
            )
            assert upload.status_code == 201, upload.text
            started = httpx.post(server.base + "/v1/index/rebuild", headers=headers, timeout=30)
            assert started.status_code == 202 and started.json()["state"] == "running", started.text
            again = httpx.post(server.base + "/v1/index/rebuild", headers=headers, timeout=30)
            assert again.status_code in (202, 409)
            deadline = time.monotonic() + 300
            while True:
                status = httpx.get(server.base + "/v1/index/rebuild", headers=headers, timeout=30).json()
                if status["state"] != "running":
                    break
                assert time.monotonic() < deadline, status
                time.sleep(0.5)
            assert status["state"] == "succeeded", status
            builds.append(_wait_for_build(server.base, builds[-1]))
            time.sleep(2)
        assert server.alive()
        print(f"\nhot swap under load: {hammer.ok} searches, {len(hammer.failures)} failed, builds {builds}")
        assert hammer.failures == [], hammer.failures[:5]
        assert hammer.ok > 20
        assert len(set(builds)) == 3
        hits = httpx.get(server.base + "/v1/search", params={"q": "skogsnäringen bioekonomi", "k": 3}, timeout=60)
        assert any("Skogsnäringen" in hit["text"] for hit in hits.json()["hits"])


def test_open_index_reuses_a_service_embedder(pristine: Path, embedder) -> None:
    corpus = Corpus.open(pristine, embedder)
    assert corpus.embedder is embedder
    assert SearchIndex.open(pristine, embedder).search("laddstolpar", k=2)
