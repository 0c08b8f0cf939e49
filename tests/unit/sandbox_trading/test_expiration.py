"""Expired options and futures settle: worthless, exercised/assigned into stock, or cash."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sandbox.expiration import option_terms
from tests.unit.sandbox_trading.conftest import Rig, equity_order
from tests.unit.sandbox_trading.fakes import SPY_CALL

ACCOUNT = "5WT00001"
AFTER_EXPIRY = datetime(2026, 12, 19, 15, 0, tzinfo=UTC)


def trade_call(rig: Rig, action: str, quantity: int = 2) -> None:
    body = {
        "time-in-force": "Day",
        "order-type": "Market",
        "legs": [
            {
                "instrument-type": "Equity Option",
                "symbol": SPY_CALL,
                "action": action,
                "quantity": quantity,
            }
        ],
    }
    rig.engine.place(ACCOUNT, body)
    rig.settle()


def expire(rig: Rig, spy: str) -> None:
    rig.market.set_book("SPY", spy, spy)
    rig.market.clock.set(AFTER_EXPIRY)
    rig.engine._next_expiry_check = 0.0
    rig.settle(rounds=2)


def subtypes(rig: Rig) -> list[str]:
    return [t["transaction-sub-type"] for t in rig.engine.ledger(ACCOUNT).transactions[1:]]


def test_option_terms_from_occ_and_future_option_symbols() -> None:
    assert option_terms(SPY_CALL, "Equity Option") == ("C", Decimal(600))
    assert option_terms("./ESZ6 EW4X6 261127P5675", "Future Option") == ("P", Decimal(5675))
    assert option_terms("AAPL", "Equity") is None


def test_out_of_the_money_calls_expire_worthless(rig: Rig) -> None:
    trade_call(rig, "Buy to Open")
    cash = rig.engine.ledger(ACCOUNT).cash
    expire(rig, "590.00")
    ledger = rig.engine.ledger(ACCOUNT)
    position = ledger.positions[SPY_CALL]
    assert position.quantity == 0
    assert position.realized_day_gain == Decimal("-10.30") * 200
    assert ledger.cash == cash
    assert subtypes(rig) == ["Expiration"]
    assert rig.recorder.kinds()[-2:] == ["CurrentPosition", "AccountBalance"]


def test_long_in_the_money_call_is_exercised_into_stock_at_the_strike(rig: Rig) -> None:
    trade_call(rig, "Buy to Open")
    cash = rig.engine.ledger(ACCOUNT).cash
    expire(rig, "620.00")
    ledger = rig.engine.ledger(ACCOUNT)
    assert ledger.positions[SPY_CALL].quantity == 0
    stock = ledger.positions["SPY"]
    assert (stock.quantity, stock.average_open_price) == (Decimal(200), Decimal(600))
    assert ledger.cash == cash - Decimal(600) * 200
    assert subtypes(rig) == ["Exercise", "Exercise"]


def test_short_in_the_money_call_is_assigned_short_stock(rig: Rig) -> None:
    trade_call(rig, "Sell to Open", 1)
    expire(rig, "650.00")
    ledger = rig.engine.ledger(ACCOUNT)
    assert ledger.positions["SPY"].quantity == -100
    assert subtypes(rig) == ["Assignment", "Assignment"]


def test_working_orders_on_expired_instruments_expire(rig: Rig) -> None:
    body = {
        "time-in-force": "GTC",
        "order-type": "Limit",
        "price": "0.05",
        "price-effect": "Debit",
        "legs": [
            {
                "instrument-type": "Equity Option",
                "symbol": SPY_CALL,
                "action": "Buy to Open",
                "quantity": 1,
            }
        ],
    }
    data = rig.engine.place(ACCOUNT, body)
    rig.settle()
    assert rig.engine.state.orders[data["order"]["id"]].status == "Live"
    expire(rig, "600.00")
    assert rig.engine.state.orders[data["order"]["id"]].status == "Expired"


def test_stock_positions_are_untouched(rig: Rig) -> None:
    rig.engine.place(ACCOUNT, equity_order())
    rig.settle()
    expire(rig, "600.00")
    assert rig.engine.ledger(ACCOUNT).positions["AAPL"].quantity == 10
