"""Watchlists (§4.7): public (read-only, from the catalogue), private (per-customer CRUD) and
pairs watchlists.

* ``GET /public-watchlists`` (``counts-only``), ``GET /public-watchlists/{name}``
* ``GET|POST /watchlists``; ``GET|PUT|DELETE /watchlists/{name}`` — body
  ``{name, group-name?, order-index?, watchlist-entries: [{symbol, instrument-type?}]}``;
  POST answers 201, a duplicate name 422 ``watchlist_already_exists``.
* ``GET /pairs-watchlists``, ``GET /pairs-watchlists/{name}``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox import bounds
from sandbox.state import TradingState
from sandbox.venue import MarketLike
from sandbox.wire import data_response, error_response, items_response

PAIRS = [
    {
        "name": "Index ETFs",
        "order-index": 0,
        "pairs-equations": [
            {
                "left-action": "Buy",
                "left-symbol": "SPY",
                "left-quantity": "1",
                "right-action": "Sell",
                "right-symbol": "QQQ",
                "right-quantity": "1",
            }
        ],
    }
]


def public_watchlists(market: MarketLike) -> list[dict[str, Any]]:
    def entries(kind: str, limit: int) -> list[dict[str, str]]:
        return [
            {"symbol": s, "instrument-type": kind} for s in market.catalog.symbols(kind)[:limit]
        ]

    return [
        {
            "name": "Sandbox Equities",
            "group-name": "tastytrade",
            "order-index": 0,
            "cms-id": "sbx-equities",
            "watchlist-entries": entries("Equity", 50),
        },
        {
            "name": "Sandbox Futures",
            "group-name": "tastytrade",
            "order-index": 1,
            "cms-id": "sbx-futures",
            "watchlist-entries": entries("Future", 50),
        },
        {
            "name": "Sandbox Crypto",
            "group-name": "tastytrade",
            "order-index": 2,
            "cms-id": "sbx-crypto",
            "watchlist-entries": entries("Cryptocurrency", 50),
        },
    ]


def _clean(body: Any, name: str | None = None) -> dict[str, Any] | str:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    name = name or body.get("name")
    if not isinstance(name, str) or not name:
        return "name is required"
    raw_entries = body.get("watchlist-entries") or []
    if not isinstance(raw_entries, list):
        return "watchlist-entries must be an array"
    entries = []
    for entry in raw_entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("symbol"), str):
            return "each watchlist entry needs a symbol"
        clean = {"symbol": entry["symbol"]}
        if entry.get("instrument-type"):
            clean["instrument-type"] = str(entry["instrument-type"])
        entries.append(clean)
    order_index = body.get("order-index", 9999)
    return {
        "name": name,
        "group-name": str(body.get("group-name") or "main"),
        "order-index": order_index if isinstance(order_index, int) else 9999,
        "watchlist-entries": entries,
    }


def watchlist_routes(
    state: TradingState, market: MarketLike, on_change: Callable[[], None]
) -> list[BaseRoute]:
    def mine(request: Request) -> dict[str, dict[str, Any]]:
        return state.watchlists.setdefault(request.scope["state"]["customer_id"], {})

    async def public_list(request: Request) -> Response:
        items = public_watchlists(market)
        if request.query_params.get("counts-only", "false").lower() == "true":
            items = [
                {k: v for k, v in w.items() if k != "watchlist-entries"}
                | {"watchlist-entries": None}
                for w in items
            ]
        return items_response(request, items)

    async def public_one(request: Request) -> Response:
        for item in public_watchlists(market):
            if item["name"] == request.path_params["name"]:
                return data_response(request, item)
        return error_response(404, "record_not_found", "Watchlist not found")

    async def private_list(request: Request) -> Response:
        items = sorted(mine(request).values(), key=lambda w: (w["order-index"], w["name"]))
        return items_response(request, items)

    async def private_create(request: Request) -> Response:
        try:
            clean = _clean(await bounds.json_body(request))
        except bounds.InputError as exc:
            clean = str(exc)
        if isinstance(clean, str):
            return error_response(400, "invalid_request", clean)
        if clean["name"] in mine(request):
            return error_response(
                422, "watchlist_already_exists", "A watchlist with this name exists"
            )
        mine(request)[clean["name"]] = clean
        on_change()
        return data_response(request, clean, 201)

    async def private_one(request: Request) -> Response:
        name = request.path_params["name"]
        found = mine(request).get(name)
        if found is None:
            return error_response(404, "record_not_found", "Watchlist not found")
        if request.method == "GET":
            return data_response(request, found)
        if request.method == "DELETE":
            del mine(request)[name]
            on_change()
            return data_response(request, found)
        try:
            clean = _clean(await bounds.json_body(request), name)
        except bounds.InputError as exc:
            clean = str(exc)
        if isinstance(clean, str):
            return error_response(400, "invalid_request", clean)
        mine(request)[name] = clean
        on_change()
        return data_response(request, clean)

    async def pairs_list(request: Request) -> Response:
        return items_response(request, PAIRS)

    async def pairs_one(request: Request) -> Response:
        for item in PAIRS:
            if item["name"] == request.path_params["name"]:
                return data_response(request, item)
        return error_response(404, "record_not_found", "Pairs watchlist not found")

    return [
        Route("/public-watchlists", public_list),
        Route("/public-watchlists/{name}", public_one),
        Route("/watchlists", private_list, methods=["GET"]),
        Route("/watchlists", private_create, methods=["POST"]),
        Route("/watchlists/{name}", private_one, methods=["GET", "PUT", "DELETE"]),
        Route("/pairs-watchlists", pairs_list),
        Route("/pairs-watchlists/{name}", pairs_one),
    ]


__all__ = ["public_watchlists", "watchlist_routes"]
