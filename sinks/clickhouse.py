"""The exactly-once (in effect) ClickHouse sink: market topics → one table per topic.

One consumer (group ``SinkConfig.group_id``, manual commits, read_committed) feeds per-partition
batches (:mod:`sinks.batch`). A flush *cycle* takes at most one closed batch per partition and:

1. writes a ``pending`` intent per batch (one insert into ``sink_intents``),
2. per batch, in ``insert_concurrency`` workers: when the batch is clean and its writer schema
   passthrough-safe, sends the raw Avro bodies for ClickHouse to decode (:mod:`sinks.passthrough`,
   the fast path); otherwise, or when ClickHouse refuses that insert, decodes the values through
   the registry (schema ids cached), dead-letters what cannot be decoded or does not fit the
   table, and inserts the rest column-wise; either way with
   ``insert_deduplication_token = topic/partition/start-end``,
3. writes ``done`` intents, then commits ``end + 1`` to Kafka (for lag monitoring).

Restart or reassignment resumes from the intents (:mod:`sinks.checkpoint`): a pending batch is
re-collected with the same bounds and re-inserted with the same token, which ClickHouse drops if
it had landed. Retriable ClickHouse failures are retried with backoff (state ``degraded``);
nothing is committed meanwhile. Fetching waits while the open batches exceed
``BatchPolicy.max_buffered_rows``/``bytes`` and one cycle is in flight at a time, so memory stays
bounded whatever the backlog.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import NewTopic
from aiokafka.errors import KafkaError

from schemas import AvroCodec, SchemaRegistry
from schemas.codec import HEADER_SIZE
from sinks.batch import Batcher, PartitionBatch, TopicPartitionKey
from sinks.checkpoint import CheckpointStore, Intent, IntentState, resume_from
from sinks.columns import TableLayout
from sinks.dlq import DeadLetterPublisher, dlq_topic_spec, ensure_topics
from sinks.errors import PassthroughRejected, RowsRejected, SinkError, TableMismatch
from sinks.metrics import MetricsRecorder, SinkMetrics, SinkState
from sinks.passthrough import (
    FallbackReason,
    FastInsert,
    NotPassthrough,
    new_marker,
    plan_passthrough,
    scan_headers,
)
from sinks.prepare import Prepared, prepare_batch, reject_violations
from sinks.routes import Route, SinkConfig, routes_for
from sinks.writer import ClickHouseWriter
from tastystream.settings import Settings

__all__ = ["ClickHouseSink"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, sink: ClickHouseSink) -> None:
        self._sink = sink

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._sink._on_revoked(list(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._sink._on_assigned(list(assigned))


class ClickHouseSink:
    """``async with ClickHouseSink(settings) as sink: await sink.run(stop)``."""

    def __init__(
        self,
        settings: Settings,
        *,
        config: SinkConfig | None = None,
        topics: Sequence[str] | None = None,
        store: CheckpointStore | None = None,
    ) -> None:
        self.settings = settings
        self.config = config or SinkConfig()
        self.routes: dict[str, Route] = routes_for(topics)
        self.state = SinkState.CREATED
        self._writer = ClickHouseWriter(
            settings.clickhouse,
            pool_size=self.config.insert_concurrency,
            consumer_group=self.config.group_id,
        )
        self._store: CheckpointStore = store or self._writer
        self._registry = SchemaRegistry(settings.registry.url)
        self._codec = AvroCodec(readers=[r.spec.schema() for r in self.routes.values()])
        self._batcher = Batcher(self.config.batch)
        self._layouts: dict[str, TableLayout] = {}
        self._plans: dict[tuple[str, int], FastInsert | NotPassthrough] = {}
        self._marker = new_marker()
        self._consumer: Any = None
        self._producer: Any = None
        self._dlq: DeadLetterPublisher | None = None
        self._cycle: asyncio.Task[None] | None = None
        self._cycle_lock = asyncio.Lock()
        self._assigned: set[TopicPartitionKey] = set()
        self._next: dict[TopicPartitionKey, int] = {}
        self._rec = MetricsRecorder()
        self._seen_reasons: set[tuple[str, str]] = set()
        self._seen_fallbacks: set[tuple[str, str]] = set()
        self._decoding = not self.config.passthrough
        """Whether the last batch decoded in Python (then fetching yields to the cycle)."""
        self._drained = False
        self._fatal: BaseException | None = None
        self._stop: asyncio.Event | None = None

    # lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> ClickHouseSink:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _set_state(self, state: SinkState) -> None:
        if state is not self.state:
            logger.info("clickhouse sink %s -> %s", self.state, state)
            self.state = state

    async def start(self) -> None:
        self._set_state(SinkState.STARTING)
        try:
            await self._start()
        except BaseException:
            self._set_state(SinkState.FAILED)
            await self._close()
            raise
        self._set_state(SinkState.RUNNING)

    async def _start(self) -> None:
        cfg, kafka = self.config, self.settings.kafka
        await self._registry.__aenter__()
        async with asyncio.timeout(cfg.start_timeout_s):
            await self._retrying("connect to clickhouse", self._writer.start)
            if cfg.migrate:
                await self._retrying("migrate clickhouse", self._writer.migrate)
            for route in self.routes.values():
                self._layouts[route.topic] = await self._layout(route)
        client_id = f"{kafka.client_id}-sink"
        # the source topics too: subscribing to a missing topic would let the broker
        # auto-create it with its default partitions instead of the spec's
        sources = [
            NewTopic(r.topic, r.spec.partitions, 1, topic_configs=r.spec.topic_config())
            for r in self.routes.values()
        ]
        dead = [dlq_topic_spec(r.dlq) for r in self.routes.values()]
        await ensure_topics(kafka.bootstrap, sources + dead, client_id=client_id)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=kafka.bootstrap,
            client_id=f"{client_id}-dlq",
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
        )
        await self._producer.start()
        self._dlq = DeadLetterPublisher(self._producer, self._registry)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka.bootstrap,
            client_id=client_id,
            group_id=cfg.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_partition_fetch_bytes=cfg.max_partition_fetch_bytes,
            fetch_max_bytes=cfg.fetch_max_bytes,
            session_timeout_ms=cfg.session_timeout_ms,
            heartbeat_interval_ms=cfg.heartbeat_interval_ms,
            max_poll_interval_ms=cfg.max_poll_interval_ms,
        )
        await self._consumer.start()
        self._consumer.subscribe(topics=sorted(self.routes), listener=_Rebalance(self))
        logger.info(
            "clickhouse sink consuming %d topics group=%s database=%s",
            len(self.routes),
            cfg.group_id,
            self._writer.database,
        )

    async def _layout(self, route: Route) -> TableLayout:
        columns = await self._retrying("describe", self._writer.columns, route.table)
        return TableLayout.build(self._writer.database, route.table, columns, route.fields)

    async def stop(self) -> None:
        """Flush open batches (bounded by ``drain_timeout_s``), commit, close. Idempotent."""
        if self.state in (SinkState.STOPPED, SinkState.CREATED):
            return
        if self.state is not SinkState.FAILED:
            self._set_state(SinkState.STOPPING)
            await self._drain()
        await self._close()
        rec = self._rec
        logger.info(
            "clickhouse sink rows by path: fast=%d python=%d; fallbacks: %s",
            rec.paths["fast"],
            rec.paths["python"],
            ", ".join(f"{k}={v}" for k, v in sorted(rec.fallbacks.items())) or "none",
        )
        if self.state is not SinkState.FAILED:
            self._set_state(SinkState.STOPPED)

    async def _close(self) -> None:
        task, self._cycle = self._cycle, None
        if task is not None and not task.done():
            # abandoned by a timed-out drain: safe, its intents stay pending and are replayed
            task.cancel()
            await asyncio.wait({task}, timeout=5)
        for name, closer in (
            ("consumer", self._consumer.stop if self._consumer else None),
            ("producer", self._producer.stop if self._producer else None),
            ("clickhouse", self._writer.close),
            ("registry", lambda: self._registry.__aexit__(None, None, None)),
        ):
            if closer is None:
                continue
            try:
                await closer()
            except Exception:
                logger.warning("error closing %s", name, exc_info=True)
        self._consumer = self._producer = None

    # main loop ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Consume until ``stop`` is set or the task is cancelled, then drain gracefully."""
        if self.state not in (SinkState.RUNNING, SinkState.DEGRADED):
            raise SinkError(f"sink is {self.state}, not running (use `async with`)")
        stop = stop or asyncio.Event()
        self._stop = stop
        try:
            while not stop.is_set():
                await self._step()
        except asyncio.CancelledError:
            self._set_state(SinkState.STOPPING)
            await self._drain()
            raise
        except BaseException:
            self._set_state(SinkState.FAILED)
            raise
        self._set_state(SinkState.STOPPING)
        await self._drain()

    async def _step(self) -> None:
        if self._fatal is not None:
            raise self._fatal
        batcher = self._batcher
        if batcher.over_limit() or (
            self._cycle is not None and batcher.has_closed() and self._decoding
        ):
            # closed batches wait for the cycle in flight anyway: while it decodes in Python,
            # fetching more only competes with it for the CPU (a fast-path cycle spends its
            # CPU in ClickHouse: fetching on overlaps); open batches fill up to the buffer limit
            await self._await_cycle(interruptible=True)
        # over the limit, fetch only to complete pending replays (nothing else can be flushed)
        if not batcher.over_limit() or not batcher.flushable():
            data = await self._consumer.getmany(
                timeout_ms=self.config.poll_timeout_ms, max_records=self.config.fetch_max_records
            )
            now = time.monotonic()
            for tp, records in data.items():
                key = (tp.topic, tp.partition)
                if key not in self._assigned:
                    # fetched before _on_assigned positioned it: read again after its seek
                    logger.debug("ignoring %d early records of %s", len(records), key)
                    continue
                if records:
                    batcher.add_partition(key, records, now)
        await self._await_cycle_if_done()
        if self._cycle is None:
            ready = batcher.ready(time.monotonic(), force=batcher.over_limit())
            if ready:
                self._cycle = asyncio.create_task(self._run_cycle(ready), name="sink-flush")

    async def _await_cycle_if_done(self) -> None:
        if self._cycle is not None and self._cycle.done():
            await self._await_cycle()

    async def _await_cycle(self, *, interruptible: bool = False) -> None:
        """Wait for the cycle in flight. Shielded: cancelling the waiter never cuts a cycle
        short, so a partition's next batch can never be flushed while an earlier intent of
        it is still pending in this process (that would let a later ``done`` hide a gap).
        ``interruptible``: also return when stop is requested (a cycle retrying against a
        ClickHouse outage must not keep SIGTERM waiting; the drain then bounds it)."""
        task = self._cycle
        if task is None:
            return
        try:
            if interruptible and self._stop is not None:
                stopping = asyncio.ensure_future(self._stop.wait())
                try:
                    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stopping.cancel()
                if not task.done():
                    return
            await asyncio.shield(task)
        finally:
            if task.done():
                self._cycle = None

    async def _drain(self, keys: Sequence[TopicPartitionKey] | None = None) -> None:
        """Finish the cycle in flight and flush every open batch (of ``keys``), bounded."""
        if keys is None and self._drained:
            return
        try:
            async with asyncio.timeout(self.config.drain_timeout_s):
                await self._await_cycle()
                while True:
                    batches = self._batcher.take_all() if keys is None else self._batcher.take(keys)
                    if not batches:
                        break
                    await self._run_cycle(batches)
        except TimeoutError:
            logger.warning(
                "drain timed out after %.1fs: abandoning %d buffered records (they stay"
                " uncommitted and are read again)",
                self.config.drain_timeout_s,
                self._batcher.buffered_rows,
            )
        if keys is None:
            self._drained = True

    # the flush cycle ------------------------------------------------------------------

    async def _run_cycle(self, batches: list[PartitionBatch]) -> None:
        async with self._cycle_lock:
            await self._cycle_locked(batches)

    async def _cycle_locked(self, batches: list[PartitionBatch]) -> None:
        assert self._dlq is not None
        intents = {
            b.key: Intent(
                b.topic,
                b.partition,
                b.start,
                b.end,
                IntentState.PENDING,
                self.routes[b.topic].table,
            )
            for b in batches
        }
        fresh = [intents[b.key] for b in batches if b.replay is None]
        started = time.perf_counter()
        await self._retrying("write intents", self._store.write, fresh)
        written = time.perf_counter()
        gate = asyncio.Semaphore(self.config.insert_concurrency)
        done: list[Intent] = []

        async def one(batch: PartitionBatch) -> None:
            async with gate:
                prepared = await self._write_batch(batch)
            done.append(intents[batch.key].done(prepared.rows, len(prepared.letters)))

        try:
            async with asyncio.TaskGroup() as group:
                for batch in batches:
                    group.create_task(one(batch))
        except BaseExceptionGroup as eg:
            raise eg.exceptions[0] from None
        inserted = time.perf_counter()
        await self._retrying("write done intents", self._store.write, done)
        logger.debug(
            "cycle batches=%d rows=%d intents=%.3fs batches=%.3fs done=%.3fs",
            len(batches),
            sum(i.rows for i in done),
            written - started,
            inserted - written,
            time.perf_counter() - inserted,
        )
        offsets = {TopicPartition(i.topic, i.partition): i.next_offset for i in done}
        for intent in done:
            self._next[intent.key] = intent.next_offset
        for batch in batches:
            self._batcher.released(batch)
        await self._commit(offsets)

    async def _write_batch(self, batch: PartitionBatch) -> Prepared:
        assert self._dlq is not None
        route = self.routes[batch.topic]
        layout = self._layouts[batch.topic]
        values = [r.value for r in batch.records]
        scan = scan_headers(values)  # one schema id for the whole batch, or why not
        if isinstance(scan, int):
            headers = {values[0][:HEADER_SIZE]} if values[0] is not None else set()
        else:
            headers = {v[:HEADER_SIZE] for v in values if v}  # a few distinct schema ids
        missing = await self._retrying("registry", self._registry.prime, self._codec, headers)
        if missing:
            logger.debug("schema ids unknown to the registry: %s", sorted(missing))
        started = time.perf_counter()
        fast = await self._write_fast(batch, route, layout, values, scan)
        if fast is not None:
            return fast
        consumer = self.config.group_id
        prepared = await asyncio.to_thread(
            prepare_batch, batch, route, layout, self._codec, consumer
        )
        latency = 0.0
        while True:
            await self._retrying("dead letters", self._dlq_publish, prepared)
            if not prepared.rows:
                break
            try:
                latency = await self._retrying(
                    "insert", self._writer.insert, layout, prepared.columns, batch.token
                )
                break
            except RowsRejected as exc:
                retry = await asyncio.to_thread(
                    reject_violations, prepared, route, layout, self._codec, consumer
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
        self._decoding = True
        return prepared

    def _passthrough(
        self, batch: PartitionBatch, layout: TableLayout, scan: int | FallbackReason
    ) -> FastInsert | str:
        """The batch's fast insert, or the fallback reason (plans are cached)."""
        if not self.config.passthrough:
            return FallbackReason.DISABLED
        if isinstance(scan, FallbackReason):
            return scan
        key = (batch.topic, scan)
        plan = self._plans.get(key)
        if plan is None:
            if not self._codec.knows(scan):
                return FallbackReason.UNKNOWN_SCHEMA
            reader = self.routes[batch.topic].spec.schema()
            plan = plan_passthrough(layout, reader, scan, self._codec.schema(scan), self._marker)
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
        plan = self._passthrough(batch, layout, scan)
        if isinstance(plan, str):
            self._fallback(batch, plan, None)
            return None
        data = await asyncio.to_thread(plan.container, cast(list[bytes], values))
        rows = len(batch.records)
        try:
            latency = await self._retrying(
                "fast insert",
                self._writer.insert_container,
                layout,
                plan.sql,
                data,
                batch.token,
                rows,
            )
        except PassthroughRejected as exc:
            self._fallback(batch, FallbackReason.REJECTED, exc)
            return None
        finally:
            del data
        prepared = Prepared(batch, [], rows)
        logger.debug("batch %s rows=%d fast insert=%.3fs", batch.token, rows, latency)
        self._account(batch, route, prepared, latency)
        self._rec.paths["fast"] += rows
        self._decoding = False
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

    async def _dlq_publish(self, prepared: Prepared) -> None:
        assert self._dlq is not None
        new = prepared.unpublished()
        if not new:
            return
        try:
            await self._dlq.publish(new)
        except KafkaError as exc:
            raise _DeadLetterUnavailable(f"dead-letter produce failed: {exc!r}") from exc
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

    async def _commit(self, offsets: dict[Any, int]) -> None:
        if self._consumer is None or not offsets:
            return
        owned = {tp: o for tp, o in offsets.items() if (tp.topic, tp.partition) in self._assigned}
        if not owned:
            return
        try:
            await self._consumer.commit(owned)
        except KafkaError as exc:  # the intents are the truth; the commit only mirrors them
            logger.info("kafka commit skipped (%r): intents stay authoritative", exc)

    async def _retrying(self, what: str, call: Callable[..., Awaitable[T]], *args: Any) -> T:
        attempt = 0
        while True:
            try:
                result = await call(*args)
            except SinkError as exc:
                if not exc.retriable:
                    raise
                attempt += 1
                self._rec.retries += 1
                if self.state is SinkState.RUNNING:
                    self._set_state(SinkState.DEGRADED)
                cap = min(
                    self.config.retry_max_s, self.config.retry_initial_s * 2 ** min(attempt, 16)
                )
                delay = random.uniform(cap / 2, cap)
                log = logger.warning if attempt == 1 or attempt % 10 == 0 else logger.debug
                log("%s failed (attempt %d, retry in %.2fs): %s", what, attempt, delay, exc)
                await asyncio.sleep(delay)
                continue
            if attempt and self.state is SinkState.DEGRADED:
                self._set_state(SinkState.RUNNING)
            return result

    # rebalancing ----------------------------------------------------------------------

    async def _on_revoked(self, revoked: list[Any]) -> None:
        keys = [(tp.topic, tp.partition) for tp in revoked]
        if not keys:
            return
        logger.info("partitions revoked: %s", _names(keys))
        if self.state not in (SinkState.STOPPED, SinkState.FAILED) and self._fatal is None:
            try:
                await self._drain(keys)
            except Exception as exc:  # surfaced by the main loop, not lost in aiokafka's logs
                logger.error("flushing revoked partitions failed: %r", exc)
                self._fatal = exc
        self._batcher.drop(keys)
        for key in keys:
            self._assigned.discard(key)
            self._next.pop(key, None)

    async def _on_assigned(self, assigned: list[Any]) -> None:
        """Position every new partition explicitly, then accept its records.

        aiokafka may already fetch (and ``getmany`` return) records of a new partition while
        this callback awaits the checkpoint table; the main loop ignores them until the
        partition is in ``_assigned``, and the seek below (done for *every* partition, in one
        synchronous pass with the ``_assigned`` update) makes the consumer read them again.
        """
        keys = [(tp.topic, tp.partition) for tp in assigned]
        if not keys:
            return
        topics = sorted({k[0] for k in keys})
        latest = await self._retrying("load intents", self._store.load, topics)
        resumes = {
            (tp.topic, tp.partition): resume_from(latest.get((tp.topic, tp.partition)))
            for tp in assigned
        }
        fresh = [tp for tp in assigned if resumes[(tp.topic, tp.partition)].seek_to is None]
        starts: dict[Any, int] = {}
        if fresh:
            beginnings = await self._consumer.beginning_offsets(fresh)
            for tp in fresh:
                committed = await self._consumer.committed(tp)
                starts[tp] = committed if committed is not None else beginnings[tp]
        now = time.monotonic()
        for tp in assigned:  # no await from here on: seek and accept atomically
            key = (tp.topic, tp.partition)
            resume = resumes[key]
            offset = resume.seek_to if resume.seek_to is not None else starts[tp]
            self._consumer.seek(tp, offset)
            self._next[key] = offset
            if resume.replay is not None:
                self._batcher.expect_replay(
                    tp.topic, tp.partition, resume.replay.start, resume.replay.end, now
                )
                logger.info(
                    "partition %s resumes by replaying pending %s",
                    _names([key]),
                    resume.replay.token,
                )
            else:
                self._batcher.drop([key])
            self._assigned.add(key)
        logger.info("partitions assigned: %s", _names(keys))

    # metrics --------------------------------------------------------------------------

    def metrics(self) -> SinkMetrics:
        lag: dict[str, int] = {}
        if self._consumer is not None:
            for key in sorted(self._assigned):
                high = self._consumer.highwater(TopicPartition(*key))
                if high is not None and key in self._next:
                    lag[f"{key[0]}[{key[1]}]"] = max(0, high - self._next[key])
        rec = self._rec
        return SinkMetrics(
            state=self.state,
            rows_inserted=dict(rec.rows),
            batches=rec.batches,
            replayed_batches=rec.replayed,
            dead_letters=dict(rec.dead),
            dead_letter_reasons=dict(rec.reasons),
            lag=lag,
            last_insert_latency_s=rec.last_latency,
            insert_retries=rec.retries,
            buffered_rows=self._batcher.buffered_rows,
            assigned=tuple(_names(sorted(self._assigned))),
            rows_by_path=dict(rec.paths),
            fast_path_fallbacks=dict(rec.fallbacks),
        )


class _DeadLetterUnavailable(SinkError):
    retriable = True


def _names(keys: Sequence[TopicPartitionKey]) -> list[str]:
    return [f"{t}[{p}]" for t, p in keys]
