"""Publishing normalized market events to Kafka: Avro (Confluent wire format), acks=all,
idempotent, lz4, batched — with bounded in-flight records and counted outcomes.

``publish`` awaits when too many records are in flight (backpressure reaches the DXLink reader,
whose own bounded queue then applies its documented overflow policy); nothing is dropped here:
every record ends as *acked* or *failed*, and failures are counted and logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from ingest.normalize import Normalized
from schemas.codec import AvroCodec
from schemas.errors import CodecError
from schemas.topics import MARKET_TOPICS, TopicSpec
from tastystream.settings import KafkaSettings

logger = logging.getLogger(__name__)


@dataclass
class PublisherMetrics:
    sent: Counter[str] = field(default_factory=Counter)
    acked: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    unencodable: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0


#: Called once per acked record with its event type, ``ts_event`` and ``ts_ingest`` (epoch µs),
#: right when the ack arrives: what latency probes need, without touching the producer.
AckHook = Callable[[str, int, int], None]


class MarketPublisher:
    """One idempotent producer for every market topic.

    At most ``max_in_flight`` records are sent and not yet acked or failed: ``publish`` waits
    (on one event, only while full) until the broker acks some. Each record's outcome is
    counted in :attr:`metrics` by a done callback bound once per event type. ``on_ack``, when
    given, is called with ``(event_type, ts_event_us, ts_ingest_us)`` for every acked record.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        codec: AvroCodec,
        schema_ids: Mapping[str, int],
        *,
        max_in_flight: int = 20_000,
        linger_ms: int = 10,
        max_batch_size: int = 256 * 1024,
        on_ack: AckHook | None = None,
        producer_factory: Callable[..., AIOKafkaProducer] = AIOKafkaProducer,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be >= 1")
        self._kafka = kafka
        self._codec = codec
        self._ids = dict(schema_ids)
        self._max_in_flight = max_in_flight
        self._linger_ms = linger_ms
        self._max_batch_size = max_batch_size
        self._on_ack = on_ack
        self._factory = producer_factory
        self._producer: AIOKafkaProducer | None = None
        self._slot_free = asyncio.Event()  # set by a release while publish waits for a slot
        self._waiting = False
        self._idle = asyncio.Event()  # nothing in flight
        self._idle.set()
        self._callbacks: dict[str, Callable[[asyncio.Future[Any]], object]] = {}
        self.metrics = PublisherMetrics()

    async def __aenter__(self) -> MarketPublisher:
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
        await self.flush()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        logger.info(
            "market publisher stopped acked=%d failed=%d",
            sum(self.metrics.acked.values()),
            sum(self.metrics.failed.values()),
        )

    async def publish(self, item: Normalized) -> None:
        producer = self._producer
        if producer is None:
            raise RuntimeError("publisher is not running")
        spec = item.spec
        event_type = spec.event_type
        try:
            value = self._codec.encode(self._ids[spec.value_subject], item.record)
        except CodecError as exc:
            self.metrics.unencodable[event_type] += 1
            logger.error(
                "unencodable %s record symbol=%s: %s",
                event_type,
                item.record.get("streamer_symbol"),
                exc,
            )
            return
        metrics = self.metrics
        while metrics.in_flight >= self._max_in_flight:
            self._waiting = True
            self._slot_free.clear()
            await self._slot_free.wait()
        if not metrics.in_flight:
            self._idle.clear()
        metrics.in_flight += 1
        try:
            future = await producer.send(spec.name, value, key=item.key)
        except BaseException:
            self._release(event_type, ok=False)
            raise
        metrics.sent[event_type] += 1
        if self._on_ack is None:
            callback = self._callbacks.get(event_type)
            if callback is None:
                callback = self._callbacks[event_type] = partial(self._done, event_type)
            future.add_done_callback(callback)
        else:
            record = item.record
            future.add_done_callback(
                partial(self._done_hooked, event_type, record["ts_event"], record["ts_ingest"])
            )

    def _done(self, event_type: str, future: asyncio.Future[Any]) -> bool:
        ok = not future.cancelled() and future.exception() is None
        if not ok:
            exc = None if future.cancelled() else future.exception()
            logger.error("publish of %s failed: %r", event_type, exc)
        self._release(event_type, ok=ok)
        return ok

    def _done_hooked(
        self, event_type: str, ts_event_us: int, ts_ingest_us: int, future: asyncio.Future[Any]
    ) -> None:
        if self._done(event_type, future) and self._on_ack is not None:
            self._on_ack(event_type, ts_event_us, ts_ingest_us)

    def _release(self, event_type: str, *, ok: bool) -> None:
        metrics = self.metrics
        (metrics.acked if ok else metrics.failed)[event_type] += 1
        metrics.in_flight -= 1
        if self._waiting:
            self._waiting = False
            self._slot_free.set()
        if not metrics.in_flight:
            self._idle.set()

    async def flush(self) -> None:
        """Send everything batched and wait until every record is acked or failed."""
        if self._producer is not None:
            await self._producer.flush()
        await self._idle.wait()


async def ensure_topics(
    kafka: KafkaSettings, specs: Mapping[str, TopicSpec] = MARKET_TOPICS
) -> list[str]:
    """Create the market topics and their dead-letter topics if missing; returns the created ones."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=kafka.bootstrap, client_id=f"{kafka.client_id}-admin"
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted: list[NewTopic] = []
        for spec in specs.values():
            if spec.name not in existing:
                wanted.append(
                    NewTopic(spec.name, spec.partitions, 1, topic_configs=spec.topic_config())
                )
            if spec.dlq not in existing:
                wanted.append(
                    NewTopic(spec.dlq, 1, 1, topic_configs={"retention.ms": str(30 * 86_400_000)})
                )
        created: list[str] = []
        for topic in wanted:
            try:
                await admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass
        if created:
            logger.info("created topics %s", ", ".join(created))
        return created
    finally:
        await admin.close()


__all__ = ["AckHook", "MarketPublisher", "PublisherMetrics", "ensure_topics"]
