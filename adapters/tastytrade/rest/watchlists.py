"""Watchlists (public, private CRUD, pairs) and quote alerts (§4.7)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from adapters.tastytrade.models import (
    AlertField,
    AlertOperator,
    InstrumentType,
    PairsWatchlist,
    QuoteAlert,
    Watchlist,
    WatchlistEntry,
)
from adapters.tastytrade.models.base import parse_model
from adapters.tastytrade.rest.base import Area, Body, seg, wire


class WatchlistsApi(Area):
    async def public(self, *, counts_only: bool | None = None) -> list[Watchlist]:
        return await self._many(Watchlist, "/public-watchlists", {"counts-only": counts_only})

    async def public_get(self, name: str) -> Watchlist:
        return await self._one(Watchlist, f"/public-watchlists/{seg(name)}")

    async def private(self) -> list[Watchlist]:
        return await self._many(Watchlist, "/watchlists")

    async def get(self, name: str) -> Watchlist:
        return await self._one(Watchlist, f"/watchlists/{seg(name)}")

    async def create(self, watchlist: Watchlist | Body) -> Watchlist:
        return await self._send(Watchlist, "POST", "/watchlists", json=wire(watchlist))

    async def update(self, name: str, watchlist: Watchlist | Body) -> Watchlist:
        """Replace a private watchlist's entries (PUT)."""
        return await self._send(Watchlist, "PUT", f"/watchlists/{seg(name)}", json=wire(watchlist))

    async def delete(self, name: str) -> Watchlist | None:
        data = await self._send_no_content("DELETE", f"/watchlists/{seg(name)}")
        return None if not data else parse_model(Watchlist, data, self.errors)

    async def pairs(self) -> list[PairsWatchlist]:
        return await self._many(PairsWatchlist, "/pairs-watchlists")

    async def pairs_get(self, name: str) -> PairsWatchlist:
        return await self._one(PairsWatchlist, f"/pairs-watchlists/{seg(name)}")

    @staticmethod
    def build(name: str, symbols: list[tuple[str, InstrumentType | str | None]]) -> Watchlist:
        """A watchlist body from ``(symbol, instrument type)`` pairs."""
        entries = tuple(WatchlistEntry(symbol=s, instrument_type=t) for s, t in symbols)
        return Watchlist(name=name, watchlist_entries=entries)


class AlertsApi(Area):
    async def list(self) -> list[QuoteAlert]:
        return await self._many(QuoteAlert, "/quote-alerts")

    async def create(
        self,
        symbol: str,
        field: AlertField | str,
        operator: AlertOperator | str,
        threshold: Decimal,
        *,
        dx_symbol: str | None = None,
        instrument_type: InstrumentType | str | None = None,
        expires_at: datetime | None = None,
    ) -> QuoteAlert:
        body: dict[str, object] = {
            "symbol": symbol,
            "field": str(field),
            "operator": str(operator),
            "threshold": format(threshold, "f"),
        }
        if dx_symbol is not None:
            body["dx-symbol"] = dx_symbol
        if instrument_type is not None:
            body["instrument-type"] = str(instrument_type)
        if expires_at is not None:
            body["expires-at"] = int(expires_at.timestamp() * 1000)
        return await self._send(QuoteAlert, "POST", "/quote-alerts", json=body)

    async def delete(self, alert_external_id: str) -> None:
        """Delete an alert (the API answers 204)."""
        await self._send_no_content("DELETE", f"/quote-alerts/{seg(alert_external_id)}")


__all__ = ["AlertsApi", "WatchlistsApi"]
