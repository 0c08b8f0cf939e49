"""The account publisher over a fake producer: order, acks, and dead letters with reasons."""

from __future__ import annotations

import asyncio
from typing import Any

from ingest.account_publisher import AccountPublisher
from ingest.account_records import AccountRecord, Rejected
from schemas.codec import AvroCodec
from schemas.registry import subjects_of
from schemas.topics import ACCOUNT_TOPICS
from tastystream.settings import KafkaSettings

SPEC = ACCOUNT_TOPICS["status"]


class FakeProducer:
    def __init__(self, **config: Any) -> None:
        self.config = config
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.fail_topics: set[str] = set()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def flush(self) -> None:
        return None

    async def send(self, topic: str, *, value: bytes, key: bytes) -> asyncio.Future[Any]:
        self.sent.append((topic, key, value))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if topic in self.fail_topics:
            future.set_exception(RuntimeError("broker says no"))
        else:
            future.set_result(None)
        return future


def codecs() -> tuple[AvroCodec, AvroCodec, dict[str, int]]:
    subjects = subjects_of(ACCOUNT_TOPICS.values())
    ids = {subject: n for n, subject in enumerate(sorted(subjects), start=1)}
    writer, reader = AvroCodec(), AvroCodec()
    for subject, text in subjects.items():
        writer.add(ids[subject], text)
        reader.add(ids[subject], text)
    return writer, reader, ids


def status(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {f["name"]: None for f in SPEC.schema()["fields"]}
    record.update(
        event_id="e1",
        ts_event=1,
        ts_ingest=2,
        source="s",
        account_number="5WT00001",
        origin="stream",
        snapshot_size=0,
        snapshot_index=0,
    )
    record.update(fields)
    return record


async def test_records_go_out_in_order_and_bad_ones_to_the_dead_letter_topic() -> None:
    writer, reader, ids = codecs()
    producers: list[FakeProducer] = []

    def factory(**config: Any) -> FakeProducer:
        producers.append(FakeProducer(**config))
        return producers[-1]

    async with AccountPublisher(
        KafkaSettings(), writer, ids, producer_factory=factory
    ) as publisher:
        (producer,) = producers
        assert (producer.config["acks"], producer.config["enable_idempotence"]) == ("all", True)
        await publisher.publish(AccountRecord(SPEC, b"5WT00001", status(event_id="a")))
        await publisher.publish(AccountRecord(SPEC, b"5WT00001", status(day_trade_count="x")))
        await publisher.publish(
            Rejected(SPEC, b"5WT00001", "quantity: too fine", "DecimalOutOfRange", b"{}")
        )
        producer.fail_topics.add(SPEC.name)
        await publisher.publish(AccountRecord(SPEC, b"5WT00001", status(event_id="b")))
        await publisher.flush()
    topics = [topic for topic, _key, _value in producer.sent]
    assert topics == [SPEC.name, SPEC.dlq, SPEC.dlq, SPEC.name]
    assert reader.decode(producer.sent[0][2]).record["event_id"] == "a"
    unencodable = reader.decode(producer.sent[1][2]).record
    assert (unencodable["topic"], unencodable["error_class"]) == (SPEC.name, "UnencodableRecord")
    assert unencodable["consumer"] == "ingest.account"
    rejected = reader.decode(producer.sent[2][2]).record
    assert (rejected["reason"], rejected["value"]) == ("quantity: too fine", b"{}")
    assert publisher.metrics.dead_letters == {SPEC.dlq: 2}
    assert publisher.metrics.acked == {SPEC.name: 1, SPEC.dlq: 2}
    assert publisher.metrics.failed == {SPEC.name: 1}
