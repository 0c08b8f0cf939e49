"""Kafka baselines: read back what the ingestor wrote, and produce the very same bytes with a plain
aiokafka producer (the publisher's settings) per record or on its batch API, or with
confluent-kafka (librdkafka)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.partitioner import DefaultPartitioner

from bench.harness.system import cpu_seconds


async def read_back(
    bootstrap: str, topics: dict[str, int], limit: int
) -> list[tuple[str, bytes | None, bytes]]:
    """Up to ``limit`` (topic, key, value) records exactly as the ingestor wrote them."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t, n in topics.items() for p in range(n)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        total = sum(ends.values())
        out: list[tuple[str, bytes | None, bytes]] = []
        while len(out) < min(limit, total):
            batch = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            if not batch:
                break
            for tp, records in batch.items():
                out.extend((tp.topic, r.key, r.value) for r in records if r.value is not None)
        return out[:limit]
    finally:
        await consumer.stop()


def raw_producer(bootstrap: str, *, linger_ms: int = 10) -> AIOKafkaProducer:
    """A plain aiokafka producer with the publisher's settings (acks=all, idempotent, lz4,
    256 KiB batches): the baseline side of every raw figure."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        compression_type="lz4",
        linger_ms=linger_ms,
        max_batch_size=256 * 1024,
    )


async def raw_produce_rate(
    bootstrap: str, records: list[tuple[str, bytes | None, bytes]]
) -> tuple[float, float]:
    """Events/s and CPU µs per event of a plain aiokafka producer (the publisher's settings)
    sending ``records``."""
    producer = raw_producer(bootstrap)
    await producer.start()
    slots = asyncio.Semaphore(20_000)
    try:
        started, cpu0 = time.perf_counter(), cpu_seconds()
        futures = []
        for topic, key, value in records:
            await slots.acquire()
            future = await producer.send(topic, value, key=key)
            future.add_done_callback(lambda _f: slots.release())
            futures.append(future)
        await asyncio.gather(*futures)
        n = max(1, len(records))
        return n / (time.perf_counter() - started), (cpu_seconds() - cpu0) / n * 1e6
    finally:
        await producer.stop()


async def raw_batch_produce_rate(
    bootstrap: str, records: list[tuple[str, bytes | None, bytes]]
) -> tuple[float, float]:
    """The same as :func:`raw_produce_rate` on aiokafka's batch API, as well as it can be used:
    one ``BatchBuilder`` per (topic, partition), the key's partition from the default
    partitioner (memoized per key), ``send_batch`` when a builder is full, the rest at the end.
    The best aiokafka can do with these bytes: the baseline of the publisher's own batching."""
    producer = raw_producer(bootstrap)
    await producer.start()
    try:
        partitioner = DefaultPartitioner()
        partitions = {
            topic: sorted(await producer.partitions_for(topic)) for topic in {r[0] for r in records}
        }
        memo: dict[tuple[str, bytes | None], int] = {}
        builders: dict[tuple[str, int], Any] = {}
        futures: list[asyncio.Future[Any]] = []
        started, cpu0 = time.perf_counter(), cpu_seconds()
        for topic, key, value in records:
            partition = memo.get((topic, key))
            if partition is None:
                every = partitions[topic]
                partition = memo[(topic, key)] = partitioner(key, every, every)
            builder = builders.get((topic, partition))
            if builder is None:
                builder = builders[(topic, partition)] = producer.create_batch()
            if builder.append(key=key, value=value, timestamp=None) is None:
                builder.close()
                futures.append(await producer.send_batch(builder, topic, partition=partition))
                builder = builders[(topic, partition)] = producer.create_batch()
                builder.append(key=key, value=value, timestamp=None)
        for (topic, partition), builder in builders.items():
            builder.close()
            futures.append(await producer.send_batch(builder, topic, partition=partition))
        await asyncio.gather(*futures)
        n = max(1, len(records))
        return n / (time.perf_counter() - started), (cpu_seconds() - cpu0) / n * 1e6
    finally:
        await producer.stop()


def confluent_produce_rate(
    bootstrap: str, records: list[tuple[str, bytes | None, bytes]]
) -> tuple[float, float]:
    """The same as :func:`raw_produce_rate` with confluent-kafka (librdkafka, C): what the
    producer side could cost. CPU counts every thread of this process (librdkafka's too)."""
    from confluent_kafka import KafkaException, Producer

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "compression.type": "lz4",
            "linger.ms": 10,
            "batch.size": 256 * 1024,
            "queue.buffering.max.messages": 100_000,
        }
    )
    failed: list[object] = []

    def delivered(err: object, _msg: object) -> None:
        if err is not None:
            failed.append(err)

    started, cpu0 = time.perf_counter(), cpu_seconds()
    for topic, key, value in records:
        while True:
            try:
                producer.produce(topic, value, key, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    if producer.flush(60) or failed:
        raise KafkaException(f"confluent-kafka baseline: {len(failed)} failed deliveries")
    n = max(1, len(records))
    return n / (time.perf_counter() - started), (cpu_seconds() - cpu0) / n * 1e6


async def raw_latency(
    bootstrap: str, records: list[tuple[str, bytes | None, bytes]], rate: float, seconds: float
) -> tuple[list[float], list[float]]:
    """Send → ack and send → consumed (ms) of a plain aiokafka producer at ``rate``."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 6, 1)])
    finally:
        await admin.close()
    producer = raw_producer(bootstrap)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await producer.start()
    await consumer.start()
    acks: list[float] = []
    consumed: list[float] = []

    async def consume() -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=100)
            now_ms = time.time() * 1000
            consumed.extend(now_ms - r.timestamp for rs in batch.values() for r in rs)

    def acked(sent_at: float) -> Callable[[asyncio.Future[Any]], None]:
        return lambda _f: acks.append((time.perf_counter() - sent_at) * 1000)

    reader = asyncio.create_task(consume())
    try:
        await asyncio.sleep(1.0)  # the consumer has its assignment
        total = int(rate * seconds)
        started = time.perf_counter()
        futures = []
        for i in range(total):
            _topic, key, value = records[i % len(records)]
            future = await producer.send(topic, value, key=key)
            future.add_done_callback(acked(time.perf_counter()))
            futures.append(future)
            if i % 50 == 49:
                delay = started + (i + 1) / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
        await asyncio.gather(*futures)
        for _ in range(200):  # ≤ 10 s for the consumer to see the tail
            if len(consumed) >= total:
                break
            await asyncio.sleep(0.05)
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await consumer.stop()
        await producer.stop()
    return acks, consumed


class _PassThrough:
    """A codec for records that are already encoded: the publisher alone is measured."""

    def encode(self, schema_id: int, record: dict[str, Any]) -> bytes:
        value: bytes = record["value"]
        return value


async def publisher_latency(
    bootstrap: str, records: list[tuple[str, bytes | None, bytes]], rate: float, seconds: float
) -> list[float]:
    """Publish → ack (ms) of the production ``MarketPublisher`` (default settings) alone: the
    same bytes, at ``rate``, paced like :func:`raw_latency` — its figure to compare with."""
    from ingest.normalize import Normalized
    from ingest.publisher import MarketPublisher
    from schemas.topics import market_spec_for_topic
    from tastystream.settings import KafkaSettings

    acks: list[float] = []

    def acked(_event_type: str, _ts_event_us: int, sent_ns: int) -> None:
        acks.append((time.perf_counter_ns() - sent_ns) / 1e6)

    specs = {topic: market_spec_for_topic(topic) for topic in {r[0] for r in records}}
    ids = {spec.value_subject: n for n, spec in enumerate(specs.values(), 1)}
    publisher = MarketPublisher(
        KafkaSettings(bootstrap=bootstrap, client_id="bench-publisher"),
        cast(Any, _PassThrough()),
        ids,
        on_ack=acked,
    )
    async with publisher:
        total = int(rate * seconds)
        started = time.perf_counter()
        for i in range(total):
            topic, key, value = records[i % len(records)]
            record = {"value": value, "ts_event": 0, "ts_ingest": time.perf_counter_ns()}
            await publisher.publish(Normalized(specs[topic], key or b"", record))
            if i % 50 == 49:
                delay = started + (i + 1) / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
        await publisher.flush()
    return acks


__all__ = [
    "confluent_produce_rate",
    "publisher_latency",
    "raw_batch_produce_rate",
    "raw_latency",
    "raw_produce_rate",
    "read_back",
]
