"""Sandbox → DXLink → ingestor → Kafka → sink → ClickHouse, end to end on the local stack.

One pipeline run (module scope) serves the checks: every event type arrives in its table with
the same count as its Kafka topic and no duplicate event after dedupe; a DXLink drop is survived
with no lost subscription and a contiguous candle history (the gap was backfilled); an
independent consumer (confluent-kafka + the registry) decodes every market topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import clickhouse_connect
import pytest
import pytest_asyncio
from pydantic import SecretStr

from sandbox.clock import EQUITY, session_state
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from schemas.topics import MARKET_TOPICS
from tastystream.pipeline import Pipeline, run_pipeline
from tastystream.settings import (
    ClickHouseSettings,
    KafkaSettings,
    RegistrySettings,
    Settings,
    TastytradeSettings,
)
from tastystream.stack import StackConfig
from tests.support import eventually, unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

SYMBOLS = ("SPY", "AAPL", "SPX", "/ES", "BTC/USD")
#: the sandbox clock starts on a plain Tuesday at 9:40 New York time, whatever the wall clock
#: says: SPX quotes only in regular hours, and at 30x the 6h20 left last 12.7 minutes, longer
#: than the module runs (its waits add up to less)
CLOCK_START = datetime(2026, 11, 24, 14, 40, tzinfo=UTC)


@dataclass
class Run:
    server: SandboxServer
    settings: Settings
    pipeline: Pipeline
    stop: asyncio.Event
    task: asyncio.Task[None]
    ch: Any

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.ch.query(sql).result_rows]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def run(stack_config: StackConfig) -> AsyncIterator[Run]:
    # 30x clock: a short DXLink outage spans whole candle minutes
    assert session_state(EQUITY, CLOCK_START) == "Open"
    server = SandboxServer(
        replace(SandboxConfig(), port=0, seed=11, clock_speed=30.0, clock_start=CLOCK_START)
    )
    await server.start()
    database = unique("pipe").replace("-", "_")
    settings = Settings(
        tastytrade=TastytradeSettings(
            base_url=server.base_url,
            streamer_url=server.streamer_url,
            client_secret=SecretStr(server.config.client_secret),
            refresh_token=SecretStr(server.config.refresh_token),
            symbols=SYMBOLS,
            option_chains=("SPY:1",),
            candle_backfill="20m@1m",
        ),
        kafka=KafkaSettings(bootstrap=stack_config.kafka_bootstrap),
        registry=RegistrySettings(url=stack_config.registry_url),
        clickhouse=ClickHouseSettings(
            url=stack_config.clickhouse_url,
            database=database,
            password=SecretStr(stack_config.clickhouse_password),
        ),
    )
    ready: asyncio.Future[Pipeline] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_pipeline(
            settings,
            stop=stop,
            source="dxlink:sandbox",
            on_ready=ready.set_result,
            now_ms=server.market.clock.now_ms,
        )
    )
    pipeline = await asyncio.wait_for(ready, 120)
    ch = clickhouse_connect.get_client(
        dsn=stack_config.clickhouse_url, password=stack_config.clickhouse_password
    )
    try:
        yield Run(server, settings, pipeline, stop, task, ch)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 60)
        ch.close()
        await server.stop()


async def test_every_event_type_reaches_its_table(run: Run) -> None:
    async def all_types() -> bool:
        # acked, not just received: the snapshot below must hold every type
        acked = run.pipeline.publisher.metrics.acked
        return all(acked[t] > 0 for t in MARKET_TOPICS)

    try:
        await eventually(all_types, timeout=90, interval=0.5)
    except AssertionError:
        raise AssertionError(
            "not every event type was acked: received "
            f"{dict(run.pipeline.ingestor.metrics.received)}, "
            f"acked {dict(run.pipeline.publisher.metrics.acked)}"
        ) from None
    db = run.settings.clickhouse.database

    snapshot = dict(run.pipeline.publisher.metrics.acked)  # the live stream keeps going

    async def landed() -> bool:
        # the sink inserted at least what was acked at the snapshot (raw table counts can
        # shrink as ReplacingMergeTree merges re-sent twins), and every table holds rows
        inserted = run.pipeline.sink.metrics().rows_inserted
        counts = {
            t: run.rows(f"SELECT count() FROM {db}.{spec.table}")[0][0]
            for t, spec in MARKET_TOPICS.items()
        }
        return all(
            inserted.get(spec.table, 0) >= snapshot[t] > 0 and counts[t] > 0
            for t, spec in MARKET_TOPICS.items()
        )

    try:
        await eventually(landed, timeout=60, interval=0.5)
    except AssertionError:
        counts = {
            spec.table: run.rows(f"SELECT count() FROM {db}.{spec.table}")[0][0]
            for spec in MARKET_TOPICS.values()
        }
        inserted = run.pipeline.sink.metrics().rows_inserted
        raise AssertionError(
            f"rows did not land: acked {snapshot}, inserted {inserted}, tables {counts}"
        ) from None
    assert run.pipeline.ingestor.metrics.dropped == 0
    assert run.pipeline.ingestor.metrics.normalize_failures == 0
    assert sum(run.pipeline.publisher.metrics.failed.values()) == 0
    assert run.pipeline.sink.metrics().total_dead_letters == 0


async def test_dxlink_drop_loses_no_subscription_and_backfills_the_candle_gap(run: Run) -> None:
    ingestor = run.pipeline.ingestor
    await eventually(
        lambda: _true(ingestor.metrics.received["Candle"] > 0), timeout=60, message="no candles"
    )
    before = {k: set(v) for k, v in ingestor.subscriptions.items()}
    quotes_before = ingestor.metrics.received["Quote"]
    dropped = await run.server.admin.drop_streams("dxlink")
    assert dropped["dxlink"] >= 1
    await eventually(
        lambda: _true(ingestor.metrics.reconnects >= 1), timeout=30, message="no reconnect seen"
    )
    await eventually(
        lambda: _true(ingestor.metrics.received["Quote"] > quotes_before + 50),
        timeout=30,
        message="quotes did not resume",
    )
    after = ingestor.subscriptions
    assert {k: set(v) for k, v in after.items()} == before

    db = run.settings.clickhouse.database
    # quotes resumed for every underlying after the reconnect
    since = run.rows(f"SELECT max(ts_ingest) - toIntervalSecond(3) FROM {db}.quotes")[0][0]

    async def all_symbols_resumed() -> bool:
        got = {
            r[0]
            for r in run.rows(
                f"SELECT DISTINCT symbol FROM {db}.quotes WHERE ts_ingest >= toDateTime64('{since}', 6, 'UTC')"
            )
        }
        return {"SPY", "AAPL", "SPX", "BTC/USD"} <= got and any(s.startswith("/ES") for s in got)

    await eventually(all_symbols_resumed, timeout=30, interval=0.5, message="a symbol was lost")

    # crypto trades 24/7: its 1-minute candles must have no missing minute across the outage
    async def contiguous() -> bool:
        times = [
            r[0]
            for r in run.rows(
                f"SELECT DISTINCT time FROM {db}.candles WHERE streamer_symbol LIKE 'BTC/USD%{{=1m}}' ORDER BY time"
            )
        ]
        if len(times) < 15:
            return False
        gaps = [b - a for a, b in itertools.pairwise(times) if (b - a).total_seconds() != 60]
        assert not gaps, f"candle gaps: {gaps[:5]}"
        return True

    await eventually(contiguous, timeout=30, interval=0.5, message="candle history incomplete")


async def test_the_sink_inserted_every_kafka_record_exactly_once(run: Run) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    run.stop.set()  # graceful: intake stops, producer flushes, sink drains and commits
    await asyncio.wait_for(run.task, 90)
    consumer = AIOKafkaConsumer(bootstrap_servers=run.settings.kafka.bootstrap)
    await consumer.start()
    try:
        totals: dict[str, int] = {}
        for event_type, spec in MARKET_TOPICS.items():
            tps = [TopicPartition(spec.name, p) for p in range(spec.partitions)]
            begin = await consumer.beginning_offsets(tps)
            end = await consumer.end_offsets(tps)
            totals[event_type] = sum(end[tp] - begin[tp] for tp in tps)
    finally:
        await consumer.stop()
    # exactly once in the sink: every Kafka record inserted once (no replays happened here)
    inserted = run.pipeline.sink.metrics().rows_inserted
    for event_type, spec in MARKET_TOPICS.items():
        assert inserted.get(spec.table, 0) == totals[event_type], (
            f"{event_type}: kafka {totals[event_type]} != inserted {inserted.get(spec.table, 0)}"
        )


def _consume_all_with_confluent(
    bootstrap: str, registry_url: str, topic: str
) -> list[dict[str, Any]]:
    """An independent consumer: librdkafka + Confluent's AvroDeserializer + our registry."""
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": unique("indep"), "enable.auto.commit": False}
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        partitions = list(metadata.topics[topic].partitions)
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        }
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        out: list[dict[str, Any]] = []
        done = {p for p, end in ends.items() if end == 0}
        while len(done) < len(partitions):
            msg = consumer.poll(5.0)
            assert msg is not None, f"{topic}: stalled before the end offsets {ends}"
            assert msg.error() is None, msg.error()
            value = deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE))
            out.append(value)
            offset = msg.offset()
            assert offset is not None
            if offset + 1 >= ends[msg.partition()]:
                done.add(msg.partition())
        return out
    finally:
        consumer.close()


