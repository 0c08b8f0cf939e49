"""OTO / OCO / OTOCO semantics and the paper-API fill behaviours, against the fake market."""

from __future__ import annotations

import time
from typing import Any

import pytest

from sandbox import complex_orders
from sandbox.orders import OrderError
from tests.unit.sandbox_trading.conftest import Rig, equity_order

ACCOUNT = "5WT00001"


def limit(price: str, effect: str, action: str, quantity: int = 10) -> dict[str, Any]:
    return equity_order(
        action=action,
        quantity=quantity,
        order_type="Limit",
        price=price,
        **{"price-effect": effect},
    )


def place(rig: Rig, body: dict[str, Any]) -> dict[str, Any]:
    data = complex_orders.place_complex(rig.engine, ACCOUNT, body, dry_run=False)
    placed: dict[str, Any] = data["complex-order"]
    return placed


def test_oto_children_wait_contingent_and_route_when_the_trigger_fills(rig: Rig) -> None:
    co = place(
        rig,
        {
            "type": "OTO",
            "trigger-order": limit("150", "Debit", "Buy to Open"),
            "orders": [limit("300", "Credit", "Sell to Close", 5)],
        },
    )
    child_id = co["orders"][0]["id"]
    assert co["orders"][0]["complex-order-tag"] == "OTO::order"
    rig.settle()
    assert rig.engine.state.orders[child_id].status == "Contingent"
    rig.market.set_book("AAPL", "149.00", "149.50")
    rig.settle()
    assert rig.engine.state.orders[co["trigger-order"]["id"]].status == "Filled"
    assert rig.engine.state.orders[child_id].status == "Live"
    assert rig.recorder.order_statuses(child_id)[-3:] == ["Routed", "In Flight", "Live"]


def test_trigger_rejection_cancels_the_contingent_orders(rig: Rig) -> None:
    body = {
        "type": "OTOCO",
        "trigger-order": equity_order(behavior="reject"),
        "orders": [
            limit("300", "Credit", "Sell to Close"),
            equity_order(action="Sell to Close", order_type="Stop", **{"stop-trigger": "100"}),
        ],
    }
    co = place(rig, body)
    rig.settle()
    assert [rig.engine.state.orders[o["id"]].status for o in co["orders"]] == [
        "Cancelled",
        "Cancelled",
    ]
    parent = rig.engine.state.complex_orders[co["id"]]
    assert parent.terminal_at is not None


def test_otoco_take_profit_fill_cancels_the_stop(rig: Rig) -> None:
    body = {
        "type": "OTOCO",
        "trigger-order": equity_order(),
        "orders": [
            limit("205", "Credit", "Sell to Close"),
            equity_order(action="Sell to Close", order_type="Stop", **{"stop-trigger": "100"}),
        ],
    }
    co = place(rig, body)
    rig.settle()
    take_profit, stop = (rig.engine.state.orders[o["id"]] for o in co["orders"])
    assert (take_profit.status, stop.status) == ("Live", "Live")
    rig.market.set_book("AAPL", "206.00", "206.05")
    rig.settle()
    assert (take_profit.status, stop.status) == ("Filled", "Cancelled")
    assert rig.engine.ledger(ACCOUNT).positions["AAPL"].quantity == 0


def test_structure_and_effect_rules_are_preflight_failures(rig: Rig) -> None:
    with pytest.raises(OrderError) as info:
        place(rig, {"type": "OCO", "orders": [equity_order()]})
    assert info.value.errors[0]["code"] == "invalid_complex_order"
    rig.engine.place(ACCOUNT, equity_order())
    rig.settle()
    mixed = {
        "type": "OCO",
        "orders": [limit("300", "Credit", "Sell to Close"), limit("100", "Debit", "Buy to Open")],
    }
    with pytest.raises(OrderError) as info:
        place(rig, mixed)
    assert "invalid_complex_order" in [e["code"] for e in info.value.errors]


def test_complex_dry_run_shows_contingent_children_without_ids(rig: Rig) -> None:
    body = {
        "type": "OTOCO",
        "trigger-order": equity_order(),
        "orders": [
            limit("300", "Credit", "Sell to Close"),
            equity_order(action="Sell to Close", order_type="Stop", **{"stop-trigger": "100"}),
        ],
    }
    data = complex_orders.place_complex(rig.engine, ACCOUNT, body, dry_run=True)
    assert "id" not in data["complex-order"]
    assert [o["status"] for o in data["complex-order"]["orders"]] == ["Contingent", "Contingent"]
    assert data["warnings"] == []  # children are checked against the position the trigger opens
    assert not rig.engine.state.orders


def test_cancel_complex_rejects_when_everything_is_terminal(rig: Rig) -> None:
    co = place(
        rig,
        {
            "type": "OCO",
            "orders": [
                limit("300", "Credit", "Sell to Close"),
                limit("310", "Credit", "Sell to Close"),
            ],
        },
    )
    complex_orders.cancel_complex(rig.engine, ACCOUNT, co["id"])
    rig.settle()
    with pytest.raises(OrderError) as info:
        complex_orders.cancel_complex(rig.engine, ACCOUNT, co["id"])
    assert info.value.code == "cannot_update_order"


def test_partial_behaviour_fills_half_then_the_rest_a_second_later(rig: Rig) -> None:
    data = rig.engine.place(ACCOUNT, equity_order(quantity=10, behavior="partial"))
    order = rig.engine.state.orders[data["order"]["id"]]
    rig.settle()
    assert order.status == "Live"
    assert order.legs[0].remaining == 5
    order.fill_not_before = time.monotonic()  # the second half is due now
    rig.market.set_book("AAPL", "199.99", "200.02")
    rig.settle()
    assert order.status == "Filled"
    assert [f.quantity for f in order.legs[0].fills] == [5, 5]


def test_delayed_behaviour_waits_before_filling(rig: Rig) -> None:
    data = rig.engine.place(ACCOUNT, equity_order(behavior="delayed", delay=60))
    order = rig.engine.state.orders[data["order"]["id"]]
    rig.settle()
    assert order.status == "Live"
    order.fill_not_before = time.monotonic()
    rig.settle()
    assert order.status == "Filled"
