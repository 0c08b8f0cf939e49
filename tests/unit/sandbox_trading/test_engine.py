"""Order lifecycle against a fake market: statuses, fills, positions, cancel, replace, expiry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.orders import OrderError
from tests.unit.sandbox_trading.conftest import Rig, equity_order, make_rig
from tests.unit.sandbox_trading.fakes import SPY_CALL

ACCOUNT = "5WT00001"


def test_market_order_walks_the_lifecycle_and_fills_at_the_ask(rig: Rig) -> None:
    data = rig.engine.place(ACCOUNT, equity_order())
    order_id = data["order"]["id"]
    assert data["order"]["status"] == "Routed"
    rig.settle()
    assert rig.recorder.order_statuses(order_id) == ["Routed", "In Flight", "Live", "Filled"]
    order = rig.engine.state.orders[order_id]
    fill = order.legs[0].fills[0]
    assert (fill.price, fill.quantity) == (Decimal("200.01"), Decimal(10))
    kinds = rig.recorder.kinds()
    filled_at = kinds.index("Order", 3)
    assert kinds[filled_at + 1 : filled_at + 3] == ["CurrentPosition", "AccountBalance"]
    position = rig.engine.ledger(ACCOUNT).positions["AAPL"]
    assert position.quantity == 10
    assert position.average_open_price == Decimal("200.01")


def test_fill_books_cash_fees_and_a_trade_transaction(rig: Rig) -> None:
    rig.engine.place(ACCOUNT, equity_order(quantity=100))
    rig.settle()
    ledger = rig.engine.ledger(ACCOUNT)
    (tx,) = ledger.transactions
    assert tx["transaction-type"] == "Trade"
    assert tx["value"] == "20001.0"
    assert tx["value-effect"] == "Debit"
    assert tx["clearing-fees"] == "0.08"
    assert ledger.cash == Decimal(100000) - Decimal("20001") - Decimal("0.08")


def test_limit_below_the_ask_rests_until_the_book_crosses(rig: Rig) -> None:
    data = rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="199.50", **{"price-effect": "Debit"})
    )
    order = rig.engine.state.orders[data["order"]["id"]]
    rig.settle()
    assert order.status == "Live"
    rig.market.set_book("AAPL", "199.40", "199.45")
    rig.settle()
    assert order.status == "Filled"
    assert order.legs[0].fills[0].price == Decimal("199.45")


def test_large_orders_fill_partially_against_displayed_size() -> None:
    rig = make_rig(size="30")
    data = rig.engine.place(ACCOUNT, equity_order(quantity=70))
    order = rig.engine.state.orders[data["order"]["id"]]
    rig.settle(rounds=4)
    assert order.status == "Live"
    assert order.legs[0].remaining == 40
    rig.market.set_book("AAPL", "199.99", "200.02", size="30")
    rig.settle(rounds=1)
    rig.market.set_book("AAPL", "199.99", "200.03", size="30")
    rig.settle(rounds=1)
    assert order.status == "Filled"
    assert [f.quantity for f in order.legs[0].fills] == [30, 30, 10]


def test_stop_triggers_on_last_then_fills_at_the_bid(rig: Rig) -> None:
    rig.engine.place(ACCOUNT, equity_order(quantity=10))
    rig.settle()
    data = rig.engine.place(
        ACCOUNT,
        equity_order(action="Sell to Close", order_type="Stop", **{"stop-trigger": "190"}),
    )
    stop = rig.engine.state.orders[data["order"]["id"]]
    rig.settle()
    assert stop.status == "Live"
    rig.market.set_book("AAPL", "189.50", "189.60", last="189.55")
    rig.settle()
    assert stop.status == "Filled"
    assert stop.legs[0].fills[0].price == Decimal("189.50")
    assert rig.engine.ledger(ACCOUNT).positions["AAPL"].quantity == 0


def test_cancel_goes_through_cancel_requested_and_terminal_cancel_is_422(rig: Rig) -> None:
    data = rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="150", **{"price-effect": "Debit"})
    )
    order_id = data["order"]["id"]
    rig.settle()
    assert rig.engine.cancel(ACCOUNT, order_id).status == "Cancel Requested"
    rig.settle()
    assert rig.recorder.order_statuses(order_id)[-2:] == ["Cancel Requested", "Cancelled"]
    with pytest.raises(OrderError) as info:
        rig.engine.cancel(ACCOUNT, order_id)
    assert (info.value.status, info.value.code) == (422, "cannot_update_order")


def test_replace_links_both_orders_and_routes_the_new_one(rig: Rig) -> None:
    data = rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="150", **{"price-effect": "Debit"})
    )
    old_id = data["order"]["id"]
    rig.settle()
    new = rig.engine.replace(
        ACCOUNT,
        old_id,
        {"price": "201", "price-effect": "Debit", "order-type": "Limit", "time-in-force": "Day"},
    )
    assert not isinstance(new, dict)
    rig.settle()
    old = rig.engine.state.orders[old_id]
    assert (old.status, old.replacing_order_id, old.edited) == ("Cancelled", new.id, True)
    assert new.replaces_order_id == old_id
    assert new.status == "Filled"
    assert rig.recorder.order_statuses(old_id)[-2:] == ["Replace Requested", "Cancelled"]


def test_replace_may_not_change_legs(rig: Rig) -> None:
    data = rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="150", **{"price-effect": "Debit"})
    )
    rig.settle()
    body = equity_order(symbol="SPY", order_type="Limit", price="1", **{"price-effect": "Debit"})
    with pytest.raises(OrderError) as info:
        rig.engine.replace(ACCOUNT, data["order"]["id"], body)
    assert info.value.errors[0]["code"] == "cannot_change_legs"


def test_market_closed_orders_wait_received_and_day_orders_expire_at_close(rig: Rig) -> None:
    rig.market.session = "Closed"
    data = rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="150", **{"price-effect": "Debit"})
    )
    assert data["order"]["status"] == "Received"
    assert [w["code"] for w in data["warnings"]] == ["tif.next_valid_session"]
    order = rig.engine.state.orders[data["order"]["id"]]
    rig.settle()
    assert order.status == "Received"
    rig.market.session = "Open"
    rig.settle()
    assert order.status == "Live"
    rig.market.session = "Closed"
    rig.settle()
    assert order.status == "Expired"


def test_behavior_reject_and_admin_rejections_reject_at_routing(rig: Rig) -> None:
    data = rig.engine.place(ACCOUNT, equity_order(behavior="reject"))
    rig.settle()
    assert rig.engine.state.orders[data["order"]["id"]].status == "Rejected"
    rig.faults.reject_orders(symbol="AAPL", reason="halted")
    data = rig.engine.place(ACCOUNT, equity_order())
    rig.settle()
    order = rig.engine.state.orders[data["order"]["id"]]
    assert (order.status, order.reject_reason) == ("Rejected", "halted")


def test_never_behavior_works_but_never_fills(rig: Rig) -> None:
    data = rig.engine.place(ACCOUNT, equity_order(behavior="never"))
    rig.settle()
    assert rig.engine.state.orders[data["order"]["id"]].status == "Live"


def test_paused_symbol_does_not_fill_until_resumed(rig: Rig) -> None:
    rig.market.pause("AAPL")
    data = rig.engine.place(ACCOUNT, equity_order())
    order = rig.engine.state.orders[data["order"]["id"]]
    rig.settle()
    assert order.status == "Live"
    rig.market.pause("AAPL", False)
    rig.settle()
    assert order.status == "Filled"


def test_ioc_cancels_what_does_not_fill_immediately(rig: Rig) -> None:
    body = equity_order(order_type="Limit", price="150", **{"price-effect": "Debit"})
    body["time-in-force"] = "IOC"
    data = rig.engine.place(ACCOUNT, body)
    rig.settle()
    assert rig.engine.state.orders[data["order"]["id"]].status == "Cancelled"


def test_selling_through_a_long_position_realizes_gain_and_flips_short(rig: Rig) -> None:
    rig.engine.place(ACCOUNT, equity_order(quantity=10))
    rig.settle()
    rig.market.set_book("AAPL", "210.00", "210.02")
    rig.engine.place(ACCOUNT, equity_order(action="Sell to Close", quantity=10))
    rig.settle()
    pos = rig.engine.ledger(ACCOUNT).positions["AAPL"]
    assert pos.quantity == 0
    assert pos.realized_day_gain == (Decimal("210.00") - Decimal("200.01")) * 10


def test_option_spread_limit_fills_both_legs_at_the_touch(rig: Rig) -> None:
    from tests.unit.sandbox_trading.fakes import SPY_CALL_2

    body = {
        "time-in-force": "Day",
        "order-type": "Limit",
        "price": "4.50",
        "price-effect": "Debit",
        "legs": [
            {
                "instrument-type": "Equity Option",
                "symbol": SPY_CALL,
                "action": "Buy to Open",
                "quantity": 1,
            },
            {
                "instrument-type": "Equity Option",
                "symbol": SPY_CALL_2,
                "action": "Sell to Open",
                "quantity": 1,
            },
        ],
    }
    data = rig.engine.place(ACCOUNT, body)
    fees = data["fee-calculation"]
    assert (fees["commission"], fees["clearing-fees"], fees["regulatory-fees"]) == (
        "2.0",
        "0.2",
        "0.102",
    )
    rig.settle()
    order = rig.engine.state.orders[data["order"]["id"]]
    assert order.status == "Filled"
    prices = {leg.symbol: leg.fills[0].price for leg in order.legs}
    assert prices == {SPY_CALL: Decimal("10.30"), SPY_CALL_2: Decimal("6.00")}
    ledger = rig.engine.ledger(ACCOUNT)
    assert ledger.positions[SPY_CALL_2].quantity == -1


def test_replacing_while_closed_waits_received_until_the_open(rig: Rig) -> None:
    rig.market.session = "Closed"
    data = rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="150", **{"price-effect": "Debit"})
    )
    new = rig.engine.replace(
        ACCOUNT, data["order"]["id"], {"price": "151", "price-effect": "Debit"}
    )
    assert not isinstance(new, dict)
    rig.settle()
    assert (rig.engine.state.orders[data["order"]["id"]].status, new.status) == (
        "Cancelled",
        "Received",
    )
    rig.market.session = "Open"
    rig.settle()
    assert new.status == "Live"


def test_off_increment_limit_prices_pass_preflight_but_are_rejected_at_routing(rig: Rig) -> None:
    data = rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="150.005", **{"price-effect": "Debit"})
    )
    assert data["order"]["status"] == "Routed"
    rig.settle()
    order = rig.engine.state.orders[data["order"]["id"]]
    assert order.status == "Rejected"
    assert order.reject_reason is not None
    assert "increment" in order.reject_reason
