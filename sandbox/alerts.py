"""Quote alerts (§4.7): ``GET|POST /quote-alerts``, ``DELETE /quote-alerts/{id}`` (204).

An alert on ``Last``/``Bid``/``Ask`` triggers the first time the market's book crosses its
threshold (``>`` or ``<``); it is then stamped ``triggered-at``/``completed-at`` and pushed as a
``QuoteAlert`` notification to the owner's account-streamer sessions that sent
``quote-alerts-subscribe``. ``IV`` alerts are stored but never trigger (no implied volatility
per symbol on the trading side).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox import bounds
from sandbox.config import SandboxConfig
from sandbox.state import TradingState
from sandbox.venue import MarketLike
from sandbox.wire import data_response, error_response, iso, items_response

log = logging.getLogger(__name__)

FIELDS = ("Last", "Bid", "Ask", "IV")
OPERATORS = (">", "<")


class QuoteAlerts:
    def __init__(
        self,
        config: SandboxConfig,
        state: TradingState,
        market: MarketLike,
        publish: Callable[[str, dict[str, Any]], None],
        on_change: Callable[[], None],
    ) -> None:
        self._config = config
        self._state = state
        self._market = market
        self._publish = publish
        self._on_change = on_change

    def _user_of(self, customer_id: str) -> str:
        if customer_id == self._config.other_customer.customer_id:
            return self._config.other_customer.user_external_id
        return self._config.customer.user_external_id

    def prime(self) -> None:
        """Check every pending alert once (after a restart nobody else asks for its symbol,
        and asking makes the market report that symbol's changes)."""
        for symbol in {r["alert"]["symbol"] for r in self._state.alerts.values()}:
            self.on_book(symbol)

    def on_book(self, symbol: str) -> None:
        """Market listener: trigger pending alerts on ``symbol``."""
        for record in list(self._state.alerts.values()):
            alert = record["alert"]
            if alert["symbol"] != symbol or alert.get("triggered-at"):
                continue
            try:
                book = self._market.book(symbol)
            except KeyError:
                continue
            value = {"Last": book.last, "Bid": book.bid, "Ask": book.ask}.get(alert["field"])
            if value is None or not value.is_finite():
                continue
            threshold = Decimal(alert["threshold"])
            hit = value > threshold if alert["operator"] == ">" else value < threshold
            if hit:
                now = iso(self._market.clock.now())
                alert["triggered-at"] = now
                alert["completed-at"] = now
                log.info("quote alert %s triggered at %s", alert["alert-external-id"], value)
                self._publish(alert["user-external-id"], dict(alert))
                self._on_change()

    def routes(self) -> list[BaseRoute]:
        async def list_alerts(request: Request) -> Response:
            owner = request.scope["state"]["customer_id"]
            items = [r["alert"] for r in self._state.alerts.values() if r["owner"] == owner]
            return items_response(request, items)

        async def create(request: Request) -> Response:
            try:
                body = await bounds.json_body(request)
            except bounds.InputError as exc:
                return error_response(400, "invalid_request", str(exc))
            if not isinstance(body, dict):
                return error_response(400, "invalid_request", "body must be a JSON object")
            symbol, field, operator = body.get("symbol"), body.get("field"), body.get("operator")
            if not isinstance(symbol, str) or field not in FIELDS or operator not in OPERATORS:
                return error_response(
                    400,
                    "invalid_request",
                    "symbol, field (Last|Bid|Ask|IV) and operator (>|<) are required",
                )
            try:
                threshold = bounds.decimal(body.get("threshold"), "threshold")
                expires: int | str | None = body.get("expires-at")
                if isinstance(expires, bool) or not isinstance(expires, int | str | None):
                    raise bounds.InputError("expires-at", "must be epoch ms or a date-time string")
                if isinstance(expires, int):
                    expires = bounds.integer(expires, "expires-at", minimum=0, maximum=2**53)
                else:
                    expires = bounds.text(expires, "expires-at")
                dx_symbol = bounds.text(body.get("dx-symbol") or None, "dx-symbol")
            except bounds.InputError as exc:
                return error_response(400, "invalid_request", str(exc))
            inst = self._market.catalog.instrument(symbol)
            if inst is None:
                return error_response(422, "invalid_symbol", f"Invalid symbol {symbol!r}")
            owner = request.scope["state"]["customer_id"]
            alert_id = secrets.token_hex(8)
            alert: dict[str, Any] = {
                "alert-external-id": alert_id,
                "user-external-id": self._user_of(owner),
                "symbol": inst.symbol,
                "dx-symbol": dx_symbol or inst.streamer_symbol,
                "instrument-type": inst.instrument_type,
                "field": field,
                "operator": operator,
                "threshold": str(threshold),
                "threshold-numeric": str(threshold),
                "provider": "dxfeed",
                "created-at": iso(self._market.clock.now()),
                "expires-at": expires,
            }
            self._state.alerts[alert_id] = {"owner": owner, "alert": alert}
            self._on_change()
            self.on_book(inst.symbol)
            return data_response(request, alert, 201)

        async def delete(request: Request) -> Response:
            alert_id = request.path_params["alert_id"]
            record = self._state.alerts.get(alert_id)
            if record is None or record["owner"] != request.scope["state"]["customer_id"]:
                return error_response(404, "record_not_found", "Quote alert not found")
            del self._state.alerts[alert_id]
            self._on_change()
            return Response(status_code=204)

        return [
            Route("/quote-alerts", list_alerts, methods=["GET"]),
            Route("/quote-alerts", create, methods=["POST"]),
            Route("/quote-alerts/{alert_id}", delete, methods=["DELETE"]),
        ]


__all__ = ["QuoteAlerts"]
