"""Trading beyond single equities through the client: option spreads, futures, notional
crypto, OCO/OTO complex orders, PATCH edits, replace dry-runs and customer-wide order views."""

from __future__ import annotations

from decimal import Decimal

from adapters.tastytrade import Client
from adapters.tastytrade.models import (
    ComplexOrderType,
    InstrumentType,
    OrderAction,
    OrderStatus,
    PriceEffect,
    QuantityDirection,
)
from adapters.tastytrade.order_builder import NewComplexOrder, NewOrder, NewOrderLeg
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import (
    ACCOUNT,
    OPEN,
    admin,
    money,
    wait_status,
    warnings_of,
)


def equity(action: OrderAction, quantity: int = 10, symbol: str = "AAPL") -> NewOrderLeg:
    return NewOrderLeg(InstrumentType.EQUITY, symbol, action, Decimal(quantity))


async def test_vertical_call_spread_fills_per_leg_with_the_option_multiplier(
    client: Client,
) -> None:
    (nested,) = await client.rest.chains.nested("SPY")
    strikes = nested.expirations[2].strikes
    middle = len(strikes) // 2
    long_call, short_call = strikes[middle].call, strikes[middle + 2].call
    assert long_call is not None
    assert short_call is not None
    quotes = {
        d.symbol: d
        for d in await client.rest.market_data.by_type(equity_option=[long_call, short_call])
    }
    debit = money(quotes[long_call].ask) - money(quotes[short_call].bid) + Decimal("0.50")
    order = NewOrder.limit(
        [
            NewOrderLeg(
                InstrumentType.EQUITY_OPTION, long_call, OrderAction.BUY_TO_OPEN, Decimal(1)
            ),
            NewOrderLeg(
                InstrumentType.EQUITY_OPTION, short_call, OrderAction.SELL_TO_OPEN, Decimal(1)
            ),
        ],
        debit,
        PriceEffect.DEBIT,
    )
    before = await client.rest.balances.get_balances(ACCOUNT)
    placed = await client.rest.orders.place(ACCOUNT, order)
    assert placed.order.id is not None
    filled = await wait_status(client, placed.order.id, "Filled")
    prices = {leg.symbol: leg.fills[0].fill_price for leg in filled.legs}
    net = prices[long_call] - prices[short_call]
    assert net <= debit  # never worse than the limit

    positions = {p.symbol: p for p in await client.rest.positions.get_positions(ACCOUNT)}
    assert positions[long_call].quantity_direction == QuantityDirection.LONG
    assert positions[short_call].quantity_direction == QuantityDirection.SHORT
    assert {positions[s].multiplier for s in (long_call, short_call)} == {Decimal(100)}
    assert positions[long_call].average_open_price == prices[long_call]
    assert positions[long_call].underlying_symbol == "SPY"

    trades = await client.rest.transactions.list(ACCOUNT, underlying_symbol="SPY")
    by_symbol = {t.symbol: t for t in trades}
    assert by_symbol[long_call].value == prices[long_call] * 100
    assert by_symbol[long_call].value_effect == PriceEffect.DEBIT
    assert by_symbol[short_call].value == prices[short_call] * 100
    assert by_symbol[short_call].value_effect == PriceEffect.CREDIT
    fees = sum(
        (t.clearing_fees or 0) + (t.regulatory_fees or 0) + (t.commission or 0) for t in trades
    )
    after = await client.rest.balances.get_balances(ACCOUNT)
    assert money(after.cash_balance) == money(before.cash_balance) - net * 100 - fees
    assert warnings_of(client) == []


async def test_future_and_notional_crypto_orders_fill(client: Client) -> None:
    front = (await client.rest.instruments.futures(product_codes=["ES"]))[0]
    future = NewOrder.market(
        NewOrderLeg(InstrumentType.FUTURE, front.symbol, OrderAction.BUY_TO_OPEN, Decimal(1))
    )
    placed = await client.rest.orders.place(ACCOUNT, future)
    assert placed.order.id is not None
    await wait_status(client, placed.order.id, "Filled")
    crypto = NewOrder.notional(
        NewOrderLeg(InstrumentType.CRYPTOCURRENCY, "BTC/USD", OrderAction.BUY_TO_OPEN),
        Decimal("1000"),
        PriceEffect.DEBIT,
    )
    placed = await client.rest.orders.place(ACCOUNT, crypto)
    assert placed.order.id is not None
    filled = await wait_status(client, placed.order.id, "Filled")
    (fill,) = filled.legs[0].fills
    assert abs(fill.quantity * fill.fill_price - Decimal(1000)) <= fill.fill_price * Decimal("1e-8")
    positions = {p.symbol: p for p in await client.rest.positions.get_positions(ACCOUNT)}
    assert positions[front.symbol].multiplier == front.notional_multiplier
    assert positions[front.symbol].instrument_type == InstrumentType.FUTURE
    assert positions["BTC/USD"].quantity == fill.quantity
    futures_only = await client.rest.positions.get_positions(
        ACCOUNT, instrument_type=InstrumentType.FUTURE
    )
    assert [p.symbol for p in futures_only] == [front.symbol]
    assert warnings_of(client) == []


