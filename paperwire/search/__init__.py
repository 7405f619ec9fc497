"""Keyword, semantic and hybrid search: derived data, rebuildable from the store."""
