"""The request body as a stream of decoded chunks, with a size limit.

Bodies are read from the ASGI ``receive`` channel as they arrive, decoded by their
``Content-Encoding`` and counted after decoding, so an oversized body (or a decompression bomb)
fails with QUERY_IS_TOO_LARGE (HTTP 413) without being held in memory. A client that stops
sending mid-body fails with SOCKET_TIMEOUT after ``idle_timeout`` (ClickHouse's
``http_receive_timeout``), so it cannot hold an engine connection forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from tastystream.stack.clickhouse.content_encoding import decoder_for
from tastystream.stack.clickhouse.errors import QUERY_IS_TOO_LARGE, SOCKET_TIMEOUT, ClickHouseError

__all__ = ["BodyReader", "ClientDisconnected"]

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


class ClientDisconnected(Exception):
    """The client went away before the request body was complete."""


class BodyReader:
    def __init__(
        self, receive: Receive, content_encoding: str | None, idle_timeout: float = 30.0
    ) -> None:
        self._receive = receive
        self._idle_timeout = idle_timeout
        self._decoder = decoder_for(content_encoding)
        self._done = False
        self._pushed: list[bytes] = []
        self.size = 0
        self.limit = 0  # 0: unlimited

    @property
    def done(self) -> bool:
        return self._done and not self._pushed

    def push_back(self, data: bytes) -> None:
        """Return data to the front of the stream (it was read ahead)."""
        if data:
            self._pushed.append(data)

    async def next_chunk(self) -> bytes:
        """The next decoded chunk; ``b""`` once the body is complete."""
        if self._pushed:
            return self._pushed.pop()
        while not self._done:
            try:
                message = await asyncio.wait_for(self._receive(), self._idle_timeout)
            except TimeoutError as exc:
                raise ClickHouseError(
                    SOCKET_TIMEOUT,
                    f"Timeout exceeded while reading from socket "
                    f"({self._idle_timeout:g} s without request body data)",
                ) from exc
            if message["type"] == "http.disconnect":
                raise ClientDisconnected
            more = bool(message.get("more_body", False))
            raw: bytes = message.get("body", b"")
            data = self._decoder.feed(raw) if raw else b""
            if not more:
                self._decoder.finish()
                self._done = True
            if data:
                self._count(len(data))
                return data
        return b""

    def set_limit(self, limit: int) -> None:
        """Limit the decoded body (0: unlimited), counting what was already read."""
        self.limit = limit
        self._count(0)

    def _count(self, n: int) -> None:
        self.size += n
        if self.limit and self.size > self.limit:
            raise ClickHouseError(
                QUERY_IS_TOO_LARGE,
                f"Request body is too large: more than {self.limit} bytes "
                "(raise --max-body-size, or stream the data as INSERT ... FORMAT)",
            )

    async def read_at_least(self, n: int) -> bytes:
        """Read until at least ``n`` bytes are buffered or the body ends."""
        parts: list[bytes] = []
        total = 0
        while total < n:
            chunk = await self.next_chunk()
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
        return b"".join(parts)

    async def read_all(self) -> bytes:
        parts: list[bytes] = []
        while chunk := await self.next_chunk():
            parts.append(chunk)
        return b"".join(parts)

    async def chunks(self, min_size: int) -> AsyncIterator[bytes]:
        """Remaining chunks, coalesced to at least ``min_size`` bytes (except the last)."""
        buf: list[bytes] = []
        size = 0
        while chunk := await self.next_chunk():
            buf.append(chunk)
            size += len(chunk)
            if size >= min_size:
                yield b"".join(buf)
                buf, size = [], 0
        if buf:
            yield b"".join(buf)

    async def wait_disconnect(self) -> None:
        """After the body: returns when the client disconnects."""
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                return
