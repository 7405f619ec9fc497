"""BM25 keyword search over titles, abstracts and authors, kept in a tantivy index on disk.

tantivy was measured ~40x faster than SQLite FTS5 for ranked OR queries here. The index stores what
search needs to answer without the database (arXiv id, title and abstract for snippets, filter fields),
so a query never touches the store. Papers are upserted by ``paper_id``: re-adding a paper replaces it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import shutil
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tantivy

from paperwire.search.ondisk import file_stamp
from paperwire.search.query import ParsedQuery, title_key

TEXT_ANALYZER = "paperwire_en"
NAME_ANALYZER = "paperwire_names"
# BM25 runs over one field holding title and abstract together (Anserini measured this beats separate
# fields on SciFact: 0.679 vs 0.665), plus the title again so words in it count a bit more, and authors.
TEXT_FIELDS = ("text", "title", "authors")
# chosen on SciFact train and NFCorpus train+dev together, short and paragraph-long queries (0.2-0.3
# differ by under 0.002 nDCG@10 on each)
TITLE_BOOST = 0.3
SNIPPET_CHARS = 240
WRITER_HEAP = 200_000_000
IDS_UNION_LIMIT = 4000  # see KeywordIndex._ids_query


class IncompatibleIndex(RuntimeError):
    """The index on disk has another schema (made by another version): it must be rebuilt."""


@dataclass(frozen=True)
class IndexedPaper:
    """The part of a paper the keyword index holds."""

    paper_id: int
    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published: dt.date | None = None
    has_code: bool = False

    @property
    def content_hash(self) -> int:
        """Changes exactly when the embedded text changes, so metadata-only updates skip re-embedding."""
        digest = hashlib.blake2b(f"{self.title}\x00{self.abstract}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)


@dataclass
class KeywordHits:
    ids: list[int]
    scores: list[float]
    total: int


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("paper_id", stored=True, indexed=True, fast=True)
    sb.add_text_field("arxiv_id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name=TEXT_ANALYZER)
    # searched through "text"; indexed here (ids only) just so snippets can find the words to mark
    sb.add_text_field("abstract", stored=True, tokenizer_name=TEXT_ANALYZER, index_option="basic")
    sb.add_text_field("text", tokenizer_name=TEXT_ANALYZER)
    sb.add_text_field("authors", stored=True, tokenizer_name=NAME_ANALYZER)
    sb.add_text_field("categories", stored=True, tokenizer_name="raw")
    sb.add_text_field("title_key", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("published", stored=True, indexed=True, fast=True)
    sb.add_integer_field("has_code", stored=True, indexed=True, fast=True)
    sb.add_integer_field("content_hash", stored=True, indexed=False, fast=True)
    return sb.build()


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    text = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    names = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )
    return {TEXT_ANALYZER: text, NAME_ANALYZER: names}


def _day_number(day: dt.date | None) -> int:
    return day.year * 10000 + day.month * 100 + day.day if day else 0


def _quote(text: str) -> str:
    """One quoted clause of tantivy's query language; quotes and backslashes are only punctuation here."""
    return '"' + text.replace("\\", " ").replace('"', " ") + '"'


def _mark(text: str, window: tuple[int, int], ranges: Iterable[Any], offset: int) -> str:
    """HTML-escape ``text[window]`` (UTF-8 byte offsets) and wrap the matched ranges (which start at
    ``offset``) in <mark>; an ellipsis shows where the window cuts the text."""
    raw = text.encode()
    start, end = window
    if end < len(raw) and not raw[end : end + 1].isspace():  # keep the punctuation that ends a sentence
        end += 1
    out = ["… " if start > 0 else ""]
    pos = start
    for r in sorted(ranges, key=lambda r: r.start):
        lo, hi = offset + r.start, offset + r.end
        if lo < pos:
            continue
        out.append(html.escape(raw[pos:lo].decode(errors="ignore")))
        out.append(f"<mark>{html.escape(raw[lo:hi].decode(errors='ignore'))}</mark>")
        pos = hi
    out.append(html.escape(raw[pos:end].decode(errors="ignore")))
    out.append(" …" if end < len(raw.rstrip()) else "")
    return "".join(out)


def _meta_stamp(directory: Path) -> tuple[int, int, int] | None:
    """Identifies the index's last commit: tantivy replaces meta.json (a new file) on every commit and
    merge, whichever process makes it."""
    return file_stamp(directory / "meta.json")


def _paper_ids(searcher: Any, addresses: Sequence[Any]) -> list[int]:
    """Paper ids of search hits from the fast field, without loading stored documents."""
    return [int(v) for v in searcher.fast_field_values("paper_id", list(addresses))]


def _count(result: Any) -> int:
    return int(result.count)


