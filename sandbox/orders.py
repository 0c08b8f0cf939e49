"""Orders as the engine keeps them, parsed from the wire and rendered back exactly like the API.

An order has ``size`` units; each leg moves ``ratio = leg quantity / size`` per unit, and the
order's ``price`` is the net price of one unit (per share for options).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox import bounds
from sandbox.ledger import qty_str
from sandbox.wire import dec, iso

WORKING = ("Received", "Routed", "In Flight", "Live", "Cancel Requested", "Replace Requested")
TERMINAL = ("Filled", "Cancelled", "Expired", "Rejected", "Removed", "Partially Removed")
ORDER_TYPES = ("Limit", "Market", "Marketable Limit", "Stop", "Stop Limit", "Notional Market")
TIME_IN_FORCE = ("Day", "GTC", "GTD", "Ext", "Ext Overnight", "GTC Ext", "GTC Ext Overnight", "IOC")
ACTIONS = ("Buy to Open", "Sell to Open", "Buy to Close", "Sell to Close", "Buy", "Sell")
VENUE = "MARKET_SIMULATOR_A"
MAX_DELAY_SECONDS = 30 * 86400.0


class OrderRequestError(ValueError):
    """The body is not an order at all (400), as opposed to a preflight failure (422)."""


class OrderError(Exception):
    """An API-level refusal: HTTP status, error code, message and nested errors."""

    def __init__(
        self, status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []


@dataclass
class Fill:
    fill_id: str
    quantity: Decimal
    price: Decimal
    filled_at: datetime
    exec_id: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "ext-group-fill-id": self.fill_id.split("-")[0],
            "ext-exec-id": self.exec_id,
            "fill-id": self.fill_id,
            "quantity": wire_qty(self.quantity),
            "fill-price": dec(self.price),
            "filled-at": iso(self.filled_at),
            "destination-venue": VENUE,
        }


@dataclass
class Leg:
    instrument_type: str
    symbol: str
    action: str
    quantity: Decimal
    remaining: Decimal
    fills: list[Fill] = field(default_factory=list)

    @property
    def is_buy(self) -> bool:
        return self.action.startswith("Buy")

    def to_wire(self) -> dict[str, Any]:
        return {
            "instrument-type": self.instrument_type,
            "symbol": self.symbol,
            "quantity": wire_qty(self.quantity),
            "remaining-quantity": wire_qty(self.remaining),
            "action": self.action,
            "fills": [f.to_wire() for f in self.fills],
        }


def wire_qty(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else qty_str(value)


@dataclass
class Order:
    account_number: str
    time_in_force: str
    order_type: str
    legs: list[Leg]
    underlying_symbol: str = ""
    underlying_instrument_type: str = "Equity"
    id: int | None = None
    status: str = "Received"
    price: Decimal | None = None
    price_effect: str | None = None
    stop_trigger: Decimal | None = None
    value: Decimal | None = None
    value_effect: str | None = None
    gtc_date: str | None = None
    size: Decimal = Decimal(1)
    edited: bool = False
    replacing_order_id: int | None = None
    replaces_order_id: int | None = None
    complex_order_id: int | None = None
    complex_order_tag: str | None = None
    contingent_status: str | None = None
    preflight_id: int | None = None
    external_identifier: str | None = None
    source: str | None = None
    partition_key: str | None = None
    reject_reason: str | None = None
    user_id: int = 0
    username: str = ""
    received_at: datetime | None = None
    routed_at: datetime | None = None
    in_flight_at: datetime | None = None
    live_at: datetime | None = None
    terminal_at: datetime | None = None
    cancelled_at: datetime | None = None
    updated_ms: int = 0
    behavior: str = "immediate"
    delay: float = 0.0
    strict_position_effect: bool = False
    has_rules: bool = False
    triggered: bool = False
    fill_not_before: float = 0.0
    partial_cap_used: bool = False

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def is_working(self) -> bool:
        return self.status in ("Live", "Cancel Requested", "Replace Requested")

    def ratio(self, leg: Leg) -> Decimal:
        return leg.quantity / self.size if self.size else Decimal(1)

    @property
    def remaining_units(self) -> Decimal:
        return min((leg.remaining / self.ratio(leg) for leg in self.legs), default=Decimal(0))

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out.update(
            {
                "account-number": self.account_number,
                "time-in-force": self.time_in_force,
                "order-type": self.order_type,
                "size": wire_qty(self.size),
                "underlying-symbol": self.underlying_symbol,
                "underlying-instrument-type": self.underlying_instrument_type,
            }
        )
        if self.price is not None:
            out["price"] = dec(self.price)
            out["price-effect"] = self.price_effect
        if self.stop_trigger is not None:
            out["stop-trigger"] = dec(self.stop_trigger)
        if self.value is not None:
            out["value"] = dec(self.value)
            out["value-effect"] = self.value_effect
        if self.gtc_date is not None:
            out["gtc-date"] = self.gtc_date
        out.update(
            {
                "status": self.status,
                "cancellable": self.status in ("Received", "Live", "Contingent"),
                "editable": self.status in ("Received", "Live", "Contingent"),
                "edited": self.edited,
                "updated-at": self.updated_ms if self.id is not None else 0,
                "leg-count": len(self.legs),
                "legs": [leg.to_wire() for leg in self.legs],
            }
        )
        if self.id is not None:
            out["ext-exchange-order-number"] = str(self.id)
            out["ext-client-order-id"] = f"{self.id:08x}"
            out["ext-global-order-number"] = self.id
            out["global-request-id"] = f"sbx{self.id:012d}"
            out["user-id"] = str(self.user_id)
            out["username"] = self.username
        stamps = {
            "received-at": self.received_at,
            "in-flight-at": self.in_flight_at,
            "live-at": self.live_at,
            "terminal-at": self.terminal_at,
            "cancelled-at": self.cancelled_at,
        }
        for key, value in stamps.items():
            if value is not None:
                out[key] = iso(value)
        optional = {
            "replacing-order-id": self.replacing_order_id,
            "replaces-order-id": self.replaces_order_id,
            "complex-order-id": self.complex_order_id,
            "complex-order-tag": self.complex_order_tag,
            "contingent-status": self.contingent_status,
            "preflight-id": self.preflight_id,
            "external-identifier": self.external_identifier,
            "source": self.source,
            "partition-key": self.partition_key,
            "reject-reason": self.reject_reason,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.status == "Cancelled":
            out["cancel-user-id"] = str(self.user_id)
            out["cancel-username"] = self.username
        if self.status in ("Live", "Filled") or self.is_terminal:
            out["destination-venue"] = VENUE
        return out


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_delay(raw: Any) -> float:
    """tastyware's ``delay``: seconds as a number, or an ISO-8601 duration (``"PT5S"``).

    Absent or unreadable text is no delay (it is a paper-API extra, not an API field); a number
    or duration outside ``0 … MAX_DELAY_SECONDS`` (30 days) is refused."""
    if raw is None or isinstance(raw, bool):
        return 0.0
    if isinstance(raw, int | float):
        seconds = raw
    else:
        match = _DURATION.match(raw) if isinstance(raw, str) and len(raw) <= 64 else None
        if not match:
            return 0.0
        parts = {k: float(v) for k, v in match.groupdict().items() if v}
        seconds = (
            parts.get("d", 0.0) * 86400
            + parts.get("h", 0.0) * 3600
            + parts.get("m", 0.0) * 60
            + parts.get("s", 0.0)
        )
    try:
        return bounds.real(seconds, "delay", minimum=0.0, maximum=MAX_DELAY_SECONDS)
    except bounds.InputError as exc:
        raise OrderRequestError(str(exc)) from None


def _decimal(body: dict[str, Any], key: str, field: str | None = None) -> Decimal | None:
    """``body[key]`` bounded by :func:`sandbox.bounds.decimal`; absent or ``""`` is ``None``."""
    raw = body.get(key)
    if raw is None or raw == "":
        return None
    try:
        return bounds.decimal(raw, field or key)
    except bounds.InputError as exc:
        raise OrderRequestError(str(exc)) from None


def _text(body: dict[str, Any], key: str) -> str | None:
    """``body[key]`` as text the API can echo back (see :func:`sandbox.bounds.text`)."""
    try:
        return bounds.text(body.get(key), key)
    except bounds.InputError as exc:
        raise OrderRequestError(str(exc)) from None


def parse_order(body: Any, account_number: str) -> Order:
    """A NewOrder body (kebab-case) → :class:`Order`; unknown keys are ignored."""
    if not isinstance(body, dict):
        raise OrderRequestError("order body must be a JSON object")
    raw_legs = body.get("legs") or []
    if not isinstance(raw_legs, list):
        raise OrderRequestError("legs must be an array")
    legs: list[Leg] = []
    for index, raw in enumerate(raw_legs):
        if not isinstance(raw, dict):
            raise OrderRequestError("each leg must be an object")
        qty = _decimal(raw, "quantity", f"legs[{index}].quantity")
        legs.append(
            Leg(
                instrument_type=str(raw.get("instrument-type", "")),
                symbol=str(raw.get("symbol", "")),
                action=str(raw.get("action", "")),
                quantity=qty if qty is not None else Decimal(0),
                remaining=qty if qty is not None else Decimal(0),
            )
        )
    quantities = [leg.quantity for leg in legs if leg.quantity > 0]
    if quantities and all(q == q.to_integral_value() for q in quantities):
        size = Decimal(math.gcd(*(int(q) for q in quantities)))
    else:
        size = min(quantities, default=Decimal(1))
    advanced = body.get("advanced-instructions") or {}
    order = Order(
        account_number=account_number,
        time_in_force=str(body.get("time-in-force", "")),
        order_type=str(body.get("order-type", "")),
        legs=legs,
        price=_decimal(body, "price"),
        price_effect=_text(body, "price-effect"),
        stop_trigger=_decimal(body, "stop-trigger"),
        value=_decimal(body, "value"),
        value_effect=_text(body, "value-effect"),
        gtc_date=_text(body, "gtc-date"),
        size=size,
        external_identifier=_text(body, "external-identifier"),
        source=_text(body, "source"),
        partition_key=_text(body, "partition-key"),
        preflight_id=body.get("preflight-id")
        if isinstance(body.get("preflight-id"), int)
        else None,
        behavior=str(body.get("behavior") or "immediate"),
        delay=parse_delay(body.get("delay")),
        strict_position_effect=bool(
            isinstance(advanced, dict) and advanced.get("strict-position-effect-validation")
        ),
        has_rules=bool(body.get("rules")),
    )
    return order


__all__ = [
    "ACTIONS",
    "ORDER_TYPES",
    "TERMINAL",
    "TIME_IN_FORCE",
    "VENUE",
    "WORKING",
    "Fill",
    "Leg",
    "Order",
    "OrderError",
    "OrderRequestError",
    "parse_delay",
    "parse_order",
    "wire_qty",
]
