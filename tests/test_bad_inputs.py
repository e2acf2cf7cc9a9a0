"""Hostile and broken input, end to end: every case gets a clear 4xx (API) or a non-zero exit with a message (CLI),
the server stays up, its memory stays bounded, and no refused input changes anything on disk (the index is hashed
before and after; the odd-but-valid documents are added to the library and removed again).
The hostile documents go through every way a file comes in: the library route (POST /v1/documents/library and
its alias POST /v1/documents), `rus index build` and `rus docs add`; the UI's alignment upload has its own
browser test (tests/test_ui_bombs_browser.py).

The documents come from tests/hostile.py (generated here, nothing downloaded); the limits are lowered through the
environment (hostile.TEST_LIMITS) so that "huge" inputs stay cheap. Run with -s for the table of answers by class.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from hostile import SWEDISH, TEST_LIMITS, hostile_files, padded_pdf
from live_server import REPO_ROOT, small_corpus, tree_digest

from bench.server import running
from index.build import build_index
from service.cli.main import main

pytestmark = pytest.mark.slow

KEY = "bad-inputs-key"
MIXED_SCRIPTS = "Regionen ᚱᚢᚾ Рег ион منطقة 地域 🚌🦌 \u202eevil\u202c z\u200dw\u200cj ﬁ Å\u030a"
RESULTS: dict[str, list[tuple[str, int | str]]] = defaultdict(list)


@dataclass
class Env:
    root: Path
    index_dir: Path
    corpus_dir: Path
    files: dict[str, tuple[Path, str]]

    def incoming(self) -> list[Path]:
        """Files left where the library copies uploads while reading them (none, once a request is answered)."""
        return [p for p in (self.index_dir / ".library-incoming").rglob("*") if p.is_file()]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    root = tmp_path_factory.mktemp("bad-inputs")
    docs = small_corpus(root / "docs")
    index_dir = root / "index"
    build_index([docs], index_dir, progress=False)
    corpus_dir = root / "uploads"
    corpus_dir.mkdir()
    return Env(root, index_dir, corpus_dir, hostile_files(root / "hostile"))


@pytest.fixture(scope="module")
def server(env: Env):
    settings_env = {
        **TEST_LIMITS,
        "RUS_API_KEY": KEY,
        "RUS_CORPUS_DIR": str(env.corpus_dir),
        "RUS_CORPUS": json.dumps([str(env.root / "docs")]),
    }
    with running(env.index_dir, env.root / "server.log", settings_env) as live:
        yield live


@pytest.fixture(scope="module")
def baseline(env: Env, server) -> dict:
    with httpx.Client(base_url=server.base, timeout=120) as client:  # warm up every endpoint once
        client.get("/v1/search", params={"q": "kollektivtrafik"})
        client.post("/v1/ask", json={"question": "Vad gäller för kollektivtrafiken?"})
        client.post("/v1/match", json={"text": "Vi vill bygga laddstolpar längs vägarna."})
        documents = sorted(d["doc_id"] for d in client.get("/v1/documents").json()["documents"])
    return {"rss": psutil.Process(server.pid).memory_info().rss, "documents": documents}


@pytest.fixture(scope="module")
def http(server) -> httpx.Client:
    with httpx.Client(base_url=server.base, timeout=120) as client:
        yield client


def raw_request(base: str, data: bytes) -> tuple[int, bytes]:
    """Send bytes as they are (for requests httpx refuses to build); return (status, body)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def multipart(filename: bytes, content: bytes, key: str = KEY) -> bytes:
    body = (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + content
        + b"\r\n--BOUNDARY--\r\n"
    )
    head = (
        b"POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-API-Key: %s\r\n"
        b"Content-Type: multipart/form-data; boundary=BOUNDARY\r\nContent-Length: %d\r\n\r\n"
        % (key.encode(), len(body))
    )
    return head + body


def _check(klass: str, name: str, response: httpx.Response | tuple[int, bytes], expected: set[int], server) -> dict:
    status, text = (response.status_code, response.text) if isinstance(response, httpx.Response) else response
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    RESULTS[klass].append((name, status))
    assert status in expected, f"{name}: {status} {text[:300]}"
    assert server.alive(), f"the server died on {name}"
    body = {}
    if status >= 400 and text.startswith("{"):
        body = json.loads(text)
        assert set(body) == {"error"} and body["error"]["message"], body
    return body


# --- queries -----------------------------------------------------------------------------------------------------

