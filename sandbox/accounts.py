"""Customer, accounts, trading status, balances and positions (§4.1, §4.2).

Routes: ``/customers/me`` (and ``/customers/{id}``), ``/customers/me/accounts[/{n}]``,
``/accounts/{n}/trading-status``, ``/accounts/{n}/balances[/{currency}]``,
``/accounts/{n}/positions`` (filters ``underlying-symbol[]``, ``symbol``, ``instrument-type``,
``include-closed-positions``, ``include-marks``), ``/accounts/{n}/position-limit``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.config import CustomerIdentity, SandboxConfig
from sandbox.engine import OrderEngine
from sandbox.wire import array_param, data_response, error_response, iso, items_response

ACCOUNT_TYPES = (
    ("Individual", "Individual Account", False, ("Cash", "Margin")),
    ("Joint", "Joint Account", False, ("Cash", "Margin")),
    ("Roth IRA", "Roth IRA", True, ("Cash", "Margin")),
    ("Traditional IRA", "Traditional IRA", True, ("Cash", "Margin")),
)


def customer_wire(who: CustomerIdentity, created: datetime) -> dict[str, Any]:
    address = {
        "city": "Chicago",
        "country": "USA",
        "is-domestic": True,
        "is-foreign": False,
        "postal-code": "60606",
        "state-region": "IL",
        "street-one": "1 Sandbox Plaza",
    }
    return {
        "id": who.customer_id,
        "first-name": who.first_name,
        "last-name": who.last_name,
        "address": address,
        "mailing-address": dict(address),
        "agreed-to-margining": True,
        "birth-date": "1980-01-01",
        "created-at": iso(created),
        "email": who.email,
        "external-id": who.user_external_id,
        "has-delayed-quotes": False,
        "has-industry-affiliation": False,
        "has-listed-affiliation": False,
        "has-pending-or-approved-application": True,
        "has-political-affiliation": False,
        "is-foreign": False,
        "is-professional": False,
        "mobile-phone-number": "+13125550100",
        "permitted-account-types": [
            {
                "description": description,
                "has_multiple_owners": name == "Joint",
                "is_publicly_available": True,
                "is_tax_advantaged": tax,
                "margin_types": [{"is_margin": m == "Margin", "name": m} for m in margins],
                "name": name,
            }
            for name, description, tax, margins in ACCOUNT_TYPES
        ],
        "subject-to-tax-withholding": False,
        "tax-number-type": "SSN",
        "usa-citizenship-type": "Citizen",
        "user-id": str(who.user_id),
    }


def account_wire(config: SandboxConfig, number: str, opened: datetime) -> dict[str, Any]:
    kind = config.margin_or_cash(number)
    return {
        "account-number": number,
        "account-type-name": "Individual",
        "created-at": iso(opened),
        "day-trader-status": False,
        "external-id": f"A{number[-7:]}",
        "investment-objective": "SPECULATION",
        "is-closed": False,
        "is-firm-error": False,
        "is-firm-proprietary": False,
        "is-foreign": False,
        "is-futures-approved": kind == "Margin",
        "is-test-drive": False,
        "margin-or-cash": kind,
        "nickname": f"Individual {kind}",
        "opened-at": iso(opened),
        "suitable-options-level": "No Restrictions" if kind == "Margin" else "Defined Risk",
        "liquidity-needs": "Not Important",
        "risk-tolerance": "High",
        "investment-time-horizon": "Average",
        "funding-date": opened.date().isoformat(),
    }


def trading_status_wire(
    config: SandboxConfig,
    number: str,
    now: datetime,
    *,
    closing_only: bool = False,
    frozen: bool = False,
) -> dict[str, Any]:
    margin = config.margin_or_cash(number) == "Margin"
    return {
        "account-number": number,
        "day-trade-count": 0,
        "equities-margin-calculation-type": "Reg T",
        "fee-schedule-name": "default",
        "futures-margin-rate-multiplier": "1.0",
        "has-intraday-equities-margin": False,
        "id": int(number[-5:]) if number[-5:].isdigit() else 1,
        "is-aggregated-at-clearing": False,
        "is-closed": False,
        "is-closing-only": closing_only,
        "is-cryptocurrency-closing-only": False,
        "is-cryptocurrency-enabled": True,
        "is-frozen": frozen,
        "is-full-equity-margin-required": not margin,
        "is-futures-closing-only": False,
        "is-futures-intra-day-enabled": margin,
        "is-futures-enabled": margin,
        "is-in-day-trade-equity-maintenance-call": False,
        "is-in-margin-call": False,
        "is-pattern-day-trader": False,
        "is-portfolio-margin-enabled": False,
        "is-risk-reducing-only": False,
        "is-small-notional-futures-intra-day-enabled": False,
        "is-roll-the-day-forward-enabled": True,
        "are-far-otm-net-options-restricted": True,
        "options-level": "No Restrictions" if margin else "Defined Risk",
        "short-calls-enabled": margin,
        "small-notional-futures-margin-rate-multiplier": "1.0",
        "is-equity-offering-enabled": False,
        "is-equity-offering-closing-only": False,
        "enhanced-fraud-safeguards-enabled-at": iso(now),
        "updated-at": iso(now),
    }


def position_limit_wire(number: str) -> dict[str, Any]:
    return {
        "account-number": number,
        "equity-order-size": 500000,
        "equity-option-order-size": 5000,
        "future-order-size": 500,
        "future-option-order-size": 500,
        "underlying-opening-order-limit": 150000,
        "equity-position-size": 2000000,
        "equity-option-position-size": 50000,
        "future-position-size": 5000,
        "future-option-position-size": 5000,
    }


def _flag(request: Request, key: str) -> bool:
    return request.query_params.get(key, "false").lower() in ("true", "1", "yes")


def account_routes(config: SandboxConfig, engine: OrderEngine) -> list[BaseRoute]:
    def customer_of(request: Request) -> CustomerIdentity:
        cid = request.scope["state"]["customer_id"]
        return config.customer if cid == config.customer.customer_id else config.other_customer

    def opened(number: str) -> datetime:
        return engine.ledger(number).opened_at or engine.market.clock.now()

    async def customer(request: Request) -> Response:
        who = customer_of(request)
        wanted = request.path_params.get("customer_id", "me")
        if wanted not in ("me", who.customer_id):
            return error_response(403, "not_permitted", "User not permitted access")
        first = config.accounts_of(who.customer_id)
        created = opened(first[0]) if first else engine.market.clock.now()
        return data_response(request, customer_wire(who, created))

    async def accounts(request: Request) -> Response:
        who = customer_of(request)
        items = [
            {"account": account_wire(config, n, opened(n)), "authority-level": "owner"}
            for n in config.accounts_of(who.customer_id)
        ]
        return items_response(request, items)

    async def account(request: Request) -> Response:
        number = request.path_params["account"]
        return data_response(request, account_wire(config, number, opened(number)))

    async def trading_status(request: Request) -> Response:
        number = request.path_params["account"]
        ledger = engine.ledger(number)
        wire = trading_status_wire(
            config, number, opened(number), closing_only=ledger.closing_only, frozen=ledger.frozen
        )
        return data_response(request, wire)

    async def balances(request: Request) -> Response:
        currency = request.path_params.get("currency", "USD")
        if currency.upper() != "USD":
            return error_response(404, "record_not_found", f"No {currency} balance")
        return data_response(request, engine.balance(request.path_params["account"]))

    async def positions(request: Request) -> Response:
        ledger = engine.ledger(request.path_params["account"])
        underlyings = set(array_param(request, "underlying-symbol"))
        symbol = request.query_params.get("symbol")
        itype = request.query_params.get("instrument-type")
        include_closed = _flag(request, "include-closed-positions")
        marks = _flag(request, "include-marks")
        items = []
        for pos in ledger.positions.values():
            if pos.quantity == 0 and not include_closed:
                continue
            if underlyings and pos.underlying_symbol not in underlyings:
                continue
            if (symbol and pos.symbol != symbol) or (itype and pos.instrument_type != itype):
                continue
            items.append(pos.to_wire(engine.mark(pos.symbol), include_marks=marks))
        return items_response(request, items)

    async def position_limit(request: Request) -> Response:
        return data_response(request, position_limit_wire(request.path_params["account"]))

    return [
        Route("/customers/me", customer),
        Route("/customers/me/accounts", accounts),
        Route("/customers/me/accounts/{account}", account),
        Route("/customers/{customer_id}", customer),
        Route("/accounts/{account}/trading-status", trading_status),
        Route("/accounts/{account}/balances", balances),
        Route("/accounts/{account}/balances/{currency}", balances),
        Route("/accounts/{account}/positions", positions),
        Route("/accounts/{account}/position-limit", position_limit),
    ]


__all__ = ["account_routes", "account_wire", "customer_wire", "trading_status_wire"]
