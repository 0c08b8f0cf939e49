"""The local Kafka is real Kafka: idempotence, transactions, compaction, exact end offsets."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support import eventually, unique


async def _create(
    bootstrap: str, name: str, partitions: int = 1, config: dict[str, str] | None = None
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=config or {})])
    finally:
        await admin.close()


async def _read_all(
    bootstrap: str, topic: str, isolation: str, partitions: int = 1
) -> list[tuple[bytes | None, bytes | None]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, isolation_level=isolation, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        out: list[tuple[bytes | None, bytes | None]] = []
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                out.extend((r.key, r.value) for r in records)
            if not batch:
                break
        return out
    finally:
        await consumer.stop()


async def test_idempotent_producer_and_exact_end_offsets(kafka_bootstrap: str) -> None:
    topic = unique("idem")
    await _create(kafka_bootstrap, topic, partitions=3)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        enable_idempotence=True,
        acks="all",
        compression_type="lz4",
        linger_ms=5,
    )
    await producer.start()
    try:
        sent = {0: 0, 1: 0, 2: 0}
        for i in range(3000):
            partition = i % 3
            await producer.send(topic, f"v{i}".encode(), key=f"k{i}".encode(), partition=partition)
            sent[partition] += 1
        await producer.flush()
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(3)]
        end = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    assert {tp.partition: off for tp, off in end.items()} == sent
    records = await _read_all(kafka_bootstrap, topic, "read_uncommitted", partitions=3)
    assert len(records) == 3000
    assert len({v for _, v in records}) == 3000


async def test_transactions_commit_and_abort_under_read_committed(kafka_bootstrap: str) -> None:
    topic = unique("tx")
    await _create(kafka_bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, transactional_id=unique("txid"))
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(topic, b"committed-1")
            await producer.send_and_wait(topic, b"committed-2")
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"aborted")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send_and_wait(topic, b"committed-3")
    finally:
        await producer.stop()
    committed = [v for _, v in await _read_all(kafka_bootstrap, topic, "read_committed")]
    everything = [v for _, v in await _read_all(kafka_bootstrap, topic, "read_uncommitted")]
    assert committed == [b"committed-1", b"committed-2", b"committed-3"]
    assert b"aborted" in everything


async def test_compacted_topic_compacts(kafka_bootstrap: str) -> None:
    topic = unique("compact")
    await _create(
        kafka_bootstrap,
        topic,
        config={
            "cleanup.policy": "compact",
            "segment.ms": "100",
            "min.cleanable.dirty.ratio": "0.01",
            "delete.retention.ms": "100",
            "min.compaction.lag.ms": "0",
        },
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for round_ in range(50):
            for key in range(5):
                await producer.send(topic, f"{key}:{round_}".encode(), key=f"k{key}".encode())
        await producer.flush()

        async def compacted() -> list[tuple[bytes | None, bytes | None]] | None:
            # a fresh record rolls the active segment so the cleaner can work on the old ones
            await producer.send_and_wait(topic, b"roll", key=b"roller")
            records = await _read_all(kafka_bootstrap, topic, "read_uncommitted")
            real = [r for r in records if r[0] != b"roller"]
            return real if len(real) < 250 else None

        remaining = await eventually(compacted, timeout=90, interval=1.0, message="no compaction")
    finally:
        await producer.stop()
    assert remaining is not None
    latest = dict(remaining)
    assert latest == {f"k{k}".encode(): f"{k}:49".encode() for k in range(5)}
    assert len(remaining) < 250
