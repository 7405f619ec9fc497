"""Readable operation summaries for /docs: FastAPI would title-case the function name ("Api Library Delete Tag")."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute


def summary_for(route: APIRoute) -> str:
    """The endpoint's name as words (its docstring stays the description): ``api_library_delete_tag`` ->
    "Delete tag", ``api_library_tag`` (GET) -> "Get tag"."""
    words = route.name.removeprefix("api_").split("_")
    if words[0] == "library" and len(words) > 1:  # the tag ("library") already says where it is
        words = words[1:]
    if route.methods == {"GET"} and words[0] not in ("export", "search", "get", "list"):
        words = ["get", *words]
    return " ".join(words).capitalize()


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, including those inside included routers (FastAPI wraps those)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)


def readable_summaries(app: FastAPI) -> None:
    for route in _api_routes(app.routes):
        if route.include_in_schema and not route.summary:
            route.summary = summary_for(route)
