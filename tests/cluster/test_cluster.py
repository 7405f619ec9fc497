"""Three paperwire nodes on one PostgreSQL behind a real HAProxy (deploy/haproxy.cfg), on loopback.

Under load one node is SIGKILLed: HAProxy routes around it, no upvote is lost or doubled, a signed-in
visitor stays signed in, a new paper becomes searchable on the surviving nodes by their own indexes,
and the digests that two nodes' schedules send reach each subscriber once.
"""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from cluster.conftest import node_dir
from cluster.processes import free_port, kill_marked, wait_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from web.site import CSRF, Inbox

import paperwire.sample
from paperwire.accounts.service import create_user
from paperwire.accounts.sessions import create_api_token
from paperwire.config import load_settings
from paperwire.daily.models import Vote
from paperwire.db.migrate import upgrade
from paperwire.db.models import DailyEntry, Paper
from paperwire.db.session import make_engine
from paperwire.ingest.runner import run_ingest
from paperwire.search import indexer
from paperwire.search.embed import load_embedder

pytestmark = [pytest.mark.cluster, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(400)]
ROOT = Path(__file__).resolve().parents[2]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
LISTINGS = Path(paperwire.sample.__file__).resolve().parent / "arxiv-listings.jsonl.gz"
PASSWORD = "correct horse battery"
PAPERS = 30
VOTED = 8  # papers 0..7 get upvotes during the test; papers 20.. have upvotes from the start (trending)
VOTERS = 4
SUBSCRIBERS = [f"reader{i}@example.org" for i in range(3)]


def _records(start: int, stop: int, day: dt.date) -> list[dict[str, object]]:
    """Real arXiv listings in paperwire's generic format, on ``day``'s community list."""
    with gzip.open(LISTINGS, "rt") as fh:
        lines = fh.readlines()[start:stop]
    records = []
    for n, line in enumerate(lines, start):
        item = json.loads(line)
        records.append(
            {
                "id": item["id"],
                "title": item["title"],
                "abstract": item["summary"],
                "authors": _listed(item["authors"]),
                "categories": _listed(item["categories"]),
                "published": day.isoformat(),
                "list_day": day.isoformat(),
                "upvotes": 5 if n >= 20 else 0,
            }
        )
    return records


def _listed(value: object) -> list[str]:
    """The listings hold lists, some as their Python repr."""
    items = ast.literal_eval(value) if isinstance(value, str) else value
    assert isinstance(items, list)
    return [str(i) for i in items]


def _write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


class Cluster:
    def __init__(self, db_url: str, tmp: Path, marker: str, inbox: Inbox) -> None:
        self.db_url, self.tmp, self.marker, self.inbox = db_url, tmp, marker, inbox
        self.nodes: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        self.haproxy_port = 0

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(
            os.environ,
            PAPERWIRE_TEST_MARK=self.marker,
            PAPERWIRE_SMTP_URL=f"smtp://127.0.0.1:{self.inbox.port}",
        )
        env.pop("PAPERWIRE_SECRET_KEY", None)  # the nodes must agree on the key kept in the store
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        return env | extra

    def paperwire(self, *args: str, data_dir: Path | None = None) -> str:
        command = [
            sys.executable,
            "-m",
            "paperwire",
            "--db",
            self.db_url,
            "--data-dir",
            str(data_dir or self.tmp / "cli"),
        ]
        done = subprocess.run([*command, *args], env=self.env(), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start_node(self, name: str, data_dir: Path, **extra: str) -> None:
        port = free_port()
        log = (self.tmp / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "paperwire", "--db", self.db_url, "--data-dir", str(data_dir), "serve",
             "--port", str(port), "--workers", "1"],
            env=self.env(PAPERWIRE_INDEX_FOLLOW_INTERVAL="1", **extra), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.nodes[name] = (process, port)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.nodes[name][1]}"

    def ready(self, name: str) -> dict[str, object] | None:
        try:
            response = httpx.get(f"{self.url(name)}/readyz", timeout=5)
        except httpx.TransportError:
            return None
        body: dict[str, object] = response.json()
        return body if response.status_code == 200 else None

    def start_haproxy(self) -> None:
        """deploy/haproxy.cfg itself, with loopback ports for the frontend and the nodes."""
        self.haproxy_port = free_port()
        config = (ROOT / "deploy" / "haproxy.cfg").read_text()
        config = re.sub(r"(?m)^\s*log .*\n", "", config)
        config = config.replace("option httplog\n", "")
        config = config.replace("bind :80", f"bind 127.0.0.1:{self.haproxy_port}")
        config = re.sub(r"(?m)^\s*server .*\n", "", config)
        config += "".join(f"    server {name} 127.0.0.1:{port}\n" for name, (_, port) in self.nodes.items())
        path = self.tmp / "haproxy.cfg"
        path.write_text(config)
        subprocess.Popen([HAPROXY, "-db", "-f", str(path)], env=self.env(), stdout=subprocess.DEVNULL)


