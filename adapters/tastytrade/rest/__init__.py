"""Every REST area of the Tastytrade API (§4 of the wire reference), typed.

``Rest(http)`` bundles one object per area around an ``HttpSession``::

    rest = Rest(http)
    accounts = await rest.accounts.list()
    balance = await rest.balances.get_balances(accounts[0].account_number)
"""

from __future__ import annotations

from adapters.tastytrade.rest.accounts import AccountsApi, CustomersApi, QuoteTokensApi, TimeBack
from adapters.tastytrade.rest.balances import BalancesApi, PositionsApi
from adapters.tastytrade.rest.base import (
    MAX_SYMBOLS_PER_REQUEST,
    Area,
    Body,
    HttpSession,
    Params,
    SupportsWire,
)
from adapters.tastytrade.rest.chains import ChainsApi
from adapters.tastytrade.rest.instruments import InstrumentsApi
from adapters.tastytrade.rest.margin import MarginApi
from adapters.tastytrade.rest.market_data import MarketDataApi, MetricsApi
from adapters.tastytrade.rest.orders import ComplexOrdersApi, OrdersApi
from adapters.tastytrade.rest.sessions import SessionsApi
from adapters.tastytrade.rest.transactions import Sort, TransactionsApi
from adapters.tastytrade.rest.watchlists import AlertsApi, WatchlistsApi


class Rest:
    """All REST areas over one session; cheap to build, holds no state of its own."""

    def __init__(self, http: HttpSession) -> None:
        self.http = http
        self.customers = CustomersApi(http)
        self.accounts = AccountsApi(http)
        self.balances = BalancesApi(http)
        self.positions = PositionsApi(http)
        self.transactions = TransactionsApi(http)
        self.orders = OrdersApi(http)
        self.complex_orders = ComplexOrdersApi(http)
        self.margin = MarginApi(http)
        self.instruments = InstrumentsApi(http)
        self.chains = ChainsApi(http)
        self.market_data = MarketDataApi(http)
        self.metrics = MetricsApi(http)
        self.sessions = SessionsApi(http)
        self.watchlists = WatchlistsApi(http)
        self.alerts = AlertsApi(http)
        self.quote_tokens = QuoteTokensApi(http)


__all__ = [
    "MAX_SYMBOLS_PER_REQUEST",
    "AccountsApi",
    "AlertsApi",
    "Area",
    "BalancesApi",
    "Body",
    "ChainsApi",
    "ComplexOrdersApi",
    "CustomersApi",
    "HttpSession",
    "InstrumentsApi",
    "MarginApi",
    "MarketDataApi",
    "MetricsApi",
    "OrdersApi",
    "Params",
    "PositionsApi",
    "QuoteTokensApi",
    "Rest",
    "SessionsApi",
    "Sort",
    "SupportsWire",
    "TimeBack",
    "TransactionsApi",
    "WatchlistsApi",
]
