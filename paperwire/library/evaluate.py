"""Offline evaluation of recommendations on a directory of arxiv-daily listing files.

Protocol (issue 6): a paper's day is the first file it appears in. For up to ``max_authors`` authors
with at least 6 papers, tag their 3 earliest papers and rank every paper that appeared after the third
(the tag's papers excluded); the relevant set is their later papers. The recommender (trained on the 3
papers against a background sample, exactly as served) is compared in the same run with a
nearest-neighbour baseline (highest cosine to a tag paper, on embeddings when available, else tf-idf)
and a recency baseline (newest first). Metrics: recall@20 and nDCG@20 with binary gains.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.config import Settings
from paperwire.library import ranker
from paperwire.library.errors import LibraryError
from paperwire.papers.ids import InvalidArxivId, parse_arxiv_id

MIN_PAPERS = 6
TAG_SIZE = 3
K = 20
BACKGROUND = 1000


def recall_at(ranked: Sequence[int], relevant: set[int], k: int = K) -> float:
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def ndcg_at(ranked: Sequence[int], relevant: set[int], k: int = K) -> float:
    """Binary-gain nDCG: DCG of the ranking over the DCG of a perfect one (all relevant first)."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal


@dataclass
class Listing:
    """The papers of a directory in order of first appearance (row = paper), with their day index."""

    arxiv_ids: list[str]
    titles: list[str]
    abstracts: list[str]
    authors: list[list[str]]
    day: list[int]
    files: list[Path]


def read_listing(directory: Path, limit_files: int | None = None) -> Listing:
    files = sorted(p for p in directory.iterdir() if p.name.endswith((".jsonl.gz", ".jsonl")))
    if limit_files is not None:
        files = files[:limit_files]
    if not files:
        raise LibraryError(f"{directory}: no .jsonl.gz listing files")
    out = Listing([], [], [], [], [], files)
    seen: set[str] = set()
    for index, path in enumerate(files):
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                obj = json.loads(line)
                try:
                    arxiv_id = parse_arxiv_id(str(obj.get("id", "")))[0]
                except InvalidArxivId:
                    continue
                if arxiv_id in seen:
                    continue
                seen.add(arxiv_id)
                out.arxiv_ids.append(arxiv_id)
                out.titles.append(" ".join(str(obj.get("title") or "").split()))
                out.abstracts.append(" ".join(str(obj.get("summary") or "").split()))
                out.authors.append(
                    [n for n in (" ".join(str(a).split()) for a in obj.get("authors") or []) if n]
                )
                out.day.append(index)
    return out


def eligible_authors(listing: Listing) -> dict[str, list[int]]:
    """Authors with at least MIN_PAPERS papers, each with their rows earliest first."""
    rows: dict[str, list[int]] = {}
    for row, people in enumerate(listing.authors):
        for person in dict.fromkeys(people):
            rows.setdefault(person, []).append(row)
    return {name: r for name, r in rows.items() if len(r) >= MIN_PAPERS}


def listed_authors(listing: Listing) -> int:
    """Authors with >= MIN_PAPERS name listings: the issue's count, which counts a name twice on one paper twice."""
    counts: dict[str, int] = {}
    for people in listing.authors:
        for person in people:
            counts[person] = counts.get(person, 0) + 1
    return sum(1 for c in counts.values() if c >= MIN_PAPERS)


def _embeddings(
    listing: Listing, settings: Settings, progress: bool
) -> tuple[np.ndarray[Any, Any] | None, str]:
    """Embeddings of every paper, cached in the data directory under a key of the file set."""
    try:
        from paperwire.search import document_text, load_embedder

        embedder = load_embedder(settings, device="auto")
    except Exception as exc:  # no model: the evaluation still runs on keyword and author features
        return None, f"embeddings unavailable ({type(exc).__name__}: {exc})"
    digest = hashlib.sha256()
    for path in listing.files:
        digest.update(f"{path.name}:{path.stat().st_size}\n".encode())
    digest.update(embedder.name.encode())
    cache = settings.data_dir / "cache" / "eval-recommend" / f"{digest.hexdigest()[:20]}.npy"
    if cache.exists():
        cached = np.load(cache)
        if cached.shape[0] == len(listing.arxiv_ids):
            return cached, f"{embedder.name} (cached)"
    texts = [document_text(t, a) for t, a in zip(listing.titles, listing.abstracts, strict=True)]
    vectors = embedder.encode_documents(texts, progress=progress)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors, embedder.name


