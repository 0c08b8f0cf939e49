"""A query result on its way out: engine chunks, spooling, and the summary header.

``ResultStream`` pulls the engine's streaming result on the pool, drops the repeated header of
``WithNames`` formats from continuation chunks and compresses; ``Spool`` holds a whole result for
``wait_end_of_query=1`` (memory first, a temp file past a limit); ``Summary`` is the
``X-ClickHouse-Summary`` header.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Final

from tastystream.stack.clickhouse.content_encoding import Encoder
from tastystream.stack.clickhouse.engine import Engine
from tastystream.stack.clickhouse.errors import ClickHouseError
from tastystream.stack.clickhouse.output_format import HeaderStrip

__all__ = ["ResultStream", "Spool", "Summary"]

PIECE: Final = 1 << 20


@dataclass(slots=True)
class Summary:
    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    result_rows: int = 0
    result_bytes: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add_result(self, result: Any) -> None:
        self.read_rows += int(result.storage_rows_read())
        self.read_bytes += int(result.storage_bytes_read())
        self.written_rows += int(result.rows_written())
        self.written_bytes += int(result.bytes_written())
        self.result_rows += int(result.rows_read())
        self.result_bytes += int(result.bytes_read())

    def header(self) -> str:
        values = {
            "read_rows": self.read_rows,
            "read_bytes": self.read_bytes,
            "written_rows": self.written_rows,
            "written_bytes": self.written_bytes,
            "total_rows_to_read": self.read_rows,
            "result_rows": self.result_rows,
            "result_bytes": self.result_bytes,
            "elapsed_ns": int((time.perf_counter() - self.started) * 1e9),
        }
        return json.dumps({k: str(v) for k, v in values.items()}, separators=(",", ":"))


class Spool:
    """The whole result before the status line: chunks in memory, on disk past ``limit``."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._chunks: list[bytes] = []
        self._size = 0
        self._file: IO[bytes] | None = None

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    def write(self, data: bytes) -> None:
        if self._file is not None:
            self._file.write(data)
            return
        self._chunks.append(data)
        self._size += len(data)
        if self._size > self._limit:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__
            for chunk in self._chunks:
                self._file.write(chunk)
            self._chunks = []

    def pieces(self) -> Iterator[bytes]:
        if self._file is None:
            yield from self._chunks
            return
        self._file.seek(0)
        while piece := self._file.read(PIECE):
            yield piece


class ResultStream:
    """An engine streaming result: fetch, strip repeated headers, compress; in the pool."""

    def __init__(
        self,
        engine: Engine,
        conn: Any,
        strip: HeaderStrip,
        encoder: Encoder | None,
        summary: Summary,
    ) -> None:
        self._engine = engine
        self._conn = conn
        self._strip = strip
        self._encoder = encoder
        self.summary = summary
        self._handle: Any = None
        self._chunks = 0
        self._exhausted = False
        self._pending: asyncio.Future[bytes | None] | None = None

    async def open(self, sql: str, fmt: str, params: dict[str, str]) -> None:
        self._handle = await self._engine.call(self._conn.send_query, sql, fmt, params=params)

    def _fetch(self) -> bytes | None:
        try:
            result = self._conn.streaming_fetch_result(self._handle)
        except Exception as exc:
            self._exhausted = True
            raise ClickHouseError.from_engine(exc) from exc
        if result is None:
            self._exhausted = True
            return None
        data = bytes(result.bytes())
        if result.rows_read() == 0:
            self._exhausted = True
            if self._chunks or not data:  # only an empty result's header block is kept
                return None
        self.summary.add_result(result)
        if self._chunks:
            data = self._strip(data)
        self._chunks += 1
        return self._encoder.compress(data) if self._encoder else data

    def prefetch(self) -> None:
        """Start fetching the next chunk while the caller sends the current one."""
        if self._pending is None and not self._exhausted:
            self._pending = asyncio.ensure_future(self._engine.call(self._fetch))

    async def next(self) -> bytes | None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            return await pending
        if self._exhausted:
            return None
        return await self._engine.call(self._fetch)

    async def finish(self) -> bytes:
        return self._encoder.flush() if self._encoder else b""

    async def finish_with(self, data: bytes) -> bytes:
        if self._encoder is None:
            return data
        return self._encoder.compress(data) + self._encoder.flush()

    async def close(self) -> None:
        if self._pending is not None:  # never cancel under a fetch still running in the pool
            pending, self._pending = self._pending, None
            await asyncio.gather(pending, return_exceptions=True)
        if self._handle is not None and not self._exhausted:
            self._exhausted = True
            try:
                await self._engine.call(self._conn.streaming_cancel_query, self._handle)
            except Exception:  # already finished by the engine
                pass
        self._handle = None
