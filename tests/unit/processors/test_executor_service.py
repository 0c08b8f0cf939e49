"""The executor's consume loop with fake Kafka clients: results before commits, DLQ, order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition

from processors.execution import OrderExecutor
from processors.executor import ExecutorService, ExecutorTopics
from processors.records import command_record
from schemas.codec import AvroCodec
from schemas.registry import subjects_of
from tastystream.settings import KafkaSettings
from tests.unit.processors.fake_broker import ACCOUNT, FakeBroker, rest_over
from tests.unit.processors.test_execution import _limit

TOPICS = ExecutorTopics("p.")
SPECS = [TOPICS.approved_spec, TOPICS.result_spec]


def _codec() -> tuple[AvroCodec, dict[str, int]]:
    codec, ids = AvroCodec(), {}
    for schema_id, (subject, text) in enumerate(subjects_of(SPECS).items(), start=1):
        codec.add(schema_id, text)
        ids[subject] = schema_id
    return codec, ids


CODEC, IDS = _codec()


@dataclass
class FakeConsumer:
    batches: list[dict[TopicPartition, list[ConsumerRecord]]]
    stop_event: asyncio.Event
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def getmany(self, **_: Any) -> dict[TopicPartition, list[ConsumerRecord]]:
        if not self.batches:
            self.stop_event.set()
            return {}
        return self.batches.pop(0)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets)


@dataclass
class FakeProducer:
    sent: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    fail: bool = False

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        if self.fail:
            raise ConnectionError("broker gone")
        self.sent.append((topic, key, value))


def _message(offset: int, value: bytes, key: bytes = ACCOUNT.encode()) -> ConsumerRecord:
    return ConsumerRecord(
        TOPICS.approved, 0, offset, 1000, 0, key, value, None, len(key), len(value), []
    )


def _command(**fields: Any) -> bytes:
    record = command_record(
        ACCOUNT, "place", requester="t", created_at_us=1_800_000_000_000_000, **fields
    )
    return CODEC.encode(IDS[TOPICS.approved_spec.value_subject], record)


@pytest.fixture
async def executor() -> AsyncIterator[tuple[OrderExecutor, FakeBroker]]:
    broker = FakeBroker()
    async with rest_over(broker) as rest:
        yield OrderExecutor(rest.orders, source="t", clock=lambda: 1_800_000_000_000_000), broker


def _consumer(messages: list[ConsumerRecord]) -> FakeConsumer:
    return FakeConsumer([{TopicPartition(TOPICS.approved, 0): messages}], asyncio.Event())


async def _run(executor: OrderExecutor, consumer: FakeConsumer, producer: FakeProducer) -> None:
    service = ExecutorService(
        executor,
        kafka=KafkaSettings(),
        codec=CODEC,
        schema_ids=IDS,
        topics=TOPICS,
        group_id="g",
        accounts=frozenset({ACCOUNT}),
        consumer_factory=lambda *a, **k: consumer,
        producer_factory=lambda **k: producer,
    )
    await service.run(consumer.stop_event)


async def test_results_and_dead_letters_are_published_before_the_commit(
    executor: tuple[OrderExecutor, FakeBroker],
) -> None:
    order_executor, broker = executor
    producer = FakeProducer()
    messages = [
        _message(0, _command(order=_limit())),
        _message(1, b"junk"),
        _message(2, _command()),
    ]
    consumer = _consumer(messages)
    await _run(order_executor, consumer, producer)
    assert consumer.commits == [{TopicPartition(TOPICS.approved, 0): 3}]
    topics = [topic for topic, _, _ in producer.sent]
    assert topics == [TOPICS.result, TOPICS.dlq, TOPICS.result]
    statuses = [
        CODEC.decode(v).record.get("status") for t, _, v in producer.sent if t == TOPICS.result
    ]
    assert statuses == ["placed", "rejected"]
    assert len(broker.orders) == 1


async def test_nothing_is_committed_when_results_cannot_be_published(
    executor: tuple[OrderExecutor, FakeBroker],
) -> None:
    order_executor, _ = executor
    producer = FakeProducer(fail=True)
    consumer = _consumer([_message(0, _command(order=_limit()))])
    with pytest.raises(ExceptionGroup):
        await _run(order_executor, consumer, producer)
    assert consumer.commits == []
