"""Property: whatever commands arrive and however the book moves, the engine never produces
impossible state — fills add up, positions equal the signed fills, cash equals the signed
net values of the transactions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.orders import OrderError
from tests.unit.sandbox_trading.conftest import equity_order, make_rig

ACCOUNT = "5WT00001"
SYMBOLS = ("AAPL", "SPY")

place = st.tuples(
    st.just("place"),
    st.sampled_from(SYMBOLS),
    st.sampled_from(["Buy to Open", "Sell to Open", "Buy to Close", "Sell to Close"]),
    st.integers(min_value=1, max_value=60),
    st.sampled_from(["Market", "Limit"]),
    st.integers(min_value=-300, max_value=300),  # limit offset in cents from the touch
)
move = st.tuples(
    st.just("move"),
    st.sampled_from(SYMBOLS),
    st.integers(min_value=-500, max_value=500),  # cents
    st.integers(min_value=1, max_value=80),  # displayed size
)
cancel = st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=20))
commands = st.lists(st.one_of(place, place, move, cancel), min_size=8, max_size=40)

BASE = {"AAPL": Decimal("200.00"), "SPY": Decimal("600.00")}


def signed(value: str, effect: str) -> Decimal:
    amount = Decimal(value)
    return -amount if effect == "Debit" else amount


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_engine_state_stays_consistent(script: list[tuple[Any, ...]]) -> None:
    rig = make_rig(size="25")
    refusals: set[tuple[int, str]] = set()
    for command in script:
        if command[0] == "place":
            _, symbol, action, qty, kind, offset = command
            book = rig.market.book(symbol)
            body = equity_order(symbol=symbol, action=action, quantity=qty, order_type=kind)
            if kind == "Limit":
                buy = action.startswith("Buy")
                touch = book.ask if buy else book.bid
                body["price"] = str(max(Decimal("0.01"), touch + Decimal(offset) / 100))
                body["price-effect"] = "Debit" if buy else "Credit"
            try:
                rig.engine.place(ACCOUNT, body)
            except OrderError as exc:
                refusals.add((exc.status, exc.code))
        elif command[0] == "move":
            _, symbol, cents, size = command
            mid = BASE[symbol] + Decimal(cents) / 100
            rig.market.set_book(
                symbol, str(mid - Decimal("0.01")), str(mid + Decimal("0.01")), size=str(size)
            )
        else:
            orders = sorted(rig.engine.state.orders)
            if orders:
                order_id = orders[command[1] % len(orders)]
                try:
                    rig.engine.cancel(ACCOUNT, order_id)
                except OrderError as exc:
                    refusals.add((exc.status, exc.code))
        rig.settle(rounds=5)

    assert refusals <= {(422, "preflight_check_failure"), (422, "cannot_update_order")}
    ledger = rig.engine.ledger(ACCOUNT)
    expected: dict[str, Decimal] = {}
    for order in rig.engine.state.orders.values():
        for leg in order.legs:
            filled = sum((f.quantity for f in leg.fills), Decimal(0))
            assert leg.remaining >= 0
            assert filled + leg.remaining == leg.quantity or order.status in (
                "Cancelled",
                "Expired",
                "Rejected",
            )
            expected[leg.symbol] = expected.get(leg.symbol, Decimal(0)) + (
                filled if leg.is_buy else -filled
            )
        if order.status == "Filled":
            assert all(leg.remaining == 0 for leg in order.legs)
        if order.status == "Rejected":
            assert all(not leg.fills for leg in order.legs)
    for symbol in SYMBOLS:
        assert ledger.signed_quantity(symbol) == expected.get(symbol, Decimal(0))
    net = sum(
        (signed(t["net-value"], t["net-value-effect"]) for t in ledger.transactions), Decimal(0)
    )
    assert ledger.cash == Decimal(100000) + net
