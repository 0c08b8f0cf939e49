"""The fast path against the real ClickHouse front: same rows as the Python path, fallbacks, DLQ.

The equivalence test needs no Kafka: it drives the writer the way the sink does, batch by batch,
into two identical databases — one through the fast path (falling back to the Python path when
ClickHouse refuses), one through the Python path only — and compares the tables row for row.
"""

from __future__ import annotations

import asyncio
import random
import struct
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from schemas import MARKET_TOPICS, AvroCodec, TopicSpec
from sinks import BatchPolicy, ClickHouseSink, PartitionBatch, SinkConfig
from sinks.columns import TableLayout
from sinks.errors import PassthroughRejected, RowsRejected
from sinks.passthrough import FallbackReason, FastInsert, new_marker, plan_passthrough
from sinks.prepare import Prepared, prepare_batch, reject_violations
from sinks.routes import Route, routes_for
from sinks.writer import ClickHouseWriter
from tastystream.settings import ClickHouseSettings
from tastystream.stack import StackConfig
from tests.integration.sinks.stream import (
    Publisher,
    SinkWorld,
    ch_client,
    counts,
    create_topics,
    drop_database,
    new_world,
    query,
    read_topic,
)
from tests.support import eventually
from tests.unit.sinks.raw import Raw
from tests.unit.sinks.records import T0, records

pytestmark = pytest.mark.integration

QUOTE = MARKET_TOPICS["Quote"]
DT64_MIN, DT64_MAX = -2_208_988_800_000_000, 10_413_791_999_999_999
NAN_PAYLOAD: float = struct.unpack("<d", b"\x01\x00\x00\x00\x00\x00\xf8\x7f")[0]


@pytest.fixture
async def world(stack_config: StackConfig) -> AsyncIterator[SinkWorld]:
    w = new_world(stack_config)
    yield w
    await drop_database(w)


@pytest.fixture
def clickhouse_stack(local_stack: Any) -> StackConfig:
    """ClickHouse only (the writer-level tests need no Kafka)."""
    config: StackConfig = local_stack.ensure("clickhouse")
    return config


@pytest.fixture
async def ch_world(clickhouse_stack: StackConfig) -> AsyncIterator[SinkWorld]:
    w = new_world(clickhouse_stack)
    yield w
    await drop_database(w)


# --- random quotes with the edge cases of every column type ------------------------------


def _ts(rng: random.Random, i: int, defects: bool) -> int:
    return rng.choice(
        [T0 + i, T0 + i, 0, -1, DT64_MIN, DT64_MAX, rng.randint(DT64_MIN, DT64_MAX)]
        + ([DT64_MAX + 1, DT64_MIN - 1, 2**63 - 1, -(2**63)] if defects else [])
    )


def _text(rng: random.Random) -> str:
    alphabet = "aZ09 _-/{}=:.\x00\t\n'\\\"é€ß中😀\u200b"
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 0, 1, 3, 12, 80])))


def _double(rng: random.Random) -> float:
    return rng.choice(
        [
            float("nan"),
            NAN_PAYLOAD,
            float("inf"),
            float("-inf"),
            -0.0,
            0.0,
            5e-324,
            1.7976931348623157e308,
            rng.uniform(-1e6, 1e6),
            rng.random(),
        ]
    )


def _event_id(rng: random.Random, defects: bool) -> str:
    u = uuid.UUID(int=rng.getrandbits(128))
    roll = rng.random()
    if defects and roll < 0.02:
        return u.hex  # uuid.UUID takes it, the fast path does not: fallback, then accepted
    if defects and roll < 0.03:
        return "not-a-uuid"
    return str(u).upper() if roll < 0.2 else str(u)


def _record(spec: TopicSpec, rng: random.Random, i: int, defects: bool) -> dict[str, Any]:
    """A random record of ``spec``'s schema with every type's edge cases; with ``defects``,
    some rows the fast path refuses or no table takes."""
    rare = defects and rng.random() < 0.02
    out: dict[str, Any] = {}
    for f in spec.schema()["fields"]:
        name, kind = f["name"], f["type"]
        if name == "event_id":
            out[name] = _event_id(rng, defects)
        elif isinstance(kind, dict):  # timestamp-micros
            out[name] = _ts(rng, i, rare)
        elif kind == "string":
            out[name] = _text(rng)
        elif kind == "double":
            out[name] = _double(rng)
        elif kind == "boolean":
            out[name] = rng.random() < 0.5
        else:
            bits = 32 if kind == "int" else 64
            lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
            out[name] = rng.choice([0, -1, 1, lo, hi, i, rng.randint(lo, hi)])
    return out


