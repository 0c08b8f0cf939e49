"""ClickHouse over HTTP for the sink: a small pool of clickhouse-connect clients in threads.

clickhouse-connect is blocking and a client (one HTTP session) must not run two queries at
once, so the writer keeps ``pool_size`` clients and lends each to one worker thread at a time;
a client whose caller was cancelled returns to the pool only when its thread is done.
Every failure leaves here translated by :func:`sinks.errors.classify_clickhouse_error`.

The writer also implements :class:`sinks.checkpoint.CheckpointStore` on the ``sink_intents``
table (plain synchronous inserts: visible to the next read, durable before ``write`` returns).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sinks.batch import TopicPartitionKey
from sinks.checkpoint import (
    INTENT_COLUMNS,
    INTENT_TYPES,
    INTENTS_TABLE,
    Intent,
    intent_rows,
    latest_intents_query,
    parse_intent_rows,
)
from sinks.columns import Column, TableLayout
from sinks.connection import client_for
from sinks.errors import (
    CheckpointError,
    SinkError,
    TableMismatch,
    classify_clickhouse_error,
    classify_passthrough_error,
)
from sinks.migrate import ClickHouseConnectTarget, MigrationChecksumMismatch, migrate
from tastystream.settings import ClickHouseSettings

__all__ = ["ClickHouseWriter"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Settings of every data insert: token-based block deduplication, also in dependent views.
DEDUP_SETTINGS: dict[str, Any] = {
    "insert_deduplicate": 1,
    "deduplicate_blocks_in_dependent_materialized_views": 1,
}


class ClickHouseWriter:
    """Blocking ClickHouse clients behind an async API. ``async with`` or start()/close()."""

    def __init__(
        self, cfg: ClickHouseSettings, *, pool_size: int = 2, consumer_group: str = ""
    ) -> None:
        self.cfg = cfg
        self.database = cfg.database
        self.consumer_group = consumer_group
        self._pool_size = pool_size
        self._clients: asyncio.Queue[Any] = asyncio.Queue(maxsize=pool_size)
        self._all: list[Any] = []

    async def start(self) -> None:
        for _ in range(self._pool_size):
            client = await self._connect()
            self._all.append(client)
            self._clients.put_nowait(client)

    async def _connect(self) -> Any:
        try:
            return await asyncio.to_thread(client_for, self.cfg)
        except Exception as exc:
            raise classify_clickhouse_error(exc, f"connect {self.cfg.url}") from exc

    async def close(self) -> None:
        for client in self._all:
            try:
                client.close()
            except Exception:  # closing is best effort
                logger.debug("error closing clickhouse client", exc_info=True)
        self._all.clear()

    async def __aenter__(self) -> ClickHouseWriter:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(
        self,
        context: str,
        call: Callable[[Any], T],
        classify: Callable[[BaseException, str], SinkError] = classify_clickhouse_error,
    ) -> T:
        client = await self._clients.get()
        work = asyncio.ensure_future(asyncio.to_thread(call, client))
        try:
            result = await asyncio.shield(work)
        except asyncio.CancelledError:
            # the thread cannot be stopped: the client goes back to the pool only once it is
            # done, or the next query would share its session (SESSION_IS_LOCKED)
            work.add_done_callback(lambda done: self._give_back(client, done))
            raise
        except SinkError:
            self._clients.put_nowait(client)
            raise
        except Exception as exc:
            self._clients.put_nowait(client)
            raise classify(exc, context) from exc
        self._clients.put_nowait(client)
        return result

    def _give_back(self, client: Any, done: asyncio.Future[Any]) -> None:
        if not done.cancelled() and done.exception() is not None:
            logger.debug("abandoned clickhouse call failed: %r", done.exception())
        self._clients.put_nowait(client)

    async def migrate(self) -> list[int]:
        """Apply the pending migrations of :mod:`sinks.ddl` (idempotent)."""

        def call(client: Any) -> list[int]:
            try:
                return migrate(ClickHouseConnectTarget(client), self.database)
            except MigrationChecksumMismatch as exc:
                raise TableMismatch(str(exc)) from exc

        return await self._run(f"migrate {self.database}", call)

    async def columns(self, table: str) -> list[Column]:
        """The columns of ``table`` in table order (empty when it does not exist)."""

        def call(client: Any) -> list[Column]:
            result = client.query(
                "SELECT name, type, default_kind FROM system.columns"
                " WHERE database = {db:String} AND table = {table:String} ORDER BY position",
                parameters={"db": self.database, "table": table},
            )
            return [Column(str(n), str(t), str(k)) for n, t, k in result.result_rows]

        return await self._run(f"describe {self.database}.{table}", call)

    async def insert(self, layout: TableLayout, data: Sequence[Sequence[Any]], token: str) -> float:
        """Columnar insert of ``data`` under ``token``; returns the latency in seconds."""
        names, types = layout.column_names, layout.column_types
        settings = {**DEDUP_SETTINGS, "insert_deduplication_token": token}

        def call(client: Any) -> float:
            started = time.perf_counter()
            client.insert(
                table=layout.table,
                data=data,
                column_names=names,
                column_type_names=types,
                database=layout.database,
                column_oriented=True,
                settings=settings,
            )
            return time.perf_counter() - started

        return await self._run(f"insert {layout.database}.{layout.table} token={token}", call)

    async def insert_container(
        self, layout: TableLayout, sql: str, data: bytes, token: str, rows: int
    ) -> float:
        """The fast path: ``sql`` (an ``INSERT … SELECT … FROM input(…) FORMAT Avro``) with the
        Avro container ``data`` as its input, under ``token``; returns the latency in seconds.

        The whole container must become ONE block: a row failing late then fails the
        statement before anything is written, and the block is the batch under its token. So
        the read blocks are at least ``rows`` long, and squashing (which would write an early
        block once it reached its minimum size) only ends at the end of the data: its row
        minimum is above ``rows`` and its byte minimum is off. Failures are classified by
        :func:`sinks.errors.classify_passthrough_error`.
        """
        block = max(rows + 1, 65_536)
        settings = {
            **DEDUP_SETTINGS,
            "insert_deduplication_token": token,
            "max_block_size": block,
            "max_insert_block_size": block,
            "min_insert_block_size_rows": max(rows + 1, 1_048_449),
            "min_insert_block_size_bytes": 0,
        }

        def call(client: Any) -> float:
            started = time.perf_counter()
            client.command(sql, data=data, settings=settings)
            return time.perf_counter() - started

        context = f"fast insert {layout.database}.{layout.table} token={token}"
        return await self._run(context, call, classify_passthrough_error)

    # CheckpointStore -------------------------------------------------------------------

    async def load(self, topics: Sequence[str]) -> dict[TopicPartitionKey, Intent]:
        query = latest_intents_query(self.database)

        def call(client: Any) -> list[Sequence[Any]]:
            rows: list[Sequence[Any]] = client.query(
                query, parameters={"topics": list(topics)}
            ).result_rows
            return rows

        try:
            rows = await self._run("load intents", call)
        except SinkError as exc:
            raise CheckpointError(str(exc)) from exc
        return parse_intent_rows(rows)

    async def write(self, intents: Sequence[Intent]) -> None:
        if not intents:
            return
        rows = intent_rows(intents, self.consumer_group)

        def call(client: Any) -> None:
            client.insert(
                table=INTENTS_TABLE,
                data=rows,
                column_names=list(INTENT_COLUMNS),
                column_type_names=list(INTENT_TYPES),
                column_oriented=False,
                database=self.database,
                settings={"insert_deduplicate": 0},
            )

        try:
            await self._run("write intents", call)
        except SinkError as exc:
            raise CheckpointError(str(exc)) from exc
