"""Test helpers for the reliability tests: a real `rus serve` on 127.0.0.1, small corpora, index hashing."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    base: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None


@contextlib.contextmanager
def live_server(
    index_dir: Path, workdir: Path, env: dict[str, str] | None = None, ready: bool = True
) -> Iterator[LiveServer]:
    """`rus serve` on a free loopback port; waits for /readyz (or /healthz when `ready` is False)."""
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.cli",
            "serve",
            "--index-dir",
            str(index_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 180
        probe = "/readyz" if ready else "/healthz"
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if httpx.get(server.base + probe, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready:\n" + log_path.read_text()
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def tree_digest(directory: Path) -> dict[str, str]:
    """Path → sha256 (or symlink target) of everything under `directory`, to prove nothing changed."""
    digest: dict[str, str] = {}
    for path in sorted(Path(directory).rglob("*")):
        key = path.relative_to(directory).as_posix()
        if path.is_symlink():
            digest[key] = "-> " + os.readlink(path)
        elif path.is_file():
            digest[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest[key] = "dir"
    return digest


def small_corpus(folder: Path, extra_text: str | None = None) -> Path:
    """The generated strategy PDF plus a short Swedish text document (and optionally one more text)."""
    from pdf_factory import strategy_pdf

    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "strategi.pdf").exists():
        strategy_pdf(folder / "strategi.pdf")
    (folder / "kollektivtrafik.txt").write_text(
        "Kollektivtrafik i inlandet\n\nRegionen vill stärka kollektivtrafiken i inlandet så att fler kan pendla "
        "till arbete och studier. Busslinjer samordnas med tågtrafiken och anropsstyrd trafik prövas i glesbygd.\n\n"
        "Laddinfrastruktur\n\nFler laddstolpar behövs längs de stora vägarna för att elbilar ska fungera i hela "
        "länet, även vintertid.\n",
        encoding="utf-8",
    )
    if extra_text is not None:
        (folder / "extra.txt").write_text(extra_text, encoding="utf-8")
    return folder
