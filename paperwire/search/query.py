"""Parse what a user types into the search box into free text, phrases, exclusions and filters.

Syntax: words, ``"exact phrases"``, ``-word`` / ``-"phrase"`` exclusions, ``author:Name`` or
``author:"First Last"``, ``cat:cs.CL``, ``has:code``, ``after:2025-01-01``, ``before:2025-06-30``,
``year:2025``, ``claim:speedup>=2`` (a quantitative claim of the abstract, syntax in
``paperwire.claims.compare``) and ``sort:claim`` (the strongest claimed factor first) (several ``cat:``
are OR-ed, everything else is AND-ed). A query that is an arXiv id in any
spelling (``2401.01234v2``, ``arXiv:...``, an abs or pdf URL) is marked so search can go straight to it.
Unknown ``name:value`` tokens are kept as plain words, so "ratio 3:1" still searches, and a minus before
a number is its sign (``-0.74``), not an exclusion.

A query of more than ``PROSE_WORDS`` words is prose (a pasted abstract, a paragraph describing what one
looks for), where quotation marks and dashes are punctuation: its quoted passages and ``-words`` stay
plain words, and a filter name with nothing after it (``Design: ...``) is a word. Filters with a value
still apply. Read as syntax, an abstract's scare quotes would demand papers containing those exact words.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from paperwire.claims.compare import ClaimFilter, ClaimFilterError, parse_claim_filter
from paperwire.papers.ids import InvalidArxivId, normalize_arxiv_id

TOKEN = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)"?|(\S*))')
FILTERS = {"author", "cat", "has", "after", "before", "year", "claim", "sort"}
TITLE_WORD = re.compile(r"\w+")
PROSE_WORDS = 30
NUMBER = re.compile(r"[\d.,]")


class QueryError(ValueError):
    """A filter the user wrote that cannot mean anything (bad date, unknown ``has:``)."""


@dataclass
class ParsedQuery:
    raw: str
    terms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # words or phrases that must not match
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    has_code: bool = False
    after: dt.date | None = None
    before: dt.date | None = None
    arxiv_id: str | None = None
    claims: list[ClaimFilter] = field(default_factory=list)
    sort_by_claim: bool = False
    # Set by the search service from ``claims`` (a lookup in the claims store): only these papers match.
    paper_ids: frozenset[int] | None = None

    @property
    def text(self) -> str:
        """The free text (words and phrases) that ranking and the embedder see."""
        return " ".join([*self.terms, *self.phrases])

    @property
    def has_filters(self) -> bool:
        return bool(
            self.authors
            or self.categories
            or self.has_code
            or self.after
            or self.before
            or self.excluded
            or self.claims
        )

    @property
    def restricts(self) -> bool:
        """Whether some papers cannot match whatever their words: a filter, or a (required) phrase."""
        return self.has_filters or bool(self.phrases)

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.has_filters or self.arxiv_id)


def title_key(title: str) -> str:
    """A title reduced to lower-case words, so an exact-title query matches despite case and punctuation."""
    return " ".join(TITLE_WORD.findall(title.casefold()))


def _date(name: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{name}: expects a date as YYYY-MM-DD, got {value!r}") from None


def _year(value: str) -> tuple[dt.date, dt.date]:
    if not re.fullmatch(r"\d{4}", value):
        raise QueryError(f"year: expects a four-digit year, got {value!r}")
    year = int(value)
    if year < 1:
        raise QueryError(f"year: expects a four-digit year, got {value!r}")
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _apply_filter(parsed: ParsedQuery, name: str, value: str) -> None:
    if not value:
        raise QueryError(f"{name}: needs a value")
    if name == "author":
        parsed.authors.append(value)
    elif name == "cat":
        parsed.categories.append(value)
    elif name == "has":
        if value.lower() != "code":
            raise QueryError(f"has: only supports has:code, got has:{value}")
        parsed.has_code = True
    elif name == "after":
        day = _date(name, value)
        parsed.after = max(parsed.after, day) if parsed.after else day
    elif name == "claim":
        try:
            parsed.claims.append(parse_claim_filter(value))
        except ClaimFilterError as exc:
            raise QueryError(str(exc)) from None
    elif name == "sort":
        if value.lower() != "claim":
            raise QueryError(f"sort: only supports sort:claim, got sort:{value}")
        parsed.sort_by_claim = True
    elif name == "before":
        day = _date(name, value)
        parsed.before = min(parsed.before, day) if parsed.before else day
    else:
        start, end = _year(value)
        parsed.after = max(parsed.after, start) if parsed.after else start
        parsed.before = min(parsed.before, end) if parsed.before else end


def parse_query(raw: str) -> ParsedQuery:
    """Split ``raw`` into its parts; raise QueryError for a filter with an unusable value."""
    parsed = ParsedQuery(raw=raw)
    stripped = raw.strip()
    try:
        parsed.arxiv_id = normalize_arxiv_id(stripped)
    except InvalidArxivId:
        pass
    else:
        return parsed
    prose = len(stripped.split()) > PROSE_WORDS
    for match in TOKEN.finditer(stripped):
        negate, name, quoted, bare = match.groups()
        value = (quoted if quoted is not None else bare or "").strip()
        name_l = name.lower() if name else None
        if name_l in FILTERS and not negate and (value or not prose):
            _apply_filter(parsed, name_l, value)
            continue
        if name and (name_l not in FILTERS or not value):
            value = f"{name}:{value}" if quoted is None else f"{name} {value}"
        if not value:
            continue
        if negate and not prose and not NUMBER.match(value):
            parsed.excluded.append(value)
        elif quoted is not None and " " in value and not prose:
            parsed.phrases.append(value)
        else:
            parsed.terms.append(value)
    if parsed.after and parsed.before and parsed.after > parsed.before:
        raise QueryError(
            f"the date range is empty: after {parsed.after} is later than before {parsed.before}"
        )
    return parsed
