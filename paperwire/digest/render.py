"""Turn a composed digest (or a confirmation) into a multipart text + HTML email.

Both parts come from Jinja templates under ``templates/`` (HTML with inline CSS, one column, readable
at phone width; text wrapped for text-only clients). Every digest carries RFC 8058 one-click
unsubscribe headers and a signed manage-preferences link, and a ``Message-ID`` derived from the period
and subscription only, so a digest re-sent after a crash is recognisably the same message.
"""

from __future__ import annotations

import binascii
import datetime as dt
import email
import email.policy
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from paperwire.claims import Claim
from paperwire.claims.labels import label
from paperwire.clock import utcnow
from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.digest.compose import SECTIONS
from paperwire.digest.models import Subscription
from paperwire.digest.tokens import Links
from paperwire.papers.links import http_url

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")
SUMMARY_CHARS = 280
CRLF = "\r\n"


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("paperwire.digest", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def summary_line(paper: Paper) -> str:
    """The paper's AI summary when present, else the abstract's first sentence, shortened for one line."""
    text = " ".join((paper.ai_summary or "").split())
    if not text:
        abstract = " ".join(paper.abstract.split())
        text = SENTENCE_END.split(abstract, maxsplit=1)[0] if abstract else ""
    if len(text) > SUMMARY_CHARS:
        text = text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


def author_line(authors: Sequence[str], shown: int = 4) -> str:
    if len(authors) <= shown:
        return ", ".join(authors)
    return f"{', '.join(authors[:shown])} and {len(authors) - shown} more"


@dataclass(frozen=True)
class PaperView:
    arxiv_id: str
    title: str
    authors: str
    summary: str
    upvotes: int | None
    code_url: str | None
    url: str
    reason: str | None
    claims: tuple[str, ...] = ()  # chip labels: "2× faster", "−61 % memory"


@dataclass(frozen=True)
class SectionView:
    title: str
    papers: list[PaperView]


def sections_for(
    picks: Sequence[Mapping[str, Any]],
    papers: Mapping[int, Paper],
    upvotes: Mapping[int, int],
    settings: Settings,
    views: dict[tuple[int, int | None], PaperView] | None = None,
    claims: Mapping[int, Sequence[Claim]] | None = None,
) -> list[SectionView]:
    """Group the digest's picks (``DigestPick.as_dict()``) by section, in composition order; papers deleted since are left out.

    ``views`` caches each paper's view across the digests of a run (summaries are computed once).
    """
    base = settings.base_url.rstrip("/")
    cache = {} if views is None else views
    grouped: dict[str, list[PaperView]] = {}
    for pick in picks:
        paper = papers.get(int(pick["paper_id"]))
        if paper is None:
            continue
        key = (paper.id, upvotes.get(paper.id) or None)
        view = cache.get(key)
        if view is None:
            view = cache[key] = PaperView(
                arxiv_id=paper.arxiv_id,
                title=" ".join(paper.title.split()),
                authors=author_line(paper.authors or []),
                summary=summary_line(paper),
                upvotes=key[1],
                code_url=next(filter(None, map(http_url, paper.code_urls or [])), None),
                url=f"{base}/papers/{paper.arxiv_id}",
                reason=None,
                claims=tuple(label(c) for c in (claims or {}).get(paper.id, ())),
            )
        reason = pick.get("reason")
        grouped.setdefault(str(pick["section"]), []).append(replace(view, reason=reason) if reason else view)
    return [SectionView(SECTIONS.get(name, name), shown) for name, shown in grouped.items()]


def mail_domain(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "localhost"


def digest_message_id(settings: Settings, period_key: str, subscription_id: int) -> str:
    """Stable per subscription and period: a resend after a crash carries the same id."""
    period = re.sub(r"[^A-Za-z0-9.-]", ".", period_key)
    return f"<digest.{period}.{subscription_id}@{mail_domain(settings)}>"


def _base_message(settings: Settings, to: str, subject: str, now: dt.datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = " ".join(subject.split())
    message["Date"] = format_datetime(now.replace(tzinfo=dt.UTC))
    return message


@dataclass(frozen=True)
class OutgoingMail:
    """A digest ready for SMTP: envelope addresses and the message bytes (CRLF line ends)."""

    sender: str
    recipient: str
    data: bytes

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


def _header(name: str, value: str) -> str:
    if value.isascii():
        return f"{name}: {value}"
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=CRLF)}"


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8")


def _part(subtype: str, text: str) -> str:
    body = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True).decode("ascii")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}Content-Transfer-Encoding: quoted-printable'
        f"{CRLF}{CRLF}{body.replace(chr(10), CRLF)}"
    )


