"""Property tests for the OCC / streamer / future-option symbol grammars."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sandbox.instruments.symbology import (
    fop_symbol,
    occ_symbol,
    option_streamer_symbol,
    parse_fop,
    parse_occ,
    parse_option_streamer,
)

roots = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
strikes = st.integers(min_value=1, max_value=9_999_999).map(lambda n: Decimal(n) / 1000)
sides = st.sampled_from(["C", "P"])


@given(roots, days, sides, strikes)
def test_occ_round_trip(root: str, expiry: date, side: str, strike: Decimal) -> None:
    symbol = occ_symbol(root, expiry, side, strike)
    assert len(symbol) == 21
    key = parse_occ(symbol)
    assert key is not None
    assert (key.root, key.expiry, key.option_type, key.strike) == (root, expiry, side, strike)


@given(roots, days, sides, strikes)
def test_streamer_round_trip(root: str, expiry: date, side: str, strike: Decimal) -> None:
    symbol = option_streamer_symbol(root, expiry, side, strike)
    assert not symbol.endswith(".0")
    key = parse_option_streamer(symbol)
    assert key is not None
    assert (key.root, key.expiry, key.option_type, key.strike) == (root, expiry, side, strike)


@given(
    st.sampled_from(["ES", "CL", "GC"]),
    st.sampled_from(["EW4", "LO1", "OG", "E1A"]),
    days,
    sides,
    strikes,
)
def test_future_option_round_trip(
    product: str, code: str, expiry: date, side: str, strike: Decimal
) -> None:
    future = f"/{product}Z{expiry.year % 10}"
    contract = f"{code}Z{expiry.year % 10}"
    symbol = fop_symbol(future, contract, expiry, side, strike)
    key = parse_fop(symbol)
    assert key is not None
    assert (key.future, key.code, key.expiry, key.option_type, key.strike) == (
        future,
        code,
        expiry,
        side,
        strike,
    )
