"""Sandbox account streamer → account ingestor → Kafka (``tt.acct.*``), with a dropped stream.

Orders fill while the account stream is down (dropped with the sandbox admin fault, the
reconnect held off for 2 s): after the reconnect a snapshot with a new id is published, its
positions equal the REST positions, and the transactions topic holds every transaction REST
lists — no gap, one ``event_id`` per transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer

from adapters.tastytrade import Backoff, Client
from adapters.tastytrade.errors import ErrorStream
from adapters.tastytrade.models import InstrumentType, OrderAction
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from ingest.account import AccountIngestConfig, AccountIngestor, streamer_factory
from ingest.account_publisher import AccountPublisher
from sandbox.server import SandboxServer
from schemas.codec import AvroCodec
from schemas.registry import SchemaRegistry, register_all, subjects_of
from schemas.topic_admin import Replication, ensure_topics, topics_for
from schemas.topics import ACCOUNT_TOPICS
from tastystream.settings import KafkaSettings
from tests.integration.client_sandbox.conftest import ACCOUNT, open_client, open_sandbox
from tests.support import eventually, unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

ADMIN = {"X-Sandbox-Admin": "sandbox-admin"}
RECONNECT_AFTER_S = 2.0


@dataclass
class Run:
    server: SandboxServer
    client: Client
    ingestor: AccountIngestor
    publisher: AccountPublisher
    source: str
    bootstrap: str
    codec: AvroCodec

    async def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(base_url=self.server.base_url, headers=ADMIN) as http:
            response = await http.post(f"/_sandbox/{path}", json=body or {})
            response.raise_for_status()
            return response.json()["data"]

    async def records(self, stem: str) -> list[dict[str, Any]]:
        """Every record of this run (its source label) in ``tt.acct.<stem>.v1``."""
        await self.publisher.flush()
        consumer = AIOKafkaConsumer(
            ACCOUNT_TOPICS[stem].name,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=unique("acct-read"),
        )
        await consumer.start()
        out: list[dict[str, Any]] = []
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=1500)
                if not batch:
                    break
                for messages in batch.values():
                    for message in messages:
                        assert message.value is not None
                        record = self.codec.decode(message.value).record
                        if record["source"] == self.source:
                            assert message.key == record["account_number"].encode()
                            out.append(record)
        finally:
            await consumer.stop()
        return out


def market(symbol: str, quantity: int) -> NewOrder:
    leg = NewOrderLeg(InstrumentType.EQUITY, symbol, OrderAction.BUY_TO_OPEN, Decimal(quantity))
    return NewOrder.market(leg)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def run(kafka_bootstrap: str, registry_url: str) -> AsyncIterator[Run]:
    kafka = KafkaSettings(bootstrap=kafka_bootstrap)
    specs = list(ACCOUNT_TOPICS.values())
    async with SchemaRegistry(registry_url) as registry:
        ids = await register_all(registry, specs)
    await ensure_topics(
        kafka.bootstrap,
        topics_for({s.name: s for s in specs}, Replication()),
        client_id="account-test",
    )
    codec, reader = AvroCodec(), AvroCodec(logical_types=True)
    for subject, text in subjects_of(specs).items():
        codec.add(ids[subject], text)
        reader.add(ids[subject], text)
    source = unique("account:sandbox")
    async with (
        open_sandbox() as server,
        open_client(server) as client,
        AccountPublisher(kafka, codec, ids) as publisher,
    ):
        errors = ErrorStream()
        factory = streamer_factory(
            client,
            [ACCOUNT],
            errors,
            reconnect_backoff=Backoff(base=RECONNECT_AFTER_S, cap=RECONNECT_AFTER_S),
            rand=lambda: 1.0,
        )
        ingestor = AccountIngestor(
            AccountIngestConfig((ACCOUNT,), source=source, transactions_poll_s=5.0),
            client.rest,
            factory,
            publisher,
            errors,
            now_ms=server.market.clock.now_ms,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(ingestor.run(stop))
        try:
            yield Run(server, client, ingestor, publisher, source, kafka_bootstrap, reader)
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 30)


async def filled(client: Client, order_id: int) -> bool:
    return str((await client.rest.orders.get(ACCOUNT, order_id)).status) == "Filled"


async def test_drop_while_filling_heals_with_a_snapshot_and_no_transaction_gap(run: Run) -> None:
    ingestor, client = run.ingestor, run.client

    async def first_snapshot() -> bool:
        return ingestor.metrics.snapshots >= 1

    await eventually(first_snapshot, timeout=30, interval=0.05)
    first_id = ingestor.metrics.last_snapshot[ACCOUNT]

    # one fill while connected: streamed, and its transaction fetched on the fill trigger
    before = await client.rest.orders.place(ACCOUNT, market("AAPL", 10))
    assert before.order.id is not None
    await eventually(lambda: filled(client, before.order.id or 0), timeout=15, interval=0.05)

    # drop the stream while orders fill: the reconnect waits RECONNECT_AFTER_S
    await run.admin("fills/delay", {"seconds": 0.3})
    during = [await client.rest.orders.place(ACCOUNT, market("SPY", 3))]
    assert (await run.admin("streams/drop", {"stream": "account"}))["account"] == 1
    during.append(await client.rest.orders.place(ACCOUNT, market("AAPL", 5)))
    for placed in during:
        order_id = placed.order.id
        assert order_id is not None

        async def done(order_id: int = order_id) -> bool:
            return await filled(client, order_id)

        await eventually(done, timeout=15, interval=0.05)
    assert ingestor.metrics.reconnects == 0, "the fills must happen while disconnected"

    async def healed() -> bool:
        return ingestor.metrics.reconnects >= 1 and ingestor.metrics.snapshots >= 2

    await eventually(healed, timeout=30, interval=0.05)
    second_id = ingestor.metrics.last_snapshot[ACCOUNT]
    assert second_id != first_id

    # the snapshot after the reconnect: marked, complete, and equal to REST
    rest_positions = await client.rest.positions.get_positions(ACCOUNT)
    positions = [p for p in await run.records("position") if p["snapshot_id"] == second_id]
    assert {p["origin"] for p in positions} == {"snapshot"}
    assert sorted(p["snapshot_index"] for p in positions) == list(range(len(rest_positions)))
    assert all(p["snapshot_size"] == len(rest_positions) for p in positions)
    assert {(p["symbol"], p["signed_quantity"]) for p in positions} == {
        (p.symbol, p.signed_quantity) for p in rest_positions
    }
    assert {p["symbol"] for p in positions} == {"AAPL", "SPY"}
    statuses = [s for s in await run.records("status") if s["snapshot_id"] == second_id]
    assert len(statuses) == 1
    assert statuses[0]["snapshot_positions"] == len(rest_positions)
    assert statuses[0]["snapshot_balances"] == 1
    snapshots = {s["snapshot_id"] for s in await run.records("status") if s["origin"] == "snapshot"}
    assert {first_id, second_id} <= snapshots

    # every transaction REST lists is in the topic, once after dedupe by event_id
    rest_ids = {tx.id for tx in await client.rest.transactions.list(ACCOUNT)}
    fills = {
        tx.id
        for tx in await client.rest.transactions.list(ACCOUNT)
        if str(tx.transaction_type) == "Trade"
    }
    assert len(fills) == 3

    async def complete() -> list[dict[str, Any]] | None:
        got = await run.records("transaction")
        return got if rest_ids <= {r["transaction_id"] for r in got} else None

    records = await eventually(complete, timeout=30, interval=0.5)
    assert records is not None
    by_event: dict[str, set[int]] = defaultdict(set)
    for record in records:
        by_event[record["event_id"]].add(record["transaction_id"])
    assert all(len(ids) == 1 for ids in by_event.values())
    assert len(by_event) == len({r["transaction_id"] for r in records})
    assert {r["origin"] for r in records} <= {"stream", "rest"}
    assert all(isinstance(r["value"], Decimal) for r in records)
    assert ingestor.metrics.rejected == {}
    assert run.publisher.metrics.failed == {}


async def test_malformed_frames_are_typed_counted_and_dead_lettered_never_fatal(run: Run) -> None:
    ingestor = run.ingestor
    errors_before = dict(ingestor.metrics.errors)
    order_dlq = ACCOUNT_TOPICS["order"].dlq
    dead_before = run.publisher.metrics.dead_letters[order_dlq]
    for kind in ("garbage", "truncated", "not-an-object"):
        sent = await run.admin("streams/malformed", {"stream": "account", "kind": kind})
        assert sent["account"] == 1

    async def counted() -> bool:
        errors = ingestor.metrics.errors
        return (
            errors["StreamError"] >= errors_before.get("StreamError", 0) + 2
            and errors["ParseFailure"] >= errors_before.get("ParseFailure", 0) + 1
            and ingestor.metrics.unparsed["Order"] >= 1
            and run.publisher.metrics.dead_letters[order_dlq] >= dead_before + 1
        )

    await eventually(counted, timeout=15, interval=0.05)
    await run.publisher.flush()
    assert run.publisher.metrics.dead_letters[order_dlq] == dead_before + 1
    assert run.publisher.metrics.acked[order_dlq] >= 1
    # still ingesting: the next fill streams and its transaction arrives
    placed = await run.client.rest.orders.place(ACCOUNT, market("AAPL", 1))
    order_id = placed.order.id
    assert order_id is not None

    async def streamed() -> bool:
        orders = await run.records("order")
        return any(
            o["order_id"] == order_id and o["status"] == "Filled" and o["origin"] == "stream"
            for o in orders
        )

    await eventually(streamed, timeout=30, interval=0.5)
    assert ingestor.state == "running"
