"""The engine's index of working orders stays true across resets (``OrderEngine.reset``).

Regression: the index used to be rebuilt only when the *number* of orders changed, so after a
reset the first new order (same count, same id as before) was never advanced."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sandbox.engine import OrderEngine
from sandbox.state import TradingState
from tests.unit.sandbox_trading.conftest import Rig, equity_order, make_rig

ACCOUNT = "5WT00001"


def test_first_order_after_a_reset_walks_the_lifecycle(rig: Rig) -> None:
    first = rig.engine.place(ACCOUNT, equity_order())["order"]["id"]
    rig.settle()
    assert rig.engine.state.orders[first].status == "Filled"
    rig.engine.reset()
    assert rig.engine.state.orders == {}
    second = rig.engine.place(ACCOUNT, equity_order())["order"]["id"]
    assert second == first
    rig.settle()
    order = rig.engine.state.orders[second]
    assert order.status == "Filled"
    assert rig.engine.ledger(ACCOUNT).positions["AAPL"].quantity == 10


def test_reset_forgets_working_orders_and_every_ledger(rig: Rig) -> None:
    rig.engine.place(ACCOUNT, equity_order(quantity=5))
    rig.settle()
    resting = rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="150", **{"price-effect": "Debit"})
    )["order"]["id"]
    rig.settle()
    assert rig.engine.state.orders[resting].status == "Live"
    rig.engine.reset()
    ledger = rig.engine.ledger(ACCOUNT)
    assert ledger.positions == {}
    assert ledger.transactions == []
    assert ledger.cash == rig.engine.config.initial_cash
    assert rig.engine.state.counters == {}
    frames_before = len(rig.recorder.frames)
    rig.settle()
    assert len(rig.recorder.frames) == frames_before  # nothing left to advance
    # the new order with the old working order's id is a different order and fills
    rig.engine.place(ACCOUNT, equity_order(quantity=1))
    again = rig.engine.place(ACCOUNT, equity_order(quantity=2))["order"]["id"]
    assert again == resting
    rig.settle()
    assert [o.status for o in rig.engine.state.orders.values()] == ["Filled", "Filled"]
    assert rig.engine.ledger(ACCOUNT).positions["AAPL"].quantity == 3


def test_an_engine_over_a_loaded_state_works_its_orders(rig: Rig) -> None:
    rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="199.50", **{"price-effect": "Debit"})
    )
    rig.settle()
    restored = TradingState.from_json(rig.engine.state.to_json())
    fresh = make_rig()
    engine = OrderEngine(fresh.engine.config, fresh.market, restored, fresh.recorder, fresh.faults)
    engine.ensure_ledgers()
    (order,) = restored.orders.values()
    assert order.status == "Live"
    fresh.market.set_book("AAPL", "199.40", "199.45")
    for _ in range(5):
        engine.step()
    assert order.status == "Filled"
    assert order.legs[0].fills[0].price == Decimal("199.45")


ops = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(min_value=1, max_value=50)),
        st.tuples(st.just("step"), st.integers(min_value=0, max_value=3)),
        st.tuples(st.just("reset"), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=100, deadline=None)
@given(script=ops)
@example(script=[("buy", 10), ("step", 3), ("reset", 0), ("buy", 10)])
@example(script=[("buy", 1), ("buy", 2), ("step", 3), ("reset", 0), ("buy", 3), ("buy", 4)])
@example(script=[("buy", 5), ("step", 1), ("reset", 0), ("buy", 6), ("step", 3), ("reset", 0)])
def test_any_interleaving_of_orders_steps_and_resets_fills_every_order(
    script: list[tuple[str, int]],
) -> None:
    rig = make_rig(size="100000")
    bought = 0  # shares bought since the last reset
    for op, value in script:
        if op == "buy":
            rig.engine.place(ACCOUNT, equity_order(quantity=value))
            bought += value
        elif op == "step":
            rig.settle(rounds=value)
        else:
            rig.engine.reset()
            bought = 0
    rig.settle(rounds=5)
    assert {o.status for o in rig.engine.state.orders.values()} <= {"Filled"}
    positions = rig.engine.ledger(ACCOUNT).positions
    assert (positions["AAPL"].quantity if "AAPL" in positions else 0) == bought
