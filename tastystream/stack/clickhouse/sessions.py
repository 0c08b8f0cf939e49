"""HTTP sessions (``session_id``): one engine connection each, used by one request at a time.

As on a real server, a session keeps ``SET`` settings, the current database and temporary
tables between requests, expires ``session_timeout`` seconds after its last use, and a second
request arriving while one runs gets SESSION_IS_LOCKED instead of waiting.

Settings passed in a request's URL apply to that request only, as on a real server (a per-query
``insert_deduplication_token`` must never leak into the next insert). The connection keeps the
overrides of the last request and each request changes only what differs, reading a setting's
session value once from ``system.settings`` so it can be put back.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tastystream.stack.clickhouse.errors import (
    SESSION_IS_LOCKED,
    SESSION_NOT_FOUND,
    TOO_MANY_SIMULTANEOUS_QUERIES,
    ClickHouseError,
)
from tastystream.stack.clickhouse.sql_literal import quote_identifier, quote_string, set_statement

__all__ = ["Session", "SessionRegistry"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Session:
    session_id: str
    conn: Any  # None until the creating request has connected
    timeout: float
    expires_at: float
    busy: bool = False
    closing: bool = False
    # the session's own current database (None: not read yet) and a URL override in force
    own_database: str | None = None
    database: str | None = None
    # session value of each overridden setting (None: the default); URL overrides in force
    baseline: dict[str, str | None] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)

    def scope_settings(self, wanted: dict[str, str]) -> None:
        """Make exactly ``wanted`` the URL overrides in force (blocking engine calls)."""
        missing = [name for name in wanted if name not in self.baseline]
        if missing:
            self._read_baseline(missing)
        change: dict[str, str | None] = {
            name: self.baseline.get(name) for name in self.overrides if name not in wanted
        }
        change.update({k: v for k, v in wanted.items() if self.overrides.get(k) != v})
        if change:
            self.conn.query(set_statement(change), "TabSeparated")
        self.overrides = dict(wanted)

    def scope_database(self, wanted: str | None) -> None:
        """The ``database`` URL parameter, for this request only."""
        if wanted is not None and wanted != self.database:
            if self.own_database is None:
                result = self.conn.query("SELECT currentDatabase()", "TabSeparated")
                self.own_database = bytes(result.bytes()).decode().rstrip("\n")
            self.conn.query(f"USE {quote_identifier(wanted)}", "TabSeparated")
            self.database = wanted
        elif wanted is None and self.database is not None:
            assert self.own_database is not None
            self.conn.query(f"USE {quote_identifier(self.own_database)}", "TabSeparated")
            self.database = None

    def reset_settings(self) -> None:
        """Before a SET/USE statement: back to the session's own values, forget the cache."""
        if self.overrides:
            restore = {name: self.baseline.get(name) for name in self.overrides}
            self.conn.query(set_statement(restore), "TabSeparated")
        self.scope_database(None)
        self.overrides = {}
        self.baseline = {}
        self.own_database = None

    def _read_baseline(self, names: list[str]) -> None:
        listed = ", ".join(quote_string(name) for name in names)
        result = self.conn.query(
            f"SELECT name, value, changed FROM system.settings WHERE name IN ({listed})",
            "JSONEachRow",
        )
        for line in bytes(result.bytes()).splitlines():
            row = json.loads(line)
            self.baseline[row["name"]] = row["value"] if int(row["changed"]) else None


class SessionRegistry:
    """Sessions by id. Not thread-safe: used only from the event loop thread."""

    def __init__(self, max_sessions: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._sessions: dict[str, Session] = {}
        self._max = max_sessions
        self._clock = clock

    def __len__(self) -> int:
        return len(self._sessions)

    def acquire(self, session_id: str, timeout: float, *, must_exist: bool) -> Session | None:
        """Lock the session for one request; ``None`` means: open a connection and ``add`` it."""
        session = self._sessions.get(session_id)
        if session is None:
            if must_exist:
                raise ClickHouseError(SESSION_NOT_FOUND, f"Session {session_id} not found")
            if len(self._sessions) >= self._max:
                raise ClickHouseError(
                    TOO_MANY_SIMULTANEOUS_QUERIES, f"Too many sessions. Maximum: {self._max}"
                )
            return None
        if session.busy:
            raise ClickHouseError(
                SESSION_IS_LOCKED, f"Session {session_id} is locked by a concurrent client"
            )
        session.busy = True
        session.timeout = timeout
        return session

    def add(self, session_id: str, conn: Any, timeout: float) -> Session:
        """Register a new session, locked by the request creating it (``conn`` may come later)."""
        session = Session(session_id, conn, timeout, self._clock() + timeout, busy=True)
        self._sessions[session_id] = session
        log.debug("session %s opened", session_id)
        return session

    def release(self, session: Session, *, close: bool = False) -> Session | None:
        """Unlock after a request; returns the session if it must now be closed."""
        session.busy = False
        session.expires_at = self._clock() + session.timeout
        if close or session.closing:
            self._sessions.pop(session.session_id, None)
            return session
        return None

    def expired(self) -> list[Session]:
        """Remove and return idle sessions past their timeout."""
        now = self._clock()
        gone = [s for s in self._sessions.values() if not s.busy and s.expires_at <= now]
        for session in gone:
            del self._sessions[session.session_id]
            log.debug("session %s expired", session.session_id)
        return [s for s in gone if s.conn is not None]

    def drain(self) -> list[Session]:
        """Remove idle sessions for shutdown; busy ones close when their request ends."""
        idle = [s for s in self._sessions.values() if not s.busy]
        for session in self._sessions.values():
            session.closing = True
        for session in idle:
            del self._sessions[session.session_id]
        return [s for s in idle if s.conn is not None]
