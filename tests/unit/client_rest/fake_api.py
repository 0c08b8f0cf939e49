"""A tiny in-process Tastytrade REST stand-in for ``httpx.MockTransport`` and wire payloads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import httpx

from adapters.tastytrade.backoff import RetryPolicy
from adapters.tastytrade.http import HttpSession
from adapters.tastytrade.rest import Rest

Responder = Callable[[httpx.Request], httpx.Response]


class FakeApi:
    """Routes ``(method, raw path)`` to canned bodies and records every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Responder]] = {}
        self.requests: list[httpx.Request] = []

    def add(
        self, method: str, path: str, data: Any = None, *, status: int = 200, **top: Any
    ) -> None:
        """Queue one answer ``{"data": data, "context": path, **top}`` (204 → empty body)."""

        def respond(request: httpx.Request) -> httpx.Response:
            if status == 204:
                return httpx.Response(204)
            body = {"data": data, "context": path, **top}
            return httpx.Response(status, json=body)

        self.routes.setdefault((method, path), []).append(respond)

    def add_raw(self, method: str, path: str, status: int, body: Any) -> None:
        self.routes.setdefault((method, path), []).append(
            lambda request: httpx.Response(status, json=body)
        )

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.raw_path.split(b"?", 1)[0].decode()
        queue = self.routes.get((request.method, path))
        if not queue:
            return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})
        responder = queue.pop(0) if len(queue) > 1 else queue[0]
        return responder(request)

    # --- inspection --------------------------------------------------------------------------
    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    @staticmethod
    def raw_path(request: httpx.Request) -> str:
        return request.url.raw_path.split(b"?", 1)[0].decode()

    @staticmethod
    def query(request: httpx.Request) -> list[tuple[str, str]]:
        return parse_qsl(request.url.query.decode(), keep_blank_values=True)

    @staticmethod
    def body(request: httpx.Request) -> Any:
        return json.loads(request.content) if request.content else None


@asynccontextmanager
async def rest_over(api: FakeApi) -> AsyncIterator[Rest]:
    policy = RetryPolicy(attempts=1)
    async with HttpSession(
        "https://api.test", None, transport=httpx.MockTransport(api.handler), retry_policy=policy
    ) as http:
        yield Rest(http)


ORDER: dict[str, Any] = {
    "id": 90001,
    "account-number": "5WT00001",
    "time-in-force": "Day",
    "order-type": "Limit",
    "size": 1,
    "underlying-symbol": "AAPL",
    "underlying-instrument-type": "Equity",
    "price": "180.0",
    "price-effect": "Debit",
    "status": "Routed",
    "cancellable": False,
    "editable": False,
    "edited": False,
    "received-at": "2025-03-03T15:00:00.100+00:00",
    "updated-at": 1741014000100,
    "legs": [
        {
            "instrument-type": "Equity",
            "symbol": "AAPL",
            "quantity": 1,
            "remaining-quantity": 1,
            "action": "Buy to Open",
            "fills": [],
        }
    ],
}
BUYING_POWER = {
    "change-in-margin-requirement": "90.0",
    "change-in-margin-requirement-effect": "Debit",
    "change-in-buying-power": "90.01",
    "change-in-buying-power-effect": "Debit",
    "current-buying-power": "10000.0",
    "current-buying-power-effect": "Credit",
    "new-buying-power": "9909.99",
    "new-buying-power-effect": "Credit",
    "isolated-order-margin-requirement": "90.0",
    "isolated-order-margin-requirement-effect": "Debit",
    "is-spread": False,
    "impact": "90.01",
    "effect": "Debit",
}
FEES = {
    "regulatory-fees": "0.0",
    "regulatory-fees-effect": "None",
    "clearing-fees": "0.01",
    "clearing-fees-effect": "Debit",
    "commission": "0.0",
    "commission-effect": "None",
    "proprietary-index-option-fees": "0.0",
    "proprietary-index-option-fees-effect": "None",
    "total-fees": "0.01",
    "total-fees-effect": "Debit",
}
PLACED = {
    "order": ORDER,
    "warnings": [],
    "buying-power-effect": BUYING_POWER,
    "fee-calculation": FEES,
}
POSITION = {
    "account-number": "5WT00001",
    "symbol": "SPY   250117C00500000",
    "instrument-type": "Equity Option",
    "underlying-symbol": "SPY",
    "quantity": "2",
    "quantity-direction": "Short",
    "close-price": "4.35",
    "average-open-price": "5.10",
    "multiplier": 100,
    "cost-effect": "Credit",
    "is-suppressed": False,
    "is-frozen": False,
    "realized-day-gain": "0.0",
    "realized-day-gain-effect": "None",
    "realized-today": "0.0",
    "realized-today-effect": "None",
    "created-at": "2024-11-01T14:02:11.120+00:00",
    "updated-at": "2024-11-20T15:00:00.000+00:00",
}
TRANSACTION = {
    "id": 5550001,
    "account-number": "5WT00001",
    "transaction-type": "Trade",
    "transaction-sub-type": "Buy to Open",
    "description": "Bought 100 AAPL @ 100.00",
    "executed-at": "2025-03-03T15:00:00.500+00:00",
    "transaction-date": "2025-03-03",
    "value": "10000.0",
    "value-effect": "Debit",
    "net-value": "10000.08",
    "net-value-effect": "Debit",
    "is-estimated-fee": True,
}
BALANCE = {
    "account-number": "5WT00001",
    "currency": "USD",
    "cash-balance": "10000.0",
    "net-liquidating-value": "15500.0",
    "pending-cash": "0.0",
    "pending-cash-effect": "None",
    "updated-at": "2026-08-03T14:30:00.000+00:00",
}
EQUITY = {
    "instrument-type": "Equity",
    "symbol": "AAPL",
    "id": 1,
    "streamer-symbol": "AAPL",
    "tick-sizes": [{"threshold": "1.0", "value": "0.0001"}, {"value": "0.01"}],
}
OPTION = {
    "instrument-type": "Equity Option",
    "symbol": "SPY   250117C00500000",
    "strike-price": "500.0",
    "root-symbol": "SPY",
    "underlying-symbol": "SPY",
    "expiration-date": "2025-01-17",
    "option-type": "C",
    "streamer-symbol": ".SPY250117C500",
}
FUTURE = {"symbol": "/ESZ6", "product-code": "ES", "streamer-symbol": "/ESZ26:XCME"}
FUTURE_OPTION = {
    "symbol": "./ESZ6 EW4Z6 261218P2975",
    "underlying-symbol": "/ESZ6",
    "expiration-date": "2026-12-18",
    "strike-price": "2975.0",
    "option-type": "P",
    "maturity-date": "2026-12-18 14:30:00",
}
MARKET_DATA = {"symbol": "AAPL", "instrument-type": "Equity", "bid": "210.55", "ask": "210.6"}
WATCHLIST = {"name": "mine", "watchlist-entries": [{"symbol": "AAPL", "instrument-type": "Equity"}]}
ALERT = {
    "alert-external-id": "alert-1",
    "symbol": "AAPL",
    "field": "Last",
    "operator": ">",
    "threshold": "200.00",
    "expires-at": 1788595114405,
}
