"""A real SMTP server on 127.0.0.1 that keeps every message it accepts, for tests that follow mailed links."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://[^\s<>\"')]+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def text(self) -> str:
        """Every text part (plain and HTML) joined: links may sit in either."""
        parts = []
        for part in self.message.walk():
            if part.get_content_maintype() == "text":
                parts.append(str(part.get_content()))  # type: ignore[attr-defined]
        return "\n".join(parts)

    def links(self) -> list[str]:
        return [link.rstrip(".,;").replace("&amp;", "&") for link in LINK.findall(self.text())]


@dataclass
class _Collect:
    mails: list[Mail] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.arrived:
            self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpSink:
    """Started with ``start()``; ``wait_for(address)`` blocks until a message to that address arrives."""

    def __init__(self) -> None:
        self.port = free_port()
        self._collect = _Collect()
        self._controller = Controller(self._collect, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def mails(self) -> list[Mail]:
        with self._collect.arrived:
            return list(self._collect.mails)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, address: str, *, subject: str = "", after: int = 0, timeout: float = 15.0) -> Mail:
        """The first message (from index ``after`` on) to ``address`` whose subject contains ``subject``."""
        deadline = time.monotonic() + timeout
        with self._collect.arrived:
            while True:
                for mail in self._collect.mails[after:]:
                    to = [r.lower() for r in mail.recipients]
                    if address.lower() in to and subject.lower() in mail.subject.lower():
                        return mail
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(m.recipients, m.subject) for m in self._collect.mails]
                    raise AssertionError(f"no mail to {address} ({subject!r}) within {timeout}s; got {seen}")
                self._collect.arrived.wait(left)
