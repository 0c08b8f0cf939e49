"""Sandbox account events → account ingestor → Kafka → the ClickHouse sink, with a dropped stream.

Orders fill while the account stream is down; after the reconnect the snapshot heals the state:
``latest_positions`` equals the sandbox's REST positions (exact decimals), every transaction REST
lists is in ``account_transactions`` exactly once, and every produced record is one row.
The records go to per-test topics (``<prefix>.tt.acct.*.v1``) and a per-test database.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from clickhouse_connect.driver.exceptions import DatabaseError

from adapters.tastytrade import Backoff, Client
from adapters.tastytrade.errors import ErrorStream
from adapters.tastytrade.models import InstrumentType, OrderAction
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from ingest.account import AccountIngestConfig, AccountIngestor, streamer_factory
from ingest.account_publisher import AccountPublisher
from schemas.codec import AvroCodec
from schemas.registry import SchemaRegistry, register_all, subjects_of
from schemas.topics import ACCOUNT_TOPICS
from sinks import BatchPolicy, ClickHouseSink, SinkConfig
from tastystream.settings import KafkaSettings
from tastystream.stack import StackConfig
from tests.integration.client_sandbox.conftest import ACCOUNT, open_client, open_sandbox
from tests.integration.sinks.stream import (
    Publisher,
    SinkWorld,
    drop_database,
    new_world,
    query,
    read_topic,
)
from tests.support import eventually
from tests.unit.sinks.account_records import AT, account_record, dec

pytestmark = pytest.mark.integration

ADMIN = {"X-Sandbox-Admin": "sandbox-admin"}
RECONNECT_AFTER_S = 2.0


class PrefixedProducer(AIOKafkaProducer):  # type: ignore[misc]
    """Produces to ``<prefix>.<topic>``: this test's own copies of the account topics."""

    def __init__(self, prefix: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefix = prefix

    async def send(self, topic: str, *args: Any, **kwargs: Any) -> Any:
        return await super().send(f"{self.prefix}.{topic}", *args, **kwargs)


@pytest.fixture
async def world(stack_config: StackConfig) -> AsyncIterator[SinkWorld]:
    w = new_world(stack_config)
    yield w
    await drop_database(w)


def market(symbol: str, quantity: int) -> NewOrder:
    leg = NewOrderLeg(InstrumentType.EQUITY, symbol, OrderAction.BUY_TO_OPEN, Decimal(quantity))
    return NewOrder.market(leg)


async def admin(base_url: str, path: str, body: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN) as http:
        response = await http.post(f"/_sandbox/{path}", json=body)
        response.raise_for_status()
        return response.json()["data"]


async def filled(client: Client, order_id: int) -> bool:
    return str((await client.rest.orders.get(ACCOUNT, order_id)).status) == "Filled"


async def produced(world: SinkWorld, codec: AvroCodec, stem: str) -> list[dict[str, Any]]:
    """Every record in this test's ``tt.acct.<stem>.v1``."""
    consumer = AIOKafkaConsumer(
        f"{world.prefix}.{ACCOUNT_TOPICS[stem].name}",
        bootstrap_servers=world.stack.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    out: list[dict[str, Any]] = []
    try:
        while batch := await consumer.getmany(timeout_ms=1500):
            for messages in batch.values():
                out.extend(codec.decode(m.value).record for m in messages)
    finally:
        await consumer.stop()
    return out


async def test_account_events_land_exactly_and_the_snapshot_heals_latest_state(
    world: SinkWorld,
) -> None:
    specs = list(ACCOUNT_TOPICS.values())
    async with SchemaRegistry(world.stack.registry_url) as registry:
        ids = await register_all(registry, specs)
    codec, reader = AvroCodec(), AvroCodec(logical_types=True)
    for subject, text in subjects_of(specs).items():
        codec.add(ids[subject], text)
        reader.add(ids[subject], text)
    topics = [f"{world.prefix}.{s.name}" for s in specs]
    config = SinkConfig(
        group_id=world.group, batch=BatchPolicy(max_rows=50, max_age_s=0.2), drain_timeout_s=20
    )
    kafka = KafkaSettings(bootstrap=world.stack.kafka_bootstrap)
    producer = functools.partial(PrefixedProducer, world.prefix)
    stop_sink, stop_ingest = asyncio.Event(), asyncio.Event()
    async with (
        ClickHouseSink(world.settings(), config=config, topics=topics) as sink,
        open_sandbox() as server,
        open_client(server) as client,
        AccountPublisher(kafka, codec, ids, producer_factory=producer) as publisher,
    ):
        sink_task = asyncio.create_task(sink.run(stop_sink))
        # every partition of the five topics assigned before anything is produced
        await eventually(
            lambda: _true(len(sink.metrics().assigned) == 3 * len(topics)),
            timeout=60,
            interval=0.1,
            message="sink partitions not assigned",
        )
        errors = ErrorStream()
        factory = streamer_factory(
            client,
            [ACCOUNT],
            errors,
            reconnect_backoff=Backoff(base=RECONNECT_AFTER_S, cap=RECONNECT_AFTER_S),
            rand=lambda: 1.0,
        )
        ingestor = AccountIngestor(
            AccountIngestConfig((ACCOUNT,), source="account:sandbox", transactions_poll_s=5.0),
            client.rest,
            factory,
            publisher,
            errors,
            now_ms=server.market.clock.now_ms,
        )
        ingest_task = asyncio.create_task(ingestor.run(stop_ingest))
        all_ok = False
        try:
            await eventually(
                lambda: _true(ingestor.metrics.snapshots >= 1), timeout=30, interval=0.05
            )
            first = await client.rest.orders.place(ACCOUNT, market("AAPL", 10))
            await eventually(lambda: filled(client, first.order.id or 0), timeout=15)
            # the stream drops while two more orders fill
            await admin(server.base_url, "fills/delay", {"seconds": 0.3})
            during = [await client.rest.orders.place(ACCOUNT, market("SPY", 3))]
            await admin(server.base_url, "streams/drop", {"stream": "account"})
            during.append(await client.rest.orders.place(ACCOUNT, market("AAPL", 5)))
            for placed in during:
                await eventually(
                    functools.partial(filled, client, placed.order.id or 0), timeout=15
                )
            await eventually(
                lambda: _true(ingestor.metrics.snapshots >= 2 and ingestor.metrics.reconnects >= 1),
                timeout=30,
                interval=0.05,
            )
            healed_id = ingestor.metrics.last_snapshot[ACCOUNT]
            rest_positions = await client.rest.positions.get_positions(ACCOUNT)
            rest_txs = await client.rest.transactions.list(ACCOUNT)
            order_ids = {first.order.id, *(p.order.id for p in during)}
            db = world.database

            async def landed() -> bool:
                try:
                    snaps = await query(world, f"SELECT snapshot_id FROM {db}.account_snapshots")
                    txs = await query(
                        world, f"SELECT transaction_id FROM {db}.account_transactions FINAL"
                    )
                except DatabaseError as exc:
                    if "UNKNOWN_TABLE" in str(exc) or "UNKNOWN_DATABASE" in str(exc):
                        return False  # not migrated yet
                    raise
                return (healed_id,) in snaps and {t.id for t in rest_txs} <= {t[0] for t in txs}

            await eventually(
                landed,
                timeout=60,
                interval=0.5,
                message=f"account rows missing ({sink.metrics()})",
            )
            await publisher.flush()

            # after the snapshot, latest_positions equals REST, decimals exact
            rows = await query(
                world,
                f"SELECT symbol, toString(signed_quantity), toString(average_open_price)"
                f" FROM {db}.latest_positions WHERE account_number = '{ACCOUNT}'",
            )
            # (averages beyond 10 fraction digits are rounded half-even by the ingestor)
            assert {(r[0], Decimal(r[1]), Decimal(r[2])) for r in rows} == {
                (p.symbol, p.signed_quantity, _scale10(p.average_open_price))
                for p in rest_positions
            }
            assert {r[0] for r in rows} == {"AAPL", "SPY"}

            # every REST transaction once, its value exact
            txs = await query(
                world,
                f"SELECT transaction_id, toString(value), count() OVER (PARTITION BY"
                f" transaction_id) FROM {db}.account_transactions FINAL",
            )
            assert all(t[2] == 1 for t in txs)
            values = {t[0]: Decimal(t[1]) for t in txs}
            assert {tx.id: values[tx.id] for tx in rest_txs} == {tx.id: tx.value for tx in rest_txs}

            # the three orders are Filled in latest_orders, their fills flattened
            latest = await query(
                world,
                f"SELECT order_id, status FROM {db}.latest_orders WHERE order_id IN"
                f" ({', '.join(str(i) for i in order_ids)})",
            )
            assert dict(latest) == dict.fromkeys(order_ids, "Filled")
            fills = await query(
                world,
                f"SELECT order_id, toString(sum(quantity)) FROM {db}.account_order_fills FINAL"
                f" GROUP BY order_id",
            )
            filled_qty = {r[0]: Decimal(r[1]) for r in fills}
            assert {i: filled_qty.get(i) for i in order_ids} == {
                first.order.id: Decimal(10),
                during[0].order.id: Decimal(3),
                during[1].order.id: Decimal(5),
            }
            all_ok = True
        finally:
            stop_ingest.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ingest_task, 30)
            if not all_ok:
                stop_sink.set()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(sink_task, 30)
        await publisher.flush()

        # every produced record is one row (by event_id), every decimal exact
        for stem, spec in ACCOUNT_TOPICS.items():
            records = await produced(world, reader, stem)
            want = len({r["event_id"] for r in records})

            async def caught_up(table: str = spec.table, want: int = want) -> bool:
                got = await query(world, f"SELECT uniqExact(event_id) FROM {db}.{table}")
                return int(got[0][0]) == want

            await eventually(caught_up, timeout=60, interval=0.5, message=f"{spec.table} short")
            dupes = await query(
                world, f"SELECT count() - uniqExact(event_id) FROM {db}.{spec.table} FINAL"
            )
            assert dupes == [(0,)], spec.table
        balances = await produced(world, reader, "balance")
        stored = await query(
            world, f"SELECT toString(event_id), toString(cash_balance) FROM {db}.account_balances"
        )
        assert {r[0]: Decimal(r[1]) for r in stored} == {
            b["event_id"]: b["cash_balance"] for b in balances
        }
        metrics = sink.metrics()
        assert metrics.total_dead_letters == 0
        assert set(metrics.rows_by_path) == {"python"}  # the fast path refuses account schemas
        stop_sink.set()
        await asyncio.wait_for(sink_task, 30)


def _scale10(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal("1E-10"), rounding=ROUND_HALF_EVEN, context=Context(prec=80))


async def _true(value: bool) -> bool:
    return value


async def test_an_account_record_that_does_not_fit_is_dead_lettered(world: SinkWorld) -> None:
    spec = ACCOUNT_TOPICS["balance"]
    topic = f"{world.prefix}.{spec.name}"
    good = account_record("balance", AT, currency="USD", cash_balance=dec("12.3456789012"))
    # 39 digits at scale 10: valid Avro bytes, but no Decimal(38, 10) holds it
    bad = account_record(
        "balance", AT + 1, currency="EUR", cash_balance=(10**39).to_bytes(17, "big", signed=True)
    )
    config = SinkConfig(group_id=world.group, batch=BatchPolicy(max_rows=10, max_age_s=0.2))
    stop = asyncio.Event()
    async with ClickHouseSink(world.settings(), config=config, topics=[topic]) as sink:
        task = asyncio.create_task(sink.run(stop))
        async with Publisher(world) as pub:
            sid = await pub.schema_id(topic, spec)
            for record in (good, bad):
                await pub.send_raw(topic, pub.codec.encode(sid, record), key=b"5WT00001")

        async def settled() -> bool:
            metrics = sink.metrics()
            return metrics.total_dead_letters == 1 and sum(metrics.rows_inserted.values()) == 1

        await eventually(settled, timeout=60, interval=0.2, message="not settled")
        stop.set()
        await asyncio.wait_for(task, 30)
    rows = await query(
        world, f"SELECT currency, toString(cash_balance) FROM {world.database}.account_balances"
    )
    assert rows == [("USD", "12.3456789012")]
    letters = await read_topic(world.stack.kafka_bootstrap, f"{topic}.dlq")
    assert len(letters) == 1
    assert b"RecordViolatesTable" in letters[0].value
    assert b"cash_balance" in letters[0].value
