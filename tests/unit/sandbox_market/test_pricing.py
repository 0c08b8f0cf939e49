"""Option pricing (Black–Scholes, Black-76), parity, greeks and the random paths."""

from __future__ import annotations

import itertools
import math
import statistics

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.pricing import Path, black76, black_scholes, implied_vol, key_of, smile


def test_black_scholes_reference_value() -> None:
    call = black_scholes(100, 100, 1.0, 0.05, 0.0, 0.2, True)
    assert math.isclose(call.price, 10.4506, abs_tol=1e-4)
    put = black_scholes(100, 100, 1.0, 0.05, 0.0, 0.2, False)
    assert math.isclose(put.price, 5.5735, abs_tol=1e-4)
    assert math.isclose(call.delta, 0.6368, abs_tol=1e-4)
    assert math.isclose(call.gamma, put.gamma)
    assert call.theta < 0
    assert call.vega > 0


@settings(max_examples=200, deadline=None)
@given(
    spot=st.floats(5, 5000),
    moneyness=st.floats(0.5, 1.5),
    years=st.floats(1 / 365, 3),
    rate=st.floats(0, 0.08),
    div=st.floats(0, 0.05),
    vol=st.floats(0.05, 1.5),
)
def test_put_call_parity(
    spot: float, moneyness: float, years: float, rate: float, div: float, vol: float
) -> None:
    strike = spot * moneyness
    call = black_scholes(spot, strike, years, rate, div, vol, True)
    put = black_scholes(spot, strike, years, rate, div, vol, False)
    forward_value = spot * math.exp(-div * years) - strike * math.exp(-rate * years)
    assert math.isclose(call.price - put.price, forward_value, rel_tol=1e-7, abs_tol=1e-7 * spot)
    assert 0 <= call.delta <= 1
    assert -1 <= put.delta <= 0
    assert math.isclose(call.delta - put.delta, math.exp(-div * years), rel_tol=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    forward=st.floats(10, 10000),
    moneyness=st.floats(0.6, 1.4),
    years=st.floats(0.01, 2),
    vol=st.floats(0.05, 1),
)
def test_black76_parity(forward: float, moneyness: float, years: float, vol: float) -> None:
    strike = forward * moneyness
    call = black76(forward, strike, years, 0.04, vol, True)
    put = black76(forward, strike, years, 0.04, vol, False)
    assert math.isclose(
        call.price - put.price,
        (forward - strike) * math.exp(-0.04 * years),
        rel_tol=1e-7,
        abs_tol=1e-7 * forward,
    )


def test_implied_vol_recovers_the_input() -> None:
    for vol in (0.1, 0.25, 0.6):
        price = black_scholes(250, 260, 0.3, 0.04, 0.01, vol, False).price
        assert math.isclose(implied_vol(price, 250, 260, 0.3, 0.04, 0.01, False), vol, rel_tol=1e-6)
    assert math.isnan(implied_vol(1e6, 250, 260, 0.3, 0.04, 0.01, True))


def test_expired_option_is_intrinsic() -> None:
    assert black_scholes(110, 100, 0.0, 0.04, 0.0, 0.3, True).price == 10
    assert black_scholes(110, 100, 0.0, 0.04, 0.0, 0.3, False).price == 0


def test_smile_is_skewed_towards_puts() -> None:
    atm = smile(0.2, 100, 100, 0.25)
    assert smile(0.2, 100, 80, 0.25) > atm
    assert smile(0.2, 100, 80, 0.25) > smile(0.2, 100, 120, 0.25)


def test_path_is_deterministic_random_access_and_calibrated() -> None:
    key = key_of(42, "SPX")
    forward = Path(key, 0.2)
    t0 = 1_790_000_000.0
    seq = [forward.value(t0 + 60 * i) for i in range(3000)]
    backward = Path(key, 0.2)
    rev = [backward.value(t0 + 60 * i) for i in reversed(range(3000))]
    assert seq == list(reversed(rev))  # evaluation order does not matter
    assert Path(key_of(43, "SPX"), 0.2).value(t0) != seq[0]
    returns = [b - a for a, b in itertools.pairwise(seq)]
    realised = statistics.pstdev(returns) * math.sqrt(365 * 24 * 60)
    assert 0.12 < realised < 0.3
    # continuity: a 100 ms step moves the price by a tiny amount
    assert abs(forward.value(t0 + 0.1) - forward.value(t0)) < 0.002