QUERY_CASES: dict[str, tuple[Callable[[httpx.Client], httpx.Response], set[int]]] = {
    "NUL byte in q": (lambda c: c.get("/v1/search", params={"q": "buss\x00trafik"}), {422}),
    "ANSI escape and bell in q": (lambda c: c.get("/v1/search", params={"q": "\x1b[31mröd\x07"}), {422}),
    "C1 control in q": (lambda c: c.get("/v1/search", params={"q": "buss\x9b31mtrafik"}), {422}),
    "q over the limit (2001 chars)": (lambda c: c.get("/v1/search", params={"q": "å" * 2001}), {413}),
    "empty q": (lambda c: c.get("/v1/search", params={"q": ""}), {422}),
    "whitespace q": (lambda c: c.get("/v1/search", params={"q": " \t\n "}), {422}),
    "missing q": (lambda c: c.get("/v1/search"), {422}),
    "invalid UTF-8 percent-encoding in q": (lambda c: c.get("/v1/search?q=%ED%A0%80%FF"), {200, 422}),
    "mixed scripts, RTL override, ZWJ in q": (lambda c: c.get("/v1/search", params={"q": MIXED_SCRIPTS}), {200}),
    "NUL in ask question": (lambda c: c.post("/v1/ask", json={"question": "vad\x00är"}), {422}),
    "unpaired surrogate in question": (
        lambda c: c.post(
            "/v1/ask", content=b'{"question": "\\ud800 hej"}', headers={"content-type": "application/json"}
        ),
        {422},
    ),
    "mixed scripts question": (lambda c: c.post("/v1/ask", json={"question": MIXED_SCRIPTS}), {200}),
    "1 MB question (JSON)": (lambda c: c.post("/v1/ask", json={"question": "ord " * 250_000}), {413}),
    "1 MB match text": (lambda c: c.post("/v1/match", json={"text": "x" * 1_000_000}), {413}),
    "match text over the limit (5001 chars)": (lambda c: c.post("/v1/match", json={"text": "ö" * 5001}), {413}),
    "control characters in align text": (lambda c: c.post("/v1/align", json={"text": "Projekt\x00\x01\x02"}), {422}),
}

# --- malformed JSON and wrong types ------------------------------------------------------------------------------


def _json(path: str, raw: bytes, content_type: str = "application/json"):
    return lambda c: c.post(path, content=raw, headers={"content-type": content_type})


BODY_CASES = {
    "truncated JSON": (_json("/v1/ask", b'{"question": "hej'), {400, 422}),
    "JSON array instead of object": (_json("/v1/ask", b"[]"), {422}),
    "JSON null": (_json("/v1/ask", b"null"), {422}),
    "JSON string": (_json("/v1/match", b'"text"'), {422}),
    "single-quoted pseudo-JSON": (_json("/v1/ask", b"{'question': 'hej'}"), {400, 422}),
    "trailing garbage after JSON": (_json("/v1/ask", b'{"question": "hej"} }}}'), {400, 422}),
    "invalid UTF-8 in JSON": (_json("/v1/ask", b'{"question": "\xff\xfe"}'), {400, 422}),
    "JSON nested 20000 deep": (_json("/v1/ask", b"[" * 20000 + b"]" * 20000), {400, 422}),
    "NaN in JSON": (_json("/v1/ask", b'{"question": "hej", "k": NaN}'), {422}),
    "form-encoded body to a JSON endpoint": (
        _json("/v1/ask", b"question=hej", "application/x-www-form-urlencoded"),
        {422},
    ),
    "question is a number": (lambda c: c.post("/v1/ask", json={"question": 123}), {422}),
    "question is a list": (lambda c: c.post("/v1/ask", json={"question": ["a", "b"]}), {422}),
    "question is null": (lambda c: c.post("/v1/ask", json={"question": None}), {422}),
    "text is an object": (lambda c: c.post("/v1/match", json={"text": {"a": 1}}), {422}),
    "lang not sv/en": (lambda c: c.post("/v1/ask", json={"question": "hej", "lang": "xx"}), {422}),
    "retriever unknown": (lambda c: c.get("/v1/search", params={"q": "hej", "retriever": "evil"}), {422}),
    "priority negative": (lambda c: c.get("/v1/search", params={"q": "hej", "priority": -5}), {422}),
    "section id with ../ and NUL": (lambda c: c.get("/v1/sections/%2e%2e%2f%2e%2e%2fetc%2fpasswd%00"), {404}),
}

