"""Poison records never stop the sink (issue 9 part 2), against the real stack.

Whatever a record holds — a body behind the header of a primitive, union or referencing
schema, a value too large to dead-letter whole — it becomes a dead letter with the reason
and the sink goes on with every topic; a pending batch whose records were deleted closes.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import fastavro
import httpx
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete

from schemas import MARKET_TOPICS, AvroCodec, wire_header
from sinks import BatchPolicy, ClickHouseSink, Intent, IntentState, SinkConfig, SinkState
from sinks.writer import ClickHouseWriter
from tastystream.stack import StackConfig
from tests.integration.sinks.stream import (
    Publisher,
    SinkWorld,
    counts,
    create_topics,
    drop_database,
    new_world,
    query,
    read_topic,
)
from tests.support import eventually
from tests.unit.sinks.records import records

pytestmark = pytest.mark.integration

FAST = BatchPolicy(max_rows=500, max_age_s=0.2)


@pytest.fixture
async def world(stack_config: StackConfig) -> AsyncIterator[SinkWorld]:
    w = new_world(stack_config)
    yield w
    await drop_database(w)


async def _true(value: bool) -> bool:
    return value


def _body(schema: Any, value: Any) -> bytes:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), value)
    return buf.getvalue()


async def _letters(world: SinkWorld, topic: str) -> list[dict[str, Any]]:
    letters = await read_topic(world.stack.kafka_bootstrap, f"{topic}.dlq")
    decoder = AvroCodec()
    async with Publisher(world) as pub:
        for letter in letters:
            sid = int.from_bytes(letter.value[1:5], "big")
            decoder.add(sid, await pub.registry.schema_by_id(sid))
    return [decoder.decode(letter.value).record for letter in letters]


async def test_records_of_primitive_union_and_referencing_schemas_are_dead_lettered(
    world: SinkWorld,
) -> None:
    topic = world.topic("Trade")
    await create_topics(world.stack.kafka_bootstrap, {topic: 1})
    trade = MARKET_TOPICS["Trade"].schema()
    good = records("Trade", 20)
    async with Publisher(world) as pub:
        reg = pub.registry
        string_id = await reg.register(f"{world.prefix}-anything-value", json.dumps("string"))
        union_id = await reg.register(f"{world.prefix}-union-value", json.dumps(["null", trade]))
        other = {"type": "record", "name": "Other", "namespace": "com.x", "fields": []}
        await reg.register(f"{world.prefix}-other-value", json.dumps(other))
        holder = {
            "type": "record",
            "name": "Holder",
            "fields": [{"name": "o", "type": "com.x.Other"}],
        }
        async with httpx.AsyncClient(base_url=world.stack.registry_url) as http:
            # our client registers no references: speak the REST API
            answer = await http.post(
                f"/subjects/{world.prefix}-holder-value/versions",
                json={
                    "schema": json.dumps(holder),
                    "references": [
                        {
                            "name": "com.x.Other",
                            "subject": f"{world.prefix}-other-value",
                            "version": 1,
                        }
                    ],
                },
            )
            ref_id = int(answer.raise_for_status().json()["id"])
        await pub.send("Trade", good[:10])
        await pub.send_raw(topic, wire_header(string_id) + _body("string", "hello"))
        await pub.send_raw(topic, wire_header(union_id) + _body(["null", trade], good[10]))
        await pub.send_raw(topic, wire_header(ref_id) + b"")
        await pub.send("Trade", good[10:])
    config = SinkConfig(group_id=world.group, batch=FAST)
    stop = asyncio.Event()
    async with ClickHouseSink(world.settings(), config=config, topics=[topic]) as sink:
        task = asyncio.create_task(sink.run(stop))
        await eventually(
            lambda: _true(sink.metrics().total_dead_letters == 3 or task.done()), timeout=60
        )
        assert not task.done(), task.exception() if task.done() else None
        await eventually(lambda: _true(sink.metrics().rows_inserted.get("trades") == 20))
        assert sink.state is SinkState.RUNNING
        stop.set()
        await asyncio.wait_for(task, 30)
    assert await counts(world, "trades") == (20, 20)
    by_offset = {d["offset"]: d for d in await _letters(world, topic)}
    assert sorted(by_offset) == [10, 11, 12]
    assert by_offset[10]["error_class"] == "UndecodableRecord"  # a string, not a record
    assert by_offset[11]["error_class"] == "WrongRecordType"  # a union, not a Trade
    assert by_offset[12]["error_class"] == "UnusableSchema"  # unresolved reference
    assert all(d["reason"] for d in by_offset.values())


async def test_a_record_too_large_to_dead_letter_whole_never_wedges_the_sink(
    world: SinkWorld,
) -> None:
    trades, quotes = world.topic("Trade"), world.topic("Quote")
    await create_topics(world.stack.kafka_bootstrap, {trades: 1, quotes: 1})
    # the largest record the broker takes (message.max.bytes 1048588 with batch overhead):
    # its dead letter, value + coordinates + reason, is over the producer's 1 MiB
    huge = b"\x07" + bytes(range(256)) * 4092 + b"x" * 947
    assert len(huge) == 1_048_500
    producer = AIOKafkaProducer(
        bootstrap_servers=world.stack.kafka_bootstrap, max_request_size=2 * 1024 * 1024
    )
    await producer.start()
    try:
        await (await producer.send(trades, value=huge, key=b"BIG"))
    finally:
        await producer.stop()
    async with Publisher(world) as pub:
        await pub.send("Trade", records("Trade", 10))
        await pub.send("Quote", records("Quote", 10))
    config = SinkConfig(group_id=world.group, batch=FAST)
    stop = asyncio.Event()
    async with ClickHouseSink(world.settings(), config=config, topics=[trades, quotes]) as sink:
        task = asyncio.create_task(sink.run(stop))

        async def all_in() -> bool:
            return (await counts(world, "trades"))[0] == 10 and (await counts(world, "quotes"))[
                0
            ] == 10

        await eventually(all_in, timeout=60, interval=0.3, message="the topics stopped")
        assert await sink.drain(20)
        metrics = sink.metrics()
        assert metrics.dead_letters == {trades: 1}
        assert metrics.total_lag == 0
        assert metrics.stalled == {}
        stop.set()
        await asyncio.wait_for(task, 30)
    [letter] = await _letters(world, trades)
    assert letter["offset"] == 0
    assert letter["truncated"] is True
    assert letter["value_size"] == len(huge)
    assert letter["value_sha256"] == hashlib.sha256(huge).hexdigest()
    assert huge.startswith(letter["value"])
    assert 0 < len(letter["value"]) < len(huge)


async def test_a_pending_batch_whose_records_were_deleted_closes(world: SinkWorld) -> None:
    topic = world.topic("Quote")
    await create_topics(world.stack.kafka_bootstrap, {topic: 1})
    async with Publisher(world) as pub:
        await pub.send("Quote", records("Quote", 10))
    settings = world.settings()
    # a sink died between its pending intent and its insert; then retention took the records
    async with ClickHouseWriter(settings.clickhouse, consumer_group=world.group) as writer:
        await writer.migrate()
        await writer.write([Intent(topic, 0, 0, 9, IntentState.PENDING, "quotes")])
    admin = AIOKafkaAdminClient(bootstrap_servers=world.stack.kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_records(
            {TopicPartition(topic, 0): RecordsToDelete(10)}, timeout_ms=10_000
        )
    finally:
        await admin.close()
    config = SinkConfig(group_id=world.group, batch=FAST, drain_timeout_s=20.0)
    stop = asyncio.Event()
    async with ClickHouseSink(settings, config=config, topics=[topic]) as sink:
        task = asyncio.create_task(sink.run(stop))

        async def closed() -> bool:
            rows = await query(
                world,
                f"SELECT toString(argMax(state, version)) FROM {world.database}.sink_intents"
                f" WHERE topic = '{topic}'",
            )
            return rows == [("done",)] and sink.metrics().total_lag == 0

        await eventually(closed, timeout=20, interval=0.3, message="the pending batch never closed")
        stop.set()
        await asyncio.wait_for(task, 5)  # no drain timeout to sit out
    assert sink.metrics().state is SinkState.STOPPED
    assert await counts(world, "quotes") == (0, 0)
