from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from paperwire.db.models import Paper
from paperwire.library import tags
from paperwire.library.errors import LibraryError, NotFound
from paperwire.library.feedback import rate, ratings
from paperwire.library.notes import get_note, mark_read, read_ids, set_note
from tests.library.conftest import all_papers, two_users


def names(session: Session, user: int) -> dict[str, int]:
    return {t.name: t.count for t in tags.list_tags(session, user)}


def test_save_under_several_tags_and_unsave(sqlite_session: Session) -> None:
    session = sqlite_session
    users, papers = two_users(session), all_papers(session)
    ada, _ = users
    a, b = papers[0], papers[1]
    assert tags.save(session, ada, a.id, ["rl", " diffusion  models "]) == ["rl", "diffusion models"]
    tags.save(session, ada, a.id, ["rl"])  # twice is harmless
    tags.save(session, ada, b.id, ["rl"])
    assert names(session, ada) == {"rl": 2, "diffusion models": 1}
    assert [p.id for p in tags.tag_papers(session, tags.get_tag(session, ada, "rl").id)] == [b.id, a.id]
    assert tags.unsave(session, ada, a.id, "rl") == 1
    assert names(session, ada) == {"rl": 1, "diffusion models": 1}
    assert tags.unsave(session, ada, a.id) == 1
    assert tags.saved_paper_ids(session, ada) == {b.id}
    with pytest.raises(LibraryError):
        tags.save(session, ada, a.id, ["   "])
    with pytest.raises(LibraryError, match="'/'"):
        tags.save(session, ada, a.id, ["a/b"])
    with pytest.raises(NotFound):
        tags.save(session, ada, 10**9, ["rl"])


def test_rename_merge_delete(session: Session, users: tuple[int, int], papers: list[Paper]) -> None:
    ada, _ = users
    p1, p2, p3 = papers[:3]
    tags.save(session, ada, p1.id, ["a"])
    tags.save(session, ada, p2.id, ["a", "b"])
    tags.save(session, ada, p3.id, ["c"])
    tags.rename_tag(session, ada, "a", "alpha")
    assert names(session, ada) == {"alpha": 2, "b": 1, "c": 1}
    with pytest.raises(LibraryError, match="exists already"):
        tags.rename_tag(session, ada, "b", "alpha")
    with pytest.raises(NotFound):
        tags.rename_tag(session, ada, "nope", "x")
    moved = tags.merge_tags(session, ada, ["b", "c"], "alpha")
    assert moved == 1  # p2 was under alpha already, p3 moves
    assert names(session, ada) == {"alpha": 3}
    tags.delete_tag(session, ada, "alpha")
    assert names(session, ada) == {}
    assert tags.saved_paper_ids(session, ada) == set()


def test_users_never_see_each_other(session: Session, users: tuple[int, int], papers: list[Paper]) -> None:
    ada, bob = users
    paper = papers[0]
    tags.save(session, ada, paper.id, ["secret"])
    set_note(session, ada, paper.id, "my private thoughts")
    rate(session, ada, paper.id, -1)
    mark_read(session, ada, paper.id)
    assert names(session, bob) == {}
    assert tags.saved_paper_ids(session, bob) == set()
    assert get_note(session, bob, paper.id) is None
    assert ratings(session, bob) == {}
    assert read_ids(session, bob) == set()
    with pytest.raises(NotFound):
        tags.get_tag(session, bob, "secret")
    with pytest.raises(NotFound):  # bob cannot delete or rename ada's tag either
        tags.delete_tag(session, bob, "secret")
    assert tags.paper_tags(session, bob, [paper.id]) == {}
    assert tags.paper_tags(session, ada, [paper.id]) == {paper.id: ["secret"]}


def test_notes_read_marks_and_ratings(sqlite_session: Session) -> None:
    session = sqlite_session
    users, papers = two_users(session), all_papers(session)
    ada, _ = users
    paper = papers[0]
    set_note(session, ada, paper.id, "  first  ")
    set_note(session, ada, paper.id, "second")
    assert get_note(session, ada, paper.id) == "second"
    set_note(session, ada, paper.id, "")
    assert get_note(session, ada, paper.id) is None
    mark_read(session, ada, paper.id)
    mark_read(session, ada, paper.id)
    assert read_ids(session, ada) == {paper.id}
    mark_read(session, ada, paper.id, read=False)
    assert read_ids(session, ada) == set()
    rate(session, ada, paper.id, 1)
    rate(session, ada, paper.id, -1)
    assert ratings(session, ada) == {paper.id: -1}
    rate(session, ada, paper.id, 0)
    assert ratings(session, ada) == {}
    with pytest.raises(LibraryError):
        rate(session, ada, paper.id, 5)


def test_public_tag_token(sqlite_session: Session) -> None:
    session = sqlite_session
    users, papers = two_users(session), all_papers(session)
    ada, _ = users
    tags.save(session, ada, papers[0].id, ["shared"])
    with pytest.raises(NotFound):
        tags.public_tag(session, "anything")
    token = tags.set_public(session, ada, "shared", True)
    assert token and tags.public_tag(session, token).name == "shared"
    assert tags.set_public(session, ada, "shared", True) == token
    assert tags.set_public(session, ada, "shared", False) is None
    with pytest.raises(NotFound):
        tags.public_tag(session, token)
    new = tags.set_public(session, ada, "shared", True)
    assert new and new != token  # an old link stays dead after republishing


def test_resolve_paper(sqlite_session: Session) -> None:
    session = sqlite_session
    papers = all_papers(session)
    paper = papers[0]
    assert tags.resolve_paper(session, paper.arxiv_id).id == paper.id
    assert tags.resolve_paper(session, f"arXiv:{paper.arxiv_id}v2").id == paper.id
    assert tags.resolve_paper(session, str(paper.id)).id == paper.id
    with pytest.raises(NotFound):
        tags.resolve_paper(session, "not an id")
