"""Preflight rules of §7.2: each rejects with its code. A dry-run refuses an order that cannot be
formed exactly like the placement it previews (same status, same nested errors) and reports the
account's and market's checks inside its 201 preview instead."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.orders import OrderError
from sandbox.preflight import ORDER_FORM_CODES, PREFLIGHT_CODES, refused_by_dry_run
from tests.unit.sandbox_trading.conftest import Rig, equity_order
from tests.unit.sandbox_trading.fakes import EXPIRED_CALL, SPY_CALL

ACCOUNT = "5WT00001"
CASH_ACCOUNT = "5WT00003"


def codes(rig: Rig, body: dict[str, Any], account: str = ACCOUNT) -> list[str]:
    before = dict(rig.engine.state.orders)
    with pytest.raises(OrderError) as info:
        rig.engine.place(account, body)
    assert info.value.status == 422
    assert info.value.code == "preflight_check_failure"
    found = [e["code"] for e in info.value.errors]
    if refused_by_dry_run(found):
        with pytest.raises(OrderError) as dry:
            rig.engine.dry_run(account, body)
        assert (dry.value.status, dry.value.code, dry.value.errors) == (
            info.value.status,
            info.value.code,
            info.value.errors,
        )
    else:
        preview = rig.engine.dry_run(account, body)
        assert preview["errors"] == info.value.errors
    assert rig.engine.state.orders == before
    return found


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            equity_order(order_type="Limit", price="10", **{"price-effect": "Credit"}),
            "cant_buy_for_credit",
        ),
        (
            equity_order(
                action="Sell to Open", order_type="Limit", price="10", **{"price-effect": "Debit"}
            ),
            "cant_sell_for_debit",
        ),
        (equity_order(symbol="NOPE"), "invalid_symbol"),
        (equity_order(order_type="Limit"), "missing_price"),
        (equity_order(price="10", **{"price-effect": "Debit"}), "price_not_allowed"),
        (equity_order(order_type="Stop"), "missing_stop_trigger"),
        (equity_order(quantity=0), "invalid_quantity"),
        (equity_order(quantity="1.5"), "fractional_quantity_not_allowed"),
        (equity_order(order_type="Bogus"), "invalid_order_type"),
        ({**equity_order(), "time-in-force": "GTC"}, "market_order_gtc_not_allowed"),
        (
            {
                **equity_order(order_type="Limit", price="1", **{"price-effect": "Debit"}),
                "time-in-force": "GTD",
            },
            "missing_gtc_date",
        ),
        ({"time-in-force": "Day", "order-type": "Market", "legs": []}, "missing_legs"),
        (equity_order(quantity=10**6), "insufficient_buying_power"),
        (equity_order(rules={"cancel-at": "2026-11-25T20:00:00Z"}), "order_rules_not_supported"),
    ],
)
def test_rejections(rig: Rig, body: dict[str, Any], code: str) -> None:
    assert code in codes(rig, body)


def test_expired_option_is_rejected(rig: Rig) -> None:
    body = {
        "time-in-force": "Day",
        "order-type": "Limit",
        "price": "0.05",
        "price-effect": "Debit",
        "legs": [
            {
                "instrument-type": "Equity Option",
                "symbol": EXPIRED_CALL,
                "action": "Buy to Open",
                "quantity": 1,
            }
        ],
    }
    assert "expired_instrument" in codes(rig, body)


def test_market_order_while_closed_is_rejected_but_limit_gets_a_warning(rig: Rig) -> None:
    rig.market.session = "Closed"
    assert "market_closed" in codes(rig, equity_order())


def test_cannot_open_long_while_short(rig: Rig) -> None:
    rig.engine.place(ACCOUNT, equity_order(action="Sell to Open"))
    rig.settle()
    assert "cannot_open_while_short" in codes(rig, equity_order(action="Buy to Open"))


def test_cash_account_cannot_short(rig: Rig) -> None:
    assert "short_selling_not_allowed" in codes(
        rig, equity_order(action="Sell to Open"), CASH_ACCOUNT
    )


def test_closing_without_position_warns_and_converts_on_routing(rig: Rig) -> None:
    data = rig.engine.place(ACCOUNT, equity_order(action="Sell to Close"))
    assert [w["code"] for w in data["warnings"]] == ["closing_with_no_position"]
    assert rig.engine.state.orders[data["order"]["id"]].legs[0].action == "Sell to Open"


def test_strict_position_effect_rejects_instead(rig: Rig) -> None:
    body = equity_order(action="Sell to Close") | {
        "advanced-instructions": {"strict-position-effect-validation": True}
    }
    assert "closing_with_no_position" in codes(rig, body)


def test_dry_run_refuses_like_placement_without_placing(rig: Rig) -> None:
    with pytest.raises(OrderError) as info:
        rig.engine.dry_run(ACCOUNT, equity_order(symbol="NOPE"))
    assert (info.value.status, info.value.code) == (422, "preflight_check_failure")
    assert [e["code"] for e in info.value.errors] == ["invalid_symbol"]
    assert not rig.engine.state.orders


def test_dry_run_of_an_accepted_order_has_no_id(rig: Rig) -> None:
    data = rig.engine.dry_run(ACCOUNT, equity_order())
    assert "id" not in data["order"]
    assert data["order"]["updated-at"] == 0
    assert "errors" not in data
    assert not rig.engine.state.orders


def test_dry_run_buying_power_effect_matches_the_cost(rig: Rig) -> None:
    data = rig.engine.dry_run(
        ACCOUNT,
        equity_order(order_type="Limit", quantity=100, price="200", **{"price-effect": "Debit"}),
    )
    bpe = data["buying-power-effect"]
    # margin account: Reg T 50% of 20,000 plus the 0.08 clearing fee
    assert (bpe["change-in-buying-power"], bpe["change-in-buying-power-effect"]) == (
        "10000.08",
        "Debit",
    )
    assert bpe["current-buying-power"] == "100000.0"
    assert data["order"]["status"] == "Received"


def test_unknown_keys_are_ignored(rig: Rig) -> None:
    data = rig.engine.place(
        ACCOUNT, equity_order(source="x") | {"automated-source": True, "whatever": 1}
    )
    assert data["order"]["status"] == "Routed"


def test_option_quantities_must_be_whole(rig: Rig) -> None:
    body = {
        "time-in-force": "Day",
        "order-type": "Limit",
        "price": "10",
        "price-effect": "Debit",
        "legs": [
            {
                "instrument-type": "Equity Option",
                "symbol": SPY_CALL,
                "action": "Buy to Open",
                "quantity": "0.5",
            }
        ],
    }
    assert "fractional_quantity_not_allowed" in codes(rig, body)


def _call(symbol: str, action: str) -> dict[str, Any]:
    return {"instrument-type": "Equity Option", "symbol": symbol, "action": action, "quantity": 1}


def test_cash_account_may_sell_covered_calls_and_spreads_but_not_naked(rig: Rig) -> None:
    from tests.unit.sandbox_trading.fakes import SPY_CALL_2

    naked = {
        "time-in-force": "Day",
        "order-type": "Limit",
        "price": "10",
        "price-effect": "Credit",
        "legs": [_call(SPY_CALL, "Sell to Open")],
    }
    assert "short_selling_not_allowed" in codes(rig, naked, CASH_ACCOUNT)
    spread = {
        "time-in-force": "Day",
        "order-type": "Limit",
        "price": "4",
        "price-effect": "Debit",
        "legs": [_call(SPY_CALL, "Buy to Open"), _call(SPY_CALL_2, "Sell to Open")],
    }
    assert rig.engine.place(CASH_ACCOUNT, spread)["order"]["status"] == "Routed"
    rig.engine.place(CASH_ACCOUNT, equity_order(symbol="SPY", quantity=100))
    rig.settle()
    covered = naked | {"legs": [_call(SPY_CALL_2, "Sell to Open")]}
    assert rig.engine.place(CASH_ACCOUNT, covered)["order"]["status"] == "Routed"


def test_buying_power_effect_values_the_order_at_its_own_price(rig: Rig) -> None:
    body = equity_order(order_type="Limit", quantity=100, price="150", **{"price-effect": "Debit"})
    margin = rig.engine.dry_run(ACCOUNT, body)["buying-power-effect"]
    cash = rig.engine.dry_run(CASH_ACCOUNT, body)["buying-power-effect"]
    assert (margin["change-in-buying-power"], margin["new-buying-power"]) == ("7500.08", "92499.92")
    assert margin["change-in-margin-requirement"] == "7500.0"
    assert cash["change-in-buying-power"] == "15000.08"
    sell = rig.engine.dry_run(
        ACCOUNT,
        equity_order(
            action="Sell to Open",
            order_type="Limit",
            quantity=10,
            price="250",
            **{"price-effect": "Credit"},
        ),
    )
    assert sell["buying-power-effect"]["change-in-buying-power-effect"] == "Debit"


def test_order_form_codes_are_preflight_codes() -> None:
    assert ORDER_FORM_CODES.issubset(PREFLIGHT_CODES)


def test_dry_run_reports_the_accounts_checks_in_its_preview(rig: Rig) -> None:
    body = equity_order(action="Sell to Close") | {
        "advanced-instructions": {"strict-position-effect-validation": True}
    }
    data = rig.engine.dry_run(ACCOUNT, body)
    assert [e["code"] for e in data["errors"]] == ["closing_with_no_position"]
    assert data["order"]["status"] == "Received"
    assert data["buying-power-effect"]["current-buying-power"]
    assert not rig.engine.state.orders
