"""Executing one query on a leased engine connection and sending its result.

Three shapes, as on a real server:

* INSERT with inline data: the data is streamed from the (decoded) request body into the engine
  in ~1 MiB pieces, so a million-row Native insert never sits in memory whole.
* results of streamable formats: the first chunk is fetched before the status line (early errors
  still get a proper status), then chunks are streamed; a later error is written into the body
  inside the ``X-ClickHouse-Exception-Tag`` markers clients look for. With
  ``wait_end_of_query=1`` the result is spooled (memory, then disk) and sent after success.
* other formats (JSON, Pretty, Arrow, Parquet …) are produced in one piece.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from tastystream.stack.clickhouse.content_encoding import encoder_for
from tastystream.stack.clickhouse.engine import Engine, Lease
from tastystream.stack.clickhouse.errors import ClickHouseError
from tastystream.stack.clickhouse.output_format import content_type, stream_strip
from tastystream.stack.clickhouse.query_request import QueryRequest
from tastystream.stack.clickhouse.request_body import BodyReader, ClientDisconnected
from tastystream.stack.clickhouse.result_stream import ResultStream, Spool, Summary
from tastystream.stack.clickhouse.sql_literal import quote_string

__all__ = ["Responder", "run_insert", "run_insert_select", "run_query"]

INSERT_PIECE: Final = 1 << 20
SPOOL_IN_MEMORY: Final = 32 << 20


class Responder:
    """Sends one HTTP response over ASGI ``send``; headers are added by the app."""

    def __init__(
        self,
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
        base_headers: Callable[[], list[tuple[bytes, bytes]]],
    ) -> None:
        self._send = send
        self._base_headers = base_headers
        self.started = False
        self.watch: asyncio.Future[None] | None = None  # completes when the client disconnects

    @property
    def gone(self) -> bool:
        """The client disconnected (known once the request body was read)."""
        return self.watch is not None and self.watch.done() and not self.watch.cancelled()

    def check_client(self) -> None:
        """Stop producing a result nobody reads (the engine query is then cancelled)."""
        if self.watch is not None and self.watch.done():
            raise ClientDisconnected

    async def start(self, status: int, headers: dict[str, str]) -> None:
        raw = self._base_headers() + [(k.encode(), v.encode()) for k, v in headers.items()]
        self.started = True
        await self._send({"type": "http.response.start", "status": status, "headers": raw})

    async def body(self, data: bytes, more: bool) -> None:
        await self._send({"type": "http.response.body", "body": data, "more_body": more})


def _format_headers(fmt: str, summary: Summary, encoding: str | None) -> dict[str, str]:
    headers = {
        "Content-Type": content_type(fmt),
        "X-ClickHouse-Format": fmt,
        "X-ClickHouse-Summary": summary.header(),
    }
    if encoding:
        headers["Content-Encoding"] = encoding
    return headers


async def run_insert(
    engine: Engine,
    lease: Lease,
    sql: str,
    fmt: str,
    first: bytes,
    body: BodyReader,
    responder: Responder,
) -> None:
    summary = Summary()
    conn = lease.conn
    inserter = await engine.call(conn.send_insert, sql, fmt)
    try:
        if first:
            await engine.call(conn.insert_append, inserter, first)
        async for piece in body.chunks(INSERT_PIECE):
            await engine.call(conn.insert_append, inserter, piece)
        result = await engine.call(conn.insert_done, inserter)
    except BaseException:
        try:
            await engine.call(conn.insert_cancel, inserter)
        except Exception:  # the insert may already be finished by the failure itself
            pass
        raise
    summary.written_rows = int(result.rows_written())
    summary.written_bytes = int(result.bytes_written())
    await responder.start(200, _format_headers("TabSeparated", summary, None))
    await responder.body(b"", False)


async def run_insert_select(
    engine: Engine,
    lease: Lease,
    sql: bytes,
    fmt: str,
    call: tuple[int, int, bool],
    first: bytes,
    body: BodyReader,
    responder: Responder,
) -> None:
    """``INSERT … SELECT … FROM input(…) FORMAT x`` + data: chdb's streaming insert takes no
    SELECT, so the data is spooled to a temporary file and ``input(`` becomes ``file(path, x,``
    (same structure argument, same settings, one statement: the insert stays atomic)."""
    fd, path = tempfile.mkstemp(prefix="clickhouse-input-", suffix=".data")
    try:
        with os.fdopen(fd, "wb") as spool:
            if first:
                await engine.call(spool.write, first)
            async for piece in body.chunks(INSERT_PIECE):
                await engine.call(spool.write, piece)
        start, args, empty = call
        table = f"file({quote_string(path)}, {quote_string(fmt)}{'' if empty else ', '}"
        text = (sql[:start] + table.encode() + sql[args:]).decode("utf-8", "replace")
        result = await engine.call(lease.conn.query, text, "TabSeparated")
    finally:
        os.unlink(path)
    summary = Summary()
    summary.add_result(result)
    await responder.start(200, _format_headers("TabSeparated", summary, None))
    await responder.body(b"", False)


def _encode_all(encoding: str | None, data: bytes) -> bytes:
    if not encoding:
        return data
    enc = encoder_for(encoding)
    return enc.compress(data) + enc.flush()


async def run_query(
    engine: Engine,
    lease: Lease,
    sql: str,
    fmt: str,
    request: QueryRequest,
    responder: Responder,
    *,
    streamable: bool,
) -> None:
    conn = lease.conn
    summary = Summary()
    strip = stream_strip(fmt) if streamable else None
    encoding = request.response_encoding
    if strip is None:
        result = await engine.call(conn.query, sql, fmt, params=request.params)
        summary.add_result(result)
        payload = await engine.call(_encode_all, encoding, bytes(result.bytes()))
        await responder.start(200, _format_headers(fmt, summary, encoding))
        await responder.body(payload, False)
        return
    stream = ResultStream(engine, conn, strip, encoder_for(encoding) if encoding else None, summary)
    await stream.open(sql, fmt, request.params)
    try:
        if request.wait_end_of_query:
            await _send_spooled(stream, fmt, encoding, responder)
        else:
            await _send_streaming(engine, stream, fmt, encoding, responder)
    finally:
        await stream.close()


async def _send_spooled(
    stream: ResultStream, fmt: str, encoding: str | None, out: Responder
) -> None:
    with Spool(SPOOL_IN_MEMORY) as spool:
        while (piece := await stream.next()) is not None:
            out.check_client()
            spool.write(piece)
        spool.write(await stream.finish())
        await out.start(200, _format_headers(fmt, stream.summary, encoding))
        for piece in spool.pieces():
            await out.body(piece, True)
        await out.body(b"", False)


async def _send_streaming(
    engine: Engine, stream: ResultStream, fmt: str, encoding: str | None, out: Responder
) -> None:
    first = await stream.next()  # errors before the first block still get a status line
    tag = secrets.token_hex(8)
    headers = _format_headers(fmt, stream.summary, encoding)
    headers["X-ClickHouse-Exception-Tag"] = tag
    await out.start(200, headers)
    try:
        piece = first
        while piece is not None:
            stream.prefetch()  # the engine produces the next chunk while this one is sent
            if piece:
                await out.body(piece, True)
            out.check_client()
            piece = await stream.next()
        await out.body(await stream.finish(), False)
    except ClickHouseError as exc:
        message = exc.render(engine.version).rstrip("\n").encode()
        block = (
            b"__exception__\r\n" + tag.encode() + b"\r\n" + message + b"\n"
            b"%d " % len(message) + tag.encode() + b"\r\n__exception__\r\n"
        )
        tail = await stream.finish_with(block)
        await out.body(tail, False)
