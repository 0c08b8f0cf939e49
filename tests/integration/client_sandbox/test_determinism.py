"""The same seed and clock give the same quotes and the same fills; another seed differs.

Clocks are frozen (speed 0) and moved explicitly, so two sandboxes started at different
wall-clock moments sit at the same market instant.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

from adapters.tastytrade import Client
from adapters.tastytrade.models import InstrumentType, MarketData, OrderAction, PriceEffect
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

SYMBOLS = {
    "equity": ["SPY", "AAPL", "MSFT", "TSLA"],
    "index": ["SPX", "VIX"],
    "cryptocurrency": ["BTC/USD", "ETH/USD"],
}


@dataclass
class Venue:
    server: SandboxServer
    client: Client


@contextlib.asynccontextmanager
async def frozen(seed: int) -> AsyncIterator[Venue]:
    config = {"seed": seed, "clock_speed": 0.0, "engine_poll_interval": 0.02}
    async with open_sandbox(**config) as server, open_client(server) as client:
        yield Venue(server, client)


async def derivatives(client: Client) -> tuple[list[str], list[str]]:
    """Ten SPY calls of the second expiration and two ES futures, as listed by ``client``."""
    (nested,) = await client.rest.chains.nested("SPY")
    options = [s.call for s in nested.expirations[1].strikes[:10] if s.call]
    futures = [f.symbol for f in await client.rest.instruments.futures(product_codes=["ES"])]
    return options, futures[:2]


async def snapshot(client: Client, options: list[str], futures: list[str]) -> dict[str, MarketData]:
    data = await client.rest.market_data.by_type(
        equity=SYMBOLS["equity"],
        index=SYMBOLS["index"],
        cryptocurrency=SYMBOLS["cryptocurrency"],
        equity_option=options,
        future=futures,
    )
    return {d.symbol: d for d in data}


async def trade(venue: Venue) -> list[tuple[str, Decimal, Decimal]]:
    """A fixed order sequence (moving the clock between orders); every fill as (sym, qty, px)."""
    legs = [
        ("AAPL", OrderAction.BUY_TO_OPEN, 10, None),
        ("SPY", OrderAction.BUY_TO_OPEN, 3, None),
        ("AAPL", OrderAction.SELL_TO_CLOSE, 4, Decimal(1)),  # marketable limit sell
        ("TSLA", OrderAction.BUY_TO_OPEN, 2, None),
    ]
    fills: list[tuple[str, Decimal, Decimal]] = []
    for symbol, action, quantity, limit in legs:
        leg = NewOrderLeg(InstrumentType.EQUITY, symbol, action, Decimal(quantity))
        order = (
            NewOrder.market(leg)
            if limit is None
            else NewOrder.limit([leg], limit, PriceEffect.CREDIT)
        )
        placed = await venue.client.rest.orders.place(ACCOUNT, order)
        assert placed.order.id is not None
        filled = await wait_status(venue.client, placed.order.id, "Filled")
        fills.extend((symbol, f.quantity, f.fill_price) for f in filled.legs[0].fills)
        await admin(venue.server, "clock", {"advance": 45})
    return fills


async def test_same_seed_same_quotes_and_fills_other_seed_differs() -> None:
    async with frozen(11) as venue1, frozen(11) as venue2, frozen(12) as venue3:
        first, second, other = venue1.client, venue2.client, venue3.client
        options, futures = await derivatives(first)
        assert await derivatives(second) == (options, futures)
        one, two = await snapshot(first, options, futures), await snapshot(second, options, futures)
        three = await snapshot(other, options, futures)
        assert len(one) >= 18
        assert one == two  # every field of every symbol, options and futures included
        common = sorted(set(one) & set(three))  # the other seed may list other strikes
        assert len(common) >= 10
        differing = [s for s in common if (one[s].bid, one[s].ask) != (three[s].bid, three[s].ask)]
        assert len(differing) >= len(common) // 2, differing

        fills_one, fills_two = await trade(venue1), await trade(venue2)
        assert len(fills_one) >= 4
        assert fills_one == fills_two

        after_one = await snapshot(first, options, futures)
        after_two = await snapshot(second, options, futures)
        assert after_one == after_two  # still in step after the same clock moves
        assert after_one["SPY"] != one["SPY"]  # …and the market did move
        balances = [await c.rest.balances.get_balances(ACCOUNT) for c in (first, second)]
        assert balances[0].cash_balance == balances[1].cash_balance
        for client in (first, second, other):
            assert warnings_of(client) == []
