"""The web layer's caches never show what the store or the index no longer says.

Search answers and similar papers are cached per process until the index changes (``paperwire
index``, here its ``catch_up``, run beside the app as another process would); upvote counts and the
visitor's own votes are read from the store on every request, so a vote made anywhere shows at once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from web.site import DAY, FIXTURES, make_user, sign_in

from paperwire.config import Settings
from paperwire.daily.votes import set_vote
from paperwire.ingest.runner import run_ingest
from paperwire.search.indexer import catch_up

PAPER = "2608.19880"  # 163 upvotes on the fixture's list
NEW = "2608.99991"
WORD = "quokkaformer"  # in no fixture paper


def similar_ids(html: str) -> list[str]:
    section = html.split("<h2>Similar papers</h2>", 1)[1]
    return re.findall(r'<a href="/papers/([^"]+)">', section)


def hit_ids(html: str) -> list[str]:
    return re.findall(r'<li class="paper-item" id="p-([^"]+)"', html)


def count_of(html: str, arxiv_id: str) -> int:
    row = html.split(f'id="p-{arxiv_id}"', 1)[1]
    match = re.search(r'<span class="count">(\d+)</span>', row)
    assert match, f"no vote count for {arxiv_id}"
    return int(match.group(1))


def add_near_duplicate(settings: Settings, engine: Engine, tmp_path: Path) -> str:
    """A new paper on the next day's list titled like PAPER plus WORD; returns PAPER's title."""
    listing = json.loads((FIXTURES / "hf_daily" / f"{DAY}.json").read_text())
    target = next(item for item in listing if item["paper"]["id"] == PAPER)
    copy = json.loads(json.dumps(target))
    copy["paper"]["id"] = NEW
    copy["paper"]["title"] = f"{target['paper']['title']} {WORD}"
    copy["title"] = copy["paper"]["title"]
    path = tmp_path / "2026-08-22.json"
    path.write_text(json.dumps([copy]))
    run_ingest(engine, "hf-daily", [str(path)], settings)
    return str(target["paper"]["title"])


def test_similar_papers_and_search_follow_a_reindex(
    client: TestClient, settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    catch_up(settings, engine, use_model=False)  # keyword index only: similar() searches the title
    before = similar_ids(client.get(f"/papers/{PAPER}").text)
    assert before and PAPER not in before
    assert client.get(f"/search?q={WORD}").status_code == 200
    assert hit_ids(client.get(f"/search?q={WORD}").text) == []  # asked twice: the second from the cache

    add_near_duplicate(settings, engine, tmp_path)
    # In the store, not yet in the index: the cached answers are still the index's answers.
    assert NEW not in similar_ids(client.get(f"/papers/{PAPER}").text)
    assert hit_ids(client.get(f"/search?q={WORD}").text) == []

    catch_up(settings, engine, use_model=False)  # `paperwire index`, as another process would run it
    after = similar_ids(client.get(f"/papers/{PAPER}").text)
    assert after[0] == NEW, after  # the same title: the most similar paper of all
    assert hit_ids(client.get(f"/search?q={WORD}").text) == [NEW]
    assert [p["paper"]["id"] for p in client.get(f"/api/papers/search?q={WORD}").json()] == [NEW]


def test_upvote_counts_on_cached_search_results_are_never_stale(
    client: TestClient, settings: Settings, engine: Engine
) -> None:
    catch_up(settings, engine, use_model=False)
    query = "/search?q=agent"
    page = client.get(query).text
    assert PAPER in hit_ids(page) and count_of(page, PAPER) == 163
    assert count_of(client.get(query).text, PAPER) == 163  # now the hits come from the cache
    assert '<span class="count">163</span>' in client.get(f"/papers/{PAPER}").text

    # A vote recorded by another process (or worker): nothing in this app was told about it.
    voter = make_user(engine, "voter@example.org")
    with Session(engine) as db:
        set_vote(db, voter.id, PAPER, up=True)
    assert count_of(client.get(query).text, PAPER) == 164
    assert '<span class="count">164</span>' in client.get(f"/papers/{PAPER}").text
    api = client.get("/api/papers/search?q=agent").json()
    assert next(p for p in api if p["paper"]["id"] == PAPER)["paper"]["upvotes"] == 164

    # The voter's own pages show their vote as theirs, from the same cached hits.
    sign_in(client, "voter@example.org")
    mine = client.get(query).text
    row = mine.split(f'id="p-{PAPER}"', 1)[1].split("</li>", 1)[0]
    assert 'aria-pressed="true"' in row and count_of(mine, PAPER) == 164
    with Session(engine) as db:
        set_vote(db, voter.id, PAPER, up=False)
    row = client.get(query).text.split(f'id="p-{PAPER}"', 1)[1].split("</li>", 1)[0]
    assert 'aria-pressed="false"' in row and '<span class="count">163</span>' in row


def test_search_cache_is_bounded_and_keyed_on_the_whole_request(
    client: TestClient, settings: Settings, engine: Engine
) -> None:
    catch_up(settings, engine, use_model=False)
    first = hit_ids(client.get("/search?q=agent").text)
    second_page = hit_ids(client.get("/search?q=agent&p=2").text)
    keyword = hit_ids(client.get("/search?q=agent&mode=keyword").text)
    assert first and not set(first) & set(second_page)
    assert keyword  # another mode is another entry, not the hybrid page's
    search = client.app.state.search  # type: ignore[attr-defined]
    assert 1 <= len(search._searches) <= search._searches.maxsize
