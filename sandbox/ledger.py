"""Per-account money: cash, one position per symbol, realized gains, trade transactions.

Cash moves by the full premium/notional for equities, options and crypto; futures move cash only
by realized P&L (their open value is the unrealized P&L). Hence, marked at the fill price, a fill
conserves ``cash + Σ position value`` except for its fees — a property the tests check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.fees import Fees, effect
from sandbox.wire import dec, iso

ZERO = Decimal(0)
FUTURES = ("Future",)


def qty_str(value: Decimal) -> str:
    """Quantities as the API writes them: ``"100"``, ``"0.5"``."""
    value = abs(value)
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}"


def signed_effect(value: Decimal) -> tuple[str, str]:
    """``(abs, effect)`` with Credit for positive, Debit for negative, None for zero."""
    if value > 0:
        return dec(value), "Credit"
    if value < 0:
        return dec(-value), "Debit"
    return "0.0", "None"


@dataclass
class Position:
    account_number: str
    symbol: str
    instrument_type: str
    underlying_symbol: str
    streamer_symbol: str
    multiplier: Decimal
    quantity: Decimal = ZERO  # signed: >0 long, <0 short
    average_open_price: Decimal = ZERO
    close_price: Decimal = ZERO
    realized_day_gain: Decimal = ZERO
    realized_today: Decimal = ZERO
    expires_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_futures(self) -> bool:
        return self.instrument_type in FUTURES

    def value(self, mark: Decimal) -> Decimal:
        """Contribution to net liquidating value at ``mark``."""
        if self.is_futures:
            return (mark - self.average_open_price) * self.quantity * self.multiplier
        return mark * self.quantity * self.multiplier

    def apply(self, signed_qty: Decimal, price: Decimal, now: datetime) -> tuple[Decimal, Decimal]:
        """Apply a fill; returns ``(cash change, realized gain)`` (fees excluded)."""
        realized = ZERO
        if signed_qty == 0:  # nothing traded: nothing to average or realize
            return ZERO, ZERO
        if self.updated_at is not None and self.updated_at.date() != now.date():
            self.realized_day_gain = ZERO  # a new trading day
            self.realized_today = ZERO
        q, avg = self.quantity, self.average_open_price
        if q == 0 or (q > 0) == (signed_qty > 0):
            total = abs(q) + abs(signed_qty)
            self.average_open_price = (abs(q) * avg + abs(signed_qty) * price) / total
            self.quantity = q + signed_qty
        else:
            closing = min(abs(q), abs(signed_qty))
            direction = Decimal(1) if q > 0 else Decimal(-1)
            realized = closing * (price - avg) * direction * self.multiplier
            self.quantity = q + signed_qty
            if self.quantity == 0:
                self.average_open_price = ZERO
            elif (self.quantity > 0) != (q > 0):
                self.average_open_price = price
        self.realized_day_gain += realized
        self.realized_today += realized
        self.close_price = price
        if self.created_at is None:
            self.created_at = now
        self.updated_at = now
        if self.is_futures:
            return realized, realized
        return -signed_qty * price * self.multiplier, realized

    @property
    def direction(self) -> str:
        if self.quantity > 0:
            return "Long"
        if self.quantity < 0:
            return "Short"
        return "Zero"

    def to_wire(self, mark: Decimal | None = None, include_marks: bool = False) -> dict[str, Any]:
        day_gain, day_gain_effect = signed_effect(self.realized_day_gain)
        today, today_effect = signed_effect(self.realized_today)
        created = self.created_at or self.updated_at
        out: dict[str, Any] = {
            "account-number": self.account_number,
            "symbol": self.symbol,
            "instrument-type": self.instrument_type,
            "underlying-symbol": self.underlying_symbol,
            "quantity": qty_str(self.quantity),
            "quantity-direction": self.direction,
            "close-price": dec(self.close_price),
            "average-open-price": dec(self.average_open_price),
            "average-yearly-market-close-price": dec(self.average_open_price),
            "average-daily-market-close-price": dec(self.close_price),
            "multiplier": int(self.multiplier)
            if self.multiplier == self.multiplier.to_integral_value()
            else dec(self.multiplier),
            "cost-effect": "Credit" if self.quantity < 0 else "Debit",
            "is-suppressed": False,
            "is-frozen": False,
            "restricted-quantity": "0",
            "realized-day-gain": day_gain,
            "realized-day-gain-effect": day_gain_effect,
            "realized-day-gain-date": self.updated_at.date().isoformat()
            if self.updated_at
            else None,
            "realized-today": today,
            "realized-today-effect": today_effect,
            "realized-today-date": self.updated_at.date().isoformat() if self.updated_at else None,
            "streamer-symbol": self.streamer_symbol,
            "created-at": iso(created) if created else None,
            "updated-at": iso(self.updated_at) if self.updated_at else None,
        }
        if self.expires_at is not None:
            out["expires-at"] = iso(self.expires_at)
        if include_marks and mark is not None:
            out["mark"] = dec(mark * abs(self.quantity) * self.multiplier)
            out["mark-price"] = dec(mark)
        return out


@dataclass
class AccountLedger:
    """Cash, positions and transactions of one account."""

    account_number: str
    margin_or_cash: str
    cash: Decimal
    positions: dict[str, Position] = field(default_factory=dict)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    daily: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    opened_at: datetime | None = None
    closing_only: bool = False
    frozen: bool = False

    @property
    def is_margin(self) -> bool:
        return self.margin_or_cash == "Margin"

    def open_positions(self) -> list[Position]:
        return [p for p in self.positions.values() if p.quantity != 0]

    def position(self, symbol: str) -> Position | None:
        return self.positions.get(symbol)

    def signed_quantity(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        return pos.quantity if pos else ZERO

    def fill(
        self, template: Position, signed_qty: Decimal, price: Decimal, fees: Fees, now: datetime
    ) -> tuple[Position, Decimal]:
        """Book a fill of ``signed_qty`` at ``price``: position, cash, fees. Returns position and
        realized gain."""
        pos = self.positions.get(template.symbol)
        if pos is None:
            pos = template
            self.positions[template.symbol] = pos
        cash_change, realized = pos.apply(signed_qty, price, now)
        self.cash += cash_change - fees.total
        return pos, realized

    def record_transaction(self, tx: dict[str, Any]) -> None:
        self.transactions.append(tx)


def money_transaction(
    *, tx_id: int, account_number: str, amount: Decimal, executed_at: datetime
) -> dict[str, Any]:
    """A deposit (amount > 0) or withdrawal (amount < 0) of cash."""
    value, value_effect = signed_effect(amount)
    sub_type = "Deposit" if amount > 0 else "Withdrawal"
    return {
        "id": tx_id,
        "account-number": account_number,
        "transaction-type": "Money Movement",
        "transaction-sub-type": sub_type,
        "description": f"ACH {sub_type.upper()} (sandbox)",
        "executed-at": iso(executed_at),
        "transaction-date": executed_at.date().isoformat(),
        "value": value,
        "value-effect": value_effect,
        "net-value": value,
        "net-value-effect": value_effect,
        "currency": "USD",
        "is-estimated-fee": False,
        "created-at": iso(executed_at),
    }


def trade_transaction(
    *,
    tx_id: int,
    account_number: str,
    position: Position,
    action: str,
    quantity: Decimal,
    price: Decimal,
    fees: Fees,
    order_id: int,
    executed_at: datetime,
    exec_id: str,
) -> dict[str, Any]:
    """The ``Trade`` transaction booked for one fill of one leg."""
    gross = quantity * price * position.multiplier
    buying = action.startswith("Buy")
    value_signed = ZERO if position.is_futures else -gross if buying else gross
    net_signed = value_signed - fees.total
    value, value_effect = signed_effect(value_signed)
    net, net_effect = signed_effect(net_signed)
    verb = "Bought" if buying else "Sold"
    return {
        "id": tx_id,
        "account-number": account_number,
        "order-id": order_id,
        "transaction-type": "Trade",
        "transaction-sub-type": action,
        "description": f"{verb} {qty_str(quantity)} {position.symbol} @ {price:.2f}",
        "executed-at": iso(executed_at),
        "transaction-date": executed_at.date().isoformat(),
        "symbol": position.symbol,
        "instrument-type": position.instrument_type,
        "underlying-symbol": position.underlying_symbol,
        "action": action,
        "quantity": dec(quantity),
        "price": dec(price),
        "value": value,
        "value-effect": value_effect,
        "net-value": net,
        "net-value-effect": net_effect,
        "regulatory-fees": dec(fees.regulatory_total),
        "regulatory-fees-effect": effect(fees.regulatory_total),
        "clearing-fees": dec(fees.clearing_total),
        "clearing-fees-effect": effect(fees.clearing_total),
        "commission": dec(fees.commission_total),
        "commission-effect": effect(fees.commission_total),
        "proprietary-index-option-fees": dec(fees.proprietary_total),
        "proprietary-index-option-fees-effect": effect(fees.proprietary_total),
        "currency": "USD",
        "is-estimated-fee": True,
        "exchange": "MARKET_SIMULATOR_A",
        "destination-venue": "MARKET_SIMULATOR_A",
        "exec-id": exec_id,
        "ext-exec-id": exec_id,
        "ext-group-fill-id": str(order_id),
        "ext-global-order-number": order_id,
        "leg-count": 1,
        "created-at": iso(executed_at),
    }


__all__ = [
    "AccountLedger",
    "Position",
    "money_transaction",
    "qty_str",
    "signed_effect",
    "trade_transaction",
]