class DigestRenderer:
    """Renders the digests of one run: each paper's text and HTML blocks are rendered once and reused,
    and the MIME message is assembled directly (the email package's generator is the slow part)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.env = environment()
        self.sender = parseaddr(settings.mail_from)[1]
        self.from_header = _address(settings.mail_from)
        self.domain = mail_domain(settings)
        # (arxiv id, upvotes) -> the paper's block: shared by every digest of the run that carries it.
        self._text: dict[tuple[str, int | None], str] = {}
        self._html: dict[tuple[str, int | None], Markup] = {}
        self.views: dict[tuple[int, int | None], PaperView] = {}

    def text_block(self, paper: PaperView) -> str:
        key = (paper.arxiv_id, paper.upvotes)
        if key not in self._text:
            self._text[key] = self.env.get_template("digest/paper.txt").render(paper=paper).rstrip("\n")
        return self._text[key]

    def html_block(self, paper: PaperView) -> Markup:
        key = (paper.arxiv_id, paper.upvotes)
        if key not in self._html:
            # Rendered by an autoescaping template: already safe HTML.
            html = self.env.get_template("digest/paper.html").render(paper=paper).strip()
            self._html[key] = Markup(html)  # noqa: S704
        return self._html[key]

    def render(
        self,
        sub: Subscription,
        cadence: str,
        day: dt.date,
        sections: Sequence[SectionView],
        message_id: str,
        links: Links,
        now: dt.datetime,
    ) -> OutgoingMail:
        context = {
            "cadence": cadence,
            "date_label": f"{day:%A} {day.day} {day:%B %Y}",
            "sections": sections,
            "count": sum(len(s.papers) for s in sections),
            "links": links,
            "email": sub.email,
            "text_block": self.text_block,
            "html_block": self.html_block,
        }
        subject = " ".join(self.env.get_template("digest/subject.txt").render(**context).split())
        text = self.env.get_template("digest/body.txt").render(**context)
        html = self.env.get_template("digest/body.html").render(**context)
        boundary = f"=_digest_{secrets.token_hex(12)}"
        headers = [
            _header("From", self.from_header),
            _header("To", sub.email),
            _header("Subject", subject),
            f"Date: {format_datetime(now.replace(tzinfo=dt.UTC))}",
            f"Message-ID: {message_id}",
            f"List-Id: paperwire {cadence} digest <{cadence}.digest.{self.domain}>",
            f"List-Unsubscribe: <{links.unsubscribe}>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
        ]
        data = CRLF.join(
            [
                *headers,
                "",
                f"--{boundary}",
                _part("plain", text),
                f"--{boundary}",
                _part("html", html),
                f"--{boundary}--",
                "",
            ]
        )
        return OutgoingMail(self.sender, sub.email, data.encode("ascii"))


def confirmation_message(
    settings: Settings, sub: Subscription, confirm_url: str, now: dt.datetime | None = None
) -> EmailMessage:
    context = {
        "confirm_url": confirm_url,
        "cadence": sub.cadence,
        "email": sub.email,
        "topics": sub.topics(),
        "hours": settings.digest_confirm_max_age_hours,
        "base_url": settings.base_url.rstrip("/"),
    }
    when = now or utcnow()
    message = _base_message(settings, sub.email, render("confirm/subject.txt", **context), when)
    message.set_content(render("confirm/body.txt", **context))
    message.add_alternative(render("confirm/body.html", **context), subtype="html")
    return message
