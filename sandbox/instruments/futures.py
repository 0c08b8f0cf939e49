"""Futures contracts, future products, future-option products and future-option chains.

Contract listing follows each product's real calendar: equity-index futures expire on the third
Friday of the quarter month at 08:30 CT, crude oil three business days before the 25th of the
previous month, gold on the third-last business day of the month, the 10-year note seven
business days before the month's last business day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from sandbox.clock import CHICAGO, is_trading_day, previous_trading_day
from sandbox.instruments.options import third_friday
from sandbox.instruments.specs import MONTH_CODES, FutureOptionSpec, FutureSpec
from sandbox.instruments.symbology import (
    fop_streamer_symbol,
    fop_symbol,
    future_streamer_symbol,
    future_symbol,
    option_contract_code,
)
from sandbox.wire import iso


@dataclass(frozen=True)
class Contract:
    spec: FutureSpec
    month: int
    year: int
    symbol: str  # /ESZ6
    streamer_symbol: str  # /ESZ26:XCME
    last_trade: date
    expires_at: datetime
    months_out: int  # 0 = front listed contract


@dataclass(frozen=True)
class FopExpiration:
    spec: FutureSpec
    product: FutureOptionSpec
    future: Contract
    contract_code: str  # EW4Z6
    month: int  # option contract month
    year: int
    expiration_date: date
    expires_at: datetime
    strikes: tuple[Decimal, ...]

    def symbol(self, option_type: str, strike: Decimal) -> str:
        return fop_symbol(
            self.future.symbol, self.contract_code, self.expiration_date, option_type, strike
        )

    def streamer_symbol(self, option_type: str, strike: Decimal) -> str:
        return fop_streamer_symbol(
            self.product.code,
            self.month,
            self.year,
            option_type,
            strike,
            self.spec.streamer_exchange,
        )


def _ct(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, dtime(hour, minute), CHICAGO).astimezone(UTC)


def _business_days_back(day: date, n: int) -> date:
    for _ in range(n):
        day = previous_trading_day(day)
    return day


def _last_business_day(year: int, month: int) -> date:
    day = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def last_trade(spec: FutureSpec, year: int, month: int) -> tuple[date, datetime]:
    if spec.code == "CL":
        prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
        anchor = date(prev_y, prev_m, 25)
        if not is_trading_day(anchor):
            anchor = previous_trading_day(anchor)
        day = _business_days_back(anchor, 3)
        return day, _ct(day, 13, 30)
    if spec.code == "GC":
        day = _business_days_back(_last_business_day(year, month), 2)
        return day, _ct(day, 12, 30)
    if spec.code == "ZN":
        day = _business_days_back(_last_business_day(year, month), 7)
        return day, _ct(day, 12, 1)
    day = third_friday(year, month)
    if not is_trading_day(day):
        day = previous_trading_day(day)
    return day, _ct(day, 8, 30)


def contracts(spec: FutureSpec, today: date) -> list[Contract]:
    out: list[Contract] = []
    year, month = today.year, today.month
    for _ in range(60):
        if len(out) >= spec.listed_count:
            break
        if MONTH_CODES[month - 1] in spec.listed_months:
            day, expires = last_trade(spec, year, month)
            if day >= today:
                out.append(
                    Contract(
                        spec,
                        month,
                        year,
                        future_symbol(spec.code, month, year),
                        future_streamer_symbol(spec.code, month, year, spec.streamer_exchange),
                        day,
                        expires,
                        len(out),
                    )
                )
        month += 1
        if month > 12:
            month, year = 1, year + 1
    return out


def active_index(spec: FutureSpec, listed: list[Contract], today: date) -> int:
    """Index of the active month: the front contract until ``roll_offset`` days before expiry."""
    for i, contract in enumerate(listed):
        if (contract.last_trade - today).days > spec.roll_offset + 2:
            return i
    return len(listed) - 1


def _ticks(entries: tuple[tuple[str | None, str], ...]) -> list[dict[str, str]]:
    return [{"threshold": t, "value": v} if t else {"value": v} for t, v in entries]


def product_wire(spec: FutureSpec, *, with_options: bool = True) -> dict[str, Any]:
    months = list(spec.listed_months)
    wire: dict[str, Any] = {
        "root-symbol": f"/{spec.code}",
        "code": spec.code,
        "description": spec.description,
        "clearing-code": spec.clearing_code,
        "clearing-exchange-code": spec.clearing_exchange_code,
        "clearport-code": spec.code,
        "legacy-code": spec.legacy_code,
        "exchange": spec.exchange,
        "legacy-exchange-code": spec.legacy_exchange,
        "product-type": spec.product_type,
        "listed-months": months,
        "active-months": months,
        "notional-multiplier": spec.multiplier,
        "tick-size": spec.tick_size,
        "display-factor": spec.display_factor,
        "streamer-exchange-code": spec.streamer_exchange,
        "small-notional": spec.small_notional,
        "back-month-first-calendar-symbol": spec.driver is not None,
        "first-notice": spec.first_notice,
        "cash-settled": spec.cash_settled,
        "security-group": spec.code,
        "market-sector": spec.market_sector,
        "supported": True,
        "roll": {
            "name": spec.roll_name,
            "active-count": spec.listed_count,
            "cash-settled": spec.cash_settled,
            "business-days-offset": spec.roll_offset,
            "first-notice": spec.first_notice,
        },
        "futures-trading-cutoff-times": [
            {"offset-seconds": spec.cutoff_seconds, "timezone": "Market Zone", "timing": "Default"}
        ],
    }
    if spec.underlying_description:
        wire["underlying-description"] = spec.underlying_description
        wire["underlying-identifier"] = spec.driver
    if spec.base_tick is not None:
        wire["base-tick"] = spec.base_tick
        wire["sub-tick"] = spec.sub_tick
        wire["price-format"] = "tick"
    if with_options and spec.option_products:
        wire["option-products"] = [
            option_product_wire(spec, p, embed=False) for p in spec.option_products
        ]
    return wire


def option_product_wire(
    spec: FutureSpec, product: FutureOptionSpec, *, embed: bool = True
) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "root-symbol": product.code,
        "code": product.code,
        "cash-settled": False,
        "clearing-code": product.clearing_code,
        "clearing-exchange-code": product.clearing_exchange_code,
        "clearing-price-multiplier": "1.0",
        "clearport-code": product.code,
        "legacy-code": product.code,
        "display-factor": spec.display_factor,
        "exchange": spec.exchange,
        "expiration-type": product.expiration_type,
        "is-am-settled": product.is_am_settled,
        "is-rollover": product.expiration_type == "End-Of-Month",
        "market-sector": spec.market_sector,
        "product-type": "Physical",
        "settlement-delay-days": 0,
        "supported": True,
        "futures-trading-cutoff-times": [
            {
                "offset-seconds": product.cutoff_seconds,
                "timezone": "Market Zone",
                "timing": "Default",
            }
        ],
    }
    if embed:
        wire["future-product"] = product_wire(spec, with_options=False)
    return wire


def future_wire(contract: Contract, listed: list[Contract], today: date) -> dict[str, Any]:
    spec = contract.spec
    active = active_index(spec, listed, today)
    nxt = listed[contract.months_out + 1].symbol if contract.months_out + 1 < len(listed) else None
    wire: dict[str, Any] = {
        "instrument-type": "Future",
        "symbol": contract.symbol,
        "product-code": spec.code,
        "contract-size": spec.multiplier,
        "tick-size": spec.tick_size,
        "notional-multiplier": spec.multiplier,
        "main-fraction": "0.0",
        "sub-fraction": "0.0",
        "display-factor": spec.display_factor,
        "last-trade-date": contract.last_trade.isoformat(),
        "expiration-date": contract.last_trade.isoformat(),
        "closing-only-date": contract.last_trade.isoformat(),
        "active": True,
        "active-month": contract.months_out == active,
        "next-active-month": contract.months_out == active + 1,
        "is-closing-only": False,
        "stops-trading-at": iso(contract.expires_at),
        "expires-at": iso(contract.expires_at),
        "product-group": spec.product_group,
        "exchange": spec.exchange,
        "roll-target-symbol": nxt,
        "streamer-exchange-code": spec.streamer_exchange,
        "streamer-symbol": contract.streamer_symbol,
        "back-month-first-calendar-symbol": spec.driver is not None,
        "is-tradeable": True,
        "exchange-symbol": contract.symbol[1:],
        "security-id": str(10_000 + sum(map(ord, contract.symbol)) * 37),
        "future-product": product_wire(spec, with_options=False),
        "tick-sizes": [{"value": str(spec.tick_size)}],
        "option-tick-sizes": _ticks(spec.option_tick_sizes),
        "spread-tick-sizes": [
            {"symbol": c.symbol, "value": str(spec.tick_size)} for c in listed[:4]
        ],
    }
    if spec.first_notice:
        wire["first-notice-date"] = (contract.last_trade - timedelta(days=21)).isoformat()
    if spec.etf_equivalent is not None:
        wire["future-etf-equivalent"] = {
            "symbol": spec.etf_equivalent[0],
            "share-quantity": spec.etf_equivalent[1],
        }
    if nxt is None:
        del wire["roll-target-symbol"]
    return wire


__all__ = [
    "Contract",
    "FopExpiration",
    "active_index",
    "contracts",
    "future_wire",
    "last_trade",
    "option_contract_code",
    "option_product_wire",
    "product_wire",
]
