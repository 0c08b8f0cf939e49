"""Every read-only REST area through our client: models parse with no ParseWarning, values agree
with the sandbox's documented defaults and with each other (one sandbox for the module)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from adapters.tastytrade import (
    AuthError,
    Client,
    NotFound,
    crypto_to_streamer,
    future_option_to_streamer,
    occ_to_streamer,
)
from adapters.tastytrade.http import RequestMetric
from adapters.tastytrade.models import InstrumentType, MarketSessionState
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import (
    ACCOUNT,
    OPEN,
    open_client,
    open_sandbox,
    warnings_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Shared:
    server: SandboxServer
    client: Client
    requests: list[RequestMetric] = field(default_factory=list)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared() -> AsyncIterator[Shared]:
    requests: list[RequestMetric] = []
    async with open_sandbox() as server, open_client(server, metrics=requests.append) as client:
        yield Shared(server, client, requests)


@pytest.fixture
def api(shared: Shared) -> Iterator[Client]:
    shared.client.errors.drain()
    shared.requests.clear()
    yield shared.client
    assert warnings_of(shared.client) == []


async def test_customer_and_accounts(api: Client) -> None:
    me = await api.rest.customers.me()
    assert (me.id, me.first_name, me.last_name) == ("C0000001", "Sandy", "Box")
    assert (await api.rest.customers.get("C0000001")).id == "C0000001"
    links = await api.rest.accounts.customer_accounts()
    assert [link.account.account_number for link in links] == ["5WT00001", "5WT00002", "5WT00003"]
    assert [str(link.account.margin_or_cash) for link in links] == ["Margin", "Margin", "Cash"]
    account = await api.rest.accounts.get(ACCOUNT)
    assert (account.account_number, account.is_closed) == (ACCOUNT, False)
    status = await api.rest.accounts.trading_status(ACCOUNT)
    assert (status.account_number, status.is_frozen, status.is_closing_only) == (
        ACCOUNT,
        False,
        False,
    )
    limit = await api.rest.accounts.position_limit(ACCOUNT)
    assert limit.account_number == ACCOUNT
    assert limit.equity_order_size is not None
    assert limit.equity_order_size > 0


async def test_balances_snapshots_net_liq_and_margin(api: Client) -> None:
    balance = await api.rest.balances.get_balances(ACCOUNT)
    assert (balance.account_number, balance.currency) == (ACCOUNT, "USD")
    assert balance.cash_balance == Decimal("100000")
    default = await api.rest.balances.get_balances(ACCOUNT, currency=None)
    assert default.cash_balance == balance.cash_balance
    snapshots = await api.rest.balances.snapshots(ACCOUNT, per_page=1)
    assert snapshots
    assert {s.account_number for s in snapshots} == {ACCOUNT}
    assert snapshots[-1].cash_balance == Decimal("100000")
    history = await api.rest.accounts.net_liq_history(ACCOUNT, time_back="1m")
    assert history
    assert history[-1].close == Decimal("100000")
    report = await api.rest.margin.requirements(ACCOUNT)
    assert report.account_number == ACCOUNT
    assert report.margin_requirement == 0
    assert (await api.rest.margin.public_configuration()).risk_free_rate > 0


async def test_empty_account_history(api: Client) -> None:
    assert await api.rest.positions.get_positions(ACCOUNT) == []
    assert await api.rest.transactions.list(ACCOUNT) == []
    fees = await api.rest.transactions.total_fees(ACCOUNT)
    assert fees.total_fees == 0
    assert await api.rest.orders.get_live_orders(ACCOUNT) == []
    assert await api.rest.orders.history(ACCOUNT, start_date=OPEN.date()) == []
    assert await api.rest.complex_orders.get_live(ACCOUNT) == []


async def test_equities_and_search(api: Client) -> None:
    pair = await api.rest.instruments.equities(["SPY", "AAPL"])
    assert sorted(e.symbol for e in pair) == ["AAPL", "SPY"]
    active = await api.rest.instruments.active_equities(per_page=5)  # several pages
    symbols = {e.symbol for e in active}
    assert {"SPY", "AAPL", "MSFT", "SPX"} <= symbols
    assert len(active) == len(symbols) > 5
    aapl = await api.rest.instruments.equity("AAPL")
    assert (aapl.symbol, aapl.streamer_symbol, aapl.is_etf) == ("AAPL", "AAPL", False)
    found = await api.rest.instruments.search("AAP")
    assert "AAPL" in [r.symbol for r in found]
    by_prefix = await api.rest.instruments.symbol_search("AAP")
    assert "AAPL" in [r.symbol for r in by_prefix]


async def test_option_chains_agree_with_the_instruments_endpoint(api: Client) -> None:
    full = await api.rest.chains.option_chain("SPY")
    (nested,) = await api.rest.chains.nested("SPY")
    compact = await api.rest.chains.compact("SPY")
    nested_streamers: dict[str, str | None] = {}
    for expiration in nested.expirations:
        for strike in expiration.strikes:
            assert strike.call is not None
            assert strike.put is not None
            nested_streamers[strike.call] = strike.call_streamer_symbol
            nested_streamers[strike.put] = strike.put_streamer_symbol
    assert set(nested_streamers) == {o.symbol for o in full}
    assert {o.symbol: o.streamer_symbol for o in full} == nested_streamers
    compact_pairs = {
        s: ss for c in compact for s, ss in zip(c.symbols, c.streamer_symbols, strict=True)
    }
    assert compact_pairs == nested_streamers
    sample = sorted(nested_streamers)[:: max(1, len(nested_streamers) // 40)][:40]
    instruments = await api.rest.instruments.equity_options(sample)
    assert {o.symbol: o.streamer_symbol for o in instruments} == {
        s: nested_streamers[s] for s in sample
    }
    for occ in sample:  # the client's OCC → streamer conversion matches the server's
        assert occ_to_streamer(occ) == nested_streamers[occ]
    one = await api.rest.instruments.equity_option(sample[0])
    assert one.symbol == sample[0]
    assert one.underlying_symbol == "SPY"


async def test_futures_future_options_and_their_chains(api: Client) -> None:
    futures = await api.rest.instruments.futures(product_codes=["ES"])
    assert futures
    assert {f.product_code for f in futures} == {"ES"}
    front = futures[0]
    assert front.symbol.startswith("/ES")
    assert (await api.rest.instruments.future(front.symbol)).symbol == front.symbol
    products = await api.rest.instruments.future_products()
    assert "ES" in {p.code for p in products}
    assert (await api.rest.instruments.future_product("ES")).root_symbol == "/ES"
    option_products = await api.rest.instruments.future_option_products()
    assert "ES" in {p.root_symbol for p in option_products}
    assert (await api.rest.instruments.future_option_product("ES")).code == "ES"
    chain = await api.rest.chains.futures_option_chain("ES")
    assert chain
    nested = await api.rest.chains.futures_nested("/ES")
    assert {f.symbol for f in nested.futures} >= {f.underlying_symbol for f in chain[:50]}
    option = chain[0]
    assert future_option_to_streamer(option.symbol, "XCME") == option.streamer_symbol
    same = await api.rest.instruments.future_option(option.symbol)
    assert (same.symbol, same.streamer_symbol) == (option.symbol, option.streamer_symbol)
    listed = await api.rest.instruments.future_options([option.symbol])
    assert [o.symbol for o in listed] == [option.symbol]


async def test_crypto_warrants_pairs_and_precisions(api: Client) -> None:
    cryptos = await api.rest.instruments.cryptocurrencies()
    assert "BTC/USD" in {c.symbol for c in cryptos}
    btc = await api.rest.instruments.cryptocurrency("BTC/USD")
    assert btc.symbol == "BTC/USD"
    assert btc.streamer_symbol == crypto_to_streamer("BTC/USD")
    warrants = await api.rest.instruments.warrants()
    assert {w.symbol for w in warrants} == {"SOFIW", "LCIDW"}
    assert (await api.rest.instruments.warrant("SOFIW")).symbol == "SOFIW"
    pairs = await api.rest.instruments.currency_pairs()
    assert "EUR/USD" in {p.symbol for p in pairs}
    precisions = await api.rest.instruments.quantity_decimal_precisions()
    btc_precision = [p for p in precisions if p.symbol == "BTC/USD"]
    assert btc_precision
    assert btc_precision[0].value == 8


async def test_market_data_is_chunked_and_consistent(api: Client, shared: Shared) -> None:
    (nested,) = await api.rest.chains.nested("SPY")
    options = [s.call for e in nested.expirations for s in e.strikes if s.call][:130]
    assert len(options) == 130
    shared.requests.clear()
    data = await api.rest.market_data.by_type(equity=["SPY", "AAPL"], equity_option=options)
    by_type_calls = [m for m in shared.requests if m.path == "/market-data/by-type"]
    assert [m.status for m in by_type_calls] == [200, 200]  # 132 symbols → 2 requests
    assert {d.symbol for d in data} == {"SPY", "AAPL", *options}
    assert len(data) == 132
    spy = next(d for d in data if d.symbol == "SPY")
    assert spy.instrument_type == InstrumentType.EQUITY
    assert spy.bid is not None
    assert spy.ask is not None
    assert spy.mark is not None
    assert spy.bid < spy.ask
    assert spy.bid <= spy.mark <= spy.ask
    assert spy.mid is not None
    assert spy.bid <= spy.mid <= spy.ask
    for option in (d for d in data if d.instrument_type == InstrumentType.EQUITY_OPTION):
        assert option.bid is not None
        assert option.ask is not None
        assert 0 <= option.bid <= option.ask
    vix = await api.rest.market_data.by_symbol("Index", "VIX")
    assert (vix.symbol, vix.instrument_type) == ("VIX", InstrumentType.INDEX)
    assert vix.bid is not None
    assert vix.ask is not None
    assert vix.bid <= vix.ask


async def test_metrics_dividends_and_earnings(api: Client) -> None:
    metrics = await api.rest.metrics.market_metrics(["SPY", "AAPL"])
    assert sorted(m.symbol for m in metrics) == ["AAPL", "SPY"]
    dividends = await api.rest.metrics.dividends("AAPL")
    assert dividends
    assert all(d.amount is not None and d.amount > 0 for d in dividends)
    earnings = await api.rest.metrics.earnings("AAPL", date(2025, 1, 1))
    assert earnings
    assert all(e.occurred_date >= date(2025, 1, 1) for e in earnings)


async def test_sessions_and_holidays(api: Client) -> None:
    current = await api.rest.sessions.current(["Equity", "CME"])
    assert {s.instrument_collection for s in current} == {"Equity", "CME"}
    equity = await api.rest.sessions.equity_current()
    assert equity.state == MarketSessionState.OPEN
    assert equity.open_at is not None
    assert equity.close_at is not None
    assert equity.open_at <= OPEN < equity.close_at
    upcoming = await api.rest.sessions.equity_next()
    previous = await api.rest.sessions.equity_previous()
    assert previous.session_date < OPEN.date() < upcoming.session_date
    holidays = await api.rest.sessions.equity_holidays()
    assert date(2026, 11, 26) in holidays.market_holidays  # Thanksgiving
    assert upcoming.session_date == date(2026, 11, 27)  # …so the next session is Friday
    cme = await api.rest.sessions.futures_current("CME")
    assert cme.instrument_collection == "CME"
    assert (await api.rest.sessions.futures_next()).instrument_collection == "CME"
    assert (await api.rest.sessions.futures_holidays()).market_holidays
    days = await api.rest.sessions.sessions(
        "Equity", from_date=date(2026, 11, 23), to_date=date(2026, 11, 27)
    )
    assert [d.session_date for d in days] == [
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
        date(2026, 11, 27),
    ]


async def test_public_and_pairs_watchlists_and_quote_tokens(api: Client, shared: Shared) -> None:
    public = await api.rest.watchlists.public()
    assert public
    first = await api.rest.watchlists.public_get(public[0].name)
    assert first.name == public[0].name
    assert first.watchlist_entries
    assert first.watchlist_entries == public[0].watchlist_entries
    pairs = await api.rest.watchlists.pairs()
    assert pairs
    assert (await api.rest.watchlists.pairs_get(pairs[0].name)).name == pairs[0].name
    token = await api.rest.quote_tokens.get()
    assert token.dxlink_url == shared.server.dxlink_url
    assert token.level == "api"


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.rest.orders.get(ACCOUNT, 999_999),
        lambda api: api.rest.complex_orders.get(ACCOUNT, 1),
        lambda api: api.rest.transactions.get(ACCOUNT, 424_242),
        lambda api: api.rest.instruments.equity("ZZZZ"),
        lambda api: api.rest.instruments.future("/ZZZ9"),
        lambda api: api.rest.instruments.equity_option("SPY   991231C00100000"),
        lambda api: api.rest.market_data.by_symbol("Equity", "ZZZZ"),
        lambda api: api.rest.watchlists.get("no-such-list"),
        lambda api: api.http.get_data("/no/such/endpoint"),
    ],
    ids=[
        "order",
        "complex",
        "transaction",
        "equity",
        "future",
        "option",
        "quote",
        "watchlist",
        "path",
    ],
)
async def test_unknown_resources_are_not_found(api: Client, call: Any) -> None:
    with pytest.raises(NotFound) as caught:
        await call(api)
    assert caught.value.status == 404
    assert caught.value.code
    assert caught.value.retriable is False
    assert api.errors.drain() == []  # a 404 is not retried


async def test_another_customers_records_are_forbidden(api: Client) -> None:
    for call in (api.rest.accounts.get("5WT00099"), api.rest.customers.get("C0000002")):
        with pytest.raises(AuthError) as caught:
            await call
        assert (caught.value.status, caught.value.code) == (403, "not_permitted")
