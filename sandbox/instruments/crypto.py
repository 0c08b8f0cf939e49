"""Cryptocurrencies (24/7, fractional) and currency pairs: catalogue entries and REST objects."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from sandbox.clock import CRYPTO
from sandbox.instruments.info import InstrumentInfo
from sandbox.instruments.specs import CRYPTOS, CURRENCY_PAIRS, CryptoSpec

PAIR_SYMBOLS = tuple(p[1] for p in CURRENCY_PAIRS)
PAIR_DX = {f"{p[1]}:AFX": p[1] for p in CURRENCY_PAIRS}
_PAIRS = {p[1]: p for p in CURRENCY_PAIRS}
_VENUES = (
    ("ZERO_HASH_CLOB", True, 2, None),
    ("CBOE_DIGITAL_CRYPTOCURRENCY", False, 2, 6),
    ("CITADEL_CRYPTOCURRENCY", False, 8, 8),
)


@cache
def info(spec: CryptoSpec) -> InstrumentInfo:
    return InstrumentInfo(
        symbol=spec.symbol,
        instrument_type="Cryptocurrency",
        underlying_symbol=spec.symbol,
        streamer_symbol=f"{spec.symbol}:CXTALP",
        multiplier=Decimal(1),
        tick_size=spec.tick_size,
        expires_at=None,
        is_fractional=True,
        is_index=False,
        description=spec.description,
        market_collection=CRYPTO,
    )


def crypto_wire(spec: CryptoSpec) -> dict[str, Any]:
    venues = []
    for i, (venue, routable, price_precision, qty_precision) in enumerate(_VENUES):
        entry: dict[str, Any] = {
            "id": spec.id * 10 + i,
            "symbol": spec.symbol if i < 2 else spec.symbol.split("/")[0],
            "destination-venue": venue,
            "routable": routable,
            "max-price-precision": price_precision,
            "max-quantity-precision": qty_precision or spec.quantity_precision,
        }
        venues.append(entry)
    return {
        "id": spec.id,
        "symbol": spec.symbol,
        "instrument-type": "Cryptocurrency",
        "short-description": spec.short_description,
        "description": spec.description,
        "is-closing-only": False,
        "active": True,
        "tick-size": spec.tick_size,
        "streamer-symbol": f"{spec.symbol}:CXTALP",
        "destination-venue-symbols": venues,
    }


@cache
def pair_info(symbol: str) -> InstrumentInfo:
    _, _, description, _ = _PAIRS[symbol]
    return InstrumentInfo(
        symbol=symbol,
        instrument_type="Currency Pair",
        underlying_symbol=symbol,
        streamer_symbol=f"{symbol}:AFX",
        multiplier=Decimal(1),
        tick_size=Decimal("0.00001"),
        expires_at=None,
        is_fractional=True,
        is_index=False,
        description=description,
        market_collection=CRYPTO,
    )


def pair_wire(symbol: str) -> dict[str, Any]:
    pair_id, _, description, _ = _PAIRS[symbol]
    return {
        "id": pair_id,
        "symbol": symbol,
        "description": description,
        "dx-symbol": f"{symbol}:AFX",
        "instrument-type": "Currency Pair",
    }


def pair_price(symbol: str) -> float:
    return _PAIRS[symbol][3]


def quantity_precisions() -> list[dict[str, Any]]:
    """``/instruments/quantity-decimal-precisions`` items."""
    out: list[dict[str, Any]] = [
        {
            "instrument-type": "Cryptocurrency",
            "symbol": spec.symbol,
            "value": spec.quantity_precision,
            "minimum-increment-precision": spec.increment_precision,
        }
        for spec in CRYPTOS
    ]
    for kind, value in (
        ("Equity", 5),
        ("Equity Option", 0),
        ("Future", 0),
        ("Future Option", 0),
        ("Warrant", 0),
    ):
        out.append({"instrument-type": kind, "value": value, "minimum-increment-precision": 0})
    return out


__all__ = [
    "PAIR_DX",
    "PAIR_SYMBOLS",
    "crypto_wire",
    "info",
    "pair_info",
    "pair_price",
    "pair_wire",
    "quantity_precisions",
]
