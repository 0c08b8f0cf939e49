"""The sink's intent protocol, driven through the real sink code against fakes, crashing anywhere.

A fake checkpoint store, a fake table that honours ``insert_deduplication_token`` like
ClickHouse, and a fake consumer stand in for the services; the batching, the flush cycle, the
resume decision and the replay are the sink's own. Whatever the crash schedule, after the
restarts every record is in the table exactly once.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import fastavro
import pytest
from aiokafka import TopicPartition
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import MARKET_TOPICS, AvroCodec
from sinks import (
    BatchPolicy,
    ClickHouseSink,
    ClickHouseUnavailable,
    Intent,
    IntentState,
    SinkConfig,
    SinkState,
    TableLayout,
)
from sinks.batch import TopicPartitionKey
from sinks.checkpoint import Resume, resume_from
from sinks.errors import PassthroughRejected
from sinks.passthrough import FallbackReason
from sinks.routes import routes_for
from tastystream.settings import Settings
from tests.support import eventually
from tests.unit.sinks.raw import Raw
from tests.unit.sinks.records import ddl_columns, records

TOPIC = MARKET_TOPICS["Quote"].name
POINTS = (
    "pending-before",
    "pending-after",
    "insert-before",
    "insert-after",
    "done-before",
    "done-after",
)


class Crash(BaseException):
    """The process dies here (not an error the sink could handle: a kill)."""


@dataclass
class World:
    """The durable side: what survives a crash."""

    crashes: list[tuple[int, str]]
    intents: dict[TopicPartitionKey, Intent] = field(default_factory=dict)
    rows: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    committed: dict[TopicPartitionKey, int] = field(default_factory=dict)
    cycle: int = 0

    def maybe_crash(self, point: str) -> None:
        if (self.cycle, point) in self.crashes:
            self.crashes.remove((self.cycle, point))
            raise Crash(f"cycle {self.cycle} {point}")


class FakeStore:
    def __init__(self, world: World) -> None:
        self.world = world

    async def load(self, topics: Sequence[str]) -> dict[TopicPartitionKey, Intent]:
        return {k: v for k, v in self.world.intents.items() if k[0] in topics}

    async def write(self, intents: Sequence[Intent]) -> None:
        if not intents:
            return
        stage = "pending" if intents[0].state is IntentState.PENDING else "done"
        if stage == "pending":
            self.world.cycle += 1
        self.world.maybe_crash(f"{stage}-before")
        for intent in intents:
            current = self.world.intents.get(intent.key)
            if current is None or intent.version >= current.version:
                self.world.intents[intent.key] = intent
        self.world.maybe_crash(f"{stage}-after")


class FakeTable:
    """Inserts with a dedup token land once, like a MergeTree with a deduplication window."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def insert(self, layout: TableLayout, data: Sequence[Sequence[Any]], token: str) -> float:
        self.world.maybe_crash("insert-before")
        if token not in self.world.tokens:
            self.world.tokens.add(token)
            self.world.rows.extend(data[layout.column_names.index("event_id")])
        self.world.maybe_crash("insert-after")
        return 0.001

    async def insert_container(
        self, layout: TableLayout, sql: str, data: bytes, token: str, rows: int
    ) -> float:
        """The fast path: ClickHouse reads the Avro container (fastavro here)."""
        self.world.maybe_crash("insert-before")
        if token not in self.world.tokens:
            self.world.tokens.add(token)
            read: list[Any] = list(fastavro.reader(io.BytesIO(data)))
            assert len(read) == rows
            self.world.rows.extend(r["event_id"] for r in read)
        self.world.maybe_crash("insert-after")
        return 0.001


class FakeConsumer:
    """Positions, pauses and commits of a consumer over an in-memory ``log``."""

    def __init__(self, world: World, log: dict[int, list[Raw]] | None = None) -> None:
        self.world = world
        self.log = log or {}
        self.positions: dict[TopicPartitionKey, int] = {}
        self.paused: set[TopicPartitionKey] = set()
        self.chunk = 10

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[(tp.topic, tp.partition)] = offset

    def pause(self, tp: TopicPartition) -> None:
        self.paused.add((tp.topic, tp.partition))

    def resume(self, tp: TopicPartition) -> None:
        self.paused.discard((tp.topic, tp.partition))

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        for tp, offset in offsets.items():
            self.world.committed[(tp.topic, tp.partition)] = offset

    def highwater(self, tp: TopicPartition) -> int | None:
        return len(self.log.get(tp.partition, [])) if self.log else None

    async def beginning_offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, 0)

    async def committed(self, tp: TopicPartition) -> int | None:
        return self.world.committed.get((tp.topic, tp.partition))

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Raw]]:
        out: dict[TopicPartition, list[Raw]] = {}
        for (topic, p), pos in self.positions.items():
            got = [] if (topic, p) in self.paused else self.log[p][pos : pos + self.chunk]
            if got:
                out[TopicPartition(topic, p)] = got
                self.positions[(topic, p)] = pos + len(got)
        if not out:
            await asyncio.sleep(timeout_ms / 1000)
        return out


