"""Option expiration through the client: at the close an out-of-the-money call expires
worthless, an in-the-money call is exercised into 100 shares at its strike."""

from __future__ import annotations

from decimal import Decimal

from adapters.tastytrade import Client
from adapters.tastytrade.models import (
    InstrumentType,
    OrderAction,
    PriceEffect,
    QuantityDirection,
    TransactionType,
)
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import (
    ACCOUNT,
    OPEN,
    admin,
    money,
    wait_status,
    warnings_of,
)
from tests.support import eventually

AFTER_CLOSE = "2026-11-26T00:00:00Z"  # 18:00 CT on the expiration day


async def buy_call(client: Client, symbol: str) -> None:
    quote = await client.rest.market_data.by_symbol("Equity Option", symbol)
    order = NewOrder.limit(
        [NewOrderLeg(InstrumentType.EQUITY_OPTION, symbol, OrderAction.BUY_TO_OPEN, Decimal(1))],
        money(quote.ask) + Decimal("0.50"),
        PriceEffect.DEBIT,
    )
    placed = await client.rest.orders.place(ACCOUNT, order)
    assert placed.order.id is not None
    await wait_status(client, placed.order.id, "Filled")


async def test_expiring_calls_expire_or_are_exercised(
    client: Client, sandbox: SandboxServer
) -> None:
    (nested,) = await client.rest.chains.nested("SPY")
    today = nested.expirations[0]
    assert today.expiration_date == OPEN.date()  # SPY lists daily expirations
    spot = money((await client.rest.market_data.by_symbol("Equity", "SPY")).mark)
    otm = next(s for s in today.strikes if s.strike_price > spot + 20)
    itm = [s for s in today.strikes if s.strike_price < spot - 20][-1]
    assert otm.call is not None
    assert itm.call is not None
    await buy_call(client, otm.call)
    await buy_call(client, itm.call)
    cash_before = money((await client.rest.balances.get_balances(ACCOUNT)).cash_balance)
    day_order = await client.rest.orders.place(
        ACCOUNT,
        NewOrder.limit(
            [NewOrderLeg(InstrumentType.EQUITY, "MSFT", OrderAction.BUY_TO_OPEN, Decimal(1))],
            Decimal(1),
            PriceEffect.DEBIT,
        ),
    )
    assert day_order.order.id is not None
    await wait_status(client, day_order.order.id, "Live")

    await admin(sandbox, "clock", {"set": AFTER_CLOSE})
    await wait_status(client, day_order.order.id, "Expired")  # Day orders end at the close

    async def settled() -> bool:
        positions = await client.rest.positions.get_positions(ACCOUNT)
        return [p.symbol for p in positions] == ["SPY"]

    await eventually(settled, timeout=10, interval=0.05, message="options never settled")
    (shares,) = await client.rest.positions.get_positions(ACCOUNT)
    assert shares.quantity == 100
    assert shares.quantity_direction == QuantityDirection.LONG
    assert shares.average_open_price == itm.strike_price
    settlements = await client.rest.transactions.list(
        ACCOUNT, type=str(TransactionType.RECEIVE_DELIVER)
    )
    by_kind = {(t.transaction_sub_type, t.symbol): t for t in settlements}
    assert ("Expiration", otm.call) in by_kind
    assert ("Exercise", itm.call) in by_kind
    delivery = by_kind[("Exercise", "SPY")]
    assert delivery.quantity == 100
    assert delivery.value == itm.strike_price * 100
    assert delivery.value_effect == PriceEffect.DEBIT
    cash_after = money((await client.rest.balances.get_balances(ACCOUNT)).cash_balance)
    assert cash_after == cash_before - itm.strike_price * 100
    assert warnings_of(client) == []
