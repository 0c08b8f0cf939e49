"""Options on futures (/ES and /CL): expirations per option product, symbols and REST objects.

* Quarterly (``ES``) and monthly (``LO``) options expire with, or one business day before,
  their underlying contract and carry its month in the option contract code.
* End-of-month (``EW``) options expire on the month's last business day; weeklies (``EW1``…,
  ``LO1``…) on the n-th Friday. Both use the expiry month in their contract code and the first
  future that expires after them as the underlying.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from sandbox.clock import CHICAGO, is_trading_day, previous_trading_day
from sandbox.instruments.futures import Contract, FopExpiration, _ticks, option_product_wire
from sandbox.instruments.specs import FutureOptionSpec, FutureSpec
from sandbox.instruments.symbology import option_contract_code
from sandbox.wire import iso

_EXPIRATION_TYPES = {
    "Quarterly": "Quarterly",
    "Regular": "Regular",
    "Weekly": "Weekly",
    "End-Of-Month": "End of Month",
}


def _ct(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, dtime(hour, minute), CHICAGO).astimezone(UTC)


def _adjust(day: date) -> date:
    return day if is_trading_day(day) else previous_trading_day(day)


def _nth_friday(year: int, month: int, n: int) -> date | None:
    first = date(year, month, 1)
    day = first + timedelta(days=(4 - first.weekday()) % 7 + 7 * (n - 1))
    return day if day.month == month else None


def _strikes(spec: FutureSpec, center_price: float) -> tuple[Decimal, ...]:
    step = spec.option_strike_step
    center = round(center_price / step) * step
    values = (
        center + step * i for i in range(-spec.option_strike_count, spec.option_strike_count + 1)
    )
    return tuple(Decimal(str(round(v, 4))).normalize() for v in values if v > 0)


def _underlying_for(listed: list[Contract], day: date) -> Contract | None:
    for contract in listed:
        if contract.last_trade >= day:
            return contract
    return None


def fop_expirations(
    spec: FutureSpec, listed: list[Contract], today: date, price: float | None = None
) -> list[FopExpiration]:
    """Every listed future-option expiration of ``spec`` on ``today``, ordered by date."""
    out: list[FopExpiration] = []
    strikes = _strikes(spec, spec.price if price is None else price)
    pm_hour, pm_minute = (13, 30) if spec.code == "CL" else (15, 0)
    for product in spec.option_products:
        candidates: list[tuple[date, Contract | None, int, int, datetime]] = []
        if product.expiration_type in ("Quarterly", "Regular"):
            for contract in listed[:4]:
                day = contract.last_trade
                if product.expiration_type == "Regular":
                    day = previous_trading_day(day)
                    expires = _ct(day, pm_hour, pm_minute)
                else:
                    expires = contract.expires_at
                candidates.append((day, contract, contract.month, contract.year, expires))
        else:
            for k in range(3):
                idx = today.year * 12 + today.month - 1 + k
                year, month = idx // 12, idx % 12 + 1
                if product.expiration_type == "End-Of-Month":
                    day = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
                    day = _adjust(day)
                else:
                    friday = _nth_friday(year, month, product.week)
                    if friday is None or (day_left := (friday - today).days) > 35 or day_left < 0:
                        continue
                    day = _adjust(friday)
                candidates.append((day, None, month, year, _ct(day, pm_hour, pm_minute)))
        for day, maybe, month, year, expires in candidates:
            if day < today:
                continue
            future = maybe or _underlying_for(listed, day)
            if future is None:
                continue
            out.append(
                FopExpiration(
                    spec,
                    product,
                    future,
                    option_contract_code(product.code, month, year),
                    month,
                    year,
                    day,
                    expires,
                    strikes,
                )
            )
    out.sort(key=lambda e: (e.expiration_date, e.product.code))
    return out


def fop_wire(exp: FopExpiration, option_type: str, strike: Decimal, today: date) -> dict[str, Any]:
    """The ``FutureOption`` REST object."""
    spec = exp.spec
    return {
        "instrument-type": "Future Option",
        "symbol": exp.symbol(option_type, strike),
        "underlying-symbol": exp.future.symbol,
        "product-code": exp.product.code,
        "expiration-date": exp.expiration_date.isoformat(),
        "root-symbol": f"/{spec.code}",
        "option-root-symbol": exp.product.code,
        "strike-price": strike,
        "exchange": spec.exchange,
        "exchange-symbol": f"{exp.contract_code} {option_type}{int(strike * 100)}",
        "security-exchange": spec.streamer_exchange,
        "streamer-symbol": exp.streamer_symbol(option_type, strike),
        "option-type": option_type,
        "exercise-style": "American",
        "is-vanilla": True,
        "is-primary-deliverable": True,
        "future-price-ratio": "1.0",
        "multiplier": "1.0",
        "underlying-count": "1.0",
        "is-confirmed": True,
        "notional-value": spec.multiplier,
        "display-factor": spec.display_factor,
        "settlement-type": "AM" if exp.product.is_am_settled else "PM",
        "strike-factor": "1.0",
        "maturity-date": exp.expiration_date.isoformat(),
        "is-exercisable-weekly": exp.product.expiration_type == "Weekly",
        "last-trade-time": "0",
        "days-to-expiration": (exp.expiration_date - today).days,
        "is-closing-only": False,
        "active": True,
        "stops-trading-at": iso(exp.expires_at),
        "expires-at": iso(exp.expires_at),
        "sx-id": str(zlib.crc32(f"{exp.contract_code}{option_type}{strike}".encode()) % 10**7),
        "future-option-product": option_product_wire(spec, exp.product, embed=False),
    }


def nested_expiration_wire(exp: FopExpiration, today: date) -> dict[str, Any]:
    spec = exp.spec
    return {
        "underlying-symbol": exp.future.symbol,
        "root-symbol": f"/{spec.code}",
        "option-root-symbol": exp.product.code,
        "option-contract-symbol": exp.contract_code,
        "asset": spec.code,
        "expiration-date": exp.expiration_date.isoformat(),
        "days-to-expiration": (exp.expiration_date - today).days,
        "expiration-type": _EXPIRATION_TYPES.get(exp.product.expiration_type, "Regular"),
        "settlement-type": "AM" if exp.product.is_am_settled else "PM",
        "notional-value": spec.multiplier,
        "display-factor": spec.display_factor,
        "strike-factor": "1.0",
        "stops-trading-at": iso(exp.expires_at),
        "expires-at": iso(exp.expires_at),
        "tick-sizes": _ticks(spec.option_tick_sizes),
        "strikes": [
            {
                "strike-price": strike,
                "call": exp.symbol("C", strike),
                "call-streamer-symbol": exp.streamer_symbol("C", strike),
                "put": exp.symbol("P", strike),
                "put-streamer-symbol": exp.streamer_symbol("P", strike),
            }
            for strike in exp.strikes
        ],
    }


def nested_future_wire(contract: Contract, active: int, today: date) -> dict[str, Any]:
    return {
        "symbol": contract.symbol,
        "root-symbol": f"/{contract.spec.code}",
        "streamer-symbol": contract.streamer_symbol,
        "expiration-date": contract.last_trade.isoformat(),
        "days-to-expiration": (contract.last_trade - today).days,
        "active-month": contract.months_out == active,
        "next-active-month": contract.months_out == active + 1,
        "stops-trading-at": iso(contract.expires_at),
        "expires-at": iso(contract.expires_at),
        "maturity-date": contract.last_trade.isoformat(),
    }


__all__ = [
    "FutureOptionSpec",
    "fop_expirations",
    "fop_wire",
    "nested_expiration_wire",
    "nested_future_wire",
]
