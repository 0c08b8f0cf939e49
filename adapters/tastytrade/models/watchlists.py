"""Public, private and pairs watchlists (§4.7)."""

from __future__ import annotations

from adapters.tastytrade.models.base import Dec, TastytradeModel
from adapters.tastytrade.models.enums import InstrumentTypeField


class WatchlistEntry(TastytradeModel):
    symbol: str
    instrument_type: InstrumentTypeField | None = None


class Watchlist(TastytradeModel):
    name: str
    group_name: str | None = None
    order_index: int | None = None
    cms_id: str | None = None
    watchlist_entries: tuple[WatchlistEntry, ...] | None = None


class PairsEquation(TastytradeModel):
    left_action: str
    left_symbol: str
    left_quantity: Dec
    right_action: str
    right_symbol: str
    right_quantity: Dec


class PairsWatchlist(TastytradeModel):
    name: str
    order_index: int | None = None
    pairs_equations: tuple[PairsEquation, ...] = ()


__all__ = ["PairsEquation", "PairsWatchlist", "Watchlist", "WatchlistEntry"]
