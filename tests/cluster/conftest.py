"""Cluster fixtures: the ONNX model exported once per session and copied into each node's data directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from paperwire.config import load_settings
from paperwire.search.embed import load_embedder
from paperwire.search.model_export import models_dir


@pytest.fixture(scope="session")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the exported model (exported once: about 10 s)."""
    data_dir = tmp_path_factory.mktemp("cluster-model")
    load_embedder(load_settings(data_dir=data_dir), device="cpu")
    return data_dir


def node_dir(model_files: Path, target: Path) -> Path:
    """A fresh data directory with the model already exported in it."""
    shutil.copytree(models_dir(model_files), models_dir(target))
    return target
