"""What web tests share: a real SMTP inbox, CSRF tokens from pages, users, and signing in."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.accounts.service import create_user

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DAY = "2026-08-21"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
LINK = re.compile(r"https?://\S+")
PASSWORD = "correct horse battery"


@dataclass
class Inbox:
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 OK"

    def wait(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        assert len(self.messages) >= count, f"expected {count} emails, got {len(self.messages)}"
        return self.messages

    def link(self, index: int = -1) -> str:
        body = self.wait(1)[index].get_body(("plain",))
        assert body is not None
        return LINK.findall(body.get_content())[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def csrf(client: TestClient, path: str = "/signin") -> str:
    """The CSRF token of a page's forms (the GET also sets the seed cookie)."""
    match = CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def make_user(
    engine: Engine, email_address: str, *, role: str = "user", verified: bool = True, password: str = PASSWORD
) -> User:
    with Session(engine, expire_on_commit=False) as db:
        return create_user(
            db, email_address, password, role=role, verified=verified, display_name=email_address[:5]
        )


def sign_in(client: TestClient, email_address: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/signin",
        data={"email": email_address, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
