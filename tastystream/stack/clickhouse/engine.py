"""The embedded ClickHouse engine (chdb) behind the HTTP server.

One process hosts one engine bound to the data directory. An anchor connection keeps it open for
the server's lifetime; closing it at shutdown flushes and shuts the engine down cleanly. Each
request runs on its own chdb connection (cheap: ~0.1 ms), or on its session's connection, so
settings never leak between requests. chdb connections run queries in parallel and release the
GIL, so blocking engine calls go to a bounded thread pool while the event loop keeps serving HTTP.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from chdb import _chdb

from tastystream.stack.clickhouse.access_policy import (
    VALUES_EXPRESSIONS,
    AccessPolicy,
    Catalog,
)
from tastystream.stack.clickhouse.errors import (
    CANNOT_SCHEDULE_TASK,
    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING,
    READONLY,
    SYNTAX_ERROR,
    TOO_MANY_SIMULTANEOUS_QUERIES,
    ClickHouseError,
)
from tastystream.stack.clickhouse.query_request import QueryRequest
from tastystream.stack.clickhouse.sessions import Session, SessionRegistry
from tastystream.stack.clickhouse.sql_literal import (
    quote_identifier,
    quote_string,
    set_statement,
)

__all__ = ["AccessRules", "Engine", "EngineLimits", "Lease"]

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EngineLimits:
    max_concurrent_queries: int = 16
    queue_timeout: float = 30.0
    query_timeout: float = 300.0
    max_sessions: int = 256


@dataclass(frozen=True, slots=True)
class AccessRules:
    """The files folder ``file()`` is confined to (default ``<path>/user_files``) and the
    table functions / engines allowed although they reach outside (``url``, ``remote`` …).

    chdb resolves relative ``file()`` paths against the process's working directory, so the
    server process (``python -m tastystream.stack.clickhouse``) works in the files folder; a
    process embedding :class:`Engine` should do the same for relative paths to land there."""

    files_dir: Path | None = None
    allow: tuple[str, ...] = ()


@dataclass(slots=True)
class Lease:
    """A prepared engine connection lent to one request."""

    conn: Any
    query_id: str
    session: Session | None = None


def open_connection(path: Path) -> Any:
    """A new chdb connection to the process's engine (the stub of ``_chdb`` omits ``connect``)."""
    return _chdb.connect(str(path))  # type: ignore[attr-defined]


