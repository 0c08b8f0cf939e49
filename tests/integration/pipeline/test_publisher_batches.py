"""MarketPublisher against the real broker: our ``send_batch`` batches are idempotent (producer
id and contiguous sequence numbers on every batch), land exactly once at exact offsets, keep
each key's order, and put every key on the partition the default (Java) partitioner picks."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.protocol.fetch import FetchRequest
from aiokafka.record.memory_records import MemoryRecords

from ingest.normalize import Normalized
from ingest.publisher import MarketPublisher
from schemas.topics import TopicSpec
from tastystream.settings import KafkaSettings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PARTITIONS = 4
KEYS = [f"SYM{n}".encode() for n in range(37)]
RECORDS = 6_000
MAX_BYTES = 32 * 1024 * 1024


class PassThrough:
    """The record's ``value`` as is: this test is about the producer side, not Avro."""

    def encode(self, schema_id: int, record: Mapping[str, Any]) -> bytes:
        return cast(bytes, record["value"])


async def _read_back(bootstrap: str, topic: str) -> dict[int, list[tuple[int, bytes, bytes]]]:
    """Every record per partition as (offset, key, value)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        out: dict[int, list[tuple[int, bytes, bytes]]] = defaultdict(list)
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            if not batch:
                break
            for tp, records in batch.items():
                for r in records:
                    assert r.key is not None
                    assert r.value is not None
                    out[tp.partition].append((r.offset, r.key, r.value))
        return out
    finally:
        await consumer.stop()


async def _raw_batches(bootstrap: str, topic: str) -> dict[int, list[tuple[int, int, int, int]]]:
    """The record batches as stored by the broker, per partition:
    (base_offset, producer_id, base_sequence, record count) — what idempotence is made of."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    await client.bootstrap()
    try:
        await client._wait_on_metadata(topic)
        out: dict[int, list[tuple[int, int, int, int]]] = {}
        for partition in range(PARTITIONS):
            leader = client.cluster.leader_for_partition(TopicPartition(topic, partition))
            batches: list[tuple[int, int, int, int]] = []
            offset = 0
            while True:
                request = FetchRequest(
                    100, 1, MAX_BYTES, 0, [(topic, [(partition, offset, MAX_BYTES)])]
                )
                response = await client.send(leader, request)
                data = response.topics[0][1][0]
                assert data[1] == 0, f"fetch error {data[1]}"
                records = MemoryRecords(bytes(data[-1]))
                got = 0
                while (batch := records.next_batch()) is not None:
                    count = sum(1 for _ in batch)
                    info = (batch.base_offset, batch.producer_id, batch.base_sequence, count)
                    batches.append(info)
                    offset = batch.base_offset + count
                    got += 1
                if not got:
                    break
            out[partition] = batches
        return out
    finally:
        await client.close()


async def test_batches_land_exactly_once_in_order_on_the_default_partition(
    kafka_bootstrap: str,
) -> None:
    stem = f"pub_{uuid.uuid4().hex[:10]}"
    spec = TopicSpec("Quote", stem, "quotes", PARTITIONS, 86_400_000)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(spec.name, PARTITIONS, 1)])
    finally:
        await admin.close()

    producers: list[AIOKafkaProducer] = []

    def factory(**config: Any) -> AIOKafkaProducer:
        producers.append(AIOKafkaProducer(**config))
        return producers[-1]

    acks: list[tuple[str, int, int]] = []
    publisher = MarketPublisher(
        KafkaSettings(bootstrap=kafka_bootstrap, client_id="pubtest"),
        cast(Any, PassThrough()),
        {spec.value_subject: 1},
        max_in_flight=700,  # much smaller than RECORDS: publish waits for acks many times
        linger_ms=2,
        max_batch_size=4 * 1024,  # many batches per partition
        on_ack=lambda *a: acks.append(a),
        producer_factory=factory,
    )
    sent_per_key: Counter[bytes] = Counter()
    async with publisher:
        for n in range(RECORDS):
            key = KEYS[(n * 7 + n // 11) % len(KEYS)]
            seq = sent_per_key[key]
            sent_per_key[key] += 1
            value = key + b":" + str(seq).encode() + b":" + b"x" * (n % 50)
            record = {"ts_event": n, "ts_ingest": n + 1, "value": value}
            await publisher.publish(Normalized(spec, key, record))
        await publisher.flush()
        assert publisher.metrics.acked == {"Quote": RECORDS}
        assert publisher.metrics.failed == {}
        assert publisher.metrics.in_flight == 0
    assert producers[0]._closed
    assert sorted(a[1] for a in acks) == list(range(RECORDS))
    assert all(ingest == event + 1 for _, event, ingest in acks)

    everything = list(range(PARTITIONS))
    expected = {k: DefaultPartitioner()(k, everything, everything) for k in KEYS}
    per_partition = Counter(dict.fromkeys(everything, 0))
    for key, count in sent_per_key.items():
        per_partition[expected[key]] += count

    stored = await _read_back(kafka_bootstrap, spec.name)
    values = [v for records in stored.values() for _, _, v in records]
    assert len(values) == RECORDS
    assert len(set(values)) == RECORDS  # no duplicates
    for partition, records in stored.items():
        # exact offsets: 0..n-1, one record each, as many as the partitioner sent there
        assert [offset for offset, _, _ in records] == list(range(per_partition[partition]))
        seen: dict[bytes, list[int]] = defaultdict(list)
        for _, key, value in records:
            assert expected[key] == partition
            seen[key].append(int(value.split(b":")[1]))
        for key, seqs in seen.items():
            assert seqs == list(range(sent_per_key[key]))  # each key's order kept

    batches = await _raw_batches(kafka_bootstrap, spec.name)
    producer_ids = {pid for infos in batches.values() for _, pid, _, _ in infos}
    assert len(producer_ids) == 1
    assert producer_ids.pop() >= 0  # an idempotent producer's id, not -1
    for partition, infos in batches.items():
        assert len(infos) > 1
        sequence = 0
        for base_offset, _pid, base_sequence, count in infos:
            # one producer from offset 0: each batch's sequence continues the one before
            assert base_sequence == sequence == base_offset
            sequence += count
        assert sequence == per_partition[partition]
