"""The app's one search (``paperwire.search.AdaptiveSearch``), shared by every request of a process so
that loaded models, indexes and cached answers are too."""

from __future__ import annotations

import threading

from fastapi import FastAPI, Request

from paperwire.search import AdaptiveSearch
from paperwire.web.metrics import observe_search

_lock = threading.Lock()


def get_search(request: Request) -> AdaptiveSearch:
    """The dependency routes ask for."""
    return app_search(request.app)


def app_search(app: FastAPI) -> AdaptiveSearch:
    state = app.state
    if state.search is None:
        with _lock:
            if state.search is None:
                state.search = AdaptiveSearch(state.settings, state.engine, observe=observe_search)
    search: AdaptiveSearch = state.search
    return search
