"""MarketPublisher against a fake producer: bounded in-flight, counted outcomes, ack hook."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, cast

import pytest

from ingest.normalize import Normalized
from ingest.publisher import MarketPublisher
from schemas.errors import CodecError
from schemas.topics import MARKET_TOPICS
from tastystream.settings import KafkaSettings
from tests.support import eventually

pytestmark = pytest.mark.timeout(30)  # a lost outcome would hang flush: fail fast instead


class FakeProducer:
    """Records sends; each send returns a future the test resolves (the broker's ack)."""

    def __init__(self, **config: Any) -> None:
        self.config = config
        self.sent: list[tuple[str, bytes, bytes | None]] = []
        self.futures: list[asyncio.Future[Any]] = []
        self.fail_next_send: BaseException | None = None
        self.started = self.stopped = False
        self.flushes = 0

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def flush(self) -> None:
        self.flushes += 1

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> Any:
        if self.fail_next_send is not None:
            exc, self.fail_next_send = self.fail_next_send, None
            raise exc
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.sent.append((topic, value, key))
        self.futures.append(future)
        return future


class FakeCodec:
    def encode(self, schema_id: int, record: Mapping[str, Any]) -> bytes:
        if record.get("bad"):
            raise CodecError("does not encode")
        return b"\x00" + schema_id.to_bytes(4, "big") + str(record["ts_event"]).encode()


def _item(event_type: str = "Quote", ts: int = 1, *, bad: bool = False) -> Normalized:
    spec = MARKET_TOPICS[event_type]
    record = {"ts_event": ts, "ts_ingest": ts + 5, "streamer_symbol": "SPY", "bad": bad}
    return Normalized(spec, b"SPY", record)


def _publisher(producers: list[FakeProducer], **kwargs: Any) -> MarketPublisher:
    def factory(**config: Any) -> FakeProducer:
        producer = FakeProducer(**config)
        producers.append(producer)
        return producer

    ids = {spec.value_subject: n for n, spec in enumerate(MARKET_TOPICS.values(), 1)}
    return MarketPublisher(
        KafkaSettings(bootstrap="127.0.0.1:1", client_id="t"),
        cast(Any, FakeCodec()),
        ids,
        producer_factory=cast(Any, factory),
        **kwargs,
    )


async def _true(value: bool) -> bool:
    return value


async def _settle() -> None:
    """Let every ready task run (to show that something did *not* happen)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_in_flight_is_bounded_and_outcomes_are_counted() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers, max_in_flight=3) as publisher:
        producer = producers[0]
        assert producer.config["acks"] == "all"
        assert producer.config["enable_idempotence"]
        for ts in range(3):
            await publisher.publish(_item(ts=ts))
        assert publisher.metrics.in_flight == 3
        fourth = asyncio.create_task(publisher.publish(_item("Trade", ts=3)))
        await _settle()
        assert not fourth.done()
        assert len(producer.sent) == 3
        producer.futures[0].set_result(None)
        await asyncio.wait_for(fourth, 5)
        assert len(producer.sent) == 4
        assert producer.sent[3][0] == MARKET_TOPICS["Trade"].name
        producer.futures[1].set_exception(RuntimeError("broker said no"))
        producer.futures[2].cancel()
        producer.futures[3].set_result(None)
        await eventually(lambda: _true(publisher.metrics.in_flight == 0), timeout=5)
        assert publisher.metrics.sent == {"Quote": 3, "Trade": 1}
        assert publisher.metrics.acked == {"Quote": 1, "Trade": 1}
        assert publisher.metrics.failed == {"Quote": 2}
    assert producer.stopped
    assert producer.flushes >= 1


async def test_flush_waits_for_every_outcome() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers) as publisher:
        await publisher.publish(_item(ts=1))
        await publisher.publish(_item(ts=2))
        flush = asyncio.create_task(publisher.flush())
        await _settle()
        assert not flush.done()
        producers[0].futures[0].set_result(None)
        await _settle()
        assert not flush.done()
        producers[0].futures[1].set_exception(RuntimeError("timeout"))
        await asyncio.wait_for(flush, 5)
        assert sum(publisher.metrics.acked.values()) == 1
        assert sum(publisher.metrics.failed.values()) == 1


async def test_a_failing_or_cancelled_send_releases_its_slot() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers, max_in_flight=1) as publisher:
        producers[0].fail_next_send = RuntimeError("closed")
        with pytest.raises(RuntimeError):
            await publisher.publish(_item())
        assert publisher.metrics.in_flight == 0
        producers[0].fail_next_send = asyncio.CancelledError()
        with pytest.raises(asyncio.CancelledError):
            await publisher.publish(_item())
        assert publisher.metrics.in_flight == 0
        assert publisher.metrics.failed == {"Quote": 2}
        await publisher.publish(_item())  # the slot is free again
        producers[0].futures[0].set_result(None)


async def test_unencodable_records_are_counted_not_sent() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers) as publisher:
        await publisher.publish(_item("Greeks", bad=True))
        assert publisher.metrics.unencodable == {"Greeks": 1}
        assert producers[0].sent == []
        assert publisher.metrics.in_flight == 0


async def test_the_ack_hook_sees_each_acked_record_once() -> None:
    producers: list[FakeProducer] = []
    acks: list[tuple[str, int, int]] = []
    async with _publisher(producers, on_ack=lambda *a: acks.append(a)) as publisher:
        await publisher.publish(_item("Quote", ts=100))
        await publisher.publish(_item("Trade", ts=200))
        await publisher.publish(_item("Quote", ts=300))
        producers[0].futures[0].set_result(None)
        producers[0].futures[1].set_exception(RuntimeError("no"))
        producers[0].futures[2].set_result(None)
    assert acks == [("Quote", 100, 105), ("Quote", 300, 305)]
    assert publisher.metrics.acked == {"Quote": 2}


async def test_publish_needs_a_running_publisher() -> None:
    publisher = _publisher([])
    with pytest.raises(RuntimeError):
        await publisher.publish(_item())
    with pytest.raises(ValueError):
        _publisher([], max_in_flight=0)
