"""What the nodes of one store share beyond papers: the signing key, and locks for jobs that must run
on one node at a time (the digest schedule, an OAI harvest).

PostgreSQL locks are session advisory locks: held by an open connection, freed by the server the moment
that connection dies, so a killed node never blocks the others. SQLite (one machine, several worker
processes) gets a lock row with a lease instead, renewed while held and taken over once it expires.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import secrets
import threading
from pathlib import Path

from sqlalchemy import Column, Connection, DateTime, Engine, MetaData, String, Table, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError, SQLAlchemyError

from paperwire.db.session import ReadOnlyStore
from paperwire.processes import owner_state, this_process

log = logging.getLogger(__name__)
_meta = MetaData()
SECRETS = Table(
    "cluster_secrets",
    _meta,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", DateTime),
)
JOB_LOCKS = Table(
    "job_locks",
    _meta,
    Column("name", String(200), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", DateTime, nullable=False),
)
SIGNING_KEY = "signing_key"


class StoreNotReady(RuntimeError):
    """The store has not been migrated to a version with the shared tables."""


def _insert(engine: Engine) -> postgresql.Insert | sqlite.Insert:
    return (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(SECRETS)


def shared_secret(engine: Engine, legacy_file: Path | None = None) -> str:
    """The signing key every node uses, created by whichever node asks first (one atomic insert: a
    second node racing it reads the first one's key). A key a single node kept in ``legacy_file``
    before becomes the shared one, so its sessions and emailed links stay valid."""
    candidate = secrets.token_urlsafe(48)
    if legacy_file is not None and legacy_file.is_file():
        candidate = legacy_file.read_text().strip() or candidate
    stored = select(SECRETS.c.value).where(SECRETS.c.name == SIGNING_KEY)
    try:
        with engine.connect() as conn:
            value = conn.execute(stored).scalar()
        if value is None:
            with engine.begin() as conn:
                conn.execute(
                    _insert(engine)
                    .values(
                        name=SIGNING_KEY,
                        value=candidate,
                        created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    )
                    .on_conflict_do_nothing(index_elements=["name"])
                )
                value = conn.execute(stored).scalar_one()
    except ReadOnlyStore:
        # Started on a store that cannot be written yet: sign with this node's key meanwhile.
        log.warning("the store is read-only, so this node signs with a key of its own until a restart")
        return candidate
    except (OperationalError, ProgrammingError) as exc:
        raise StoreNotReady(
            f"the store has no table for the signing key: run `paperwire init` ({exc.orig})"
        ) from exc
    return str(value)


def holder_id() -> str:
    """Who holds a lock row: this host and process (and a random part, as pids repeat across containers)."""
    return f"{this_process()}:{secrets.token_hex(4)}"


def _advisory_key(name: str) -> int:
    """A job name as PostgreSQL's 64-bit advisory-lock key (stable across processes and versions)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class JobLock:
    """Held by at most one process of all the nodes on a store; ``acquire`` never waits.

    Call ``acquire`` again before each run of the job: it renews a lease the process holds and checks a
    PostgreSQL lock's connection is still alive (a lost connection has lost the lock)."""

    def __init__(self, engine: Engine, name: str, *, lease: dt.timedelta = dt.timedelta(minutes=5)) -> None:
        self.engine = engine
        self.name = name
        self.lease = lease
        self.holder = holder_id()
        self._conn: Connection | None = None
        self._held = False
        self._lock = threading.Lock()

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self) -> bool:
        """Whether this process holds the lock now (taking it if free)."""
        with self._lock:
            if self.engine.dialect.name == "postgresql":
                self._held = self._acquire_advisory()
            else:
                self._held = self._acquire_row()
            return self._held

    def _acquire_advisory(self) -> bool:
        key = _advisory_key(self.name)
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except SQLAlchemyError:
                log.warning("lost the connection holding job lock %s", self.name)
                self._close()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        except BaseException:
            conn.close()
            raise
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def _acquire_row(self) -> bool:
        """Take the row when it is free, ours, past its lease, or held by a process of this host that is
        gone (a SIGKILLed holder's job runs again at once, not after its lease)."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        expires = now + self.lease
        with self.engine.begin() as conn:
            current = conn.execute(select(JOB_LOCKS.c.holder).where(JOB_LOCKS.c.name == self.name)).scalar()
            takeover = current is not None and current != self.holder and owner_state(current) == "gone"
            conn.execute(
                sqlite.insert(JOB_LOCKS)
                .values(name=self.name, holder=self.holder, expires_at=expires)
                .on_conflict_do_update(
                    index_elements=["name"],
                    set_={"holder": self.holder, "expires_at": expires},
                    where=(JOB_LOCKS.c.holder == self.holder)
                    | (JOB_LOCKS.c.expires_at < now)
                    | (JOB_LOCKS.c.holder == (current if takeover else self.holder)),
                )
            )
            owner = conn.execute(select(JOB_LOCKS.c.holder).where(JOB_LOCKS.c.name == self.name)).scalar()
        return owner == self.holder

    def release(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(SQLAlchemyError):  # a lost connection has lost the lock with it
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _advisory_key(self.name)})
                self._close()
            elif self._held and self.engine.dialect.name != "postgresql":
                with self.engine.begin() as conn:
                    conn.execute(
                        delete(JOB_LOCKS).where(
                            JOB_LOCKS.c.name == self.name, JOB_LOCKS.c.holder == self.holder
                        )
                    )
            self._held = False

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.invalidate()
            self._conn.close()
            self._conn = None


def store_error(engine: Engine) -> str | None:
    """Why the store cannot be reached (one line), or None when a trivial query answers."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return None
