"""Publishing normalized market events to Kafka: Avro (Confluent wire format), acks=all,
idempotent, lz4 — batched by us on aiokafka's batch API, with bounded in-flight records and
counted outcomes.

Records are appended to one open :class:`aiokafka.producer.BatchBuilder` per (topic,
partition), the partition chosen exactly as aiokafka's (and Java's) default partitioner would
for the key (murmur2 over the topic's sorted partitions). A builder is sent with
``send_batch`` when it is full or when its linger expires; while the previous batch of that
partition still waits for the sender (the broker is busy), the open builder keeps growing, so
batches get bigger under load instead of queueing up. The producer's sender assigns each batch
its producer id and sequence numbers, so batches are idempotent like ``send``'s.

``publish`` awaits when ``max_in_flight`` records are appended and not yet acked or failed
(backpressure reaches the DXLink reader, whose own bounded queue then applies its documented
overflow policy); nothing is dropped here: every record ends as *acked* or *failed* (or
*unencodable*), counted per event type, once per batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from ingest.normalize import Normalized
from schemas.codec import AvroCodec
from schemas.errors import CodecError
from tastystream.settings import KafkaSettings

logger = logging.getLogger(__name__)

#: Keys remembered per topic with their partition (murmur2 in pure Python costs ~2 µs a key);
#: the memo starts over past this many (symbols are a few thousand).
KEY_MEMO_LIMIT = 100_000


@dataclass
class PublisherMetrics:
    sent: Counter[str] = field(default_factory=Counter)
    acked: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    unencodable: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    batches: int = 0


#: Called once per acked record with its event type, ``ts_event`` and ``ts_ingest`` (epoch µs),
#: right when the ack arrives: what latency probes need, without touching the producer.
AckHook = Callable[[str, int, int], None]


class PublisherFull(RuntimeError):
    """``publish_nowait`` was called while ``max_in_flight`` records are in flight."""


class _Lane:
    """One (topic, partition): the open builder, closed ones waiting to be sent, a drain task."""

    __slots__ = (
        "builder",
        "count",
        "draining",
        "due",
        "event_type",
        "hooks",
        "owner",
        "partition",
        "ready",
        "task",
        "timer",
        "topic",
    )

    def __init__(self, owner: _Topic, partition: int) -> None:
        self.owner = owner
        self.topic = owner.name
        self.event_type = owner.event_type
        self.partition = partition
        self.builder: Any = None  # the open BatchBuilder, None until the first record
        self.count = 0  # records in the open builder
        self.hooks: list[tuple[int, int]] | None = None  # (ts_event, ts_ingest) per record
        self.ready: deque[tuple[Any, int, list[tuple[int, int]] | None]] = deque()
        self.timer: asyncio.TimerHandle | None = None
        self.due = False  # the open builder's linger expired while a batch was being sent
        self.draining = False
        self.task: asyncio.Task[None] | None = None


class _Topic:
    """A topic's partitions (as the producer's metadata knows them) and its lanes."""

    __slots__ = (
        "by_key",
        "event_type",
        "lanes",
        "name",
        "partitions",
        "pending",
        "resolving",
        "schema_id",
    )

    def __init__(self, name: str, event_type: str, schema_id: int) -> None:
        self.name = name
        self.event_type = event_type
        self.schema_id = schema_id
        self.partitions: list[int] = []
        self.by_key: dict[bytes, _Lane] = {}
        self.lanes: dict[int, _Lane] = {}
        # records published before the topic's partitions were known, in order
        self.pending: list[tuple[bytes, bytes, int, int]] = []
        self.resolving: asyncio.Task[None] | None = None


class MarketPublisher:
    """One idempotent producer for every market topic, fed through our own batches.

    At most ``max_in_flight`` records are appended and not yet acked or failed: ``publish``
    waits (on one event, only while full) until the broker acks some; ``publish_nowait`` never
    waits and tells whether there is room for another record. Outcomes are counted in
    :attr:`metrics` once per batch. ``on_ack``, when given, is called with
    ``(event_type, ts_event_us, ts_ingest_us)`` for every acked record.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        codec: AvroCodec,
        schema_ids: Mapping[str, int],
        *,
        max_in_flight: int = 20_000,
        linger_ms: float = 5,
        max_batch_size: int = 256 * 1024,
        on_ack: AckHook | None = None,
        producer_factory: Callable[..., AIOKafkaProducer] = AIOKafkaProducer,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be >= 1")
        if linger_ms < 0:
            raise ValueError("linger_ms must be >= 0")
        self._kafka = kafka
        self._codec = codec
        self._ids = dict(schema_ids)
        self._max_in_flight = max_in_flight
        self._linger_s = linger_ms / 1000
        self._linger_ms = linger_ms
        self._max_batch_size = max_batch_size
        self._on_ack = on_ack
        self._factory = producer_factory
        self._producer: AIOKafkaProducer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._partitioner = DefaultPartitioner()
        self._topics: dict[str, _Topic] = {}  # by event type
        self._lanes: list[_Lane] = []
        self._room = asyncio.Event()  # set by a release while a publisher waits for room
        self._waiting = False
        self._urgent = 0  # flushes and publishers waiting for room: batches go out at once
        self._idle = asyncio.Event()  # nothing in flight
        self._idle.set()
        self.metrics = PublisherMetrics()

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> MarketPublisher:
        self._loop = asyncio.get_running_loop()
        self._producer = self._factory(
            bootstrap_servers=self._kafka.bootstrap,
            client_id=f"{self._kafka.client_id}-ingest",
            acks="all",
            enable_idempotence=True,
            compression_type="lz4",
            linger_ms=self._linger_ms,
            max_batch_size=self._max_batch_size,
            request_timeout_ms=30_000,
        )
        await self._producer.start()
        logger.info("market publisher running bootstrap=%s", self._kafka.bootstrap)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.flush()
        finally:
            tasks = [t for lane in self._lanes if (t := lane.task) is not None and not t.done()]
            tasks += [
                t for topic in self._topics.values() if (t := topic.resolving) and not t.done()
            ]
            for task in tasks:  # only left when flush itself was cancelled
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for lane in self._lanes:
                if lane.timer is not None:
                    lane.timer.cancel()
                    lane.timer = None
                if lane.builder is not None:  # flush was cancelled: never sent, so failed
                    if lane.count:
                        logger.error(
                            "publish of %d %s records to %s[%d] failed: stopped before sending",
                            lane.count,
                            lane.event_type,
                            lane.topic,
                            lane.partition,
                        )
                    self._release(lane.event_type, lane.count, ok=False)
                    lane.builder, lane.count, lane.hooks = None, 0, None
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None
            logger.info(
                "market publisher stopped acked=%d failed=%d batches=%d",
                sum(self.metrics.acked.values()),
                sum(self.metrics.failed.values()),
                self.metrics.batches,
            )

    # -------------------------------------------------------------------- publish
    @property
    def has_room(self) -> bool:
        """Whether ``publish_nowait`` takes another record now."""
        return self.metrics.in_flight < self._max_in_flight

    async def wait_room(self) -> None:
        """Wait until another record fits (sends every open batch right away meanwhile)."""
        self._urgent += 1
        try:
            while self.metrics.in_flight >= self._max_in_flight:
                self._send_open_batches()
                self._waiting = True
                self._room.clear()
                await self._room.wait()
        finally:
            self._urgent -= 1

    async def publish(self, item: Normalized) -> None:
        """Encode and append ``item``; waits only while ``max_in_flight`` records are out."""
        if self.metrics.in_flight >= self._max_in_flight:
            await self.wait_room()
        self.publish_nowait(item)

    def publish_nowait(self, item: Normalized) -> bool:
        """Encode and append ``item`` without waiting; ``False`` when the publisher is full
        now (await :meth:`wait_room` before the next one). Raises :class:`PublisherFull` when
        called while full and ``RuntimeError`` when not running; an unencodable record is
        counted and logged, not sent."""
        metrics = self.metrics
        if metrics.in_flight >= self._max_in_flight:
            raise PublisherFull(f"{metrics.in_flight} records in flight")
        if self._producer is None:
            raise RuntimeError("publisher is not running")
        spec = item.spec
        event_type = spec.event_type
        topic = self._topics.get(event_type)
        if topic is None:
            name = spec.name
            topic = self._topics[event_type] = _Topic(
                name, event_type, self._ids[spec.value_subject]
            )
        record = item.record
        try:
            value = self._codec.encode(topic.schema_id, record)
        except CodecError as exc:
            metrics.unencodable[event_type] += 1
            logger.error(
                "unencodable %s record symbol=%s: %s",
                event_type,
                record.get("streamer_symbol"),
                exc,
            )
            return True
        if not metrics.in_flight:
            self._idle.clear()
        metrics.in_flight += 1
        key = item.key
        if topic.partitions:
            lane = topic.by_key.get(key)
            if lane is None:
                lane = self._lane_for(topic, key)
            if self._on_ack is None:
                self._append(lane, key, value, 0, 0)
            else:
                self._append(lane, key, value, record["ts_event"], record["ts_ingest"])
        else:  # partitions not known yet: keep the order, route once they are
            if self._on_ack is None:
                topic.pending.append((key, value, 0, 0))
            else:
                topic.pending.append((key, value, record["ts_event"], record["ts_ingest"]))
            if topic.resolving is None:
                topic.resolving = self._spawn(self._resolve(topic), f"publisher-{topic.name}")
        return metrics.in_flight < self._max_in_flight

    # ---------------------------------------------------------------- partitions
    def _lane_for(self, topic: _Topic, key: bytes) -> _Lane:
        partition: int = self._partitioner(key, topic.partitions, topic.partitions)
        lane = topic.lanes.get(partition)
        if lane is None:
            lane = topic.lanes[partition] = _Lane(topic, partition)
            self._lanes.append(lane)
        if len(topic.by_key) >= KEY_MEMO_LIMIT:
            topic.by_key.clear()
        topic.by_key[key] = lane
        return lane

    def _set_partitions(self, topic: _Topic, partitions: Iterable[int]) -> None:
        ordered = sorted(partitions)
        if ordered != topic.partitions:
            if topic.partitions:
                logger.info(
                    "topic %s partitions changed: %d -> %d",
                    topic.name,
                    len(topic.partitions),
                    len(ordered),
                )
            topic.partitions = ordered
            topic.by_key = {}

    async def _resolve(self, topic: _Topic) -> None:
        """The topic's partitions from the producer's metadata, then route what waited."""
        assert self._producer is not None
        try:
            self._set_partitions(topic, await self._producer.partitions_for(topic.name))
            if not topic.partitions:
                raise RuntimeError(f"topic {topic.name} has no partitions")
        except BaseException as exc:
            waiting, topic.pending = topic.pending, []
            logger.error(
                "publish of %d %s records failed: no partitions for %s: %r",
                len(waiting),
                topic.event_type,
                topic.name,
                exc,
            )
            self._release(topic.event_type, len(waiting), ok=False)
            if not isinstance(exc, Exception):
                raise
        else:
            waiting, topic.pending = topic.pending, []
            by_key = topic.by_key
            for key, value, ts_event, ts_ingest in waiting:
                lane = by_key.get(key) or self._lane_for(topic, key)
                self._append(lane, key, value, ts_event, ts_ingest)
            if self._urgent:  # a flush or a full publisher waits: no lingering
                self._send_open_batches()
        finally:
            topic.resolving = None

    # ------------------------------------------------------------------- batches
    def _append(self, lane: _Lane, key: bytes, value: bytes, ts_event: int, ts_ingest: int) -> None:
        builder = lane.builder
        if builder is None:
            builder = self._open(lane)
        elif builder.append(key=key, value=value, timestamp=None) is not None:
            lane.count += 1
            if lane.hooks is not None:
                lane.hooks.append((ts_event, ts_ingest))
            return
        else:  # full: it goes out as it is, the record starts the next one
            self._close(lane)
            builder = self._open(lane)
        if builder.append(key=key, value=value, timestamp=None) is None:
            # an empty builder takes a record of any size (the broker may refuse the batch)
            logger.error("publish of a %s record failed: batch refused it", lane.event_type)
            self._release(lane.event_type, 1, ok=False)
            return
        lane.count += 1
        if lane.hooks is not None:
            lane.hooks.append((ts_event, ts_ingest))

    def _open(self, lane: _Lane) -> Any:
        assert self._producer is not None
        assert self._loop is not None
        lane.builder = self._producer.create_batch()
        lane.count = 0
        lane.hooks = [] if self._on_ack is not None else None
        lane.timer = self._loop.call_later(self._linger_s, self._linger_expired, lane)
        return lane.builder

    def _close(self, lane: _Lane) -> None:
        """Move the open builder to the lane's ready queue and make sure the lane drains."""
        if lane.timer is not None:
            lane.timer.cancel()
            lane.timer = None
        lane.builder.close()
        lane.ready.append((lane.builder, lane.count, lane.hooks))
        lane.builder, lane.count, lane.hooks, lane.due = None, 0, None, False
        if not lane.draining:
            lane.draining = True
            lane.task = self._spawn(self._drain(lane), "publisher-drain")

    def _linger_expired(self, lane: _Lane) -> None:
        lane.timer = None
        if lane.builder is None:
            return
        if lane.draining:
            lane.due = True  # the drain takes it once the batch before it is queued
        else:
            self._close(lane)

    def _send_open_batches(self) -> None:
        for lane in self._lanes:
            if lane.builder is not None:
                if lane.draining:
                    lane.due = True
                else:
                    self._close(lane)

    async def _drain(self, lane: _Lane) -> None:
        """Send the lane's batches in order; ``send_batch`` waits while the batch before is
        still queued in the producer, so the open builder grows meanwhile."""
        producer = self._producer
        assert producer is not None
        try:
            while True:
                if lane.ready:
                    builder, count, hooks = lane.ready.popleft()
                elif lane.due and lane.builder is not None:
                    if lane.timer is not None:
                        lane.timer.cancel()
                        lane.timer = None
                    builder, count, hooks = lane.builder, lane.count, lane.hooks
                    builder.close()
                    lane.builder, lane.count, lane.hooks, lane.due = None, 0, None, False
                else:
                    return
                await self._submit(producer, lane, builder, count, hooks)
                # the producer's metadata may have changed (it refreshes on its own): key
                # routes are recomputed when the topic's partitions did
                try:
                    partitions = await producer.partitions_for(lane.topic)
                except Exception as exc:  # the next batch tries again; routes stay as they are
                    logger.warning("no partitions for %s: %r", lane.topic, exc)
                else:
                    self._set_partitions(lane.owner, partitions)
        finally:
            lane.draining = False
            lane.task = None
            # whatever is still queued (only when cancelled) ends failed, not lost
            while lane.ready:
                _builder, count, _hooks = lane.ready.popleft()
                self._release(lane.event_type, count, ok=False)

    async def _submit(
        self,
        producer: AIOKafkaProducer,
        lane: _Lane,
        builder: Any,
        count: int,
        hooks: list[tuple[int, int]] | None,
    ) -> None:
        event_type = lane.event_type
        try:
            future = await producer.send_batch(builder, lane.topic, partition=lane.partition)
        except BaseException as exc:
            self._batch_failed(lane, count, exc)
            if not isinstance(exc, Exception):
                raise
            return
        self.metrics.sent[event_type] += count
        self.metrics.batches += 1
        future.add_done_callback(partial(self._batch_done, lane, count, hooks))

    def _batch_failed(self, lane: _Lane, count: int, exc: BaseException) -> None:
        """Every record of the batch counted failed, logged once per batch."""
        logger.error(
            "publish of a batch of %d %s records to %s[%d] failed: %r",
            count,
            lane.event_type,
            lane.topic,
            lane.partition,
            exc,
        )
        self._release(lane.event_type, count, ok=False)

    def _batch_done(
        self,
        lane: _Lane,
        count: int,
        hooks: list[tuple[int, int]] | None,
        future: asyncio.Future[Any],
    ) -> None:
        exc = BaseException("cancelled") if future.cancelled() else future.exception()
        event_type = lane.event_type
        if exc is not None:
            self._batch_failed(lane, count, exc)
            return
        self._release(event_type, count, ok=True)
        on_ack = self._on_ack
        if on_ack is not None and hooks is not None:
            for ts_event, ts_ingest in hooks:
                on_ack(event_type, ts_event, ts_ingest)

    def _release(self, event_type: str, count: int, *, ok: bool) -> None:
        if not count:
            return
        metrics = self.metrics
        (metrics.acked if ok else metrics.failed)[event_type] += count
        metrics.in_flight -= count
        if self._waiting:
            self._waiting = False
            self._room.set()
        if not metrics.in_flight:
            self._idle.set()

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[None]:
        assert self._loop is not None
        return self._loop.create_task(coro, name=name)

    async def flush(self) -> None:
        """Send every open batch and wait until every record is acked or failed."""
        if self._producer is None:
            return
        self._urgent += 1
        try:
            while self.metrics.in_flight:
                self._send_open_batches()
                await self._idle.wait()
        finally:
            self._urgent -= 1


__all__ = [
    "KEY_MEMO_LIMIT",
    "AckHook",
    "MarketPublisher",
    "PublisherFull",
    "PublisherMetrics",
]
