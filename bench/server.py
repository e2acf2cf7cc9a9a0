"""Start `rus serve` on a free loopback port and wait until it is ready: one helper for the tests, the benchmarks
(bench.http, bench.suite) and the soak (bench.soak).

    with running(index_dir, tmp / "server.log", env={"RUS_API_KEY": "…"}) as server:
        httpx.get(server.base + "/v1/search", params={"q": "kollektivtrafik"})

The server logs to the given file (warnings and errors only: no access log); a server that exits or is not
ready in time raises ServerFailed with the end of that log. Leaving the block stops it (terminate, then kill).
"""

from __future__ import annotations

import contextlib
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
HOST = "127.0.0.1"
READY_TIMEOUT = 300.0  # seconds; a cold start (embedder + index) takes 5–20 s here, far more on a loaded machine
LOG_TAIL = 3000  # characters of the server log quoted in a ServerFailed message


class ServerFailed(RuntimeError):
    """The server exited, or did not become ready in time; the message quotes the end of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_ready(
    base: str,
    process: subprocess.Popen | None = None,
    log: Path | None = None,
    timeout: float = READY_TIMEOUT,
) -> float:
    """Poll `base`/readyz until it answers 200; the seconds that took. `process`, if given, must stay alive."""
    started = time.monotonic()
    while True:
        if process is not None and process.poll() is not None:
            raise ServerFailed(f"the server exited with code {process.returncode}{_tail(log)}")
        try:
            if httpx.get(base + "/readyz", timeout=5).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        if time.monotonic() - started > timeout:
            raise ServerFailed(f"the server was not ready after {timeout:.0f} s{_tail(log)}")
        time.sleep(0.25)


def _tail(log: Path | None) -> str:
    if log is None:
        return ""
    try:
        return ":\n" + log.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL:]
    except OSError:
        return ""


@dataclass
class Server:
    """A `rus serve` child process on 127.0.0.1."""

    base: str
    process: subprocess.Popen
    log: Path
    ready_seconds: float | None = None  # how long it took to become ready

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def host(self) -> str:
        return self.base.removeprefix("http://")

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        self.ready_seconds = wait_ready(self.base, self.process, self.log, timeout)
        return self.ready_seconds

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(
    index_dir: Path,
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    workers: int = 1,
    encode_only: bool = False,
) -> Server:
    """`rus serve --index-dir index_dir [--workers N]` on a free port, logging to `log`; `env` is added to this
    environment (several workers need RUS_UI_ENABLED=false there). `encode_only` serves bench.encode_only instead
    (one process: the same app with a route that embeds a query and does not search)."""
    port = free_port()
    if encode_only:
        command = [sys.executable, "-m", "bench.encode_only", "--index-dir", str(index_dir), "--host", HOST,
                   "--port", str(port)]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "service.cli", "serve", "--index-dir", str(index_dir), "--host", HOST,
            "--port", str(port), "--no-access-log", "--log-level", "warning", "--workers", str(workers),
        ]  # fmt: skip
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle:  # the child keeps its own copy of the file descriptor
        process = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    return Server(f"http://{HOST}:{port}", process, log)


@contextlib.contextmanager
def running(
    index_dir: Path,
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    timeout: float = READY_TIMEOUT,
    workers: int = 1,
    encode_only: bool = False,
) -> Iterator[Server]:
    """A ready server for the duration of the block (see the module docstring)."""
    server = start(index_dir, log, env, cwd, workers, encode_only)
    try:
        server.wait_ready(timeout=timeout)
        yield server
    finally:
        server.stop()
