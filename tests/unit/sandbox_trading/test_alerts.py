"""Quote alerts trigger once from market prices, including alerts restored from state."""

from __future__ import annotations

from typing import Any

from sandbox.alerts import QuoteAlerts
from sandbox.config import SandboxConfig
from sandbox.state import TradingState
from tests.unit.sandbox_trading.fakes import FakeMarket


def alert(alert_id: str, field: str, operator: str, threshold: str) -> dict[str, Any]:
    return {
        "owner": "C0000001",
        "alert": {
            "alert-external-id": alert_id,
            "user-external-id": "U0000001",
            "symbol": "AAPL",
            "field": field,
            "operator": operator,
            "threshold": threshold,
        },
    }


def test_alerts_trigger_once_when_the_book_crosses() -> None:
    market, state = FakeMarket(), TradingState()
    pushed: list[tuple[str, dict[str, Any]]] = []
    alerts = QuoteAlerts(
        SandboxConfig(), state, market, lambda u, d: pushed.append((u, d)), lambda: None
    )
    state.alerts["up"] = alert("up", "Bid", ">", "210")
    state.alerts["down"] = alert("down", "Ask", "<", "190")
    state.alerts["now"] = alert("now", "Last", "<", "300")  # already true: restored from state
    alerts.prime()
    assert [d["alert-external-id"] for _, d in pushed] == ["now"]
    market.set_book("AAPL", "211", "212")
    alerts.on_book("AAPL")
    market.set_book("AAPL", "212", "213")
    alerts.on_book("AAPL")
    assert [d["alert-external-id"] for _, d in pushed] == ["now", "up"]
    assert all(u == "U0000001" for u, _ in pushed)
    assert state.alerts["up"]["alert"]["triggered-at"]
    assert "triggered-at" not in state.alerts["down"]["alert"]
