"""Recommendations for a tag or for the whole library, with the reasons for each.

Positives: the tag's papers (or every saved paper) and papers rated "more like this". Negatives: papers
rated "not relevant" (weighted up) and a sample of the candidate pool as background. Candidates: the
newest papers (``recommend_days`` before the newest, at most ``recommend_pool``) the user has neither
saved nor rated. The model is refitted only when the library or the pool changes: results are cached
under the data directory, keyed by a hash of both, so page views read a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from cachetools import LRUCache
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.library import ranker
from paperwire.library.feedback import ratings
from paperwire.library.tags import get_tag, saved_paper_ids

MODEL_VERSION = 1
CACHED_ITEMS = 100
_POOLS_LOCK = threading.Lock()
# One pool at a time (the newest papers): its ids, texts and fitted tf-idf.
_POOLS: LRUCache[str, tuple[list[int], dict[int, tuple[str, str, list[str]]], ranker.TextSpace]] = LRUCache(1)
BACKGROUND = 1000
COLD_START = (
    "Nothing to learn from yet: save a few papers (search, then save them under a tag), "
    "or import a BibTeX library, and recommendations appear here."
)


@dataclass
class Recommended:
    paper_id: int
    arxiv_id: str
    title: str
    authors: list[str]
    published: str | None
    score: float
    closest: list[dict[str, Any]]  # saved papers it is closest to: paper_id, arxiv_id, title, similarity
    terms: list[str]  # its words that weigh most in the model
    by: list[str]  # its authors that weigh most in the model


@dataclass
class Recommendations:
    items: list[Recommended] = field(default_factory=list)
    positives: int = 0
    negatives: int = 0
    candidates: int = 0
    top_terms: list[str] = field(default_factory=list)  # the model's heaviest words, like arxiv-sanity showed
    features: str = ""
    cached: bool = False
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pool(session: Session, settings: Settings) -> list[int]:
    newest = session.execute(select(func.max(Paper.published))).scalar()
    stmt = select(Paper.id)
    if newest is not None:
        stmt = stmt.where(Paper.published >= newest - dt.timedelta(days=settings.recommend_days))
        stmt = stmt.order_by(Paper.published.desc(), Paper.id.desc())
    else:
        stmt = stmt.order_by(Paper.change_seq.desc())
    return [int(i) for i in session.execute(stmt.limit(settings.recommend_pool)).scalars()]


def _cache_path(settings: Settings, user_id: int, tag_id: int | None) -> Path:
    return settings.data_dir / "cache" / "recommend" / f"user{user_id}-{tag_id if tag_id else 'all'}.json"


def recommend(
    session: Session, settings: Settings, user_id: int, tag: str | None = None, limit: int = 20
) -> Recommendations:
    """Ranked recent papers the user has not saved or rated, for a tag or for the whole library."""
    tag_id = get_tag(session, user_id, tag).id if tag is not None else None
    rated = ratings(session, user_id)
    saved_all = saved_paper_ids(session, user_id)
    positives = sorted(
        (saved_paper_ids(session, user_id, tag_id) if tag_id else saved_all)
        | {p for p, r in rated.items() if r > 0}
    )
    explicit = sorted(p for p, r in rated.items() if r < 0)
    if not positives:
        return Recommendations(negatives=len(explicit), message=COLD_START)
    pool = _pool(session, settings)
    excluded = saved_all | rated.keys()
    candidates = [p for p in pool if p not in excluded]
    depth = max(limit, CACHED_ITEMS)  # one cached ranking serves the page, the API and the digest
    from paperwire.search import vectors_stamp

    stored = vectors_stamp(settings)  # new vectors mean a new model
    key = hashlib.sha256(
        json.dumps(
            [
                MODEL_VERSION,
                positives,
                explicit,
                sorted(excluded),
                pool,
                depth,
                settings.recommend_days,
                list(stored) if stored else None,
            ]
        ).encode()
    ).hexdigest()
    cache = _cache_path(settings, user_id, tag_id)
    result: Recommendations | None = None
    if cache.exists():
        stored = json.loads(cache.read_text())
        if stored.get("key") == key:
            result = Recommendations(**stored["result"])
            result.items = [Recommended(**item) for item in stored["result"]["items"]]
            result.cached = True
    if result is None:
        result = _train_and_rank(session, settings, positives, explicit, pool, candidates, depth)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({"key": key, "result": result.as_dict()}))
        tmp.replace(cache)
    result.items = result.items[:limit]
    return result


def _text(row: tuple[str, str, list[str]]) -> str:
    return f"{row[0]}. {row[1]}"


def _pool_space(
    session: Session, pool: list[int]
) -> tuple[list[int], dict[int, tuple[str, str, list[str]]], ranker.TextSpace]:
    """The pool's texts and tf-idf, fitted once per pool (the same for every user) and kept in memory.

    Fitting tf-idf is most of a cache miss's cost; with it shared, a library change costs one
    transform of the few saved papers outside the pool, one fit and one scoring.
    """
    key = hashlib.sha256(json.dumps(pool).encode()).hexdigest()
    with _POOLS_LOCK:
        cached = _POOLS.get(key)
    if cached is None:
        rows = {
            int(pid): (title, abstract, list(authors or []))
            for pid, title, abstract, authors in session.execute(
                select(Paper.id, Paper.title, Paper.abstract, Paper.authors).where(Paper.id.in_(pool))
            ).all()
        }
        ids = [i for i in pool if i in rows]
        cached = (ids, rows, ranker.fit_text([_text(rows[i]) for i in ids]))
        with _POOLS_LOCK:
            _POOLS[key] = cached
    ids, rows, space = cached
    return list(ids), dict(rows), space


def _train_and_rank(
    session: Session,
    settings: Settings,
    positives: list[int],
    explicit: list[int],
    pool: list[int],
    candidates: list[int],
    limit: int,
) -> Recommendations:
    if not candidates:
        return Recommendations(
            positives=len(positives), negatives=len(explicit), message="No recent papers to rank."
        )
    rng = np.random.default_rng(positives[0] * 7919 + len(positives))  # same library, same sample
    background = [int(i) for i in rng.choice(candidates, min(BACKGROUND, len(candidates)), replace=False)]
    pool_ids, rows, space = _pool_space(session, pool)
    in_pool = set(pool_ids)
    extra = [i for i in dict.fromkeys([*positives, *explicit]) if i not in in_pool]
    for pid, title, abstract, authors in session.execute(
        select(Paper.id, Paper.title, Paper.abstract, Paper.authors).where(Paper.id.in_(extra))
    ).all():
        rows[int(pid)] = (title, abstract, list(authors or []))
    extra = [i for i in extra if i in rows]
    ids = pool_ids + extra
    from paperwire.search import vectors_for

    vectors = vectors_for(settings, ids)
    corpus = ranker.Corpus(ids, [], [rows[i][2] for i in ids], vectors)
    text = sp.vstack([space.matrix, space.transform([_text(rows[i]) for i in extra])], format="csr")
    features = ranker.build_features(corpus, text=text, terms=space.terms)
    where = features.row_of
    pos_rows = [where[p] for p in positives if p in where]
    model = ranker.fit(
        features,
        pos_rows,
        [where[p] for p in background if p in where],
        [where[p] for p in explicit if p in where],
    )
    cand_rows = [where[p] for p in candidates if p in where]
    scores = ranker.scores(features, model, cand_rows)
    order = np.argsort(-scores, kind="stable")[:limit]
    titles = {i: (rows[i][0]) for i in positives if i in rows}
    shown = [ids[cand_rows[int(k)]] for k in order] + positives
    arxiv: dict[int, str] = {}
    published: dict[int, dt.date | None] = {}
    for pid, arxiv_id, day in session.execute(
        select(Paper.id, Paper.arxiv_id, Paper.published).where(Paper.id.in_(shown))
    ).all():
        arxiv[int(pid)], published[int(pid)] = str(arxiv_id), day
    items = []
    for k in order:
        row = cand_rows[int(k)]
        pid = ids[row]
        reason = ranker.explain(features, model, row, pos_rows)
        day = published.get(pid)
        items.append(
            Recommended(
                paper_id=pid,
                arxiv_id=str(arxiv[pid]),
                title=rows[pid][0],
                authors=list(rows[pid][2] or []),
                published=day.isoformat() if day else None,
                score=round(float(scores[int(k)]), 4),
                closest=[
                    {
                        "paper_id": p,
                        "arxiv_id": str(arxiv.get(p, "")),
                        "title": titles.get(p, ""),
                        "similarity": round(s, 3),
                    }
                    for p, s in reason.closest
                ],
                terms=reason.terms,
                by=reason.authors,
            )
        )
    text_weights = model.weights[: features.n_text]
    top = np.argsort(-text_weights)[:15]
    return Recommendations(
        items=items,
        positives=len(pos_rows),
        negatives=len(explicit),
        candidates=len(cand_rows),
        top_terms=[str(features.terms[i]) for i in top if text_weights[i] > 0],
        features="tf-idf + authors" + (" + embeddings" if vectors is not None else ""),
    )
