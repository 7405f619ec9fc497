from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.migrate import upgrade
from paperwire.db.models import Paper
from paperwire.db.session import make_engine, make_sessionmaker
from paperwire.ingest.runner import run_ingest
from paperwire.library import bibtex, tags
from paperwire.library.bibtex import bibtex_for_papers
from paperwire.library.errors import LibraryError
from paperwire.library.export import export_library, import_bibtex, import_library
from paperwire.library.feedback import rate
from paperwire.library.notes import mark_read, set_note
from paperwire.library.saved import add_saved_search, follow
from tests.library.conftest import make_user


def fill_library(session: Session, user: int, papers: list[Paper]) -> None:
    tags.save(session, user, papers[0].id, ["rl", "to read"])
    tags.save(session, user, papers[1].id, ["rl"])
    tags.save(session, user, papers[2].id, ["vision"])
    tags.set_public(session, user, "vision", True)
    set_note(session, user, papers[0].id, "Check Table 2 & the ablation; 100% reproducible? {maybe}")
    mark_read(session, user, papers[1].id)
    rate(session, user, papers[3].id, -1)
    rate(session, user, papers[4].id, 1)
    add_saved_search(session, user, "agents", 'cat:cs.AI "tool use" after:2026-01-01', "keyword")
    follow(session, user, "author", papers[0].authors[0])
    follow(session, user, "category", "cs.CL")
    session.commit()


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "exported_at"}


def test_export_then_import_into_a_fresh_store_gives_the_same_library(
    store: Engine,
    session: Session,
    users: tuple[int, int],
    papers: list[Paper],
    settings: Settings,
    sample_listing: Path,
    tmp_path: Path,
) -> None:
    ada, _ = users
    fill_library(session, ada, papers)
    exported = export_library(session, ada)
    text = json.dumps(exported)  # it is plain JSON
    assert {t["name"] for t in exported["tags"]} == {"rl", "to read", "vision"}

    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(fresh)
    run_ingest(fresh, "arxiv-daily", [str(sample_listing)], settings)
    with make_sessionmaker(fresh)() as other:
        someone = make_user(other, "ada@elsewhere.org")
        report = import_library(other, someone, json.loads(text))
        other.commit()
        assert report.missing == []
        assert report.imported["saved"] == 4
        again = export_library(other, someone)
        assert comparable(again) == comparable(exported)
        # importing twice changes nothing
        import_library(other, someone, json.loads(text))
        other.commit()
        assert comparable(export_library(other, someone)) == comparable(exported)
        public = [t for t in tags.list_tags(other, someone) if t.public]
        assert [t.name for t in public] == ["vision"] and public[0].public_token
    fresh.dispose()


def test_import_reports_papers_the_store_lacks(
    session: Session, users: tuple[int, int], papers: list[Paper]
) -> None:
    ada, bob = users
    fill_library(session, ada, papers)
    data = export_library(session, ada)
    data["tags"][0]["papers"].append({"arxiv_id": "2101.99999", "added_at": None})
    report = import_library(session, bob, data)
    assert report.missing == ["2101.99999"]
    with pytest.raises(LibraryError, match="not a paperwire library export"):
        import_library(session, bob, {"tags": []})
    with pytest.raises(LibraryError, match="malformed"):
        import_library(session, bob, {"format": "paperwire-library", "version": 1, "tags": [{"papers": []}]})


def test_bibtex_round_trip(session: Session, users: tuple[int, int], papers: list[Paper]) -> None:
    ada, bob = users
    chosen = papers[:6]
    for paper in chosen:
        tags.save(session, ada, paper.id, ["thesis"])
    text = bibtex_for_papers(
        tags.tag_papers(session, tags.get_tag(session, ada, "thesis").id), keyword="thesis"
    )
    entries = bibtex.parse(text)
    assert len(entries) == 6 and len({e.key for e in entries}) == 6
    by_id = {e.fields["eprint"]: e for e in entries}
    for paper in chosen:
        entry = by_id[paper.arxiv_id]
        assert entry.fields["title"] == paper.title
        assert bibtex.authors(entry.fields["author"]) == paper.authors
    report = import_bibtex(session, bob, text, "from-ada")
    assert report.imported == {"saved": 6} and report.missing == []
    assert tags.saved_paper_ids(session, bob) == {p.id for p in chosen}


