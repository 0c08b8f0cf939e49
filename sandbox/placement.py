"""Placing, dry-running, cancelling, replacing and editing single orders (the REST side of the
engine), with fees and the buying-power effect computed on a copy of the ledger.

A dry-run is validated exactly like the placement it previews (one code path, :meth:`checked`):
a body that is not an order is a 400 ``invalid_request``, an order that placement would refuse is
the same 422 ``preflight_check_failure`` with the same nested ``errors``; only an order that
would be accepted gets its 201 preview (``warnings`` included)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.balances import Figures, balance_wire, figures
from sandbox.config import SandboxConfig
from sandbox.fees import Fees, fee_calculation_wire, is_opening, leg_fees
from sandbox.ledger import AccountLedger, Position
from sandbox.matching import estimate_prices
from sandbox.orders import Leg, Order, OrderError, OrderRequestError, parse_order
from sandbox.preflight import Preflight, check, refused_by_dry_run
from sandbox.state import TradingState
from sandbox.venue import BookLike, InstrumentLike, MarketLike
from sandbox.wire import dec

ZERO = Decimal(0)
CANCELLABLE = ("Received", "Routed", "In Flight", "Live", "Contingent")


def preflight_error(errors: list[dict[str, Any]]) -> OrderError:
    return OrderError(422, "preflight_check_failure", "One or more preflight checks failed", errors)


def parse_request(body: Any, account_number: str) -> Order:
    """``body`` as an :class:`Order`, or the API's 400 ``invalid_request`` naming the field."""
    try:
        return parse_order(body, account_number)
    except OrderRequestError as exc:
        raise OrderError(400, "invalid_request", str(exc)) from exc


def fill_quantity(order: Order, leg: Leg, prices: dict[str, Decimal]) -> Decimal:
    """Units a fill of ``leg`` would move: what remains of it, or for a notional order its
    value at the estimated price (0 when there is no price to convert at)."""
    if order.order_type == "Notional Market" and order.value and prices.get(leg.symbol):
        return order.value / prices[leg.symbol]
    return leg.remaining if leg.remaining else leg.quantity


