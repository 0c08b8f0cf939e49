"""Exactly once in effect: crashes at the worst moments, then restarts, leave no duplicate, no gap."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from sinks import BatchPolicy, ClickHouseSink, Intent, IntentState, SinkConfig, SinkState
from sinks.batch import TopicPartitionKey
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
)
from tests.support import eventually
from tests.unit.sinks.records import records

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


class Crash(BaseException):
    """Stands for the process dying at this exact point (a BaseException: an Exception in one
    batch is that partition's trouble, which the sink survives by setting the partition aside)."""


class CrashingStore:
    """The real checkpoint table, but the ``crash_on``-th write of done intents 'kills' the sink."""

    def __init__(self, writer: ClickHouseWriter, crash_on: int) -> None:
        self.writer = writer
        self.crash_on = crash_on
        self.done_writes = 0

    async def load(self, topics: Sequence[str]) -> dict[TopicPartitionKey, Intent]:
        return await self.writer.load(topics)

    async def write(self, intents: Sequence[Intent]) -> None:
        if intents and intents[0].state is IntentState.DONE:
            self.done_writes += 1
            if self.done_writes == self.crash_on:
                raise Crash("killed after the insert, before done")
        await self.writer.write(intents)


@pytest.fixture
async def world(stack_config: StackConfig) -> AsyncIterator[SinkWorld]:
    w = new_world(stack_config)
    yield w
    await drop_database(w)


async def _fill(world: SinkWorld, n: int) -> list[str]:
    await create_topics(
        world.stack.kafka_bootstrap, {world.topic("Quote"): 3, world.topic("Trade"): 2}
    )
    async with Publisher(world) as pub:
        await pub.send("Quote", records("Quote", n))
        await pub.send("Trade", records("Trade", n))
    return [world.topic("Quote"), world.topic("Trade")]


async def _run_until_done(world: SinkWorld, topics: list[str], n: int, config: SinkConfig) -> Any:
    stop = asyncio.Event()
    async with ClickHouseSink(world.settings(), config=config, topics=topics) as sink:
        task = asyncio.create_task(sink.run(stop))

        async def complete() -> bool:
            return all([(await counts(world, t))[1] >= n for t in ("quotes", "trades")])

        await eventually(complete, timeout=90, interval=0.3, message="not all rows landed")
        stop.set()
        await asyncio.wait_for(task, 30)
        return sink.metrics()


@pytest.mark.parametrize("crash_on", [1, 3])
async def test_crash_between_insert_and_done_replays_without_duplicates(
    world: SinkWorld, crash_on: int
) -> None:
    n = 4_000
    topics = await _fill(world, n)
    config = SinkConfig(group_id=world.group, batch=BatchPolicy(max_rows=500, max_age_s=0.2))
    async with ClickHouseWriter(world.settings().clickhouse) as writer:
        store = CrashingStore(writer, crash_on)
        sink = ClickHouseSink(world.settings(), config=config, topics=topics, store=store)
        with pytest.raises(Crash):
            async with sink:
                await asyncio.wait_for(sink.run(), 60)
    assert sink.metrics().state is SinkState.FAILED
    pending = await query(
        world,
        f"SELECT count() FROM (SELECT argMax(state, version) AS s FROM {world.database}.sink_intents"
        " GROUP BY topic, partition) WHERE s = 'pending'",
    )
    assert pending[0][0] >= 1, "the crash must leave pending intents behind"
    inserted_before = sum([(await counts(world, t))[0] for t in ("quotes", "trades")])
    assert inserted_before > 0, "the crashed cycle had inserted rows"

    metrics = await _run_until_done(world, topics, n, config)
    assert metrics.replayed_batches >= 1
    for table in ("quotes", "trades"):
        assert await counts(world, table) == (n, n)


async def test_crash_before_the_insert_replays_without_gaps(
    world: SinkWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 3_000
    topics = await _fill(world, n)
    config = SinkConfig(group_id=world.group, batch=BatchPolicy(max_rows=400, max_age_s=0.2))
    calls = 0
    real_insert, real_fast = ClickHouseWriter.insert, ClickHouseWriter.insert_container

    def dying(real: Any) -> Any:  # either path's data insert: fast or python
        async def insert(self: ClickHouseWriter, *args: Any) -> float:
            nonlocal calls
            calls += 1
            if calls == 4:
                raise Crash("killed after the pending intent, before the insert")
            result: float = await real(self, *args)
            return result

        return insert

    monkeypatch.setattr(ClickHouseWriter, "insert", dying(real_insert))
    monkeypatch.setattr(ClickHouseWriter, "insert_container", dying(real_fast))
    with pytest.raises(Crash):
        async with ClickHouseSink(world.settings(), config=config, topics=topics) as sink:
            await asyncio.wait_for(sink.run(), 60)
    monkeypatch.setattr(ClickHouseWriter, "insert", real_insert)
    monkeypatch.setattr(ClickHouseWriter, "insert_container", real_fast)
    metrics = await _run_until_done(world, topics, n, config)
    assert metrics.replayed_batches >= 1
    for table in ("quotes", "trades"):
        assert await counts(world, table) == (n, n)


STARTING = "clickhouse sink created -> starting"


async def _start_sink(world: SinkWorld, topics: list[str], log: Path) -> asyncio.subprocess.Process:
    args = [sys.executable, "-m", "sinks", "--group", world.group, "--max-rows", "700"]
    args += ["--max-age", "0.25", "--session-timeout-ms", "6000"]
    for topic in topics:
        args += ["--topic", topic]
    env = {**os.environ, **world.env()}
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            *args, cwd=REPO, env=env, stdout=out, stderr=out
        )


async def test_kill_minus_nine_mid_stream_loses_and_duplicates_nothing(
    world: SinkWorld, tmp_path: Path
) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    n = 20_000
    chunk = 500
    topics = [world.topic("Quote"), world.topic("Trade")]
    await create_topics(world.stack.kafka_bootstrap, {topics[0]: 3, topics[1]: 2})
    quotes, trades = records("Quote", n), records("Trade", n)

    async def produce() -> None:
        async with Publisher(world) as pub:
            for start in range(0, n, chunk):
                await pub.send("Quote", quotes[start : start + chunk])
                await pub.send("Trade", trades[start : start + chunk])
                await asyncio.sleep(0.15)

    log = tmp_path / "sink.log"
    producer = asyncio.create_task(produce())
    kills = 0
    try:
        for _ in range(4):
            before = sum([(await counts(world, t))[0] for t in ("quotes", "trades")])
            proc = await _start_sink(world, topics, log)
            try:

                async def progressed(floor: int = before) -> bool:
                    rows = sum([(await counts(world, t))[0] for t in ("quotes", "trades")])
                    return rows > floor or (producer.done() and rows >= 2 * n)

                await eventually(progressed, timeout=60, interval=0.1, message=f"seed={seed}")
                await asyncio.sleep(rng.uniform(0.05, 1.5))
            finally:
                proc.kill()
                await asyncio.wait_for(proc.wait(), 20)
            kills += 1
        await asyncio.wait_for(producer, 120)
        started_before = log.read_text().count(STARTING)
        proc = await _start_sink(world, topics, log)
        try:
            # its SIGTERM handler is installed before it logs this: only then may it be stopped
            # (the rows may all be in already, so `complete` alone could signal it mid-import)

            async def started() -> bool:
                return log.read_text().count(STARTING) > started_before

            await eventually(
                started,
                timeout=60,
                interval=0.1,
                message="the last sink never started",
            )

            async def complete() -> bool:
                return all([(await counts(world, t))[0] >= n for t in ("quotes", "trades")])

            await eventually(complete, timeout=120, interval=0.3, message=f"seed={seed}")
        finally:
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 40)
        assert code == 0, log.read_text()[-3000:]
    finally:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer
    assert kills == 4
    for table, expected in (("quotes", quotes), ("trades", trades)):
        assert await counts(world, table) == (n, n), f"seed={seed}"
        ids = await query(world, f"SELECT toString(event_id) FROM {world.database}.{table}")
        assert {r[0] for r in ids} == {r["event_id"] for r in expected}, f"seed={seed}"
    text = log.read_text()
    assert text.count("-> stopped") == 1, text[-3000:]
