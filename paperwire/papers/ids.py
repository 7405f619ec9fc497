"""arXiv identifiers: every spelling a source uses, reduced to one id without its version."""

from __future__ import annotations

import re

NEW_STYLE = re.compile(r"(\d{4}\.\d{4,5})(?:v(\d+))?")
OLD_STYLE = re.compile(r"([a-z][a-z-]*(?:\.[A-Za-z]{2})?/\d{7})(?:v(\d+))?")
PREFIXES = re.compile(
    r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/|oai:arxiv\.org:|arxiv:)", re.IGNORECASE
)


class InvalidArxivId(ValueError):
    pass


def parse_arxiv_id(raw: str) -> tuple[str, int | None]:
    """Return (id without version, version or None); raise InvalidArxivId for anything else.

    Accepts ``2401.01234``, ``2401.01234v3``, ``arXiv:2401.01234``, abs/pdf URLs,
    ``oai:arXiv.org:hep-th/9901001`` and old-style ids such as ``hep-th/9901001v2``.
    """
    text = PREFIXES.sub("", raw.strip())
    text = text.removesuffix(".pdf").rstrip("/")
    for pattern in (NEW_STYLE, OLD_STYLE):
        match = pattern.fullmatch(text)
        if match:
            version = int(match.group(2)) if match.group(2) else None
            return match.group(1), version
    raise InvalidArxivId(f"not an arXiv id: {raw!r}")


def normalize_arxiv_id(raw: str) -> str:
    return parse_arxiv_id(raw)[0]


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/pdf/{arxiv_id}"
