"""Errors the library's callers turn into one-line messages (CLI) or 4xx responses (web)."""

from __future__ import annotations


class LibraryError(ValueError):
    """Bad input from the user: an empty tag name, an unknown paper, a malformed file."""


class NotFound(LibraryError):
    """The thing does not exist, or belongs to someone else (the two are never told apart)."""