K_CASES = {
    "k = -1": (lambda c: c.get("/v1/search", params={"q": "hej", "k": -1}), {422}),
    "k = 0": (lambda c: c.get("/v1/search", params={"q": "hej", "k": 0}), {422}),
    "k = 1000000": (lambda c: c.get("/v1/search", params={"q": "hej", "k": 1_000_000}), {422}),
    "k = 2**70": (lambda c: c.get("/v1/search", params={"q": "hej", "k": 2**70}), {422}),
    "k = 'ten'": (lambda c: c.get("/v1/search", params={"q": "hej", "k": "ten"}), {422}),
    "k = 2.5": (lambda c: c.get("/v1/search", params={"q": "hej", "k": 2.5}), {422}),
    "ask k = -3": (lambda c: c.post("/v1/ask", json={"question": "hej", "k": -3}), {422}),
    "match k = 10**9": (lambda c: c.post("/v1/match", json={"text": "laddstolpar", "k": 10**9}), {422}),
    "align k = true": (lambda c: c.post("/v1/align", json={"text": "laddstolpar", "k": [1]}), {422}),
}


@pytest.mark.parametrize(
    ("klass", "name"),
    [("query", n) for n in QUERY_CASES] + [("body", n) for n in BODY_CASES] + [("k", n) for n in K_CASES],
)
def test_hostile_requests(klass: str, name: str, baseline, http: httpx.Client, server) -> None:
    send, expected = {"query": QUERY_CASES, "body": BODY_CASES, "k": K_CASES}[klass][name]
    body = _check(klass, name, send(http), expected, server)
    if body and name.startswith(("NUL", "k =")):
        assert body["error"].get("field") in ("q", "question", "k"), body


def test_raw_http_abuse(baseline, server) -> None:
    long_url = b"GET /v1/search?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    _check("raw", "1 MB query string", raw_request(server.base, long_url), {400, 413, 414, 431}, server)
    url_60k = b"GET /v1/search?q=" + b"a" * 60_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    _check("raw", "60 kB query string", raw_request(server.base, url_60k), {413}, server)
    bad_length = b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}"
    _check("raw", "Content-Length not a number", raw_request(server.base, bad_length), {400}, server)
    chunks = b"".join(b"%x\r\n%s\r\n" % (10_000, b"a" * 10_000) for _ in range(8)) + b"0\r\n\r\n"
    chunked = (
        b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + chunks
    )
    _check("raw", "chunked body over the limit", raw_request(server.base, chunked), {413}, server)
    declared = b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n{}"
    _check("raw", "declared 100 GB body", raw_request(server.base, declared), {413}, server)


# --- uploads: hostile documents and file names --------------------------------------------------------------------


def _upload(
    http: httpx.Client, filename: str, content: bytes, key: str | None = KEY, path: str = "/v1/documents/library"
) -> httpx.Response:
    headers = {"X-API-Key": key} if key is not None else {}
    return http.post(path, headers=headers, files={"file": (filename, content)})


def _documents(http: httpx.Client) -> list[str]:
    return sorted(d["doc_id"] for d in http.get("/v1/documents").json()["documents"])


def _build(http: httpx.Client) -> str:
    return http.get("/readyz").json()["build"]


def _remove(http: httpx.Client, doc_id: str) -> None:
    assert http.delete(f"/v1/documents/{doc_id}", headers={"X-API-Key": KEY}).status_code == 200


def test_hostile_documents_uploaded(env: Env, baseline, http: httpx.Client, server) -> None:
    for number, (name, (path, expect)) in enumerate(env.files.items()):
        route = "/v1/documents" if number % 2 else "/v1/documents/library"  # the route and its alias, in turn
        build = _build(http)
        response = _upload(http, path.name, path.read_bytes(), path=route)
        if expect == "accept":
            _check("upload: odd but valid document", name, response, {201}, server)
            added = response.json()
            assert added["original_name"] == path.name and added["n_chunks"] > 0, added
            assert http.get(added["file_url"]).content == path.read_bytes()
            _remove(http, added["doc_id"])  # keep the library as it was for the next case
        else:
            body = _check("upload: broken/hostile document", name, response, {413, 415, 422}, server)
            assert body["error"]["refusal"], body  # ingest's code, for clients to word themselves
            assert path.name in body["error"]["message"] or response.status_code in (413, 415), body
            assert _build(http) == build, name  # a refused document changes nothing
        assert _documents(http) == baseline["documents"], name
        assert not env.incoming()
    # just over the file limit but under the body limit: stopped while copying
    response = _upload(http, "nearly.pdf", padded_pdf(2_030_000))
    _check("upload: broken/hostile document", "PDF just over the file limit", response, {413}, server)


