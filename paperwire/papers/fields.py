"""What a field may hold before it is stored: types, sizes, whole numbers and links.

Every source's values go through these checks (from ``record.build_record``), so a record with a
wrong type, an oversize value, a number the store cannot hold, text that is not valid Unicode or a
link that is not http(s) is refused as one bad record instead of failing the write of its batch.
The limits are documented in docs/formats.md; each is several times the largest real value seen.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from paperwire.papers.text import clean_text

MAX_CHARS = {
    "title": 2_000,
    "abstract": 20_000,
    "comments": 5_000,
    "journal_ref": 1_000,
    "doi": 256,
    "license": 500,
    "author": 1_000,
    "category": 300,
    "submitter": 200,
    "ai_summary": 5_000,
    "keyword": 200,
    "url": 2_000,
}
MAX_ITEMS = {"authors": 10_000, "categories": 100, "ai_keywords": 200}
MAX_COUNT = 2**31 - 1  # upvotes, comments, stars: the store's integer columns
MAX_VERSION = 10_000
SURROGATE = re.compile(r"[\ud800-\udfff]")


class FieldProblem(ValueError):
    """A value a field cannot take; ``build_record`` names the record it came from."""

    def __init__(self, field: str, reason: str):
        self.field = field
        super().__init__(reason)


def text(
    value: Any, field: str, limit_key: str | None = None, clean: Callable[[str], str] = clean_text
) -> str:
    """Cleaned text (control characters dropped, whitespace collapsed), or "" for None."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldProblem(field, f"expected text, got {type(value).__name__}")
    limit = MAX_CHARS[limit_key or field]
    if len(value) > 4 * limit:  # refused before cleaning, which would cost time on a huge value
        raise FieldProblem(field, f"longer than {limit} characters ({len(value)})")
    if not value.isascii() and SURROGATE.search(value):  # isascii() is constant-time
        raise FieldProblem(field, "not valid Unicode (a lone surrogate such as \\ud800)")
    cleaned = clean(value)
    if len(cleaned) > limit:
        raise FieldProblem(field, f"longer than {limit} characters ({len(cleaned)})")
    return cleaned


def optional_text(value: Any, field: str, limit_key: str | None = None) -> str | None:
    return text(value, field, limit_key) or None


def text_list(value: Any, field: str, item_key: str, clean: Callable[[str], str] = clean_text) -> list[str]:
    """A list of short texts, each cleaned by ``clean``, empty ones dropped."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldProblem(field, f"expected a list, got {type(value).__name__}")
    if len(value) > MAX_ITEMS[field]:
        raise FieldProblem(field, f"more than {MAX_ITEMS[field]} entries ({len(value)})")
    limit = MAX_CHARS[item_key]
    out = []
    for item in value:
        if not isinstance(item, str):
            raise FieldProblem(field, f"expected a list of strings, found {type(item).__name__}")
        # The common case (a short ASCII name) skips text()'s checks: a list may hold thousands.
        cleaned = clean(item) if len(item) <= limit and item.isascii() else text(item, field, item_key, clean)
        if cleaned:
            out.append(cleaned)
    return out


def count(value: Any, field: str, maximum: int = MAX_COUNT) -> int:
    """A whole number 0..maximum; an integral float (``12.0``) or digit string (CSV) is accepted."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value) if abs(value) <= maximum else maximum + 1
    elif isinstance(value, str):
        digits = value.strip()
        if 0 < len(digits) <= 12 and digits.isascii() and digits.isdigit():
            number = int(digits)
    if number is None:
        raise FieldProblem(field, f"not a whole number: {repr(value)[:40]}")
    if not 0 <= number <= maximum:
        raise FieldProblem(field, f"out of range (0..{maximum})")
    return number


def http_url(value: Any, field: str) -> str | None:
    """An absolute http(s) URL with a host, or None for empty; anything else (``javascript:``,
    ``java<TAB>script:``, ``data:``, relative paths) is refused, so no stored link can run a script."""
    # A URL holds no whitespace: what is there was wrapped in (real records break long links with "\n").
    cleaned = "".join(text(value, field, "url").split())
    if not cleaned:
        return None
    try:
        parts = urllib.parse.urlsplit(cleaned)
    except ValueError:
        raise FieldProblem(field, "not an http(s) URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        scheme = f"{parts.scheme}:" if parts.scheme else "no scheme"
        raise FieldProblem(field, f"not an http(s) URL ({scheme[:20]})")
    return parts._replace(scheme=parts.scheme.lower()).geturl()