async def test_oco_one_fill_cancels_the_other(client: Client) -> None:
    bought = await client.rest.orders.place(
        ACCOUNT, NewOrder.market(equity(OrderAction.BUY_TO_OPEN))
    )
    assert bought.order.id is not None
    await wait_status(client, bought.order.id, "Filled")
    oco = NewComplexOrder.oco(
        NewOrder.limit([equity(OrderAction.SELL_TO_CLOSE)], Decimal(100000), PriceEffect.CREDIT),
        NewOrder.limit([equity(OrderAction.SELL_TO_CLOSE)], Decimal(1), PriceEffect.CREDIT),
    )
    dry = await client.rest.complex_orders.dry_run(ACCOUNT, oco)
    assert dry.complex_order.id is None
    assert dry.complex_order.type == ComplexOrderType.OCO
    placed = await client.rest.complex_orders.place(ACCOUNT, oco)
    far, near = placed.complex_order.orders
    assert far.id is not None
    assert near.id is not None
    await wait_status(client, near.id, "Filled")
    await wait_status(client, far.id, "Cancelled")
    assert [p for p in await client.rest.positions.get_positions(ACCOUNT) if p.quantity] == []
    history = await client.rest.complex_orders.history(ACCOUNT)
    assert [c.id for c in history] == [placed.complex_order.id]
    assert warnings_of(client) == []


async def test_oto_cancel_cancels_every_working_component(client: Client) -> None:
    oto = NewComplexOrder.oto(
        NewOrder.limit([equity(OrderAction.BUY_TO_OPEN, 1, "MSFT")], Decimal(1), PriceEffect.DEBIT),
        NewOrder.limit(
            [equity(OrderAction.SELL_TO_CLOSE, 1, "MSFT")], Decimal(100000), PriceEffect.CREDIT
        ),
    )
    placed = await client.rest.complex_orders.place(ACCOUNT, oto)
    complex_id = placed.complex_order.id
    trigger = placed.complex_order.trigger_order
    assert complex_id is not None
    assert trigger is not None
    assert trigger.id is not None
    (child,) = placed.complex_order.orders
    assert child.id is not None
    assert child.status == OrderStatus.CONTINGENT
    await wait_status(client, trigger.id, "Live")
    assert [c.id for c in await client.rest.complex_orders.get_live(ACCOUNT)] == [complex_id]
    await client.rest.complex_orders.cancel(ACCOUNT, complex_id)
    await wait_status(client, trigger.id, "Cancelled")
    await wait_status(client, child.id, "Cancelled")
    assert warnings_of(client) == []


async def test_patch_edit_and_replace_dry_run(client: Client) -> None:
    resting = NewOrder.limit([equity(OrderAction.BUY_TO_OPEN)], Decimal(1), PriceEffect.DEBIT)
    placed = await client.rest.orders.place(ACCOUNT, resting)
    order_id = placed.order.id
    assert order_id is not None
    await wait_status(client, order_id, "Live")
    preview = await client.rest.orders.replace_dry_run(
        ACCOUNT, order_id, resting.replace(price=Decimal(2))
    )
    assert preview.order.id is None
    assert preview.order.price == Decimal(2)
    assert preview.buying_power_effect is not None
    assert (await client.rest.orders.get(ACCOUNT, order_id)).price == Decimal(1)  # untouched
    edited = await client.rest.orders.edit(
        ACCOUNT,
        order_id,
        {"order-type": "Limit", "time-in-force": "Day", "price": "1.50", "price-effect": "Debit"},
    )
    assert edited.price == Decimal("1.5")
    current = await client.rest.orders.get(ACCOUNT, order_id)
    assert (current.price, current.status) == (Decimal("1.5"), OrderStatus.LIVE)
    assert warnings_of(client) == []


async def test_customer_wide_order_views(client: Client) -> None:
    first = await client.rest.orders.place(
        ACCOUNT, NewOrder.limit([equity(OrderAction.BUY_TO_OPEN)], Decimal(1), PriceEffect.DEBIT)
    )
    second = await client.rest.orders.place(
        "5WT00002",
        NewOrder.limit([equity(OrderAction.BUY_TO_OPEN, 1, "F")], Decimal(1), PriceEffect.DEBIT),
    )
    ids = {first.order.id, second.order.id}
    both = await client.rest.customers.orders(
        "C0000001", [ACCOUNT, "5WT00002"], start_date=OPEN.date()
    )
    assert {o.id for o in both} == ids
    assert {o.account_number for o in both} == {ACCOUNT, "5WT00002"}
    only_first = await client.rest.customers.live_orders("C0000001", [ACCOUNT])
    assert [o.id for o in only_first] == [first.order.id]
    assert warnings_of(client) == []


async def test_stop_orders_trigger_only_past_their_trigger(
    client: Client, sandbox: SandboxServer
) -> None:
    ask = Decimal(str(sandbox.market.book("AAPL").ask))
    crossed = await client.rest.orders.place(
        ACCOUNT, NewOrder.stop(equity(OrderAction.BUY_TO_OPEN, 1), ask - 10)
    )
    assert crossed.order.id is not None
    filled = await wait_status(client, crossed.order.id, "Filled")
    assert filled.legs[0].fills[0].fill_price >= ask - 10  # a buy stop fills at/above its trigger
    far = await client.rest.orders.place(
        ACCOUNT, NewOrder.stop(equity(OrderAction.BUY_TO_OPEN, 1), ask + 100)
    )
    assert far.order.id is not None
    await wait_status(client, far.order.id, "Live")
    await admin(sandbox, "clock", {"advance": 30})  # the market moves, not by $100
    for _ in range(5):
        working = await client.rest.orders.get(ACCOUNT, far.order.id)
        assert working.status == OrderStatus.LIVE
        assert working.stop_trigger == ask + 100
    await client.rest.orders.cancel(ACCOUNT, far.order.id)
    await wait_status(client, far.order.id, "Cancelled")
    assert warnings_of(client) == []
