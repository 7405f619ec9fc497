"""Match a period's new papers against many saved searches at once, in memory.

A digest run has a few hundred new papers and up to tens of thousands of saved searches, so the papers
are indexed once (lower-case word -> set of paper positions) and each search is a few set
intersections. Searches use the search box's syntax (``paperwire.search``): every word must
occur (AND, no stemming), ``"phrases"`` must occur as consecutive words, ``-word``/``-"phrase"``
exclude, and ``author:``, ``cat:``, ``has:code``, ``after:``/``before:``/``year:`` filter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from paperwire.search import ParsedQuery, QueryError, parse_query

WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return WORD.findall(text.casefold())


def author_key(name: str) -> str:
    return " ".join(words(name))


def category_matches(wanted: str, categories: Iterable[str]) -> bool:
    """``cs.CL`` matches exactly; a bare archive like ``cs`` matches any ``cs.*``."""
    wanted = wanted.strip().lower()
    return any(c.lower() == wanted or c.lower().startswith(wanted + ".") for c in categories)


@dataclass(frozen=True)
class MatchDoc:
    """The fields of a paper that searches look at."""

    paper_id: int
    arxiv_id: str
    title: str
    abstract: str
    authors: Sequence[str]
    categories: Sequence[str]
    has_code: bool
    published: dt.date | None


class PaperMatcher:
    """An inverted index over one period's papers; ``search`` returns matching paper ids."""

    def __init__(self, docs: Sequence[MatchDoc]):
        self.docs = list(docs)
        self.postings: dict[str, set[int]] = defaultdict(set)
        self.joined: list[str] = []
        self.author_keys: list[list[str]] = []
        self.by_author: dict[str, set[int]] = defaultdict(set)
        for position, doc in enumerate(self.docs):
            tokens = words(f"{doc.title} {doc.abstract}")
            for token in tokens:
                self.postings[token].add(position)
            self.joined.append(f" {' '.join(tokens)} ")
            keys = [author_key(name) for name in doc.authors]
            self.author_keys.append(keys)
            for key in keys:
                self.by_author[key].add(position)
        self.everything = frozenset(range(len(self.docs)))
        self._cache: dict[str, frozenset[int]] = {}
        self._categories: dict[str, list[int]] = {}

    def _contains(self, position: int, phrase_words: list[str]) -> bool:
        return f" {' '.join(phrase_words)} " in self.joined[position]

    def _positions(self, query: ParsedQuery) -> frozenset[int]:
        if query.arxiv_id:
            return frozenset(i for i, d in enumerate(self.docs) if d.arxiv_id == query.arxiv_id)
        required = [w for term in query.terms for w in words(term)]
        phrases = [words(p) for p in query.phrases]
        required += [w for phrase in phrases for w in phrase]
        if not required and not query.has_filters:
            return frozenset()
        if required:
            sets = sorted((self.postings.get(w, set()) for w in set(required)), key=len)
            found = set(sets[0]).intersection(*sets[1:])
        else:
            found = set(self.everything)
        for phrase in phrases:
            if len(phrase) > 1:
                found = {i for i in found if self._contains(i, phrase)}
        for excluded in query.excluded:
            tokens = words(excluded)
            if len(tokens) == 1:
                found -= self.postings.get(tokens[0], set())
            elif tokens:
                found = {i for i in found if not self._contains(i, tokens)}
        for author in query.authors:
            key = author_key(author)
            found = {i for i in found if any(key in name for name in self.author_keys[i])}
        if query.categories:
            found = {
                i
                for i in found
                if any(category_matches(c, self.docs[i].categories) for c in query.categories)
            }
        if query.has_code:
            found = {i for i in found if self.docs[i].has_code}
        if query.after or query.before:
            low, high = query.after or dt.date.min, query.before or dt.date.max
            found = {i for i in found if (p := self.docs[i].published) is not None and low <= p <= high}
        return frozenset(found)

    def search(self, raw: str) -> list[int]:
        """Paper ids matching ``raw`` (an unparseable search matches nothing rather than failing a digest)."""
        positions = self._cache.get(raw)
        if positions is None:
            try:
                positions = self._positions(parse_query(raw))
            except QueryError:
                positions = frozenset()
            self._cache[raw] = positions
        return [self.docs[i].paper_id for i in sorted(positions)]

    def by_followed_author(self, name: str) -> list[int]:
        return [self.docs[i].paper_id for i in sorted(self.by_author.get(author_key(name), ()))]

    def in_category(self, category: str) -> list[int]:
        key = category.strip().lower()
        if key not in self._categories:
            self._categories[key] = [d.paper_id for d in self.docs if category_matches(key, d.categories)]
        return self._categories[key]


def check_query(raw: str) -> None:
    """Raise QueryError for a saved search that could never match (so forms can refuse it)."""
    parsed = parse_query(raw)
    if parsed.is_empty:
        raise QueryError(f"the search {raw!r} has no words or filters")
