"""The cross-team instrument contract: what the order engine and the market need to know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class InstrumentInfo:
    symbol: str
    instrument_type: str
    underlying_symbol: str
    streamer_symbol: str
    multiplier: Decimal
    tick_size: Decimal
    expires_at: datetime | None
    is_fractional: bool
    is_index: bool
    description: str
    market_collection: str
    # pricing inputs (not part of the cross-team contract)
    strike: Decimal | None = None
    option_type: str | None = None
    exercise_style: str | None = None
    root_symbol: str | None = None


__all__ = ["InstrumentInfo"]
