"""Publishing account records to Kafka: Avro (Confluent wire format), acks=all, idempotent.

Account events are few (orders, fills, balances), so this is the plain producer path: each
record is encoded and handed to ``send`` in the order it was published (one producer, key =
account number, so one account's events stay in order on one partition); ``flush`` waits for
every ack. Items that cannot be encoded, and :class:`~ingest.account_records.Rejected` items,
go to the topic's dead-letter topic (``<topic>.dlq``, schema ``dead_letter.avsc``) with the
reason; nothing is dropped silently: every record ends counted as acked, failed or
dead-lettered, per topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer

from ingest.account_records import AccountRecord, Rejected
from schemas.codec import AvroCodec
from schemas.envelope import ts_ingest
from schemas.errors import CodecError
from tastystream.settings import KafkaSettings

logger = logging.getLogger(__name__)

CONSUMER_LABEL = "ingest.account"


@dataclass
class AccountPublisherMetrics:
    sent: Counter[str] = field(default_factory=Counter)
    acked: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)


class AccountPublisher:
    """One idempotent producer for the ``tt.acct.*`` topics and their dead-letter topics."""

    def __init__(
        self,
        kafka: KafkaSettings,
        codec: AvroCodec,
        schema_ids: Mapping[str, int],
        *,
        producer_factory: Callable[..., AIOKafkaProducer] = AIOKafkaProducer,
    ) -> None:
        self._kafka = kafka
        self._codec = codec
        self._ids = dict(schema_ids)
        self._factory = producer_factory
        self._producer: AIOKafkaProducer | None = None
        self._pending: set[asyncio.Future[Any]] = set()
        self.metrics = AccountPublisherMetrics()

    async def __aenter__(self) -> AccountPublisher:
        self._producer = self._factory(
            bootstrap_servers=self._kafka.bootstrap,
            client_id=f"{self._kafka.client_id}-account",
            acks="all",
            enable_idempotence=True,
            compression_type="lz4",
            linger_ms=5,
            request_timeout_ms=30_000,
        )
        await self._producer.start()
        logger.info("account publisher running bootstrap=%s", self._kafka.bootstrap)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.flush()
        finally:
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None
            logger.info(
                "account publisher stopped acked=%d failed=%d dead_letters=%d",
                sum(self.metrics.acked.values()),
                sum(self.metrics.failed.values()),
                sum(self.metrics.dead_letters.values()),
            )

    async def publish(self, item: AccountRecord | Rejected) -> None:
        """Encode and send ``item`` (a :class:`Rejected` one goes to the dead-letter topic)."""
        if isinstance(item, Rejected):
            await self.dead_letter(item)
            return
        spec = item.spec
        try:
            value = self._codec.encode(self._ids[spec.value_subject], item.record)
        except CodecError as exc:
            await self.dead_letter(
                Rejected(
                    spec, item.key, exc.message, type(exc).__name__, repr(item.record).encode()
                )
            )
            return
        await self._send(spec.name, item.key, value)

    async def dead_letter(self, item: Rejected) -> None:
        """Send ``item`` to ``<topic>.dlq`` with its reason (coordinates -1: never in Kafka)."""
        spec = item.spec
        logger.warning(
            "dead-lettering a %s record account=%s: %s", spec.stem, item.key.decode(), item.reason
        )
        record = {
            "topic": spec.name,
            "partition": -1,
            "offset": -1,
            "key": item.key,
            "value": item.raw,
            "reason": item.reason,
            "error_class": item.error_class,
            "ts": ts_ingest(),
            "ts_original": 0,
            "consumer": CONSUMER_LABEL,
        }
        value = self._codec.encode(self._ids[spec.dlq_subject], record)
        self.metrics.dead_letters[spec.dlq] += 1
        await self._send(spec.dlq, item.key, value)

    async def _send(self, topic: str, key: bytes, value: bytes) -> None:
        if self._producer is None:
            raise RuntimeError("account publisher is not running")
        self.metrics.sent[topic] += 1
        try:
            future = await self._producer.send(topic, value=value, key=key)
        except Exception as exc:
            self._done(topic, exc)
            return
        self._pending.add(future)
        future.add_done_callback(lambda f: self._settled(topic, f))

    def _settled(self, topic: str, future: asyncio.Future[Any]) -> None:
        self._pending.discard(future)
        if future.cancelled():
            self._done(topic, RuntimeError("cancelled"))
        else:
            self._done(topic, future.exception())

    def _done(self, topic: str, exc: BaseException | None) -> None:
        if exc is None:
            self.metrics.acked[topic] += 1
        else:
            self.metrics.failed[topic] += 1
            logger.error("publish to %s failed: %r", topic, exc)

    async def flush(self) -> None:
        """Wait until every record sent so far is acked or failed."""
        if self._producer is None:
            return
        await self._producer.flush()
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)


__all__ = ["CONSUMER_LABEL", "AccountPublisher", "AccountPublisherMetrics"]
