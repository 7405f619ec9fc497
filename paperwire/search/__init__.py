"""Keyword, semantic and hybrid search: derived data, rebuildable from the store."""

from paperwire.search.indexer import index_lag

__all__ = ["index_lag"]
