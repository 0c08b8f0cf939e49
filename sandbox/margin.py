"""Margin endpoints (§4.3): the margin report, margin dry-run, effective requirements and the
public (unauthenticated) configuration. Figures come from :mod:`sandbox.balances`, so they
agree with balances and with the orders' buying-power effects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox import bounds
from sandbox.balances import figures, margin_report_wire
from sandbox.engine import OrderEngine
from sandbox.ledger import AccountLedger
from sandbox.orders import OrderError
from sandbox.wire import data_response, dec, error_response, json_response

RISK_FREE_RATE = "0.0425"


def _calc(ledger: AccountLedger, engine: OrderEngine, underlying: str) -> dict[str, Any]:
    f = figures(ledger, engine.mark)
    price = engine.mark(underlying)
    return {
        "code": underlying,
        "description": underlying,
        "entity-count": len(ledger.open_positions()),
        "underlying-symbol": underlying,
        "underlying-type": "Equity",
        "underlying-price": dec(price) if price is not None else "NaN",
        "margin-requirement": dec(f.initial),
        "margin-requirement-effect": "Debit" if f.initial else "None",
        "maintenance-requirement": dec(f.maintenance),
        "maintenance-requirement-effect": "Debit" if f.maintenance else "None",
        "buying-power-impact": dec(f.initial),
        "buying-power-impact-effect": "Debit" if f.initial else "None",
        "margin-calculation-type": "Reg T" if f.is_margin else "Cash",
        "long-equity-value": dec(f.long_equity),
        "long-equity-value-effect": "Credit" if f.long_equity else "None",
        "short-equity-value": dec(f.short_equity),
        "short-equity-value-effect": "Debit" if f.short_equity else "None",
        "long-derivative-value": dec(f.long_derivative),
        "short-derivative-value": dec(f.short_derivative),
        "long-cryptocurrency-value": dec(f.long_crypto),
        "short-cryptocurrency-value": dec(f.short_crypto),
    }


def margin_routes(engine: OrderEngine) -> list[BaseRoute]:
    async def requirements(request: Request) -> Response:
        ledger = engine.ledger(request.path_params["account"])
        return data_response(
            request, margin_report_wire(ledger, engine.mark, engine.market.clock.now_ms())
        )

    async def dry_run(request: Request) -> Response:
        account = request.path_params["account"]
        try:
            body = await bounds.json_body(request)
        except bounds.InputError as exc:
            return error_response(400, "invalid_request", str(exc))
        try:
            order, pf, bpe, _fees = engine.evaluate(account, body)
        except OrderError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.errors)
        if pf.errors:
            return error_response(
                422,
                "preflight_check_failure",
                "One or more preflight checks failed",
                [e.to_wire() for e in pf.errors],
            )
        ledger = engine.ledger(account)
        after = engine.simulate_fill(ledger, order)
        wire_order = {
            "id": "dry-run-0",
            "account-number": account,
            "time-in-force": order.time_in_force,
            "order-type": order.order_type,
            "size": str(order.size),
            "price": dec(order.price or Decimal(0)),
            "price-effect": order.price_effect or "None",
            "value": dec(order.value or Decimal(0)),
            "value-effect": order.value_effect or "None",
            "cancellable": False,
            "editable": False,
            "underlying-symbol": order.underlying_symbol,
            "legs": [
                {
                    "symbol": leg.symbol,
                    "instrument-type": leg.instrument_type,
                    "quantity": str(leg.quantity),
                    "remaining-quantity": "0",
                    "action": leg.action,
                }
                for leg in order.legs
            ],
        }
        base = _calc(ledger, engine, order.underlying_symbol)
        data: dict[str, Any] = {
            "orders": [wire_order],
            "last-results": base,
            "base-results": base,
            "new-order-results": _calc(after, engine, order.underlying_symbol),
            **{k: v for k, v in bpe.items() if k not in ("impact", "effect")},
            "isolated-order-buying-power-effect": bpe["change-in-buying-power"],
            "isolated-order-buying-power-effect-effect": bpe["change-in-buying-power-effect"],
            "order-ids": ["dry-run-0"],
        }
        return data_response(request, data, 201)

    async def effective(request: Request) -> Response:
        underlying = request.path_params["underlying"]
        return data_response(
            request,
            {
                "underlying-symbol": underlying,
                "long-equity-initial": "0.5",
                "long-equity-maintenance": "0.25",
                "short-equity-initial": "0.5",
                "short-equity-maintenance": "0.3",
                "naked-option-standard": "0.2",
                "naked-option-minimum": "0.1",
                "naked-option-floor": "2.5",
            },
        )

    async def public_configuration(request: Request) -> Response:
        return json_response(
            {"data": {"risk-free-rate": RISK_FREE_RATE}, "context": request.url.path}
        )

    return [
        Route("/margin/accounts/{account}/requirements", requirements),
        Route("/margin/accounts/{account}/dry-run", dry_run, methods=["POST"]),
        Route("/accounts/{account}/margin-requirements/{underlying}/effective", effective),
        Route("/margin-requirements-public-configuration", public_configuration),
    ]


__all__ = ["margin_routes"]
