"""Candle history is deterministic, continuous and agrees with the live candle."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from sandbox.candles import CandleSymbol, history, live, parse_candle_symbol
from sandbox.market import Market
from sandbox.quotes import Model


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("SPY{=5m}", CandleSymbol("SPY", "m", 5, False)),
        ("AAPL{=1d,tho=true}", CandleSymbol("AAPL", "d", 1, True)),
        ("/ESZ24:XCME{=15m}", CandleSymbol("/ESZ24:XCME", "m", 15, False)),
        ("BTC/USD:CXTALP{=m}", CandleSymbol("BTC/USD:CXTALP", "m", 1, False)),
        ("SPY{=2mo}", CandleSymbol("SPY", "mo", 2, False)),
        ("SPY", None),
        ("SPY{=5x}", None),
        ("{=5m}", None),
    ],
)
def test_parse_candle_symbol(symbol: str, expected: CandleSymbol | None) -> None:
    assert parse_candle_symbol(symbol) == expected


def _model(market: Market, symbol: str) -> Model:
    model = market.model(symbol)
    assert model is not None
    return model


def test_intraday_history_is_continuous_and_aligned(market: Market) -> None:
    spec = parse_candle_symbol("SPY{=5m}")
    assert spec is not None
    model = _model(market, "SPY")
    now = market.clock.now_ms()
    candles = history(market, model, spec, now - 3 * 3_600_000, now)
    assert len(candles) == 37  # 3 h of 5-minute candles + the live one
    tick = float(model.tick_size)
    for prev, nxt in itertools.pairwise(candles):
        assert nxt.time - prev.time == 300_000
        assert abs(nxt.open - prev.close) <= 2 * tick + 1e-9  # no gaps between candles
    for c in candles:
        assert c.time % 300_000 == 0
        assert c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high
        assert c.volume >= 0


def test_history_matches_later_history_and_live(market: Market) -> None:
    spec = parse_candle_symbol("AAPL{=1m}")
    assert spec is not None
    model = _model(market, "AAPL")
    start = market.clock.now_ms() - 3_600_000
    early = history(market, model, spec, start, market.clock.now_ms())
    assert live(market, model, spec, market.clock.now_ms()) == early[-1]
    market.clock.advance(600)
    later = history(market, model, spec, start, market.clock.now_ms())
    # every candle complete at the first query is identical later; the live one grew
    assert later[: len(early) - 1] == early[:-1]
    assert later[len(early) - 1].time == early[-1].time
    assert later[-1] == live(market, model, spec, market.clock.now_ms())


def test_regular_hours_only_and_closed_days(market: Market) -> None:
    model = _model(market, "SPY")
    now = market.clock.now_ms()
    all_hours = parse_candle_symbol("SPY{=1h}")
    regular = parse_candle_symbol("SPY{=1h,tho=true}")
    assert all_hours is not None
    assert regular is not None
    week = now - 7 * 86_400_000
    ext = history(market, model, all_hours, week, now)
    tho = history(market, model, regular, week, now)
    assert len(tho) < len(ext)
    for candle in tho:
        hour_ct = datetime.fromtimestamp(candle.time / 1000, UTC).hour - 6  # CST in November
        assert 8 <= hour_ct <= 14
    days = parse_candle_symbol("SPY{=1d}")
    assert days is not None
    daily = history(market, model, days, now - 30 * 86_400_000, now)
    weekdays = {datetime.fromtimestamp(c.time / 1000, UTC).weekday() for c in daily}
    assert weekdays <= {0, 1, 2, 3, 4}
    assert all(c.time % 86_400_000 == 0 for c in daily)


def test_crypto_trades_around_the_clock(market: Market) -> None:
    spec = parse_candle_symbol("BTC/USD:CXTALP{=1h}")
    assert spec is not None
    model = _model(market, "BTC/USD")
    now = market.clock.now_ms()
    candles = history(market, model, spec, now - 48 * 3_600_000, now)
    assert len(candles) == 49


def test_future_from_time_gives_no_candles(market: Market) -> None:
    spec = parse_candle_symbol("SPY{=1d}")
    assert spec is not None
    now = market.clock.now_ms()
    assert history(market, _model(market, "SPY"), spec, now + 10 * 86_400_000, now) == []
