"""Expiration of positions: what happens to options and futures the clock has run past.

Checked by the engine's periodic sweep (the clock may be accelerated or set by tests):

* Out-of-the-money (or at-the-money) options expire worthless: ``Receive Deliver`` /
  ``Expiration``; the position closes at 0.
* In-the-money equity options on a stock or ETF are settled physically: the option closes at 0
  (``Exercise`` for longs, ``Assignment`` for shorts) and 100 shares per contract are bought or
  sold at the strike (``Receive Deliver`` / ``Exercise``/``Assignment``).
* In-the-money index options and future options are cash settled at their intrinsic value
  (``Cash Settled Exercise`` / ``Cash Settled Assignment``).
* Futures are settled at their mark (``Futures Settlement``).

Each settlement books transactions, then pushes ``CurrentPosition`` for every position touched
and one ``AccountBalance`` per account.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.fees import Fees
from sandbox.ledger import AccountLedger, Position, qty_str, signed_effect
from sandbox.wire import dec, iso

if TYPE_CHECKING:
    from sandbox.engine import OrderEngine

log = logging.getLogger(__name__)

ZERO = Decimal(0)
OPTION_TAIL = re.compile(r"(\d{6})([CP])(\d+(?:\.\d+)?)$")


def option_terms(symbol: str, instrument_type: str) -> tuple[str, Decimal] | None:
    """``(option type, strike)`` parsed from an OCC or future-option symbol."""
    if not symbol.strip():
        return None
    match = OPTION_TAIL.search(symbol.split()[-1])
    if match is None:
        return None
    strike = Decimal(match.group(3))
    if instrument_type == "Equity Option" and len(match.group(3)) == 8:
        strike /= 1000
    return match.group(2), strike


def _transaction(
    engine: OrderEngine,
    ledger: AccountLedger,
    position: Position,
    *,
    sub_type: str,
    action: str,
    quantity: Decimal,
    price: Decimal,
    cash: Decimal,
    now: datetime,
) -> dict[str, Any]:
    value, value_effect = signed_effect(cash)
    return {
        "id": engine.state.next_id("transaction", 5_000_001),
        "account-number": ledger.account_number,
        "transaction-type": "Receive Deliver",
        "transaction-sub-type": sub_type,
        "description": f"{sub_type}: {qty_str(quantity)} {position.symbol}",
        "executed-at": iso(now),
        "transaction-date": now.date().isoformat(),
        "symbol": position.symbol,
        "instrument-type": position.instrument_type,
        "underlying-symbol": position.underlying_symbol,
        "action": action,
        "quantity": dec(quantity),
        "price": dec(price),
        "value": value,
        "value-effect": value_effect,
        "net-value": value,
        "net-value-effect": value_effect,
        "currency": "USD",
        "is-estimated-fee": False,
        "created-at": iso(now),
    }


def _close(
    engine: OrderEngine,
    ledger: AccountLedger,
    position: Position,
    price: Decimal,
    sub_type: str,
    now: datetime,
) -> None:
    held = position.quantity
    action = "Sell to Close" if held > 0 else "Buy to Close"
    cash_before = ledger.cash
    ledger.fill(position, -held, price, Fees(), now)
    ledger.record_transaction(
        _transaction(
            engine,
            ledger,
            position,
            sub_type=sub_type,
            action=action,
            quantity=abs(held),
            price=price,
            cash=ledger.cash - cash_before,
            now=now,
        )
    )


def _deliver(
    engine: OrderEngine,
    ledger: AccountLedger,
    option: Position,
    shares: Decimal,
    strike: Decimal,
    sub_type: str,
    now: datetime,
) -> Position | None:
    """Buy (shares > 0) or sell underlying shares at the strike."""
    inst = engine.market.catalog.instrument(option.underlying_symbol)
    if inst is None:
        return None
    template = Position(
        ledger.account_number,
        inst.symbol,
        inst.instrument_type,
        inst.underlying_symbol,
        inst.streamer_symbol,
        inst.multiplier,
    )
    existing = ledger.positions.get(inst.symbol)
    opening = existing is None or existing.quantity == 0 or (existing.quantity > 0) == (shares > 0)
    verb = "Buy" if shares > 0 else "Sell"
    action = f"{verb} to {'Open' if opening else 'Close'}"
    cash_before = ledger.cash
    stock, _ = ledger.fill(template, shares, strike, Fees(), now)
    ledger.record_transaction(
        _transaction(
            engine,
            ledger,
            stock,
            sub_type=sub_type,
            action=action,
            quantity=abs(shares),
            price=strike,
            cash=ledger.cash - cash_before,
            now=now,
        )
    )
    return stock


def settle(
    engine: OrderEngine, ledger: AccountLedger, position: Position, now: datetime
) -> list[Position]:
    """Settle one expired position; returns every position it touched."""
    touched = [position]
    if position.instrument_type == "Future":
        mark = engine.mark(position.symbol) or position.close_price
        _close(engine, ledger, position, mark, "Futures Settlement", now)
        return touched
    terms = option_terms(position.symbol, position.instrument_type)
    underlying = engine.mark(position.underlying_symbol)
    if terms is None or underlying is None:
        _close(engine, ledger, position, ZERO, "Expiration", now)
        return touched
    kind, strike = terms
    intrinsic = max(ZERO, underlying - strike) if kind == "C" else max(ZERO, strike - underlying)
    long = position.quantity > 0
    if intrinsic == 0:
        _close(engine, ledger, position, ZERO, "Expiration", now)
        return touched
    und_info = engine.market.catalog.instrument(position.underlying_symbol)
    physical = (
        position.instrument_type == "Equity Option"
        and und_info is not None
        and und_info.instrument_type == "Equity"
        and not und_info.is_index
    )
    if not physical:
        sub_type = "Cash Settled Exercise" if long else "Cash Settled Assignment"
        _close(engine, ledger, position, intrinsic, sub_type, now)
        return touched
    sub_type = "Exercise" if long else "Assignment"
    # a long call / short put takes delivery; a long put / short call delivers
    direction = Decimal(1) if (kind == "C") == long else Decimal(-1)
    shares = direction * abs(position.quantity) * position.multiplier
    _close(engine, ledger, position, ZERO, sub_type, now)
    stock = _deliver(engine, ledger, position, shares, strike, sub_type, now)
    if stock is not None:
        touched.append(stock)
    return touched


def settle_expired(engine: OrderEngine) -> int:
    """Settle every position whose instrument has expired; returns how many were settled."""
    now = engine.market.clock.now()
    settled = 0
    for ledger in engine.state.ledgers.values():
        due = [
            p for p in ledger.open_positions() if p.expires_at is not None and p.expires_at <= now
        ]
        if not due:
            continue
        touched: dict[str, Position] = {}
        for position in due:
            log.info("settling expired %s in %s", position.symbol, ledger.account_number)
            for pos in settle(engine, ledger, position, now):
                touched[pos.symbol] = pos
            settled += 1
        for pos in touched.values():
            engine.notifier.publish(
                ledger.account_number, "CurrentPosition", pos.to_wire(engine.mark(pos.symbol))
            )
        engine.publish_balance(ledger.account_number)
        engine.record_daily(ledger.account_number)
    if settled:
        engine.on_change()
    return settled


__all__ = ["option_terms", "settle", "settle_expired"]
