"""REST areas that write: private watchlists (CRUD), quote alerts, and a trading history
long enough to page through (transactions, order history, balance snapshots)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.tastytrade import Client, NotFound
from adapters.tastytrade.models import (
    AlertField,
    AlertOperator,
    InstrumentType,
    OrderAction,
    PriceEffect,
    TransactionType,
)
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from adapters.tastytrade.rest import WatchlistsApi
from tests.integration.client_sandbox.conftest import ACCOUNT, OPEN, wait_status, warnings_of
from tests.support import unique


async def test_private_watchlist_crud(client: Client) -> None:
    name = unique("wl")
    created = await client.rest.watchlists.create(
        WatchlistsApi.build(name, [("SPY", InstrumentType.EQUITY), ("AAPL", InstrumentType.EQUITY)])
    )
    assert created.name == name
    assert [e.symbol for e in created.watchlist_entries or ()] == ["SPY", "AAPL"]
    assert [w.name for w in await client.rest.watchlists.private()] == [name]
    updated = await client.rest.watchlists.update(
        name, WatchlistsApi.build(name, [("QQQ", InstrumentType.EQUITY)])
    )
    assert [e.symbol for e in updated.watchlist_entries or ()] == ["QQQ"]
    fetched = await client.rest.watchlists.get(name)
    assert [e.symbol for e in fetched.watchlist_entries or ()] == ["QQQ"]
    assert fetched.watchlist_entries is not None
    assert fetched.watchlist_entries[0].instrument_type == InstrumentType.EQUITY
    await client.rest.watchlists.delete(name)
    assert await client.rest.watchlists.private() == []
    with pytest.raises(NotFound) as missing:
        await client.rest.watchlists.get(name)
    assert missing.value.status == 404
    assert warnings_of(client) == []


async def test_quote_alert_create_list_delete(client: Client) -> None:
    alert = await client.rest.alerts.create(
        "AAPL", AlertField.LAST, AlertOperator.GREATER, Decimal("1000")
    )
    assert alert.alert_external_id
    assert (alert.symbol, alert.field, alert.operator) == (
        "AAPL",
        AlertField.LAST,
        AlertOperator.GREATER,
    )
    assert alert.threshold == Decimal("1000")
    listed = await client.rest.alerts.list()
    assert [a.alert_external_id for a in listed] == [alert.alert_external_id]
    await client.rest.alerts.delete(alert.alert_external_id)
    assert await client.rest.alerts.list() == []
    assert warnings_of(client) == []


async def test_history_pages_agree_with_unpaged_answers(client: Client) -> None:
    order_ids: list[int] = []
    for symbol in ("AAPL", "MSFT", "F", "XOM", "JPM"):
        leg = NewOrderLeg(InstrumentType.EQUITY, symbol, OrderAction.BUY_TO_OPEN, Decimal(1))
        placed = await client.rest.orders.place(ACCOUNT, NewOrder.market(leg))
        assert placed.order.id is not None
        order_ids.append(placed.order.id)
    for order_id in order_ids:
        await wait_status(client, order_id, "Filled")

    paged = await client.rest.transactions.list(ACCOUNT, per_page=2)  # three pages
    whole = await client.rest.transactions.list(ACCOUNT)
    assert [t.id for t in paged] == [t.id for t in whole]
    assert len({t.id for t in paged}) == len(paged) >= 5
    trades = [t for t in paged if t.transaction_type == TransactionType.TRADE]
    assert sorted(t.order_id for t in trades if t.order_id is not None) == sorted(order_ids)
    assert {t.symbol for t in trades} == {"AAPL", "MSFT", "F", "XOM", "JPM"}
    ascending = await client.rest.transactions.list(ACCOUNT, sort="Asc", per_page=2)
    assert [t.id for t in ascending] == sorted(t.id for t in ascending)
    only_msft = await client.rest.transactions.list(ACCOUNT, symbol="MSFT")
    assert {t.symbol for t in only_msft} == {"MSFT"}

    history = await client.rest.orders.history(ACCOUNT, start_date=OPEN.date(), per_page=2)
    assert sorted(o.id for o in history if o.id is not None) == sorted(order_ids)
    filled = await client.rest.orders.history(
        ACCOUNT, start_date=OPEN.date(), statuses=["Filled"], underlying_symbol="MSFT"
    )
    assert [o.legs[0].symbol for o in filled] == ["MSFT"]

    fees = await client.rest.transactions.total_fees(ACCOUNT, OPEN.date())
    charged = sum(
        (t.clearing_fees or 0) + (t.regulatory_fees or 0) + (t.commission or 0) for t in trades
    )
    assert fees.total_fees == charged
    assert fees.total_fees_effect == (PriceEffect.DEBIT if charged else PriceEffect.NONE)

    positions = await client.rest.positions.get_positions(ACCOUNT)
    assert sorted(p.symbol for p in positions) == ["AAPL", "F", "JPM", "MSFT", "XOM"]
    balance = await client.rest.balances.get_balances(ACCOUNT)
    assert balance.long_equity_value is not None
    assert balance.long_equity_value > 0
    assert warnings_of(client) == []
