"""REST market-data snapshots (``/market-data/by-type``, ``/market-data/{type}/{symbol}``)."""

from __future__ import annotations

from datetime import date

from adapters.tastytrade.models.base import NanDec, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import ClosePriceTypeField, InstrumentTypeField


class MarketData(TastytradeModel):
    """A quote/summary snapshot; halt times are epoch ms with ``-1`` meaning none."""

    symbol: str
    instrument_type: InstrumentTypeField
    updated_at: Timestamp | None = None
    bid: NanDec | None = None
    bid_size: NanDec | None = None
    ask: NanDec | None = None
    ask_size: NanDec | None = None
    mid: NanDec | None = None
    mark: NanDec | None = None
    last: NanDec | None = None
    last_mkt: NanDec | None = None
    last_ext: NanDec | None = None
    open: NanDec | None = None
    day_high_price: NanDec | None = None
    day_low_price: NanDec | None = None
    close: NanDec | None = None
    close_price_type: ClosePriceTypeField | None = None
    prev_close: NanDec | None = None
    prev_close_price_type: ClosePriceTypeField | None = None
    summary_date: date | None = None
    prev_close_date: date | None = None
    is_trading_halted: bool | None = None
    halt_start_time: int | None = None
    halt_end_time: int | None = None
    year_low_price: NanDec | None = None
    year_high_price: NanDec | None = None
    volume: NanDec | None = None
    volume_ext: NanDec | None = None
    beta: NanDec | None = None
    dividend_amount: NanDec | None = None
    dividend_frequency: NanDec | None = None
    low_limit_price: NanDec | None = None
    high_limit_price: NanDec | None = None
    open_interest: NanDec | None = None
    implied_volatility: NanDec | None = None
    delta: NanDec | None = None
    gamma: NanDec | None = None
    theta: NanDec | None = None
    vega: NanDec | None = None
    rho: NanDec | None = None
    theo_price: NanDec | None = None

    @property
    def is_halted(self) -> bool:
        return bool(self.is_trading_halted)


__all__ = ["MarketData"]