@pytest.fixture
def cluster(postgres_url: str, tmp_path: Path, inbox: Inbox) -> Iterator[Cluster]:
    if not Path(HAPROXY).exists():
        missing = "haproxy is not installed (apt-get install haproxy)"
        pytest.fail(missing) if os.environ.get("CI") else pytest.skip(missing)
    marker = uuid.uuid4().hex
    try:
        yield Cluster(postgres_url, tmp_path, marker, inbox)
    finally:
        kill_marked(marker)


def test_three_nodes_survive_losing_one(cluster: Cluster, model_files: Path, tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    engine = make_engine(cluster.db_url)
    upgrade(engine)
    template = node_dir(model_files, tmp_path / "template")
    settings = load_settings(data_dir=template, database_url=cluster.db_url)
    run_ingest(
        engine, "jsonl", [str(_write_jsonl(tmp_path / "p.jsonl", _records(0, PAPERS, today)))], settings
    )
    indexer.catch_up(
        settings, engine, embedder=load_embedder(settings, device="cpu")
    )  # a node's index, copied
    with Session(engine, expire_on_commit=False) as db:
        users = [create_user(db, f"voter{i}@example.org", PASSWORD, verified=True) for i in range(VOTERS)]
        create_user(db, "visitor@example.org", PASSWORD, verified=True)
        tokens = [create_api_token(db, user, "load").token for user in users[1:]]
        db.commit()
        paper_ids = [str(i) for i in db.execute(select(Paper.arxiv_id).order_by(Paper.id)).scalars()]
    tokens.insert(0, cluster.paperwire("users", "token", "voter0@example.org", "--name", "cli").strip())
    assert tokens[0].startswith("pw_")
    csv = tmp_path / "subscribers.csv"
    csv.write_text("email,cadence,query\n" + "".join(f"{e},weekly,\n" for e in SUBSCRIBERS))
    cluster.paperwire("subscribers", "import", str(csv))

    digest = {
        "PAPERWIRE_DIGEST_SCHEDULE": "true",
        "PAPERWIRE_DIGEST_SEND_HOUR": "0",
        "PAPERWIRE_DIGEST_WEEKLY_WEEKDAY": str(today.isoweekday()),
    }
    for n, extra in ((1, digest), (2, digest), (3, {})):
        target = tmp_path / f"node{n}"
        shutil.copytree(template, target)
        cluster.start_node(f"node{n}", target, **extra)
    for name in cluster.nodes:
        wait_for(lambda name=name: cluster.ready(name) is not None, 180, f"{name} ready", step=1)
    cluster.start_haproxy()
    front = f"http://127.0.0.1:{cluster.haproxy_port}"
    wait_for(lambda: _status(f"{front}/readyz") == 200, 30, "haproxy")

    # Two nodes run the digest schedule: each subscriber gets the week's digest once.
    cluster.inbox.wait(len(SUBSCRIBERS), timeout=90)
    time.sleep(3)
    assert Counter(m["To"] for m in cluster.inbox.messages) == Counter(SUBSCRIBERS)

    visitor = httpx.Client(base_url=front, timeout=10)
    token = CSRF.search(visitor.get("/signin").text)
    assert token is not None
    signin = visitor.post(
        "/signin", data={"email": "visitor@example.org", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert signin.status_code == 303 and visitor.cookies, signin.text[:300]

    failures: list[str] = []
    stop = threading.Event()

    def read() -> None:
        with httpx.Client(base_url=front, timeout=10) as client:
            while not stop.is_set():
                for path in (
                    "/papers",
                    "/api/daily_papers",
                    f"/api/papers/{paper_ids[1]}",
                    "/search?q=model",
                ):
                    try:
                        status = client.get(path).status_code
                    except httpx.TransportError as exc:
                        failures.append(f"{path}: {exc!r}")
                        continue
                    if status != 200:
                        failures.append(f"{path}: {status}")

    def vote(token: str) -> None:
        """Each voter upvotes every voted paper; a POST that got no answer is sent again (upvoting is idempotent)."""
        with httpx.Client(base_url=front, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
            for arxiv_id in paper_ids[:VOTED]:
                for _attempt in range(10):
                    try:
                        if client.post(f"/api/papers/{arxiv_id}/upvote").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.3)
                else:
                    failures.append(f"upvote {arxiv_id} never answered")
                time.sleep(0.2)

    threads = [threading.Thread(target=read) for _ in range(2)] + [
        threading.Thread(target=vote, args=(t,)) for t in tokens
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    victim, _port = cluster.nodes["node3"]
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    for thread in threads[2:]:
        thread.join(120)
    time.sleep(2)
    stop.set()
    for thread in threads[:2]:
        thread.join(30)
    assert not failures, failures[:10]

    with Session(engine) as db:
        counts = dict(
            db.execute(
                select(Paper.arxiv_id, DailyEntry.upvotes).join(DailyEntry, DailyEntry.paper_id == Paper.id)
            )
            .tuples()
            .all()
        )
        rows = dict(
            db.execute(
                select(Paper.arxiv_id, func.count(Vote.id))
                .join(Vote, Vote.paper_id == Paper.id)
                .group_by(Paper.arxiv_id)
            )
            .tuples()
            .all()
        )
    for arxiv_id in paper_ids[:VOTED]:
        assert counts[arxiv_id] == rows.get(arxiv_id, 0) == VOTERS, (
            arxiv_id,
            counts[arxiv_id],
            rows.get(arxiv_id),
        )

    # The visitor's session, made through whichever node, works on every surviving node.
    for base in (front, cluster.url("node1"), cluster.url("node2")):
        page = httpx.get(f"{base}/account", cookies=visitor.cookies, timeout=10)
        assert page.status_code == 200 and "visitor@example.org" in page.text, base

    # A token upvote through node1 shows on node2.
    down = httpx.delete(
        f"{cluster.url('node1')}/api/papers/{paper_ids[12]}/upvote",
        headers={"Authorization": f"Bearer {tokens[0]}"},
    )
    up = httpx.post(
        f"{cluster.url('node1')}/api/papers/{paper_ids[12]}/upvote",
        headers={"Authorization": f"Bearer {tokens[0]}"},
    )
    assert down.status_code == up.status_code == 200
    assert httpx.get(f"{cluster.url('node2')}/api/papers/{paper_ids[12]}").json()["upvotes"] == 1

    # A paper ingested now is searchable through the survivors' own indexes within 30 s.
    new = _records(PAPERS, PAPERS + 1, today)[0]
    cluster.paperwire("ingest", "jsonl", str(_write_jsonl(tmp_path / "new.jsonl", [new])))
    started = time.monotonic()
    for name in ("node1", "node2"):
        wait_for(
            lambda name=name: (cluster.ready(name) or {}).get("index_lag") == 0, 30, f"{name} index_lag 0"
        )
        found = httpx.get(
            f"{cluster.url(name)}/api/papers/search", params={"q": str(new["title"])}, timeout=10
        )
        assert new["id"] in [item["paper"]["id"] for item in found.json()], name
    assert time.monotonic() - started < 30
    engine.dispose()


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.TransportError:
        return 0
