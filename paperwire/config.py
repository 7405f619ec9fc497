"""One settings object for the whole service, read from PAPERWIRE_* environment variables.

Flags on the CLI override these; every field is documented in README's configuration table, and
``tests/test_config.py`` fails when one is not.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path.cwd() / "data"


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
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public URL of the web app, used in emails and feeds."
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs sessions, CSRF and email tokens; default: generated once and kept in the data directory.",
    )
    smtp_url: str = Field(
        default="smtp://127.0.0.1:25",
        description="Outgoing mail: smtp://user:pass@host:port, smtps://... (TLS), ?starttls=true.",
    )
    mail_from: str = Field(
        default="paperwire <paperwire@localhost>", description="From address of every email."
    )

    def secret(self) -> str:
        """The signing key: the configured one, else one generated once and persisted (never per process)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        self.secret_key = path.read_text().strip()
        return self.secret_key

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'paperwire.db'}"


def load_settings(**overrides: object) -> Settings:
    """Environment first, then any non-None flag values given by the caller."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
