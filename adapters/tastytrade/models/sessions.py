"""Market sessions and holidays (§4.7)."""

from __future__ import annotations

from datetime import date

from adapters.tastytrade.models.base import TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import MarketSessionStateField


class SessionInfo(TastytradeModel):
    """One trading day's session times: ``next-session`` / ``previous-session``, the answers of
    the ``next``/``previous`` endpoints and of ``/market-time/sessions`` ranges. ``close-at`` may
    be absent around holidays."""

    session_date: date
    open_at: Timestamp | None = None
    start_at: Timestamp | None = None
    close_at: Timestamp | None = None
    close_at_ext: Timestamp | None = None
    instrument_collection: str | None = None
    state: MarketSessionStateField | None = None


class MarketSession(TastytradeModel):
    instrument_collection: str | None = None
    state: MarketSessionStateField
    open_at: Timestamp | None = None
    close_at: Timestamp | None = None
    close_at_ext: Timestamp | None = None
    start_at: Timestamp | None = None
    session_date: date | None = None
    next_session: SessionInfo | None = None
    previous_session: SessionInfo | None = None


class MarketHolidays(TastytradeModel):
    """``/market-time/equities/holidays`` and ``/market-time/futures/holidays/{collection}``."""

    market_half_days: tuple[date, ...] = ()
    market_holidays: tuple[date, ...] = ()
    instrument_collection: str | None = None


__all__ = ["MarketHolidays", "MarketSession", "SessionInfo"]
