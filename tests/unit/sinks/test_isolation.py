"""One partition's trouble never stops the others; batches whose records vanished close; a
failed flush surfaces every error (issue 9 parts 2 and 3), through the real sink parts."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import TopicPartition

from sinks import IntentState, SinkState, TableLayout
from sinks.batch import PartitionBatch
from sinks.checkpoint import Intent
from sinks.errors import ClickHouseUnavailable, TableMismatch
from sinks.flush import FlushCycle
from sinks.metrics import MetricsRecorder
from sinks.passthrough import FallbackReason
from sinks.prepare import Prepared
from sinks.retry import Retrier
from tests.support import eventually
from tests.unit.sinks.raw import Raw
from tests.unit.sinks.test_protocol import (
    TOPIC,
    FakeStore,
    FakeTable,
    RefusingTable,
    World,
    _log,
    _sink,
)


class SickPartitionTable(FakeTable):
    """Partition 1's inserts fail (``error``) ``failures`` times; the others always land."""

    def __init__(self, world: World, error: Exception, failures: int) -> None:
        super().__init__(world)
        self.error = error
        self.failures = failures

    def _sick(self, token: str) -> bool:
        if token.startswith(f"{TOPIC}/1/") and self.failures > 0:
            self.failures -= 1
            return True
        return False

    async def insert(self, layout: TableLayout, data: Any, token: str) -> float:
        if self._sick(token):
            raise self.error
        return await super().insert(layout, data, token)

    async def insert_container(
        self, layout: TableLayout, sql: str, data: bytes, token: str, rows: int
    ) -> float:
        if self._sick(token):
            raise self.error
        return await super().insert_container(layout, sql, data, token, rows)


async def _true(value: bool) -> bool:
    return value


@pytest.mark.parametrize(
    "error",
    [TableMismatch("Code: 60. table is gone"), AttributeError("'str' object has no attribute")],
)
async def test_a_failing_partition_is_set_aside_and_the_others_go_on(error: Exception) -> None:
    world = World(crashes=[])
    log = _log(partitions=3, n=30)
    table = SickPartitionTable(world, error, failures=2)
    sink, _ = _sink(
        world, max_rows=10, table=table, log=log, partition_backoff_s=0.05, partition_retry_s=0.0
    )
    stop = asyncio.Event()
    async with sink:
        await sink.partitions.assign([TopicPartition(TOPIC, p) for p in log])
        task = asyncio.create_task(sink.run(stop))
        # partitions 0 and 2 land whole while partition 1 fails
        await eventually(lambda: _true(len(world.rows) >= 60), timeout=10)
        # after its backoff, partition 1 replays its pending batch and catches up
        await eventually(lambda: _true(len(world.rows) == 90), timeout=10)
        assert await sink.drain(5)
        metrics = sink.metrics()
        assert metrics.partition_errors == {f"{TOPIC}[1]": 2}
        assert metrics.stalled == {}
        assert metrics.total_lag == 0
        assert sink.state in (SinkState.RUNNING, SinkState.DEGRADED)
        stop.set()
        await asyncio.wait_for(task, 5)
    assert len(world.rows) == len(set(world.rows)) == 90
    assert {k: (i.state, i.next_offset) for k, i in world.intents.items()} == {
        (TOPIC, p): (IntentState.DONE, 30) for p in range(3)
    }


async def test_a_stalled_partition_is_reported_while_it_fails() -> None:
    world = World(crashes=[])
    log = _log(partitions=2, n=10)
    table = SickPartitionTable(world, TableMismatch("Code: 60. gone"), failures=10**6)
    sink, _ = _sink(world, max_rows=10, table=table, log=log, partition_backoff_s=10.0)
    stop = asyncio.Event()
    async with sink:
        await sink.partitions.assign([TopicPartition(TOPIC, p) for p in log])
        task = asyncio.create_task(sink.run(stop))
        await eventually(lambda: _true(len(world.rows) == 10), timeout=10)
        await eventually(lambda: _true(bool(sink.metrics().stalled)), timeout=10)
        metrics = sink.metrics()
        assert list(metrics.stalled) == [f"{TOPIC}[1]"]
        assert "TableMismatch" in metrics.stalled[f"{TOPIC}[1]"]
        assert metrics.lag[f"{TOPIC}[1]"] == 10  # its records are not in ClickHouse
        assert await sink.drain(2)  # set-aside partitions do not hold the drain up
        stop.set()
        await asyncio.wait_for(task, 5)
    assert world.intents[(TOPIC, 1)].state is IntentState.PENDING  # replayed on restart
    assert world.intents[(TOPIC, 0)].state is IntentState.DONE


