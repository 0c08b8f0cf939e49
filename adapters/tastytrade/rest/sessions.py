"""Market sessions and holidays, for equities and futures (§4.7).

The ``current`` endpoints answer a :class:`MarketSession` (with ``state`` and the next and
previous sessions); ``next``/``previous`` and date ranges answer :class:`SessionInfo` days.
"""

from __future__ import annotations

from datetime import date, datetime

from adapters.tastytrade.models import MarketHolidays, MarketSession, SessionInfo
from adapters.tastytrade.rest.base import Area, Params, seg


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
    ) -> list[SessionInfo]:
        """The sessions of each trading day in a date range."""
        params = {
            "instrument-collection": instrument_collection,
            "from-date": from_date,
            "to-date": to_date,
        }
        return await self._many(SessionInfo, "/market-time/sessions", params)

    # --- equities -------------------------------------------------------------------------------
    async def equity_current(self, *, current_time: datetime | None = None) -> MarketSession:
        path = "/market-time/equities/sessions/current"
        return await self._one(MarketSession, path, {"current-time": current_time})

    async def equity_next(self, *, day: date | None = None) -> SessionInfo:
        return await self._one(SessionInfo, "/market-time/equities/sessions/next", _day(day))

    async def equity_previous(self, *, day: date | None = None) -> SessionInfo:
        path = "/market-time/equities/sessions/previous"
        return await self._one(SessionInfo, path, _day(day))

    async def equity_holidays(self) -> MarketHolidays:
        return await self._one(MarketHolidays, "/market-time/equities/holidays")

    # --- futures --------------------------------------------------------------------------------
    async def futures_current(self, instrument_collection: str | None = None) -> MarketSession:
        """``/market-time/futures/sessions/current[/{collection}]``."""
        path = "/market-time/futures/sessions/current"
        if instrument_collection is not None:
            path = f"{path}/{seg(instrument_collection)}"
        return await self._one(MarketSession, path)

    async def futures_next(self, instrument_collection: str = "CME") -> SessionInfo:
        path = f"/market-time/futures/sessions/next/{seg(instrument_collection)}"
        return await self._one(SessionInfo, path)

    async def futures_previous(self, instrument_collection: str = "CME") -> SessionInfo:
        path = f"/market-time/futures/sessions/previous/{seg(instrument_collection)}"
        return await self._one(SessionInfo, path)

    async def futures_holidays(self, instrument_collection: str = "CME") -> MarketHolidays:
        path = f"/market-time/futures/holidays/{seg(instrument_collection)}"
        return await self._one(MarketHolidays, path)


def _day(day: date | None) -> Params:
    return {"date": day}


__all__ = ["SessionsApi"]
