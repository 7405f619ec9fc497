"""What goes into each subscriber's digest for a period.

A period is one send date and cadence: a daily digest (weekdays) covers papers published or listed
since the previous weekday, so Monday's covers the weekend; a weekly one covers the seven days up to
its date. Windows overlap on purpose (late arrivals still make it): the record of papers already sent
(``digest_sent_papers``) is what guarantees no paper reaches the same subscriber twice.

Sections, in order and without repeats: trending (``paperwire.daily.trending``), new papers matching
saved searches, new papers by followed authors, new papers in chosen categories. A subscription tied to
an account also covers the searches saved and the authors and categories followed in its library
(``paperwire.library.saved``), so they need not be entered twice. Composing is done for all
subscriptions of a run at once: the period's papers are loaded and indexed once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.daily.daily import best_upvotes
from paperwire.daily.trending import TrendingSettings, trending
from paperwire.db.models import DailyEntry, Paper
from paperwire.digest.matching import MatchDoc, PaperMatcher
from paperwire.digest.models import SentPaper, Subscription
from paperwire.library.models import Follow, SavedSearch

SECTIONS = {  # section key -> heading, in digest order
    "trending": "Trending",
    "recommended": "Recommended for you",
    "search": "New papers matching your searches",
    "author": "From authors you follow",
    "category": "New in your categories",
}
CHUNK = 500
RECOMMENDED_PER_DIGEST = 5
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Period:
    cadence: str
    day: dt.date
    start: dt.date
    end: dt.date

    @property
    def key(self) -> str:
        """One digest per subscription and key: a date for daily ones, an ISO week for weekly ones."""
        if self.cadence == "weekly":
            year, week, _ = self.day.isocalendar()
            return f"weekly:{year}-W{week:02d}"
        return f"daily:{self.day.isoformat()}"

    @classmethod
    def of(cls, cadence: str, day: dt.date) -> Period:
        if cadence == "weekly":
            return cls(cadence, day, day - dt.timedelta(days=7), day)
        back = 3 if day.weekday() == 0 else 2 if day.weekday() == 6 else 1
        return cls(cadence, day, day - dt.timedelta(days=back), day)

    @property
    def trending_now(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(23, 59, 59))


@dataclass(frozen=True)
class DigestPick:
    """A paper chosen for one subscriber's digest: the section it goes under and why it was chosen."""

    paper_id: int
    section: str
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"paper_id": self.paper_id, "section": self.section, "reason": self.reason}


@dataclass
class Composition:
    subscription_id: int
    picks: list[DigestPick] = field(default_factory=list)


@dataclass
class PeriodPapers:
    """The period's candidates, loaded once per run: trending ids in rank order and the new papers."""

    trending_ids: list[int]
    new: dict[int, Paper]
    upvotes: dict[int, int]
    matcher: PaperMatcher

    def rank(self, ids: Iterable[int]) -> list[int]:
        """Most upvoted first, then newest: the order for the non-trending sections."""
        return sorted(
            set(ids),
            key=lambda i: (-self.upvotes.get(i, 0), -(self.new[i].published or dt.date.min).toordinal(), i),
        )


def load_period_papers(
    session: Session, period: Period, trending_settings: TrendingSettings, trending_limit: int = 500
) -> PeriodPapers:
    listed = select(DailyEntry.paper_id).where(
        DailyEntry.day >= period.start, DailyEntry.day <= period.end, DailyEntry.hidden.is_(False)
    )
    new = {
        p.id: p
        for p in session.execute(
            select(Paper).where(or_(Paper.published.between(period.start, period.end), Paper.id.in_(listed)))
        ).scalars()
    }
    ranked = trending(session, period.trending_now, limit=trending_limit, settings=trending_settings)
    upvotes = best_upvotes(session, listed)
    for t in ranked:
        upvotes[t.paper.id] = max(upvotes.get(t.paper.id, 0), t.upvotes)
    docs = [
        MatchDoc(
            paper_id=p.id,
            arxiv_id=p.arxiv_id,
            title=p.title,
            abstract=p.abstract,
            authors=p.authors or [],
            categories=p.categories or [],
            has_code=bool(p.code_urls),
            published=p.published,
        )
        for p in new.values()
    ]
    return PeriodPapers([t.paper.id for t in ranked], new, upvotes, PaperMatcher(docs))


def already_sent(
    session: Session, subscription_ids: Sequence[int], paper_ids: Iterable[int]
) -> dict[int, set[int]]:
    """subscription id -> ids among ``paper_ids`` it was already sent (or has reserved in a pending digest)."""
    wanted = set(paper_ids)
    sent: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(subscription_ids), CHUNK):
        chunk = list(subscription_ids[start : start + CHUNK])
        stmt = select(SentPaper.subscription_id, SentPaper.paper_id).where(
            SentPaper.subscription_id.in_(chunk)
        )
        if len(wanted) <= 5000:
            stmt = stmt.where(SentPaper.paper_id.in_(wanted))
        rows = session.execute(stmt)
        for sub_id, paper_id in rows:
            if paper_id in wanted:
                sent[sub_id].add(paper_id)
    return sent


