"""Balances, margin requirements and buying power, recomputed from cash and marked positions.

Simplified Reg T (documented, consistent everywhere it is shown):

* maintenance: 25% of long equity, 30% of short equity, short options 20% of the underlying's
  notional plus the option's value, futures 5% of notional, crypto 50% of long value;
  long options require nothing beyond their premium.
* initial (Reg T) requirement: 50% of long and short equity plus the option/futures terms above.
* margin accounts: derivative buying power = net liq − initial requirement, equity buying power
  twice that; cash accounts: both equal settled cash (no margin, no shorting).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.ledger import ZERO, AccountLedger, Position, signed_effect
from sandbox.wire import dec, iso

Marks = Callable[[str], Decimal | None]


@dataclass(frozen=True)
class Figures:
    cash: Decimal
    long_equity: Decimal
    short_equity: Decimal
    long_derivative: Decimal
    short_derivative: Decimal
    long_futures: Decimal
    short_futures: Decimal
    long_futures_derivative: Decimal
    short_futures_derivative: Decimal
    long_crypto: Decimal
    short_crypto: Decimal
    futures_unrealized: Decimal
    maintenance: Decimal
    initial: Decimal
    futures_requirement: Decimal
    crypto_requirement: Decimal
    is_margin: bool

    @property
    def net_liq(self) -> Decimal:
        return (
            self.cash
            + self.long_equity
            - self.short_equity
            + self.long_derivative
            - self.short_derivative
            + self.long_futures_derivative
            - self.short_futures_derivative
            + self.long_crypto
            - self.short_crypto
            + self.futures_unrealized
        )

    @property
    def derivative_buying_power(self) -> Decimal:
        if not self.is_margin:
            return max(ZERO, self.cash)
        return max(ZERO, self.net_liq - self.initial)

    @property
    def equity_buying_power(self) -> Decimal:
        if not self.is_margin:
            return max(ZERO, self.cash)
        return 2 * self.derivative_buying_power

    @property
    def maintenance_excess(self) -> Decimal:
        return self.net_liq - self.maintenance


def position_mark(pos: Position, marks: Marks) -> Decimal:
    mark = marks(pos.symbol)
    return mark if mark is not None else pos.close_price


def requirement(pos: Position, mark: Decimal, marks: Marks) -> tuple[Decimal, Decimal]:
    """``(maintenance, initial)`` requirement of one position."""
    notional = abs(pos.quantity) * mark * pos.multiplier
    if pos.instrument_type == "Equity":
        if pos.quantity > 0:
            return notional * Decimal("0.25"), notional * Decimal("0.5")
        return notional * Decimal("0.30"), notional * Decimal("0.5")
    if pos.instrument_type in ("Equity Option", "Future Option"):
        if pos.quantity >= 0:
            return ZERO, ZERO
        und = marks(pos.underlying_symbol) or ZERO
        req = abs(pos.quantity) * pos.multiplier * und * Decimal("0.2") + notional
        return req, req
    if pos.instrument_type == "Future":
        req = notional * Decimal("0.05")
        return req, req
    if pos.instrument_type == "Cryptocurrency":
        req = notional * Decimal("0.5")
        return req, req
    return notional, notional


def figures(ledger: AccountLedger, marks: Marks) -> Figures:
    sums = dict.fromkeys(("le", "se", "ld", "sd", "lf", "sf", "lfd", "sfd", "lc", "sc"), ZERO)
    unrealized = maintenance = initial = fut_req = crypto_req = ZERO
    for pos in ledger.open_positions():
        mark = position_mark(pos, marks)
        notional = abs(pos.quantity) * mark * pos.multiplier
        long = pos.quantity > 0
        key = {
            "Equity": ("le", "se"),
            "Equity Option": ("ld", "sd"),
            "Future Option": ("lfd", "sfd"),
            "Future": ("lf", "sf"),
            "Cryptocurrency": ("lc", "sc"),
        }.get(pos.instrument_type, ("le", "se"))
        sums[key[0] if long else key[1]] += notional
        if pos.is_futures:
            unrealized += pos.value(mark)
        maint, init = requirement(pos, mark, marks)
        maintenance += maint
        initial += init
        if pos.instrument_type in ("Future", "Future Option"):
            fut_req += init
        if pos.instrument_type == "Cryptocurrency":
            crypto_req += init
    return Figures(
        ledger.cash,
        sums["le"],
        sums["se"],
        sums["ld"],
        sums["sd"],
        sums["lf"],
        sums["sf"],
        sums["lfd"],
        sums["sfd"],
        sums["lc"],
        sums["sc"],
        unrealized,
        maintenance,
        initial,
        fut_req,
        crypto_req,
        ledger.is_margin,
    )


def balance_wire(ledger: AccountLedger, marks: Marks, now: datetime) -> dict[str, Any]:
    """The full AccountBalance object (REST and ``AccountBalance`` notifications)."""
    f = figures(ledger, marks)
    nl = f.net_liq
    dbp = f.derivative_buying_power
    day_bp = 4 * max(ZERO, f.maintenance_excess) if f.is_margin else ZERO
    return {
        "account-number": ledger.account_number,
        "currency": "USD",
        "cash-balance": dec(f.cash),
        "long-equity-value": dec(f.long_equity),
        "short-equity-value": dec(f.short_equity),
        "long-derivative-value": dec(f.long_derivative),
        "short-derivative-value": dec(f.short_derivative),
        "long-futures-value": dec(f.long_futures),
        "short-futures-value": dec(f.short_futures),
        "long-futures-derivative-value": dec(f.long_futures_derivative),
        "short-futures-derivative-value": dec(f.short_futures_derivative),
        "long-margineable-value": dec(f.long_equity),
        "short-margineable-value": dec(f.short_equity),
        "margin-equity": dec(nl),
        "equity-buying-power": dec(f.equity_buying_power),
        "derivative-buying-power": dec(dbp),
        "day-trading-buying-power": dec(day_bp),
        "futures-margin-requirement": dec(f.futures_requirement),
        "available-trading-funds": dec(dbp),
        "maintenance-requirement": dec(f.maintenance),
        "maintenance-call-value": dec(max(ZERO, -f.maintenance_excess)),
        "reg-t-call-value": "0.0",
        "day-trading-call-value": "0.0",
        "day-equity-call-value": "0.0",
        "net-liquidating-value": dec(nl),
        "cash-available-to-withdraw": dec(max(ZERO, min(f.cash, dbp))),
        "day-trade-excess": dec(max(ZERO, f.maintenance_excess)),
        "pending-cash": "0.0",
        "pending-cash-effect": "None",
        "long-cryptocurrency-value": dec(f.long_crypto),
        "short-cryptocurrency-value": dec(f.short_crypto),
        "cryptocurrency-margin-requirement": dec(f.crypto_requirement),
        "unsettled-cryptocurrency-fiat-amount": "0.0",
        "unsettled-cryptocurrency-fiat-effect": "None",
        "closed-loop-available-balance": dec(max(ZERO, f.cash)),
        "equity-offering-margin-requirement": "0.0",
        "long-bond-value": "0.0",
        "bond-margin-requirement": "0.0",
        "used-derivative-buying-power": dec(f.initial),
        "snapshot-date": now.date().isoformat(),
        "reg-t-margin-requirement": dec(f.initial),
        "futures-overnight-margin-requirement": dec(f.futures_requirement),
        "futures-intraday-margin-requirement": dec(f.futures_requirement),
        "maintenance-excess": dec(f.maintenance_excess),
        "pending-margin-interest": "0.0",
        "effective-cryptocurrency-buying-power": dec(dbp),
        "apex-starting-day-margin-equity": dec(nl),
        "buying-power-adjustment": "0.0",
        "buying-power-adjustment-effect": "None",
        "cash-settle-balance": dec(f.cash),
        "total-settle-balance": dec(f.cash),
        "long-index-derivative-value": "0.0",
        "short-index-derivative-value": "0.0",
        "sma-equity-option-buying-power": dec(dbp),
        "special-memorandum-account-value": dec(dbp),
        "special-memorandum-account-apex-adjustment": "0.0",
        "time-of-day": "Intraday",
        "updated-at": iso(now),
    }


def margin_report_wire(ledger: AccountLedger, marks: Marks, now_ms: int) -> dict[str, Any]:
    """``GET /margin/accounts/{n}/requirements``: totals and one group per underlying."""
    f = figures(ledger, marks)
    by_underlying: dict[str, list[Position]] = {}
    for pos in ledger.open_positions():
        by_underlying.setdefault(pos.underlying_symbol, []).append(pos)
    groups = []
    for underlying, positions in sorted(by_underlying.items()):
        maint = init = ZERO
        entries = []
        for pos in positions:
            mark = position_mark(pos, marks)
            m, i = requirement(pos, mark, marks)
            maint += m
            init += i
            entries.append(
                {
                    "instrument-symbol": pos.symbol,
                    "instrument-type": pos.instrument_type,
                    "quantity": dec(pos.quantity),
                    "close-price": dec(pos.close_price),
                    "fixing-price": "NaN",
                }
            )
        strategy = "LONG_UNDERLYING" if all(p.quantity > 0 for p in positions) else "CUSTOM"
        block = {
            "margin-requirement": dec(init),
            "margin-requirement-effect": "Debit" if init else "None",
            "maintenance-requirement": dec(maint),
            "maintenance-requirement-effect": "Debit" if maint else "None",
            "buying-power": dec(init),
            "buying-power-effect": "Credit" if init else "None",
        }
        groups.append(
            {
                "description": underlying,
                "code": underlying,
                "underlying-symbol": underlying,
                "underlying-type": positions[0].instrument_type
                if positions[0].instrument_type in ("Future", "Cryptocurrency")
                else "Equity",
                "margin-calculation-type": "Reg T",
                **block,
                "groups": [
                    {
                        "description": strategy,
                        **block,
                        "includes-working-order": False,
                        "position-entries": entries,
                    }
                ],
                "price-increase-percent": "0.5",
                "price-decrease-percent": "-0.5",
            }
        )
    equity, equity_effect = signed_effect(f.net_liq)
    excess, excess_effect = signed_effect(f.maintenance_excess)
    return {
        "account-number": ledger.account_number,
        "description": "Total",
        "margin-calculation-type": "Reg T" if f.is_margin else "Cash",
        "option-level": "No Restrictions",
        "margin-requirement": dec(f.initial),
        "margin-requirement-effect": "Debit" if f.initial else "None",
        "maintenance-requirement": dec(f.maintenance),
        "maintenance-requirement-effect": "Debit" if f.maintenance else "None",
        "margin-equity": equity,
        "margin-equity-effect": equity_effect,
        "option-buying-power": dec(f.derivative_buying_power),
        "option-buying-power-effect": "Credit",
        "reg-t-margin-requirement": dec(f.initial),
        "reg-t-margin-requirement-effect": "Debit" if f.initial else "None",
        "reg-t-option-buying-power": dec(f.derivative_buying_power),
        "reg-t-option-buying-power-effect": "Credit",
        "maintenance-excess": excess,
        "maintenance-excess-effect": excess_effect,
        "groups": groups,
        "last-state-timestamp": now_ms,
    }


__all__ = ["Figures", "Marks", "balance_wire", "figures", "margin_report_wire", "requirement"]
