from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from adapters.tastytrade import (
    AccountEvent,
    AccountStreamer,
    Client,
    Listener,
    Notification,
    Reconciliation,
    StreamDisconnected,
    StreamError,
    StreamState,
)
from adapters.tastytrade.models import AccountBalance, Order
from sandbox.server import SandboxServer
from tests.integration.client_core.conftest import (
    ACCOUNT,
    FAST_RECONNECT,
    open_client,
    open_sandbox,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

MARKET_BUY = {
    "time-in-force": "Day",
    "order-type": "Market",
    "legs": [
        {"instrument-type": "Equity", "symbol": "AAPL", "quantity": 1, "action": "Buy to Open"}
    ],
}


async def running(stream: AccountStreamer, generation: int = 1) -> None:
    async def probe() -> bool:
        return stream.state is StreamState.RUNNING and stream.generation >= generation

    await eventually(probe, timeout=20, message=f"account stream generation {generation}")


async def next_matching(
    listener: Listener[AccountEvent], test: Callable[[AccountEvent], bool], timeout: float = 20
) -> AccountEvent:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "no matching account event"
        event = await asyncio.wait_for(listener.get(), remaining)
        if test(event):
            return event


def stream_of(client: Client, **options: Any) -> AccountStreamer:
    return client.account_stream(
        [ACCOUNT], reconnect_backoff=FAST_RECONNECT, heartbeat_interval=0.3, **options
    )


async def test_connect_reconcile_and_order_notifications(client: Client) -> None:
    async with stream_of(client) as stream:
        listener = stream.listen(10_000)
        await running(stream)
        snapshot = await next_matching(listener, lambda e: isinstance(e, Reconciliation))
        assert isinstance(snapshot, Reconciliation)
        assert snapshot.account_number == ACCOUNT
        assert snapshot.generation == 1
        assert isinstance(snapshot.balance, AccountBalance)
        assert snapshot.balance.account_number == ACCOUNT

        placed = await client.rest.orders.place(ACCOUNT, MARKET_BUY)
        order_id = placed.order.id

        def is_our_order(event: AccountEvent) -> bool:
            return (
                isinstance(event, Notification)
                and isinstance(event.data, Order)
                and event.data.id == order_id
            )

        update = await next_matching(listener, is_our_order)
    assert isinstance(update, Notification)
    assert update.parsed
    assert update.type == "Order"
    assert stream.session_id


async def test_reconnect_after_forced_drop_reconciles_again(
    sandbox: SandboxServer, client: Client
) -> None:
    async with stream_of(client) as stream:
        listener = stream.listen(10_000)
        await running(stream)
        first = await next_matching(listener, lambda e: isinstance(e, Reconciliation))
        await client.rest.orders.place(ACCOUNT, MARKET_BUY)
        dropped = await sandbox.admin.drop_streams("account")
        assert dropped["account"] == 1
        await running(stream, generation=2)
        second = await next_matching(listener, lambda e: isinstance(e, Reconciliation))
        assert isinstance(first, Reconciliation)
        assert isinstance(second, Reconciliation)
        assert (first.generation, second.generation) == (1, 2)
        # the order placed before the drop is in the repaired state
        assert {o.id for o in second.live_orders} - {o.id for o in first.live_orders}
    disconnects = [e for e in client.errors.drain() if isinstance(e, StreamDisconnected)]
    assert len(disconnects) == 1


async def test_token_expiry_mid_stream_is_survived(sandbox: SandboxServer, client: Client) -> None:
    async with stream_of(client) as stream:
        await running(stream)
        refreshes = client.auth.refreshes
        sandbox.admin.expire_tokens()

        async def refreshed() -> bool:
            return client.auth.refreshes > refreshes

        await eventually(refreshed, timeout=10)  # a heartbeat was refused → token replaced
        acked = stream.acked

        async def heartbeats_acked_again() -> bool:
            return bool(stream.acked >= acked + 2)

        await eventually(heartbeats_acked_again, timeout=10)
        assert stream.state is StreamState.RUNNING
        assert stream.disconnects == 0
        # REST keeps working too: the stale token is replaced transparently
        positions = await client.rest.positions.get_positions(ACCOUNT)
        assert isinstance(positions, list)
    errors = client.errors.drain()
    assert not any(isinstance(e, StreamDisconnected) for e in errors)
    assert any(isinstance(e, StreamError) and "refused" in e.message for e in errors)


async def test_short_lived_access_tokens_keep_the_stream_and_rest_alive() -> None:
    async with open_sandbox(access_token_ttl=2.0) as sandbox, open_client(sandbox) as client:
        async with stream_of(client) as stream:
            await running(stream)

            async def outlived_three_tokens() -> bool:
                return client.auth.refreshes >= 3

            await eventually(outlived_three_tokens, timeout=15)
            positions = await client.rest.positions.get_positions(ACCOUNT)
            assert isinstance(positions, list)
            assert stream.state is StreamState.RUNNING
            assert stream.disconnects == 0
        errors = client.errors.drain()
    assert not any(isinstance(e, StreamError) for e in errors)  # no refused message at all
