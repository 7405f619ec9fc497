"""A real HTTP server on 127.0.0.1 that replays recorded responses, for the network sources' tests.

Tests script it with routes: a path, the query parameters a request must carry, and the replies to
give in order (the last one repeats). Replies can be recorded files from ``tests/fixtures``, error
statuses with ``Retry-After``, or a dropped connection, so the clients' retry and error handling
run against real sockets. Every request is logged with its arrival time.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering


@dataclass
class Seen:
    path: str
    params: dict[str, str]
    at: float  # time.monotonic()


@dataclass
class Route:
    path: str
    params: dict[str, str]
    replies: list[Reply]

    def matches(self, path: str, params: dict[str, str]) -> bool:
        return path == self.path and all(params.get(k) == v for k, v in self.params.items())


class ReplayServer:
    """``with ReplayServer() as server: server.route(...); server.url`` serves until the block ends."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
                reply = replay.answer(parts.path, params)
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the request log is ``ReplayServer.seen``."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, path: str, *replies: Reply, **params: str) -> None:
        """Answer GET ``path`` whose query holds ``params`` with ``replies`` in order; the most specific, then newest, route wins."""
        self.routes.append(Route(path, params, list(replies)))

    def answer(self, path: str, params: dict[str, str]) -> Reply:
        with self._lock:
            self.seen.append(Seen(path, params, time.monotonic()))
            candidates = [r for r in self.routes if r.matches(path, params)]
            if not candidates:
                return Reply(404, f"no route for {path} {params}".encode(), "text/plain")
            route = max(reversed(candidates), key=lambda r: len(r.params))
            return route.replies.pop(0) if len(route.replies) > 1 else route.replies[0]

    def requests(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
