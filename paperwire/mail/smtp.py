"""Send one message through the configured SMTP server and classify failures.

A failure is *temporary* (retry later: 4xx replies, connection problems) or *permanent* (5xx: the
address or message is refused); callers decide about retries, this module only tells which.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit


class MailError(Exception):
    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class TemporaryMailError(MailError):
    pass


class PermanentMailError(MailError):
    pass


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    starttls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """``smtp://user:pass@host:port``, ``smtps://...`` (implicit TLS), ``?starttls=true``."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP URL must start with smtp:// or smtps://, got {url!r}")
        if not parts.hostname:
            raise ValueError(f"SMTP URL has no host: {url!r}")
        query = parse_qs(parts.query)
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            starttls=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
            timeout=float(query.get("timeout", ["30"])[0]),
        )


def connect(config: SmtpConfig) -> smtplib.SMTP:
    """An open, authenticated connection; reuse it for a batch and ``quit()`` it after."""
    try:
        if config.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            if config.starttls:
                client.starttls(context=ssl.create_default_context())
        if config.username:
            client.login(config.username, config.password or "")
    except smtplib.SMTPResponseException as exc:
        raise _classify(exc.smtp_code, _text(exc.smtp_error)) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TemporaryMailError(f"cannot reach SMTP server {config.host}:{config.port}: {exc}") from exc
    return client


def _classify(code: int, text: str) -> MailError:
    if 400 <= code < 500:
        return TemporaryMailError(f"SMTP {code}: {text}", code)
    return PermanentMailError(f"SMTP {code}: {text}", code)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


@contextmanager
def _classified(broken: Callable[[], None] = lambda: None) -> Iterator[None]:
    """SMTP failures as Temporary/PermanentMailError; ``broken`` runs when the connection may be unusable."""
    try:
        yield
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        raise _classify(code, _text(reply)) from exc
    except smtplib.SMTPResponseException as exc:
        error = _classify(exc.smtp_code, _text(exc.smtp_error))
        if isinstance(error, TemporaryMailError):
            broken()
        raise error from exc
    except (OSError, smtplib.SMTPException) as exc:
        broken()
        raise TemporaryMailError(f"SMTP connection failed: {exc}") from exc


def _refused(refused: dict[str, tuple[int, bytes]]) -> None:
    if refused:
        code, reply = next(iter(refused.values()))
        raise _classify(code, _text(reply))


def send_with(client: smtplib.SMTP, message: EmailMessage) -> None:
    """Send on an open connection, raising Temporary/PermanentMailError."""
    with _classified():
        refused = client.send_message(message)
    _refused(refused)


class Connection:
    """One connection reused for many messages (digests), opened on first use and reopened after a
    failure that may have broken it. Sends pre-built bytes: re-serialising an EmailMessage costs more
    than the rest of a digest."""

    def __init__(self, config: SmtpConfig):
        self.config = config
        self.client: smtplib.SMTP | None = None

    def send_bytes(self, sender: str, recipient: str, data: bytes) -> None:
        """Raises Temporary/PermanentMailError."""
        if self.client is None:
            self.client = connect(self.config)
        with _classified(broken=self.close):
            refused = self.client.sendmail(sender, [recipient], data)
        _refused(refused)

    def close(self) -> None:
        if self.client is not None:
            _quit(self.client)
            self.client = None


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def send(config: SmtpConfig, message: EmailMessage) -> None:
    """Send one message on its own connection (account emails); digests reuse connections."""
    client = connect(config)
    try:
        send_with(client, message)
    finally:
        _quit(client)
