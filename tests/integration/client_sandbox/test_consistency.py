"""REST and DXLink describe the same market: with the sandbox clock frozen, the quote, greeks,
summary and trade streamed for equities, options, futures and crypto equal the REST snapshot,
and the client's symbol conversions name the same streamer symbols as the server."""

from __future__ import annotations

from decimal import Decimal

from adapters.tastytrade import (
    Greeks,
    MarketEvent,
    Quote,
    Summary,
    Trade,
    crypto_to_streamer,
    future_to_streamer,
    occ_to_streamer,
)
from tests.integration.client_sandbox.conftest import OPEN, open_client, open_sandbox, warnings_of
from tests.integration.client_sandbox.streams import Collector
from tests.support import eventually


def latest(events: list[MarketEvent], kind: type[MarketEvent], symbol: str) -> MarketEvent | None:
    found = [e for e in events if isinstance(e, kind) and e.event_symbol == symbol]
    return found[-1] if found else None


async def test_rest_snapshot_equals_the_streamed_market_at_a_frozen_instant() -> None:
    async with open_sandbox(clock_speed=0.0) as server, open_client(server) as client:
        (nested,) = await client.rest.chains.nested("SPY")
        strikes = nested.expirations[1].strikes
        strike = strikes[len(strikes) // 2]
        assert strike.call is not None
        option = occ_to_streamer(strike.call)
        assert option == strike.call_streamer_symbol
        front = (await client.rest.instruments.futures(product_codes=["ES"]))[0]
        assert front.streamer_exchange_code is not None
        future = future_to_streamer(front.symbol, front.streamer_exchange_code, near_year=OPEN.year)
        assert future == front.streamer_symbol
        crypto = crypto_to_streamer("BTC/USD")
        assert crypto == (await client.rest.instruments.cryptocurrency("BTC/USD")).streamer_symbol
        rest = {
            d.symbol: d
            for d in await client.rest.market_data.by_type(
                equity=["SPY"],
                equity_option=[strike.call],
                future=[front.symbol],
                cryptocurrency=["BTC/USD"],
            )
        }
        streamer_of = {"SPY": "SPY", strike.call: option, front.symbol: future, "BTC/USD": crypto}

        async with client.dxlink(aggregation_period=0.05) as dx:
            with dx.listen() as listener:
                events = Collector(listener)
                await dx.subscribe("Quote", list(streamer_of.values()))
                await dx.subscribe("Greeks", [option])
                await dx.subscribe("Summary", ["SPY"])
                await dx.subscribe("Trade", ["SPY"])
                wanted = [(Quote, s) for s in streamer_of.values()] + [
                    (Greeks, option),
                    (Summary, "SPY"),
                    (Trade, "SPY"),
                ]

                async def complete() -> bool:
                    items = events.pump()
                    return all(latest(items, kind, symbol) for kind, symbol in wanted)

                await eventually(complete, timeout=10, interval=0.05)

        for symbol, streamer_symbol in streamer_of.items():
            quote = latest(events.items, Quote, streamer_symbol)
            assert isinstance(quote, Quote)
            assert (Decimal(str(quote.bid_price)), Decimal(str(quote.ask_price))) == (
                rest[symbol].bid,
                rest[symbol].ask,
            ), symbol
        greeks = latest(events.items, Greeks, option)
        assert isinstance(greeks, Greeks)
        rest_delta = rest[strike.call].delta
        assert rest_delta is not None
        assert abs(Decimal(str(greeks.delta)) - rest_delta) < Decimal("1e-5")
        summary = latest(events.items, Summary, "SPY")
        assert isinstance(summary, Summary)
        assert Decimal(str(summary.day_open_price)) == rest["SPY"].open
        assert Decimal(str(summary.prev_day_close_price)) == rest["SPY"].prev_close
        trade = latest(events.items, Trade, "SPY")
        assert isinstance(trade, Trade)
        assert Decimal(str(trade.price)) == rest["SPY"].last
        assert warnings_of(client) == []
        assert client.errors.drain() == []
