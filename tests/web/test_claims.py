"""Claims on the web: chips and marks on pages, the claim filter and sort in search and the API, the
comparison view and its CSV, over a real daily list on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from web.site import DAY

from paperwire.claims import Claim, store
from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.search.indexer import catch_up


def _claim(abstract: str, value: float, unit: str, kind: str, direction: str, nth: int = 0) -> Claim:
    """A claim over the abstract's ``nth`` word (the store only asks that text be an exact substring)."""
    match = list(re.finditer(r"[A-Za-z]{4,}", abstract))[nth]
    return Claim(match.group(0), match.start(), match.end(), value, None, None, unit, None, kind, direction)


@pytest.fixture
def claimed(engine: Engine, settings: Settings) -> dict[str, str]:
    """Three listed papers given known claims (the others none), the keyword index built: {role: arXiv id}."""
    with engine.begin() as conn:
        papers = conn.execute(select(Paper.id, Paper.arxiv_id, Paper.abstract).order_by(Paper.arxiv_id)).all()
        fast, lean, both = papers[:3]
        store.save(
            conn,
            {
                **{p.id: (0, []) for p in papers},  # only these known claims, not what ingest extracted
                fast.id: (1, [_claim(fast.abstract, 3, "x", "speedup", "improve")]),
                lean.id: (2, [_claim(lean.abstract, 61, "%", "memory", "reduce")]),
                both.id: (
                    3,
                    [
                        _claim(both.abstract, 1.5, "x", "speedup", "improve"),
                        _claim(both.abstract, 20, "%", "memory", "reduce", nth=1),
                    ],
                ),
            },
        )
    catch_up(settings, engine, use_model=False)
    return {"fast": fast.arxiv_id, "lean": lean.arxiv_id, "both": both.arxiv_id}


def test_paper_page_shows_chips_and_marks_the_claim(client: TestClient, claimed: dict[str, str]) -> None:
    html = client.get(f"/papers/{claimed['lean']}").text
    assert 'class="claim-chip claim-memory claim-reduce"' in html and "\u221261 % memory" in html
    assert re.search(r'<mark class="claim claim-memory" title="\u221261 % memory">[A-Za-z]+</mark>', html)


def test_list_rows_show_chips(client: TestClient, claimed: dict[str, str]) -> None:
    html = client.get(f"/papers?date={DAY}").text
    row = html[html.index(f'id="p-{claimed["fast"]}"') :]
    assert "3× faster" in row[: row.index("</li>", row.index('class="claims"'))]
    assert 'href="/compare?date=' in html


def test_every_papers_json_has_its_claims(client: TestClient, claimed: dict[str, str]) -> None:
    paper = client.get(f"/api/papers/{claimed['both']}").json()
    assert [(c["kind"], c["direction"], c["label"]) for c in paper["claims"]] == [
        ("speedup", "improve", "1.5× faster"),
        ("memory", "reduce", "\u221220 % memory"),
    ]
    daily = client.get("/api/daily_papers", params={"date": DAY}).json()
    by_id = {d["paper"]["id"]: d["paper"]["claims"] for d in daily}
    assert by_id[claimed["fast"]][0]["value"] == 3 and by_id[claimed["fast"]][0]["unit"] == "x"
    assert sum(1 for claims in by_id.values() if claims) == 3


def ids(response: object) -> list[str]:
    return [d["paper"]["id"] for d in response.json()]  # type: ignore[attr-defined]


def test_api_search_filters_and_sorts_by_claims(client: TestClient, claimed: dict[str, str]) -> None:
    api = "/api/papers/search"
    assert set(ids(client.get(api, params={"claim": "speedup>=2", "mode": "keyword"}))) == {claimed["fast"]}
    assert set(ids(client.get(api, params={"claim": "speedup"}))) == {claimed["fast"], claimed["both"]}
    assert set(ids(client.get(api, params={"claim": "memory<=-50%"}))) == {claimed["lean"]}
    assert set(ids(client.get(api, params={"q": "claim:memory claim:speedup"}))) == {claimed["both"]}
    assert ids(client.get(api, params={"claim": "any", "sort": "claim"})) == [
        claimed["fast"],  # 3x
        claimed["lean"],  # -61 % = -2.56x
        claimed["both"],  # 1.5x
    ]
    bad = client.get(api, params={"claim": "speed>=2"})
    assert bad.status_code == 422 and "unknown kind" in bad.json()["error"]


def test_search_page_has_the_claim_filter(client: TestClient, claimed: dict[str, str]) -> None:
    html = client.get("/search", params={"claim": "memory", "sort": "claim", "mode": "keyword"}).text
    found = re.findall(r'<li class="paper-item" id="p-([^"]+)"', html)
    assert found == [claimed["lean"], claimed["both"]]
    assert "claim:memory sort:claim" in html and "/compare?q=claim%3Amemory" in html


def test_comparison_view_sorts_and_exports_csv(client: TestClient, claimed: dict[str, str]) -> None:
    html = client.get("/compare", params={"date": DAY, "sort": "memory"}).text
    rows = re.findall(r'<tr id="c-([^"]+)"', html)
    assert rows[:2] == [claimed["lean"], claimed["both"]] and len(rows) == 17
    assert re.findall(r'<th scope="col" data-kind="(\w+)"', html) == ["speedup", "memory"]
    table = list(
        csv.DictReader(io.StringIO(client.get("/compare.csv", params={"date": DAY, "sort": "speedup"}).text))
    )
    assert [r["arxiv_id"] for r in table[:2]] == [claimed["fast"], claimed["both"]]
    assert table[0]["speedup"] == "3× faster" and table[0]["speedup_factor"] == "3"
    lean = next(r for r in table if r["arxiv_id"] == claimed["lean"])
    assert lean["memory_percent"] == "-61" and float(lean["memory_factor"]) == pytest.approx(-2.564, abs=1e-3)
    assert len(table) == 17 and "energy_percent" in table[0]
    searched = client.get("/compare.csv", params={"q": "claim:speedup", "mode": "keyword"}).text
    assert {r["arxiv_id"] for r in csv.DictReader(io.StringIO(searched))} == {
        claimed["fast"],
        claimed["both"],
    }
    assert client.get("/compare", params={"date": DAY, "q": "x"}).status_code == 422
