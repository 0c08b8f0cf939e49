"""The account streamer through the client: reconciliation snapshot after connect, every
order change pushed in order with full models, reconnect after a drop with a new snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from adapters.tastytrade import (
    AccountEvent,
    AccountStreamer,
    Backoff,
    Client,
    Notification,
    Reconciliation,
    StreamDisconnected,
    StreamError,
    StreamState,
)
from adapters.tastytrade.models import (
    AccountBalance,
    CurrentPosition,
    InstrumentType,
    Order,
    OrderAction,
    PriceEffect,
    QuantityDirection,
)
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import (
    ACCOUNT,
    admin,
    money,
    open_client,
    open_sandbox,
    wait_status,
    warnings_of,
)
from tests.integration.client_sandbox.streams import Collector
from tests.support import eventually


def buy(quantity: int = 10) -> NewOrder:
    leg = NewOrderLeg(InstrumentType.EQUITY, "AAPL", OrderAction.BUY_TO_OPEN, Decimal(quantity))
    return NewOrder.market(leg)


def notifications(events: list[AccountEvent]) -> list[Notification]:
    return [e for e in events if isinstance(e, Notification)]


def order_statuses(events: list[AccountEvent], order_id: int) -> list[str]:
    return [
        str(n.data.status)
        for n in notifications(events)
        if isinstance(n.data, Order) and n.data.id == order_id
    ]


@pytest.fixture
async def stream(client: Client) -> AsyncIterator[AccountStreamer]:
    async with client.account_stream(
        [ACCOUNT], heartbeat_interval=1.0, reconnect_backoff=Backoff(base=0.05, cap=0.2)
    ) as streamer:
        yield streamer


async def snapshot(events: Collector[AccountEvent], count: int = 1) -> list[Reconciliation]:
    async def arrived() -> list[Reconciliation]:
        found = [e for e in events.pump() if isinstance(e, Reconciliation)]
        return found if len(found) >= count else []

    return await eventually(arrived, timeout=10, interval=0.02, message="no reconciliation")


async def test_reconciliation_snapshot_after_connect(client: Client) -> None:
    bought = await client.rest.orders.place(ACCOUNT, buy())
    assert bought.order.id is not None
    await wait_status(client, bought.order.id, "Filled")
    resting = NewOrder.limit(
        [NewOrderLeg(InstrumentType.EQUITY, "MSFT", OrderAction.BUY_TO_OPEN, Decimal(1))],
        Decimal("1.00"),
        PriceEffect.DEBIT,
    )
    working = await client.rest.orders.place(ACCOUNT, resting)
    assert working.order.id is not None
    await wait_status(client, working.order.id, "Live")
    balance = await client.rest.balances.get_balances(ACCOUNT)

    async with client.account_stream([ACCOUNT], heartbeat_interval=1.0) as stream:
        with stream.listen() as listener:
            (first,) = await snapshot(Collector(listener))
        assert stream.state is StreamState.RUNNING
        assert stream.session_id  # the connect handshake's session
    assert first.account_number == ACCOUNT
    assert first.generation == 1
    assert isinstance(first.balance, AccountBalance)
    assert first.balance.cash_balance == balance.cash_balance
    assert [(p.symbol, p.quantity) for p in first.positions] == [("AAPL", Decimal(10))]
    live = [o for o in first.live_orders if str(o.status) == "Live"]
    assert [o.id for o in live] == [working.order.id]
    assert warnings_of(client) == []


async def test_order_notifications_arrive_in_order(client: Client, stream: AccountStreamer) -> None:
    with stream.listen() as listener:
        events = Collector(listener)
        await snapshot(events)
        placed = await client.rest.orders.place(ACCOUNT, buy())
        order_id = placed.order.id
        assert order_id is not None

        async def settled() -> bool:
            kinds = [n.type for n in notifications(events.pump())]
            return "Filled" in order_statuses(events.items, order_id) and "AccountBalance" in kinds

        await eventually(settled, timeout=10, interval=0.02, message="no fill notifications")
    pushed = notifications(events.items)
    assert all(n.parsed for n in pushed)
    assert order_statuses(events.items, order_id) == ["Routed", "In Flight", "Live", "Filled"]
    kinds = [n.type for n in pushed]
    filled_at = max(i for i, n in enumerate(pushed) if n.type == "Order")
    assert kinds[filled_at + 1 :][:2] == ["CurrentPosition", "AccountBalance"]
    position = next(n.data for n in pushed if n.type == "CurrentPosition")
    assert isinstance(position, CurrentPosition)
    assert (position.symbol, position.quantity) == ("AAPL", Decimal(10))
    assert position.quantity_direction == QuantityDirection.LONG
    balance = next(n.data for n in pushed if n.type == "AccountBalance")
    assert isinstance(balance, AccountBalance)
    rest_balance = await client.rest.balances.get_balances(ACCOUNT)
    assert balance.cash_balance == rest_balance.cash_balance
    assert all(n.timestamp is not None and n.timestamp > 0 for n in pushed)
    assert warnings_of(client) == []


async def test_drop_reconnects_with_a_fresh_snapshot(
    client: Client, stream: AccountStreamer, sandbox: SandboxServer
) -> None:
    with stream.listen() as listener:
        events = Collector(listener)
        await snapshot(events)
        placed = await client.rest.orders.place(ACCOUNT, buy())
        assert placed.order.id is not None

        async def filled() -> bool:
            return "Filled" in order_statuses(events.pump(), placed.order.id or 0)

        await eventually(filled, timeout=10, interval=0.02)
        dropped = await admin(sandbox, "streams/drop", {"stream": "account"})
        assert dropped["account"] == 1
        first, second = await snapshot(events, count=2)
    assert (first.generation, second.generation) == (1, 2)
    # the order placed before the drop is in the repaired state (today's orders, filled too)
    assert placed.order.id not in {o.id for o in first.live_orders}
    assert placed.order.id in {o.id for o in second.live_orders}
    assert first.positions == ()
    (position,) = second.positions  # the REST truth now includes the fill
    assert (position.symbol, position.quantity) == ("AAPL", Decimal(10))
    assert second.balance.cash_balance < first.balance.cash_balance
    disconnects = [e for e in client.errors.drain() if isinstance(e, StreamDisconnected)]
    assert len(disconnects) == 1
    assert disconnects[0].stream == "account"
    assert stream.state is StreamState.RUNNING

    with stream.listen() as listener:  # and notifications flow on the new connection
        after = Collector(listener)
        again = await client.rest.orders.place(ACCOUNT, buy(5))
        assert again.order.id is not None

        async def pushed() -> bool:
            return "Filled" in order_statuses(after.pump(), again.order.id or 0)

        await eventually(pushed, timeout=10, interval=0.02)


async def test_token_expiry_mid_stream_is_repaired(client: Client, sandbox: SandboxServer) -> None:
    async with client.account_stream(
        [ACCOUNT], heartbeat_interval=0.2, reconnect_backoff=Backoff(base=0.05, cap=0.2)
    ) as stream:
        with stream.listen() as listener:
            events = Collector(listener)
            await snapshot(events)
            refreshes = client.auth.refreshes
            await admin(sandbox, "tokens/expire")

            async def refreshed() -> bool:
                return client.auth.refreshes > refreshes  # the next heartbeat found out

            await eventually(refreshed, timeout=10, interval=0.02)
            acked = stream.acked

            async def heartbeats_acked_again() -> bool:
                return bool(stream.acked >= acked + 2)

            await eventually(heartbeats_acked_again, timeout=10, interval=0.02)
            placed = await client.rest.orders.place(ACCOUNT, buy())
            assert placed.order.id is not None

            async def pushed() -> bool:
                return "Filled" in order_statuses(events.pump(), placed.order.id or 0)

            await eventually(pushed, timeout=10, interval=0.02, message="stream went deaf")
        assert stream.state is StreamState.RUNNING
        assert stream.disconnects == 0  # repaired on the same socket
    kinds = [type(e).__name__ for e in client.errors.drain()]
    assert "StreamError" in kinds  # the refused heartbeat was reported, not swallowed
    assert "StreamDisconnected" not in kinds
    assert "Unrecoverable" not in kinds


async def test_short_lived_access_tokens_keep_the_stream_and_rest_alive() -> None:
    async with open_sandbox(access_token_ttl=2.0) as server, open_client(server) as client:
        async with client.account_stream(
            [ACCOUNT], heartbeat_interval=0.3, reconnect_backoff=Backoff(base=0.05, cap=0.2)
        ) as stream:
            with stream.listen() as listener:
                await snapshot(Collector(listener))

            async def outlived_three_tokens() -> bool:
                return client.auth.refreshes >= 3

            await eventually(outlived_three_tokens, timeout=15, interval=0.05)
            balance = await client.rest.balances.get_balances(ACCOUNT)
            assert balance.account_number == ACCOUNT
            assert stream.state is StreamState.RUNNING
            assert stream.disconnects == 0
        errors = client.errors.drain()
    assert not any(isinstance(e, StreamError) for e in errors)  # no refused message at all


async def test_one_stream_serves_several_accounts(client: Client) -> None:
    accounts = [ACCOUNT, "5WT00002"]
    async with client.account_stream(accounts, heartbeat_interval=1.0) as stream:
        with stream.listen() as listener:
            events = Collector(listener)
            snapshots = await snapshot(events, count=2)
            assert sorted(s.account_number for s in snapshots) == accounts
            ids = {}
            for account in accounts:
                placed = await client.rest.orders.place(account, buy(1))
                assert placed.order.id is not None
                ids[account] = placed.order.id

            async def both_filled() -> bool:
                events.pump()
                return all("Filled" in order_statuses(events.items, i) for i in ids.values())

            await eventually(both_filled, timeout=10, interval=0.02)
    orders = [n.data for n in notifications(events.items) if isinstance(n.data, Order)]
    assert {(o.account_number, o.id) for o in orders} == set(ids.items())
    balances = [n.data for n in notifications(events.items) if n.type == "AccountBalance"]
    assert {b.account_number for b in balances} == set(accounts)


async def test_a_large_order_fills_in_parts_while_live(
    client: Client, stream: AccountStreamer
) -> None:
    with stream.listen() as listener:
        events = Collector(listener)
        await snapshot(events)
        order = NewOrder.market(
            NewOrderLeg(InstrumentType.EQUITY, "F", OrderAction.BUY_TO_OPEN, Decimal(10000))
        )
        placed = await client.rest.orders.place(ACCOUNT, order)
        order_id = placed.order.id
        assert order_id is not None

        async def filled() -> bool:
            return "Filled" in order_statuses(events.pump(), order_id)

        await eventually(filled, timeout=20, interval=0.05, message="large order never filled")
    updates = [
        n.data
        for n in notifications(events.items)
        if isinstance(n.data, Order) and n.data.id == order_id
    ]
    partial = [
        o
        for o in updates
        if str(o.status) == "Live" and o.legs[0].fills and o.legs[0].remaining_quantity
    ]
    assert partial, "no partial fill was pushed while the order was Live"
    assert all(0 < money(o.legs[0].remaining_quantity) < 10000 for o in partial)
    final = updates[-1]
    assert str(final.status) == "Filled"
    fills = final.legs[0].fills
    assert len(fills) > 1
    assert sum(f.quantity for f in fills) == 10000
    vwap = sum(f.quantity * f.fill_price for f in fills) / 10000
    (position,) = await client.rest.positions.get_positions(ACCOUNT, symbol="F")
    assert position.quantity == 10000
    assert position.average_open_price == vwap
    trades = await client.rest.transactions.list(ACCOUNT, symbol="F")
    assert sum(money(t.quantity) for t in trades) == 10000
    assert {t.order_id for t in trades} == {order_id}
    assert warnings_of(client) == []
