"""The ASGI entry point for uvicorn workers: ``paperwire.web.main:app``, configured from PAPERWIRE_* variables."""

from __future__ import annotations

from fastapi import FastAPI

from paperwire.config import load_settings
from paperwire.web.app import create_app
from paperwire.web.searching import app_search


def __getattr__(name: str) -> FastAPI:
    """Built on first access, not at import, so importing this module has no side effects."""
    if name != "app":
        raise AttributeError(name)
    app = create_app(load_settings())
    app_search(app).warm()  # the model loads while the worker starts serving; searches meanwhile use keywords
    globals()["app"] = app
    return app
