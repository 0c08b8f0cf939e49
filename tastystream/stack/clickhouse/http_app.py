"""The ClickHouse HTTP interface as an ASGI application.

Routes as on a real server: ``/ping`` and a bare ``GET /`` answer ``Ok.``; queries go to ``/``
(GET is read-only; POST appends the body to the ``query`` parameter, which is how INSERT data
arrives); anything else is 404 with ClickHouse's hint text. Every response carries the headers
clients read (display name, query id, format, timezone, summary; exception code on errors).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl

from tastystream.stack.browser_guard import BrowserGuard, request_headers
from tastystream.stack.clickhouse.access_policy import VALUES_EXPRESSIONS, AccessPolicy
from tastystream.stack.clickhouse.engine import Engine
from tastystream.stack.clickhouse.errors import (
    ACCESS_DENIED,
    CANNOT_SCHEDULE_TASK,
    INTO_OUTFILE_NOT_ALLOWED,
    READONLY,
    SYNTAX_ERROR,
    UNKNOWN_EXCEPTION,
    UNKNOWN_TYPE_OF_QUERY,
    ClickHouseError,
)
from tastystream.stack.clickhouse.form_data import is_form, parse_form
from tastystream.stack.clickhouse.query_flow import (
    Responder,
    run_insert,
    run_insert_select,
    run_query,
)
from tastystream.stack.clickhouse.query_kill import kill_answer, parse_kill
from tastystream.stack.clickhouse.query_request import Credentials, QueryRequest, parse_request
from tastystream.stack.clickhouse.request_body import BodyReader, ClientDisconnected
from tastystream.stack.clickhouse.statement import Statement, analyze

__all__ = ["ClickHouseApp", "HttpLimits"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HEAD_BYTES: Final = 1 << 20
_STREAMED: Final = frozenset(
    {"SELECT", "WITH"}
)  # the SQL of an INSERT must start within this many bytes
_PREFLIGHT: Final = [
    (
        b"access-control-allow-headers",
        b"origin, x-requested-with, x-clickhouse-format, "
        b"x-clickhouse-user, x-clickhouse-key, authorization, content-type",
    ),
    (b"access-control-allow-methods", b"POST, GET, OPTIONS"),
    (b"access-control-max-age", b"86400"),
]
_NOT_FOUND: Final = (
    "There is no handle {path}\n\nUse / or /ping for health checks.\n"
    "Or /replicas_status for more sophisticated health checks.\n\n"
    "Send queries from your program with POST method or GET /?query=...\n\n"
    "Use clickhouse-client:\n\nFor interactive data analysis:\n    clickhouse-client\n\n"
    "For batch query processing:\n    clickhouse-client --query='SELECT 1' > result\n"
    "    clickhouse-client < query > result\n"
)


@dataclass(frozen=True, slots=True)
class HttpLimits:
    max_body_size: int = 256 << 20  # a query (not streamed INSERT data), decoded
    max_insert_size: int = 0  # streamed INSERT data, decoded; 0 = unlimited
    receive_timeout: float = 30.0  # seconds without body data (http_receive_timeout)
    cancel_retry: float = 0.25  # seconds between cancel attempts after a client disconnects


class ClickHouseApp:
    """ASGI app serving the ClickHouse HTTP interface from an :class:`Engine`."""

    def __init__(
        self,
        engine: Engine,
        credentials: Credentials | None = None,
        limits: HttpLimits | None = None,
        guard: BrowserGuard | None = None,
    ) -> None:
        self.engine = engine
        self.credentials = credentials or Credentials()
        self.limits = limits or HttpLimits()
        # the server sets its bound address once listening; embedded: 127.0.0.1:8123
        self.guard = guard or BrowserGuard.create("127.0.0.1", 8123)

    @property
    def policy(self) -> AccessPolicy:
        if self.engine.policy is None:
            raise ClickHouseError(CANNOT_SCHEDULE_TASK, "The engine is not running")
        return self.engine.policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope.get("path", "/")
        method: str = scope.get("method", "GET").upper()
        query_string: bytes = scope.get("query_string", b"")
        headers = request_headers(scope)
        refusal = self.guard.refusal(headers)
        cors = self.guard.cors_origin(headers)
        if refusal is not None:
            await self._refuse(send, refusal)
        elif method == "OPTIONS":  # CORS preflight: answered for configured origins only
            extra: list[tuple[bytes, bytes]] = []
            if cors is not None:
                extra = [(b"access-control-allow-origin", cors.encode()), (b"vary", b"Origin")]
                extra += _PREFLIGHT
            await send({"type": "http.response.start", "status": 204, "headers": extra})
            await send({"type": "http.response.body", "body": b""})
        elif path in ("/ping", "/replicas_status") or (
            path == "/" and method in ("GET", "HEAD") and not query_string
        ):
            await self._plain(send, 200, "Ok.\n")
        elif path != "/":
            await self._plain(send, 404, _NOT_FOUND.format(path=path))
        else:
            await self._query(headers, cors, receive, send, method, query_string)

    async def _refuse(self, send: Send, reason: str) -> None:
        error = ClickHouseError(ACCESS_DENIED, reason)
        log.warning("refused a request: %s", reason)
        headers = [
            *self._base_headers(None, None),
            (b"content-type", b"text/plain; charset=UTF-8"),
            (b"x-clickhouse-exception-code", str(error.code).encode()),
        ]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send(
            {"type": "http.response.body", "body": error.render(self.engine.version).encode()}
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _base_headers(
        self, request: QueryRequest | None, cors: str | None
    ) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"x-clickhouse-server-display-name", self.engine.display_name.encode()),
            (b"x-clickhouse-timezone", self.engine.timezone.encode()),
        ]
        if request is not None:
            headers.append((b"x-clickhouse-query-id", request.query_id.encode()))
            wants_cors = request.settings.get("add_http_cors_header", "0").strip().lower()
            if cors is not None and wants_cors in ("1", "true"):  # configured origins only
                headers += [(b"access-control-allow-origin", cors.encode()), (b"vary", b"Origin")]
        return headers

    async def _plain(self, send: Send, status: int, text: str) -> None:
        headers = [*self._base_headers(None, None), (b"content-type", b"text/html; charset=UTF-8")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": text.encode()})

    async def _query(
        self,
        headers: Mapping[str, str],
        cors: str | None,
        receive: Receive,
        send: Send,
        method: str,
        query_string: bytes,
    ) -> None:
        request: QueryRequest | None = None
        responder = Responder(send, lambda: self._base_headers(request, cors))
        try:
            params = parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True)
            body = BodyReader(receive, headers.get("content-encoding"), self.limits.receive_timeout)
            if is_form(headers.get("content-type")):
                body.set_limit(self.limits.max_body_size)
                params += parse_form(await body.read_all(), headers["content-type"])
            request = parse_request(method, params, headers, self.credentials)
            self.policy.check_settings(request.settings)
            started = time.perf_counter()
            await self._execute(request, body, responder)
            log.debug(
                "query %s done in %.1f ms (session=%s)",
                request.query_id,
                (time.perf_counter() - started) * 1000,
                request.session_id,
            )
        except ClientDisconnected:
            log.info("client of query %s disconnected", request.query_id if request else None)
        except Exception as exc:
            error = ClickHouseError.from_engine(exc)
            if error.code == UNKNOWN_EXCEPTION:
                log.exception("unexpected failure of query %s", request and request.query_id)
            else:
                log.debug("query %s failed: %s", request and request.query_id, error)
            if responder.started:
                return  # the streaming path has already reported the error in the body
            if responder.gone:
                log.info(
                    "query %s ended after its client left: %s", request and request.query_id, error
                )
                return
            await responder.start(
                error.http_status,
                {
                    "Content-Type": "text/plain; charset=UTF-8",
                    "X-ClickHouse-Exception-Code": str(error.code),
                },
            )
            await responder.body(error.render(self.engine.version).encode(), False)

    async def _execute(self, request: QueryRequest, body: BodyReader, out: Responder) -> None:
        first = await body.read_at_least(HEAD_BYTES)
        # as ClickHouse does: the body is appended to the query parameter after a newline
        prefix = request.query.encode() + (b"\n" if request.query and first else b"")
        head = prefix + first
        statement = analyze(head)
        while statement is None and not body.done and len(head) < 4 * HEAD_BYTES:
            head += await body.read_at_least(HEAD_BYTES)
            statement = analyze(head)
        if statement is not None and statement.client_side == "INTO OUTFILE":
            raise ClickHouseError(INTO_OUTFILE_NOT_ALLOWED, "INTO OUTFILE is not allowed")
        if statement is not None and statement.client_side == "FROM INFILE":
            raise ClickHouseError(
                UNKNOWN_TYPE_OF_QUERY, "Query has infile and was send directly to server"
            )
        if statement is not None and statement.has_inline_data:
            self.policy.check(head[: statement.sql_end].decode("utf-8", "replace"))
            await self._insert(request, statement, head, body, out)
            return
        body.set_limit(self.limits.max_body_size)
        text = (head + await body.read_all()).decode("utf-8", "replace")
        if not text.strip():
            raise ClickHouseError(SYNTAX_ERROR, "Empty query")
        fmt = (statement.output_format if statement else None) or request.default_format
        kill = parse_kill(text) if statement is not None and statement.kind == "KILL" else None
        if kill is not None:  # by the client's id: answered here (see query_kill)
            running = self.engine.running(kill[0])
            if running is not None:
                await self.engine.cancel(kill[0])
            text = kill_answer(kill[0], request.user, running, kill[1])
        self.policy.check(text)
        out.watch = asyncio.ensure_future(body.wait_disconnect())
        canceller = asyncio.ensure_future(self._cancel_when_gone(out.watch, request.query_id))
        try:
            async with self.engine.lease(request) as lease:
                reads = await self.engine.call(self.engine.check_statement, lease, text, request)
                streamable = reads and statement is not None and statement.kind in _STREAMED
                await run_query(self.engine, lease, text, fmt, request, out, streamable=streamable)
        finally:
            canceller.cancel()
            out.watch.cancel()
            await asyncio.gather(canceller, out.watch, return_exceptions=True)

    async def _cancel_when_gone(self, watch: asyncio.Future[None], query_id: str) -> None:
        """Once the client disconnects, cancel its query (again until it is gone: it may not
        have reached the engine yet)."""
        await asyncio.shield(watch)
        log.info("client of query %s disconnected: cancelling the query", query_id)
        while True:
            await self.engine.cancel(query_id)
            await asyncio.sleep(self.limits.cancel_retry)

    async def _insert(
        self,
        request: QueryRequest,
        statement: Statement,
        head: bytes,
        body: BodyReader,
        out: Responder,
    ) -> None:
        assert statement.insert_format is not None
        if request.readonly:
            raise ClickHouseError(READONLY, "Cannot execute query in readonly mode")
        if statement.insert_format.lower() == "values" and body.done:
            # the whole data is here: expressions in it are checked like SQL, then allowed
            self.policy.check(head[statement.data_start :].decode("utf-8", "replace"), data=True)
            unlocked = dict.fromkeys(VALUES_EXPRESSIONS, "1")
            request = dataclasses.replace(request, settings={**request.settings, **unlocked})
        body.set_limit(self.limits.max_insert_size)
        if statement.input_call is not None:
            async with self.engine.lease(request) as lease:
                await run_insert_select(
                    self.engine,
                    lease,
                    head[: statement.sql_end],
                    statement.insert_format,
                    statement.input_call,
                    head[statement.data_start :],
                    body,
                    out,
                )
            return
        sql = head[: statement.sql_end].decode("utf-8", "replace")
        async with self.engine.lease(request) as lease:
            await run_insert(
                self.engine,
                lease,
                sql,
                statement.insert_format,
                head[statement.data_start :],
                body,
                out,
            )
