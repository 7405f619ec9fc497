"""Bulk embedding on a Ray cluster: ``paperwire index --ray ADDRESS``.

The driver runs the normal catch-up (``indexer.catch_up``: read the store in cursor order, embed, write
the keyword and vector indexes, save the cursor after each batch) with an embedder whose work is done by
Ray actors, one per GPU (fp16, tokenising in the actor's other cores while the GPU runs) or, without
GPUs, one per CPU (the same ONNX int8 model as the local path, so the vectors are the same). So:

- a worker that dies mid-run is restarted by Ray and its chunk is retried (actors are stateless and
  the embedding of a text does not depend on its chunk), which changes nothing in the result;
- a driver that dies loses at most the batch in flight: the next run resumes from the saved cursor;
- the indexes are written by one process, through the same code as ``paperwire index``.

Workers need paperwire and the model package installed (the same versions as the driver); each
exports the ONNX model into its own data directory (``--data-dir`` on the driver's machine, or
PAPERWIRE_RAY_WORKER_DATA_DIR where the workers run) the first time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from paperwire.config import Settings
from paperwire.search import indexer
from paperwire.search.embed import DIM, MODEL_NAME, Matrix

log = logging.getLogger(__name__)
CHUNK_TEXTS = 256  # texts per Ray task: small enough to spread a batch over many workers and retry cheaply
GPU_CHUNK_TEXTS = 8192
RAY_BATCH_PAPERS = 4096  # papers per indexing batch unless PAPERWIRE_INDEX_BATCH_SIZE is set
WORKER_DATA_DIR = "PAPERWIRE_RAY_WORKER_DATA_DIR"


class RayUnavailable(RuntimeError):
    """Ray is not installed or the cluster cannot be reached (one line, with the fix)."""


class EmbedWorker:
    """One Ray actor: loads the model once, then embeds chunks of texts (title and sentence units)."""

    def __init__(self, data_dir: str, precision: str, device: str, cpus: int) -> None:
        from paperwire.search.embed import TorchEmbedder, load_embedder
        from paperwire.search.model_export import source_dir, verify_weights

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.device = device
        if device == "cuda":
            model_dir = source_dir()
            verify_weights(model_dir)
            self.embedder: Any = TorchEmbedder(
                model_dir, device="cuda", fp16=True, tokenise_processes=max(0, cpus - 1)
            )
        else:
            settings = Settings(
                data_dir=Path(os.environ.get(WORKER_DATA_DIR, data_dir)),
                embed_precision=precision,  # type: ignore[arg-type]
                embed_threads=cpus,
            )
            self.embedder = load_embedder(settings, device="cpu")

    def encode(self, texts: list[str]) -> Matrix:
        return np.asarray(self.embedder.encode_documents(texts), dtype=np.float32)

    def pid(self) -> int:
        return os.getpid()


class RayEmbedder:
    """The ``Embedder`` the catch-up uses: each call's texts are cut into chunks spread over the actors."""

    def __init__(self, address: str, settings: Settings, *, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise RayUnavailable("Ray is not installed: pip install 'paperwire[ray]'") from exc
        self.ray = ray
        try:
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RayUnavailable(f"cannot join the Ray cluster at {address}: {exc}") from exc
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        gpus, cpus = int(resources.get("GPU", 0)), max(1, int(resources.get("CPU", 1)))
        if gpus:
            count = workers or gpus
            per_actor = max(1, cpus // count)
            options: dict[str, Any] = {"num_gpus": 1, "num_cpus": per_actor}
            self.device, self.chunk = "cuda", GPU_CHUNK_TEXTS
        else:
            count, per_actor = workers or cpus, 1
            options = {"num_cpus": 1}
            self.device, self.chunk = "cpu", CHUNK_TEXTS
        actor = ray.remote(EmbedWorker).options(max_restarts=-1, max_task_retries=-1, **options)
        self.actors: list[Any] = [
            actor.remote(str(settings.data_dir.resolve()), settings.embed_precision, self.device, per_actor)
            for _ in range(count)
        ]
        self.name = f"{MODEL_NAME} (Ray, {count} {self.device} workers)"
        self.dim = DIM

    def encode_documents(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> Matrix:
        """In order; a chunk whose worker died is run again by Ray (on the restarted actor)."""
        from ray.util import ActorPool

        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        chunks = [list(texts[i : i + self.chunk]) for i in range(0, len(texts), self.chunk)]
        pool = ActorPool(self.actors)
        parts = list(pool.map(lambda a, chunk: a.encode.remote(chunk), chunks))
        return np.concatenate(parts).astype(np.float32, copy=False)

    def encode_query(self, text: str) -> Matrix:
        return np.asarray(self.encode_documents([text])[0], dtype=np.float32)

    def worker_pids(self) -> list[int]:
        return [int(pid) for pid in self.ray.get([a.pid.remote() for a in self.actors])]

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.ray.shutdown()


def ray_catch_up(
    settings: Settings,
    engine: Engine,
    address: str,
    *,
    workers: int | None = None,
    rebuild: bool = False,
    progress: bool = False,
) -> dict[str, int]:
    """``indexer.catch_up`` (or ``rebuild``) with the embedding done on the Ray cluster at ``address``."""
    embedder = RayEmbedder(address, settings, workers=workers)
    if "index_batch_size" not in settings.model_fields_set:  # many workers need bigger batches to share
        settings = settings.model_copy(update={"index_batch_size": RAY_BATCH_PAPERS})
    try:
        job = indexer.rebuild if rebuild else indexer.catch_up
        return job(settings, engine, embedder=embedder, progress=progress)
    finally:
        embedder.close()