async def test_a_pending_batch_whose_records_vanished_closes_at_once() -> None:
    world = World(crashes=[])
    world.intents[(TOPIC, 0)] = Intent(TOPIC, 0, 0, 9, IntentState.PENDING, "quotes")
    log = _log(partitions=1, n=12)
    sink, consumer = _sink(world, max_rows=10, log=log)
    consumer.log = {0: log[0]}
    begin = 12  # every record up to the end is gone, nothing after it yet

    async def beginning_offsets(tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, begin)

    consumer.beginning_offsets = beginning_offsets  # type: ignore[method-assign]
    stop = asyncio.Event()
    async with sink:
        await sink.partitions.assign([TopicPartition(TOPIC, 0)])
        consumer.positions[(TOPIC, 0)] = begin
        task = asyncio.create_task(sink.run(stop))
        assert await sink.drain(3), "the vanished batch kept the drain waiting"
        assert sink.metrics().lag == {f"{TOPIC}[0]": 0}
        stop.set()
        await asyncio.wait_for(task, 5)
    assert world.intents[(TOPIC, 0)] == Intent(TOPIC, 0, 0, 9, IntentState.DONE, "quotes")
    assert world.rows == []


async def test_a_replay_whose_records_vanish_while_it_waits_closes() -> None:
    world = World(crashes=[])
    world.intents[(TOPIC, 0)] = Intent(TOPIC, 0, 0, 9, IntentState.PENDING, "quotes")
    sink, consumer = _sink(world, max_rows=10, log={0: []})
    begin = 0

    async def beginning_offsets(tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, begin)

    consumer.beginning_offsets = beginning_offsets  # type: ignore[method-assign]
    stop = asyncio.Event()
    async with sink:
        await sink.partitions.assign([TopicPartition(TOPIC, 0)])
        task = asyncio.create_task(sink.run(stop))
        await asyncio.sleep(0.3)
        assert world.intents[(TOPIC, 0)].state is IntentState.PENDING  # still waiting
        begin = 10  # delete_records up to 10
        await eventually(
            lambda: _true(world.intents[(TOPIC, 0)].state is IntentState.DONE), timeout=5
        )
        stop.set()
        await asyncio.wait_for(task, 5)


class Boom:
    """A batch writer that fails with a different bug per partition."""

    async def write(self, batch: PartitionBatch) -> Prepared:
        raise _Bug(f"bug in partition {batch.partition}")


class _Bug(BaseException):
    pass


async def test_a_failed_flush_surfaces_every_error_not_only_the_first() -> None:
    world = World(crashes=[])
    cycles = FlushCycle(
        store=FakeStore(world),
        writer=Boom(),
        retrier=Retrier(MetricsRecorder()),
        table_of=lambda topic: "quotes",
        concurrency=2,
    )
    batches = [PartitionBatch(TOPIC, p, 0.0, [Raw(TOPIC, p, 0)]) for p in range(2)]
    with pytest.raises(BaseExceptionGroup) as caught:
        await cycles.run(batches)
    assert sorted(str(e) for e in caught.value.exceptions) == [
        "bug in partition 0",
        "bug in partition 1",
    ]


async def test_a_fast_insert_failing_transiently_every_time_takes_the_python_path() -> None:
    """Random bodies can make ClickHouse fail with a "transient" code (memory) every time: the
    batch must not retry the fast path forever."""
    world = World(crashes=[])
    memory = ClickHouseUnavailable("Code: 173. CANNOT_ALLOCATE_MEMORY")
    table = RefusingTable(world, memory, refusals=10**6)
    sink, _ = _sink(world, max_rows=10, table=table, retry_initial_s=0.001, retry_max_s=0.002)
    await sink.partitions.assign([TopicPartition(TOPIC, 0)])
    sink.batcher.add(_log(partitions=1, n=10)[0], now=0.0)
    await sink.flush(sink.batcher.take_all())
    metrics = sink.metrics()
    assert metrics.rows_by_path == {"python": 10}
    assert metrics.fast_path_fallbacks == {FallbackReason.FAILING: 1}
    assert table.attempts == sink.config.fast_path_attempts
    assert len(world.rows) == 10