class Engine:
    """Async facade over chdb: lifecycle, connections, sessions, limits."""

    def __init__(
        self, path: Path, limits: EngineLimits | None = None, access: AccessRules | None = None
    ) -> None:
        self.path = path
        self.limits = limits or EngineLimits()
        self.access = access or AccessRules()
        self.files_dir = self.access.files_dir or path / "user_files"
        self.policy: AccessPolicy | None = None
        self.version = ""
        self.timezone = "UTC"
        self.display_name = socket.gethostname()
        self.state = "stopped"
        self._executor: ThreadPoolExecutor | None = None
        self._anchor: Any = None
        self._slots = asyncio.Semaphore(self.limits.max_concurrent_queries)
        self._running: dict[str, str] = {}  # client query id -> SQL, once known
        self._sessions = SessionRegistry(self.limits.max_sessions)
        self._reaper: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Engine:
        self.state = "starting"
        self._executor = ThreadPoolExecutor(
            max_workers=self.limits.max_concurrent_queries + 4, thread_name_prefix="chdb"
        )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self.files_dir.mkdir(parents=True, exist_ok=True)
            self._anchor = await self.call(open_connection, self.path)
            info = await self.call(
                self._anchor.query, "SELECT version(), timezone()", "TabSeparated"
            )
            catalog = await self.call(self._catalog)
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        self.version, self.timezone = bytes(info.bytes()).decode().strip().split("\t")
        self.policy = AccessPolicy(catalog, self.files_dir.resolve(), self.access.allow)
        self._reaper = asyncio.create_task(self._reap_sessions(), name="clickhouse-sessions")
        self.state = "running"
        log.info("engine running: ClickHouse %s at %s", self.version, self.path)
        return self

    def _catalog(self) -> Catalog:
        def names(table: str) -> frozenset[str]:
            result = self._anchor.query(f"SELECT name FROM system.{table}", "TabSeparated")
            return frozenset(bytes(result.bytes()).decode().split())

        return Catalog(names("table_functions"), names("table_engines"), names("database_engines"))

    async def __aexit__(self, *exc: object) -> None:
        self.state = "stopping"
        if self._reaper is not None:
            self._reaper.cancel()
            await asyncio.gather(self._reaper, return_exceptions=True)
        for session in self._sessions.drain():
            await self.call(session.conn.close)
        if self._anchor is not None:
            await self.call(self._anchor.close)
            self._anchor = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.state = "stopped"
        log.info("engine stopped: %s", self.path)

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking engine call on the engine's thread pool."""
        if self._executor is None:
            raise ClickHouseError(CANNOT_SCHEDULE_TASK, "The engine is not running")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    @asynccontextmanager
    async def lease(self, request: QueryRequest) -> AsyncIterator[Lease]:
        """A connection prepared for ``request`` (database, settings, limits), exclusively."""
        if request.query_id in self._running:
            raise ClickHouseError(
                QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING,
                f"Query with id = {request.query_id} is already running",
            )
        try:
            await asyncio.wait_for(self._slots.acquire(), self.limits.queue_timeout)
        except TimeoutError as exc:
            raise ClickHouseError(
                TOO_MANY_SIMULTANEOUS_QUERIES,
                f"Too many simultaneous queries. Maximum: {self.limits.max_concurrent_queries}",
            ) from exc
        self._running[request.query_id] = ""
        session: Session | None = None
        conn: Any = None
        try:
            if request.session_id:
                session = self._sessions.acquire(
                    request.session_id, request.session_timeout, must_exist=request.session_check
                )
                if session is None:
                    session = self._sessions.add(request.session_id, None, request.session_timeout)
            conn = await self.call(self._open, request, session)
            yield Lease(conn, request.query_id, session)
        finally:
            self._running.pop(request.query_id, None)
            self._slots.release()
            if session is not None:
                closed = self._sessions.release(session, close=request.close_session)
                if closed is not None and closed.conn is not None:
                    await self.call(closed.conn.close)
            elif conn is not None:
                await self.call(conn.close)

    def _open(self, request: QueryRequest, session: Session | None) -> Any:
        """Connect (or reuse the session's connection) and prepare it; one pool hop."""
        if session is not None:
            if session.conn is None:
                session.conn = open_connection(self.path)
                self._apply(session.conn, self._defaults())
            self._prepare_session(session, request)
            return session.conn
        conn = open_connection(self.path)
        try:
            if request.database:
                conn.query(f"USE {quote_identifier(request.database)}", "TabSeparated")
            settings = {**self._defaults(), **request.settings, **_tag(request)}
            if request.readonly:
                settings["readonly"] = "2"
            self._apply(conn, settings)
        except BaseException:
            conn.close()
            raise
        return conn

    def _defaults(self) -> dict[str, str]:
        defaults = dict.fromkeys(VALUES_EXPRESSIONS, "0")  # see access_policy
        if self.limits.query_timeout > 0:
            defaults["max_execution_time"] = f"{self.limits.query_timeout:g}"
        return defaults

    @staticmethod
    def _apply(conn: Any, settings: dict[str, str]) -> None:
        if settings:
            conn.query(set_statement(settings), "TabSeparated")

    def _prepare_session(self, session: Session, request: QueryRequest) -> None:
        session.scope_database(request.database)
        session.scope_settings({**request.settings, **_tag(request)})

    def check_statement(self, lease: Lease, sql: str, request: QueryRequest) -> bool:
        """Reject multi-statements, and writes over GET in a session (which cannot SET readonly).

        Returns whether the statement only reads (its result may then be streamed).
        """
        if request.query_id in self._running:
            self._running[request.query_id] = sql
        info = lease.conn.classify_query(sql)
        if int(info.get("statement_count", 1)) > 1:
            raise ClickHouseError(
                SYNTAX_ERROR, "Syntax error (Multi-statements are not allowed): failed"
            )
        query_class = str(info.get("query_class", ""))
        if lease.session is not None:
            if query_class.endswith("CONTROL"):  # SET/USE change the session itself
                lease.session.reset_settings()
            if request.readonly and not query_class.endswith(("READ_ONLY", "CONTROL")):
                raise ClickHouseError(READONLY, "Cannot execute query in readonly mode")
        return query_class.endswith("READ_ONLY")

    def running(self, query_id: str) -> str | None:
        """The SQL of the running query with this (client's) id ("" before it is known)."""
        return self._running.get(query_id)

    async def cancel(self, query_id: str) -> bool:
        """Cancel the running query with this client id; False if none runs under it."""
        if query_id not in self._running:
            return False
        await self.call(self._kill, query_id)
        return True

    def _kill(self, query_id: str) -> None:
        conn = open_connection(self.path)
        try:
            conn.query(
                f"KILL QUERY WHERE Settings['log_comment'] = {quote_string(query_id)} ASYNC",
                "TabSeparated",
            )
        finally:
            conn.close()

    async def _reap_sessions(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            for session in self._sessions.expired():
                await self.call(session.conn.close)


def _tag(request: QueryRequest) -> dict[str, str]:
    """chdb runs every query under an id of its own; the client's id rides in ``log_comment``
    (visible in ``system.processes.Settings``) so :meth:`Engine.cancel` can find the query."""
    return {"log_comment": request.query_id}
