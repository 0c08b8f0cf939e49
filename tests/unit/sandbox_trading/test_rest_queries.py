"""Query parameters of the account REST endpoints (filters, sorting, pagination), over ASGI."""

from __future__ import annotations

from typing import Any

from tests.unit.sandbox_trading.conftest import Api, equity_order

ACCOUNT = "5WT00001"


async def trade(api: Api, **kwargs: Any) -> None:
    await api.post(f"/accounts/{ACCOUNT}/orders", equity_order(**kwargs))
    for _ in range(6):
        api.runtime.engine.step()


async def test_transaction_filters_sort_and_pagination(api: Api) -> None:
    await trade(api, symbol="AAPL", quantity=3)
    await trade(api, symbol="SPY", quantity=2)
    await trade(api, symbol="AAPL", action="Sell to Close", quantity=1)
    path = f"/accounts/{ACCOUNT}/transactions"
    everything = (await api.get(path))["items"]
    assert [t["symbol"] for t in everything] == ["AAPL", "SPY", "AAPL"][::-1]
    ascending = (await api.get(path, sort="Asc"))["items"]
    assert [t["id"] for t in ascending] == sorted(t["id"] for t in everything)
    assert [t["action"] for t in (await api.get(path, symbol="AAPL"))["items"]] == [
        "Sell to Close",
        "Buy to Open",
    ]
    assert len((await api.get(path, **{"sub-type[]": "Sell to Close"}))["items"]) == 1
    assert len((await api.get(path, type="Trade"))["items"]) == 3
    assert (await api.get(path, type="Money Movement"))["items"] == []
    assert (await api.get(path, **{"start-date": "2030-01-01"}))["items"] == []
    page = await api.client.get(path, params={"per-page": 2, "page-offset": 1})
    body = page.json()
    assert (body["pagination"]["total-items"], len(body["data"]["items"])) == (3, 1)
    one = everything[0]
    assert (await api.get(f"{path}/{one['id']}"))["id"] == one["id"]
    fees = await api.get(f"{path}/total-fees", date="2026-11-25")
    assert fees["total-fees-effect"] == "Debit"


async def test_positions_filters_and_marks(api: Api) -> None:
    await trade(api, symbol="AAPL", quantity=3)
    await trade(api, symbol="SPY", quantity=2)
    path = f"/accounts/{ACCOUNT}/positions"
    assert {p["symbol"] for p in (await api.get(path))["items"]} == {"AAPL", "SPY"}
    assert [
        p["symbol"] for p in (await api.get(path, **{"underlying-symbol[]": "SPY"}))["items"]
    ] == ["SPY"]
    assert [p["symbol"] for p in (await api.get(path, symbol="AAPL"))["items"]] == ["AAPL"]
    (marked,) = (await api.get(path, symbol="AAPL", **{"include-marks": "true"}))["items"]
    assert marked["mark-price"] == "200.0"
    assert marked["mark"] == "600.0"
    await trade(api, symbol="SPY", action="Sell to Close", quantity=2)
    assert [p["symbol"] for p in (await api.get(path))["items"]] == ["AAPL"]
    closed = (await api.get(path, **{"include-closed-positions": "true"}))["items"]
    assert {p["symbol"]: p["quantity-direction"] for p in closed} == {"AAPL": "Long", "SPY": "Zero"}


async def test_balance_snapshots_require_time_of_day(api: Api) -> None:
    response = await api.client.get(f"/accounts/{ACCOUNT}/balance-snapshots")
    assert response.status_code == 400
    bod = (await api.get(f"/accounts/{ACCOUNT}/balance-snapshots", **{"time-of-day": "BOD"}))[
        "items"
    ]
    assert [s["time-of-day"] for s in bod] == ["BOD"]


async def test_order_history_filters_and_customer_orders(api: Api) -> None:
    await trade(api, symbol="AAPL")
    await trade(api, symbol="SPY", behavior="never")
    path = f"/accounts/{ACCOUNT}/orders"
    assert [
        o["underlying-symbol"]
        for o in (await api.get(path, **{"underlying-symbol": "SPY"}))["items"]
    ] == ["SPY"]
    assert [o["status"] for o in (await api.get(path, **{"status[]": "Filled"}))["items"]] == [
        "Filled"
    ]
    newer = await api.client.get(path, headers={"Accept-Version": "20261012"})
    assert newer.status_code == 400
    dated = await api.client.get(
        path, params={"start-date": "2026-11-25"}, headers={"Accept-Version": "20261012"}
    )
    assert len(dated.json()["data"]["items"]) == 2
    mine = await api.get("/customers/me/orders", **{"account-numbers[]": ACCOUNT})
    assert len(mine["items"]) == 2
    other = await api.client.get("/customers/me/orders", params={"account-numbers[]": "5WT00099"})
    assert other.status_code == 403


async def test_unknown_route_and_order_are_404_with_error_envelope(api: Api) -> None:
    missing = await api.client.get("/no/such/thing")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    order = await api.client.get(f"/accounts/{ACCOUNT}/orders/999")
    assert (order.status_code, order.json()["error"]["code"]) == (404, "order_not_found")
    bad = await api.client.post(
        f"/accounts/{ACCOUNT}/orders",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 400
