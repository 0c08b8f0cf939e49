"""Preflight rules (§7.2) as the client surfaces them, and orders across market hours."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapters.tastytrade import ApiError, Client, PreflightFailed
from adapters.tastytrade.models import (
    InstrumentType,
    MarketSessionState,
    OrderAction,
    OrderStatus,
    PriceEffect,
)
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import (
    ACCOUNT,
    admin,
    open_client,
    open_sandbox,
    wait_status,
    warnings_of,
)

SATURDAY = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def wire_leg(symbol: str = "AAPL", quantity: int = 1) -> dict[str, Any]:
    return {
        "instrument-type": "Equity",
        "symbol": symbol,
        "action": "Buy to Open",
        "quantity": quantity,
    }


def body(order_type: str = "Market", tif: str = "Day", **extra: Any) -> dict[str, Any]:
    """A raw wire body (bypasses ``NewOrder``'s local validation on purpose)."""
    legs = extra.pop("legs", [wire_leg()])
    return {"time-in-force": tif, "order-type": order_type, "legs": legs, **extra}


def leg(action: OrderAction, symbol: str = "AAPL", quantity: int = 1) -> NewOrderLeg:
    return NewOrderLeg(InstrumentType.EQUITY, symbol, action, Decimal(quantity))


@pytest.mark.parametrize(
    ("order", "code"),
    [
        (body("Limit", price="5", **{"price-effect": "Credit"}), "cant_buy_for_credit"),
        (body(tif="GTC"), "market_order_gtc_not_allowed"),
        (body(price="1.0", **{"price-effect": "Debit"}), "price_not_allowed"),
        (body(legs=[wire_leg("ZZZZ")]), "invalid_symbol"),
        (body(legs=[wire_leg("SPY", 100000)]), "insufficient_buying_power"),
    ],
    ids=["buy-for-credit", "gtc-market", "priced-market", "unknown-symbol", "buying-power"],
)
async def test_preflight_failures_carry_the_nested_code(
    client: Client, order: dict[str, Any], code: str
) -> None:
    with pytest.raises(PreflightFailed) as caught:
        await client.rest.orders.place(ACCOUNT, order)
    error = caught.value
    assert (error.status, error.code) == (422, "preflight_check_failure")
    assert code in [detail.code for detail in error.errors]
    assert all(detail.message for detail in error.errors)
    assert error.retriable is False
    assert await client.rest.orders.get_live_orders(ACCOUNT) == []


async def test_position_effect_rules(client: Client) -> None:
    warned = await client.rest.orders.dry_run(
        ACCOUNT, NewOrder.market(leg(OrderAction.SELL_TO_CLOSE, "MSFT"))
    )
    assert [w.code for w in warned.warnings] == ["closing_with_no_position"]
    strict = NewOrder.market(
        leg(OrderAction.SELL_TO_CLOSE, "MSFT"), strict_position_effect_validation=True
    )
    with pytest.raises(PreflightFailed) as caught:
        await client.rest.orders.place(ACCOUNT, strict)
    assert caught.value.errors
    short = await client.rest.orders.place(
        ACCOUNT, NewOrder.market(leg(OrderAction.SELL_TO_OPEN, "F", 10))
    )
    assert short.order.id is not None
    await wait_status(client, short.order.id, "Filled")
    with pytest.raises(PreflightFailed) as while_short:
        await client.rest.orders.place(
            ACCOUNT, NewOrder.market(leg(OrderAction.BUY_TO_OPEN, "F", 10))
        )
    assert "cannot_open_while_short" in [d.code for d in while_short.value.errors]
    assert warnings_of(client) == []


async def test_orders_wait_for_the_session_while_the_market_is_closed() -> None:
    async with (
        open_sandbox(clock_start=SATURDAY, engine_poll_interval=0.02) as server,
        open_client(server) as client,
    ):
        assert (await client.rest.sessions.equity_current()).state == MarketSessionState.CLOSED
        resting = NewOrder.limit([leg(OrderAction.BUY_TO_OPEN)], Decimal(100000), PriceEffect.DEBIT)
        preview = await client.rest.orders.dry_run(ACCOUNT, resting)
        assert [w.code for w in preview.warnings] == ["tif.next_valid_session"]
        placed = await client.rest.orders.place(ACCOUNT, resting)
        assert placed.order.id is not None
        assert placed.order.status == OrderStatus.RECEIVED
        with pytest.raises(PreflightFailed) as caught:
            await client.rest.orders.place(ACCOUNT, NewOrder.market(leg(OrderAction.BUY_TO_OPEN)))
        assert "market_closed" in [d.code for d in caught.value.errors]
        crypto = NewOrder.market(
            NewOrderLeg(
                InstrumentType.CRYPTOCURRENCY, "BTC/USD", OrderAction.BUY_TO_OPEN, Decimal("0.01")
            )
        )
        weekend = await client.rest.orders.place(ACCOUNT, crypto)  # crypto trades 24/7
        assert weekend.order.id is not None
        await wait_status(client, weekend.order.id, "Filled")
        assert (await client.rest.orders.get(ACCOUNT, placed.order.id)).status == "Received"
        await admin(server, "clock", {"set": "2026-11-30T14:31:00Z"})  # Monday 08:31 CT
        filled = await wait_status(client, placed.order.id, "Filled")
        assert filled.legs[0].fills[0].fill_price < 100000
        assert warnings_of(client) == []


async def test_order_api_20261012_requires_a_start_date(sandbox: SandboxServer) -> None:
    async with open_client(sandbox, api_version="20261012") as client:
        with pytest.raises(ApiError) as caught:
            await client.rest.orders.history(ACCOUNT)
        assert (caught.value.status, caught.value.code) == (400, "invalid_parameter")
        assert caught.value.retriable is False
        assert await client.rest.orders.history(ACCOUNT, start_date=SATURDAY.date()) == []
    async with open_client(sandbox) as client:  # our default version predates the rule
        assert await client.rest.orders.history(ACCOUNT) == []