def _top(scores: np.ndarray[Any, Any], candidates: np.ndarray[Any, Any], k: int = K) -> list[int]:
    masked = np.where(candidates, scores, -np.inf)
    top = np.argpartition(-masked, k)[:k] if len(masked) > k else np.arange(len(masked))
    top = top[np.argsort(-masked[top], kind="stable")]
    return [int(i) for i in top if candidates[i]]


def evaluate(
    directory: Path,
    settings: Settings,
    *,
    max_authors: int = 500,
    use_embeddings: bool = True,
    limit_files: int | None = None,
    progress: Callable[[str], None] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    listing = read_listing(directory, limit_files)
    authors = eligible_authors(listing)
    say(
        f"{len(listing.files)} files, {len(listing.arxiv_ids)} papers, {len(authors)} authors with >= {MIN_PAPERS}"
    )
    chosen = sorted(authors)
    if len(chosen) > max_authors:
        chosen = sorted(np.random.default_rng(seed).choice(chosen, max_authors, replace=False).tolist())
    vectors, embed_note = (
        _embeddings(listing, settings, progress is not None) if use_embeddings else (None, "off")
    )
    n = len(listing.arxiv_ids)
    texts = [f"{t}. {a}" for t, a in zip(listing.titles, listing.abstracts, strict=True)]
    corpus = ranker.Corpus(list(range(n)), texts, listing.authors, vectors)
    features = ranker.build_features(corpus)
    no_authors = ranker.without_authors(features)
    day = np.asarray(listing.day)
    recency = day * n + np.arange(n)  # newer day first; within a day, later in the file first
    methods = ("recommender", "nearest", "recency", "recommender_without_authors", "nearest_same_features")
    totals = {m: {"recall@20": 0.0, "ndcg@20": 0.0} for m in methods}
    evaluated = 0
    rng = np.random.default_rng(seed)
    for name in chosen:
        rows = authors[name]
        tag = rows[:TAG_SIZE]
        third_day = listing.day[tag[-1]]
        candidates = day > third_day
        candidates[tag] = False
        relevant = {r for r in rows[TAG_SIZE:] if candidates[r]}
        if not relevant:
            continue
        evaluated += 1
        background = [
            int(r) for r in rng.choice(n, size=min(BACKGROUND, n), replace=False) if r not in set(tag)
        ]
        ranked = {
            "recommender": _top(ranker.scores(features, ranker.fit(features, tag, background)), candidates),
            "recommender_without_authors": _top(
                ranker.scores(no_authors, ranker.fit(no_authors, tag, background)), candidates
            ),
            "nearest": _top(ranker.nearest_scores(features, tag), candidates),
            "nearest_same_features": _top(ranker.nearest_scores(features, tag, space="all"), candidates),
            "recency": _top(recency.astype(np.float64), candidates),
        }
        for method, ranking in ranked.items():
            totals[method]["recall@20"] += recall_at(ranking, relevant)
            totals[method]["ndcg@20"] += ndcg_at(ranking, relevant)
    if not evaluated:
        raise LibraryError(f"{directory}: no author has {MIN_PAPERS} papers with later ones to find")
    result: dict[str, Any] = {m: {k: round(v / evaluated, 4) for k, v in totals[m].items()} for m in methods}
    result.update(
        {
            "files": len(listing.files),
            "papers": n,
            "eligible_authors": len(authors),
            "eligible_authors_counting_repeated_names": listed_authors(listing),
            "evaluated_authors": evaluated,
            "features": "tf-idf + authors" + (" + embeddings" if vectors is not None else ""),
            "nearest_on": "embeddings" if vectors is not None else "tf-idf",
            "embeddings": embed_note,
            "seconds": round(time.perf_counter() - started, 1),
        }
    )
    return result
