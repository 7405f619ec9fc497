"""Sentence embeddings of papers and queries with all-MiniLM-L6-v2, on CPU (ONNX int8) or a CUDA GPU (fp16).

The CPU path is ONNX Runtime on a per-channel int8 export (about 2x the documents per second of
sentence-transformers on torch, cosine 0.99 to fp32; see docs/benchmarks.md); torch is not imported
on it. The CUDA path (``device="auto"`` with a GPU, or ``"cuda"``) runs the same weights in fp16 with
transformers.
Both return L2-normalised float32 rows, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
from tokenizers import Encoding, Tokenizer

from paperwire.processes import exit_with_parent
from paperwire.search.model_export import ModelUnavailable, ensure_model, source_dir, verify_weights

__all__ = [
    "DIM",
    "MAX_TOKENS",
    "MODEL_NAME",
    "Embedder",
    "ModelUnavailable",
    "OnnxEmbedder",
    "TorchEmbedder",
    "document_text",
    "load_embedder",
]

if TYPE_CHECKING:  # the GPU benchmark runs this module where paperwire's settings libraries are not installed
    from paperwire.config import Settings

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256  # what the model was trained with (sentence_bert_config.json); the tokenizer file says 128
_SPACE = re.compile(r"\s+")
log = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float32]


def document_text(title: str, abstract: str) -> str:
    """Title then abstract, whitespace collapsed: the BEIR convention the model is evaluated with."""
    return _SPACE.sub(" ", f"{title} {abstract}").strip()


class Embedder(Protocol):
    name: str
    dim: int

    def encode_documents(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> Matrix: ...

    def encode_query(self, text: str) -> Matrix: ...


def _tokenizer(path: Path) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer


def _normalise(rows: npt.NDArray[np.floating[Any]]) -> Matrix:
    rows = rows.astype(np.float32, copy=False)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


def _padded(encodings: Sequence[Encoding]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Token ids padded to the longest, and each row's length, with one Python step per text rather than
    per token: per-token copying made the GPU path wait on this loop (measured on an H100)."""
    lengths = np.fromiter((len(e) for e in encodings), dtype=np.int64, count=len(encodings))
    flat = np.fromiter(
        chain.from_iterable(e.ids for e in encodings), dtype=np.int64, count=int(lengths.sum())
    )
    ids = np.zeros((len(encodings), int(lengths.max(initial=0))), dtype=np.int64)
    ids[np.arange(ids.shape[1]) < lengths[:, None]] = flat  # row-major: each row's tokens, then padding
    return ids, lengths


def _mask(lengths: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.int64]:
    return (np.arange(width) < lengths[:, None]).astype(np.int64)


def _longest_first(encodings: Sequence[Encoding]) -> npt.NDArray[np.intp]:
    lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
    return np.argsort(-lengths, kind="stable")


@contextmanager
def _progress_bar(total: int, enabled: bool, label: str) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),  # stdout may be carrying --json output
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


