"""Pagination, chunking, request bodies, 204s, error propagation and warnings on the stream."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from adapters.tastytrade.errors import NotFound, ParseFailure, ParseWarning, PreflightFailed
from adapters.tastytrade.models import (
    AlertField,
    AlertOperator,
    InstrumentType,
    OrderAction,
    OrderStatus,
    OrderType,
    PriceEffect,
    TimeInForce,
)
from adapters.tastytrade.order_builder import NewComplexOrder, NewOrder, NewOrderLeg
from tests.unit.client_rest.fake_api import (
    ALERT,
    MARKET_DATA,
    ORDER,
    PLACED,
    TRANSACTION,
    WATCHLIST,
    FakeApi,
    rest_over,
)

N = "5WT00001"


def _page(items: list[Any], offset: int, total_pages: int) -> dict[str, Any]:
    return {
        "per-page": len(items),
        "page-offset": offset,
        "total-pages": total_pages,
        "total-items": 99,
    }


def _buy_aapl(price: str = "180.0") -> NewOrder:
    leg = NewOrderLeg(InstrumentType.EQUITY, "AAPL", OrderAction.BUY_TO_OPEN, Decimal(1))
    return NewOrder(
        TimeInForce.DAY,
        OrderType.LIMIT,
        (leg,),
        price=Decimal(price),
        price_effect=PriceEffect.DEBIT,
    )


async def test_transactions_are_fetched_across_all_pages_with_filters() -> None:
    api = FakeApi()
    path = f"/accounts/{N}/transactions"
    for offset in range(3):
        items = [{**TRANSACTION, "id": offset * 10 + i} for i in range(2)]
        api.add("GET", path, {"items": items}, pagination=_page(items, offset, 3))
    async with rest_over(api) as rest:
        result = await rest.transactions.list(
            N, types=["Trade", "Money Movement"], symbol="AAPL", sort="Asc", per_page=2
        )
    assert [t.id for t in result] == [0, 1, 10, 11, 20, 21]
    offsets = [dict(FakeApi.query(r))["page-offset"] for r in api.requests]
    assert offsets == ["0", "1", "2"]
    first = FakeApi.query(api.requests[0])
    assert ("types[]", "Trade") in first
    assert ("types[]", "Money Movement") in first
    assert ("per-page", "2") in first
    assert ("sort", "Asc") in first
    assert ("symbol", "AAPL") in first


async def test_order_history_iterates_lazily_and_stops_on_last_page() -> None:
    api = FakeApi()
    path = f"/accounts/{N}/orders"
    api.add("GET", path, {"items": [ORDER]}, pagination=_page([ORDER], 0, 2))
    api.add("GET", path, {"items": [{**ORDER, "id": 2}]}, pagination=_page([ORDER], 1, 2))
    async with rest_over(api) as rest:
        seen = [
            o.id
            async for o in rest.orders.iter_history(
                N, statuses=[OrderStatus.FILLED, "Cancelled"], underlying_symbol="AAPL"
            )
        ]
    assert seen == [90001, 2]
    assert len(api.requests) == 2
    query = FakeApi.query(api.requests[0])
    assert [v for k, v in query if k == "status[]"] == ["Filled", "Cancelled"]


async def test_live_orders_single_page_without_pagination_object() -> None:
    api = FakeApi()
    api.add("GET", f"/accounts/{N}/orders/live", {"items": [ORDER, ORDER]})
    async with rest_over(api) as rest:
        orders = await rest.orders.get_live_orders(N)
    assert len(orders) == 2
    assert len(api.requests) == 1


async def test_market_data_by_type_chunks_at_100_combined_with_repeated_plain_keys() -> None:
    api = FakeApi()
    equities = [f"E{i}" for i in range(150)]
    futures = [f"/F{i}" for i in range(60)]
    for _ in range(3):
        api.add("GET", "/market-data/by-type", {"items": [MARKET_DATA]})
    async with rest_over(api) as rest:
        result = await rest.market_data.by_type(equity=equities, future=futures, index=["VIX"])
    assert len(result) == 3
    sent = [FakeApi.query(r) for r in api.requests]
    assert [len(q) for q in sent] == [100, 100, 11]
    flat = [pair for q in sent for pair in q]
    assert flat[0] == ("index", "VIX")
    assert [v for k, v in flat if k == "equity"] == equities
    assert [v for k, v in flat if k == "future"] == futures
    assert {k for k, _ in flat} == {"index", "equity", "future"}


async def test_market_data_by_type_deduplicates_symbols() -> None:
    api = FakeApi()
    api.add("GET", "/market-data/by-type", {"items": []})
    async with rest_over(api) as rest:
        await rest.market_data.by_type(equity=["SPY", "SPY", "AAPL"])
    assert FakeApi.query(api.last) == [("equity", "SPY"), ("equity", "AAPL")]


async def test_market_metrics_comma_list_chunked_at_100() -> None:
    api = FakeApi()
    symbols = [f"S{i}" for i in range(205)]
    for _ in range(3):
        api.add("GET", "/market-metrics", {"items": [{"symbol": "S0"}]})
    async with rest_over(api) as rest:
        result = await rest.metrics.market_metrics(symbols)
    assert len(result) == 3
    sent = [dict(FakeApi.query(r))["symbols"].split(",") for r in api.requests]
    assert [len(s) for s in sent] == [100, 100, 5]
    assert [s for chunk in sent for s in chunk] == symbols
    assert all(len(FakeApi.query(r)) == 1 for r in api.requests)


async def test_place_dry_run_and_their_bodies() -> None:
    api = FakeApi()
    api.add("POST", f"/accounts/{N}/orders", PLACED, status=201)
    dry = {**PLACED, "order": {**ORDER, "id": None, "status": "Received", "updated-at": 0}}
    api.add("POST", f"/accounts/{N}/orders/dry-run", dry, status=201)
    order = _buy_aapl()
    async with rest_over(api) as rest:
        placed = await rest.orders.place(N, order)
        checked = await rest.orders.dry_run(N, order.to_wire())
    assert placed.order.id == 90001
    assert placed.buying_power_effect is not None
    assert placed.buying_power_effect.signed_change_in_buying_power == Decimal("-90.01")
    assert checked.order.id is None
    assert checked.order.updated_at is None
    assert FakeApi.body(api.requests[0]) == order.to_wire()
    assert FakeApi.body(api.requests[1]) == order.to_wire()


async def test_replace_is_a_put_without_legs_and_edit_is_a_patch() -> None:
    api = FakeApi()
    path = f"/accounts/{N}/orders/90001"
    api.add("PUT", path, {**ORDER, "id": 90002, "price": "181.0"})
    api.add("PATCH", path, {**ORDER, "price": "182.0"})
    async with rest_over(api) as rest:
        new = await rest.orders.replace(N, 90001, _buy_aapl("181.0"))
        edited = await rest.orders.edit(N, 90001, {"price": "182.0", "price-effect": "Debit"})
    put, patch = api.requests
    assert put.method == "PUT"
    assert "legs" not in FakeApi.body(put)
    assert FakeApi.body(put)["price"] == "181.0"
    assert new.id == 90002
    assert patch.method == "PATCH"
    assert FakeApi.body(patch) == {"price": "182.0", "price-effect": "Debit"}
    assert edited.price == Decimal("182.0")


async def test_cancel_returns_the_cancel_requested_order() -> None:
    api = FakeApi()
    api.add("DELETE", f"/accounts/{N}/orders/90001", {**ORDER, "status": "Cancel Requested"})
    async with rest_over(api) as rest:
        order = await rest.orders.cancel(N, 90001)
    assert order.status is OrderStatus.CANCEL_REQUESTED
    assert api.last.content == b""


async def test_preflight_rejection_surfaces_as_typed_error_with_nested_errors() -> None:
    api = FakeApi()
    body = {
        "error": {
            "code": "preflight_check_failure",
            "message": "One or more preflight checks failed",
            "errors": [{"code": "cant_buy_for_credit", "message": "You cannot buy for a credit."}],
        }
    }
    api.add_raw("POST", f"/accounts/{N}/orders", 422, body)
    async with rest_over(api) as rest:
        with pytest.raises(PreflightFailed) as info:
            await rest.orders.place(N, _buy_aapl())
    assert [e.code for e in info.value.errors] == ["cant_buy_for_credit"]
    assert len(api.requests) == 1  # a POST is never retried


async def test_complex_orders_place_get_live_history_cancel() -> None:
    api = FakeApi()
    base = f"/accounts/{N}/complex-orders"
    children = [{**ORDER, "id": 2, "status": "Contingent"}, {**ORDER, "id": 3}]
    complex_order = {"id": 77, "account-number": N, "type": "OTOCO", "orders": children}
    complex_order["trigger-order"] = ORDER
    api.add(
        "POST",
        base,
        {"complex-order": complex_order, "buying-power-effect": PLACED["buying-power-effect"]},
    )
    api.add("POST", f"{base}/dry-run", {"complex-order": {**complex_order, "id": None}})
    api.add("GET", f"{base}/live", {"items": [complex_order]})
    api.add("GET", base, {"items": [complex_order]})
    api.add("DELETE", f"{base}/77", complex_order)
    trigger = _buy_aapl()
    sell = NewOrderLeg(InstrumentType.EQUITY, "AAPL", OrderAction.SELL_TO_CLOSE, Decimal(1))
    take = NewOrder.limit([sell], Decimal("190"), PriceEffect.CREDIT, time_in_force=TimeInForce.GTC)
    stop = NewOrder.stop(sell, Decimal("170"), time_in_force=TimeInForce.GTC)
    request = NewComplexOrder.otoco(trigger, take, stop)
    async with rest_over(api) as rest:
        placed = await rest.complex_orders.place(N, request)
        dry = await rest.complex_orders.dry_run(N, request)
        live = await rest.complex_orders.get_live(N)
        history = await rest.complex_orders.history(N)
        cancelled = await rest.complex_orders.cancel(N, 77)
    assert placed.complex_order.id == 77
    assert placed.complex_order.trigger_order is not None
    assert dry.complex_order.id is None
    assert live[0].orders[0].status is OrderStatus.CONTINGENT
    assert history[0].id == cancelled.id == 77
    sent = FakeApi.body(api.requests[0])
    assert sent["type"] == "OTOCO"
    assert sent["trigger-order"]["legs"][0]["action"] == "Buy to Open"
    assert [o["order-type"] for o in sent["orders"]] == ["Limit", "Stop"]


async def test_margin_dry_run_posts_the_order() -> None:
    api = FakeApi()
    api.add(
        "POST",
        f"/margin/accounts/{N}/dry-run",
        {
            "change-in-buying-power": "5",
            "change-in-buying-power-effect": "Debit",
            "orders": [{"id": "dry-run-0", "size": "0"}],
        },
    )
    async with rest_over(api) as rest:
        result = await rest.margin.dry_run(N, _buy_aapl())
    assert result.signed_change_in_buying_power == Decimal(-5)
    assert result.orders[0].id == "dry-run-0"
    assert FakeApi.body(api.last)["legs"][0]["symbol"] == "AAPL"


async def test_watchlist_crud_bodies() -> None:
    api = FakeApi()
    api.add("POST", "/watchlists", WATCHLIST, status=201)
    api.add("PUT", "/watchlists/mine", WATCHLIST)
    api.add("DELETE", "/watchlists/mine", WATCHLIST)
    async with rest_over(api) as rest:
        body = rest.watchlists.build("mine", [("AAPL", InstrumentType.EQUITY), ("/ES", None)])
        created = await rest.watchlists.create(body)
        await rest.watchlists.update("mine", body)
        deleted = await rest.watchlists.delete("mine")
    assert created.name == "mine"
    assert deleted is not None
    assert FakeApi.body(api.requests[0]) == {
        "name": "mine",
        "watchlist-entries": [{"symbol": "AAPL", "instrument-type": "Equity"}, {"symbol": "/ES"}],
    }
    assert api.requests[1].method == "PUT"


async def test_quote_alert_create_and_delete_204() -> None:
    api = FakeApi()
    api.add("POST", "/quote-alerts", ALERT, status=201)
    api.add("DELETE", "/quote-alerts/alert-1", status=204)
    async with rest_over(api) as rest:
        alert = await rest.alerts.create(
            "AAPL", AlertField.LAST, AlertOperator.GREATER, Decimal("200.00")
        )
        await rest.alerts.delete("alert-1")
    assert alert.alert_external_id == "alert-1"
    assert FakeApi.body(api.requests[0]) == {
        "symbol": "AAPL",
        "field": "Last",
        "operator": ">",
        "threshold": "200.00",
    }
    assert api.requests[1].method == "DELETE"


async def test_unknown_fields_reach_the_error_stream_once_across_calls() -> None:
    api = FakeApi()
    odd = {**ORDER, "shiny-new-field": True, "status": "Quantum"}
    api.add("GET", f"/accounts/{N}/orders/1", odd)
    async with rest_over(api) as rest:
        for _ in range(3):
            order = await rest.orders.get(N, 1)
        warnings = [e for e in rest.http.errors.drain() if isinstance(e, ParseWarning)]
    assert order.model_extra == {"shiny-new-field": True}
    assert sorted((w.model, w.field_name) for w in warnings) == [
        ("Order", "shiny-new-field"),
        ("Order", "status"),
    ]


async def test_malformed_payload_is_a_parse_failure() -> None:
    api = FakeApi()
    api.add("GET", f"/accounts/{N}/orders/1", {"id": 1, "status": "Live"})
    async with rest_over(api) as rest:
        with pytest.raises(ParseFailure) as info:
            await rest.orders.get(N, 1)
    assert info.value.model == "Order"


async def test_balances_without_currency_and_snapshots_params() -> None:
    api = FakeApi()
    api.add("GET", f"/accounts/{N}/balances", {"account-number": N, "cash-balance": "1"})
    api.add(
        "GET",
        f"/accounts/{N}/balance-snapshots",
        {"items": [{"account-number": N, "time-of-day": "EOD"}]},
    )
    async with rest_over(api) as rest:
        balance = await rest.balances.get_balances(N, currency=None)
        snaps = await rest.balances.snapshots(N, time_of_day="BOD", per_page=10)
    assert balance.cash_balance == Decimal(1)
    assert len(snaps) == 1
    query = dict(FakeApi.query(api.last))
    assert query["time-of-day"] == "BOD"
    assert query["currency"] == "USD"
    assert query["per-page"] == "10"


async def test_customer_orders_need_account_numbers_brackets() -> None:
    api = FakeApi()
    api.add("GET", "/customers/me/orders", {"items": [ORDER]})
    async with rest_over(api) as rest:
        orders = await rest.customers.orders("me", [N, "5WT00002"])
    assert len(orders) == 1
    assert [v for k, v in FakeApi.query(api.last) if k == "account-numbers[]"] == [N, "5WT00002"]


async def test_not_found_is_typed() -> None:
    api = FakeApi()
    async with rest_over(api) as rest:
        with pytest.raises(NotFound):
            await rest.instruments.equity("NOPE")


async def test_complex_edit_and_replace_dry_run_paths() -> None:
    api = FakeApi()
    base = f"/accounts/{N}/complex-orders/77"
    complex_order = {"id": 77, "account-number": N, "type": "PAIRS", "orders": []}
    api.add("PATCH", base, {**complex_order, "ratio-price-threshold": "1.5"})
    api.add("POST", f"{base}/dry-run", {"complex-order": complex_order})
    async with rest_over(api) as rest:
        edited = await rest.complex_orders.edit(N, 77, {"ratio-price-threshold": "1.5"})
        checked = await rest.complex_orders.dry_run_replace(N, 77, {"type": "PAIRS", "orders": []})
    assert edited.ratio_price_threshold == Decimal("1.5")
    assert checked.complex_order.id == 77
    assert [r.method for r in api.requests] == ["PATCH", "POST"]


async def test_calls_log_entry_and_exit_with_outcome(caplog: pytest.LogCaptureFixture) -> None:
    api = FakeApi()
    api.add("GET", f"/accounts/{N}/orders/1", ORDER)
    caplog.set_level(logging.DEBUG, logger="adapters.tastytrade.rest.base")
    async with rest_over(api) as rest:
        await rest.orders.get(N, 1)
        with pytest.raises(NotFound):
            await rest.orders.get(N, 2)
    lines = [r.getMessage() for r in caplog.records if r.name == "adapters.tastytrade.rest.base"]
    assert lines[0] == f"-> GET /accounts/{N}/orders/1"
    assert lines[1].startswith(f"<- GET /accounts/{N}/orders/1 ok: Order")
    assert lines[3].startswith(f"<- GET /accounts/{N}/orders/2 failed: NotFound")