class KeywordIndex:
    """One tantivy index directory; cheap to open, safe to read while another process writes."""

    def __init__(self, directory: Path, *, title_boost: float = TITLE_BOOST) -> None:
        self.directory = directory
        self.title_boost = title_boost
        directory.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self._reload_lock = threading.Lock()
        self._stamp = _meta_stamp(directory)  # read before opening: a commit after it reloads again
        try:
            self.index = tantivy.Index(self.schema, path=str(directory), reuse=True)
        except ValueError as exc:
            if "schema does not match" not in str(exc):
                raise
            raise IncompatibleIndex(
                f"the keyword index in {directory} was made by another version; run `paperwire index`"
            ) from None
        analyzers = _analyzers()
        for name, analyzer in analyzers.items():
            self.index.register_tokenizer(name, analyzer)
        self._ranked_fields = (
            ("text", analyzers[TEXT_ANALYZER], 1.0),
            ("title", analyzers[TEXT_ANALYZER], title_boost),
            ("authors", analyzers[NAME_ANALYZER], 1.0),
        )

    @classmethod
    def destroy(cls, directory: Path) -> None:
        shutil.rmtree(directory, ignore_errors=True)

    def __len__(self) -> int:
        return int(self.searcher().num_docs)

    def searcher(self) -> tantivy.Searcher:
        """A searcher over the last commit, whichever process made it.

        The reader is reloaded only when meta.json changed since the last reload (one stat, ~2 us),
        not on every call: a reload reopens every segment (~0.3 ms at 1M papers, 14 segments). Use one
        searcher for all the reads of one answer; doc addresses belong to the searcher that found them.
        """
        stamp = _meta_stamp(self.directory)
        if stamp != self._stamp:
            with self._reload_lock:
                if stamp != self._stamp:
                    self.index.reload()
                    self._stamp = stamp
        return self.index.searcher()

    def _reload(self) -> None:
        """After a write by this process: reload now (the stamp is read first, so no commit is missed)."""
        with self._reload_lock:
            stamp = _meta_stamp(self.directory)
            self.index.reload()
            self._stamp = stamp

    def _ids_query(self, paper_ids: Iterable[int]) -> tantivy.Query:
        """Matches the given papers. Up to a few thousand ids, a union of term queries is 2-4x faster
        than ``term_set_query`` on ``paper_id`` (1M papers: 100 ids 0.4 vs 1.7 ms, 4,000 ids 22 vs
        32 ms); past that the union's cost grows with its size and the term set wins."""
        unique = list(dict.fromkeys(int(p) for p in paper_ids))
        if len(unique) > IDS_UNION_LIMIT:
            return tantivy.Query.term_set_query(self.schema, "paper_id", unique)
        terms = [
            (
                tantivy.Occur.Should,
                tantivy.Query.term_query(self.schema, "paper_id", pid, index_option="basic"),
            )
            for pid in unique
        ]
        return tantivy.Query.boolean_query(terms)

    # -- writing -----------------------------------------------------------------------------------

    def upsert(self, papers: Sequence[IndexedPaper], *, num_threads: int = 0) -> None:
        """Add or replace ``papers`` and commit: after this returns, searches see them."""
        if not papers:
            return
        writer = self.index.writer(WRITER_HEAP, num_threads)
        for paper in papers:
            writer.delete_documents_by_term("paper_id", paper.paper_id)
            writer.add_document(self._document(paper))
        writer.commit()
        writer.wait_merging_threads()
        self._reload()

    def delete(self, paper_ids: Iterable[int]) -> None:
        writer = self.index.writer(WRITER_HEAP, 1)
        for pid in paper_ids:
            writer.delete_documents_by_term("paper_id", pid)
        writer.commit()
        writer.wait_merging_threads()
        self._reload()

    def _document(self, paper: IndexedPaper) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_integer("paper_id", paper.paper_id)
        doc.add_text("arxiv_id", paper.arxiv_id)
        doc.add_text("title", paper.title)
        doc.add_text("abstract", paper.abstract)
        doc.add_text("text", f"{paper.title}\n{paper.abstract}")
        for name in paper.authors:
            doc.add_text("authors", name)
        for cat in paper.categories:
            doc.add_text("categories", cat.lower())
        doc.add_text("title_key", title_key(paper.title))
        doc.add_integer("published", _day_number(paper.published))
        doc.add_integer("has_code", int(paper.has_code))
        doc.add_integer("content_hash", paper.content_hash)
        return doc

    # -- queries -----------------------------------------------------------------------------------

    def text_query(self, words: Sequence[str], phrases: Sequence[str] = ()) -> tantivy.Query | None:
        """BM25 of ``words`` and ``phrases`` over title and abstract, title (boosted) and authors; None when
        nothing searchable is left.

        A word counts as often as the query repeats it (each occurrence a clause, as in Lucene): the words
        a paragraph-long query keeps coming back to are what it is about. tantivy's query parser counts
        each word once, which cost 2-3 nDCG@10 points on paragraph queries (docs/benchmarks.md).
        """
        text = " ".join(words)
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for name, analyzer, boost in self._ranked_fields:
            for token, repeats in Counter(analyzer.analyze(text)).items():
                query = tantivy.Query.term_query(self.schema, name, token)
                weight = boost * repeats
                clauses.append(
                    (tantivy.Occur.Should, query if weight == 1 else tantivy.Query.boost_query(query, weight))
                )
        phrase_queries = (self.match_query([phrase]) for phrase in phrases)
        clauses.extend((tantivy.Occur.Should, q) for q in phrase_queries if q is not None)
        return tantivy.Query.boolean_query(clauses) if clauses else None

    def match_query(self, text_parts: Sequence[str]) -> tantivy.Query | None:
        """Matches papers with any of ``text_parts`` (each a word or phrase) in title, abstract or authors."""
        clauses = [_quote(part) for part in text_parts if part.strip()]
        if not clauses:
            return None
        return self.index.parse_query(
            " ".join(clauses), list(TEXT_FIELDS), field_boosts={"title": self.title_boost}
        )

    def filter_query(self, parsed: ParsedQuery) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        """The filters of ``parsed`` as scoreless clauses."""
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []

        def must(query: tantivy.Query) -> None:
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(query, 0.0)))

        for phrase in parsed.phrases:  # a quoted phrase is required, not just ranked higher
            q = self.match_query([phrase])
            if q is not None:
                must(q)
        for name in parsed.authors:
            must(self.index.parse_query(f"authors:{_quote(name)}"))
        if parsed.categories:
            cats = [c.lower() for c in parsed.categories]
            must(tantivy.Query.term_set_query(self.schema, "categories", cats))
        if parsed.has_code:
            must(tantivy.Query.term_query(self.schema, "has_code", 1))
        if parsed.after or parsed.before:
            must(
                tantivy.Query.range_query(
                    self.schema,
                    "published",
                    tantivy.FieldType.Integer,
                    _day_number(parsed.after) if parsed.after else 1,
                    _day_number(parsed.before) if parsed.before else 99991231,
                )
            )
        if parsed.paper_ids is not None:  # the papers a claim: filter allows (the service looked them up)
            must(self._ids_query(parsed.paper_ids))
        for part in parsed.excluded:
            q = self.match_query([part])
            if q is not None:
                clauses.append((tantivy.Occur.MustNot, q))
        return clauses

    def _query(self, parsed: ParsedQuery, restrict: Sequence[int] | None = None) -> tantivy.Query | None:
        text = self.text_query(parsed.terms, parsed.phrases)
        clauses = self.filter_query(parsed)
        if restrict is not None:
            ids = self._ids_query(restrict)
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(ids, 0.0)))
        if text is None and not clauses:
            return None
        main = text if text is not None else tantivy.Query.all_query()
        if not clauses:
            return main
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, main), *clauses])

    def search(self, parsed: ParsedQuery, *, limit: int, offset: int = 0, count: bool = True) -> KeywordHits:
        """Best BM25 matches; a query of filters only lists the newest matching papers first.

        ``count=False`` leaves ``total`` at the number of hits returned (tantivy then skips counting).
        """
        query = self._query(parsed)
        if query is None:
            return KeywordHits([], [], 0)
        searcher = self.searcher()
        by_date = not parsed.text.strip()
        if by_date:
            result = searcher.search(query, limit, count=count, order_by_field="published", offset=offset)
        else:
            result = searcher.search(query, limit, count=count, offset=offset)
        addresses = [addr for _, addr in result.hits]
        scores = [0.0 if by_date else float(score) for score, _ in result.hits]
        total = _count(result) if count else len(addresses)
        return KeywordHits(_paper_ids(searcher, addresses), scores, total)

    def scores(self, parsed: ParsedQuery, paper_ids: Sequence[int]) -> dict[int, float]:
        """BM25 of the query's text for each of ``paper_ids`` that matches it and its filters."""
        if not paper_ids:
            return {}
        query = self._query(parsed, restrict=paper_ids)
        if query is None:
            return {}
        searcher = self.searcher()
        result = searcher.search(query, len(paper_ids), count=False)
        addresses = [addr for _, addr in result.hits]
        ids = _paper_ids(searcher, addresses)
        return {pid: float(score) for pid, (score, _) in zip(ids, result.hits, strict=True)}

    def matching(self, parsed: ParsedQuery, paper_ids: Sequence[int]) -> set[int]:
        """Which of ``paper_ids`` pass the query's filters and phrases (its other words need not match)."""
        if not parsed.restricts:
            return set(paper_ids)
        return set(self.scores(replace(parsed, terms=[]), paper_ids))

    def has_any_word(self, words: Sequence[str]) -> bool:
        """Whether any paper has one of ``words`` in its title, abstract or authors: a term lookup per
        analysed word and field instead of a search (~4 ms at 1M papers). A word only a replaced paper
        had may count until its segment is merged away, which errs on the side of answering."""
        searcher = self.searcher()
        text = " ".join(words)
        return any(
            searcher.doc_freq(name, token) > 0
            for name, analyzer, _ in self._ranked_fields
            for token in set(analyzer.analyze(text))
        )

    def contains(self, phrase: str) -> bool:
        """Whether any paper has ``phrase`` (a word or an exact phrase) in its title, abstract or authors."""
        query = self.match_query([phrase])
        return query is not None and bool(self.searcher().search(query, 1, count=False).hits)

    def lookup_arxiv_id(self, arxiv_id: str) -> int | None:
        return self._lookup("arxiv_id", arxiv_id)

    def lookup_title(self, text: str) -> int | None:
        key = title_key(text)
        return self._lookup("title_key", key) if key else None

    def _lookup(self, field: str, value: str) -> int | None:
        searcher = self.searcher()
        result = searcher.search(tantivy.Query.term_query(self.schema, field, value), 1, count=False)
        if not result.hits:
            return None
        return _paper_ids(searcher, [result.hits[0][1]])[0]

    def documents(self, paper_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Stored fields of the given papers (those that are indexed)."""
        if not paper_ids:
            return {}
        searcher = self.searcher()
        result = searcher.search(self._ids_query(paper_ids), len(paper_ids), count=False)
        docs = {}
        for _, addr in result.hits:
            doc = searcher.doc(addr).to_dict()
            docs[int(doc["paper_id"][0])] = doc
        return docs

    def all_documents(self) -> dict[int, dict[str, Any]]:
        """Every stored document by paper id: what a rebuilt and an incremental index are compared on."""
        searcher = self.searcher()
        result = searcher.search(tantivy.Query.all_query(), max(1, searcher.num_docs), count=False)
        out = {}
        for _, addr in result.hits:
            doc = searcher.doc(addr).to_dict()
            out[int(doc["paper_id"][0])] = doc
        return out

    def content_hashes(self, paper_ids: Sequence[int]) -> dict[int, int]:
        return {pid: int(doc["content_hash"][0]) for pid, doc in self.documents(paper_ids).items()}

    def highlights(self, parsed: ParsedQuery, paper_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """HTML-escaped title and abstract snippets with <mark> around the words that matched."""
        return {pid: marks for pid, (_, marks) in self.describe(parsed, paper_ids).items()}

    def describe(
        self, parsed: ParsedQuery | None, paper_ids: Sequence[int]
    ) -> dict[int, tuple[str, dict[str, str]]]:
        """Each paper's arXiv id and its highlights for ``parsed`` (none without it): one read per hit."""
        if not paper_ids:
            return {}
        # phrases are marked word by word: the abstract field keeps no positions for phrase matching
        words = [*parsed.terms, *(w for p in parsed.phrases for w in p.split())] if parsed else []
        clauses = [_quote(word) for word in words if word.strip()]
        searcher = self.searcher()
        generators = {}
        if clauses:
            marked = self.index.parse_query(" ".join(clauses), ["title", "abstract"])
            for name in ("title", "abstract"):
                generator = tantivy.SnippetGenerator.create(searcher, marked, self.schema, name)
                generator.set_max_num_chars(1000 if name == "title" else SNIPPET_CHARS)
                generators[name] = generator
        result = searcher.search(self._ids_query(paper_ids), len(paper_ids), count=False)
        out: dict[int, tuple[str, dict[str, str]]] = {}
        addresses = [addr for _, addr in result.hits]
        for pid, addr in zip(_paper_ids(searcher, addresses), addresses, strict=True):
            doc = searcher.doc(addr)
            marks: dict[str, str] = {}
            for name, generator in generators.items():
                snippet = generator.snippet_from_doc(doc)
                ranges = snippet.highlighted()
                if not ranges:
                    continue
                text = " ".join(str(v) for v in doc.get_all(name)).strip()
                frag = snippet.fragment_range()
                # a title is shown whole, an abstract as its best window
                window = (0, len(text.encode())) if name == "title" else (frag.start, frag.end)
                marks[name] = _mark(text, window, ranges, frag.start)
            out[pid] = (str(doc.get_first("arxiv_id")), marks)
        return out
