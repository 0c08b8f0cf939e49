"""State persistence round trip and replay determinism of the whole engine."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sandbox.state import TradingState, load_state, save_state
from tests.unit.sandbox_trading.conftest import Rig, equity_order, make_rig

ACCOUNT = "5WT00001"


def scenario(rig: Rig) -> None:
    rig.engine.place(ACCOUNT, equity_order(quantity=40))
    rig.settle()
    rig.market.set_book("AAPL", "205.00", "205.02", size="25")
    rig.engine.place(ACCOUNT, equity_order(action="Sell to Close", quantity=30))
    rig.settle()
    rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="150", **{"price-effect": "Debit"})
    )
    rig.engine.place(ACCOUNT, equity_order(symbol="SPY", action="Sell to Open", quantity=3))
    rig.settle()
    rig.market.set_book("AAPL", "205.00", "205.03", size="25")
    rig.settle()


def test_replaying_the_same_commands_gives_byte_identical_state() -> None:
    first, second = make_rig(), make_rig()
    scenario(first)
    scenario(second)
    assert first.engine.state.to_json() == second.engine.state.to_json()
    assert first.recorder.frames == second.recorder.frames
    assert first.engine.ledger(ACCOUNT).positions["AAPL"].quantity == 10


def test_state_round_trips_through_json(tmp_path: Path, rig: Rig) -> None:
    scenario(rig)
    rig.engine.state.watchlists["C0000001"] = {"w": {"name": "w", "watchlist-entries": []}}
    path = tmp_path / "state.json"
    save_state(rig.engine.state, path)
    loaded = load_state(path)
    assert loaded is not None
    assert loaded.to_json() == rig.engine.state.to_json()
    ledger = loaded.ledgers[ACCOUNT]
    assert isinstance(ledger.cash, Decimal)
    assert ledger.cash == rig.engine.ledger(ACCOUNT).cash
    assert {o.id: o.status for o in loaded.orders.values()} == {
        o.id: o.status for o in rig.engine.state.orders.values()
    }


def test_missing_state_file_means_fresh_state(tmp_path: Path) -> None:
    assert load_state(tmp_path / "absent.json") is None
    assert load_state(None) is None
    assert TradingState().next_id("order", 100) == 100


def test_notional_crypto_order_fills_a_fractional_quantity(rig: Rig) -> None:
    body = {
        "time-in-force": "Day",
        "order-type": "Notional Market",
        "value": "100",
        "value-effect": "Debit",
        "legs": [
            {"instrument-type": "Cryptocurrency", "symbol": "BTC/USD", "action": "Buy to Open"}
        ],
    }
    data = rig.engine.place(ACCOUNT, body)
    rig.settle()
    order = rig.engine.state.orders[data["order"]["id"]]
    assert order.status == "Filled"
    qty = order.legs[0].fills[0].quantity
    assert qty == (Decimal(100) / Decimal("90010.00")).quantize(
        Decimal("0.00000001"), rounding="ROUND_DOWN"
    )
    assert rig.engine.ledger(ACCOUNT).positions["BTC/USD"].quantity == qty


def test_patch_edit_changes_price_in_place(rig: Rig) -> None:
    data = rig.engine.place(
        ACCOUNT, equity_order(order_type="Limit", price="150", **{"price-effect": "Debit"})
    )
    rig.settle()
    order = rig.engine.edit(ACCOUNT, data["order"]["id"], {"price": "201"})
    assert (order.price, order.edited, order.id) == (Decimal(201), True, data["order"]["id"])
    rig.settle()
    assert order.status == "Filled"


def test_delay_accepts_seconds_and_iso_durations() -> None:
    from sandbox.orders import parse_delay

    assert parse_delay(5) == 5.0
    assert parse_delay("PT1M30S") == 90.0
    assert parse_delay("P1DT1H") == 90000.0
    assert parse_delay("soon") == 0.0
    assert parse_delay(None) == 0.0
