"""Every object the trading side serves parses into the project's client models with no
unknown fields or enum values (no ParseWarning) — over the ASGI app, no sockets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adapters.tastytrade import models as m
from tests.unit.sandbox_trading.conftest import Api, Recorder, equity_order
from tests.unit.sandbox_trading.fakes import SPY_CALL, FakeMarket

ACCOUNT = "5WT00001"


def clean(cls: type[m.TastytradeModel], raw: Any) -> None:
    model = m.parse_model(cls, raw)
    assert m.unknowns(model) == [], [w.args[0] for w in m.unknowns(model)]


def clean_items(cls: type[m.TastytradeModel], body: Any) -> None:
    """Every item of a collection parses cleanly; an empty collection proves nothing, so fails."""
    items = body["items"]
    assert items, f"no {cls.__name__} served: nothing was checked"
    for item in items:
        clean(cls, item)


async def test_account_side_objects_parse_cleanly(api: Api) -> None:
    clean(m.Customer, await api.get("/customers/me"))
    clean_items(m.CustomerAccount, await api.get("/customers/me/accounts"))
    clean(m.Account, await api.get(f"/customers/me/accounts/{ACCOUNT}"))
    clean(m.TradingStatus, await api.get(f"/accounts/{ACCOUNT}/trading-status"))
    clean(m.AccountBalance, await api.get(f"/accounts/{ACCOUNT}/balances"))
    clean(m.PositionLimit, await api.get(f"/accounts/{ACCOUNT}/position-limit"))
    clean(m.ApiQuoteToken, await api.get("/api-quote-tokens"))
    clean(
        m.EffectiveMarginRequirement,
        await api.get(f"/accounts/{ACCOUNT}/margin-requirements/AAPL/effective"),
    )
    clean(m.MarginConfiguration, await api.get("/margin-requirements-public-configuration"))


async def test_trading_objects_parse_cleanly(api: Api) -> None:
    dry = await api.post(
        f"/accounts/{ACCOUNT}/orders/dry-run", equity_order(action="Sell to Close")
    )
    clean(m.PlacedOrderResponse, dry)
    placed = await api.post(f"/accounts/{ACCOUNT}/orders", equity_order(quantity=5))
    clean(m.PlacedOrderResponse, placed)
    for _ in range(6):
        api.runtime.engine.step()
    clean(m.Order, await api.get(f"/accounts/{ACCOUNT}/orders/{placed['order']['id']}"))
    clean_items(
        m.CurrentPosition,
        await api.get(f"/accounts/{ACCOUNT}/positions", **{"include-marks": "true"}),
    )
    clean_items(m.Transaction, await api.get(f"/accounts/{ACCOUNT}/transactions"))
    clean(m.TotalFees, await api.get(f"/accounts/{ACCOUNT}/transactions/total-fees"))
    clean_items(
        m.AccountBalanceSnapshot,
        await api.get(f"/accounts/{ACCOUNT}/balance-snapshots", **{"time-of-day": "EOD"}),
    )
    clean_items(
        m.NetLiqOhlc, await api.get(f"/accounts/{ACCOUNT}/net-liq/history", **{"time-back": "1m"})
    )
    clean(m.MarginRequirementsReport, await api.get(f"/margin/accounts/{ACCOUNT}/requirements"))
    clean(m.MarginDryRun, await api.post(f"/margin/accounts/{ACCOUNT}/dry-run", equity_order()))


async def test_complex_orders_parse_cleanly(api: Api) -> None:
    body = {
        "type": "OTOCO",
        "trigger-order": equity_order(
            order_type="Limit", price="200.5", **{"price-effect": "Debit"}
        ),
        "orders": [
            equity_order(
                action="Sell to Close",
                order_type="Limit",
                price="230",
                **{"price-effect": "Credit"},
            ),
            {**equity_order(action="Sell to Close", order_type="Stop", **{"stop-trigger": "180"})},
        ],
    }
    clean(
        m.PlacedComplexOrderResponse,
        await api.post(f"/accounts/{ACCOUNT}/complex-orders/dry-run", body),
    )
    placed = await api.post(f"/accounts/{ACCOUNT}/complex-orders", body)
    clean(m.PlacedComplexOrderResponse, placed)
    clean(
        m.ComplexOrder,
        await api.get(f"/accounts/{ACCOUNT}/complex-orders/{placed['complex-order']['id']}"),
    )


async def test_watchlists_and_alerts_parse_cleanly(api: Api) -> None:
    clean_items(m.Watchlist, await api.get("/public-watchlists"))
    created = await api.post(
        "/watchlists",
        {"name": "mine", "watchlist-entries": [{"symbol": "AAPL", "instrument-type": "Equity"}]},
    )
    clean(m.Watchlist, created)
    clean_items(m.PairsWatchlist, await api.get("/pairs-watchlists"))
    alert = await api.post(
        "/quote-alerts", {"symbol": "AAPL", "field": "Last", "operator": ">", "threshold": "500"}
    )
    clean(m.QuoteAlert, alert)


async def test_option_order_notification_objects_parse_cleanly(api: Api) -> None:
    body = {
        "time-in-force": "Day",
        "order-type": "Limit",
        "price": "10.30",
        "price-effect": "Debit",
        "legs": [
            {
                "instrument-type": "Equity Option",
                "symbol": SPY_CALL,
                "action": "Buy to Open",
                "quantity": 2,
            }
        ],
    }
    await api.post(f"/accounts/{ACCOUNT}/orders", body)
    recorder = Recorder()
    api.runtime.engine.notifier = recorder
    for _ in range(6):
        api.runtime.engine.step()
    assert set(recorder.kinds()) >= {"Order", "CurrentPosition", "AccountBalance"}
    for _, kind, data in recorder.frames:
        clean(m.NOTIFICATION_MODELS[kind], data)


async def test_admin_pushed_objects_parse_cleanly(api: Api) -> None:
    admin = api.runtime.admin
    recorder = Recorder()
    admin.hub.publish = recorder.publish  # type: ignore[method-assign]
    clean(m.TradingStatus, admin.set_account_status(ACCOUNT, closing_only=True))
    clean(m.Transaction, admin.deposit(ACCOUNT, Decimal("-100")))
    assert recorder.kinds() == ["TradingStatus", "ExternalTransaction", "AccountBalance"]
    for _, kind, data in recorder.frames:
        clean(m.NOTIFICATION_MODELS[kind], data)
    clean(m.AccountBalance, api.runtime.engine.balance(ACCOUNT))


async def test_settlement_transactions_parse_cleanly(api: Api) -> None:
    from datetime import UTC, datetime

    body = {
        "time-in-force": "Day",
        "order-type": "Market",
        "legs": [
            {
                "instrument-type": "Equity Option",
                "symbol": SPY_CALL,
                "action": "Buy to Open",
                "quantity": 1,
            }
        ],
    }
    await api.post(f"/accounts/{ACCOUNT}/orders", body)
    for _ in range(6):
        api.runtime.engine.step()
    market = api.runtime.market
    assert isinstance(market, FakeMarket)
    market.set_book("SPY", "620", "620")
    market.clock.set(datetime(2026, 12, 19, 15, tzinfo=UTC))
    api.runtime.engine._next_expiry_check = 0.0
    api.runtime.engine.step()
    items = (await api.get(f"/accounts/{ACCOUNT}/transactions"))["items"]
    assert {t["transaction-sub-type"] for t in items} == {"Buy to Open", "Exercise"}
    for item in items:
        clean(m.Transaction, item)
