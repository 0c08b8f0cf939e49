"""One batch of one partition → its table: the fast path, the Python path and the dead letters.

:class:`BatchInserter` writes a :class:`sinks.batch.PartitionBatch` under its dedup token.
When the batch is clean and its writer schema passthrough-safe, it sends the raw Avro bodies
for ClickHouse to decode (:mod:`sinks.passthrough`, the fast path); otherwise, or when
ClickHouse refuses that insert, it decodes the values through the registry (schema ids
cached), dead-letters what cannot be decoded or does not fit the table, and inserts the rest
column-wise. Whatever a record holds (random bytes, a body of any registered schema, a
primitive or union schema, a schema the codec cannot read), it is either a row or a letter.

Retriable failures are retried within ``budget_s``; past it, or for an error retrying cannot
fix, the batch fails with a :class:`sinks.errors.SinkError` and the flush cycle sets only this
partition aside.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol, cast

from schemas import AvroCodec
from schemas.codec import HEADER_SIZE
from schemas.errors import RegistryError
from sinks.batch import PartitionBatch
from sinks.columns import TableLayout
from sinks.dlq import DeadLetter
from sinks.errors import (
    PassthroughRejected,
    RegistryUnreachable,
    RowsRejected,
    SinkError,
    TableMismatch,
)
from sinks.metrics import MetricsRecorder
from sinks.passthrough import (
    FallbackReason,
    FastInsert,
    NotPassthrough,
    new_marker,
    plan_passthrough,
    scan_headers,
)
from sinks.prepare import Prepared, prepare_batch, reject_violations
from sinks.retry import Retrier
from sinks.routes import Route

__all__ = ["BatchInserter", "LetterBox", "SchemaSource", "Table"]

logger = logging.getLogger(__name__)


class Table(Protocol):
    """What the inserter needs of ClickHouse (:class:`sinks.writer.ClickHouseWriter`)."""

    async def insert(
        self, layout: TableLayout, data: Any, token: str
    ) -> float: ...  # pragma: no cover

    async def insert_container(
        self, layout: TableLayout, sql: str, data: bytes, token: str, rows: int
    ) -> float: ...  # pragma: no cover


class LetterBox(Protocol):
    """Where dead letters go (:class:`sinks.dlq.DeadLetterPublisher`)."""

    async def publish(self, letters: list[DeadLetter]) -> None: ...  # pragma: no cover


class SchemaSource(Protocol):
    """Writer schemas by id (:class:`schemas.SchemaRegistry`)."""

    async def prime(self, codec: AvroCodec, values: Any) -> set[int]: ...  # pragma: no cover


class BatchInserter:
    """Writes batches of the routed topics into their tables (one instance per sink)."""

    def __init__(
        self,
        *,
        routes: Mapping[str, Route],
        layouts: Mapping[str, TableLayout],
        codec: AvroCodec,
        registry: SchemaSource,
        table: Table,
        letters: LetterBox,
        retrier: Retrier,
        recorder: MetricsRecorder,
        consumer_group: str,
        passthrough: bool = True,
        budget_s: float | None = None,
        fast_attempts: int = 4,
    ) -> None:
        self.routes = routes
        self.layouts = layouts
        self.codec = codec
        self._registry = registry
        self._table = table
        self._letters = letters
        self._retry = retrier
        self._rec = recorder
        self._group = consumer_group
        self._passthrough = passthrough
        self._budget = budget_s
        self._fast_attempts = fast_attempts
        self._plans: dict[tuple[str, int], FastInsert | NotPassthrough] = {}
        self._marker = new_marker()
        self._seen_reasons: set[tuple[str, str]] = set()
        self._seen_fallbacks: set[tuple[str, str]] = set()
        self.decoding = not passthrough
        """Whether the last batch decoded in Python (then fetching yields to the cycle)."""

    async def _call(self, what: str, call: Any, *args: Any) -> Any:
        return await self._retry.call(what, call, *args, budget_s=self._budget)

    async def write(self, batch: PartitionBatch) -> Prepared:
        """Insert ``batch`` (rows and letters); raises a SinkError when it cannot."""
        route = self.routes[batch.topic]
        layout = self.layouts[batch.topic]
        values = [r.value for r in batch.records]
        scan = scan_headers(values)  # one schema id for the whole batch, or why not
        if isinstance(scan, int):
            headers = {values[0][:HEADER_SIZE]} if values[0] is not None else set()
        else:
            headers = {v[:HEADER_SIZE] for v in values if v}  # a few distinct schema ids
        unusable = await self._call("registry", self._prime, headers)
        if unusable:
            logger.debug("schema ids the codec cannot use: %s", sorted(unusable))
        started = time.perf_counter()
        fast = await self._write_fast(batch, route, layout, values, scan)
        if fast is not None:
            return fast
        prepared = await asyncio.to_thread(
            prepare_batch, batch, route, layout, self.codec, self._group
        )
        latency = 0.0
        while True:
            await self._call("dead letters", self._publish, prepared)
            if not prepared.rows:
                break
            try:
                latency = await self._call(
                    "insert", self._table.insert, layout, prepared.columns, batch.token
                )
                break
            except RowsRejected as exc:
                retry = await asyncio.to_thread(
                    reject_violations, prepared, route, layout, self.codec, self._group
                )
                if retry is None:
                    raise TableMismatch(
                        f"{layout.table} rejected batch {batch.token} and no record explains it: {exc}"
                    ) from exc
                prepared = retry
        logger.debug(
            "batch %s rows=%d prepare=%.3fs insert=%.3fs",
            batch.token,
            prepared.rows,
            time.perf_counter() - started - latency,
            latency,
        )
        self._account(batch, route, prepared, latency)
        self._rec.paths["python"] += prepared.rows
        self.decoding = True
        return prepared

    async def _prime(self, headers: set[bytes]) -> set[int]:
        try:
            return await self._registry.prime(self.codec, headers)
        except RegistryError as exc:  # only transport failures leave prime
            raise RegistryUnreachable(f"schema registry: {exc}") from exc

    def _plan(
        self, batch: PartitionBatch, layout: TableLayout, scan: int | FallbackReason
    ) -> FastInsert | str:
        """The batch's fast insert, or the fallback reason (plans are cached)."""
        if not self._passthrough:
            return FallbackReason.DISABLED
        if isinstance(scan, FallbackReason):
            return scan
        key = (batch.topic, scan)
        plan = self._plans.get(key)
        if plan is None:
            if not self.codec.knows(scan):
                return FallbackReason.UNKNOWN_SCHEMA
            reader = self.routes[batch.topic].spec.schema()
            plan = plan_passthrough(layout, reader, scan, self.codec.schema(scan), self._marker)
            self._plans[key] = plan
            if isinstance(plan, NotPassthrough):
                logger.info(
                    "schema id %d of %s takes the python path: %s", scan, batch.topic, plan.reason
                )
        return plan if isinstance(plan, FastInsert) else FallbackReason.NOT_PASSTHROUGH

    async def _write_fast(
        self,
        batch: PartitionBatch,
        route: Route,
        layout: TableLayout,
        values: list[bytes | None],
        scan: int | FallbackReason,
    ) -> Prepared | None:
        """Insert ``batch`` through the fast path; None when it must take the Python path."""
        if not values:  # a replay whose records retention deleted
            return None
        plan = self._plan(batch, layout, scan)
        if isinstance(plan, str):
            self._fallback(batch, plan, None)
            return None
        data = await asyncio.to_thread(plan.container, cast(list[bytes], values))
        rows = len(batch.records)
        try:
            latency = await self._retry.call(
                "fast insert",
                self._table.insert_container,
                layout,
                plan.sql,
                data,
                batch.token,
                rows,
                budget_s=self._budget,
                attempts=self._fast_attempts,
            )
        except PassthroughRejected as exc:
            self._fallback(batch, FallbackReason.REJECTED, exc)
            return None
        except SinkError as exc:
            if not exc.retriable:
                raise
            # random bodies can make ClickHouse fail "transiently" (memory) every time
            self._fallback(batch, FallbackReason.FAILING, exc)
            return None
        finally:
            del data
        prepared = Prepared(batch, [], rows)
        logger.debug("batch %s rows=%d fast insert=%.3fs", batch.token, rows, latency)
        self._account(batch, route, prepared, latency)
        self._rec.paths["fast"] += rows
        self.decoding = False
        return prepared

    def _fallback(self, batch: PartitionBatch, reason: str, exc: BaseException | None) -> None:
        self._rec.fallbacks[reason] += 1
        if reason == FallbackReason.DISABLED:
            return
        log = logger.info if (reason, batch.topic) not in self._seen_fallbacks else logger.debug
        self._seen_fallbacks.add((reason, batch.topic))
        log(
            "batch %s takes the python path: %s%s (logged once per reason and topic)",
            batch.token,
            reason,
            f": {exc}" if exc is not None else "",
        )

    async def _publish(self, prepared: Prepared) -> None:
        new = prepared.unpublished()
        if not new:
            return
        await self._letters.publish(new)
        prepared.mark_published()
        for letter in new:
            reason = (letter.dlq, letter.error_class)
            self._rec.dead[letter.record["topic"]] += 1
            self._rec.reasons[letter.error_class] += 1
            if reason not in self._seen_reasons:
                self._seen_reasons.add(reason)
                logger.warning(
                    "dead-lettered record topic=%s partition=%s offset=%s to %s: %s: %s"
                    " (logged once per reason)",
                    letter.record["topic"],
                    letter.record["partition"],
                    letter.record["offset"],
                    letter.dlq,
                    letter.error_class,
                    letter.record["reason"],
                )

    def _account(
        self, batch: PartitionBatch, route: Route, prepared: Prepared, latency: float
    ) -> None:
        self._rec.rows[route.table] += prepared.rows
        self._rec.batches += 1
        self._rec.last_latency = latency
        if batch.replay is not None:
            self._rec.replayed += 1
            logger.info("replayed pending batch %s (%d rows)", batch.token, prepared.rows)