async def test_an_independent_consumer_sees_exactly_the_events_in_the_tables(run: Run) -> None:
    if not run.task.done():
        run.stop.set()
        await asyncio.wait_for(run.task, 90)
    decoded: dict[str, list[dict[str, Any]]] = {}
    for event_type, spec in MARKET_TOPICS.items():
        decoded[event_type] = await asyncio.to_thread(
            _consume_all_with_confluent,
            run.settings.kafka.bootstrap,
            run.settings.registry.url,
            spec.name,
        )
        assert decoded[event_type], f"{spec.name}: nothing decoded"
        sample = decoded[event_type][0]
        assert sample["event_id"], sample
        assert sample["streamer_symbol"], sample
    db = run.settings.clickhouse.database
    # no event lost, none duplicated: the distinct events in each topic are exactly the table's
    for event_type, spec in MARKET_TOPICS.items():
        if event_type == "Candle":
            continue  # versioned per (symbol, period, time): compared below
        ids = {r["event_id"] for r in decoded[event_type]}
        distinct, final = run.rows(
            f"SELECT (SELECT uniqExact(event_id) FROM {db}.{spec.table}),"
            f" (SELECT count() FROM {db}.{spec.table} FINAL)"
        )[0]
        assert distinct == len(ids), (
            f"{event_type}: {len(ids)} events in Kafka, {distinct} in table"
        )
        assert final == distinct, f"{event_type}: duplicate rows after dedupe"
    in_kafka = {(r["streamer_symbol"], r["time"]) for r in decoded["Candle"]}
    in_table = {
        (r[0], r[1])
        for r in run.rows(
            f"SELECT streamer_symbol, toUnixTimestamp64Micro(time) FROM {db}.candles FINAL"
        )
    }
    kafka_micros = {
        (s, int(t.timestamp() * 1_000_000) if hasattr(t, "timestamp") else int(t))
        for s, t in in_kafka
    }
    assert kafka_micros == in_table


async def _true(value: bool) -> bool:
    return value
