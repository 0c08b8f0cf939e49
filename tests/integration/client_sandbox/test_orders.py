"""Orders end to end through the client's REST side: fills move positions, cash and
transactions; cancel, replace, preflight failures, dry-runs, OTOCO, external identifiers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from adapters.tastytrade import Client, PreflightFailed
from adapters.tastytrade.models import (
    InstrumentType,
    OrderAction,
    OrderStatus,
    PriceEffect,
    QuantityDirection,
    TransactionType,
)
from adapters.tastytrade.order_builder import NewComplexOrder, NewOrder, NewOrderLeg
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import (
    ACCOUNT,
    OPEN,
    money,
    wait_status,
    warnings_of,
)
from tests.support import unique


def leg(action: OrderAction, quantity: int = 10, symbol: str = "AAPL") -> NewOrderLeg:
    return NewOrderLeg(InstrumentType.EQUITY, symbol, action, Decimal(quantity))


def resting_buy(symbol: str = "AAPL", price: str = "1.00") -> NewOrder:
    """A Day limit buy far below the market: it stays Live."""
    return NewOrder.limit(
        [leg(OrderAction.BUY_TO_OPEN, symbol=symbol)], Decimal(price), PriceEffect.DEBIT
    )


async def test_market_order_fills_and_moves_position_cash_and_transactions(
    client: Client,
) -> None:
    before = await client.rest.balances.get_balances(ACCOUNT)
    tag = unique("cmd")
    placed = await client.rest.orders.place(
        ACCOUNT, NewOrder.market(leg(OrderAction.BUY_TO_OPEN), external_identifier=tag)
    )
    order_id = placed.order.id
    assert order_id is not None
    assert placed.order.external_identifier == tag
    assert placed.order.status in (OrderStatus.RECEIVED, OrderStatus.ROUTED)
    filled = await wait_status(client, order_id, "Filled")
    (fill_leg,) = filled.legs
    assert fill_leg.remaining_quantity == 0
    assert sum(f.quantity for f in fill_leg.fills) == 10
    notional = sum(f.quantity * f.fill_price for f in fill_leg.fills)
    average = notional / 10

    (position,) = await client.rest.positions.get_positions(ACCOUNT, symbol="AAPL")
    assert position.quantity == 10
    assert position.quantity_direction == QuantityDirection.LONG
    assert position.average_open_price == average
    assert position.instrument_type == InstrumentType.EQUITY

    trades = await client.rest.transactions.list(ACCOUNT, type="Trade")
    (trade,) = [t for t in trades if t.order_id == order_id]
    assert trade.transaction_type == TransactionType.TRADE
    assert trade.symbol == "AAPL"
    assert trade.action == OrderAction.BUY_TO_OPEN
    assert trade.quantity == 10
    assert trade.value == notional
    assert trade.value_effect == PriceEffect.DEBIT
    fees = sum(
        (x or Decimal(0)) for x in (trade.clearing_fees, trade.regulatory_fees, trade.commission)
    )
    assert trade.net_value == notional + fees
    assert (await client.rest.transactions.get(ACCOUNT, trade.id)).id == trade.id

    after = await client.rest.balances.get_balances(ACCOUNT)
    assert money(after.cash_balance) == money(before.cash_balance) - notional - fees
    total = await client.rest.transactions.total_fees(ACCOUNT, OPEN.date())
    assert total.total_fees == fees

    history = await client.rest.orders.history(ACCOUNT, start_date=OPEN.date())
    assert [o.id for o in history if o.external_identifier == tag] == [order_id]
    assert warnings_of(client) == []


async def test_marketable_limit_sell_closes_the_position(
    client: Client, sandbox: SandboxServer
) -> None:
    bought = await client.rest.orders.place(ACCOUNT, NewOrder.market(leg(OrderAction.BUY_TO_OPEN)))
    assert bought.order.id is not None
    await wait_status(client, bought.order.id, "Filled")
    bid = sandbox.market.book("AAPL").bid
    sell = NewOrder.limit(
        [leg(OrderAction.SELL_TO_CLOSE)], Decimal(str(bid)) - 5, PriceEffect.CREDIT
    )
    placed = await client.rest.orders.place(ACCOUNT, sell)
    assert placed.order.id is not None
    filled = await wait_status(client, placed.order.id, "Filled")
    floor = Decimal(str(bid)) - 5
    assert all(f.fill_price >= floor for f in filled.legs[0].fills)  # never below the limit
    positions = await client.rest.positions.get_positions(ACCOUNT, symbol="AAPL")
    assert [p.quantity for p in positions if p.quantity != 0] == []
    # the ledger adds up: cash moved by exactly the signed net value of every trade
    trades = await client.rest.transactions.list(ACCOUNT)
    assert len(trades) == 2
    moved = sum(money(t.signed_net_value) for t in trades)
    balance = await client.rest.balances.get_balances(ACCOUNT)
    assert money(balance.cash_balance) == Decimal(100000) + moved
    assert moved < 0  # a round trip across the spread, plus fees, costs money
    (closed,) = await client.rest.positions.get_positions(
        ACCOUNT, symbol="AAPL", include_closed=True
    )
    assert closed.quantity == 0
    bought_at = (await client.rest.orders.get(ACCOUNT, bought.order.id)).legs[0].fills
    sold = sum((f.quantity * f.fill_price for f in filled.legs[0].fills), Decimal(0))
    gain: Decimal = sold - sum((f.quantity * f.fill_price for f in bought_at), Decimal(0))
    assert gain < 0  # bought at the ask, sold at or below the bid
    fees = sum((money(t.signed_net_value) - t.signed_value for t in trades), Decimal(0))  # < 0
    # a realized loss of the price difference (the reference does not say whether fees count)
    assert closed.realized_day_gain_effect == PriceEffect.DEBIT
    assert abs(gain) <= money(closed.realized_day_gain) <= abs(gain) - fees
    assert warnings_of(client) == []


async def test_resting_limit_cancel_and_cancel_again(client: Client) -> None:
    placed = await client.rest.orders.place(ACCOUNT, resting_buy())
    order_id = placed.order.id
    assert order_id is not None
    live = await wait_status(client, order_id, "Live")
    assert live.cancellable is True
    assert [o.id for o in await client.rest.orders.get_live_orders(ACCOUNT)] == [order_id]
    requested = await client.rest.orders.cancel(ACCOUNT, order_id)
    assert requested.status in (OrderStatus.CANCEL_REQUESTED, OrderStatus.CANCELLED)
    cancelled = await wait_status(client, order_id, "Cancelled")
    assert cancelled.cancelled_at is not None
    with pytest.raises(PreflightFailed) as again:
        await client.rest.orders.cancel(ACCOUNT, order_id)
    assert (again.value.status, again.value.code) == (422, "cannot_update_order")
    assert again.value.retriable is False
    assert await client.rest.positions.get_positions(ACCOUNT) == []
    assert warnings_of(client) == []


async def test_replace_links_old_and_new_orders(client: Client) -> None:
    placed = await client.rest.orders.place(ACCOUNT, resting_buy())
    old_id = placed.order.id
    assert old_id is not None
    await wait_status(client, old_id, "Live")
    new = await client.rest.orders.replace(ACCOUNT, old_id, resting_buy(price="2.00"))
    assert new.id is not None
    assert new.id != old_id
    assert new.replaces_order_id == old_id
    assert new.price == Decimal("2")
    old = await wait_status(client, old_id, "Cancelled")
    assert old.replacing_order_id == new.id
    assert old.edited is True
    current = await wait_status(client, new.id, "Live")
    assert current.price == Decimal("2")
    assert [
        o.id
        for o in await client.rest.orders.get_live_orders(ACCOUNT)
        if o.status == OrderStatus.LIVE
    ] == [new.id]
    assert warnings_of(client) == []


async def test_buying_for_a_credit_is_a_preflight_failure(client: Client) -> None:
    body: dict[str, Any] = resting_buy().to_wire() | {
        "price-effect": "Credit"
    }  # bypass the builder
    with pytest.raises(PreflightFailed) as caught:
        await client.rest.orders.place(ACCOUNT, body)
    error = caught.value
    assert (error.status, error.code) == (422, "preflight_check_failure")
    assert "cant_buy_for_credit" in [detail.code for detail in error.errors]
    assert await client.rest.orders.get_live_orders(ACCOUNT) == []


async def test_dry_run_reports_effects_without_placing(client: Client) -> None:
    response = await client.rest.orders.dry_run(
        ACCOUNT, NewOrder.market(leg(OrderAction.BUY_TO_OPEN))
    )
    assert response.order.id is None
    assert response.order.status == OrderStatus.RECEIVED
    effect = response.buying_power_effect
    assert effect is not None
    assert effect.change_in_buying_power > 0
    assert effect.change_in_buying_power_effect == PriceEffect.DEBIT
    assert effect.new_buying_power < effect.current_buying_power
    fees = response.fee_calculation
    assert fees is not None
    assert fees.total_fees >= 0
    assert await client.rest.orders.get_live_orders(ACCOUNT) == []
    assert await client.rest.orders.history(ACCOUNT, start_date=OPEN.date()) == []
    margin = await client.rest.margin.dry_run(
        ACCOUNT, NewOrder.market(leg(OrderAction.BUY_TO_OPEN))
    )
    assert margin.change_in_buying_power is not None
    assert margin.change_in_buying_power > 0
    assert margin.change_in_buying_power_effect == PriceEffect.DEBIT
    assert margin.current_buying_power is not None
    assert margin.new_buying_power == margin.current_buying_power - margin.change_in_buying_power
    assert warnings_of(client) == []


async def test_otoco_trigger_fill_releases_the_pair_and_one_fill_cancels_the_other(
    client: Client, sandbox: SandboxServer
) -> None:
    book = sandbox.market.book("AAPL")
    ask, bid = Decimal(str(book.ask)), Decimal(str(book.bid))
    sandbox.admin.delay_fills(0.8)  # every order rests 0.8 s once Live: each state is observable
    order = NewComplexOrder.otoco(
        NewOrder.limit([leg(OrderAction.BUY_TO_OPEN)], ask + 5, PriceEffect.DEBIT),
        # a take-profit below the bid: marketable as soon as it is released
        NewOrder.limit([leg(OrderAction.SELL_TO_CLOSE)], bid - 5, PriceEffect.CREDIT),
        NewOrder.stop(leg(OrderAction.SELL_TO_CLOSE), Decimal("1.00")),
    )
    placed = await client.rest.complex_orders.place(ACCOUNT, order)
    complex_order = placed.complex_order
    assert complex_order.id is not None
    trigger = complex_order.trigger_order
    assert trigger is not None
    assert trigger.id is not None
    assert trigger.complex_order_tag == "OTOCO::trigger-order"
    take_profit, stop_loss = complex_order.orders
    assert take_profit.id is not None
    assert stop_loss.id is not None
    assert [str(c.status) for c in complex_order.orders] == ["Contingent", "Contingent"]
    assert {c.complex_order_id for c in complex_order.orders} == {complex_order.id}

    await wait_status(client, trigger.id, "Filled")
    await wait_status(client, take_profit.id, "Live")
    await wait_status(client, stop_loss.id, "Live")
    filled = await wait_status(client, take_profit.id, "Filled")
    assert all(f.fill_price >= bid - 5 for f in filled.legs[0].fills)
    await wait_status(client, stop_loss.id, "Cancelled")
    positions = await client.rest.positions.get_positions(ACCOUNT, symbol="AAPL")
    assert [p.quantity for p in positions if p.quantity != 0] == []
    fetched = await client.rest.complex_orders.get(ACCOUNT, complex_order.id)
    assert fetched.id == complex_order.id
    assert {o.id for o in fetched.orders} == {take_profit.id, stop_loss.id}
    assert warnings_of(client) == []


async def test_a_resting_limit_buy_uses_buying_power(client: Client) -> None:
    """A $1 limit buy of a $300 stock must not look like free money in the preview."""
    preview = await client.rest.orders.dry_run(ACCOUNT, resting_buy())
    effect = preview.buying_power_effect
    assert effect is not None
    assert effect.change_in_buying_power_effect == PriceEffect.DEBIT
    assert effect.new_buying_power < effect.current_buying_power
    margin = await client.rest.margin.dry_run(ACCOUNT, resting_buy())
    assert margin.change_in_buying_power_effect == PriceEffect.DEBIT
    assert margin.current_buying_power is not None
    assert margin.new_buying_power is not None
    assert margin.new_buying_power < margin.current_buying_power
    assert warnings_of(client) == []
