"""The sink against the real stack: every market topic lands once, bad records are dead-lettered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from schemas import MARKET_TOPICS, AvroCodec, wire_header
from sinks import BatchPolicy, ClickHouseSink, SinkConfig, SinkState
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

SMALL = SinkConfig(batch=BatchPolicy(max_rows=700, max_age_s=0.3), drain_timeout_s=20.0)


@pytest.fixture
async def world(stack_config: StackConfig) -> AsyncIterator[SinkWorld]:
    w = new_world(stack_config)
    yield w
    await drop_database(w)


async def test_every_market_topic_lands_once(world: SinkWorld) -> None:
    n = 1_500
    partitions = {et: (3 if spec.partitions > 3 else 2) for et, spec in MARKET_TOPICS.items()}
    await create_topics(
        world.stack.kafka_bootstrap, {world.topic(et): p for et, p in partitions.items()}
    )
    async with Publisher(world) as pub:
        for et in MARKET_TOPICS:
            await pub.send(et, records(et, n))
    topics = [world.topic(et) for et in MARKET_TOPICS]
    config = SinkConfig(group_id=world.group, batch=SMALL.batch)
    stop = asyncio.Event()
    async with ClickHouseSink(world.settings(), config=config, topics=topics) as sink:
        assert sink.state is SinkState.RUNNING
        task = asyncio.create_task(sink.run(stop))

        async def all_in() -> bool:
            for spec in MARKET_TOPICS.values():
                total, unique_ids = await counts(world, spec.table)
                assert total == unique_ids, f"duplicates in {spec.table}"
                if total < n:
                    return False
            return True

        await eventually(all_in, timeout=120, interval=0.5, message="rows did not all land")
        metrics = sink.metrics()
        assert metrics.rows_inserted == {spec.table: n for spec in MARKET_TOPICS.values()}
        assert metrics.total_dead_letters == 0
        # clean data: every table's batches take the fast path (ClickHouse decodes the Avro)
        assert metrics.rows_by_path == {"fast": n * len(MARKET_TOPICS)}
        assert metrics.fast_path_fallbacks == {}
        assert metrics.batches >= len(MARKET_TOPICS)
        assert metrics.last_insert_latency_s is not None
        stop.set()
        await asyncio.wait_for(task, 30)
    assert sink.metrics().state is SinkState.STOPPED
    for spec in MARKET_TOPICS.values():
        assert await counts(world, spec.table) == (n, n)
    # the intents say where every partition stands: done, at the end of the topic
    rows = await query(
        world,
        f"SELECT topic, partition, argMax(state, version), argMax(end_offset, version)"
        f" FROM {world.database}.sink_intents GROUP BY topic, partition",
    )
    assert {r[2] for r in rows} == {"done"}
    assert sum(int(r[3]) + 1 for r in rows) == n * len(MARKET_TOPICS)


async def test_bad_records_go_to_the_dlq_and_good_ones_land(world: SinkWorld) -> None:
    topic = world.topic("Quote")
    await create_topics(world.stack.kafka_bootstrap, {topic: 1})
    good = records("Quote", 30)
    async with Publisher(world) as pub:
        await pub.send("Quote", good[:10])
        await pub.send_raw(topic, b"\x07garbage-without-magic")
        await pub.send("Quote", good[10:20])
        await pub.send_raw(topic, wire_header(987_654_321) + b"\x00\x01")
        sid = await pub.schema_id(topic, MARKET_TOPICS["Quote"])
        body = pub.codec.encode(sid, good[20])
        await pub.send_raw(topic, body[: len(body) // 2])  # truncated Avro body
        bad_uuid = dict(good[21], event_id="not-a-uuid")
        await pub.send_raw(topic, AvroCodec.encode(pub.codec, sid, bad_uuid))
        await pub.send("Quote", good[22:])
    config = SinkConfig(group_id=world.group, batch=BatchPolicy(max_rows=5_000, max_age_s=0.3))
    stop = asyncio.Event()
    async with ClickHouseSink(world.settings(), config=config, topics=[topic]) as sink:
        task = asyncio.create_task(sink.run(stop))

        async def landed() -> bool:
            return (await counts(world, "quotes"))[0] >= 28

        await eventually(landed, timeout=60, interval=0.3)
        await eventually(lambda: _true(sink.metrics().total_dead_letters == 4), timeout=20)
        stop.set()
        await asyncio.wait_for(task, 30)
    assert await counts(world, "quotes") == (28, 28)
    ids = {
        r[0] for r in await query(world, f"SELECT toString(event_id) FROM {world.database}.quotes")
    }
    assert ids == {r["event_id"] for i, r in enumerate(good) if i not in (20, 21)}
    letters = await read_topic(world.stack.kafka_bootstrap, f"{topic}.dlq")
    assert len(letters) == 4
    decoder = AvroCodec()
    async with Publisher(world) as pub:
        for letter in letters:
            decoder.add(
                int.from_bytes(letter.value[1:5], "big"),
                await pub.registry.schema_by_id(int.from_bytes(letter.value[1:5], "big")),
            )
    decoded = [decoder.decode(letter.value).record for letter in letters]
    by_offset = {d["offset"]: d for d in decoded}
    assert sorted(by_offset) == [10, 21, 22, 23]
    assert by_offset[10]["error_class"] == "BadMagicByte"
    assert by_offset[21]["error_class"] == "UnknownSchemaId"
    assert by_offset[22]["error_class"] == "UndecodableRecord"
    assert by_offset[23]["error_class"] == "RecordViolatesTable"
    assert "event_id" in by_offset[23]["reason"]
    assert by_offset[10]["value"] == b"\x07garbage-without-magic"
    assert all(
        d["topic"] == topic and d["partition"] == 0 and d["consumer"] == world.group
        for d in decoded
    )
    assert sink.metrics().dead_letter_reasons == {
        "BadMagicByte": 1,
        "UnknownSchemaId": 1,
        "UndecodableRecord": 1,
        "RecordViolatesTable": 1,
    }


async def _true(value: bool) -> bool:
    return value
