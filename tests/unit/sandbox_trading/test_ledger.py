"""Ledger properties: fills conserve value except fees; positions follow the sign rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.balances import figures
from sandbox.fees import leg_fees
from sandbox.ledger import AccountLedger, Position

NOW = datetime(2026, 11, 25, 16, tzinfo=UTC)
KINDS = {
    "AAPL": ("Equity", Decimal(1)),
    "SPY   261218C00600000": ("Equity Option", Decimal(100)),
    "/ESZ6": ("Future", Decimal(50)),
}

fills = st.lists(
    st.tuples(
        st.sampled_from(sorted(KINDS)),
        st.integers(min_value=-50, max_value=50).filter(bool),
        st.decimals(min_value=Decimal("0.05"), max_value=Decimal("500"), places=2),
    ),
    min_size=1,
    max_size=25,
)


def template(symbol: str) -> Position:
    kind, mult = KINDS[symbol]
    return Position("5WT00001", symbol, kind, symbol, symbol, mult)


def value(ledger: AccountLedger, marks: dict[str, Decimal]) -> Decimal:
    return figures(ledger, marks.get).net_liq


@settings(max_examples=150, deadline=None)
@given(fills)
def test_each_fill_conserves_net_liq_minus_fees(sequence: list[tuple[str, int, Decimal]]) -> None:
    ledger = AccountLedger("5WT00001", "Margin", Decimal(100000))
    marks: dict[str, Decimal] = {}
    for symbol, qty, price in sequence:
        marks[symbol] = price  # mark everything at the price it trades
        before = value(ledger, marks)
        kind, mult = KINDS[symbol]
        action = "Buy to Open" if qty > 0 else "Sell to Open"
        fees = leg_fees(kind, action, Decimal(abs(qty)), price, mult)
        ledger.fill(template(symbol), Decimal(qty), price, fees, NOW)
        # exact up to Decimal's 28 significant digits (average prices are divisions)
        assert abs(value(ledger, marks) - (before - fees.total)) < Decimal("1e-12")


@settings(max_examples=150, deadline=None)
@given(fills)
def test_replaying_fills_gives_the_same_ledger(sequence: list[tuple[str, int, Decimal]]) -> None:
    def replay() -> AccountLedger:
        ledger = AccountLedger("5WT00001", "Margin", Decimal(100000))
        for symbol, qty, price in sequence:
            ledger.fill(
                template(symbol),
                Decimal(qty),
                price,
                leg_fees("Equity", "Buy", Decimal(abs(qty)), price, Decimal(1)),
                NOW,
            )
        return ledger

    first, second = replay(), replay()
    assert first.cash == second.cash
    assert {
        s: (p.quantity, p.average_open_price, p.realized_day_gain)
        for s, p in first.positions.items()
    } == {
        s: (p.quantity, p.average_open_price, p.realized_day_gain)
        for s, p in second.positions.items()
    }


@settings(max_examples=150, deadline=None)
@given(fills)
def test_position_quantity_is_the_sum_of_signed_fills(
    sequence: list[tuple[str, int, Decimal]],
) -> None:
    ledger = AccountLedger("5WT00001", "Margin", Decimal(100000))
    for symbol, qty, price in sequence:
        ledger.fill(
            template(symbol),
            Decimal(qty),
            price,
            leg_fees("Equity", "Buy", Decimal(1), price, Decimal(1)),
            NOW,
        )
    for symbol in KINDS:
        expected = sum(q for s, q, _ in sequence if s == symbol)
        assert ledger.signed_quantity(symbol) == expected
        pos = ledger.position(symbol)
        if pos is not None:
            assert pos.direction == (
                "Long" if expected > 0 else "Short" if expected < 0 else "Zero"
            )
            assert (pos.average_open_price == 0) == (expected == 0)


def test_flip_from_long_to_short_opens_at_the_fill_price() -> None:
    ledger = AccountLedger("5WT00001", "Margin", Decimal(0))
    ledger.fill(
        template("AAPL"),
        Decimal(10),
        Decimal(100),
        leg_fees("Equity", "Buy", Decimal(10), Decimal(100), Decimal(1)),
        NOW,
    )
    pos, realized = ledger.fill(
        template("AAPL"),
        Decimal(-15),
        Decimal(110),
        leg_fees("Equity", "Sell", Decimal(15), Decimal(110), Decimal(1)),
        NOW,
    )
    assert realized == Decimal(100)
    assert (pos.quantity, pos.average_open_price, pos.direction) == (
        Decimal(-5),
        Decimal(110),
        "Short",
    )


def test_realized_day_gain_restarts_each_day() -> None:
    ledger = AccountLedger("5WT00001", "Margin", Decimal(0))
    no_fees = leg_fees("Equity", "Buy", Decimal(0), Decimal(0), Decimal(1))
    ledger.fill(template("AAPL"), Decimal(10), Decimal(100), no_fees, NOW)
    ledger.fill(template("AAPL"), Decimal(-5), Decimal(110), no_fees, NOW)
    later = NOW.replace(day=26)
    pos, realized = ledger.fill(template("AAPL"), Decimal(-5), Decimal(120), no_fees, later)
    assert realized == Decimal(100)
    assert pos.realized_day_gain == Decimal(100)
