"""Preflight checks of §7.2: what makes the real API answer 422 ``preflight_check_failure``.

Documented codes are used where known (``cant_buy_for_credit``, ``closing_with_no_position``,
``tif.next_valid_session``); the others are the sandbox's own snake_case codes, listed in
``PREFLIGHT_CODES`` so clients and docs can rely on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sandbox.expiration import option_terms
from sandbox.ledger import AccountLedger
from sandbox.orders import ACTIONS, ORDER_TYPES, TIME_IN_FORCE, Leg, Order
from sandbox.venue import InstrumentLike, MarketLike

SINGLE_LEG_TYPES = ("Equity", "Future", "Cryptocurrency")
EXT_TIFS = ("Ext", "GTC Ext", "Ext Overnight", "GTC Ext Overnight")

PREFLIGHT_CODES = {
    "cant_buy_for_credit": "You cannot buy for a credit.",
    "cant_sell_for_debit": "You cannot sell for a debit.",
    "invalid_symbol": "Symbol is not a tradable instrument.",
    "instrument_type_mismatch": "Leg instrument-type does not match the symbol.",
    "expired_instrument": "The instrument has expired.",
    "invalid_order_type": "Unknown order-type.",
    "invalid_time_in_force": "Unknown time-in-force.",
    "invalid_action": "Unknown leg action.",
    "missing_legs": "An order needs at least one leg.",
    "too_many_legs": "Too many legs for this instrument type.",
    "duplicate_leg_symbols": "Each leg must have a different symbol.",
    "invalid_quantity": "Quantity must be positive.",
    "fractional_quantity_not_allowed": "Only whole quantities can be traded for this instrument.",
    "missing_price": "Limit orders need price and price-effect.",
    "invalid_price": "Price must not be negative; its direction is price-effect.",
    "invalid_stop_trigger": "Stop trigger must be positive.",
    "price_not_allowed": "Market, Stop and Notional orders must not have a price.",
    "missing_stop_trigger": "Stop orders need a stop-trigger.",
    "market_order_single_leg": "Market orders must have exactly one leg.",
    "market_order_gtc_not_allowed": "Market orders cannot be GTC.",
    "stop_order_gtc_not_allowed": "Opening stop orders cannot be GTC.",
    "market_closed": "Opening market orders cannot be submitted while the market is closed.",
    "missing_gtc_date": "GTD orders need a gtc-date.",
    "invalid_gtc_date": "gtc-date must be a date (YYYY-MM-DD).",
    "extended_hours_equity_only": "Extended-hours time-in-force is for single-leg equity orders.",
    "invalid_notional_order": "Notional orders need one leg, a value and no quantity.",
    "notional_not_eligible": "This instrument cannot be traded by notional value.",
    "notional_too_small": "Fractional orders must be at least $5.",
    "cannot_open_while_short": "You cannot buy to open while short this position.",
    "cannot_open_while_long": "You cannot sell to open while long this position.",
    "closing_with_no_position": "There is no position to close.",
    "closing_quantity_exceeds_position": "Closing quantity exceeds the position.",
    "short_selling_not_allowed": "Cash accounts cannot open short positions.",
    "insufficient_buying_power": "This order exceeds your buying power.",
    "invalid_complex_order": "The complex order is not well formed.",
    "account_frozen": "This account is frozen and cannot trade.",
    "account_closing_only": "This account may only place closing orders.",
    "order_rules_not_supported": "The sandbox does not simulate order rules (route-after, "
    "cancel-at, conditions).",
}


# An order that cannot be formed at all: refused with 422 by its dry-run as by its placement (the
# real API validates dry-runs like placements). Every other code depends on the account, its
# positions or the market, and a dry-run reports it in its 201 body's ``errors`` (§7.2: "dry-run
# instead returns 201 with warnings[]/errors[] inside data"), which placement refuses with 422.
ORDER_FORM_CODES = frozenset(
    {
        "invalid_symbol",
        "instrument_type_mismatch",
        "invalid_order_type",
        "invalid_time_in_force",
        "invalid_action",
        "missing_legs",
        "too_many_legs",
        "duplicate_leg_symbols",
        "invalid_quantity",
        "fractional_quantity_not_allowed",
        "missing_price",
        "invalid_price",
        "invalid_stop_trigger",
        "price_not_allowed",
        "missing_stop_trigger",
        "market_order_single_leg",
        "missing_gtc_date",
        "invalid_gtc_date",
        "invalid_notional_order",
        "invalid_complex_order",
        "order_rules_not_supported",
    }
)


def refused_by_dry_run(codes: list[str]) -> bool:
    """Whether a dry-run answers 422 (the order cannot be formed) rather than reporting
    ``codes`` inside its 201 preview."""
    return any(code in ORDER_FORM_CODES for code in codes)


@dataclass(frozen=True)
class Issue:
    code: str
    message: str

    def to_wire(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class Preflight:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    conversions: dict[str, str] = field(default_factory=dict)  # symbol -> new action
    market_closed: bool = False

    def error(self, code: str, message: str | None = None) -> None:
        self.errors.append(Issue(code, message or PREFLIGHT_CODES[code]))


def tradable_states(time_in_force: str) -> tuple[str, ...]:
    if time_in_force in ("Ext Overnight", "GTC Ext Overnight"):
        return ("Open", "Extended", "Pre-market", "Closed")
    if time_in_force in ("Ext", "GTC Ext"):
        return ("Open", "Extended", "Pre-market")
    return ("Open",)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _is_closing(action: str) -> bool:
    return action.endswith("to Close")


def check(order: Order, ledger: AccountLedger, market: MarketLike, now: datetime) -> Preflight:
    """Validate ``order`` and fill its derived fields (underlying, underlying type)."""
    pf = Preflight()
    if order.order_type not in ORDER_TYPES:
        pf.error("invalid_order_type")
    if order.time_in_force not in TIME_IN_FORCE:
        pf.error("invalid_time_in_force")
    if order.has_rules:
        pf.error("order_rules_not_supported")
    if not order.legs:
        pf.error("missing_legs")
        return pf
    instruments: list[InstrumentLike] = []
    for leg in order.legs:
        inst = market.catalog.instrument(leg.symbol)
        if inst is None or inst.symbol != leg.symbol:
            pf.error("invalid_symbol", f"Invalid symbol {leg.symbol!r}.")
            continue
        if leg.instrument_type and leg.instrument_type != inst.instrument_type:
            pf.error("instrument_type_mismatch")
        leg.instrument_type = inst.instrument_type
        if inst.expires_at is not None and inst.expires_at <= now:
            pf.error("expired_instrument", f"{leg.symbol} has expired.")
        if leg.action not in ACTIONS:
            pf.error("invalid_action")
        instruments.append(inst)
    if pf.errors:
        return pf
    first = instruments[0]
    order.underlying_symbol = first.underlying_symbol
    order.underlying_instrument_type = {
        "Equity Option": "Equity",
        "Future Option": "Future",
        "Index": "Equity",
    }.get(first.instrument_type, first.instrument_type)
    _check_legs(order, instruments, pf)
    _check_pricing(order, instruments, pf)
    _check_positions(order, ledger, pf, {inst.symbol: inst for inst in instruments})
    if ledger.frozen:
        pf.error("account_frozen")
    elif ledger.closing_only and any(
        not _is_closing(pf.conversions.get(leg.symbol, leg.action)) for leg in order.legs
    ):
        pf.error("account_closing_only")
    state = market.session_state(first.market_collection)
    if state not in tradable_states(order.time_in_force):
        pf.market_closed = True
        opening = any(not _is_closing(leg.action) for leg in order.legs)
        if order.order_type in ("Market", "Notional Market") and opening:
            pf.error("market_closed")
        else:
            pf.warnings.append(
                Issue(
                    "tif.next_valid_session",
                    "Your order will begin working during next valid session.",
                )
            )
    return pf


def _check_legs(order: Order, instruments: list[InstrumentLike], pf: Preflight) -> None:
    types = {inst.instrument_type for inst in instruments}
    single = any(t in SINGLE_LEG_TYPES for t in types) and not (
        types <= {"Equity", "Equity Option"} and "Equity Option" in types
    )
    if (single and len(order.legs) > 1) or len(order.legs) > 4:
        pf.error("too_many_legs")
    if len({leg.symbol for leg in order.legs}) != len(order.legs):
        pf.error("duplicate_leg_symbols")
    if order.order_type == "Notional Market":
        return
    for leg, inst in zip(order.legs, instruments, strict=True):
        if leg.quantity <= 0:
            pf.error("invalid_quantity")
        elif (
            leg.quantity != leg.quantity.to_integral_value()
            and inst.instrument_type != "Cryptocurrency"
        ):
            pf.error("fractional_quantity_not_allowed")


def _check_pricing(order: Order, instruments: list[InstrumentLike], pf: Preflight) -> None:
    kind, tif = order.order_type, order.time_in_force
    if kind in ("Limit", "Stop Limit", "Marketable Limit") and (
        order.price is None or order.price_effect not in ("Debit", "Credit")
    ):
        pf.error("missing_price")
    if kind in ("Market", "Stop", "Notional Market") and order.price is not None:
        pf.error("price_not_allowed")
    if order.price is not None and order.price < 0:
        pf.error("invalid_price")
    if kind in ("Stop", "Stop Limit") and order.stop_trigger is None:
        pf.error("missing_stop_trigger")
    elif order.stop_trigger is not None and order.stop_trigger <= 0:
        pf.error("invalid_stop_trigger")
    opening = any(not _is_closing(leg.action) for leg in order.legs)
    if kind == "Market":
        if len(order.legs) != 1:
            pf.error("market_order_single_leg")
        if tif.startswith("GTC"):
            pf.error("market_order_gtc_not_allowed")
    if kind in ("Stop", "Stop Limit") and tif.startswith("GTC") and opening:
        pf.error("stop_order_gtc_not_allowed")
    if tif == "GTD" and not order.gtc_date:
        pf.error("missing_gtc_date")
    elif order.gtc_date is not None and not _is_date(order.gtc_date):
        pf.error("invalid_gtc_date")
    if tif in EXT_TIFS and (len(order.legs) != 1 or instruments[0].instrument_type != "Equity"):
        pf.error("extended_hours_equity_only")
    if kind == "Notional Market":
        leg = order.legs[0]
        if len(order.legs) != 1 or leg.quantity != 0 or order.value is None:
            pf.error("invalid_notional_order")
        elif not instruments[0].is_fractional:
            pf.error("notional_not_eligible")
        elif order.value < Decimal(5):
            pf.error("notional_too_small")
    buys = {leg.is_buy for leg in order.legs}
    effect = order.price_effect if order.price is not None else order.value_effect
    if len(buys) == 1 and effect in ("Debit", "Credit"):
        if buys == {True} and effect == "Credit":
            pf.error("cant_buy_for_credit")
        if buys == {False} and effect == "Debit":
            pf.error("cant_sell_for_debit")


def _check_positions(
    order: Order, ledger: AccountLedger, pf: Preflight, instruments: dict[str, InstrumentLike]
) -> None:
    for leg in order.legs:
        held = ledger.signed_quantity(leg.symbol)
        if leg.action == "Buy to Open" and held < 0:
            pf.error("cannot_open_while_short")
        elif leg.action == "Sell to Open" and held > 0:
            pf.error("cannot_open_while_long")
        elif _is_closing(leg.action):
            wants_long = leg.action == "Sell to Close"
            if held == 0 or (held > 0) != wants_long:
                opening = "Sell to Open" if wants_long else "Buy to Open"
                if order.strict_position_effect:
                    pf.error("closing_with_no_position")
                else:
                    pf.conversions[leg.symbol] = opening
                    verb = "sell" if wants_long else "buy"
                    pf.warnings.append(
                        Issue(
                            "closing_with_no_position",
                            f"There is no position to close in {leg.symbol}; this order will be "
                            f"updated to a {verb} to open order when routed.",
                        )
                    )
            elif leg.quantity > abs(held):
                pf.error("closing_quantity_exceeds_position")
        if not ledger.is_margin:
            action = pf.conversions.get(leg.symbol, leg.action)
            if (
                action in ("Sell to Open", "Sell")
                and held <= 0
                and not _cash_covered(order, leg, ledger, instruments)
            ):
                pf.error("short_selling_not_allowed")


def _cash_covered(
    order: Order, leg: Leg, ledger: AccountLedger, instruments: dict[str, InstrumentLike]
) -> bool:
    """A cash account may sell options that are covered: a call against the shares, a put
    against the cash (cash-secured), or either as the short leg of a spread in the order."""
    inst = instruments.get(leg.symbol)
    if inst is None or inst.instrument_type != "Equity Option":
        return False
    terms = option_terms(leg.symbol, inst.instrument_type)
    if terms is None:
        return False
    kind, strike = terms
    for other in order.legs:
        other_inst = instruments.get(other.symbol)
        other_terms = option_terms(other.symbol, "Equity Option") if other_inst else None
        if (
            other is not leg
            and other.is_buy
            and other_inst is not None
            and other_inst.underlying_symbol == inst.underlying_symbol
            and other_terms is not None
            and other_terms[0] == kind
            and other.quantity >= leg.quantity
        ):
            return True
    if kind == "C":
        return ledger.signed_quantity(inst.underlying_symbol) >= leg.quantity * inst.multiplier
    return ledger.cash >= strike * inst.multiplier * leg.quantity


__all__ = [
    "ORDER_FORM_CODES",
    "PREFLIGHT_CODES",
    "Issue",
    "Preflight",
    "check",
    "refused_by_dry_run",
    "tradable_states",
]
