"""Option chains (full, nested, compact) and futures-option chains (§4.6)."""

from __future__ import annotations

from adapters.tastytrade.models import (
    CompactOptionChain,
    EquityOption,
    FutureOption,
    NestedFutureOptionChain,
    NestedOptionChain,
)
from adapters.tastytrade.rest.base import Area, seg, sym


class ChainsApi(Area):
    async def option_chain(self, symbol: str) -> list[EquityOption]:
        """Every option of an underlying (can be thousands of rows)."""
        return await self._many(EquityOption, f"/option-chains/{sym(symbol, 'equity')}")

    async def nested(self, symbol: str) -> list[NestedOptionChain]:
        """One item per option root (e.g. SPY plus non-standard roots)."""
        path = f"/option-chains/{sym(symbol, 'equity')}/nested"
        return await self._many(NestedOptionChain, path)

    async def compact(self, symbol: str) -> list[CompactOptionChain]:
        path = f"/option-chains/{sym(symbol, 'equity')}/compact"
        return await self._many(CompactOptionChain, path)

    async def futures_option_chain(self, product_code: str) -> list[FutureOption]:
        """Every future option of a product (``ES`` or ``/ES``)."""
        path = f"/futures-option-chains/{seg(product_code.removeprefix('/'))}"
        return await self._many(FutureOption, path)

    async def futures_nested(self, product_code: str) -> NestedFutureOptionChain:
        path = f"/futures-option-chains/{seg(product_code.removeprefix('/'))}/nested"
        return await self._one(NestedFutureOptionChain, path)


__all__ = ["ChainsApi"]
