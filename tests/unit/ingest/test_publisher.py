"""MarketPublisher against a fake producer with aiokafka's real ``BatchBuilder``: batching by
size and by linger, default-partitioner routing, bounded in-flight, counted outcomes, ack hook."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, cast

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize import Normalized
from ingest.publisher import MarketPublisher, PublisherFull
from schemas.errors import CodecError
from schemas.topics import MARKET_TOPICS
from tastystream.settings import KafkaSettings
from tests.support import eventually

pytestmark = pytest.mark.timeout(30)  # a lost outcome would hang flush: fail fast instead

QUOTES = MARKET_TOPICS["Quote"].name
LONG = 60_000.0  # a linger that never expires within a test


class Sent:
    """One ``send_batch``: where it went, its records and the future the test resolves."""

    def __init__(self, topic: str, partition: int, batch: BatchBuilder) -> None:
        self.topic = topic
        self.partition = partition
        parsed = DefaultRecordBatch(bytes(batch._build()))
        self.records: list[tuple[bytes | None, bytes | None]] = [(r.key, r.value) for r in parsed]
        self.future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()


class FakeProducer:
    """create_batch / send_batch / partitions_for as aiokafka 0.14 has them; ``gate`` (when
    cleared) holds ``send_batch`` as aiokafka's ``add_batch`` does while the batch before is
    still queued."""

    def __init__(self, **config: Any) -> None:
        self.config = config
        self.batches: list[Sent] = []
        self.partitions: dict[str, set[int]] = {}
        self.fail_next_send: BaseException | None = None
        self.fail_metadata: BaseException | None = None
        self.gate = asyncio.Event()
        self.gate.set()
        self.waiting = 0  # send_batch calls held at the gate right now
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(self.config["max_batch_size"], 0)

    async def send_batch(self, batch: BatchBuilder, topic: str, *, partition: int) -> Any:
        assert batch.closed(), "a batch is closed before it is sent (or aiokafka lingers it)"
        self.waiting += 1
        try:
            await self.gate.wait()
        finally:
            self.waiting -= 1
        if self.fail_next_send is not None:
            exc, self.fail_next_send = self.fail_next_send, None
            raise exc
        assert partition in await self.partitions_for(topic)
        sent = Sent(topic, partition, batch)
        self.batches.append(sent)
        return sent.future

    async def partitions_for(self, topic: str) -> set[int]:
        if self.fail_metadata is not None:
            raise self.fail_metadata
        return self.partitions.get(topic, set(range(6)))

    def records(self) -> list[tuple[bytes | None, bytes | None]]:
        return [r for b in self.batches for r in b.records]

    def ack_all(self) -> None:
        for b in self.batches:
            if not b.future.done():
                b.future.set_result(None)


class FakeCodec:
    def encode(self, schema_id: int, record: Mapping[str, Any]) -> bytes:
        if record.get("bad"):
            raise CodecError("does not encode")
        return b"\x00" + schema_id.to_bytes(4, "big") + str(record["ts_event"]).encode()


def _item(
    event_type: str = "Quote", ts: int = 1, *, key: bytes = b"SPY", bad: bool = False
) -> Normalized:
    spec = MARKET_TOPICS[event_type]
    record = {
        "ts_event": ts,
        "ts_ingest": ts + 5,
        "streamer_symbol": key.decode(errors="replace"),
        "bad": bad,
    }
    return Normalized(spec, key, record)


def _publisher(producers: list[FakeProducer], **kwargs: Any) -> MarketPublisher:
    def factory(**config: Any) -> FakeProducer:
        producer = FakeProducer(**config)
        producers.append(producer)
        return producer

    ids = {spec.value_subject: n for n, spec in enumerate(MARKET_TOPICS.values(), 1)}
    kwargs.setdefault("linger_ms", LONG)
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


def _value(ts: int, event_type: str = "Quote") -> bytes:
    ids = {spec.event_type: n for n, spec in enumerate(MARKET_TOPICS.values(), 1)}
    return b"\x00" + ids[event_type].to_bytes(4, "big") + str(ts).encode()


async def test_producer_settings_and_a_lingering_batch_goes_out_on_flush() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers) as publisher:
        producer = producers[0]
        assert producer.config["acks"] == "all"
        assert producer.config["enable_idempotence"]
        assert producer.config["compression_type"] == "lz4"
        for ts in range(5):
            await publisher.publish(_item(ts=ts))
        await _settle()
        assert producer.batches == []  # lingering: one open builder, nothing sent yet
        assert publisher.metrics.in_flight == 5
        flush = asyncio.create_task(publisher.flush())
        await eventually(lambda: _true(len(producer.batches) == 1), timeout=5)
        assert not flush.done()  # sent, not acked
        assert producer.records() == [(b"SPY", _value(ts)) for ts in range(5)]
        producer.ack_all()
        await asyncio.wait_for(flush, 5)
        assert publisher.metrics.sent == {"Quote": 5}
        assert publisher.metrics.acked == {"Quote": 5}
        assert publisher.metrics.batches == 1
    assert producer.stopped


async def test_a_batch_is_sent_when_its_linger_expires() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers, linger_ms=1) as publisher:
        for ts in range(3):
            publisher.publish_nowait(_item(ts=ts))
        await eventually(lambda: _true(len(producers[0].batches) == 1), timeout=5)
        assert producers[0].batches[0].records == [(b"SPY", _value(ts)) for ts in range(3)]
        for ts in range(3, 5):  # the next records start a new builder with its own linger
            publisher.publish_nowait(_item(ts=ts))
        await eventually(lambda: _true(len(producers[0].batches) == 2), timeout=5)
        assert producers[0].batches[1].records == [(b"SPY", _value(ts)) for ts in (3, 4)]
        producers[0].ack_all()
    assert publisher.metrics.acked == {"Quote": 5}


async def test_a_full_builder_is_sent_without_waiting_for_its_linger() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers, max_batch_size=512) as publisher:
        for ts in range(100):
            publisher.publish_nowait(_item(ts=ts))
        await _settle()
        producer = producers[0]
        full = producer.batches
        assert len(full) >= 3  # 100 records of ~20 bytes do not fit in 512 bytes
        assert all(len(b.records) > 1 for b in full)
        assert sum(len(b.records) for b in full) < 100  # the rest lingers in the open builder
        producer.ack_all()
        flush = asyncio.create_task(publisher.flush())
        await eventually(lambda: _true(len(producer.records()) == 100), timeout=5)
        producer.ack_all()
        await asyncio.wait_for(flush, 5)
        # one partition for one key: the order of the records is the order of publish
        assert producer.records() == [(b"SPY", _value(ts)) for ts in range(100)]
        assert {(b.topic, b.partition) for b in producer.batches} == {
            (QUOTES, producer.batches[0].partition)
        }
    assert publisher.metrics.acked == {"Quote": 100}
    assert publisher.metrics.batches == len(producer.batches)


@settings(max_examples=25, deadline=None)
@given(
    keys=st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=60),
    partitions=st.integers(min_value=1, max_value=12),
)
def test_each_key_goes_where_the_default_partitioner_puts_it(
    keys: list[bytes], partitions: int
) -> None:
    async def scenario() -> dict[bytes, set[int]]:
        producers: list[FakeProducer] = []
        async with _publisher(producers) as publisher:
            producers[0].partitions[QUOTES] = set(range(partitions))
            for n, key in enumerate(keys):
                await publisher.publish(_item(ts=n, key=key))
            flush = asyncio.create_task(publisher.flush())
            await eventually(lambda: _true(len(producers[0].records()) == len(keys)), timeout=5)
            producers[0].ack_all()
            await flush
        seen: dict[bytes, set[int]] = {}
        for batch in producers[0].batches:
            for got_key, _v in batch.records:
                assert got_key is not None
                seen.setdefault(got_key, set()).add(batch.partition)
        return seen

    seen = asyncio.run(scenario())
    assert set(seen) == set(keys)
    everything = list(range(partitions))
    for key, where in seen.items():
        assert where == {DefaultPartitioner()(key, everything, everything)}


async def test_keys_follow_a_change_of_the_topic_partitions() -> None:
    producers: list[FakeProducer] = []
    keys = [f"SYM{n}".encode() for n in range(40)]
    expect = {k: DefaultPartitioner()(k, list(range(3)), []) for k in keys}
    async with _publisher(producers, linger_ms=0) as publisher:
        producer = producers[0]
        producer.partitions[QUOTES] = {0}
        publisher.publish_nowait(_item(key=b"first"))
        await eventually(lambda: _true(len(producer.batches) == 1), timeout=5)
        assert producer.batches[0].partition == 0
        producer.partitions[QUOTES] = {0, 1, 2}  # metadata refreshed: read after each batch
        publisher.publish_nowait(_item(key=b"second"))  # routed before the next refresh
        await eventually(lambda: _true(len(producer.batches) == 2), timeout=5)
        await _settle()
        producer.ack_all()
        for n, key in enumerate(keys):
            publisher.publish_nowait(_item(ts=n, key=key))
        await eventually(lambda: _true(len(producer.records()) == 42), timeout=5)
        producer.ack_all()
    assert producer.batches[1].partition == 0
    got = {k: b.partition for b in producer.batches[2:] for k, _ in b.records}
    assert got == expect
    assert len(set(got.values())) == 3


async def test_in_flight_is_bounded_and_the_wait_sends_open_batches() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers, max_in_flight=3) as publisher:
        producer = producers[0]
        assert publisher.publish_nowait(_item(ts=0))
        assert publisher.publish_nowait(_item(ts=1))
        assert not publisher.publish_nowait(_item("Trade", ts=2))  # now full
        with pytest.raises(PublisherFull):
            publisher.publish_nowait(_item(ts=3))
        assert publisher.metrics.in_flight == 3
        fourth = asyncio.create_task(publisher.publish(_item(ts=3)))
        # waiting for room sends the lingering builders at once (no linger to wait out)
        await eventually(lambda: _true(len(producer.batches) == 2), timeout=5)
        await _settle()
        assert not fourth.done()
        trade = next(b for b in producer.batches if b.topic == MARKET_TOPICS["Trade"].name)
        trade.future.set_result(None)
        await asyncio.wait_for(fourth, 5)
        assert publisher.metrics.in_flight == 3  # two quotes still out, and the fourth record
        producer.ack_all()
        await _settle()
        assert publisher.has_room
        flush = asyncio.create_task(publisher.flush())
        await eventually(lambda: _true(len(producer.records()) == 4), timeout=5)
        producer.ack_all()
        await asyncio.wait_for(flush, 5)
    assert publisher.metrics.acked == {"Quote": 3, "Trade": 1}


async def test_a_failed_batch_counts_each_record_failed_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers) as publisher:
        for ts in range(7):
            publisher.publish_nowait(_item(ts=ts))
        publisher.publish_nowait(_item("Trade", ts=9))
        flush = asyncio.create_task(publisher.flush())
        await eventually(lambda: _true(len(producers[0].batches) == 2), timeout=5)
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="ingest.publisher"):
            for batch in producers[0].batches:
                if batch.topic == QUOTES:
                    batch.future.set_exception(RuntimeError("broker said no"))
                else:
                    batch.future.set_result(None)
            await asyncio.wait_for(flush, 5)
        failures = [r for r in caplog.records if "failed" in r.getMessage()]
        assert len(failures) == 1
        assert "7 Quote records" in failures[0].getMessage()
    assert publisher.metrics.sent == {"Quote": 7, "Trade": 1}
    assert publisher.metrics.failed == {"Quote": 7}
    assert publisher.metrics.acked == {"Trade": 1}
    assert publisher.metrics.in_flight == 0


async def test_a_refused_or_cancelled_send_batch_releases_its_records() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers, max_in_flight=2) as publisher:
        producers[0].fail_next_send = RuntimeError("closed")
        publisher.publish_nowait(_item(ts=1))
        publisher.publish_nowait(_item(ts=2))
        await publisher.flush()  # the send failed: both records end failed, flush returns
        assert publisher.metrics.failed == {"Quote": 2}
        assert publisher.metrics.in_flight == 0
        assert publisher.metrics.sent == {}
        producers[0].fail_next_send = asyncio.CancelledError()
        publisher.publish_nowait(_item(ts=3))
        await publisher.flush()
        assert publisher.metrics.failed == {"Quote": 3}
        publisher.publish_nowait(_item(ts=4))  # room again
        flush = asyncio.create_task(publisher.flush())
        await eventually(lambda: _true(len(producers[0].batches) == 1), timeout=5)
        producers[0].ack_all()
        await asyncio.wait_for(flush, 5)
    assert publisher.metrics.acked == {"Quote": 1}


async def test_records_wait_for_the_topic_metadata_and_fail_without_it() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers) as publisher:
        producers[0].fail_metadata = RuntimeError("UnknownTopicOrPartitionError")
        publisher.publish_nowait(_item(ts=1, key=b"A"))
        publisher.publish_nowait(_item(ts=2, key=b"B"))
        await publisher.flush()
        assert publisher.metrics.failed == {"Quote": 2}
        producers[0].fail_metadata = None
        publisher.publish_nowait(_item(ts=3, key=b"A"))
        publisher.publish_nowait(_item(ts=4, key=b"B"))
        flush = asyncio.create_task(publisher.flush())
        await eventually(lambda: _true(len(producers[0].records()) == 2), timeout=5)
        producers[0].ack_all()
        await asyncio.wait_for(flush, 5)
    assert sorted(producers[0].records()) == [(b"A", _value(3)), (b"B", _value(4))]
    assert publisher.metrics.acked == {"Quote": 2}


async def test_the_open_builder_grows_while_the_batch_before_is_queued() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers, linger_ms=1) as publisher:
        producer = producers[0]
        producer.gate.clear()  # the producer still holds the partition's previous batch
        publisher.publish_nowait(_item(ts=0))
        # its linger expired: the drain waits in send_batch
        await eventually(lambda: _true(producer.waiting == 1), timeout=5)
        for ts in range(1, 50):
            publisher.publish_nowait(_item(ts=ts))
        # wait out the 1 ms linger this test set, twenty times over: still one builder, growing
        await asyncio.sleep(0.02)
        assert producer.waiting == 1
        assert producer.batches == []
        producer.gate.set()
        await eventually(lambda: _true(len(producer.records()) == 50), timeout=5)
        assert [len(b.records) for b in producer.batches] == [1, 49]
        producer.ack_all()
    assert producer.records() == [(b"SPY", _value(ts)) for ts in range(50)]


async def test_a_cancelled_shutdown_counts_what_it_never_sent_as_failed() -> None:
    producers: list[FakeProducer] = []
    publisher = _publisher(producers, linger_ms=0)
    entered = asyncio.Event()

    async def run() -> None:
        async with publisher:
            producers[0].gate.clear()  # the producer never takes the batch
            for ts in range(3):
                publisher.publish_nowait(_item(ts=ts))
            # the first batch waits in send_batch
            await eventually(lambda: _true(producers[0].waiting == 1), timeout=5)
            for ts in range(3, 10):
                publisher.publish_nowait(_item("Trade", ts=ts))
                publisher.publish_nowait(_item(ts=ts))
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(run())
    await asyncio.wait_for(entered.wait(), 5)
    task.cancel()  # __aexit__ flushes: it waits on batches the producer never takes ...
    await _settle()
    assert not task.done()
    assert publisher.metrics.in_flight == 17
    task.cancel()  # ... until the flush is cancelled too
    with pytest.raises(asyncio.CancelledError):
        await task
    assert publisher.metrics.in_flight == 0
    assert publisher.metrics.failed == {"Quote": 10, "Trade": 7}
    assert publisher.metrics.acked == {}
    assert producers[0].stopped


async def test_flush_waits_for_every_outcome() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers) as publisher:
        await publisher.publish(_item(ts=1))
        await publisher.publish(_item("Trade", ts=2))
        flush = asyncio.create_task(publisher.flush())
        await eventually(lambda: _true(len(producers[0].batches) == 2), timeout=5)
        await _settle()
        assert not flush.done()
        producers[0].batches[0].future.set_result(None)
        await _settle()
        assert not flush.done()
        producers[0].batches[1].future.set_exception(RuntimeError("timeout"))
        await asyncio.wait_for(flush, 5)
        assert sum(publisher.metrics.acked.values()) == 1
        assert sum(publisher.metrics.failed.values()) == 1


async def test_unencodable_records_are_counted_not_sent() -> None:
    producers: list[FakeProducer] = []
    async with _publisher(producers) as publisher:
        assert publisher.publish_nowait(_item("Greeks", bad=True))
        await publisher.flush()
        assert publisher.metrics.unencodable == {"Greeks": 1}
        assert producers[0].batches == []
        assert publisher.metrics.in_flight == 0


async def test_the_ack_hook_sees_each_acked_record_once_with_its_timestamps() -> None:
    producers: list[FakeProducer] = []
    acks: list[tuple[str, int, int]] = []
    async with _publisher(producers, on_ack=lambda *a: acks.append(a)) as publisher:
        for ts in (100, 300, 500):
            await publisher.publish(_item("Quote", ts=ts))
        await publisher.publish(_item("Trade", ts=200))
        flush = asyncio.create_task(publisher.flush())
        await eventually(lambda: _true(len(producers[0].batches) == 2), timeout=5)
        for batch in producers[0].batches:
            if batch.topic == QUOTES:
                batch.future.set_result(None)
            else:
                batch.future.set_exception(RuntimeError("no"))
        await asyncio.wait_for(flush, 5)
    assert acks == [("Quote", 100, 105), ("Quote", 300, 305), ("Quote", 500, 505)]
    assert publisher.metrics.acked == {"Quote": 3}
    assert publisher.metrics.failed == {"Trade": 1}


async def test_publish_needs_a_running_publisher() -> None:
    publisher = _publisher([])
    with pytest.raises(RuntimeError):
        await publisher.publish(_item())
    with pytest.raises(ValueError, match="max_in_flight"):
        _publisher([], max_in_flight=0)
    with pytest.raises(ValueError, match="linger_ms"):
        _publisher([], linger_ms=-1)
