"""Compose and send 10,000 daily digests, each subscriber with a different saved search, to a local
SMTP sink (aiosmtpd on 127.0.0.1, in its own process); report the total time and peak memory.

    python benchmarks/digest_send.py [--subscribers 10000] [--db URL-of-an-existing-empty-database]

Data: real arXiv listings (../shared/data/arxiv-daily, 2026-06-22 .. 2026-06-30) and Hugging Face
daily lists (../shared/data/hf-daily-papers, 2026-06-15 .. 2026-06-30); the digest is Tuesday
2026-06-30's. Queries are built from words and phrases of those papers' titles (seeded), with some
exclusions and category filters, so every subscriber's search is different and many match.

Baselines, in the same process: the same 10,000 searches answered by a linear scan of the papers
(no shared index), and the same number of pre-rendered messages pushed through SMTP with no database.
Target: the whole run (compose + send + record) in <= 60 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperwire.config import Settings, load_settings
from paperwire.daily.trending import TrendingSettings
from paperwire.db.migrate import upgrade
from paperwire.db.models import Paper
from paperwire.db.session import make_engine
from paperwire.digest.compose import Period, load_period_papers
from paperwire.digest.matching import words
from paperwire.digest.models import OutboxEmail, Subscription
from paperwire.digest.render import DigestRenderer, sections_for
from paperwire.digest.sender import deliver, plan
from paperwire.digest.subscriptions import import_confirmed
from paperwire.digest.tokens import Links
from paperwire.ingest.runner import run_ingest
from paperwire.mail.smtp import SmtpConfig, connect
from paperwire.search.query import parse_query

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DAY = dt.date(2026, 6, 30)
SINK = textwrap.dedent(
    """
    import signal, sys, threading
    from aiosmtpd.controller import Controller
    class Count:
        n = 0
        async def handle_DATA(self, server, session, envelope):
            Count.n += 1
            return "250 OK"
    c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
    c.start()
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait()
    c.stop()
    print(Count.n, flush=True)
    """
)
STOP = {"a", "an", "and", "for", "of", "the", "to", "in", "on", "with", "via", "from", "by", "is", "at", "as"}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_data(engine: Engine, settings: Settings) -> None:
    arxiv = sorted(str(p) for p in (DATA / "arxiv-daily").glob("2026-06-2*.jsonl.gz"))
    arxiv += [str(DATA / "arxiv-daily" / "2026-06-30.jsonl.gz")]
    hf = [str(DATA / "hf-daily-papers" / f"2026-06-{d:02d}.json") for d in range(15, 31)]
    run_ingest(engine, "arxiv-daily", arxiv, settings)
    run_ingest(engine, "hf-daily", [p for p in hf if Path(p).exists()], settings)


def make_queries(titles: list[str], count: int, rng: random.Random) -> list[str]:
    """Distinct searches a person might save: words and phrases from real titles, some exclusions and filters."""
    vocab = [[w for w in words(t) if len(w) > 2 and w not in STOP] for t in titles]
    vocab = [v for v in vocab if len(v) >= 2]
    common = sorted({w for v in vocab for w in v})
    seen: set[str] = set()
    while len(seen) < count:
        title = rng.choice(vocab)
        kind = rng.random()
        if kind < 0.35:
            query = rng.choice(title)
        elif kind < 0.6:
            query = " ".join(rng.sample(title, 2))
        elif kind < 0.75:
            start = rng.randrange(len(title) - 1)
            query = f'"{title[start]} {title[start + 1]}"'
        elif kind < 0.9:
            query = f"{rng.choice(title)} -{rng.choice(common)}"
        else:
            query = f"{rng.choice(title)} cat:{rng.choice(['cs.CV', 'cs.CL', 'cs.LG', 'cs.AI', 'cs.RO'])}"
        seen.add(query)
    return sorted(seen)


def naive_match(papers: list[Paper], queries: list[str]) -> int:
    """Baseline: every search scans every paper's text (what a per-subscriber SQL LIKE would do)."""
    texts = [f" {' '.join(words(p.title + ' ' + p.abstract))} " for p in papers]
    hits = 0
    for raw in queries:
        q = parse_query(raw)
        need = [w for t in q.terms for w in words(t)]
        phrases = [" " + " ".join(words(p)) + " " for p in q.phrases]
        banned = [" " + " ".join(words(e)) + " " for e in q.excluded]
        for paper, text in zip(papers, texts, strict=True):
            if all(f" {w} " in text for w in need) and all(p in text for p in phrases):
                if any(b in text for b in banned):
                    continue
                if q.categories and not any(c in paper.categories for c in q.categories):
                    continue
                hits += 1
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--db", help="store URL (default: a new SQLite file in a temporary directory)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pw-digest-bench-"))
    port = 20000 + random.randrange(20000)
    settings = load_settings(
        data_dir=tmp,
        database_url=args.db,
        secret_key="bench",  # noqa: S106
        smtp_url=f"smtp://127.0.0.1:{port}",
        base_url="https://paperwire.example",
    )
    engine = make_engine(settings.db_url)
    upgrade(engine)
    t = time.perf_counter()
    load_data(engine, settings)
    with Session(engine) as session:
        papers = session.execute(select(func.count()).select_from(Paper)).scalar_one()
    print(
        f"store: {engine.url.get_backend_name()}, {papers} papers loaded in {time.perf_counter() - t:.1f} s"
    )

    rng = random.Random(5)
    period = Period.of("daily", DAY)
    with Session(engine) as session:
        candidates = load_period_papers(session, period, TrendingSettings.from_settings(settings))
        titles = [p.title for p in candidates.new.values()]
    queries = make_queries(titles, args.subscribers, rng)
    rows = "".join(
        f'bench{i:05d}@example.org,daily,"{q.replace(chr(34), chr(34) * 2)}"\n' for i, q in enumerate(queries)
    )
    with Session(engine) as session, session.begin():
        report = import_confirmed(session, rows)
        assert report.created == args.subscribers and not report.errors, report
    print(
        f"{args.subscribers} subscribers, {len(set(queries))} distinct saved searches; {len(candidates.new)} new papers in {period.key}"
    )

    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    try:
        rss_before = peak_mib()
        start, cpu_start = time.perf_counter(), time.process_time()
        planned = plan(engine, settings, period, dt.datetime(2026, 6, 30, 7))
        composed = time.perf_counter() - start
        delivered = deliver(engine, settings, period.key)
        total = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        rss_after = peak_mib()

        # Baselines, same process, same data.
        matcher = candidates.matcher
        t = time.perf_counter()
        indexed_hits = sum(len(matcher.search(q)) for q in queries)
        indexed = time.perf_counter() - t
        t = time.perf_counter()
        naive_hits = naive_match(list(candidates.new.values()), queries)
        naive = time.perf_counter() - t
        with Session(engine) as session:
            sample = session.execute(select(OutboxEmail).limit(1)).scalar_one()
            sub = session.get(Subscription, sample.subscription_id)
        with Session(engine) as session:
            ids = [int(i["paper_id"]) for i in sample.items]
            by_id = {p.id: p for p in session.execute(select(Paper).where(Paper.id.in_(ids))).scalars()}
        assert sub is not None
        mail = DigestRenderer(settings).render(
            sub,
            "daily",
            DAY,
            sections_for(sample.items, by_id, {}, settings),
            sample.message_id,
            Links.for_subscription(settings, sub),
            dt.datetime(2026, 6, 30, 7),
        )
        client = connect(SmtpConfig.from_url(settings.smtp_url))
        t = time.perf_counter()
        for _ in range(delivered.sent):
            client.sendmail(mail.sender, [mail.recipient], mail.data)
        raw_smtp = time.perf_counter() - t
        client.quit()
    finally:
        sink.terminate()
        out, _ = sink.communicate(timeout=30)
    received = int(out.strip().splitlines()[-1])
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    sink_cpu = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    load = os.getloadavg()[0]
    with Session(engine) as session:
        states = dict(
            session.execute(select(OutboxEmail.state, func.count()).group_by(OutboxEmail.state)).all()
        )
        avg_items = session.execute(select(OutboxEmail.items)).scalars().all()
    papers_per = sum(len(i) for i in avg_items) / max(len(avg_items), 1)

    print(
        f"compose+enqueue: {composed:.1f} s ({planned.planned} digests, {planned.empty} empty);"
        f" send+record: {total - composed:.1f} s ({delivered.sent} sent, {delivered.failed} failed,"
        f" {delivered.retrying} retrying); {papers_per:.1f} papers per digest"
    )
    print(
        f"TOTAL {total:.1f} s for {args.subscribers} subscribers ({delivered.sent / total:.0f} digests/s); target <= 60 s"
    )
    print(f"peak RSS {rss_after:.0f} MiB (before the run {rss_before:.0f} MiB)")
    print(
        f"CPU: sender process {cpu:.1f} s during the run; SMTP sink {sink_cpu:.1f} s (run + baseline);"
        f" load average at the end {load:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"outbox states {states}; SMTP sink received {received - delivered.sent} + {delivered.sent} (baseline) messages"
    )
    print(
        f"baseline, matching {len(queries)} searches: indexed {indexed * 1000:.0f} ms vs linear scan"
        f" {naive * 1000:.0f} ms ({naive / max(indexed, 1e-9):.0f}x); hits {indexed_hits} vs {naive_hits}"
    )
    print(
        f"baseline, SMTP only (same message, 1 connection, no DB, no rendering): {raw_smtp:.1f} s for {delivered.sent};"
        f" full send+record = {(total - composed) / max(raw_smtp, 1e-9):.2f}x of it"
    )
    assert received - delivered.sent == delivered.sent == planned.planned
    assert re.match(r"\d", str(states.get("sent")))


if __name__ == "__main__":
    main()
