"""A bundled real sample: four weeks of Hugging Face daily lists (June 2026) with their upvotes,
and the arXiv listing records (categories, comments) of the same papers. Both are real data."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE_SOURCES: list[tuple[str, list[str]]] = [
    ("arxiv-daily", [str(HERE / "arxiv-listings.jsonl.gz")]),
    ("hf-daily", [str(HERE / "hf-daily")]),
]
