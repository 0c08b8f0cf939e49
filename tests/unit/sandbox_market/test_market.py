"""The market simulator: determinism, book sanity, option/future consistency, faults."""

from __future__ import annotations

import asyncio
import contextlib
import math
from datetime import timedelta
from decimal import Decimal

import pytest

from sandbox.clock import SimClock
from sandbox.instruments.symbology import occ_symbol
from sandbox.market import Market
from sandbox.pricing import black_scholes, smile
from tests.support import eventually
from tests.unit.sandbox_market.conftest import OPEN_TIME

SYMBOLS = ["SPY", "SPX", "VIX", "AAPL", "TSLA", "/ESZ6", "/CLF7", "BTC/USD", "DOGE/USD", "SOFIW"]


def _books(seed: int, steps: int = 30) -> list[tuple[object, ...]]:
    market = Market(seed=seed, clock=SimClock(OPEN_TIME, speed=0))
    exp = market.catalog.option_chain("SPY")[3]
    option = occ_symbol(exp.root, exp.expiration_date, "C", exp.strikes[len(exp.strikes) // 2])
    out: list[tuple[object, ...]] = []
    for _ in range(steps):
        market.clock.advance(0.7)
        for symbol in [*SYMBOLS, option]:
            b = market.book(symbol)
            out.append((b.symbol, b.bid, b.ask, b.bid_size, b.ask_size, b.last, b.mark, b.ts_ms))
    return out


def test_same_seed_and_clock_give_the_same_prices() -> None:
    assert _books(42) == _books(42)
    assert _books(42, 3) != _books(43, 3)


def test_prices_do_not_depend_on_query_history() -> None:
    a = Market(seed=5, clock=SimClock(OPEN_TIME, speed=0))
    b = Market(seed=5, clock=SimClock(OPEN_TIME, speed=0))
    for _ in range(50):  # a was queried every step, b only at the end
        a.clock.advance(1.3)
        a.book("AAPL")
    b.clock.advance(1.3 * 50)
    assert a.book("AAPL") == b.book("AAPL")


def test_books_are_sane(market: Market) -> None:
    for symbol in SYMBOLS:
        book = market.book(symbol)
        info = market.instrument(symbol)
        assert info is not None
        assert Decimal(0) < book.bid < book.ask, symbol
        assert book.bid <= book.mark <= book.ask, symbol
        spread = (book.ask - book.bid) / book.mark
        assert spread < Decimal("0.02"), (symbol, spread)
        assert book.bid % info.tick_size == 0 or info.instrument_type == "Cryptocurrency"
        assert book.ts_ms == market.clock.now_ms() // 100 * 100
    with pytest.raises(KeyError):
        market.book("NOPE")


def test_streamer_symbol_gives_the_same_book(market: Market) -> None:
    assert market.book("/ESZ26:XCME") == market.book("/ESZ6")
    assert market.book("BTC/USD:CXTALP") == market.book("BTC/USD")


def test_options_are_black_scholes_off_the_underlying(market: Market) -> None:
    exp = market.catalog.option_chain("AAPL")[4]
    spot = market.tick("AAPL")
    assert spot is not None
    now = market.clock.now().timestamp()
    years = (exp.expires_at.timestamp() - now) / (365.25 * 86400)
    for strike in exp.strikes[::6]:
        call = market.tick(occ_symbol(exp.root, exp.expiration_date, "C", strike))
        put = market.tick(occ_symbol(exp.root, exp.expiration_date, "P", strike))
        assert call is not None
        assert put is not None
        vol = smile(0.26, spot.mid, float(strike), years)
        expected = black_scholes(spot.mid, float(strike), years, market.rate, 0.004, vol, True)
        assert math.isclose(call.theo, expected.price, rel_tol=1e-9, abs_tol=1e-9)
        assert call.bid <= call.theo + 0.01 <= call.ask + 0.02
        # parity on the simulated theos
        parity = spot.mid * math.exp(-0.004 * years) - float(strike) * math.exp(
            -market.rate * years
        )
        assert math.isclose(call.theo - put.theo, parity, abs_tol=1e-6)
        assert call.greeks is not None
        assert 0 <= call.greeks.delta <= 1


def test_futures_track_their_index_with_carry(market: Market) -> None:
    spx = market.book("SPX").mark
    es = market.book("/ESZ6").mark
    nq = market.book("/NQZ6").mark
    ndx = market.book("NDX").mark
    assert abs(es / spx - 1) < Decimal("0.01")
    assert es > spx  # contango
    assert abs(nq / ndx - 1) < Decimal("0.01")
    assert abs(market.book("SPY").mark * 10 / spx - 1) < Decimal("0.001")


def test_equities_freeze_when_closed_crypto_does_not() -> None:
    market = Market(seed=1, clock=SimClock(OPEN_TIME.replace(hour=3), speed=0))  # 21:00 CT
    spy, btc = market.book("SPY"), market.book("BTC/USD")
    market.clock.advance(3600)
    assert market.book("SPY").mark == spy.mark
    assert market.book("BTC/USD") != btc
    assert market.session_state("Equity") == "Closed"
    assert market.session_state("Cryptocurrency") == "Open"


def test_pause_freezes_a_symbol(market: Market) -> None:
    before = market.book("TSLA")
    market.pause("TSLA")
    assert market.is_paused("TSLA")
    assert market.tick("TSLA") is None
    market.clock.advance(120)
    assert market.book("TSLA") == before
    market.pause("TSLA", False)
    assert not market.is_paused("TSLA")
    assert market.book("TSLA") != before


def test_day_statistics_are_consistent(market: Market) -> None:
    tick = market.tick("AAPL")
    assert tick is not None
    stats = tick.stats
    assert stats.low <= stats.open <= stats.high
    assert stats.low <= tick.mid <= stats.high
    assert stats.volume > 0
    assert stats.year_low <= stats.low
    assert stats.prev_close > 0
    price, size, when, direction = tick.trade
    assert tick.bid - 0.5 <= price <= tick.ask + 0.5
    assert size > 0
    assert when <= tick.ts_ms
    assert direction in ("UP", "DOWN", "ZERO")


async def test_run_notifies_listeners_of_book_changes() -> None:
    market = Market(seed=3, clock=SimClock(OPEN_TIME, speed=5))
    seen: list[str] = []
    witness: list[str] = []  # stays subscribed: counts the notifications the market sends
    unsubscribe = market.add_listener(seen.append)
    market.add_listener(witness.append)
    market.book("NVDA")  # querying a book watches it
    task = asyncio.create_task(market.run())
    try:

        async def notified() -> bool:
            return "NVDA" in seen

        await eventually(notified, timeout=10)
        unsubscribe()
        count, sent = len(seen), len(witness)

        async def stepped_on() -> bool:  # three more book changes notified after unsubscribing
            return len(witness) >= sent + 3

        await eventually(stepped_on, timeout=10)
        assert witness[sent:] == ["NVDA"] * (len(witness) - sent)
        assert len(seen) == count
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_clock_days_roll_the_day_statistics(market: Market) -> None:
    first = market.tick("MSFT")
    assert first is not None
    day = first.stats.session_date
    market.clock.set(market.clock.now() + timedelta(days=1))
    second = market.tick("MSFT")
    assert second is not None
    assert second.stats.session_date > day
