"""Fees stay computable for every order the boundary lets through (issue 9 §4: a quantity of
``1e30`` used to reach ``fees._q`` and raise ``decimal.InvalidOperation``)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox import bounds
from sandbox.fees import fee_calculation_wire, leg_fees
from sandbox.instruments.specs import FUTURES
from sandbox.orders import ACTIONS

TYPES = ("Equity", "Equity Option", "Future", "Future Option", "Cryptocurrency")
LARGEST_MULTIPLIER = max(spec.multiplier for spec in FUTURES)

bounded = st.decimals(
    min_value=0, max_value=bounds.MAX_MAGNITUDE, places=bounds.MAX_PLACES, allow_nan=False
)
edges = st.sampled_from(
    [bounds.MAX_MAGNITUDE, Decimal("999999999.9999999999"), Decimal("1E-10"), Decimal(0)]
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(TYPES),
    st.sampled_from(ACTIONS),
    st.one_of(edges, bounded),
    st.one_of(edges, bounded),
    st.sampled_from([Decimal(1), Decimal(100), LARGEST_MULTIPLIER]),
)
def test_fees_of_any_bounded_fill_are_computable_and_not_negative(
    instrument_type: str, action: str, quantity: Decimal, price: Decimal, multiplier: Decimal
) -> None:
    fees = leg_fees(instrument_type, action, quantity, price, multiplier)
    wire = fee_calculation_wire(fees, quantity or None)
    assert fees.total >= 0
    assert Decimal(wire["total-fees"]) == fees.total
    assert wire["total-fees-effect"] == ("Debit" if fees.total > 0 else "None")


def test_the_largest_fill_the_boundary_allows_is_priced_exactly() -> None:
    top = bounds.MAX_MAGNITUDE
    fees = leg_fees("Equity", "Sell to Close", top, top, LARGEST_MULTIPLIER)
    # SEC fee on 1e9 × 1e9 × 1000 of notional, to the cent-hundredth, no rounding of the product
    sec = {line.name: line.value for line in fees.regulatory}["sec"]
    assert sec == Decimal("27800000000000000.0000")
