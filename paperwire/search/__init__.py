"""Keyword, semantic and hybrid search: derived data, rebuildable from the store.

This is the search engine's one public face: everything outside ``paperwire.search`` imports from here.
Names are loaded on first use, so that importing the query syntax (digests, the CLI) does not load
tantivy, numpy or the model.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from paperwire.db.models import Paper
    from paperwire.search.adaptive import AdaptiveSearch as AdaptiveSearch
    from paperwire.search.embed import DIM as DIM
    from paperwire.search.embed import MODEL_NAME as MODEL_NAME
    from paperwire.search.embed import ModelUnavailable as ModelUnavailable
    from paperwire.search.embed import cuda_available as cuda_available
    from paperwire.search.embed import document_text as document_text
    from paperwire.search.embed import load_embedder as load_embedder
    from paperwire.search.evaluate import BeirError as BeirError
    from paperwire.search.evaluate import evaluate as evaluate_beir
    from paperwire.search.evaluate import load_beir as load_beir
    from paperwire.search.follow import follow as follow_store
    from paperwire.search.follow import lower_priority as lower_priority
    from paperwire.search.indexer import index_lag as index_lag
    from paperwire.search.model_export import DISTRIBUTION as DISTRIBUTION
    from paperwire.search.model_export import PACKAGE_VERSION as PACKAGE_VERSION
    from paperwire.search.model_export import SAFETENSORS_SHA256 as SAFETENSORS_SHA256
    from paperwire.search.model_export import existing_files as existing_files
    from paperwire.search.model_export import export as export_model
    from paperwire.search.model_export import models_dir as models_dir
    from paperwire.search.query import ParsedQuery as ParsedQuery
    from paperwire.search.query import QueryError as QueryError
    from paperwire.search.query import parse_query as parse_query
    from paperwire.search.ray_embed import RayUnavailable as RayUnavailable
    from paperwire.search.ray_embed import ray_catch_up as ray_catch_up
    from paperwire.search.service import MODES as MODES
    from paperwire.search.service import PaperNotFound as PaperNotFound
    from paperwire.search.service import SearchHit as SearchHit
    from paperwire.search.service import SearchResults as SearchResults
    from paperwire.search.service import SearchService as SearchService
    from paperwire.search.service import index_exists as index_exists
    from paperwire.search.stored import index_stamp as index_stamp
    from paperwire.search.stored import vectors_for as vectors_for
    from paperwire.search.stored import vectors_stamp as vectors_stamp

# public name: (submodule, its name there)
_EXPORTS: dict[str, tuple[str, str]] = {
    **{name: ("adaptive", name) for name in ("AdaptiveSearch",)},
    **{
        name: ("embed", name)
        for name in (
            "DIM",
            "MODEL_NAME",
            "ModelUnavailable",
            "cuda_available",
            "document_text",
            "load_embedder",
            "lower_priority",
        )
    },
    **{name: ("evaluate", name) for name in ("BeirError", "load_beir")},
    "evaluate_beir": ("evaluate", "evaluate"),  # the name ``evaluate`` is the submodule's
    "follow_store": ("follow", "follow"),
    "lower_priority": ("follow", "lower_priority"),
    "index_lag": ("indexer", "index_lag"),
    **{
        name: ("model_export", name)
        for name in ("DISTRIBUTION", "PACKAGE_VERSION", "SAFETENSORS_SHA256", "existing_files", "models_dir")
    },
    "export_model": ("model_export", "export"),
    **{name: ("query", name) for name in ("ParsedQuery", "QueryError", "parse_query")},
    **{name: ("ray_embed", name) for name in ("RayUnavailable", "ray_catch_up")},
    **{
        name: ("service", name)
        for name in ("MODES", "PaperNotFound", "SearchHit", "SearchResults", "SearchService", "index_exists")
    },
    **{name: ("stored", name) for name in ("index_stamp", "vectors_for", "vectors_stamp")},
}

__all__ = [
    "DIM",
    "DISTRIBUTION",
    "MODEL_NAME",
    "MODES",
    "PACKAGE_VERSION",
    "SAFETENSORS_SHA256",
    "AdaptiveSearch",
    "BeirError",
    "ModelUnavailable",
    "PaperNotFound",
    "ParsedQuery",
    "QueryError",
    "RayUnavailable",
    "SearchHit",
    "SearchResults",
    "SearchService",
    "cuda_available",
    "document_text",
    "evaluate_beir",
    "existing_files",
    "export_model",
    "follow_store",
    "index_exists",
    "index_lag",
    "index_stamp",
    "load_beir",
    "load_embedder",
    "lower_priority",
    "models_dir",
    "papers_for",
    "parse_query",
    "ray_catch_up",
    "vectors_for",
    "vectors_stamp",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


def papers_for(session: Session, hits: Sequence[SearchHit]) -> list[Paper]:
    """The hits' papers, in hit order (a paper deleted since the last re-index is left out)."""
    from paperwire.db.papers import by_ids

    return by_ids(session, [hit.paper_id for hit in hits])