def test_bibtex_import_matches_by_arxiv_id_doi_and_title(
    session: Session, users: tuple[int, int], papers: list[Paper]
) -> None:
    _, bob = users
    by_doi, by_title, by_url = papers[0], papers[1], papers[2]
    by_doi.doi = "10.1000/Example.DOI"
    session.commit()
    weird_title = by_title.title.upper().replace(" ", "  ") + "."
    text = f"""
    @string{{ conf = "Proc. of Things" }}
    @comment{{ exported by a reference manager }}
    @article{{key1,
      title = {{Something else entirely}},
      doi = "10.1000/example.doi",
      year = 2026, month = jun,
    }}
    @inproceedings{{key2, title = "{{{weird_title}}}", booktitle = conf # " 2026"}}
    @misc{{key3, title={{x}}, url = {{https://arxiv.org/abs/{by_url.arxiv_id}v3}}}}
    @misc{{key4, title = {{A paper nobody has stored}}}}
    """
    report = import_bibtex(session, bob, text, "imported")
    assert report.imported == {"saved": 3}
    assert report.missing == ["A paper nobody has stored"]
    assert tags.saved_paper_ids(session, bob) == {by_doi.id, by_title.id, by_url.id}


def test_bibtex_reader_errors_and_values() -> None:
    (entry,) = bibtex.parse(
        '@Article{k, author = "Lovelace, Ada and Charles Babbage", title = {The {Analytical} Engine \\& You},'
        " note = {50\\% off}, month = dec}"
    )
    assert entry.type == "article"
    assert bibtex.authors(entry.fields["author"]) == ["Ada Lovelace", "Charles Babbage"]
    assert entry.fields["title"] == "The Analytical Engine & You"
    assert entry.fields["note"] == "50% off"
    assert entry.fields["month"] == "Dec"
    with pytest.raises(LibraryError, match="line 2"):
        bibtex.parse("@misc{k,\n title = {unclosed")
    written = bibtex.dump([bibtex.Entry("misc", "k", {"title": "50% of R&D_x #1 $5"})])
    assert bibtex.parse(written)[0].fields["title"] == "50% of R&D_x #1 $5"


def test_export_is_per_user(session: Session, users: tuple[int, int], papers: list[Paper]) -> None:
    ada, bob = users
    fill_library(session, ada, papers)
    data = export_library(session, bob)
    assert data["tags"] == [] and data["notes"] == [] and data["ratings"] == [] and data["follows"] == []
    assert session.execute(select(Paper.id)).first() is not None


def test_digest_settings_travel_with_the_library(session: Session, users: tuple[int, int]) -> None:
    """The account export (digest.account_export) adds the user's digest settings to the library's."""
    from paperwire.accounts.models import User
    from paperwire.digest import subscriptions
    from paperwire.digest.account_export import export_account, import_account

    ada, bob = users
    topics = subscriptions.Topics(trending=True, queries=("diffusion",), categories=("cs.CV",))
    owner = session.get(User, ada)
    assert owner is not None
    subscriptions.subscribe(session, owner.email, "weekly", topics, user=owner)
    session.commit()
    data = json.loads(json.dumps(export_account(session, ada)))
    (row,) = data["digest"]["digest_subscriptions"]
    assert row["cadence"] == "weekly" and not any(k.endswith(("token", "nonce")) for k in row)
    report = import_account(session, bob, data)
    session.commit()
    assert report.imported.get("digest_settings") == 1
    mine = subscriptions.find(session, session.get(User, bob).email)  # type: ignore[union-attr]
    assert mine is not None and mine.cadence == "weekly"
    assert mine.topics()["queries"] == ["diffusion"] and mine.topics()["categories"] == ["cs.CV"]