def test_four_bombs_at_once_leave_the_server_answering(env: Env, baseline, http: httpx.Client, server) -> None:
    """Four zip bombs sent together: each is refused (4xx) or told to retry (503 with Retry-After, every reading slot
    taken), none takes down the server, /healthz answers throughout."""
    bomb = env.files["DOCX zip bomb (0.2 MB inflating to 60 MB)"][0]

    def send() -> httpx.Response:
        with httpx.Client(base_url=server.base, timeout=120) as client:
            return _upload(client, bomb.name, bomb.read_bytes())

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        sent = [pool.submit(send) for _ in range(4)]
        while not all(f.done() for f in sent):
            assert http.get("/healthz", timeout=5).status_code == 200
            time.sleep(0.05)
    for future in sent:
        response = future.result()
        body = _check("upload: four bombs at once", "DOCX zip bomb", response, {422, 503}, server)
        if response.status_code == 503:
            assert body["error"]["code"] == "busy" and int(response.headers["Retry-After"]) > 0
        else:
            assert body["error"]["refusal"] == "unpacks_too_large", body
    assert _documents(http) == baseline["documents"] and not env.incoming()


FILENAME_CASES = {
    "../../etc/passwd": ({422, 415}, "../../etc/passwd"),
    "../../evil.pdf": ({422}, "../../evil.pdf"),
    "absolute path": ({422}, "/etc/cron.d/evil.pdf"),
    "Windows path": ({422}, "..\\..\\Windows\\evil.pdf"),
    "drive letter": ({422}, "C:evil.pdf"),
    "dot-dot only": ({422, 415}, ".."),
    "double extension .pdf.exe": ({415}, "report.pdf.exe"),
    "no extension": ({415}, "README"),
    "300-character name": ({422}, "a" * 296 + ".pdf"),
    "200 two-byte characters (404 bytes)": ({422}, "ö" * 200 + ".txt"),
    "newline in name": ({422}, "evil\n.pdf"),
}


@pytest.mark.parametrize("case", list(FILENAME_CASES))
def test_upload_file_name_tricks(case: str, env: Env, baseline, http: httpx.Client, server) -> None:
    expected, filename = FILENAME_CASES[case]
    build = _build(http)
    response = _upload(http, filename, SWEDISH.encode())
    _check("upload: file-name trick", case, response, expected, server)
    assert _build(http) == build and _documents(http) == baseline["documents"]


def test_upload_raw_name_tricks_and_access(env: Env, baseline, http: httpx.Client, server) -> None:
    status = raw_request(server.base, multipart(b"evil\x00.pdf", SWEDISH.encode()))
    _check("upload: file-name trick", "NUL in file name", status, {400, 422}, server)
    # a CR LF in the name cuts the header short; whatever the parser makes of it, the document gets a plain id
    status = raw_request(server.base, multipart(b"a.txt\r\nX-Evil: 1", SWEDISH.encode()))
    _check("upload: file-name trick", "CR LF header injection", status, {201, 400, 422}, server)
    if status[0] == 201:
        doc_id = json.loads(status[1])["doc_id"]
        assert re.fullmatch(r"[a-z0-9-]+", doc_id), doc_id
        _remove(http, doc_id)
    cases = {
        "no API key": (lambda: _upload(http, "a.txt", SWEDISH.encode(), key=None), {401}),
        "wrong API key": (lambda: _upload(http, "a.txt", SWEDISH.encode(), key="wrong"), {401}),
        "non-ASCII API key": (
            lambda: http.post("/v1/index/rebuild", headers={"X-API-Key": "nyckel-åäö".encode()}),
            {401},
        ),
        "rebuild without key": (lambda: http.post("/v1/index/rebuild"), {401}),
        "JSON instead of multipart": (lambda: http.post("/v1/documents", headers={"X-API-Key": KEY}, json={}), {422}),
        "multipart without a file field": (
            lambda: http.post("/v1/documents", headers={"X-API-Key": KEY}, files={"other": ("a.txt", b"x")}),
            {422},
        ),
        "empty file name": (lambda: _upload(http, "", b"x"), {422}),
        "garbage multipart": (
            lambda: http.post(
                "/v1/documents",
                headers={"X-API-Key": KEY, "content-type": "multipart/form-data; boundary=X"},
                content=b"--X\r\nnonsense\r\n\r\n--Y--",
            ),
            {400, 422},
        ),
    }
    for case, (send, expected) in cases.items():
        _check("upload: access and framing", case, send(), expected, server)
    assert _documents(http) == baseline["documents"] and not env.incoming()