class FakeRegistry:
    async def prime(self, codec: AvroCodec, values: Any) -> set[int]:
        return set()


class FakeDlq:
    def __init__(self) -> None:
        self.letters: list[Any] = []

    async def publish(self, letters: Any) -> None:
        self.letters.extend(letters)


def _log(partitions: int, n: int) -> dict[int, list[Raw]]:
    codec = AvroCodec()
    codec.add(1, MARKET_TOPICS["Quote"].schema())
    values = codec.encode_many(1, records("Quote", n * partitions))
    return {p: [Raw(TOPIC, p, o, values[p * n + o]) for o in range(n)] for p in range(partitions)}


def _sink(
    world: World,
    max_rows: int,
    passthrough: bool = True,
    *,
    table: Any = None,
    log: dict[int, list[Raw]] | None = None,
    **tunables: Any,
) -> tuple[ClickHouseSink, FakeConsumer]:
    """A sink whose collaborators are all fakes (injected, nothing overwritten)."""
    config = SinkConfig(
        batch=BatchPolicy(max_rows=max_rows, max_age_s=0.5, max_buffered_rows=10_000),
        passthrough=passthrough,
        **tunables,
    )
    consumer = FakeConsumer(world, log)
    route = routes_for([TOPIC])[TOPIC]
    sink = ClickHouseSink(
        Settings(),
        config=config,
        topics=[TOPIC],
        store=FakeStore(world),
        table=table or FakeTable(world),
        registry=FakeRegistry(),
        letters=FakeDlq(),
        consumer=consumer,
        layouts={TOPIC: TableLayout.build("db", "quotes", ddl_columns(route.spec), route.fields)},
    )
    sink.codec.add(1, MARKET_TOPICS["Quote"].schema())
    return sink, consumer


async def _run(
    world: World, log: dict[int, list[Raw]], chunk: int, max_rows: int, passthrough: bool = True
) -> int:
    """Run sinks until the log is fully written; each crash starts a fresh sink. Returns restarts."""
    restarts = 0
    while True:
        sink, consumer = _sink(world, max_rows, passthrough)
        tps = [TopicPartition(TOPIC, p) for p in log]
        await sink.partitions.assign(tps)
        assert set(consumer.positions) == {(TOPIC, p) for p in log}  # every partition positioned
        now = 0.0
        try:
            while True:
                fetched = False
                for p, recs in log.items():
                    pos = consumer.positions[(TOPIC, p)]
                    got = recs[pos : pos + chunk]
                    if got:
                        fetched = True
                        consumer.positions[(TOPIC, p)] = pos + len(got)
                        sink.batcher.add(got, now)
                now += 0.2
                ready = sink.batcher.ready(now)
                if ready:
                    await sink.flush(ready)
                elif not fetched:
                    while rest := sink.batcher.take_all():
                        await sink.flush(rest)
                    return restarts
        except (Crash, BaseExceptionGroup):  # concurrent batches may die together
            restarts += 1


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    crashes=st.lists(
        st.tuples(st.integers(min_value=1, max_value=12), st.sampled_from(POINTS)),
        max_size=6,
        unique=True,
    ),
    chunk=st.integers(min_value=1, max_value=40),
    max_rows=st.integers(min_value=1, max_value=30),
    passthrough=st.booleans(),
)
def test_any_crash_schedule_ends_with_every_record_exactly_once(
    crashes: list[tuple[int, str]], chunk: int, max_rows: int, passthrough: bool
) -> None:
    log = _log(partitions=3, n=60)
    world = World(crashes=list(crashes))
    restarts = asyncio.run(_run(world, log, chunk, max_rows, passthrough))
    expected = sorted(r["event_id"] for r in records("Quote", 180))
    assert sorted(world.rows) == expected
    fired = len(crashes) - len(world.crashes)  # concurrent batches may crash in the same cycle
    assert (restarts > 0) == (fired > 0)
    assert restarts <= fired
    assert all(i.state is IntentState.DONE for i in world.intents.values())
    assert {k: i.next_offset for k, i in world.intents.items()} == {
        (TOPIC, p): 60 for p in range(3)
    }


