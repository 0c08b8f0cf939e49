"""Positions and yearly realized-gain summaries (§4.2, §6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from adapters.tastytrade.models.base import Dec, NanDec, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import (
    InstrumentTypeField,
    PriceEffectField,
    QuantityDirection,
    QuantityDirectionField,
    signed,
)


class CurrentPosition(TastytradeModel):
    """One position; ``quantity`` is always positive, the side is ``quantity_direction``."""

    account_number: str
    symbol: str
    instrument_type: InstrumentTypeField
    underlying_symbol: str | None = None
    quantity: Dec
    quantity_direction: QuantityDirectionField
    close_price: NanDec | None = None
    average_open_price: Dec | None = None
    multiplier: Dec | None = None
    cost_effect: PriceEffectField | None = None
    is_suppressed: bool | None = None
    is_frozen: bool | None = None
    realized_day_gain: Dec | None = None
    realized_day_gain_effect: PriceEffectField | None = None
    realized_day_gain_date: date | None = None
    realized_today: Dec | None = None
    realized_today_effect: PriceEffectField | None = None
    realized_today_date: date | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    mark: NanDec | None = None
    mark_price: NanDec | None = None
    restricted_quantity: Dec | None = None
    expires_at: Timestamp | None = None
    fixing_price: NanDec | None = None
    deliverable_type: str | None = None
    average_yearly_market_close_price: NanDec | None = None
    average_daily_market_close_price: NanDec | None = None
    streamer_symbol: str | None = None
    face_value: Dec | None = None
    par_size: Dec | None = None
    order_id: int | None = None
    update_type: str | None = None

    @property
    def signed_quantity(self) -> Decimal:
        """Quantity with the direction applied: short positions are negative."""
        return (
            -self.quantity if self.quantity_direction == QuantityDirection.SHORT else self.quantity
        )

    @property
    def signed_realized_day_gain(self) -> Decimal | None:
        return signed(self.realized_day_gain, self.realized_day_gain_effect)


class UnderlyingYearGainSummary(TastytradeModel):
    """Yearly realized gain per underlying (account-streamer ``UnderlyingYearGainSummary``)."""

    year: int
    account_number: str
    symbol: str
    instrument_type: InstrumentTypeField | None = None
    fees: Dec | None = None
    fees_effect: PriceEffectField | None = None
    commissions: Dec | None = None
    commissions_effect: PriceEffectField | None = None
    yearly_realized_gain: Dec | None = None
    yearly_realized_gain_effect: PriceEffectField | None = None
    realized_lot_gain: Dec | None = None
    realized_lot_gain_effect: PriceEffectField | None = None


__all__ = ["CurrentPosition", "UnderlyingYearGainSummary"]