class PlacementMixin:
    config: SandboxConfig
    market: MarketLike
    state: TradingState
    on_change: Callable[[], None]

    if TYPE_CHECKING:  # provided by OrderEngine

        def ledger(self, account_number: str) -> AccountLedger: ...

        def instrument(self, symbol: str) -> InstrumentLike | None: ...

        def mark(self, symbol: str) -> Decimal | None: ...

        def books(self, order: Order) -> dict[str, BookLike] | None: ...

        def publish_order(self, order: Order) -> None: ...

        def wake(self) -> None: ...

    # ----- balances -------------------------------------------------------------------------
    def balance(self, account_number: str) -> dict[str, Any]:
        return balance_wire(self.ledger(account_number), self.mark, self.market.clock.now())

    def record_daily(self, account_number: str) -> None:
        now = self.market.clock.now()
        day = self.state.ledgers[account_number].daily.setdefault(now.date().isoformat(), {})
        current = self.balance(account_number)
        day.setdefault("BOD", current)
        day["EOD"] = current

    # ----- pricing --------------------------------------------------------------------------
    def order_fees(self, order: Order, prices: dict[str, Decimal]) -> Fees:
        fees = Fees()
        for leg in order.legs:
            inst = self.instrument(leg.symbol)
            if inst is None:
                continue
            qty = fill_quantity(order, leg, prices)
            fees += leg_fees(
                inst.instrument_type, leg.action, qty, prices.get(leg.symbol, ZERO), inst.multiplier
            )
        return fees

    def simulate_fill(self, ledger: AccountLedger, order: Order) -> AccountLedger:
        """A copy of ``ledger`` as if ``order`` had filled at its estimated prices."""
        sim = copy.deepcopy(ledger)
        prices = estimate_prices(order, self.books(order) or {})
        now = self.market.clock.now()
        for leg in order.legs:
            inst = self.instrument(leg.symbol)
            qty = fill_quantity(order, leg, prices)
            if inst is None or leg.symbol not in prices or not qty:
                continue
            template = Position(
                order.account_number,
                inst.symbol,
                inst.instrument_type,
                inst.underlying_symbol,
                inst.streamer_symbol,
                inst.multiplier,
            )
            sim.fill(template, qty if leg.is_buy else -qty, prices[leg.symbol], Fees(), now)
        return sim

    def buying_power_effect(
        self, ledger: AccountLedger, order: Order, prices: dict[str, Decimal], fees: Fees
    ) -> tuple[dict[str, Any], Decimal, Decimal]:
        """Effect of filling ``order`` at ``prices`` on a copy of the ledger.

        The order's own symbols are valued at its prices (a limit far from the market must
        not look like an instant gain), everything else at the market's marks. Returns the
        wire object, the change in buying power (positive = uses buying power) and the
        current buying power."""
        current = figures(ledger, self.mark).derivative_buying_power

        def marks(symbol: str) -> Decimal | None:
            return prices[symbol] if symbol in prices else self.mark(symbol)

        before = figures(ledger, marks)
        sim = copy.deepcopy(ledger)
        now = self.market.clock.now()
        for leg in order.legs:
            inst = self.instrument(leg.symbol)
            qty = fill_quantity(order, leg, prices)
            if inst is None or not qty:
                continue
            template = Position(
                order.account_number,
                inst.symbol,
                inst.instrument_type,
                inst.underlying_symbol,
                inst.streamer_symbol,
                inst.multiplier,
            )
            sim.fill(template, qty if leg.is_buy else -qty, prices[leg.symbol], Fees(), now)
        sim.cash -= fees.total
        after = figures(sim, marks)

        def available(f: Figures) -> Decimal:
            return (f.net_liq - f.initial) if f.is_margin else f.cash

        change_bp = available(before) - available(after)
        change_req = after.initial - before.initial
        new_bp = max(ZERO, current - change_bp)

        def signed(value: Decimal, positive: str = "Debit") -> tuple[str, str]:
            if value == 0:
                return "0.0", "None"
            neg = "Credit" if positive == "Debit" else "Debit"
            return dec(abs(value)), positive if value > 0 else neg

        req, req_eff = signed(change_req)
        bp, bp_eff = signed(change_bp)
        iso_req, iso_eff = signed(max(ZERO, change_req))
        wire = {
            "change-in-margin-requirement": req,
            "change-in-margin-requirement-effect": req_eff,
            "change-in-buying-power": bp,
            "change-in-buying-power-effect": bp_eff,
            "current-buying-power": dec(current),
            "current-buying-power-effect": "Credit",
            "new-buying-power": dec(new_bp),
            "new-buying-power-effect": "Credit",
            "isolated-order-margin-requirement": iso_req,
            "isolated-order-margin-requirement-effect": iso_eff,
            "is-spread": len(order.legs) > 1,
            "impact": bp,
            "effect": bp_eff,
        }
        return wire, change_bp, current

    # ----- placement ------------------------------------------------------------------------
    def evaluate(
        self,
        account_number: str,
        body: Any,
        ledger: AccountLedger | None = None,
        *,
        tolerate: tuple[str, ...] = (),
    ) -> tuple[Order, Preflight, dict[str, Any], dict[str, Any]]:
        """Parse and preflight a NewOrder; returns order, preflight, bp effect, fee calc.
        ``tolerate`` drops error codes that do not apply (a replacement may close what its
        original closes)."""
        order = parse_request(body, account_number)
        ledger = ledger or self.ledger(account_number)
        pf = check(order, ledger, self.market, self.market.clock.now())
        pf.errors = [e for e in pf.errors if e.code not in tolerate]
        if pf.errors:
            return order, pf, {}, {}
        books = self.books(order) or {}
        prices = estimate_prices(order, books)
        fees = self.order_fees(order, prices)
        bpe, change, current = self.buying_power_effect(ledger, order, prices, fees)
        opening = any(is_opening(leg.action) for leg in order.legs) or pf.conversions
        if opening and change > 0 and change > current:
            pf.error("insufficient_buying_power")
        qty = sum((leg.quantity for leg in order.legs), ZERO)
        return order, pf, bpe, fee_calculation_wire(fees, qty or None)

    def checked(
        self,
        account_number: str,
        body: Any,
        *,
        tolerate: tuple[str, ...] = (),
        dry_run: bool = False,
    ) -> tuple[Order, Preflight, dict[str, Any]]:
        """What placement and dry-run share: parse, preflight, refuse (400 / 422) or return the
        order, its preflight and the rest of the ``PlacedOrderResponse`` (warnings, effects,
        fees). A placement refuses every preflight error; a dry-run refuses an order that cannot
        be formed (``ORDER_FORM_CODES``) the same way and reports the account's and market's
        checks in its preview's ``errors`` (§7.2)."""
        order, pf, bpe, fees = self.evaluate(account_number, body, tolerate=tolerate)
        errors = [e.to_wire() for e in pf.errors]
        if errors and (not dry_run or refused_by_dry_run([e.code for e in pf.errors])):
            raise preflight_error(errors)
        response: dict[str, Any] = {
            "warnings": [w.to_wire() for w in pf.warnings],
            "buying-power-effect": bpe or self._empty_bpe(account_number),
            "fee-calculation": fees or fee_calculation_wire(Fees()),
        }
        if errors:
            response["errors"] = errors
        return order, pf, response

    def dry_run(self, account_number: str, body: Any) -> dict[str, Any]:
        order, _pf, response = self.checked(account_number, body, dry_run=True)
        order.status = "Received"
        return {"order": order.to_wire(), **response}

    def _empty_bpe(self, account_number: str) -> dict[str, Any]:
        """The buying-power effect of a preview whose checks failed before it was priced."""
        current = dec(figures(self.ledger(account_number), self.mark).derivative_buying_power)
        out: dict[str, Any] = {}
        for key in (
            "change-in-margin-requirement",
            "change-in-buying-power",
            "isolated-order-margin-requirement",
        ):
            out[key] = "0.0"
            out[f"{key}-effect"] = "None"
        out.update(
            {
                "current-buying-power": current,
                "current-buying-power-effect": "Credit",
                "new-buying-power": current,
                "new-buying-power-effect": "Credit",
                "is-spread": False,
                "impact": "0.0",
                "effect": "None",
            }
        )
        return out

    def admit(self, order: Order, pf: Preflight, *, status: str | None = None) -> Order:
        """Give a preflighted order its id and first status and start tracking it."""
        for leg in order.legs:
            if leg.symbol in pf.conversions:
                leg.action = pf.conversions[leg.symbol]
        now = self.market.clock.now()
        order.id = self.state.next_id("order", 100_001)
        order.user_id = self.config.customer.user_id
        order.username = self.config.customer.username
        order.received_at = now
        if status is not None:
            order.status = status
        elif pf.market_closed:
            order.status = "Received"
        else:
            order.status = "Routed"
            order.routed_at = now
        order.updated_ms = self.market.clock.now_ms()
        self.state.orders[order.id] = order
        self.publish_order(order)
        self.on_change()
        self.wake()
        return order

    def place(self, account_number: str, body: Any) -> dict[str, Any]:
        order, pf, response = self.checked(account_number, body)
        self.admit(order, pf)
        return {"order": order.to_wire(), **response}

    def get_order(self, account_number: str, order_id: int) -> Order:
        order = self.state.orders.get(order_id)
        if order is None or order.account_number != account_number:
            raise OrderError(404, "order_not_found", f"Order {order_id} not found")
        return order

    def cancel(self, account_number: str, order_id: int) -> Order:
        order = self.get_order(account_number, order_id)
        if order.status not in CANCELLABLE:
            raise OrderError(422, "cannot_update_order", "the order could not be cancelled")
        order.status = "Cancel Requested"
        order.updated_ms = max(order.updated_ms + 1, self.market.clock.now_ms())
        self.publish_order(order)
        self.on_change()
        self.wake()
        return order

    def replace(
        self, account_number: str, order_id: int, body: Any, *, dry_run: bool = False
    ) -> dict[str, Any] | Order:
        original = self.get_order(account_number, order_id)
        if original.status not in ("Live", "Received") or original.complex_order_id:
            raise OrderError(422, "cannot_update_order", "the order could not be replaced")
        if not isinstance(body, dict):
            raise OrderError(400, "invalid_request", "order body must be a JSON object")
        merged = original.to_wire()
        if "order-type" in body:  # a new order type brings its own price fields
            for key in ("price", "price-effect", "stop-trigger", "value", "value-effect"):
                merged.pop(key, None)
        merged.update({k: v for k, v in body.items() if k != "legs"})
        legs = body.get("legs")
        if legs:
            if not isinstance(legs, list) or not all(isinstance(leg, dict) for leg in legs):
                raise OrderError(400, "invalid_request", "legs must be an array of objects")
            sent = [(str(leg.get("symbol")), str(leg.get("action"))) for leg in legs]
            if sent != [(leg.symbol, leg.action) for leg in original.legs]:
                raise preflight_error(
                    [{"code": "cannot_change_legs", "message": "Legs of an order cannot change."}]
                )
        merged["legs"] = [
            {
                "symbol": leg.symbol,
                "instrument-type": leg.instrument_type,
                "action": leg.action,
                "quantity": str(leg.remaining),
            }
            for leg in original.legs
        ]
        order, pf, response = self.checked(
            account_number,
            merged,
            tolerate=("closing_quantity_exceeds_position",),
            dry_run=dry_run,
        )
        if dry_run:
            return {"order": order.to_wire(), **response}
        order.replaces_order_id = original.id
        self.admit(order, pf, status="Contingent")
        original.replacing_order_id = order.id
        original.edited = True
        original.status = "Replace Requested"
        original.updated_ms = max(original.updated_ms + 1, self.market.clock.now_ms())
        self.publish_order(original)
        return order

    def edit(self, account_number: str, order_id: int, body: Any) -> Order:
        """PATCH: change price / stop-trigger / time-in-force / order-type of a working order."""
        order = self.get_order(account_number, order_id)
        if order.status not in ("Live", "Received", "Contingent") or not isinstance(body, dict):
            raise OrderError(422, "cannot_update_order", "the order could not be edited")
        probe = parse_request({**order.to_wire(), **body}, account_number)
        probe.legs = [
            Leg(leg.instrument_type, leg.symbol, leg.action, leg.quantity, leg.remaining)
            for leg in order.legs
        ]
        pf = check(probe, self.ledger(account_number), self.market, self.market.clock.now())
        pf.errors = [e for e in pf.errors if e.code != "closing_quantity_exceeds_position"]
        if pf.errors:
            raise preflight_error([e.to_wire() for e in pf.errors])
        order.price, order.price_effect = probe.price, probe.price_effect
        order.stop_trigger, order.time_in_force = probe.stop_trigger, probe.time_in_force
        order.order_type = probe.order_type
        order.edited = True
        order.updated_ms = max(order.updated_ms + 1, self.market.clock.now_ms())
        self.publish_order(order)
        self.on_change()
        self.wake()
        return order


__all__ = ["CANCELLABLE", "PlacementMixin", "fill_quantity", "parse_request", "preflight_error"]
