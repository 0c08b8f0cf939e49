"""REST market data (by type, by symbol), market metrics, dividends and earnings (§4.7).

``/market-data/by-type`` takes repeated plain keys (``equity=SPY&equity=AAPL``) and at most
100 symbols per request across all types; ``/market-metrics`` takes a comma list. Both are
chunked here so callers can pass any number of symbols.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from urllib.parse import quote

from adapters.tastytrade.models import DividendInfo, EarningsInfo, MarketData, MarketMetricInfo
from adapters.tastytrade.rest.base import MAX_SYMBOLS_PER_REQUEST, Area, chunks, sym, unique

_BY_TYPE_KEYS = (
    "index",
    "equity",
    "equity-option",
    "future",
    "future-option",
    "cryptocurrency",
)


class MarketDataApi(Area):
    async def by_type(
        self,
        *,
        index: Sequence[str] = (),
        equity: Sequence[str] = (),
        equity_option: Sequence[str] = (),
        future: Sequence[str] = (),
        future_option: Sequence[str] = (),
        cryptocurrency: Sequence[str] = (),
    ) -> list[MarketData]:
        """Snapshots for any number of symbols, in requests of at most 100 symbols combined."""
        pairs = [
            (key, symbol)
            for key, symbols in zip(
                _BY_TYPE_KEYS,
                (index, equity, equity_option, future, future_option, cryptocurrency),
                strict=True,
            )
            for symbol in unique(symbols)
        ]
        out: list[MarketData] = []
        for chunk in chunks(pairs, MAX_SYMBOLS_PER_REQUEST):
            params: dict[str, list[str]] = {}
            for key, symbol in chunk:
                params.setdefault(key, []).append(symbol)
            out.extend(await self._many(MarketData, "/market-data/by-type", params))
        return out

    async def by_symbol(self, instrument_type: str, symbol: str) -> MarketData:
        """One snapshot, e.g. ``by_symbol("Index", "VIX")`` → ``/market-data/Index/VIX``."""
        # every symbol kind is fully percent-encoded here; a future keeps its "/" as %2F
        encoded = quote(symbol, safe="")
        path = f"/market-data/{quote(instrument_type, safe='')}/{encoded}"
        return await self._one(MarketData, path)


class MetricsApi(Area):
    async def market_metrics(self, symbols: Sequence[str]) -> list[MarketMetricInfo]:
        """Metrics for any number of symbols (comma list, 100 per request; production only)."""
        out: list[MarketMetricInfo] = []
        for chunk in chunks(unique(symbols), MAX_SYMBOLS_PER_REQUEST):
            params = {"symbols": ",".join(chunk)}
            out.extend(await self._many(MarketMetricInfo, "/market-metrics", params))
        return out

    async def dividends(self, symbol: str) -> list[DividendInfo]:
        path = f"/market-metrics/historic-corporate-events/dividends/{sym(symbol, 'equity')}"
        return await self._many(DividendInfo, path)

    async def earnings(
        self, symbol: str, start_date: date, end_date: date | None = None
    ) -> list[EarningsInfo]:
        path = f"/market-metrics/historic-corporate-events/earnings-reports/{sym(symbol, 'equity')}"
        params = {"start-date": start_date, "end-date": end_date}
        return await self._many(EarningsInfo, path, params)


__all__ = ["MarketDataApi", "MetricsApi"]
