"""A record too large to dead-letter whole still gets a letter; a size refusal is never
retried as if Kafka were down (issue 9 part 2: a ~1 MB record wedged the sink forever)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
)

from schemas import DLQ_SCHEMA_FILE, MARKET_TOPICS, AvroCodec, BadMagicByte, load_schema
from sinks.dlq import (
    MAX_LETTER_PAYLOAD,
    PREFIX_BYTES,
    DeadLetterPublisher,
    DeadLetterRejected,
    DeadLetterUnavailable,
    dead_letter_record,
)
from tests.unit.sinks.raw import Raw

TOPIC = MARKET_TOPICS["Trade"].name
PRODUCER_LIMIT = 1024 * 1024


def test_an_oversized_record_leaves_a_bounded_letter_with_size_and_digest() -> None:
    value = b"\x07" + bytes(range(256)) * 4096 + b"tail"  # ~1 MiB of garbage
    raw = Raw(TOPIC, 2, 77, value, b"K" * 100_000)
    letter = dead_letter_record(raw, BadMagicByte("magic byte 7 is not 0"), consumer="g")
    record = letter.record
    assert record["truncated"] is True
    assert record["value"] == value[:PREFIX_BYTES]
    assert record["key"] == b"K" * PREFIX_BYTES
    assert record["value_size"] == len(value)
    assert record["value_sha256"] == hashlib.sha256(value).hexdigest()
    assert (record["topic"], record["partition"], record["offset"]) == (TOPIC, 2, 77)
    codec = AvroCodec()
    codec.add(1, load_schema(DLQ_SCHEMA_FILE))
    encoded = codec.encode(1, record)
    assert len(encoded) < PRODUCER_LIMIT // 4
    assert codec.decode(encoded).record == record


def test_a_letter_just_under_the_bound_is_kept_whole() -> None:
    value = b"\x07" * (MAX_LETTER_PAYLOAD - 1)
    letter = dead_letter_record(Raw(TOPIC, 0, 1, value, None), BadMagicByte("x"), consumer="g")
    assert letter.record["truncated"] is False
    assert letter.record["value"] == value


class FakeRegistry:
    async def register(self, subject: str, schema: Any) -> int:
        return 5


class Future:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error

    def __await__(self) -> Any:
        return self._wait().__await__()

    async def _wait(self) -> None:
        if self.error is not None:
            raise self.error


class FakeProducer:
    """Refuses values over ``limit`` (at send, like aiokafka) or with a broker ``error``."""

    def __init__(self, limit: int = PRODUCER_LIMIT, broker_error: BaseException | None = None):
        self.limit = limit
        self.broker_error = broker_error
        self.sent: list[tuple[str, bytes, bytes | None]] = []

    async def send(self, topic: str, value: bytes, key: bytes | None) -> Future:
        if len(value) + len(key or b"") > self.limit:
            raise MessageSizeTooLargeError("too large")
        self.sent.append((topic, value, key))
        error, self.broker_error = self.broker_error, None
        return Future(error)


def _letter(size: int) -> Any:
    return dead_letter_record(Raw(TOPIC, 0, 9, b"\x07" * size), BadMagicByte("x"), consumer="g")


async def test_a_size_refusal_sends_a_bare_letter_instead() -> None:
    producer = FakeProducer(limit=1000)
    await DeadLetterPublisher(producer, FakeRegistry()).publish([_letter(5000)])  # type: ignore[arg-type]
    [(topic, value, key)] = producer.sent
    assert topic == f"{TOPIC}.dlq"
    assert key is None
    codec = AvroCodec()
    codec.add(5, load_schema(DLQ_SCHEMA_FILE))
    record = codec.decode(value).record
    assert record["value"] is None
    assert record["truncated"] is True
    assert record["value_size"] == 5000
    assert record["offset"] == 9


async def test_a_broker_size_refusal_also_sends_a_bare_letter() -> None:
    producer = FakeProducer(broker_error=RecordTooLargeError("broker says no"))
    await DeadLetterPublisher(producer, FakeRegistry()).publish([_letter(50)])  # type: ignore[arg-type]
    assert len(producer.sent) == 2  # the refused letter, then the bare one


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (KafkaConnectionError("gone"), DeadLetterUnavailable),
        (TopicAuthorizationFailedError(), DeadLetterRejected),
    ],
)
async def test_produce_failures_are_classified_by_kafka(
    error: BaseException, expected: type[DeadLetterRejected | DeadLetterUnavailable]
) -> None:
    producer = FakeProducer(broker_error=error)
    with pytest.raises(expected) as caught:
        await DeadLetterPublisher(producer, FakeRegistry()).publish([_letter(50)])  # type: ignore[arg-type]
    assert caught.value.retriable is (expected is DeadLetterUnavailable)


async def test_a_letter_too_large_even_bare_is_rejected_not_retried() -> None:
    producer = FakeProducer(limit=10)
    with pytest.raises(DeadLetterRejected):
        await DeadLetterPublisher(producer, FakeRegistry()).publish([_letter(50)])  # type: ignore[arg-type]
