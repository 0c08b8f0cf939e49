"""Fuzz: random bytes and random bodies behind valid headers of any registered schema, on every
market topic, never stop the sink, and every produced record is a row or a dead letter.

The corpus comes from a seeded generator; a failure prints the seed (``SINK_FUZZ_SEED=<seed>``
replays it).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from schemas import MARKET_TOPICS, wire_header
from sinks import BatchPolicy, ClickHouseSink, SinkConfig, SinkState
from tastystream.stack import StackConfig
from tests.integration.sinks.stream import (
    Publisher,
    SinkWorld,
    counts,
    create_topics,
    drop_database,
    new_world,
    read_topic,
)
from tests.support import eventually
from tests.unit.sinks.records import records

pytestmark = pytest.mark.integration

PARTITIONS = 2


@pytest.fixture
async def world(stack_config: StackConfig) -> AsyncIterator[SinkWorld]:
    w = new_world(stack_config)
    yield w
    await drop_database(w)


def _poison(rng: random.Random, ids: list[int], own: int, good_value: bytes) -> bytes | None:
    """One record the sink may or may not be able to use."""
    kind = rng.randrange(7)
    noise = rng.randbytes(rng.randrange(0, 96))
    if kind == 0:
        return noise  # random bytes (mostly a bad magic byte)
    if kind == 1:
        return wire_header(rng.randrange(1, 2**31)) + noise  # an id nobody registered
    if kind == 2:
        return wire_header(rng.choice(ids)) + noise  # a random body, any registered schema
    if kind == 3:
        return wire_header(own) + noise  # a random body behind the topic's own schema
    if kind == 4:
        return good_value[: rng.randrange(5, len(good_value))]  # a truncated good record
    if kind == 5:
        return good_value + noise[:8] + b"\x00"  # trailing bytes
    return None  # a tombstone


async def test_fuzzed_records_never_stop_the_sink(world: SinkWorld) -> None:
    seed = int(os.environ.get("SINK_FUZZ_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    topics = {et: world.topic(et) for et in MARKET_TOPICS}
    await create_topics(world.stack.kafka_bootstrap, dict.fromkeys(topics.values(), PARTITIONS))
    produced: Counter[str] = Counter()
    async with Publisher(world) as pub:
        reg = pub.registry
        ids = [
            await reg.register(f"{world.prefix}-s{n}-value", json.dumps(schema))
            for n, schema in enumerate(
                [
                    "string",
                    "long",
                    ["null", "string", MARKET_TOPICS["Quote"].schema()],
                    {"type": "map", "values": "double"},
                    {"type": "array", "items": "int"},
                    {"type": "record", "name": "Empty", "fields": []},
                ]
            )
        ]
        for spec in MARKET_TOPICS.values():
            ids.append(await pub.schema_id(f"{world.prefix}.side.{spec.name}", spec))
        for event_type, topic in topics.items():
            spec = MARKET_TOPICS[event_type]
            own = await pub.schema_id(topic, spec)
            good = records(event_type, rng.randrange(20, 60))
            values = pub.codec.encode_many(own, good)
            for record, value in zip(good, values, strict=True):
                await pub.send_raw(topic, value, spec.key_of(record))
                produced[topic] += 1
                if rng.random() < 0.5:
                    key = rng.choice([spec.key_of(record), rng.randbytes(4)])
                    await pub.send_raw(topic, _poison(rng, ids, own, value), key)
                    produced[topic] += 1
    config = SinkConfig(
        group_id=world.group, batch=BatchPolicy(max_rows=40, max_age_s=0.2), drain_timeout_s=20.0
    )
    stop = asyncio.Event()
    async with ClickHouseSink(
        world.settings(), config=config, topics=list(topics.values())
    ) as sink:
        task = asyncio.create_task(sink.run(stop))

        async def accounted() -> bool:
            assert not task.done(), f"seed {seed}: the sink stopped: {task.exception()!r}"
            metrics = sink.metrics()
            assert not metrics.stalled, f"seed {seed}: {metrics.stalled}"
            return all(
                metrics.rows_inserted.get(spec.table, 0) + metrics.dead_letters.get(topic, 0)
                == produced[topic]
                for spec, topic in ((MARKET_TOPICS[et], t) for et, t in topics.items())
            )

        await eventually(accounted, timeout=120, interval=0.5, message=f"seed {seed}")
        assert await sink.drain(20), f"seed {seed}"
        assert sink.state is SinkState.RUNNING
        stop.set()
        await asyncio.wait_for(task, 30)
    for event_type, topic in topics.items():
        rows, _ = await counts(world, MARKET_TOPICS[event_type].table)
        letters = await read_topic(world.stack.kafka_bootstrap, f"{topic}.dlq")
        assert rows + len(letters) == produced[topic], f"seed {seed}: {topic}"