def test_server_survived_unchanged_and_bounded(env: Env, baseline, http: httpx.Client, server) -> None:
    """Runs last among the server's tests: the server is up and answers, the library holds what it held (the odd but
    valid documents were added and removed again), nothing was left behind, memory bounded."""
    assert http.get("/healthz").json() == {"status": "ok"}
    hits = http.get("/v1/search", params={"q": "kollektivtrafik i inlandet", "k": 3}).json()["hits"]
    assert hits and any("ollektivtrafik" in h["text"] for h in hits)
    assert _documents(http) == baseline["documents"] and not env.incoming()
    assert not list(env.corpus_dir.iterdir())  # uploads are never stored beside the index
    rss = psutil.Process(server.pid).memory_info().rss
    growth = (rss - baseline["rss"]) / 2**20
    print(f"\nserver RSS {baseline['rss'] / 2**20:.0f} → {rss / 2**20:.0f} MB over the hostile requests")
    assert growth < 200, f"server RSS grew by {growth:.0f} MB"


# --- the command line ---------------------------------------------------------------------------------------------


@pytest.fixture()
def limited(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TEST_LIMITS.items():
        monkeypatch.setenv(name, value)


def test_cli_build_names_each_bad_file_and_fails(
    env: Env, limited, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree_digest(env.index_dir)
    for name, (path, expect) in env.files.items():
        if expect != "reject":
            continue
        code = main(["index", "build", str(path), "--index-dir", str(env.index_dir), "--quiet"])
        err = capsys.readouterr().err
        RESULTS["cli: rus index build <bad file>"].append((name, f"exit {code}"))
        assert code != 0, name
        assert f"{path.name}: " in err and "nothing to index" in err, (name, err)
    assert tree_digest(env.index_dir) == before


def test_cli_docs_add_names_each_bad_file_and_fails(
    env: Env, limited, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rus docs add` reads through the same format table and limits: each hostile file is refused with its reason."""
    before = tree_digest(env.index_dir)
    for name, (path, expect) in env.files.items():
        if expect != "reject":
            continue
        code = main(["docs", "add", str(path), "--index-dir", str(env.index_dir), "--quiet"])
        err = capsys.readouterr().err
        RESULTS["cli: rus docs add <bad file>"].append((name, f"exit {code}"))
        assert code == 1 and path.name in err and "Traceback" not in err, (name, err)
    assert tree_digest(env.index_dir) == before


def test_cli_build_of_a_folder_of_bad_files(env: Env, limited, capsys: pytest.CaptureFixture[str]) -> None:
    folder = env.root / "hostile"
    rejects = [p for p, expect in env.files.values() if expect == "reject" and p.suffix in (".pdf", ".txt", ".md")]
    for path, expect in env.files.values():
        if expect == "accept":
            path.rename(path.with_suffix(path.suffix + ".off"))  # only the broken ones in the folder
    try:
        before = tree_digest(env.index_dir)
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", "index", "build", str(folder), "--index-dir", str(env.index_dir)],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env={**os.environ, **TEST_LIMITS},
            timeout=300,
        )
        assert done.returncode == 1, done.stderr
        for path in rejects:
            assert f"{path.name}: " in done.stderr, (path.name, done.stderr)
        assert tree_digest(env.index_dir) == before
    finally:
        for path, expect in env.files.values():
            if expect == "accept":
                path.with_suffix(path.suffix + ".off").rename(path)


def test_cli_search_limits(env: Env, limited, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "1 MB query": (["search", "ord " * 250_000], "the limit is 2000 characters"),
        "NUL in query": (["search", "buss\x00trafik"], "control characters"),
        "-k -1": (["search", "hej", "-k", "-1"], "-k must be at least 1"),
        "-k 1000000": (["search", "hej", "-k", "1000000"], "-k must be at most 50"),
        "empty query": (["search", "  "], "empty"),
    }
    for case, (argv, message) in cases.items():
        code = main([*argv, "--index-dir", str(env.index_dir)])
        err = capsys.readouterr().err
        RESULTS["cli: rus search"].append((case, f"exit {code}"))
        assert code == 2 and message in err, (case, err)
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "search", "x" * 100_000, "--index-dir", str(env.index_dir)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert done.returncode == 2 and "'query' is 100000 characters long" in done.stderr, done.stderr


def test_summary_of_answers() -> None:
    """Last: the table of hostile inputs by class and how they were answered."""
    total = sum(len(v) for v in RESULTS.values())
    print(f"\nbad inputs: {total} cases")
    for klass, results in RESULTS.items():
        answers: dict[str, int] = defaultdict(int)
        for _, status in results:
            answers[str(status)] += 1
        print(f"  {klass:38s} {len(results):3d}  " + ", ".join(f"{a}×{n}" for a, n in sorted(answers.items())))
    assert total >= 40