def recommended_for(session: Session, settings: Settings, sub: Subscription) -> list[DigestPick]:
    """The account's library recommendations (``paperwire.library.recommend``), best first.

    Only for subscriptions tied to an account that asked for them; a failure there (no library yet,
    no index) leaves the section out rather than failing the digest.
    """
    if not (sub.include_recommendations and sub.user_id):
        return []
    from paperwire.library.recommend import recommend  # heavy (scikit-learn): only when asked for

    try:
        found = recommend(session, settings, sub.user_id, limit=RECOMMENDED_PER_DIGEST * 4)
    except Exception:
        log.exception("recommendations for subscription %s failed; digest sent without them", sub.id)
        return []
    return [
        DigestPick(r.paper_id, "recommended", f"like {r.closest[0]['title']}" if r.closest else None)
        for r in found.items
    ]


@dataclass
class LibraryTopics:
    """An account's saved searches and follows, added to its subscription's own topics."""

    queries: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def library_topics(session: Session, subscriptions: Sequence[Subscription]) -> dict[int, LibraryTopics]:
    """Per subscription tied to an account: that account's saved searches and follows."""
    by_user = {sub.user_id: sub.id for sub in subscriptions if sub.user_id is not None}
    topics = {sub_id: LibraryTopics() for sub_id in by_user.values()}
    users = list(by_user)
    for start in range(0, len(users), CHUNK):
        chunk = users[start : start + CHUNK]
        searches = select(SavedSearch.user_id, SavedSearch.query).where(SavedSearch.user_id.in_(chunk))
        for user_id, query in session.execute(searches.order_by(SavedSearch.id)):
            topics[by_user[user_id]].queries.append(query)
        followed = select(Follow.user_id, Follow.kind, Follow.value).where(Follow.user_id.in_(chunk))
        for user_id, kind, value in session.execute(followed.order_by(Follow.id)):
            wanted = topics[by_user[user_id]]
            (wanted.authors if kind == "author" else wanted.categories).append(value)
    return topics


def compose_one(
    sub: Subscription,
    papers: PeriodPapers,
    sent: set[int],
    settings: Settings,
    recommended: Sequence[DigestPick] = (),
    library: LibraryTopics | None = None,
) -> Composition:
    """Pick a subscriber's papers: section by section, skipping anything sent before, up to the cap."""
    chosen: dict[int, DigestPick] = {}
    cap = settings.digest_max_papers

    def add(paper_id: int, section: str, reason: str | None, limit: int) -> bool:
        if len(chosen) >= limit or paper_id in chosen or paper_id in sent:
            return len(chosen) < limit
        chosen[paper_id] = DigestPick(paper_id, section, reason)
        return len(chosen) < limit

    if sub.include_trending and settings.digest_trending_papers:
        limit = min(cap, settings.digest_trending_papers)
        for paper_id in papers.trending_ids:
            if not add(paper_id, "trending", None, limit):
                break
    if recommended:
        limit = min(cap, len(chosen) + RECOMMENDED_PER_DIGEST)
        for pick in recommended:
            if not add(pick.paper_id, pick.section, pick.reason, limit):
                break
    library = library or LibraryTopics()
    reasons: dict[int, tuple[str, str]] = {}
    for query in dict.fromkeys([*(sub.queries or []), *library.queries]):
        for paper_id in papers.matcher.search(query):
            reasons.setdefault(paper_id, ("search", query))
    for name in dict.fromkeys([*(sub.authors or []), *library.authors]):
        for paper_id in papers.matcher.by_followed_author(name):
            reasons.setdefault(paper_id, ("author", name))
    for category in dict.fromkeys([*(sub.categories or []), *library.categories]):
        for paper_id in papers.matcher.in_category(category):
            reasons.setdefault(paper_id, ("category", category))
    order = list(SECTIONS)
    for paper_id in sorted(papers.rank(reasons), key=lambda i: order.index(reasons[i][0])):
        section, reason = reasons[paper_id]
        if not add(paper_id, section, reason, cap):
            break
    return Composition(sub.id, list(chosen.values()))


def compose(
    session: Session, subscriptions: Sequence[Subscription], period: Period, settings: Settings
) -> list[Composition]:
    """Digests for many subscriptions in one pass (empty ones included: the caller skips them)."""
    papers = load_period_papers(session, period, trending_settings=TrendingSettings.from_settings(settings))
    recommended = {sub.id: recommended_for(session, settings, sub) for sub in subscriptions}
    wanted = {
        *papers.new,
        *papers.trending_ids,
        *(pick.paper_id for picks in recommended.values() for pick in picks),
    }
    sent = already_sent(session, [s.id for s in subscriptions], wanted)
    library = library_topics(session, subscriptions)
    return [
        compose_one(sub, papers, sent.get(sub.id, set()), settings, recommended[sub.id], library.get(sub.id))
        for sub in subscriptions
    ]
