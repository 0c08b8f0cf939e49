"""Every REST area through the real HttpSession over httpx.MockTransport: paths, params, parsing."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapters.tastytrade.errors import ErrorStream
from adapters.tastytrade.models import (
    Account,
    AccountBalance,
    ApiQuoteToken,
    CurrentPosition,
    Equity,
    EquityOption,
    Future,
    FutureOption,
    MarketData,
    MarketSessionState,
    Order,
    OrderStatus,
    QuoteAlert,
    SessionInfo,
    SymbolData,
    Transaction,
    Watchlist,
)
from adapters.tastytrade.rest import Rest
from tests.unit.client_rest.fake_api import (
    ALERT,
    BALANCE,
    EQUITY,
    FUTURE,
    FUTURE_OPTION,
    OPTION,
    ORDER,
    POSITION,
    TRANSACTION,
    WATCHLIST,
    FakeApi,
    rest_over,
)
from tests.unit.client_rest.parsed import assert_parsed

N = "5WT00001"
Call = Callable[[Rest], Awaitable[Any]]


SERVED: Any = object()


def _items(*items: Any) -> dict[str, Any]:
    return {"items": list(items)}


@dataclass
class Case:
    id: str
    call: Call
    method: str
    path: str
    data: Any
    query: list[tuple[str, str]] = field(default_factory=list)
    check: Callable[[Any], bool] = lambda result: True
    #: what the result must hold, field by field; default: ``data`` (its items for a list)
    expected: Any = SERVED


ACCOUNT = {"account-number": N, "is-closed": False, "margin-or-cash": "Margin"}
CLOSED = {"account-number": "5WT00002", "is-closed": True}
CUSTOMER = {"id": "me", "first-name": "A"}
SESSION = {"instrument-collection": "Equity", "state": "Open"}
DAY = {"session-date": "2026-08-05", "open-at": "2026-08-05T13:30:00.000+00:00"}

CASES = [
    # §4.1 customer / accounts / status
    Case("customer", lambda r: r.customers.me(), "GET", "/customers/me", CUSTOMER),
    Case("customer-by-id", lambda r: r.customers.get("C 1"), "GET", "/customers/C%201", CUSTOMER),
    Case(
        "accounts-list",
        lambda r: r.accounts.list(),
        "GET",
        "/customers/me/accounts",
        _items({"account": ACCOUNT, "authority-level": "owner"}, {"account": CLOSED}),
        expected=[ACCOUNT],  # the closed account is left out
    ),
    Case(
        "account",
        lambda r: r.accounts.get(N),
        "GET",
        f"/customers/me/accounts/{N}",
        ACCOUNT,
        check=lambda res: isinstance(res, Account) and res.account_number == N,
    ),
    Case(
        "trading-status",
        lambda r: r.accounts.trading_status(N),
        "GET",
        f"/accounts/{N}/trading-status",
        {"account-number": N, "is-frozen": False},
    ),
    Case(
        "position-limit",
        lambda r: r.accounts.position_limit(N),
        "GET",
        f"/accounts/{N}/position-limit",
        {"account-number": N, "equity-order-size": 500},
        check=lambda res: res.equity_order_size == 500,
    ),
    Case(
        "net-liq-history",
        lambda r: r.accounts.net_liq_history(
            N, start_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        ),
        "GET",
        f"/accounts/{N}/net-liq/history",
        _items({"open": "1", "high": "2", "low": "0.5", "close": "1.5", "time": "2026-01-02"}),
        query=[("start-time", "2026-01-02T03:04:05Z")],
        check=lambda res: res[0].high == Decimal(2),
    ),
    Case(
        "quote-token",
        lambda r: r.quote_tokens.get(),
        "GET",
        "/api-quote-tokens",
        {"token": "t", "dxlink-url": "wss://dx/realtime", "level": "api"},
        check=lambda res: isinstance(res, ApiQuoteToken) and res.dxlink_url.startswith("wss"),
    ),
    # §4.2 balances & positions
    Case(
        "balances",
        lambda r: r.balances.get_balances(N),
        "GET",
        f"/accounts/{N}/balances/USD",
        BALANCE,
        check=lambda res: isinstance(res, AccountBalance) and res.cash_balance == Decimal(10000),
    ),
    Case(
        "positions",
        lambda r: r.positions.get_positions(
            N,
            underlying_symbols=["SPY", "AAPL"],
            include_marks=True,
            instrument_type="Equity Option",
        ),
        "GET",
        f"/accounts/{N}/positions",
        _items(POSITION),
        query=[
            ("include-marks", "true"),
            ("instrument-type", "Equity Option"),
            ("underlying-symbol[]", "AAPL"),
            ("underlying-symbol[]", "SPY"),
        ],
        check=lambda res: isinstance(res[0], CurrentPosition) and res[0].signed_quantity == -2,
    ),
    # §4.3 transactions, fees, margin
    Case(
        "transaction",
        lambda r: r.transactions.get(N, 5550001),
        "GET",
        f"/accounts/{N}/transactions/5550001",
        TRANSACTION,
        check=lambda res: isinstance(res, Transaction) and res.signed_value == Decimal("-10000.0"),
    ),
    Case(
        "total-fees",
        lambda r: r.transactions.total_fees(N, date(2025, 3, 3)),
        "GET",
        f"/accounts/{N}/transactions/total-fees",
        {"total-fees": "1.5", "total-fees-effect": "Debit"},
        query=[("date", "2025-03-03")],
        check=lambda res: res.signed_total_fees == Decimal("-1.5"),
    ),
    Case(
        "margin-requirements",
        lambda r: r.margin.requirements(N),
        "GET",
        f"/margin/accounts/{N}/requirements",
        {"account-number": N, "margin-requirement": "10", "groups": []},
    ),
    Case(
        "effective-margin",
        lambda r: r.margin.effective_requirement(N, "AAPL"),
        "GET",
        f"/accounts/{N}/margin-requirements/AAPL/effective",
        {"underlying-symbol": "AAPL", "naked-option-floor": "251.0"},
    ),
    Case(
        "margin-config",
        lambda r: r.margin.public_configuration(),
        "GET",
        "/margin-requirements-public-configuration",
        {"risk-free-rate": "0.0025"},
        check=lambda res: res.risk_free_rate == Decimal("0.0025"),
    ),
    # §4.4 orders
    Case(
        "order",
        lambda r: r.orders.get(N, 90001),
        "GET",
        f"/accounts/{N}/orders/90001",
        ORDER,
        check=lambda res: isinstance(res, Order) and res.status is OrderStatus.ROUTED,
    ),
    Case(
        "complex-order",
        lambda r: r.complex_orders.get(N, 12),
        "GET",
        f"/accounts/{N}/complex-orders/12",
        {"id": 12, "account-number": N, "type": "OCO", "orders": [ORDER, ORDER]},
        check=lambda res: len(res.orders) == 2,
    ),
    # §4.6 instruments & chains
    Case(
        "equities",
        lambda r: r.instruments.equities(["AAPL", "BRK/B"], is_etf=False),
        "GET",
        "/instruments/equities",
        _items(EQUITY),
        query=[
            ("is-etf", "false"),
            ("page-offset", "0"),
            ("symbol[]", "AAPL"),
            ("symbol[]", "BRK/B"),
        ],
        check=lambda res: isinstance(res[0], Equity),
    ),
    Case(
        "equity",
        lambda r: r.instruments.equity("BRK/B"),
        "GET",
        "/instruments/equities/BRK%2FB",
        EQUITY,
    ),
    Case(
        "equity-option",
        lambda r: r.instruments.equity_option("SPY   250117C00500000"),
        "GET",
        "/instruments/equity-options/SPY%20%20%20250117C00500000",
        OPTION,
        check=lambda res: isinstance(res, EquityOption) and res.strike_price == 500,
    ),
    Case(
        "equity-options",
        lambda r: r.instruments.equity_options(["SPY   250117C00500000"], active=True),
        "GET",
        "/instruments/equity-options",
        _items(OPTION),
        query=[("active", "true"), ("symbol[]", "SPY   250117C00500000")],
    ),
    Case(
        "future",
        lambda r: r.instruments.future("/ESZ6"),
        "GET",
        "/instruments/futures/ESZ6",
        FUTURE,
        check=lambda res: isinstance(res, Future) and res.symbol == "/ESZ6",
    ),
    Case(
        "futures",
        lambda r: r.instruments.futures(product_codes=["ES"], only_active=True),
        "GET",
        "/instruments/futures",
        _items(FUTURE),
        query=[("only-active-futures", "true"), ("page-offset", "0"), ("product-code[]", "ES")],
    ),
    Case(
        "future-product",
        lambda r: r.instruments.future_product("/ES"),
        "GET",
        "/instruments/future-products/CME/ES",
        {"root-symbol": "/ES", "code": "ES"},
    ),
    Case(
        "future-products",
        lambda r: r.instruments.future_products(),
        "GET",
        "/instruments/future-products",
        _items({"root-symbol": "/ES", "code": "ES"}),
        query=[("page-offset", "0")],
    ),
    Case(
        "future-option-product",
        lambda r: r.instruments.future_option_product("EW1", "CME"),
        "GET",
        "/instruments/future-option-products/CME/EW1",
        {"root-symbol": "EW1"},
    ),
    Case(
        "future-option-products",
        lambda r: r.instruments.future_option_products(),
        "GET",
        "/instruments/future-option-products",
        _items({"root-symbol": "EW1"}),
    ),
    Case(
        "future-option",
        lambda r: r.instruments.future_option("./ESZ6 EW4Z6 261218P2975"),
        "GET",
        "/instruments/future-options/.%2FESZ6%20EW4Z6%20261218P2975",
        FUTURE_OPTION,
        check=lambda res: isinstance(res, FutureOption) and res.maturity_date == date(2026, 12, 18),
    ),
    Case(
        "future-options",
        lambda r: r.instruments.future_options(option_root_symbol="EW4"),
        "GET",
        "/instruments/future-options",
        _items(FUTURE_OPTION),
        query=[("option-root-symbol", "EW4")],
    ),
    Case(
        "crypto",
        lambda r: r.instruments.cryptocurrency("BTC/USD"),
        "GET",
        "/instruments/cryptocurrencies/BTC%2FUSD",
        {"instrument-type": "Cryptocurrency", "symbol": "BTC/USD"},
    ),
    Case(
        "cryptos",
        lambda r: r.instruments.cryptocurrencies(["BTC/USD"]),
        "GET",
        "/instruments/cryptocurrencies",
        _items({"instrument-type": "Cryptocurrency", "symbol": "BTC/USD"}),
        query=[("symbol[]", "BTC/USD")],
    ),
    Case(
        "warrant",
        lambda r: r.instruments.warrant("ABC.WS"),
        "GET",
        "/instruments/warrants/ABC.WS",
        {"symbol": "ABC.WS", "instrument-type": "Warrant"},
    ),
    Case(
        "warrants",
        lambda r: r.instruments.warrants(),
        "GET",
        "/instruments/warrants",
        _items({"symbol": "ABC.WS", "instrument-type": "Warrant"}),
    ),
    Case(
        "currency-pairs",
        lambda r: r.instruments.currency_pairs(),
        "GET",
        "/instruments/currency-pairs",
        _items({"symbol": "EUR/USD", "dx-symbol": "EUR/USD"}),
    ),
    Case(
        "precisions",
        lambda r: r.instruments.quantity_decimal_precisions(),
        "GET",
        "/instruments/quantity-decimal-precisions",
        _items({"instrument-type": "Cryptocurrency", "symbol": "BTC/USD", "value": 8}),
        check=lambda res: res[0].value == 8,
    ),
    Case(
        "search",
        lambda r: r.instruments.search("SP", limit=5),
        "GET",
        "/instruments/search",
        _items({"symbol": "SPY", "instrument-type": "Equity"}),
        query=[("limit", "5"), ("query", "SP")],
    ),
    Case(
        "symbol-search",
        lambda r: r.instruments.symbol_search("BRK/"),
        "GET",
        "/symbols/search/BRK%2F",
        _items({"symbol": "BRK/B", "description": "Berkshire"}),
    ),
    Case(
        "active-equities",
        lambda r: r.instruments.active_equities(),
        "GET",
        "/instruments/equities/active",
        _items(EQUITY),
        query=[("page-offset", "0"), ("per-page", "1000")],
    ),
    Case(
        "chain",
        lambda r: r.chains.option_chain("SPY"),
        "GET",
        "/option-chains/SPY",
        _items(OPTION),
    ),
    Case(
        "chain-nested",
        lambda r: r.chains.nested("BRK/B"),
        "GET",
        "/option-chains/BRK%2FB/nested",
        _items({"underlying-symbol": "BRK/B", "root-symbol": "BRK/B", "expirations": []}),
    ),
    Case(
        "chain-compact",
        lambda r: r.chains.compact("AAPL"),
        "GET",
        "/option-chains/AAPL/compact",
        _items({"underlying-symbol": "AAPL", "root-symbol": "AAPL", "symbols": ["X"]}),
    ),
    Case(
        "futures-chain",
        lambda r: r.chains.futures_option_chain("/ES"),
        "GET",
        "/futures-option-chains/ES",
        _items(FUTURE_OPTION),
    ),
    Case(
        "futures-chain-nested",
        lambda r: r.chains.futures_nested("ES"),
        "GET",
        "/futures-option-chains/ES/nested",
        {"futures": [{"symbol": "/ESZ6"}], "option-chains": []},
        check=lambda res: res.futures[0].symbol == "/ESZ6",
    ),
    # §4.7 market data, metrics, sessions, watchlists, alerts
    Case(
        "market-data-by-symbol",
        lambda r: r.market_data.by_symbol("Index", "VIX"),
        "GET",
        "/market-data/Index/VIX",
        {"symbol": "VIX", "instrument-type": "Index", "last": "15.8"},
        check=lambda res: isinstance(res, MarketData) and res.last == Decimal("15.8"),
    ),
    Case(
        "market-data-by-symbol-option",
        lambda r: r.market_data.by_symbol("Equity Option", "SPY   250117C00500000"),
        "GET",
        "/market-data/Equity%20Option/SPY%20%20%20250117C00500000",
        {"symbol": "SPY   250117C00500000", "instrument-type": "Equity Option"},
    ),
    Case(
        "dividends",
        lambda r: r.metrics.dividends("AAPL"),
        "GET",
        "/market-metrics/historic-corporate-events/dividends/AAPL",
        _items({"occurred-date": "2025-01-02", "amount": "0.25"}),
    ),
    Case(
        "earnings",
        lambda r: r.metrics.earnings("AAPL", date(2024, 1, 1)),
        "GET",
        "/market-metrics/historic-corporate-events/earnings-reports/AAPL",
        _items({"occurred-date": "2025-01-30", "eps": "2.4"}),
        query=[("start-date", "2024-01-01")],
    ),
    Case(
        "sessions-current",
        lambda r: r.sessions.current(["Equity", "CME"]),
        "GET",
        "/market-time/sessions/current",
        _items(SESSION),
        query=[("instrument-collections[]", "CME"), ("instrument-collections[]", "Equity")],
    ),
    Case(
        "sessions-range",
        lambda r: r.sessions.sessions("Equity", from_date=date(2026, 1, 1)),
        "GET",
        "/market-time/sessions",
        _items(DAY),
        query=[("from-date", "2026-01-01"), ("instrument-collection", "Equity")],
    ),
    Case(
        "equity-session-next",
        lambda r: r.sessions.equity_next(day=date(2026, 8, 4)),
        "GET",
        "/market-time/equities/sessions/next",
        DAY,
        query=[("date", "2026-08-04")],
        check=lambda res: isinstance(res, SessionInfo) and res.session_date == date(2026, 8, 5),
    ),
    Case(
        "equity-session-previous",
        lambda r: r.sessions.equity_previous(),
        "GET",
        "/market-time/equities/sessions/previous",
        DAY,
    ),
    Case(
        "equity-session-current",
        lambda r: r.sessions.equity_current(),
        "GET",
        "/market-time/equities/sessions/current",
        {**SESSION, "next-session": DAY},
        check=lambda res: res.state is MarketSessionState.OPEN and res.next_session is not None,
    ),
    Case(
        "equity-holidays",
        lambda r: r.sessions.equity_holidays(),
        "GET",
        "/market-time/equities/holidays",
        {"market-half-days": ["2026-11-27"], "market-holidays": ["2026-12-25"]},
        check=lambda res: res.market_holidays == (date(2026, 12, 25),),
    ),
    Case(
        "futures-session",
        lambda r: r.sessions.futures_current("CME"),
        "GET",
        "/market-time/futures/sessions/current/CME",
        {"instrument-collection": "CME", "state": "Closed"},
    ),
    Case(
        "futures-session-all",
        lambda r: r.sessions.futures_current(),
        "GET",
        "/market-time/futures/sessions/current",
        {"instrument-collection": "CME", "state": "Closed"},
    ),
    Case(
        "futures-session-next",
        lambda r: r.sessions.futures_next("CFE"),
        "GET",
        "/market-time/futures/sessions/next/CFE",
        DAY,
    ),
    Case(
        "futures-session-previous",
        lambda r: r.sessions.futures_previous(),
        "GET",
        "/market-time/futures/sessions/previous/CME",
        DAY,
    ),
    Case(
        "futures-holidays",
        lambda r: r.sessions.futures_holidays("CFE"),
        "GET",
        "/market-time/futures/holidays/CFE",
        {"market-holidays": []},
    ),
    Case(
        "public-watchlists",
        lambda r: r.watchlists.public(counts_only=False),
        "GET",
        "/public-watchlists",
        _items(WATCHLIST),
        query=[("counts-only", "false")],
    ),
    Case(
        "public-watchlist",
        lambda r: r.watchlists.public_get("High Options Volume"),
        "GET",
        "/public-watchlists/High%20Options%20Volume",
        WATCHLIST,
    ),
    Case(
        "private-watchlists",
        lambda r: r.watchlists.private(),
        "GET",
        "/watchlists",
        _items(WATCHLIST),
    ),
    Case(
        "private-watchlist",
        lambda r: r.watchlists.get("mine"),
        "GET",
        "/watchlists/mine",
        WATCHLIST,
        check=lambda res: isinstance(res, Watchlist) and res.name == "mine",
    ),
    Case(
        "pairs-watchlists",
        lambda r: r.watchlists.pairs(),
        "GET",
        "/pairs-watchlists",
        _items({"name": "p", "pairs-equations": []}),
    ),
    Case(
        "pairs-watchlist",
        lambda r: r.watchlists.pairs_get("p"),
        "GET",
        "/pairs-watchlists/p",
        {"name": "p", "order-index": 1},
    ),
    Case(
        "alerts",
        lambda r: r.alerts.list(),
        "GET",
        "/quote-alerts",
        _items(ALERT),
        check=lambda res: isinstance(res[0], QuoteAlert) and res[0].expires_at is not None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_endpoint(case: Case) -> None:
    api = FakeApi()
    api.add(case.method, case.path, case.data)
    async with rest_over(api) as rest:
        result = await case.call(rest)
    assert len(api.requests) == 1
    request = api.last
    assert request.method == case.method
    assert FakeApi.raw_path(request) == case.path
    assert sorted(FakeApi.query(request)) == sorted(case.query)
    assert request.content == b""
    expected = case.expected
    if expected is SERVED:
        expected = case.data["items"] if isinstance(result, list) else case.data
    assert_parsed(result, expected)
    assert case.check(result)


def test_every_area_is_on_the_aggregate() -> None:
    names = {
        "customers",
        "accounts",
        "balances",
        "positions",
        "transactions",
        "orders",
        "complex_orders",
        "margin",
        "instruments",
        "chains",
        "market_data",
        "metrics",
        "sessions",
        "watchlists",
        "alerts",
        "quote_tokens",
    }
    rest = Rest(http=FakeHttp())
    assert all(hasattr(rest, name) for name in names)
    assert {type(getattr(rest, n)).__module__.split(".")[2] for n in names} == {"rest"}


class FakeHttp:
    """Just enough to construct ``Rest`` without a transport."""

    errors = ErrorStream()

    async def request(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        raise AssertionError("not used")

    async def get_data(self, path: str, params: Any = None) -> Any:
        raise AssertionError("not used")

    async def send(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        raise AssertionError("not used")

    def paginate(self, path: str, params: Any = None, *, per_page: int | None = None) -> Any:
        raise AssertionError("not used")


@pytest.mark.parametrize(
    ("served", "complaint"),
    [
        ({**ORDER, "price": "181.0"}, "result.price: Decimal('180.0') from '181.0'"),
        ({**ORDER, "status": "Filled"}, "result.status"),
        ({**ORDER, "cancellable": 0}, "result.cancellable"),
        ({**ORDER, "not-a-field": 1}, "'not-a-field' is not a declared field"),
        ({**ORDER, "legs": []}, "result.legs: 1 items, served 0"),
        ({**ORDER, "received-at": "2025-03-03T15:00:00.200+00:00"}, "result.received_at"),
        ({**ORDER, "updated-at": 1741014000101}, "result.updated_at"),
    ],
)
def test_the_content_check_can_fail(served: dict[str, Any], complaint: str) -> None:
    order = Order.model_validate(ORDER)
    with pytest.raises(AssertionError, match=re.escape(complaint)):
        assert_parsed(order, served)


def test_numbers_and_dates_kept_as_text_are_caught() -> None:
    loose = SymbolData.model_validate({"symbol": "2026-01-02"})
    with pytest.raises(AssertionError, match="kept as text"):
        assert_parsed(loose, {"symbol": "2026-01-02"})
