"""The ONNX graph written from the safetensors weights, without torch, against sentence-transformers."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer

from paperwire.search import model_export
from paperwire.search.embed import MAX_TOKENS

ABSTRACTS = Path(__file__).resolve().parent.parent / "fixtures" / "abstracts" / "arxiv-daily-1000.jsonl.gz"


def _abstracts() -> list[str]:
    with gzip.open(ABSTRACTS, "rt") as fh:
        return [json.loads(line)["summary"] for line in fh]


def _onnx_sentence_embeddings(model: Path, tokenizer_path: Path, texts: list[str]) -> np.ndarray:
    """The graph's own pooled, normalised output, in padded batches (so the attention mask is exercised)."""
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    lengths = [len(e.ids) for e in tokenizer.encode_batch(texts)]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])  # similar lengths together: less padding
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(texts), 32):
        rows = order[start : start + 32]
        encodings = tokenizer.encode_batch([texts[i] for i in rows])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out[rows] = session.run(["sentence_embedding"], feed)[0]
    return out


@pytest.mark.slow
@pytest.mark.timeout(1800)  # two models over 1,000 abstracts of up to 256 tokens: minutes on 2 shared cores
def test_the_export_needs_no_torch_and_matches_sentence_transformers_on_1000_abstracts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _abstracts()
    assert len(texts) == 1000
    with monkeypatch.context() as blocked:
        for module in ("torch", "transformers", "sentence_transformers"):
            blocked.setitem(sys.modules, module, None)  # `import torch` now fails as if not installed
        files = model_export.export(tmp_path)
    reference = SentenceTransformer(str(model_export.source_dir()), device="cpu")
    assert reference.max_seq_length == MAX_TOKENS
    expected = reference.encode(texts, batch_size=32, normalize_embeddings=True)
    found = _onnx_sentence_embeddings(files.fp32, files.tokenizer, texts)
    cosines = (found * expected).sum(axis=1)
    assert cosines.min() >= 0.9999, (cosines.argmin(), cosines.min())
    np.testing.assert_allclose(np.linalg.norm(found, axis=1), 1.0, atol=1e-5)
