"""Fee schedule of the sandbox: commission, clearing, regulatory and proprietary fees per fill.

Figures follow tastytrade's published schedule closely enough to give realistic numbers:

* Equity: no commission; clearing $0.0008/share; on sells SEC fee 0.0000278 × notional and
  FINRA TAF $0.000166/share (capped at $8.30).
* Equity option: $1.00/contract to open (capped at $10 per leg), $0 to close; clearing
  $0.10/contract; regulatory $0.051/contract (ORF $0.023 + exchange $0.028).
* Future: $1.25/contract; clearing $0.30; NFA $0.02 + exchange $1.38 per contract.
* Future option: $2.50/contract to open, $0 to close; clearing $0.30; NFA $0.02 + exchange $0.80.
* Cryptocurrency: 1% of notional capped at $10 per order; no other fees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.wire import dec

ZERO = Decimal(0)
CENT_PRECISION = Decimal("0.0001")


@dataclass(frozen=True)
class FeeLine:
    name: str
    value: Decimal


@dataclass
class Fees:
    commission: list[FeeLine] = field(default_factory=list)
    clearing: list[FeeLine] = field(default_factory=list)
    regulatory: list[FeeLine] = field(default_factory=list)
    proprietary: list[FeeLine] = field(default_factory=list)

    @staticmethod
    def _sum(lines: list[FeeLine]) -> Decimal:
        return sum((line.value for line in lines), ZERO)

    @property
    def commission_total(self) -> Decimal:
        return self._sum(self.commission)

    @property
    def clearing_total(self) -> Decimal:
        return self._sum(self.clearing)

    @property
    def regulatory_total(self) -> Decimal:
        return self._sum(self.regulatory)

    @property
    def proprietary_total(self) -> Decimal:
        return self._sum(self.proprietary)

    @property
    def total(self) -> Decimal:
        return (
            self.commission_total + self.clearing_total + self.regulatory_total
        ) + self.proprietary_total

    def __add__(self, other: Fees) -> Fees:
        return Fees(
            self.commission + other.commission,
            self.clearing + other.clearing,
            self.regulatory + other.regulatory,
            self.proprietary + other.proprietary,
        )


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT_PRECISION, rounding=ROUND_HALF_UP)


def is_opening(action: str) -> bool:
    return action.endswith("to Open") or action in ("Buy", "Sell")


def is_sell(action: str) -> bool:
    return action.startswith("Sell")


def leg_fees(
    instrument_type: str, action: str, quantity: Decimal, price: Decimal, multiplier: Decimal
) -> Fees:
    """Fees of filling ``quantity`` of one leg at ``price``."""
    qty = abs(quantity)
    notional = qty * price * multiplier
    fees = Fees()
    if instrument_type == "Equity":
        fees.clearing.append(FeeLine("clearing", _q(qty * Decimal("0.0008"))))
        if is_sell(action):
            fees.regulatory.append(FeeLine("sec", _q(notional * Decimal("0.0000278"))))
            taf = min(qty * Decimal("0.000166"), Decimal("8.30"))
            fees.regulatory.append(FeeLine("taf", _q(taf)))
    elif instrument_type == "Equity Option":
        if is_opening(action):
            fees.commission.append(FeeLine("commission", min(qty, Decimal(10))))
        fees.clearing.append(FeeLine("clearing", _q(qty * Decimal("0.10"))))
        fees.regulatory.append(FeeLine("orf", _q(qty * Decimal("0.023"))))
        fees.regulatory.append(FeeLine("exchange", _q(qty * Decimal("0.028"))))
    elif instrument_type == "Future":
        fees.commission.append(FeeLine("commission", _q(qty * Decimal("1.25"))))
        fees.clearing.append(FeeLine("clearing", _q(qty * Decimal("0.30"))))
        fees.regulatory.append(FeeLine("nfa", _q(qty * Decimal("0.02"))))
        fees.regulatory.append(FeeLine("exchange", _q(qty * Decimal("1.38"))))
    elif instrument_type == "Future Option":
        if is_opening(action):
            fees.commission.append(FeeLine("commission", _q(qty * Decimal("2.50"))))
        fees.clearing.append(FeeLine("clearing", _q(qty * Decimal("0.30"))))
        fees.regulatory.append(FeeLine("nfa", _q(qty * Decimal("0.02"))))
        fees.regulatory.append(FeeLine("exchange", _q(qty * Decimal("0.80"))))
    elif instrument_type == "Cryptocurrency":
        fees.commission.append(FeeLine("commission", _q(min(notional / 100, Decimal(10)))))
    return fees


def effect(value: Decimal) -> str:
    return "Debit" if value > 0 else "None"


def _breakdown(lines: list[FeeLine]) -> list[dict[str, Any]]:
    merged: dict[str, Decimal] = {}
    for line in lines:
        merged[line.name] = merged.get(line.name, ZERO) + line.value
    return [
        {"name": name, "value": dec(value), "effect": effect(value)}
        for name, value in merged.items()
        if value
    ]


def fee_calculation_wire(fees: Fees, quantity: Decimal | None = None) -> dict[str, Any]:
    """The ``fee-calculation`` object of a dry-run/placed-order response."""
    total = fees.total
    out: dict[str, Any] = {
        "regulatory-fees": dec(fees.regulatory_total),
        "regulatory-fees-effect": effect(fees.regulatory_total),
        "regulatory-fees-breakdown": _breakdown(fees.regulatory),
        "clearing-fees": dec(fees.clearing_total),
        "clearing-fees-effect": effect(fees.clearing_total),
        "clearing-fees-breakdown": _breakdown(fees.clearing),
        "commission": dec(fees.commission_total),
        "commission-effect": effect(fees.commission_total),
        "commission-breakdown": _breakdown(fees.commission),
        "proprietary-index-option-fees": dec(fees.proprietary_total),
        "proprietary-index-option-fees-effect": effect(fees.proprietary_total),
        "proprietary-fees-breakdown": _breakdown(fees.proprietary),
        "rebates": "0.0",
        "rebates-effect": "None",
        "rebates-breakdown": [],
        "total-fees": dec(total),
        "total-fees-effect": effect(total),
    }
    if quantity:
        out["per-quantity"] = dec(_q(total / quantity))
    return out


__all__ = ["FeeLine", "Fees", "effect", "fee_calculation_wire", "is_opening", "is_sell", "leg_fees"]
