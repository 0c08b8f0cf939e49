"""Instrument catalogue: equities, options, futures, future options, crypto, warrants, search (§4.6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import quote

from adapters.tastytrade.models import (
    Cryptocurrency,
    CurrencyPair,
    Equity,
    EquityOption,
    Future,
    FutureOption,
    FutureOptionProduct,
    FutureProduct,
    InstrumentSearchResult,
    Lendability,
    OptionType,
    QuantityDecimalPrecision,
    SymbolData,
    Warrant,
)
from adapters.tastytrade.rest.base import Area, seg, sym


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


class InstrumentsApi(Area):
    # --- equities -----------------------------------------------------------------------------
    async def equities(
        self,
        symbols: list[str] | None = None,
        *,
        lendability: Lendability | str | None = None,
        is_index: bool | None = None,
        is_etf: bool | None = None,
        per_page: int | None = None,
    ) -> list[Equity]:
        params = {
            "symbol[]": symbols,
            "lendability": _opt(lendability),
            "is-index": is_index,
            "is-etf": is_etf,
        }
        return await self._all(Equity, "/instruments/equities", params, per_page)

    async def active_equities(
        self, *, lendability: Lendability | str | None = None, per_page: int | None = 1000
    ) -> list[Equity]:
        """Every active equity (large: thousands of rows over several pages)."""
        params = {"lendability": _opt(lendability)}
        return await self._all(Equity, "/instruments/equities/active", params, per_page)

    async def equity(self, symbol: str) -> Equity:
        return await self._one(Equity, f"/instruments/equities/{sym(symbol, 'equity')}")

    # --- equity options -------------------------------------------------------------------------
    async def equity_options(
        self,
        symbols: list[str],
        *,
        active: bool | None = None,
        with_expired: bool | None = None,
    ) -> list[EquityOption]:
        params = {"symbol[]": symbols, "active": active, "with-expired": with_expired}
        return await self._many(EquityOption, "/instruments/equity-options", params)

    async def equity_option(self, symbol: str, *, active: bool | None = None) -> EquityOption:
        """One option by OCC symbol (spaces are encoded as ``%20``)."""
        path = f"/instruments/equity-options/{sym(symbol, 'equity-option')}"
        return await self._one(EquityOption, path, {"active": active})

    # --- futures --------------------------------------------------------------------------------
    async def futures(
        self,
        symbols: list[str] | None = None,
        *,
        product_codes: list[str] | None = None,
        exchange: str | None = None,
        security_ids: list[str] | None = None,
        only_active: bool | None = None,
        per_page: int | None = None,
    ) -> list[Future]:
        params = {
            "symbol[]": symbols,
            "product-code[]": product_codes,
            "exchange": exchange,
            "security-id[]": security_ids,
            "only-active-futures": only_active,
        }
        return await self._all(Future, "/instruments/futures", params, per_page)

    async def future(self, symbol: str) -> Future:
        """One contract; the path drops the leading ``/`` (``/ESZ9`` → ``ESZ9``)."""
        return await self._one(Future, f"/instruments/futures/{sym(symbol, 'future')}")

    async def future_products(self) -> list[FutureProduct]:
        return await self._all(FutureProduct, "/instruments/future-products")

    async def future_product(self, code: str, exchange: str = "CME") -> FutureProduct:
        path = f"/instruments/future-products/{seg(exchange)}/{seg(code.removeprefix('/'))}"
        return await self._one(FutureProduct, path)

    async def future_option_products(self) -> list[FutureOptionProduct]:
        return await self._many(FutureOptionProduct, "/instruments/future-option-products")

    async def future_option_product(
        self, root_symbol: str, exchange: str | None = None
    ) -> FutureOptionProduct:
        root = seg(root_symbol.removeprefix("/"))
        prefix = "/instruments/future-option-products"
        path = f"{prefix}/{seg(exchange)}/{root}" if exchange else f"{prefix}/{root}"
        return await self._one(FutureOptionProduct, path)

    async def future_options(
        self,
        symbols: list[str] | None = None,
        *,
        option_root_symbol: str | None = None,
        expiration_date: date | None = None,
        option_type: OptionType | str | None = None,
        strike_price: Decimal | None = None,
    ) -> list[FutureOption]:
        params = {
            "symbol[]": symbols,
            "option-root-symbol": option_root_symbol,
            "expiration-date": expiration_date,
            "option-type": _opt(option_type),
            "strike-price": strike_price,
        }
        return await self._many(FutureOption, "/instruments/future-options", params)

    async def future_option(self, symbol: str) -> FutureOption:
        path = f"/instruments/future-options/{sym(symbol, 'future-option')}"
        return await self._one(FutureOption, path)

    # --- crypto, warrants, currency pairs ---------------------------------------------------------
    async def cryptocurrencies(self, symbols: list[str] | None = None) -> list[Cryptocurrency]:
        params = {"symbol[]": symbols}
        return await self._many(Cryptocurrency, "/instruments/cryptocurrencies", params)

    async def cryptocurrency(self, symbol: str) -> Cryptocurrency:
        path = f"/instruments/cryptocurrencies/{sym(symbol, 'cryptocurrency')}"
        return await self._one(Cryptocurrency, path)

    async def warrants(self, symbols: list[str] | None = None) -> list[Warrant]:
        return await self._many(Warrant, "/instruments/warrants", {"symbol[]": symbols})

    async def warrant(self, symbol: str) -> Warrant:
        return await self._one(Warrant, f"/instruments/warrants/{sym(symbol, 'warrant')}")

    async def currency_pairs(self) -> list[CurrencyPair]:
        return await self._many(CurrencyPair, "/instruments/currency-pairs")

    async def quantity_decimal_precisions(self) -> list[QuantityDecimalPrecision]:
        path = "/instruments/quantity-decimal-precisions"
        return await self._many(QuantityDecimalPrecision, path)

    # --- search -----------------------------------------------------------------------------------
    async def search(
        self,
        query: str,
        *,
        type: str | None = None,
        category: str | None = None,
        exchange: str | None = None,
        from_date: date | None = None,
        limit: int | None = None,
    ) -> list[InstrumentSearchResult]:
        params = {
            "query": query,
            "type": type,
            "category": category,
            "exchange": exchange,
            "from-date": from_date,
            "limit": limit,
        }
        return await self._many(InstrumentSearchResult, "/instruments/search", params)

    async def symbol_search(self, prefix: str) -> list[SymbolData]:
        return await self._many(SymbolData, f"/symbols/search/{quote(prefix, safe='')}")


__all__ = ["InstrumentsApi"]