class OnnxEmbedder:
    """The CPU path: ONNX Runtime, tokenizers, mean pooling, one document per run on each of ``threads`` workers.

    One document per run because int8 dynamic quantisation scales activations per *input tensor*: in a
    batch, a paper's vector would depend on its batch mates (cosine 0.994 between batchings). Alone, it
    is the same every time, whether indexed in bulk, one by one, or as a query; and nothing is padded.
    Documents go longest first so the workers finish together. On 2 shared cores, two single-threaded
    runs in parallel were 1.5-1.8x faster than one two-threaded run on batches of 1-64 (measured).
    """

    def __init__(self, model_path: Path, tokenizer_path: Path, *, threads: int = 0, name: str = "") -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = _tokenizer(tokenizer_path)
        self.workers = threads or os.cpu_count() or 1
        self.name = name or f"{MODEL_NAME} ({model_path.name})"
        self.dim = DIM

    def _run(self, ids: Sequence[int]) -> Matrix:
        """The normalised mean of the token states of one sequence (no padding, so no mask needed)."""
        input_ids = np.asarray([ids], dtype=np.int64)
        hidden = self.session.run(
            ["last_hidden_state"],
            {
                "input_ids": input_ids,
                "attention_mask": np.ones_like(input_ids),
                "token_type_ids": np.zeros_like(input_ids),
            },
        )[0]
        return np.asarray(_normalise(hidden.mean(axis=1))[0], dtype=np.float32)

    def encode_documents(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> Matrix:
        """``batch_size`` is accepted for the GPU path's sake; here every document runs alone (see above)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = _longest_first(encodings)
        with (
            _progress_bar(len(texts), progress, "embedding") as advance,
            ThreadPoolExecutor(self.workers, thread_name_prefix="embed") as pool,
        ):
            for row, vector in zip(
                order, pool.map(lambda i: self._run(encodings[i].ids), order), strict=True
            ):
                out[row] = vector
                if advance:
                    advance(1)
        return out

    def encode_query(self, text: str) -> Matrix:
        return self._run(self.tokenizer.encode(_SPACE.sub(" ", text).strip()).ids)


_WORKER_TOKENIZER: list[Tokenizer] = []  # one per tokenising process, set by its initializer


def _start_tokenising_worker(path: str) -> None:
    exit_with_parent()
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # the processes are the parallelism
    _WORKER_TOKENIZER.append(_tokenizer(Path(path)))


def _tokenise_in_worker(texts: list[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    return _padded(_WORKER_TOKENIZER[0].encode_batch(texts))


class TorchEmbedder:
    """The GPU path: transformers in fp16 on CUDA. Texts are tokenised in chunks by the Rust tokenizer (all
    cores, off the GIL) in a background thread while the GPU runs the previous chunk; each chunk goes longest
    first in large batches, and results are copied back after the last batch, so the GPU never waits on the
    host. Runs on CPU in fp32 too (tests)."""

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "cuda",
        fp16: bool = True,
        tokenise_processes: int | None = None,
    ) -> None:
        """``tokenise_processes`` > 0 tokenises in that many worker processes (one core each), 0 in the
        tokenizer's own threads in this process; by default all cores but one on a GPU with 4+ cores. On
        one H100 with 16 cores, tokenising took 2.3x as long as the GPU's work, and 15 processes beat the
        tokenizer's threads (docs/benchmarks.md)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModel

        self.torch = torch
        self.device = torch.device(device)
        dtype = torch.float16 if fp16 and self.device.type == "cuda" else torch.float32
        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, dtype=dtype)
        self.model = model.to(self.device).eval()
        self.tokenizer_path = model_dir / "tokenizer.json"
        self.tokenizer = _tokenizer(self.tokenizer_path)
        cores = os.cpu_count() or 1
        auto = cores - 1 if self.device.type == "cuda" and cores >= 4 else 0
        self.tokenise_processes = auto if tokenise_processes is None else tokenise_processes
        self._processes: ProcessPoolExecutor | None = None
        self.name = f"{MODEL_NAME} (torch {self.device.type} {str(dtype).removeprefix('torch.')})"
        self.dim = DIM

    def _process_pool(self) -> ProcessPoolExecutor:
        """Started once and kept: spawned (not forked) because this process holds a CUDA context."""
        if self._processes is None:
            self._processes = ProcessPoolExecutor(
                self.tokenise_processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_tokenising_worker,
                initargs=(str(self.tokenizer_path),),
            )
        return self._processes

    def _run(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Any:
        torch = self.torch
        ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
        if self.device.type == "cuda":  # pinned host memory makes the copy asynchronous
            ids_t, mask_t = ids_t.pin_memory(), mask_t.pin_memory()
        ids_t = ids_t.to(self.device, non_blocking=True)
        mask_t = mask_t.to(self.device, non_blocking=True)
        hidden = self.model(input_ids=ids_t, attention_mask=mask_t).last_hidden_state
        weights = mask_t.unsqueeze(-1).float()  # pool in fp32: fp16 sums over 256 tokens lose precision
        pooled = (hidden.float() * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1)

    def close(self) -> None:
        if self._processes is not None:
            self._processes.shutdown()
            self._processes = None

    def _tokenise(self, texts: list[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        return _padded(self.tokenizer.encode_batch(texts))

    def encode_documents(
        self, texts: Sequence[str], *, batch_size: int = 1024, progress: bool = False
    ) -> Matrix:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        size = max(1, batch_size)
        chunk = size * (2 if self.tokenise_processes else 4)
        starts = range(0, len(texts), chunk)
        pending: list[tuple[npt.NDArray[np.intp], Any]] = []
        with (
            ExitStack() as stack,
            self.torch.inference_mode(),
            _progress_bar(len(texts), progress, "embedding") as advance,
        ):
            pool: Executor
            if self.tokenise_processes:
                pool, work = self._process_pool(), _tokenise_in_worker
            else:
                pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="tokenise"))
                work = self._tokenise
            chunks = [pool.submit(work, list(texts[s : s + chunk])) for s in starts]
            for start, future in zip(starts, chunks, strict=True):
                ids, lengths = future.result()
                order = np.argsort(-lengths, kind="stable")  # longest first: batches pad to similar lengths
                for first in range(0, len(order), size):
                    rows = order[first : first + size]
                    width = int(lengths[rows[0]])
                    result = self._run(ids[rows, :width], _mask(lengths[rows], width))
                    pending.append((rows + start, result))
                    if advance:
                        advance(len(rows))
            for rows, result in pending:
                out[rows] = result.cpu().numpy()
        return out

    def encode_query(self, text: str) -> Matrix:
        ids, lengths = _padded([self.tokenizer.encode(_SPACE.sub(" ", text).strip())])
        mask = _mask(lengths, ids.shape[1])
        with self.torch.inference_mode():
            return np.asarray(self._run(ids, mask)[0].cpu().numpy(), dtype=np.float32)


def cuda_available() -> bool:
    """Imports torch only where an NVIDIA driver is present: the CPU path stays torch-free and fast to start."""
    if not Path("/proc/driver/nvidia").exists() or os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


_CACHE: dict[tuple[str, str, str, int], Embedder] = {}
_CACHE_LOCK = threading.Lock()


def load_embedder(settings: Settings, *, device: str = "auto") -> Embedder:
    """The embedder for ``device`` ("auto", "cpu" or "cuda"), loaded once per process.

    Raises ``ModelUnavailable`` (one line, with the fix) when the model files or the tools to
    export them are missing, so callers can fall back to keyword search.
    """
    if device not in {"auto", "cpu", "cuda"}:
        raise ValueError(f"unknown embedding device {device!r}: use auto, cpu or cuda")
    resolved = "cuda" if device == "cuda" or (device == "auto" and cuda_available()) else "cpu"
    key = (str(settings.data_dir.resolve()), resolved, settings.embed_precision, settings.embed_threads)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = _load(settings, resolved)
        return _CACHE[key]


def _load(settings: Settings, device: str) -> Embedder:
    if device == "cuda":
        try:
            model_dir = source_dir()
            verify_weights(model_dir)
            return TorchEmbedder(model_dir, device="cuda", fp16=True)
        except ImportError as exc:
            raise ModelUnavailable(f"the CUDA embedding path needs torch and transformers: {exc}") from exc
    files = ensure_model(settings.data_dir)
    if settings.embed_precision == "int8":
        try:
            embedder = OnnxEmbedder(files.int8, files.tokenizer, threads=settings.embed_threads)
            embedder.encode_query("warm up")
            return embedder
        except Exception as exc:  # onnxruntime's errors derive from Exception only
            # The int8 graph's block-wise layers (MatMulNBits, 8 bits) need a CPU kernel that an
            # onnxruntime build may lack; fp32 ranks within ~0.004 nDCG@10 of it, only slower.
            log.warning("the int8 model does not run here (%s); embedding in fp32", str(exc).splitlines()[0])
    return OnnxEmbedder(files.fp32, files.tokenizer, threads=settings.embed_threads)
