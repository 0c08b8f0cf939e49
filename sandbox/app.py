"""The sandbox ASGI application: every component wired together, one lifespan to run them.

``create_app(config, market)`` builds the trading side (tokens, engine, streamer hub, alerts,
faults, admin, state) around a market, mounts the market's REST routes and DXLink, and returns a Starlette app whose ``state.sandbox`` is the
:class:`SandboxRuntime` (used by :class:`sandbox.server.SandboxServer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, WebSocketRoute

from sandbox.account_history import history_routes
from sandbox.account_stream import AccountStreamHub
from sandbox.accounts import account_routes
from sandbox.admin import SandboxAdmin, admin_routes
from sandbox.alerts import QuoteAlerts
from sandbox.auth import TokenStore, auth_routes
from sandbox.config import SandboxConfig
from sandbox.dxlink import DxlinkService
from sandbox.engine import OrderEngine
from sandbox.faults import Faults
from sandbox.gateway import Gateway
from sandbox.margin import margin_routes
from sandbox.market import Market
from sandbox.market_api import market_routes
from sandbox.order_api import order_routes
from sandbox.state import StatePersister, TradingState, load_state
from sandbox.venue import MarketLike
from sandbox.watchlists import public_watchlists, watchlist_routes
from sandbox.wire import error_response

log = logging.getLogger(__name__)


@dataclass
class SandboxRuntime:
    config: SandboxConfig
    market: MarketLike
    state: TradingState
    tokens: TokenStore
    faults: Faults
    hub: AccountStreamHub
    engine: OrderEngine
    alerts: QuoteAlerts
    admin: SandboxAdmin
    persister: StatePersister
    dxlink: DxlinkService


def build_runtime(config: SandboxConfig, market: MarketLike) -> SandboxRuntime:
    state = load_state(config.state_file) or TradingState()
    holder: dict[str, TradingState] = {"state": state}
    persister = StatePersister(lambda: holder["state"], config.state_file, config.persist_interval)
    tokens = TokenStore(config)
    faults = Faults()

    def user_of(customer_id: str) -> str:
        if customer_id == config.other_customer.customer_id:
            return config.other_customer.user_external_id
        return config.customer.user_external_id

    hub = AccountStreamHub(
        tokens.customer_for_bearer,
        config.accounts_of,
        user_of,
        market.clock.now_ms,
        idle_timeout=config.streamer_idle_timeout,
        public_watchlists=lambda: public_watchlists(market),
    )
    engine = OrderEngine(config, market, state, hub, faults, persister.mark_dirty)
    engine.ensure_ledgers()
    for number in config.all_accounts():
        engine.record_daily(number)
    alerts = QuoteAlerts(config, state, market, hub.publish_quote_alert, persister.mark_dirty)
    # the DXLink server needs the concrete simulator; the trading side only its protocol
    dxlink = DxlinkService(
        cast(Market, market),
        tokens.validate_quote,
        keepalive_timeout=config.dxlink_keepalive_timeout,
        user_id=config.customer.user_external_id,
    )
    admin = SandboxAdmin(config, engine, hub, tokens, faults, dxlink)
    return SandboxRuntime(
        config, market, state, tokens, faults, hub, engine, alerts, admin, persister, dxlink
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, "not_found", f"No route for {request.method} {request.url.path}")


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    return error_response(405, "method_not_allowed", f"{request.method} not allowed here")


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_server_error", "Internal server error")


def create_app(config: SandboxConfig, market: MarketLike) -> Starlette:
    runtime = build_runtime(config, market)
    routes: list[BaseRoute] = [
        *auth_routes(config, runtime.tokens),
        *account_routes(config, runtime.engine),
        *history_routes(runtime.engine),
        *margin_routes(runtime.engine),
        *order_routes(runtime.engine),
        *watchlist_routes(runtime.state, market, runtime.persister.mark_dirty),
        *runtime.alerts.routes(),
        *admin_routes(runtime.admin),
        WebSocketRoute("/streamer", runtime.hub.endpoint),
    ]
    routes.extend(market_routes(cast(Market, market)))
    routes.append(WebSocketRoute("/dxlink", runtime.dxlink.endpoint))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        unsubscribe = market.add_listener(runtime.alerts.on_book)
        runtime.alerts.prime()
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(market.run(), name="sandbox-market"),
                group.create_task(runtime.engine.run(), name="sandbox-engine"),
                group.create_task(runtime.persister.run(), name="sandbox-state"),
            ]
            log.info(
                "sandbox running (seed=%s, accounts=%s)", config.seed, ",".join(config.accounts)
            )
            try:
                yield
            finally:
                unsubscribe()
                for task in tasks:
                    task.cancel()
        log.info("sandbox stopped")

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(Gateway, config=config, tokens=runtime.tokens, faults=runtime.faults)
        ],
        exception_handlers={404: _not_found, 405: _method_not_allowed, 500: _server_error},
        lifespan=lifespan,
    )
    app.state.sandbox = runtime
    return app


__all__ = ["SandboxRuntime", "build_runtime", "create_app"]
