from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.library import ranker, tags
from paperwire.library.feedback import rate
from paperwire.library.recommend import COLD_START, recommend


def _user(session: Session) -> int:
    from tests.library.conftest import make_user

    uid = make_user(session, "rec@example.org")
    session.commit()
    return uid


def _topic(papers: list[Paper], word: str) -> list[Paper]:
    return [p for p in papers if word in f"{p.title} {p.abstract}".lower()]


def test_cold_start_says_what_to_do(sqlite_session: Session, settings: Settings) -> None:
    user = _user(sqlite_session)
    result = recommend(sqlite_session, settings, user)
    assert result.items == [] and result.message == COLD_START


def test_recommendations_exclude_saved_come_with_reasons_and_are_cached(
    sqlite_session: Session, settings: Settings
) -> None:
    session = sqlite_session
    user = _user(session)
    papers = list(session.query(Paper).order_by(Paper.arxiv_id))
    diffusion = _topic(papers, "diffusion")
    assert len(diffusion) >= 12
    for paper in diffusion[:8]:
        tags.save(session, user, paper.id, ["diffusion"])
    session.commit()
    result = recommend(session, settings, user, "diffusion", limit=10)
    assert not result.cached and len(result.items) == 10
    saved = tags.saved_paper_ids(session, user)
    assert not saved & {item.paper_id for item in result.items}
    # the model learnt the topic: most of the top 10 are about it, far above its share of the pool
    share = len(diffusion) / len(papers)
    hits = sum(item.paper_id in {p.id for p in diffusion} for item in result.items)
    assert hits / 10 > 2 * share
    assert "diffusion" in " ".join(result.top_terms)
    for item in result.items:
        assert item.closest and all(c["paper_id"] in saved for c in item.closest)
        assert item.terms or item.by
    scores = [item.score for item in result.items]
    assert scores == sorted(scores, reverse=True)
    again = recommend(session, settings, user, "diffusion", limit=10)
    assert again.cached and [i.paper_id for i in again.items] == [i.paper_id for i in result.items]
    # a library change retrains
    tags.save(session, user, diffusion[8].id, ["diffusion"])
    session.commit()
    third = recommend(session, settings, user, "diffusion", limit=10)
    assert not third.cached and diffusion[8].id not in {i.paper_id for i in third.items}


def test_negatives_are_respected(sqlite_session: Session, settings: Settings) -> None:
    session = sqlite_session
    user = _user(session)
    papers = list(session.query(Paper).order_by(Paper.arxiv_id))
    diffusion = _topic(papers, "diffusion")
    for paper in diffusion[:8]:
        tags.save(session, user, paper.id, ["diffusion"])
    session.commit()
    before = recommend(session, settings, user, limit=30)
    top = before.items[0].paper_id
    rate(session, user, top, -1)
    session.commit()
    after = recommend(session, settings, user, limit=30)
    assert top not in {i.paper_id for i in after.items}
    assert after.negatives == 1


def test_an_explicit_negative_pushes_similar_papers_down(sqlite_session: Session) -> None:
    papers = list(sqlite_session.query(Paper).order_by(Paper.arxiv_id))
    corpus = ranker.Corpus(
        [p.id for p in papers], [f"{p.title}. {p.abstract}" for p in papers], [p.authors for p in papers]
    )
    features = ranker.build_features(corpus)
    diffusion = [features.row_of[p.id] for p in _topic(papers, "diffusion")]
    positives, rejected, rest = diffusion[:6], diffusion[6], diffusion[7:]
    background = [r for r in range(len(papers)) if r not in diffusion][:150]
    # the rejected paper's nearest neighbour among the other diffusion papers
    sims = (features.text[rest] @ features.text[rejected].T).toarray().ravel()
    neighbour = rest[int(sims.argmax())]
    plain = ranker.fit(features, positives, background)
    with_negative = ranker.fit(features, positives, background, [rejected])
    assert (
        ranker.scores(features, with_negative, [rejected])[0] < ranker.scores(features, plain, [rejected])[0]
    )
    assert (
        ranker.scores(features, with_negative, [neighbour])[0]
        < ranker.scores(features, plain, [neighbour])[0]
    )


def test_unknown_tag_is_a_clear_error(sqlite_session: Session, settings: Settings) -> None:
    user = _user(sqlite_session)
    with pytest.raises(tags.NotFound, match="no tag named"):
        recommend(sqlite_session, settings, user, "nope")
