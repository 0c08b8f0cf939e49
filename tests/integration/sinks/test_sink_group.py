"""Two sinks in one consumer group: rebalances hand partitions over without duplicates or gaps;
cancelling a sink drains it gracefully."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable

import pytest

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
)
from tests.support import eventually
from tests.unit.sinks.records import records

pytestmark = pytest.mark.integration


@pytest.fixture
async def world(stack_config: StackConfig) -> AsyncIterator[SinkWorld]:
    w = new_world(stack_config)
    yield w
    await drop_database(w)


async def test_rebalance_between_two_sinks_and_cancellation(world: SinkWorld) -> None:
    n, chunk = 12_000, 400
    topics = [world.topic("Quote"), world.topic("Trade")]
    await create_topics(world.stack.kafka_bootstrap, {topics[0]: 3, topics[1]: 2})
    quotes, trades = records("Quote", n), records("Trade", n)

    async def produce() -> None:
        async with Publisher(world) as pub:
            for start in range(0, n, chunk):
                await pub.send("Quote", quotes[start : start + chunk])
                await pub.send("Trade", trades[start : start + chunk])
                await asyncio.sleep(0.1)

    config = SinkConfig(
        group_id=world.group,
        batch=BatchPolicy(max_rows=600, max_age_s=0.3),
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_000,
    )

    async def total() -> int:
        return sum([(await counts(world, t))[0] for t in ("quotes", "trades")])

    producer = asyncio.create_task(produce())
    first = ClickHouseSink(world.settings(), config=config, topics=topics)
    second = ClickHouseSink(world.settings(), config=config, topics=topics)
    try:
        async with first:
            first_task = asyncio.create_task(first.run())
            await eventually(lambda: _gt(total(), 0), timeout=60, interval=0.2)
            async with second:
                second_stop = asyncio.Event()
                second_task = asyncio.create_task(second.run(second_stop))

                async def shared() -> bool:  # the group rebalanced onto both sinks
                    return bool(first.metrics().assigned) and bool(second.metrics().assigned)

                await eventually(shared, timeout=60, interval=0.2)
                assert set(first.metrics().assigned).isdisjoint(second.metrics().assigned)
                before = await total()
                await eventually(lambda: _gt(total(), before), timeout=60, interval=0.2)
                first_task.cancel()  # graceful: drains, commits, then re-raises
                with pytest.raises(asyncio.CancelledError):
                    await first_task
                assert first.metrics().state is SinkState.STOPPING
                await first.stop()  # leaves the group: its partitions move to the second sink
                assert first.metrics().state is SinkState.STOPPED
                await asyncio.wait_for(producer, 120)

                async def complete() -> bool:
                    return all([(await counts(world, t))[0] >= n for t in ("quotes", "trades")])

                await eventually(complete, timeout=120, interval=0.3)
                second_stop.set()
                await asyncio.wait_for(second_task, 30)
        assert first.metrics().state is SinkState.STOPPED
        assert second.metrics().state is SinkState.STOPPED
        assert first.metrics().total_rows > 0
        assert second.metrics().total_rows > 0
    finally:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer
    for table, expected in (("quotes", quotes), ("trades", trades)):
        assert await counts(world, table) == (n, n)
        ids = await query(world, f"SELECT toString(event_id) FROM {world.database}.{table}")
        assert {r[0] for r in ids} == {r["event_id"] for r in expected}


async def _gt(value: Awaitable[int], floor: int) -> bool:
    return await value > floor
