"""Equity and index option chains, generated deterministically relative to a trading date.

Expirations: dailies for the most active underlyings (SPY, QQQ, IWM, SPXW) over the next ten
sessions, Friday weeklies for six weeks, standard monthlies (third Friday, ``Regular``) for
eight months, quarterly and end-of-month expirations for the broad ETFs and SPXW, and January
LEAPS for two years. Holidays move an expiration to the previous trading day. Strikes are
centred on the underlying's reference price with the usual listing increments, wider for
longer-dated expirations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from sandbox.clock import CHICAGO, is_trading_day, previous_trading_day
from sandbox.instruments.specs import EquitySpec
from sandbox.instruments.symbology import occ_symbol, option_streamer_symbol
from sandbox.wire import iso

_BROAD = frozenset({"SPY", "QQQ", "IWM", "DIA", "SPX", "NDX"})
_INCREMENTS = (0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0)


@dataclass(frozen=True)
class Expiration:
    underlying: str
    root: str
    expiration_date: date
    expiration_type: str  # Weekly | Regular | Quarterly | End of Month
    settlement_type: str  # PM | AM
    exercise_style: str  # American | European
    strikes: tuple[Decimal, ...]
    stops_trading_at: datetime
    expires_at: datetime


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def _last_business_day(year: int, month: int) -> date:
    day = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def _adjust(day: date) -> date:
    return day if is_trading_day(day) else previous_trading_day(day)


def _ct(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, dtime(hour, minute), CHICAGO).astimezone(UTC)


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    idx = year * 12 + (month - 1) + n
    return idx // 12, idx % 12 + 1


def expiration_dates(spec: EquitySpec, today: date) -> dict[date, str]:
    """Expiration date → expiration type for ``spec`` as listed on ``today``."""
    out: dict[date, str] = {}
    monthlies: set[date] = set()
    for n in range(9):
        year, month = _add_months(today.year, today.month, n)
        monthlies.add(_adjust(third_friday(year, month)))
    for year in (today.year + 1, today.year + 2):
        monthlies.add(_adjust(third_friday(year, 1)))
    if spec.daily_expirations:
        day = today
        for _ in range(10):
            if is_trading_day(day):
                out[day] = "Weekly"
            day += timedelta(days=1)
            while not is_trading_day(day):
                day += timedelta(days=1)
    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    for _ in range(6):
        out[_adjust(friday)] = "Weekly"
        friday += timedelta(days=7)
    if spec.symbol in _BROAD:
        for n in range(4):
            year, month = _add_months(today.year, today.month, n)
            out[_last_business_day(year, month)] = "End of Month"
        for n in range(12):
            year, month = _add_months(today.year, today.month, n)
            if month % 3 == 0:
                out[_last_business_day(year, month)] = "Quarterly"
    for day in monthlies:
        out[day] = "Regular"
    return {d: t for d, t in sorted(out.items()) if d >= today}


def strikes_for(spec: EquitySpec, days: int, price: float | None = None) -> tuple[Decimal, ...]:
    width = 0.10 if days <= 14 else 0.2 if days <= 60 else 0.35
    price = spec.price if price is None else price
    step = spec.strike_step
    span = price * width
    for inc in _INCREMENTS:
        if inc >= step and span / inc <= 40:
            step = inc
            break
    center = round(price / step) * step
    count = max(4, int(span / step))
    values = (center + step * i for i in range(-count, count + 1))
    return tuple(Decimal(str(round(v, 2))).normalize() for v in values if v > 0)


def chain(spec: EquitySpec, today: date, price: float | None = None) -> list[Expiration]:
    """Every listed expiration of ``spec`` (all roots), ordered by date then root."""
    if not spec.option_roots:
        return []
    out: list[Expiration] = []
    pm_root = spec.option_roots[0]
    am_root = spec.option_roots[1] if len(spec.option_roots) > 1 else None
    european = spec.is_index
    stop_minute = 15 if spec.symbol in _BROAD else 0
    for day, exp_type in expiration_dates(spec, today).items():
        strikes = strikes_for(spec, (day - today).days, price)
        roots: list[tuple[str, str]] = []
        if am_root is not None and exp_type == "Regular":
            roots.append((am_root, "AM"))
            if spec.daily_expirations:
                roots.append((pm_root, "PM"))
        else:
            roots.append((pm_root, "PM"))
        for root, settlement in roots:
            if settlement == "AM":
                stops = _ct(previous_trading_day(day), 15, 15)
                expires = _ct(day, 8, 30)
            else:
                stops = _ct(day, 15, stop_minute)
                expires = _ct(day, 15, 15)
            kind = exp_type
            if am_root is not None and root == pm_root and exp_type == "Regular":
                kind = "Weekly"  # the PM-settled twin of an AM monthly (SPXW on a third Friday)
            out.append(
                Expiration(
                    spec.symbol,
                    root,
                    day,
                    kind,
                    settlement,
                    "European" if european else "American",
                    strikes,
                    stops,
                    expires,
                )
            )
    return out


def option_wire(exp: Expiration, option_type: str, strike: Decimal, today: date) -> dict[str, Any]:
    """The ``EquityOption`` REST object."""
    return {
        "instrument-type": "Equity Option",
        "symbol": occ_symbol(exp.root, exp.expiration_date, option_type, strike),
        "active": True,
        "strike-price": strike,
        "root-symbol": exp.root,
        "underlying-symbol": exp.underlying,
        "expiration-date": exp.expiration_date.isoformat(),
        "exercise-style": exp.exercise_style,
        "shares-per-contract": 100,
        "option-type": option_type,
        "option-chain-type": "Standard",
        "expiration-type": exp.expiration_type,
        "settlement-type": exp.settlement_type,
        "stops-trading-at": iso(exp.stops_trading_at),
        "market-time-instrument-collection": "Equity",
        "days-to-expiration": (exp.expiration_date - today).days,
        "expires-at": iso(exp.expires_at),
        "is-closing-only": False,
        "listed-market": "XCBO" if exp.underlying in ("SPX", "VIX") else "OPRA",
        "streamer-symbol": option_streamer_symbol(
            exp.root, exp.expiration_date, option_type, strike
        ),
    }


def tick_sizes(spec: EquitySpec) -> list[dict[str, str]]:
    """Option tick schedule: penny-pilot names trade in pennies below $3."""
    if spec.is_index:
        return [{"threshold": "3.0", "value": "0.05"}, {"value": "0.1"}]
    return [{"threshold": "3.0", "value": "0.01"}, {"value": "0.05"}]


def deliverables(spec: EquitySpec, root: str) -> list[dict[str, Any]]:
    if spec.is_index:
        return [
            {
                "id": 100_000 + sum(map(ord, root)),
                "amount": "0.0",
                "deliverable-type": "Cash",
                "description": "Cash settled",
                "instrument-type": None,
                "percent": "100",
                "root-symbol": root,
                "symbol": None,
            }
        ]
    return [
        {
            "id": 200_000 + sum(map(ord, root)) * 7,
            "amount": "100.0",
            "deliverable-type": "Shares",
            "description": f"100 shares of {spec.symbol}",
            "instrument-type": "Equity",
            "percent": "100",
            "root-symbol": root,
            "symbol": spec.symbol,
        }
    ]


__all__ = [
    "Expiration",
    "chain",
    "deliverables",
    "expiration_dates",
    "option_wire",
    "strikes_for",
    "third_friday",
    "tick_sizes",
]
