from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.tastytrade.symbols import (
    CandleSymbol,
    FutureOptionSymbol,
    OptionSymbol,
    SymbolError,
    candle_symbol,
    crypto_to_streamer,
    future_option_to_streamer,
    future_to_streamer,
    occ_to_streamer,
    streamer_to_crypto,
    streamer_to_future,
    streamer_to_occ,
)

roots = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5).filter(
    lambda r: r[-1] not in "0123456789"
)
expirations = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
strikes = st.integers(min_value=1, max_value=99_999_999).map(lambda m: Decimal(m) / 1000)
months = st.sampled_from("FGHJKMNQUVXZ")


@pytest.mark.parametrize(
    ("occ", "streamer"),
    [
        ("SPY   250117C00500000", ".SPY250117C500"),
        ("SPY   240324P00480500", ".SPY240324P480.5"),
        ("SPXW  231113C03550000", ".SPXW231113C3550"),
        ("AAPL  260116P00002500", ".AAPL260116P2.5"),
    ],
)
def test_equity_option_examples(occ: str, streamer: str) -> None:
    assert occ_to_streamer(occ) == streamer
    assert streamer_to_occ(streamer) == occ


@given(roots, expirations, st.sampled_from("CP"), strikes)
def test_equity_option_round_trips(root: str, expiry: date, cp: str, strike: Decimal) -> None:
    option = OptionSymbol(root, expiry, cp, strike)
    assert len(option.occ) == 21
    assert OptionSymbol.parse_occ(option.occ) == option
    assert OptionSymbol.parse_streamer(option.streamer) == option
    assert streamer_to_occ(occ_to_streamer(option.occ)) == option.occ


@pytest.mark.parametrize(
    ("symbol", "exchange", "streamer"),
    [
        ("/ESZ4", "XCME", "/ESZ24:XCME"),
        ("/6AM3", "XCME", "/6AM23:XCME"),
        ("/M2KZ5", "XCME", "/M2KZ25:XCME"),
    ],
)
def test_future_examples(symbol: str, exchange: str, streamer: str) -> None:
    assert future_to_streamer(symbol, exchange, near_year=2024) == streamer
    assert streamer_to_future(streamer) == (symbol, exchange)


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=3).filter(
        lambda p: p[0].isalpha() or p[0].isdigit()
    ),
    months,
    st.integers(min_value=2023, max_value=2032),
    st.sampled_from(["XCME", "XCBT", "XNYM", "XCEC"]),
)
def test_future_round_trips(product: str, month: str, year: int, exchange: str) -> None:
    symbol = f"/{product}{month}{year % 10}"
    streamer = future_to_streamer(symbol, exchange, near_year=2025)
    assert streamer == f"/{product}{month}{year % 100:02d}:{exchange}"
    assert streamer_to_future(streamer) == (symbol, exchange)


def test_future_option_examples() -> None:
    assert future_option_to_streamer("./ESZ5 ESZ5  251219C800", "XCME") == "./ESZ25C800:XCME"
    assert future_option_to_streamer("./CLZ2 LO1X2 221104C91", "XNYM") == "./LO1X22C91:XNYM"
    # a January contract expiring in December takes the contract's year, not the expiry's
    assert future_option_to_streamer("./CLG3 LOF3  221215P70.5", "XNYM") == "./LOF23P70.5:XNYM"
    parsed = FutureOptionSymbol.parse_streamer(
        "./ESZ25C800:XCME", future="/ESZ5", expiration=date(2025, 12, 19)
    )
    assert parsed.order_symbol == "./ESZ5 ESZ5  251219C800"


@given(
    st.sampled_from(["ES", "E1A", "LO1", "OZN", "EW3"]),
    months,
    expirations.filter(lambda d: 2001 <= d.year <= 2098),
    st.sampled_from("CP"),
    st.integers(min_value=1, max_value=999_999).map(lambda n: Decimal(n) / 4),
    st.integers(min_value=-1, max_value=1),
)
def test_future_option_round_trips(
    code: str, month: str, expiry: date, cp: str, strike: Decimal, year_shift: int
) -> None:
    contract_year = expiry.year + year_shift
    option = FutureOptionSymbol(
        future=f"/{code[:2]}{month}{contract_year % 10}",
        option_code=f"{code}{month}{contract_year % 10}",
        expiration=expiry,
        option_type=cp,
        strike=strike,
        exchange="XCME",
    )
    assert FutureOptionSymbol.parse_order_symbol(option.order_symbol, "XCME") == option
    assert f"{code}{month}{contract_year % 100:02d}{cp}" in option.streamer
    back = FutureOptionSymbol.parse_streamer(
        option.streamer, future=option.future, expiration=expiry
    )
    assert back == option


def test_crypto() -> None:
    assert crypto_to_streamer("BTC/USD") == "BTC/USD:CXTALP"
    assert streamer_to_crypto("BCH/USD:CXTALP") == "BCH/USD"
    with pytest.raises(SymbolError):
        crypto_to_streamer("BTCUSD")


@given(st.sampled_from(["BTC", "ETH", "DOGE", "SOL"]), st.sampled_from(["USD", "USDC"]))
def test_crypto_round_trips(base: str, quote: str) -> None:
    assert streamer_to_crypto(crypto_to_streamer(f"{base}/{quote}")) == f"{base}/{quote}"


def test_candle_examples() -> None:
    assert candle_symbol("SPY", "5m") == "SPY{=5m}"
    assert candle_symbol("AAPL", "1d", extended_hours=False) == "AAPL{=1d,tho=true}"
    assert candle_symbol("/ESZ24:XCME", "15m") == "/ESZ24:XCME{=15m}"
    parsed = CandleSymbol.parse("AAPL{=1d,tho=true}")
    assert (parsed.symbol, parsed.period, parsed.unit, parsed.tho) == (
        "AAPL",
        Decimal(1),
        "d",
        True,
    )
    assert CandleSymbol.parse("SPY{=d}") == CandleSymbol("SPY", Decimal(1), "d")
    assert str(CandleSymbol.parse("SPY{=2h,a=s,tho=true}")) == "SPY{=2h,tho=true,a=s}"
    for bad in ("SPY", "SPY{=5q}", "SPY{5m}", "SPY{=5m,tho}"):
        with pytest.raises(SymbolError):
            CandleSymbol.parse(bad)


@given(
    st.sampled_from(["SPY", "/ESZ24:XCME", "BTC/USD:CXTALP", ".SPY250117C500"]),
    st.integers(min_value=1, max_value=500),
    st.sampled_from(["t", "s", "m", "h", "d", "w", "mo", "y"]),
    st.booleans(),
)
def test_candle_round_trips(symbol: str, period: int, unit: str, tho: bool) -> None:
    candle = CandleSymbol(symbol, Decimal(period), unit, tho)
    assert CandleSymbol.parse(str(candle)) == candle


@pytest.mark.parametrize("bad", ["SPY", "SPY   2501170C0050000", "SPY   251317C00500000"])
def test_bad_option_symbols_raise(bad: str) -> None:
    with pytest.raises(SymbolError):
        OptionSymbol.parse_occ(bad)
