"""One settings object for the whole service, read from PAPERWIRE_* environment variables.

Flags on the CLI override these; every field is documented in README's configuration table, and
``tests/test_config.py`` fails when one is not.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from paperwire.store_location import default_data_dir, default_db_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAPERWIRE_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir, description="Where the database, indexes and models live."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default: a SQLite file `paperwire.db` in the data directory.",
    )
    batch_size: int = Field(default=2000, ge=1, description="Records written per ingest transaction.")
    ingest_workers: int = Field(
        default_factory=lambda: 1 if (os.cpu_count() or 1) > 1 else 0,
        ge=0,
        description="Processes that parse line-based sources while the main one writes (0: parse inline).",
    )
    oai_url: str = Field(default="https://oaipmh.arxiv.org/oai", description="arXiv OAI-PMH endpoint.")
    arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query", description="arXiv API endpoint."
    )
    hf_api_url: str = Field(
        default="https://huggingface.co", description="Hugging Face base URL for daily papers."
    )
    request_interval: float = Field(
        default=3.0, ge=0, description="Seconds between requests to arXiv (their policy asks for 3)."
    )
    http_timeout: float = Field(
        default=60.0, gt=0, description="Seconds before an HTTP request to a source fails."
    )
    http_retries: int = Field(
        default=5,
        ge=0,
        description="Retries of a failed request to a source (connection error, 5xx, 429) before giving up.",
    )
    arxiv_api_page_size: int = Field(
        default=100, ge=1, le=2000, description="Entries per arXiv API request (max_results)."
    )
    arxiv_api_max_results: int = Field(
        default=10_000,
        ge=1,
        le=30_000,
        description="Most entries one arXiv API query fetches (arXiv serves 30,000 at most; bulk: arxiv-oai).",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public URL of the web app, used in emails and feeds."
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs sessions, CSRF and email tokens; default: generated once and kept in the database (shared by every node).",
    )
    smtp_url: str = Field(
        default="smtp://127.0.0.1:25",
        description="Outgoing mail: smtp://user:pass@host:port, smtps://... (TLS), ?starttls=true.",
    )
    mail_from: str = Field(
        default="paperwire <paperwire@localhost>", description="From address of every email."
    )
    trending_gravity: float = Field(
        default=1.5,
        gt=0,
        description="Trending: how fast votes lose weight with age (score = votes / (hours + offset) ** gravity).",
    )
    trending_offset_hours: float = Field(
        default=2.0,
        ge=0,
        description="Trending: hours added to a paper's age so brand-new papers do not dominate.",
    )
    trending_window_days: int = Field(
        default=7, ge=1, le=365, description="Trending: only papers listed in this many past days compete."
    )
    signin_limit_per_ip: int = Field(
        default=30, ge=1, description="Sign-in attempts allowed per IP address per 15 minutes."
    )
    signin_limit_per_account: int = Field(
        default=10,
        ge=1,
        description="Sign-in attempts allowed per account per 15 minutes (a success resets it).",
    )
    signup_limit_per_ip: int = Field(
        default=10, ge=1, description="Sign-ups allowed per IP address per hour."
    )
    subscribe_limit_per_ip: int = Field(
        default=10,
        ge=1,
        description="Digest subscriptions (the public form) allowed per IP address per hour.",
    )
    web_cache_seconds: float = Field(
        default=3.0,
        ge=0,
        le=3600,
        description="How long anonymous visitors may see a cached list page (0: never cache).",
    )
    web_db_pool_size: int = Field(
        default=20,
        ge=1,
        le=500,
        description="Database connections per web worker, plus as many again in overflow.",
    )
    host: str = Field(default="127.0.0.1", description="Address `paperwire serve` listens on (`--host`).")
    port: int = Field(
        default=8000, ge=1, le=65535, description="Port `paperwire serve` listens on (`--port`)."
    )
    web_workers: int = Field(
        default_factory=lambda: min(os.cpu_count() or 1, 8),
        ge=1,
        le=64,
        description="Worker processes of `paperwire serve` (default: one per CPU core, at most 8).",
    )
    web_semantic_timeout: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description=(
            "Seconds a web search waits for the model to load and for its semantic half before showing"
            " the keyword answer (marked as such, not cached); 0: wait as long as it takes."
        ),
    )
    web_page_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description=(
            "Threads per web worker for page work (queries, search, rendering). That work holds the GIL,"
            " so more threads only queue behind each other's switches: measured, 4 threads tripled p99."
        ),
    )
    trust_proxy_headers: bool = Field(
        default=False,
        description="Take the client IP (for rate limits) from X-Forwarded-For; enable only behind your own proxy.",
    )
    digest_max_papers: int = Field(default=20, ge=1, description="Most papers in one email digest.")
    digest_trending_papers: int = Field(
        default=10,
        ge=0,
        description="Most trending papers in one digest (the rest: searches, authors, categories).",
    )
    digest_hard_fail_limit: int = Field(
        default=3,
        ge=1,
        description="Permanent (5xx) failures in a row after which a digest address is paused.",
    )
    digest_max_attempts: int = Field(
        default=6,
        ge=1,
        description="Tries per digest email before a temporary SMTP failure counts as failed.",
    )
    digest_retry_base_seconds: float = Field(
        default=60.0, ge=0, description="First retry delay after a temporary SMTP failure; doubles each try."
    )
    digest_lease_seconds: float = Field(
        default=600.0,
        gt=0,
        description="How long a digest sender owns the emails it claimed; a crashed sender's emails are retried after it.",
    )
    digest_send_hour: int = Field(
        default=7,
        ge=0,
        le=23,
        description="UTC hour from which the built-in schedule sends the day's digests.",
    )
    digest_weekly_weekday: int = Field(
        default=1, ge=1, le=7, description="ISO weekday (1 = Monday) on which weekly digests are sent."
    )
    digest_confirm_max_age_hours: int = Field(
        default=72, ge=1, description="How long a subscription confirmation link stays valid."
    )
    digest_link_max_age_days: int = Field(
        default=90,
        ge=1,
        description="How long unsubscribe and manage-preferences links in emails stay valid.",
    )
    digest_smtp_connections: int = Field(
        default=4, ge=1, le=64, description="SMTP connections a digest sender uses at once (one thread each)."
    )
    digest_schedule: bool = Field(
        default=False, description="Let `paperwire serve` send due digests itself (instead of cron)."
    )
    embed_precision: Literal["int8", "fp32"] = Field(
        default="int8",
        description="CPU embedding model: per-channel int8 ONNX (about 2x faster, cosine 0.99 to fp32) or fp32 ONNX.",
    )
    embed_threads: int = Field(
        default=0, ge=0, description="Threads for CPU embedding (ONNX Runtime); 0 uses every core."
    )

    search_hybrid_weight: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Hybrid search: weight of BM25 against the semantic score (1 - weight), each standardised over the query's candidates; tuned on SciFact train and NFCorpus train+dev.",
    )
    search_sentence_weight: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="Semantic score: weight of a paper's best-matching title or sentence against its whole vector (1 - weight); tuned on SciFact train and NFCorpus train+dev.",
    )
    search_candidates: int = Field(
        default=100,
        ge=10,
        le=2000,
        description="Hybrid search: candidates taken from each of keyword and semantic search.",
    )
    index_batch_size: int = Field(
        default=512,
        ge=1,
        description="Papers per indexing batch; progress is saved after each, so an interrupted index resumes.",
    )
    index_follow: bool = Field(
        default=True,
        description=(
            "`paperwire serve` keeps this node's indexes caught up with the store in a low-priority process"
            " of its own; false where the indexes are shared or `paperwire index --follow` runs as a service."
        ),
    )
    index_follow_interval: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="Seconds between the follower's checks of the store for new papers.",
    )
    ready_max_index_lag: int = Field(
        default=1000,
        ge=0,
        description="`/readyz` answers 503 while this node's indexes miss more papers than this (a new node).",
    )
    recommend_days: int = Field(
        default=14,
        ge=1,
        description="Recommendations come from papers published this many days before the newest one.",
    )
    recommend_pool: int = Field(
        default=5000,
        ge=50,
        le=30000,
        description="At most this many of the newest papers are ranked for recommendations.",
    )
    status_stale_hours: float = Field(
        default=48.0,
        gt=0,
        description="`paperwire status` exits 4 when a source's last good run is older than this (hours).",
    )

    def secret(self) -> str:
        """The signing key: the configured one, else the one kept in the store, so every node signs alike."""
        if not self.secret_key:
            from paperwire.db.cluster import shared_secret  # the store's tables, read once per process
            from paperwire.db.session import make_engine

            engine = make_engine(self.db_url)
            try:
                self.secret_key = shared_secret(engine, legacy_file=self.data_dir / "secret_key")
            finally:
                engine.dispose()
        return self.secret_key

    @property
    def db_url(self) -> str:
        return self.database_url or default_db_url(self.data_dir)


def load_settings(**overrides: object) -> Settings:
    """Environment first, then any non-None flag values given by the caller."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
