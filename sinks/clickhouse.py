"""The exactly-once (in effect) ClickHouse sink: market topics → one table per topic.

One consumer (group ``SinkConfig.group_id``, manual commits, read_committed) feeds per-partition
batches (:mod:`sinks.batch`). The sink owns the lifecycle and the consume loop; its parts each
have one job and are injected (built from the settings when not given):

- :class:`sinks.flush.FlushCycle` runs the intent protocol over one closed batch per partition
  (``pending`` intents, the inserts, ``done`` intents), then the sink commits ``end + 1``;
- :class:`sinks.inserts.BatchInserter` writes one batch (fast path, Python path, dead letters);
- :class:`sinks.assignment.Partitions` positions assigned partitions from their intents, tracks
  progress and lag, and sets aside a partition whose batch failed (the others go on);
- :class:`sinks.retry.Retrier` retries what is retriable, with backoff (state ``degraded``).

Restart or reassignment resumes from the intents (:mod:`sinks.checkpoint`): a pending batch is
re-collected with the same bounds and re-inserted with the same token, which ClickHouse drops if
it had landed. Fetching waits while the open batches exceed ``BatchPolicy.max_buffered_rows``/
``bytes`` and one cycle is in flight at a time, so memory stays bounded whatever the backlog.
:meth:`ClickHouseSink.drain` waits until everything in the topics now is in ClickHouse.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from schemas import AvroCodec, SchemaRegistry
from schemas.topic_admin import Replication, ensure_topics, topics_for
from sinks.assignment import Partitions, partition_name
from sinks.batch import Batcher, PartitionBatch, TopicPartitionKey
from sinks.checkpoint import CheckpointStore
from sinks.columns import TableLayout
from sinks.dlq import DeadLetter, DeadLetterPublisher
from sinks.errors import SinkError
from sinks.flush import CycleResult, FlushCycle
from sinks.inserts import BatchInserter, LetterBox, SchemaSource, Table
from sinks.metrics import MetricsRecorder, SinkMetrics, SinkState
from sinks.retry import Retrier
from sinks.routes import Route, SinkConfig, routes_for
from sinks.writer import ClickHouseWriter
from tastystream.settings import Settings

__all__ = ["ClickHouseSink"]

logger = logging.getLogger(__name__)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, sink: ClickHouseSink) -> None:
        self._sink = sink

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._sink.revoke([(tp.topic, tp.partition) for tp in revoked])

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._sink.partitions.assign(list(assigned))


class _LateLetters:
    """The inserter's letter box: the sink's publisher, which exists once the sink started."""

    def __init__(self, sink: ClickHouseSink) -> None:
        self._sink = sink

    async def publish(self, letters: list[DeadLetter]) -> None:
        box = self._sink._letters
        if box is None:
            raise SinkError("dead letters before the sink started")
        await box.publish(letters)


class ClickHouseSink:
    """``async with ClickHouseSink(settings) as sink: await sink.run(stop)``.

    Collaborators are built from ``settings`` unless injected: ``writer`` (ClickHouse:
    migrations, table layouts, inserts; an injected one is started by its owner), ``table``
    (the inserts only; then pass ``layouts``), ``store`` (the intents; default the writer),
    ``registry`` (writer schemas), ``letters`` (dead letters; default produced to Kafka),
    ``consumer`` (a started consumer, assigned by its owner through :attr:`partitions`;
    default a subscribed Kafka consumer from the settings, which also creates the topics).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        config: SinkConfig | None = None,
        topics: Sequence[str] | None = None,
        store: CheckpointStore | None = None,
        writer: ClickHouseWriter | None = None,
        table: Table | None = None,
        registry: SchemaSource | None = None,
        letters: LetterBox | None = None,
        consumer: Any = None,
        layouts: dict[str, TableLayout] | None = None,
    ) -> None:
        self.settings = settings
        self.config = cfg = config or SinkConfig()
        self.routes: dict[str, Route] = routes_for(topics)
        if table is not None and writer is None and not set(self.routes) <= set(layouts or {}):
            raise ValueError("an injected table needs the layouts of every topic")
        self.state = SinkState.CREATED
        self._writer = writer or ClickHouseWriter(
            settings.clickhouse, pool_size=cfg.insert_concurrency, consumer_group=cfg.group_id
        )
        self._owns_writer = writer is None and table is None
        self._store: CheckpointStore = store or self._writer
        self._own_registry: SchemaRegistry | None = None
        if registry is None:
            registry = self._own_registry = SchemaRegistry(settings.registry.url)
        self._registry: SchemaSource = registry
        self._letters: LetterBox | None = letters
        self._producer: Any = None
        self._consumer: Any = consumer
        self._owns_consumer = consumer is None
        self._layouts: dict[str, TableLayout] = dict(layouts or {})
        self._rec = MetricsRecorder()
        self._retry = Retrier(
            self._rec,
            initial_s=cfg.retry_initial_s,
            max_s=cfg.retry_max_s,
            on_failing=self._on_failing,
        )
        self.batcher = Batcher(cfg.batch)
        self.codec = AvroCodec(readers=[r.spec.schema() for r in self.routes.values()])
        self.inserter = BatchInserter(
            routes=self.routes,
            layouts=self._layouts,
            codec=self.codec,
            registry=self._registry,
            table=table or self._writer,
            letters=_LateLetters(self),
            retrier=self._retry,
            recorder=self._rec,
            consumer_group=cfg.group_id,
            passthrough=cfg.passthrough,
            budget_s=cfg.partition_retry_s,
            fast_attempts=cfg.fast_path_attempts,
        )
        self.cycles = FlushCycle(
            store=self._store,
            writer=self.inserter,
            retrier=self._retry,
            table_of=lambda topic: self.routes[topic].table,
            concurrency=cfg.insert_concurrency,
        )
        self.partitions = Partitions(
            store=self._store,
            batcher=self.batcher,
            retrier=self._retry,
            recorder=self._rec,
            backoff_initial_s=cfg.partition_backoff_s,
            backoff_max_s=cfg.partition_backoff_max_s,
        )
        self.partitions.consumer = consumer
        self._cycle: asyncio.Task[None] | None = None
        self._drained = False
        self._fatal: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._caught_up = asyncio.Event()
        self._draining = False
        self._vanished_check = 0.0

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

    def _on_failing(self, failing: bool) -> None:
        if failing and self.state is SinkState.RUNNING:
            self._set_state(SinkState.DEGRADED)
        elif not failing and self.state is SinkState.DEGRADED:
            self._set_state(SinkState.RUNNING)

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
        if self._own_registry is not None:
            await self._own_registry.__aenter__()
        async with asyncio.timeout(cfg.start_timeout_s):
            if self._owns_writer:
                await self._retry.call("connect to clickhouse", self._writer.start)
                if cfg.migrate:
                    await self._retry.call("migrate clickhouse", self._writer.migrate)
            for route in self.routes.values():
                if route.topic not in self._layouts:
                    self._layouts[route.topic] = await self._layout(route)
        client_id = f"{kafka.client_id}-sink"
        if self._owns_consumer:
            # the source topics too: subscribing to a missing topic would let the broker
            # auto-create it with its default partitions instead of the spec's
            replication = Replication(kafka.replication_factor, kafka.min_insync_replicas)
            specs = {r.topic: r.spec for r in self.routes.values()}
            await ensure_topics(
                kafka.bootstrap, topics_for(specs, replication), client_id=client_id
            )
        if self._letters is None:
            self._producer = AIOKafkaProducer(
                bootstrap_servers=kafka.bootstrap,
                client_id=f"{client_id}-dlq",
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
            )
            await self._producer.start()
            assert self._own_registry is not None, "inject letters with an injected registry"
            self._letters = DeadLetterPublisher(self._producer, self._own_registry)
        if self._owns_consumer:
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
            self.partitions.consumer = self._consumer
            self._consumer.subscribe(topics=sorted(self.routes), listener=_Rebalance(self))
        logger.info(
            "clickhouse sink consuming %d topics group=%s database=%s",
            len(self.routes),
            cfg.group_id,
            getattr(self._writer, "database", "?"),
        )

    async def _layout(self, route: Route) -> TableLayout:
        columns = await self._retry.call("describe", self._writer.columns, route.table)
        return TableLayout.build(
            self._writer.database, route.table, columns, route.fields, route.spec.schema()
        )

    async def stop(self) -> None:
        """Flush open batches (bounded by ``drain_timeout_s``), commit, close. Idempotent."""
        if self.state in (SinkState.STOPPED, SinkState.CREATED):
            return
        if self.state is not SinkState.FAILED:
            self._set_state(SinkState.STOPPING)
            await self._flush_all()
        await self._close()
        rec = self._rec
        logger.info(
            "clickhouse sink rows by path: fast=%d python=%d; fallbacks: %s",
            rec.paths["fast"],
            rec.paths["python"],
            ", ".join(f"{k}={v}" for k, v in sorted(rec.fallbacks.items())) or "none",
        )
        if rec.stalled:
            logger.warning("partitions set aside at stop: %s", rec.stalled)
        if self.state is not SinkState.FAILED:
            self._set_state(SinkState.STOPPED)

    async def _close(self) -> None:
        task, self._cycle = self._cycle, None
        if task is not None and not task.done():
            # abandoned by a timed-out drain: safe, its intents stay pending and are replayed
            task.cancel()
            await asyncio.wait({task}, timeout=5)
        closers: list[tuple[str, Any]] = [
            ("consumer", self._consumer.stop if self._consumer and self._owns_consumer else None),
            ("producer", self._producer.stop if self._producer else None),
            ("clickhouse", self._writer.close if self._owns_writer else None),
            (
                "registry",
                (lambda: registry.__aexit__(None, None, None))
                if (registry := self._own_registry) is not None
                else None,
            ),
        ]
        for name, closer in closers:
            if closer is None:
                continue
            try:
                await closer()
            except Exception:
                logger.warning("error closing %s", name, exc_info=True)
        self._producer = None
        if self._owns_consumer:
            self._consumer = None
            self.partitions.consumer = None

    # main loop ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Consume until ``stop`` is set or the task is cancelled, then flush gracefully."""
        if self.state not in (SinkState.RUNNING, SinkState.DEGRADED):
            raise SinkError(f"sink is {self.state}, not running (use `async with`)")
        stop = stop or asyncio.Event()
        self._stop = stop
        try:
            while not stop.is_set():
                await self.step()
        except asyncio.CancelledError:
            self._set_state(SinkState.STOPPING)
            await self._flush_all()
            raise
        except BaseException:
            self._set_state(SinkState.FAILED)
            raise
        self._set_state(SinkState.STOPPING)
        await self._flush_all()

    async def drain(self, timeout_s: float) -> bool:
        """Wait (while :meth:`run` runs) until everything the topics hold is in ClickHouse or
        dead-lettered: no lag, nothing buffered, no cycle in flight. Open batches are flushed
        at once meanwhile. False (and a warning) after ``timeout_s``; set-aside partitions do
        not count (they are reported)."""
        self._caught_up.clear()
        self._draining = True
        try:
            async with asyncio.timeout(timeout_s):
                await self._caught_up.wait()
            if self._rec.stalled:
                logger.warning(
                    "sink caught up except the partitions set aside: %s", self._rec.stalled
                )
            return True
        except TimeoutError:
            logger.warning(
                "sink still has lag %d after %.0fs; stopping anyway (it resumes exactly where"
                " it left)",
                sum(self.partitions.lag().values()),
                timeout_s,
            )
            return False
        finally:
            self._draining = False

    async def step(self) -> None:
        """One turn of the loop: fetch, batch, start a cycle when batches are ready."""
        if self._fatal is not None:
            raise self._fatal
        batcher = self.batcher
        self.partitions.resume_due()
        if batcher.over_limit() or (
            self._cycle is not None and batcher.has_closed() and self.inserter.decoding
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
                if not self.partitions.accepts(key):
                    # fetched before assign() positioned it, or set aside: read again later
                    logger.debug("ignoring %d records of %s", len(records), key)
                    continue
                if records:
                    batcher.add_partition(key, records, now)
        now = time.monotonic()
        if now - self._vanished_check >= self.config.batch.max_age_s:
            self._vanished_check = now
            await self.partitions.close_vanished(self.config.batch.max_age_s)
        await self._await_cycle_if_done()
        if self._cycle is None:
            ready = batcher.ready(now, force=batcher.over_limit() or self._draining)
            if ready:
                self._cycle = asyncio.create_task(self.flush(ready), name="sink-flush")
            elif self._is_caught_up():
                self._caught_up.set()

    def _is_caught_up(self) -> bool:
        aside = {partition_name(k) for k in self.partitions.set_aside_keys}
        lag = sum(n for name, n in self.partitions.lag().items() if name not in aside)
        return lag == 0 and self.batcher.buffered_rows == 0 and self._cycle is None

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

    async def _flush_all(self, keys: Sequence[TopicPartitionKey] | None = None) -> None:
        """Finish the cycle in flight and flush every open batch (of ``keys``), bounded."""
        if keys is None and self._drained:
            return
        try:
            async with asyncio.timeout(self.config.drain_timeout_s):
                await self._await_cycle()
                while True:
                    batches = self.batcher.take_all() if keys is None else self.batcher.take(keys)
                    if not batches:
                        break
                    await self.flush(batches)
        except TimeoutError:
            logger.warning(
                "drain timed out after %.1fs: abandoning %d buffered records (they stay"
                " uncommitted and are read again)",
                self.config.drain_timeout_s,
                self.batcher.buffered_rows,
            )
        if keys is None:
            self._drained = True

    async def flush(self, batches: list[PartitionBatch]) -> None:
        """One flush cycle over ``batches`` (one per partition), then commit what landed."""
        result = await self.cycles.run(batches)
        self._settle(batches, result)
        await self._commit(self.partitions.advanced(result.done))

    def _settle(self, batches: list[PartitionBatch], result: CycleResult) -> None:
        for batch in batches:
            self.batcher.released(batch)
        for batch, error in result.failed:
            self.partitions.set_aside(batch, error)

    async def _commit(self, offsets: dict[Any, int]) -> None:
        if self._consumer is None or not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except KafkaError as exc:  # the intents are the truth; the commit only mirrors them
            logger.info("kafka commit skipped (%r): intents stay authoritative", exc)

    # rebalancing ----------------------------------------------------------------------

    async def revoke(self, keys: list[TopicPartitionKey]) -> None:
        """Flush what the revoked partitions hold, then forget them."""
        if not keys:
            return
        logger.info("partitions revoked: %s", ", ".join(map(partition_name, keys)))
        if self.state not in (SinkState.STOPPED, SinkState.FAILED) and self._fatal is None:
            try:
                await self._flush_all(keys)
            except Exception as exc:  # surfaced by the main loop, not lost in aiokafka's logs
                logger.error("flushing revoked partitions failed: %r", exc)
                self._fatal = exc
        self.partitions.revoke(keys)

    # metrics --------------------------------------------------------------------------

    def metrics(self) -> SinkMetrics:
        rec = self._rec
        return SinkMetrics(
            state=self.state,
            rows_inserted=dict(rec.rows),
            batches=rec.batches,
            replayed_batches=rec.replayed,
            dead_letters=dict(rec.dead),
            dead_letter_reasons=dict(rec.reasons),
            lag=self.partitions.lag(),
            last_insert_latency_s=rec.last_latency,
            insert_retries=rec.retries,
            buffered_rows=self.batcher.buffered_rows,
            assigned=tuple(map(partition_name, sorted(self.partitions.assigned))),
            rows_by_path=dict(rec.paths),
            fast_path_fallbacks=dict(rec.fallbacks),
            partition_errors=dict(rec.partition_errors),
            stalled=dict(rec.stalled),
        )