def _mutate(rng: random.Random, value: bytes, kind: int) -> bytes:
    """Corrupt one wire value the ways a broken producer would."""
    body = bytearray(value)
    if kind == 0:
        return bytes(body[: rng.randrange(5, len(body))])  # truncated
    if kind == 1:
        return bytes(body) + bytes([rng.randrange(256)])  # trailing byte
    if kind == 2 and b"\xc3\xa9" in body:  # "é" → an invalid UTF-8 pair of the same length
        at = body.index(b"\xc3\xa9")
        body[at] = 0xFF
        return bytes(body)
    at = rng.randrange(5, len(body))
    body[at] ^= 1 << rng.randrange(8)  # one flipped bit
    return bytes(body)


# --- the two ways of writing a batch ------------------------------------------------------


@dataclass
class Target:
    writer: ClickHouseWriter
    layout: TableLayout


async def _target(world: SinkWorld, database: str, spec: TopicSpec = QUOTE) -> Target:
    cfg = ClickHouseSettings(
        url=world.stack.clickhouse_url,
        database=database,
        password=SecretStr(world.stack.clickhouse_password),
    )
    writer = ClickHouseWriter(cfg, pool_size=1)
    await writer.start()
    await writer.migrate()
    route = routes_for([spec.name])[spec.name]
    columns = await writer.columns(spec.table)
    layout = TableLayout.build(database, spec.table, columns, route.fields)
    return Target(writer, layout)


async def _python(
    target: Target, batch: PartitionBatch, route: Route, codec: AvroCodec
) -> Prepared:
    prepared = prepare_batch(batch, route, target.layout, codec, "g")
    while prepared.rows:
        try:
            await target.writer.insert(target.layout, prepared.columns, batch.token)
            break
        except RowsRejected:
            retry = reject_violations(prepared, route, target.layout, codec, "g")
            assert retry is not None
            prepared = retry
    return prepared


async def _fast(
    target: Target, plan: FastInsert, batch: PartitionBatch, route: Route, codec: AvroCodec
) -> Prepared | None:
    data = plan.container([r.value for r in batch.records])
    try:
        await target.writer.insert_container(
            target.layout, plan.sql, data, batch.token, len(batch.records)
        )
    except PassthroughRejected:
        return None
    return Prepared(batch, [], len(batch.records))


async def _table(world: SinkWorld, layout: TableLayout) -> list[bytes]:
    """Every row as ClickHouse prints it (NaN compares equal as text), float bits included."""
    floats = [f"hex({p.column.name})" for p in layout.plans if "Float" in p.column.type]
    sql = (
        f"SELECT *, {', '.join(floats) or '0'} FROM {layout.database}.{layout.table}"
        " ORDER BY ALL FORMAT TabSeparated"
    )

    def run() -> list[bytes]:
        client = ch_client(world)
        try:
            data: bytes = client.raw_query(sql)
            return data.splitlines()
        finally:
            client.close()

    return await asyncio.to_thread(run)


