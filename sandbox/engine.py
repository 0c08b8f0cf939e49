"""The order engine: places, routes, fills, cancels, replaces and expires orders (§7.1).

Lifecycle: ``Received`` (market closed; routes at the next valid session) → ``Routed`` →
``In Flight`` → ``Live`` → ``Filled`` / ``Cancelled`` / ``Expired`` / ``Rejected``; cancel goes
through ``Cancel Requested``, replace through ``Replace Requested`` (the replacement waits
``Contingent``). One background loop advances every order one status per step (so every status
is its own ``Order`` notification), matches ``Live`` orders whenever a book they trade changes
and sweeps periodically for delays, expiry and session opens.

tastyware's paper-API keys are honoured: ``behavior`` ``immediate`` (default: the normal
market rules), ``delayed`` (no fill before ``delay`` seconds), ``never`` (works, never fills),
``reject`` (rejected at routing), ``partial`` (half the units at the first fill, the rest no
sooner than one second later).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sandbox import complex_orders as complex_lifecycle
from sandbox import expiration, placement
from sandbox.config import SandboxConfig
from sandbox.fees import leg_fees
from sandbox.ledger import AccountLedger, Position, trade_transaction
from sandbox.matching import deplete, plan_fill, signature, stop_triggered
from sandbox.orders import Fill, Order
from sandbox.preflight import Preflight, tradable_states
from sandbox.state import TradingState
from sandbox.venue import BookLike, InstrumentLike, MarketLike, mark_of

log = logging.getLogger(__name__)

ZERO = Decimal(0)
TRANSIENT = ("Received", "Routed", "In Flight", "Cancel Requested", "Replace Requested")


class Notifier(Protocol):
    def publish(self, account_number: str, kind: str, data: dict[str, Any]) -> None: ...


class FaultSource(Protocol):
    fill_delay: float

    def take_reject(self, symbol: str) -> str | None: ...


class OrderEngine(placement.PlacementMixin):
    def __init__(
        self,
        config: SandboxConfig,
        market: MarketLike,
        state: TradingState,
        notifier: Notifier,
        faults: FaultSource,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.market = market
        self.state = state
        self.notifier = notifier
        self.faults = faults
        self.on_change = on_change
        self._wake = asyncio.Event()
        self._watched: set[str] = set()
        # the working orders, by id (ids only grow, so insertion order is id order); kept in
        # step with ``state.orders`` by ``admit`` (add), ``step`` (terminal) and ``reset``
        self._active: dict[int, Order] = {}
        self._next_expiry_check = 0.0
        self._instruments: dict[str, InstrumentLike | None] = {}
        self._instruments_day: date | None = None
        # liquidity already taken from a displayed book: symbol -> (book signature, bid, ask)
        self._taken: dict[str, tuple[tuple[object, ...], Decimal, Decimal]] = {}
        self._reindex()

    def _reindex(self) -> None:
        """Rebuild the working-order index from the state (at start and after a reset)."""
        self._active = {
            i: self.state.orders[i]
            for i in sorted(self.state.orders)
            if not self.state.orders[i].is_terminal
        }
        self._refresh_watch()

    def admit(self, order: Order, pf: Preflight, *, status: str | None = None) -> Order:
        """Every new order enters through here: stored, published, and indexed as working."""
        admitted = super().admit(order, pf, status=status)
        if admitted.id is not None and not admitted.is_terminal:
            self._active[admitted.id] = admitted
            self._watched.update(leg.symbol for leg in admitted.legs)
        return admitted

    def reset(self) -> None:
        """Wipe orders, complex orders, ledgers, watchlists, alerts and id counters, and every
        cache derived from them; accounts start over with fresh cash."""
        state = self.state
        state.orders.clear()
        state.complex_orders.clear()
        state.ledgers.clear()
        state.watchlists.clear()
        state.alerts.clear()
        state.counters.clear()
        self._taken.clear()
        self._reindex()
        self.ensure_ledgers()
        self.on_change()
        self.wake()

    # ----- accounts -------------------------------------------------------------------------
    def ensure_ledgers(self) -> None:
        now = self.market.clock.now()
        for number in self.config.all_accounts():
            if number not in self.state.ledgers:
                self.state.ledgers[number] = AccountLedger(
                    account_number=number,
                    margin_or_cash=self.config.margin_or_cash(number),
                    cash=self.config.initial_cash,
                    opened_at=now,
                )

    def ledger(self, account_number: str) -> AccountLedger:
        self.ensure_ledgers()
        return self.state.ledgers[account_number]

    def instrument(self, symbol: str) -> InstrumentLike | None:
        """The catalogue's instrument, cached for the current simulated day (lookups are hot)."""
        today = self.market.clock.now().date()
        if today != self._instruments_day:
            self._instruments.clear()
            self._instruments_day = today
        if symbol not in self._instruments:
            self._instruments[symbol] = self.market.catalog.instrument(symbol)
        return self._instruments[symbol]

    def mark(self, symbol: str) -> Decimal | None:
        return mark_of(self.market, symbol)

    def books(self, order: Order) -> dict[str, BookLike] | None:
        """Current books of the order's legs, less the size earlier fills took from them."""
        try:
            books = {leg.symbol: self.market.book(leg.symbol) for leg in order.legs}
        except KeyError:
            return None
        out: dict[str, BookLike] = {}
        for symbol, book in books.items():
            taken = self._taken.get(symbol)
            if taken is not None and taken[0] == signature(book):
                out[symbol] = deplete(book, taken[1], taken[2])
            else:
                out[symbol] = book
        return out

    def _take(self, symbol: str, quantity: Decimal, buying: bool) -> None:
        try:
            book = self.market.book(symbol)
        except KeyError:
            return
        sig = signature(book)
        prior = self._taken.get(symbol)
        bid, ask = (prior[1], prior[2]) if prior is not None and prior[0] == sig else (ZERO, ZERO)
        if buying:
            ask += quantity
        else:
            bid += quantity
        self._taken[symbol] = (sig, bid, ask)

    # ----- background loop ------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    def _on_book(self, symbol: str) -> None:
        if symbol in self._watched:
            self._wake.set()

    def _refresh_watch(self) -> None:
        self._watched = {
            leg.symbol
            for order in self.state.orders.values()
            if not order.is_terminal
            for leg in order.legs
        }

    async def run(self) -> None:
        unsubscribe = self.market.add_listener(self._on_book)
        loop = asyncio.get_running_loop()
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.engine_poll_interval)
                self._wake.clear()
                busy = self.step()
                if busy:
                    loop.call_later(self.config.engine_step_delay, self._wake.set)
        finally:
            unsubscribe()

    def step(self) -> bool:
        """Advance every order once; returns True while some order is mid-transition."""
        if time.monotonic() >= self._next_expiry_check:
            self._next_expiry_check = time.monotonic() + self.config.engine_poll_interval
            expiration.settle_expired(self)
        busy = False
        changed = False
        for order in self._active_orders():
            before = (order.status, sum(leg.remaining for leg in order.legs))
            try:
                self._advance(order)
            except Exception:  # one bad order must not stop the engine
                log.exception("order %s failed to advance; rejecting it", order.id)
                self._set_status(order, "Rejected", reason="Internal simulator error")
            after = (order.status, sum(leg.remaining for leg in order.legs))
            changed |= before != after
            busy |= order.status in TRANSIENT
        if changed:
            self._active = {i: o for i, o in self._active.items() if not o.is_terminal}
            self._refresh_watch()
            self.on_change()
        return busy

    def _active_orders(self) -> list[Order]:
        """A snapshot of the working orders in id order (advancing one may admit another)."""
        return list(self._active.values())

    def _instrument_expired(self, order: Order) -> bool:
        now = self.market.clock.now()
        for leg in order.legs:
            info = self.instrument(leg.symbol)
            if info is None or (info.expires_at is not None and info.expires_at <= now):
                return True
        return False

    def _advance(self, order: Order) -> None:
        status = order.status
        now = self.market.clock.now()
        if status in ("Received", "Live") and self._instrument_expired(order):
            self._expire(order)
            return
        if status == "Received":
            if self.tradable(order):
                order.routed_at = now
                self._set_status(order, "Routed")
        elif status == "Routed":
            reason = self._reject_reason(order)
            if reason:
                self._set_status(order, "Rejected", reason=reason)
            else:
                order.in_flight_at = now
                self._set_status(order, "In Flight")
        elif status == "In Flight":
            order.live_at = now
            delay = max(self.faults.fill_delay, order.delay if order.behavior == "delayed" else 0)
            order.fill_not_before = time.monotonic() + delay
            self._set_status(order, "Live")
            self._work(order, first=True)
        elif status == "Live":
            self._work(order, first=False)
        elif status == "Cancel Requested":
            self.cancel_now(order)
        elif status == "Replace Requested":
            order.cancelled_at = now
            self._set_status(order, "Cancelled")
            if order.replacing_order_id in self.state.orders:
                replacement = self.state.orders[order.replacing_order_id]
                if replacement.status == "Contingent":
                    self.route_contingent(replacement)

    def _reject_reason(self, order: Order) -> str | None:
        if order.behavior == "reject":
            return "Rejected by request (behavior=reject)"
        for leg in order.legs:
            reason = self.faults.take_reject(leg.symbol)
            if reason:
                return reason
        inst = self.instrument(order.legs[0].symbol)
        if len(order.legs) == 1 and inst is not None and order.price is not None:
            tick = self.tick_for(inst, order.price)
            if tick > 0 and order.price % tick != 0:
                return f"Price {order.price} is not a valid increment of {tick}"
        return None

    def tick_for(self, inst: InstrumentLike, price: Decimal) -> Decimal:
        """The price increment at ``price``: the instrument's tick schedule (options use their
        underlying's ``option-tick-sizes``); an entry with a threshold applies below it."""
        wire = self.market.catalog.wire(inst.symbol) or {}
        schedule = wire.get("tick-sizes")
        if not schedule and inst.instrument_type in ("Equity Option", "Future Option"):
            underlying = self.market.catalog.wire(inst.underlying_symbol) or {}
            schedule = underlying.get("option-tick-sizes")
        for entry in schedule or []:
            threshold = entry.get("threshold")
            if threshold is None or price < Decimal(str(threshold)):
                return Decimal(str(entry["value"]))
        return inst.tick_size

    def _work(self, order: Order, *, first: bool) -> None:
        inst = self.instrument(order.legs[0].symbol)
        collection = inst.market_collection if inst else "Equity"
        state = self.market.session_state(collection)
        now = self.market.clock.now()
        today = now.date().isoformat()
        if order.time_in_force == "GTD" and order.gtc_date and today > order.gtc_date:
            self._expire(order)
            return
        if state not in tradable_states(order.time_in_force):
            if order.time_in_force in ("Day", "Ext", "Ext Overnight", "IOC"):
                self._expire(order)
            return
        if order.behavior != "never" and time.monotonic() >= order.fill_not_before:
            self._try_fill(order, fractional=bool(inst and inst.is_fractional))
        if order.time_in_force == "IOC" and first and not order.is_terminal:
            self.cancel_now(order)

    def _try_fill(self, order: Order, *, fractional: bool) -> None:
        if any(self.market.is_paused(leg.symbol) for leg in order.legs):
            return
        books = self.books(order)
        if books is None:
            return
        if order.order_type in ("Stop", "Stop Limit") and not order.triggered:
            if not stop_triggered(order, books[order.legs[0].symbol]):
                return
            order.triggered = True
        cap: Decimal | None = None
        if order.behavior == "partial":
            if not order.partial_cap_used:
                cap = max(Decimal(1), (order.remaining_units / 2).to_integral_value())
            elif time.monotonic() < order.fill_not_before:
                return
        plan = plan_fill(order, books, fractional=fractional, cap_units=cap)
        if plan is None:
            return
        if order.behavior == "partial" and not order.partial_cap_used:
            order.partial_cap_used = True
            order.fill_not_before = time.monotonic() + 1.0
        self.apply_fill(order, plan.prices, plan.quantities)

    def apply_fill(
        self, order: Order, prices: dict[str, Decimal], quantities: dict[str, Decimal]
    ) -> None:
        """Book a fill of every leg: fills[], positions, cash, transactions, notifications."""
        now = self.market.clock.now()
        ledger = self.ledger(order.account_number)
        touched: list[Position] = []
        for leg in order.legs:
            qty = quantities[leg.symbol]
            price = prices[leg.symbol]
            inst = self.instrument(leg.symbol)
            if inst is None or qty <= 0:
                continue
            fees = leg_fees(inst.instrument_type, leg.action, qty, price, inst.multiplier)
            template = Position(
                account_number=order.account_number,
                symbol=inst.symbol,
                instrument_type=inst.instrument_type,
                underlying_symbol=inst.underlying_symbol,
                streamer_symbol=inst.streamer_symbol,
                multiplier=inst.multiplier,
                expires_at=inst.expires_at,
            )
            signed = qty if leg.is_buy else -qty
            self._take(leg.symbol, qty, leg.is_buy)
            position, _ = ledger.fill(template, signed, price, fees, now)
            fill_no = self.state.next_id("fill", 1)
            exec_id = f"{fill_no:010d}"
            fill_id = (
                f"{order.id}-{fill_no}_TW::MARKET_SIMULATOR_A::{now:%Y%m%d}.{fill_no}-SIM_FILL"
            )
            leg.fills.append(Fill(fill_id, qty, price, now, exec_id))
            leg.remaining = max(Decimal(0), leg.remaining - qty)
            if order.order_type == "Notional Market":
                leg.quantity = qty
                leg.remaining = Decimal(0)
            tx = trade_transaction(
                tx_id=self.state.next_id("transaction", 5_000_001),
                account_number=order.account_number,
                position=position,
                action=leg.action,
                quantity=qty,
                price=price,
                fees=fees,
                order_id=order.id or 0,
                executed_at=now,
                exec_id=exec_id,
            )
            ledger.record_transaction(tx)
            touched.append(position)
        if all(leg.remaining == 0 for leg in order.legs):
            order.terminal_at = now
            self._set_status(order, "Filled")
        else:
            self._touch(order)
            self.publish_order(order)
        for position in touched:
            self.notifier.publish(
                order.account_number,
                "CurrentPosition",
                position.to_wire(self.mark(position.symbol)),
            )
        self.publish_balance(order.account_number)
        self.record_daily(order.account_number)
        complex_lifecycle.on_fill(self, order)

    # ----- status changes -------------------------------------------------------------------
    def _touch(self, order: Order) -> None:
        order.updated_ms = max(order.updated_ms + 1, self.market.clock.now_ms())

    def _set_status(self, order: Order, status: str, *, reason: str | None = None) -> None:
        order.status = status
        if reason:
            order.reject_reason = reason
        if order.is_terminal and order.terminal_at is None:
            order.terminal_at = self.market.clock.now()
        self._touch(order)
        self.publish_order(order)
        if order.is_terminal:
            complex_lifecycle.on_terminal(self, order)
        self.on_change()

    def _expire(self, order: Order) -> None:
        self._set_status(order, "Expired")

    def cancel_now(self, order: Order) -> None:
        order.cancelled_at = self.market.clock.now()
        self._set_status(order, "Cancelled")

    def tradable(self, order: Order) -> bool:
        """Is the order's session open for its time-in-force right now?"""
        inst = self.instrument(order.legs[0].symbol)
        collection = inst.market_collection if inst else "Equity"
        return self.market.session_state(collection) in tradable_states(order.time_in_force)

    def route_contingent(self, order: Order) -> None:
        """Release a contingent order (its trigger filled, or the order it replaces is gone):
        it routes like a new order — or waits ``Received`` while its market is closed."""
        order.contingent_status = None
        if self.tradable(order):
            order.routed_at = self.market.clock.now()
            self._set_status(order, "Routed")
        else:
            self._set_status(order, "Received")
        self.wake()

    def publish_order(self, order: Order) -> None:
        self.notifier.publish(order.account_number, "Order", order.to_wire())
        complex_lifecycle.publish_parent(self, order)

    def publish_balance(self, account_number: str) -> None:
        self.notifier.publish(account_number, "AccountBalance", self.balance(account_number))


__all__ = ["FaultSource", "Notifier", "OrderEngine"]