def test_a_crash_after_the_insert_is_replayed_and_deduplicated() -> None:
    log = _log(partitions=1, n=10)
    world = World(crashes=[(1, "insert-after")])
    assert asyncio.run(_run(world, log, chunk=10, max_rows=10)) == 1
    assert len(world.rows) == 10
    assert world.tokens == {f"{TOPIC}/0/0-9"}


def test_resume_decisions() -> None:
    pending = Intent(TOPIC, 0, 10, 19, IntentState.PENDING, "quotes")
    assert resume_from(None) == Resume(None)
    assert resume_from(pending) == Resume(10, pending)
    assert resume_from(pending.done(10, 0)) == Resume(20)
    assert pending.token == f"{TOPIC}/0/10-19"
    assert pending.version < pending.done(10, 0).version
    assert (
        pending.done(10, 0).version
        < Intent(TOPIC, 0, 20, 20, IntentState.PENDING, "quotes").version
    )
    with pytest.raises(ValueError):
        Intent(TOPIC, 0, 5, 4, IntentState.PENDING, "quotes")


class DownTable:
    """ClickHouse is down: every insert fails with a retriable error."""

    def __init__(self) -> None:
        self.attempts = 0

    async def insert(self, layout: TableLayout, data: Sequence[Sequence[Any]], token: str) -> float:
        self.attempts += 1
        raise ClickHouseUnavailable("connection refused")

    async def insert_container(
        self, layout: TableLayout, sql: str, data: bytes, token: str, rows: int
    ) -> float:
        self.attempts += 1
        raise ClickHouseUnavailable("connection refused")

    async def close(self) -> None:
        return None


async def test_stop_during_an_outage_abandons_the_cycle_and_leaves_it_pending() -> None:
    world = World(crashes=[])
    down = DownTable()
    sink, _ = _sink(
        world,
        max_rows=10,
        table=down,
        log=_log(partitions=1, n=10),
        retry_initial_s=0.01,
        retry_max_s=0.02,
        drain_timeout_s=0.3,
    )
    stop = asyncio.Event()
    async with sink:
        await sink.partitions.assign([TopicPartition(TOPIC, 0)])
        task = asyncio.create_task(sink.run(stop))
        await eventually(lambda: _true(down.attempts >= 3), timeout=5)
        assert sink.metrics().state is SinkState.DEGRADED  # set by the retry loop
        stop.set()
        await asyncio.wait_for(task, 2)  # SIGTERM is not held up; the drain is bounded
    assert sink.metrics().state is SinkState.STOPPED
    assert world.intents[(TOPIC, 0)].state is IntentState.PENDING  # replayed on restart
    assert world.rows == []


async def _true(value: bool) -> bool:
    return value


class RefusingTable(FakeTable):
    """ClickHouse refuses the fast insert ``refusals`` times with ``error``, then takes it."""

    def __init__(self, world: World, error: Exception, refusals: int) -> None:
        super().__init__(world)
        self.error = error
        self.refusals = refusals
        self.attempts = 0

    async def insert_container(
        self, layout: TableLayout, sql: str, data: bytes, token: str, rows: int
    ) -> float:
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise self.error
        return await super().insert_container(layout, sql, data, token, rows)


async def _one_cycle(table: RefusingTable, world: World) -> ClickHouseSink:
    sink, _ = _sink(world, max_rows=10, table=table, retry_initial_s=0.001, retry_max_s=0.002)
    await sink.partitions.assign([TopicPartition(TOPIC, 0)])
    sink.batcher.add(_log(partitions=1, n=10)[0], now=0.0)
    await sink.flush(sink.batcher.take_all())
    return sink


async def test_a_refused_fast_insert_falls_back_to_the_python_path() -> None:
    world = World(crashes=[])
    refused = PassthroughRejected("Code: 395. a record fails the fast-path checks", 395)
    sink = await _one_cycle(RefusingTable(world, refused, refusals=1), world)
    assert sorted(world.rows) == sorted(r["event_id"] for r in records("Quote", 10))
    metrics = sink.metrics()
    assert metrics.rows_by_path == {"python": 10}
    assert metrics.fast_path_fallbacks == {FallbackReason.REJECTED: 1}
    assert metrics.insert_retries == 0


async def test_a_transient_fast_insert_failure_is_retried_not_fallen_back() -> None:
    world = World(crashes=[])
    down = ClickHouseUnavailable("Code: 252. Too many parts")
    table = RefusingTable(world, down, refusals=2)
    sink = await _one_cycle(table, world)
    assert sorted(world.rows) == sorted(r["event_id"] for r in records("Quote", 10))
    metrics = sink.metrics()
    assert metrics.rows_by_path == {"fast": 10}
    assert metrics.fast_path_fallbacks == {}
    assert metrics.insert_retries == 2
    assert table.attempts == 3
