"""A stateful Tastytrade orders stand-in for ``httpx.MockTransport`` with scripted faults.

Faults for the next POST/DELETE: ``ok``; ``lost`` (the order is created, then the response
is lost: a read timeout); ``500-after`` (created, then a 500); ``unsent`` (timeout, nothing happened); ``500`` / ``429``; ``422``
(preflight rejection with nested errors).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from adapters.tastytrade.backoff import RetryPolicy
from adapters.tastytrade.http import HttpSession
from adapters.tastytrade.rest import Rest

ACCOUNT = "5WT00001"


class FakeBroker:
    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        """Orders of earlier days: in ``GET /orders`` (history), not in ``/orders/live``."""
        self.faults: list[str] = []
        self._ids = iter(range(1000, 10**6))
        self.writes = 0

    def _order(self, body: dict[str, Any]) -> dict[str, Any]:
        order = {
            "id": next(self._ids),
            "account-number": ACCOUNT,
            "status": "Live",
            "order-type": body.get("order-type", "Limit"),
            "time-in-force": body.get("time-in-force", "Day"),
            "external-identifier": body.get("external-identifier"),
            "legs": [],
        }
        self.orders.append(order)
        return order

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        base = f"/accounts/{ACCOUNT}/orders"
        if request.method == "GET" and path == f"{base}/live":
            return httpx.Response(200, json={"data": {"items": self.orders}})
        if request.method == "GET" and path == base:
            page = {"per-page": 100, "page-offset": 0, "total-pages": 1, "total-items": 1}
            items = self.history + self.orders
            return httpx.Response(200, json={"data": {"items": items}, "pagination": page})
        if request.method == "GET" and path.startswith(base + "/"):
            order_id = int(path.rsplit("/", 1)[1])
            for order in self.orders:
                if order["id"] == order_id:
                    return httpx.Response(200, json={"data": order})
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})
        fault = self.faults.pop(0) if self.faults else "ok"
        self.writes += 1
        if fault == "unsent":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault in ("500", "429"):
            code = {"500": "internal_server_error", "429": "too_many_requests"}[fault]
            return httpx.Response(int(fault), json={"error": {"code": code, "message": code}})
        if fault == "422":
            return httpx.Response(
                422,
                json={
                    "error": {
                        "code": "preflight_check_failure",
                        "message": "One or more preflight checks failed",
                        "errors": [{"code": "invalid_symbol", "message": "unknown symbol"}],
                    }
                },
            )
        if request.method == "POST" and path == f"{base}/dry-run":
            preview = {**json.loads(request.content), "status": "Received", "legs": []}
            preview.update({"account-number": ACCOUNT})
            return httpx.Response(201, json={"data": {"order": preview, "errors": []}})
        if request.method == "POST" and path == base:
            order = self._order(json.loads(request.content))
            if fault == "lost":
                raise httpx.ReadTimeout("response lost", request=request)
            if fault == "500-after":
                return httpx.Response(500, json={"error": {"code": "oops", "message": "oops"}})
            return httpx.Response(201, json={"data": {"order": order}})
        if request.method == "DELETE" and path.startswith(base + "/"):
            order_id = int(path.rsplit("/", 1)[1])
            for order in self.orders:
                if order["id"] == order_id:
                    order["status"] = "Cancel Requested"
                    if fault == "lost":
                        raise httpx.ReadTimeout("response lost", request=request)
                    return httpx.Response(200, json={"data": order})
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})

    def with_identifier(self, external_id: str) -> list[dict[str, Any]]:
        return [o for o in self.orders if o["external-identifier"] == external_id]


@asynccontextmanager
async def rest_over(broker: FakeBroker) -> AsyncIterator[Rest]:
    async with HttpSession(
        "https://api.test",
        None,
        transport=httpx.MockTransport(broker.handler),
        retry_policy=RetryPolicy(attempts=1),
    ) as http:
        yield Rest(http)
