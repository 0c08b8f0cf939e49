"""Every REST/order fault kind of the sandbox as the client sees it: bounded retries of
429/500/timeouts ending in the typed error, rejected orders, paused symbols, delayed fills."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from adapters.tastytrade import ApiError, Client, RateLimited, TransportError
from adapters.tastytrade.models import InstrumentType, OrderAction, OrderStatus
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import (
    ACCOUNT,
    admin,
    admin_status,
    open_client,
    wait_status,
)
from tests.support import eventually


def buy(symbol: str = "AAPL", quantity: int = 10) -> NewOrder:
    leg = NewOrderLeg(InstrumentType.EQUITY, symbol, OrderAction.BUY_TO_OPEN, Decimal(quantity))
    return NewOrder.market(leg)


async def test_429s_within_the_retry_budget_are_absorbed(
    client: Client, sandbox: SandboxServer
) -> None:
    await client.rest.accounts.list()  # token first: faults hit /oauth/token too
    await admin(sandbox, "rest/fail", {"count": 3, "kind": "429"})
    balance = await client.rest.balances.get_balances(ACCOUNT)
    assert balance.account_number == ACCOUNT
    retried = client.errors.drain()
    assert [type(e) for e in retried] == [RateLimited] * 3  # each retry is reported
    status = await admin_status(sandbox)
    assert status["faults"]["injected"]["rest-429"] == 3
    assert status["faults"]["pending-rest-faults"] == []


async def test_429s_beyond_the_retry_budget_raise_rate_limited(
    client: Client, sandbox: SandboxServer
) -> None:
    await client.rest.accounts.list()
    await admin(sandbox, "rest/fail", {"count": 6, "kind": "429"})
    with pytest.raises(RateLimited) as caught:
        await client.rest.positions.get_positions(ACCOUNT)
    assert (caught.value.status, caught.value.code) == (429, "too_many_requests")
    assert caught.value.retriable is True
    status = await admin_status(sandbox)
    assert status["faults"]["injected"]["rest-429"] == 4  # FAST_RETRY: 4 attempts, no more
    assert status["faults"]["pending-rest-faults"] == ["429", "429"]


async def test_500_is_retried_then_surfaces_as_api_error(
    client: Client, sandbox: SandboxServer
) -> None:
    await client.rest.accounts.list()
    sandbox.admin.fail_rest(1, "500")
    assert (await client.rest.accounts.trading_status(ACCOUNT)).account_number == ACCOUNT
    sandbox.admin.fail_rest(10, "500")
    with pytest.raises(ApiError) as caught:
        await client.rest.accounts.trading_status(ACCOUNT)
    assert caught.value.status == 500
    assert caught.value.code == "internal_server_error"
    assert caught.value.retriable is True
    assert sandbox.admin.faults.pending_rest_faults() == 6  # 10 armed, 4 attempts took one each


async def test_500_on_an_order_post_is_not_retried(client: Client, sandbox: SandboxServer) -> None:
    await client.rest.accounts.list()
    sandbox.admin.fail_rest(1, "500")
    with pytest.raises(ApiError) as caught:
        await client.rest.orders.place(ACCOUNT, buy())
    assert caught.value.status == 500
    assert sandbox.admin.faults.pending_rest_faults() == 0
    assert await client.rest.orders.get_live_orders(ACCOUNT) == []  # never placed, never re-sent


async def test_timeouts_are_transport_errors(sandbox: SandboxServer) -> None:
    async with open_client(sandbox, timeout=0.2) as client:
        await client.rest.accounts.list()
        sandbox.admin.fail_rest(1, "timeout", hang_seconds=0.5)
        status = await client.rest.accounts.trading_status(ACCOUNT)  # GET: retried once
        assert status.account_number == ACCOUNT
        assert [type(e) for e in client.errors.drain()] == [TransportError]
        sandbox.admin.fail_rest(1, "timeout", hang_seconds=0.5)
        with pytest.raises(TransportError) as caught:
            await client.rest.orders.place(ACCOUNT, buy())  # POST: never re-sent
        assert caught.value.retriable is True
        assert await client.rest.orders.get_live_orders(ACCOUNT) == []


async def test_rejected_orders_end_rejected(client: Client, sandbox: SandboxServer) -> None:
    await admin(sandbox, "orders/reject", {"count": 1, "reason": "venue says no"})
    placed = await client.rest.orders.place(ACCOUNT, buy())
    assert placed.order.id is not None
    rejected = await wait_status(client, placed.order.id, "Rejected")
    assert rejected.reject_reason == "venue says no"
    assert await client.rest.positions.get_positions(ACCOUNT) == []
    second = await client.rest.orders.place(ACCOUNT, buy())  # the fault was for one order
    assert second.order.id is not None
    await wait_status(client, second.order.id, "Filled")


async def test_orders_in_a_rejected_symbol_are_rejected(
    client: Client, sandbox: SandboxServer
) -> None:
    await admin(sandbox, "orders/reject", {"symbol": "MSFT"})
    msft = await client.rest.orders.place(ACCOUNT, buy("MSFT"))
    aapl = await client.rest.orders.place(ACCOUNT, buy("AAPL"))
    assert msft.order.id is not None
    assert aapl.order.id is not None
    await wait_status(client, msft.order.id, "Rejected")
    await wait_status(client, aapl.order.id, "Filled")


async def test_a_paused_symbol_neither_quotes_nor_fills(
    client: Client, sandbox: SandboxServer
) -> None:
    await admin(sandbox, "symbols/pause", {"symbol": "AAPL", "paused": True})
    frozen = await client.rest.market_data.by_symbol("Equity", "AAPL")
    spy_before = await client.rest.market_data.by_symbol("Equity", "SPY")
    placed = await client.rest.orders.place(ACCOUNT, buy())
    assert placed.order.id is not None
    await wait_status(client, placed.order.id, "Live")
    await admin(sandbox, "clock", {"advance": 120})  # two minutes of market time pass
    spy_after = await client.rest.market_data.by_symbol("Equity", "SPY")
    assert spy_after.updated_at != spy_before.updated_at
    assert (await client.rest.market_data.by_symbol("Equity", "AAPL")).bid == frozen.bid
    for _ in range(5):  # several engine passes later it is still working
        assert (await client.rest.orders.get(ACCOUNT, placed.order.id)).status == OrderStatus.LIVE
    await admin(sandbox, "symbols/pause", {"symbol": "AAPL", "paused": False})
    await wait_status(client, placed.order.id, "Filled")


async def test_delayed_fills_arrive_later(client: Client, sandbox: SandboxServer) -> None:
    await admin(sandbox, "fills/delay", {"seconds": 0.6})
    placed_at = time.monotonic()
    placed = await client.rest.orders.place(ACCOUNT, buy())
    assert placed.order.id is not None
    live = await wait_status(client, placed.order.id, "Live")
    assert live.legs[0].fills == ()
    filled = await wait_status(client, placed.order.id, "Filled")
    assert time.monotonic() - placed_at >= 0.6  # a lower bound only, never a timing target
    assert filled.legs[0].fills

    async def position() -> bool:
        return bool(await client.rest.positions.get_positions(ACCOUNT, symbol="AAPL"))

    await eventually(position, timeout=5, interval=0.02)
