"""BibTeX entries: keys, escaping, math kept, and read back."""

from __future__ import annotations

import datetime as dt

from paperwire.db.models import Paper
from paperwire.library.bibtex import bibtex, citation_key


def paper(**fields: object) -> Paper:
    values: dict[str, object] = {
        "arxiv_id": "2401.01234",
        "title": "The Effect of $\\alpha$ on 50% of R&D_things {braces}",
        "abstract": "",
        "authors": ["José Álvarez-Núñez", "Ada Lovelace"],
        "categories": ["cs.CL"],
        "primary_category": "cs.CL",
        "published": dt.date(2024, 1, 3),
        "code_urls": [],
    }
    values.update(fields)
    return Paper(**values)


def test_key_and_fields() -> None:
    entry = bibtex(paper())
    assert citation_key(paper()) == "alvareznunez2024effect"
    assert entry.startswith("@misc{alvareznunez2024effect,\n")
    assert "author = {José Álvarez-Núñez and Ada Lovelace}" in entry
    assert "eprint = {2401.01234}" in entry and "archivePrefix = {arXiv}" in entry
    assert "primaryClass = {cs.CL}" in entry and "year = {2024}" in entry
    assert r"title = {{The Effect of $\alpha$ on 50\% of R\&D\_things \{braces\}}}" in entry
    assert entry.count("{") == entry.count("}") + 0  # balanced braces: BibTeX parsers need this
    assert entry.endswith("}\n")


def test_key_falls_back_to_arxiv_id() -> None:
    assert citation_key(paper(authors=[], arxiv_id="hep-th/9901001")) == "arxivhepth9901001"


def test_what_is_written_reads_back() -> None:
    """One writer and one reader: a paper's citation parses back to its own values."""
    from paperwire.library.bibtex import authors, parse

    written = paper(title="A \\ path ~ of $\\alpha$ & 50% {R&D}_x", journal_ref="J. Things 1 (2024)")
    (entry,) = parse(bibtex(written))
    assert entry.type == "article" and entry.key == citation_key(written)
    assert entry.fields["title"] == written.title
    assert authors(entry.fields["author"]) == written.authors
    assert entry.fields["eprint"] == "2401.01234" and entry.fields["journal"] == "J. Things 1 (2024)"
