"""Market sessions and holidays, for equities and futures (§4.7)."""

from __future__ import annotations

from datetime import date, datetime

from adapters.tastytrade.models import MarketHolidays, MarketSession
from adapters.tastytrade.rest.base import Area, seg


class SessionsApi(Area):
    async def current(self, instrument_collections: list[str]) -> list[MarketSession]:
        """Current sessions of collections such as ``Equity``, ``CME``, ``CFE``."""
        params = {"instrument-collections[]": instrument_collections}
        return await self._many(MarketSession, "/market-time/sessions/current", params)

    async def sessions(
        self,
        instrument_collection: str,
        *,
        from_date: date | None = None,
        to_date: date | None = None,
    ) -> list[MarketSession]:
        params = {
            "instrument-collection": instrument_collection,
            "from-date": from_date,
            "to-date": to_date,
        }
        return await self._many(MarketSession, "/market-time/sessions", params)

    async def equity_session(
        self,
        which: str = "current",
        *,
        day: date | None = None,
        current_time: datetime | None = None,
    ) -> MarketSession:
        """``/market-time/equities/sessions/{current|next|previous}``."""
        if which not in ("current", "next", "previous"):
            raise ValueError(f"which must be current, next or previous, not {which!r}")
        params = {"date": day, "current-time": current_time}
        return await self._one(MarketSession, f"/market-time/equities/sessions/{which}", params)

    async def equity_holidays(self) -> MarketHolidays:
        return await self._one(MarketHolidays, "/market-time/equities/holidays")

    async def futures_session(
        self, which: str = "current", instrument_collection: str | None = None
    ) -> MarketSession:
        """``/market-time/futures/sessions/{current|next|previous}[/{collection}]``."""
        if which not in ("current", "next", "previous"):
            raise ValueError(f"which must be current, next or previous, not {which!r}")
        path = f"/market-time/futures/sessions/{which}"
        if instrument_collection is not None:
            path = f"{path}/{seg(instrument_collection)}"
        return await self._one(MarketSession, path)

    async def futures_holidays(self, instrument_collection: str = "CME") -> MarketHolidays:
        path = f"/market-time/futures/holidays/{seg(instrument_collection)}"
        return await self._one(MarketHolidays, path)


__all__ = ["SessionsApi"]
