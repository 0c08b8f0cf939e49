"""Equities, ETFs, indices and warrants: catalogue entries and their REST objects."""

from __future__ import annotations

import zlib
from decimal import Decimal
from functools import cache
from typing import Any

from sandbox.clock import EQUITY
from sandbox.instruments.info import InstrumentInfo
from sandbox.instruments.options import tick_sizes as option_tick_sizes
from sandbox.instruments.specs import WARRANTS, EquitySpec

WARRANT_SYMBOLS = tuple(w[0] for w in WARRANTS)
_WARRANTS = {w[0]: w for w in WARRANTS}
_EQUITY_TICKS = [{"threshold": "1.0", "value": "0.0001"}, {"value": "0.01"}]


def stable_id(text: str, base: int = 1_000_000) -> int:
    """A deterministic integer id for ``text`` (the real API uses database ids)."""
    return base + zlib.crc32(text.encode()) % 9_000_000


@cache
def info(spec: EquitySpec) -> InstrumentInfo:
    return InstrumentInfo(
        symbol=spec.symbol,
        instrument_type="Index" if spec.is_index else "Equity",
        underlying_symbol=spec.symbol,
        streamer_symbol=spec.symbol,
        multiplier=Decimal(1),
        tick_size=Decimal("0.01"),
        expires_at=None,
        is_fractional=spec.fractional and not spec.is_index,
        is_index=spec.is_index,
        description=spec.description,
        market_collection=EQUITY,
    )


def equity_wire(spec: EquitySpec) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": stable_id(spec.symbol),
        "symbol": spec.symbol,
        "instrument-type": "Equity",
        "description": spec.description,
        "short-description": spec.description.split(" - ")[0],
        "is-index": spec.is_index,
        "listed-market": spec.listed_market,
        "lendability": "Easy To Borrow",
        "borrow-rate": "0.0",
        "market-time-instrument-collection": EQUITY,
        "is-closing-only": False,
        "is-options-closing-only": False,
        "active": True,
        "is-fractional-quantity-eligible": spec.fractional and not spec.is_index,
        "is-illiquid": False,
        "is-etf": spec.is_etf,
        "streamer-symbol": spec.symbol,
        "bypass-manual-review": False,
        "is-fraud-risk": False,
        "overnight-trading-permitted": not spec.is_index,
        "tick-sizes": _EQUITY_TICKS,
    }
    if spec.cusip:
        wire["cusip"] = spec.cusip
    if spec.option_roots:
        wire["option-tick-sizes"] = option_tick_sizes(spec)
    return wire


@cache
def warrant_info(symbol: str) -> InstrumentInfo:
    _, description, _, _ = _WARRANTS[symbol]
    return InstrumentInfo(
        symbol=symbol,
        instrument_type="Warrant",
        underlying_symbol=symbol.rstrip("W"),
        streamer_symbol=symbol,
        multiplier=Decimal(1),
        tick_size=Decimal("0.0001"),
        expires_at=None,
        is_fractional=False,
        is_index=False,
        description=description,
        market_collection=EQUITY,
    )


def warrant_wire(symbol: str) -> dict[str, Any]:
    _, description, market, _ = _WARRANTS[symbol]
    return {
        "symbol": symbol,
        "instrument-type": "Warrant",
        "listed-market": market,
        "description": description,
        "is-closing-only": False,
        "active": True,
        "cusip": f"{stable_id(symbol, 0) % 10**8:08d}1",
    }


def warrant_price(symbol: str) -> float:
    return _WARRANTS[symbol][3]


__all__ = [
    "WARRANT_SYMBOLS",
    "equity_wire",
    "info",
    "stable_id",
    "warrant_info",
    "warrant_price",
    "warrant_wire",
]