@pytest.mark.parametrize("event_type", sorted(MARKET_TOPICS))
async def test_fast_and_python_paths_write_identical_tables(
    ch_world: SinkWorld, event_type: str
) -> None:
    world = ch_world
    spec = MARKET_TOPICS[event_type]
    rounds = 24 if event_type == "Quote" else 9
    fast_db, python_db = world.database, f"{world.database}_py"
    fast = await _target(world, fast_db, spec)
    python = await _target(world, python_db, spec)
    topic = spec.name
    route = routes_for([topic])[topic]
    codec = AvroCodec(readers=[spec.schema()])
    codec.add(11, spec.schema())
    plan = plan_passthrough(fast.layout, spec.schema(), 11, codec.schema(11), new_marker())
    assert isinstance(plan, FastInsert)
    rng = random.Random(f"{event_type}-20260302")
    paths: dict[str, int] = {"fast": 0, "python": 0}
    offset = 0
    try:
        for round_ in range(rounds):
            n = rng.choice([1, 7, 150, 400]) if round_ % 3 != 2 else 150
            defects = round_ % 4 == 3  # rows only the Python path can judge, now and then
            rows = [_record(spec, rng, offset + i, defects) for i in range(n)]
            values = codec.encode_many(11, rows)
            if round_ % 3 == 2:  # every third batch: one broken record, each kind in turn
                kind = (round_ // 3) % 5
                at = next(
                    (i for i, v in enumerate(values) if kind != 2 or b"\xc3\xa9" in v),
                    rng.randrange(n),
                )
                values[at] = _mutate(rng, values[at], kind)
            raws = [Raw(topic, 0, offset + i, v) for i, v in enumerate(values)]
            offset += n
            batch = PartitionBatch(topic, 0, 0.0, raws)
            reference = await _python(python, batch, route, codec)
            landed = await _fast(fast, plan, batch, route, codec)
            if landed is None:
                paths["python"] += 1
                again = await _python(fast, batch, route, codec)
                assert [lt.record["offset"] for lt in again.letters] == [
                    lt.record["offset"] for lt in reference.letters
                ]
            else:
                paths["fast"] += 1
                # the fast path only ever accepts a batch the Python path takes whole
                assert reference.letters == []
                assert landed.rows == reference.rows
        # both paths were exercised (the seed makes this deterministic)
        assert paths["fast"] >= rounds // 3
        assert paths["python"] >= rounds // 6
        fast_rows, python_rows = (
            await _table(world, fast.layout),
            await _table(world, python.layout),
        )
        assert len(fast_rows) == len(python_rows) > 0
        diff = [(a, b) for a, b in zip(fast_rows, python_rows, strict=True) if a != b]
        assert not diff, f"{len(diff)} rows differ, first: {diff[0]}"
        # a replay through the other path is the same block: dropped by the token
        clean = [_record(spec, rng, 10_000 + i, defects=False) for i in range(5)]
        raws = [Raw(topic, 0, 10_000 + i, v) for i, v in enumerate(codec.encode_many(11, clean))]
        batch = PartitionBatch(topic, 0, 0.0, raws)
        assert await _fast(fast, plan, batch, route, codec) is not None
        await _python(python, batch, route, codec)
        before = await _table(world, fast.layout)
        await _python(fast, batch, route, codec)
        assert await _fast(python, plan, batch, route, codec) is not None  # same token
        assert await _table(world, fast.layout) == before == await _table(world, python.layout)
    finally:
        await fast.writer.close()
        await python.writer.close()
        await drop_database(SinkWorld(world.stack, world.prefix, python_db, world.group))


async def test_a_failed_fast_insert_lands_nothing(ch_world: SinkWorld) -> None:
    world = ch_world
    """The bad record is the last of many rows read in small blocks: still nothing lands."""
    target = await _target(world, world.database)
    codec = AvroCodec(readers=[QUOTE.schema()])
    codec.add(5, QUOTE.schema())
    plan = plan_passthrough(target.layout, QUOTE.schema(), 5, QUOTE.schema(), new_marker())
    assert isinstance(plan, FastInsert)
    good = records("Quote", 3_000)
    late = dict(good[-1], ts_event=DT64_MAX + 1)
    values = codec.encode_many(5, [*good[:-1], late])
    sql = plan.sql
    try:
        # ask ClickHouse for 1000-row read blocks through the statement itself
        small = sql.replace(" FORMAT Avro", " SETTINGS max_block_size = 1000 FORMAT Avro")
        with pytest.raises(PassthroughRejected) as caught:
            await target.writer.insert_container(
                target.layout, small, plan.container(values), "t/0/0-2999", 999
            )
        assert caught.value.code == 395  # FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
        assert await counts(world, "quotes") == (0, 0)
    finally:
        await target.writer.close()


@pytest.mark.parametrize(
    ("name", "corrupt"),
    [
        ("truncated body", lambda v: v[:-3]),
        ("trailing bytes", lambda v: v + b"\x00\x00"),
        ("timestamp out of range", None),
        ("invalid UTF-8", lambda v: v.replace("é".encode(), b"\xff\xa9")),
    ],
)
async def test_each_kind_of_bad_record_fails_the_fast_insert(
    ch_world: SinkWorld, name: str, corrupt: Any
) -> None:
    world = ch_world
    target = await _target(world, world.database)
    codec = AvroCodec(readers=[QUOTE.schema()])
    codec.add(5, QUOTE.schema())
    plan = plan_passthrough(target.layout, QUOTE.schema(), 5, QUOTE.schema(), new_marker())
    assert isinstance(plan, FastInsert)
    good = [dict(r, symbol=f"é{i}") for i, r in enumerate(records("Quote", 20))]
    if corrupt is None:
        good[7] = dict(good[7], ts_event=DT64_MIN - 1)
    values = codec.encode_many(5, good)
    if corrupt is not None:
        values[7] = corrupt(values[7])
    try:
        with pytest.raises(PassthroughRejected):
            await target.writer.insert_container(
                target.layout, plan.sql, plan.container(values), f"t/0/{name}", 20
            )
        assert await counts(world, "quotes") == (0, 0)
        # the clean batch goes through
        await target.writer.insert_container(
            target.layout, plan.sql, plan.container(values[:7]), "t/0/0-6", 7
        )
        assert await counts(world, "quotes") == (7, 7)
    finally:
        await target.writer.close()


# --- through the sink ---------------------------------------------------------------------


async def test_the_sink_takes_the_fast_path_and_falls_back_per_batch(world: SinkWorld) -> None:
    topic = world.topic("Quote")
    await create_topics(world.stack.kafka_bootstrap, {topic: 2})
    clean = records("Quote", 400)
    mixed = records("Quote", 40, start=1_000)
    async with Publisher(world) as pub:
        sid = await pub.schema_id(topic, QUOTE)
        values = pub.codec.encode_many(sid, clean)
        for value in values:
            await pub.producer.send(topic, value=value, key=b"k", partition=0)
        bad = pub.codec.encode_many(sid, mixed)
        bad[5] = bad[5][:-4]  # truncated body
        bad[12] = pub.codec.encode(sid, dict(mixed[12], ts_event=DT64_MAX + 1))  # out of range
        bad[20] = bad[20] + b"\x01"  # trailing byte
        bad[30] = b"\x07" + bad[30][1:]  # bad magic byte: python path without trying
        for value in bad[:30]:
            await pub.producer.send(topic, value=value, key=b"k", partition=1)
        await pub.producer.flush()
        for value in bad[30:]:
            await pub.producer.send(topic, value=value, key=b"k", partition=1)
        await pub.producer.flush()
    config = SinkConfig(group_id=world.group, batch=BatchPolicy(max_rows=30, max_age_s=1.0))
    stop = asyncio.Event()
    async with ClickHouseSink(world.settings(), config=config, topics=[topic]) as sink:
        task = asyncio.create_task(sink.run(stop))

        async def landed() -> bool:
            return (await counts(world, "quotes"))[0] >= 400 + 36

        await eventually(landed, timeout=90, interval=0.3, message="rows did not land")
        await eventually(lambda: _true(sink.metrics().total_dead_letters == 4), timeout=20)
        stop.set()
        await asyncio.wait_for(task, 30)
    metrics = sink.metrics()
    assert await counts(world, "quotes") == (436, 436)
    # partition 0: clean batches of 30 → fast; partition 1: the first 30 hold three bad
    # records → refused → python; the last 10 hold a bad magic byte → python directly
    assert metrics.rows_by_path == {"fast": 400, "python": 36}
    assert metrics.fast_path_fallbacks == {
        FallbackReason.REJECTED: 1,
        FallbackReason.BAD_MAGIC: 1,
    }
    letters = await read_topic(world.stack.kafka_bootstrap, f"{topic}.dlq")
    assert len(letters) == 4
    ids = {
        r[0] for r in await query(world, f"SELECT toString(event_id) FROM {world.database}.quotes")
    }
    assert ids == {r["event_id"] for r in clean} | {
        r["event_id"] for i, r in enumerate(mixed) if i not in (5, 12, 20, 30)
    }


async def _true(value: bool) -> bool:
    return value
