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
from collections.abc import Mapping
from dataclasses import dataclass, field
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


class MarketPublisher:
    """One idempotent producer for every market topic."""

    def __init__(
        self,
        kafka: KafkaSettings,
        codec: AvroCodec,
        schema_ids: Mapping[str, int],
        *,
        max_in_flight: int = 20_000,
        linger_ms: int = 10,
        max_batch_size: int = 256 * 1024,
    ) -> None:
        self._kafka = kafka
        self._codec = codec
        self._ids = dict(schema_ids)
        self._slots = asyncio.Semaphore(max_in_flight)
        self._linger_ms = linger_ms
        self._max_batch_size = max_batch_size
        self._producer: AIOKafkaProducer | None = None
        self._pending: set[asyncio.Future[Any]] = set()
        self.metrics = PublisherMetrics()

    async def __aenter__(self) -> MarketPublisher:
        self._producer = AIOKafkaProducer(
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
        try:
            value = self._codec.encode(self._ids[spec.value_subject], item.record)
        except CodecError as exc:
            self.metrics.unencodable[spec.event_type] += 1
            logger.error(
                "unencodable %s record symbol=%s: %s",
                spec.event_type,
                item.record.get("streamer_symbol"),
                exc,
            )
            return
        await self._slots.acquire()
        self.metrics.in_flight += 1
        try:
            future = await producer.send(spec.name, value, key=item.key)
        except Exception:
            self._release(spec.event_type, ok=False)
            raise
        self.metrics.sent[spec.event_type] += 1
        self._pending.add(future)
        future.add_done_callback(lambda f, et=spec.event_type: self._done(f, et))

    def _done(self, future: asyncio.Future[Any], event_type: str) -> None:
        self._pending.discard(future)
        ok = not future.cancelled() and future.exception() is None
        if not ok:
            exc = None if future.cancelled() else future.exception()
            logger.error("publish of %s failed: %r", event_type, exc)
        self._release(event_type, ok=ok)

    def _release(self, event_type: str, *, ok: bool) -> None:
        (self.metrics.acked if ok else self.metrics.failed)[event_type] += 1
        self.metrics.in_flight -= 1
        self._slots.release()

    async def flush(self) -> None:
        if self._producer is not None:
            await self._producer.flush()
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)


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


__all__ = ["MarketPublisher", "PublisherMetrics", "ensure_topics"]
