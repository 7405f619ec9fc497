"""A store (SQLite and PostgreSQL) holding one real Hugging Face daily list, for the feed services."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperwire.config import load_settings
from paperwire.ingest.runner import run_ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def listed(engine: Engine, tmp_path: Path) -> Engine:
    settings = load_settings(data_dir=tmp_path / "data")
    run_ingest(engine, "hf-daily", [str(FIXTURES / "hf_daily" / "2026-08-21.json")], settings)
    run_ingest(engine, "hf-daily", [str(FIXTURES / "hf_daily" / "2025-01-10.json")], settings)
    return engine
