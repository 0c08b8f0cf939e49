"""Order REST endpoints (§4.4, §4.5) over the engine.

History filters on ``GET /accounts/{n}/orders``: ``start-date``, ``end-date``, ``start-at``,
``end-at``, ``underlying-symbol``, ``status[]``, ``futures-symbol``,
``underlying-instrument-type``, ``external-identifier``, ``sort`` (Desc|Asc); paginated (100 per
page by default, 200 max). With ``Accept-Version`` ≥ 20261012 a ``start-date`` or ``start-at``
is required (400 otherwise), like the real order-api release of that date.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox import bounds, complex_orders
from sandbox.engine import OrderEngine
from sandbox.orders import Order, OrderError
from sandbox.wire import array_param, data_response, error_response, iso_ms, items_response

Handler = Callable[[Request], Awaitable[Response]]
START_REQUIRED_FROM = "20261012"


def _guard(handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except OrderError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.errors)

    return wrapped


async def _body(request: Request) -> Any:
    try:
        return await bounds.json_body(request)
    except bounds.InputError as exc:
        raise OrderError(400, "invalid_request", str(exc)) from exc


def _order_id(request: Request, key: str = "order_id") -> int:
    try:
        return int(request.path_params[key])
    except ValueError as exc:
        raise OrderError(404, "order_not_found", "Order not found") from exc


def _matches(order: Order, request: Request) -> bool:
    q = request.query_params
    received = (
        iso_ms(order.updated_ms) if order.received_at is None else order.received_at.isoformat()
    )
    day = received[:10]
    if q.get("start-date") and day < q["start-date"]:
        return False
    if q.get("end-date") and day > q["end-date"]:
        return False
    if q.get("start-at") and received < q["start-at"]:
        return False
    if q.get("end-at") and received > q["end-at"]:
        return False
    if q.get("underlying-symbol") and order.underlying_symbol != q["underlying-symbol"]:
        return False
    if q.get("futures-symbol") and not any(leg.symbol == q["futures-symbol"] for leg in order.legs):
        return False
    kind = q.get("underlying-instrument-type")
    if kind and order.underlying_instrument_type != kind:
        return False
    statuses = set(array_param(request, "status"))
    if statuses and order.status not in statuses:
        return False
    wanted = q.get("external-identifier")
    return not (wanted and order.external_identifier != wanted)


def order_routes(engine: OrderEngine) -> list[BaseRoute]:
    state = engine.state

    def account_orders(account: str) -> list[Order]:
        return [o for o in state.orders.values() if o.account_number == account]

    def is_today(order: Order) -> bool:
        today = engine.market.clock.now().date()
        stamps = [order.received_at, order.terminal_at, order.live_at, order.cancelled_at]
        return not order.is_terminal or any(s is not None and s.date() == today for s in stamps)

    @_guard
    async def history(request: Request) -> Response:
        version = request.headers.get("accept-version", "")
        q = request.query_params
        if version >= START_REQUIRED_FROM and not (q.get("start-date") or q.get("start-at")):
            raise OrderError(400, "invalid_parameter", "start-date or start-at is required")
        items = [o for o in account_orders(request.path_params["account"]) if _matches(o, request)]
        ascending = q.get("sort", "Desc").lower() == "asc"
        items.sort(key=lambda o: o.id or 0, reverse=not ascending)
        return items_response(
            request,
            [o.to_wire() for o in items],
            paginate=True,
            default_per_page=100,
            max_per_page=200,
        )

    @_guard
    async def live(request: Request) -> Response:
        items = [o for o in account_orders(request.path_params["account"]) if is_today(o)]
        items.sort(key=lambda o: o.id or 0, reverse=True)
        return items_response(request, [o.to_wire() for o in items])

    @_guard
    async def customer_orders(request: Request) -> Response:
        accounts = set(array_param(request, "account-numbers"))
        if not accounts:
            raise OrderError(400, "invalid_parameter", "account-numbers[] is required")
        owned = set(engine.config.accounts_of(request.scope["state"]["customer_id"]))
        if not accounts <= owned:
            raise OrderError(403, "not_permitted", "User not permitted access")
        only_live = request.url.path.endswith("/live")
        items = [
            o
            for o in state.orders.values()
            if o.account_number in accounts and (is_today(o) if only_live else _matches(o, request))
        ]
        items.sort(key=lambda o: o.id or 0, reverse=True)
        return items_response(
            request,
            [o.to_wire() for o in items],
            paginate=True,
            default_per_page=100,
            max_per_page=200,
        )

    @_guard
    async def one(request: Request) -> Response:
        order = engine.get_order(request.path_params["account"], _order_id(request))
        return data_response(request, order.to_wire())

    @_guard
    async def place(request: Request) -> Response:
        data = engine.place(request.path_params["account"], await _body(request))
        return data_response(request, data, 201)

    @_guard
    async def dry_run(request: Request) -> Response:
        data = engine.dry_run(request.path_params["account"], await _body(request))
        return data_response(request, data, 201)

    @_guard
    async def replace(request: Request) -> Response:
        result = engine.replace(
            request.path_params["account"], _order_id(request), await _body(request)
        )
        assert isinstance(result, Order)
        return data_response(request, result.to_wire())

    @_guard
    async def replace_dry_run(request: Request) -> Response:
        result = engine.replace(
            request.path_params["account"], _order_id(request), await _body(request), dry_run=True
        )
        assert isinstance(result, dict)
        return data_response(request, result, 201)

    @_guard
    async def edit(request: Request) -> Response:
        order = engine.edit(
            request.path_params["account"], _order_id(request), await _body(request)
        )
        return data_response(request, order.to_wire())

    @_guard
    async def cancel(request: Request) -> Response:
        order = engine.cancel(request.path_params["account"], _order_id(request))
        return data_response(request, order.to_wire())

    # ----- complex orders -------------------------------------------------------------------
    def complex_wire(account: str, *, live_only: bool) -> list[dict[str, Any]]:
        out = []
        for co in sorted(state.complex_orders.values(), key=lambda c: -(c.id or 0)):
            if co.account_number != account:
                continue
            if live_only and not any(is_today(state.orders[i]) for i in co.component_ids()):
                continue
            out.append(co.to_wire(state.orders))
        return out

    @_guard
    async def complex_history(request: Request) -> Response:
        items = complex_wire(request.path_params["account"], live_only=False)
        return items_response(request, items, paginate=True, default_per_page=10, max_per_page=200)

    @_guard
    async def complex_live(request: Request) -> Response:
        return items_response(request, complex_wire(request.path_params["account"], live_only=True))

    @_guard
    async def complex_one(request: Request) -> Response:
        co = complex_orders.get_complex(engine, request.path_params["account"], _order_id(request))
        return data_response(request, co.to_wire(state.orders))

    @_guard
    async def complex_place(request: Request) -> Response:
        data = complex_orders.place_complex(
            engine, request.path_params["account"], await _body(request), dry_run=False
        )
        return data_response(request, data, 201)

    @_guard
    async def complex_dry_run(request: Request) -> Response:
        data = complex_orders.place_complex(
            engine, request.path_params["account"], await _body(request), dry_run=True
        )
        return data_response(request, data, 201)

    @_guard
    async def complex_cancel(request: Request) -> Response:
        co = complex_orders.cancel_complex(
            engine, request.path_params["account"], _order_id(request)
        )
        return data_response(request, co.to_wire(state.orders))

    base = "/accounts/{account}"
    return [
        Route(f"{base}/orders", history, methods=["GET"]),
        Route(f"{base}/orders", place, methods=["POST"]),
        Route(f"{base}/orders/live", live, methods=["GET"]),
        Route(f"{base}/orders/dry-run", dry_run, methods=["POST"]),
        Route(f"{base}/orders/{{order_id}}", one, methods=["GET"]),
        Route(f"{base}/orders/{{order_id}}", replace, methods=["PUT"]),
        Route(f"{base}/orders/{{order_id}}", edit, methods=["PATCH"]),
        Route(f"{base}/orders/{{order_id}}", cancel, methods=["DELETE"]),
        Route(f"{base}/orders/{{order_id}}/dry-run", replace_dry_run, methods=["POST"]),
        Route(f"{base}/complex-orders", complex_history, methods=["GET"]),
        Route(f"{base}/complex-orders", complex_place, methods=["POST"]),
        Route(f"{base}/complex-orders/live", complex_live, methods=["GET"]),
        Route(f"{base}/complex-orders/dry-run", complex_dry_run, methods=["POST"]),
        Route(f"{base}/complex-orders/{{order_id}}", complex_one, methods=["GET"]),
        Route(f"{base}/complex-orders/{{order_id}}", complex_cancel, methods=["DELETE"]),
        Route("/customers/{customer_id}/orders", customer_orders, methods=["GET"]),
        Route("/customers/{customer_id}/orders/live", customer_orders, methods=["GET"]),
    ]


__all__ = ["order_routes"]
