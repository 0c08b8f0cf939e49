"""Single and complex orders: live, history, get, place, dry-run, replace, edit, cancel (§4.4-§4.5).

Bodies are ``NewOrder``/``NewComplexOrder`` (anything with ``to_wire()``) or plain mappings
already in wire form. Nothing here retries a POST: Tastytrade does not deduplicate submissions,
so callers tag orders with ``external-identifier`` and look them up after a timeout.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from adapters.tastytrade.models import (
    ComplexOrder,
    InstrumentType,
    Order,
    OrderStatus,
    PlacedComplexOrderResponse,
    PlacedOrderResponse,
)
from adapters.tastytrade.rest.base import Area, Body, Params, seg, wire


def _history_params(
    *,
    start_date: date | None,
    end_date: date | None,
    start_at: datetime | None,
    end_at: datetime | None,
    underlying_symbol: str | None,
    statuses: builtins.list[OrderStatus | str] | None,
    futures_symbol: str | None,
    underlying_instrument_type: InstrumentType | str | None,
    sort: str | None,
) -> Params:
    return {
        "start-date": start_date,
        "end-date": end_date,
        "start-at": start_at,
        "end-at": end_at,
        "underlying-symbol": underlying_symbol,
        "status[]": None if statuses is None else [str(s) for s in statuses],
        "futures-symbol": futures_symbol,
        "underlying-instrument-type": (
            None if underlying_instrument_type is None else str(underlying_instrument_type)
        ),
        "sort": sort,
    }


class OrdersApi(Area):
    def _base(self, account_number: str) -> str:
        return f"/accounts/{seg(account_number)}/orders"

    async def get_live_orders(self, account_number: str) -> list[Order]:
        """Orders created or updated today, any status (do not poll: use the account streamer)."""
        return await self._all(Order, f"{self._base(account_number)}/live")

    def iter_history(
        self,
        account_number: str,
        *,
        start_date: date | None = None,
        end_date: date | None = None,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
        underlying_symbol: str | None = None,
        statuses: builtins.list[OrderStatus | str] | None = None,
        futures_symbol: str | None = None,
        underlying_instrument_type: InstrumentType | str | None = None,
        sort: str | None = None,
        per_page: int | None = None,
    ) -> AsyncIterator[Order]:
        """Order history, page after page (newer API versions need a start date/time)."""
        params = _history_params(
            start_date=start_date,
            end_date=end_date,
            start_at=start_at,
            end_at=end_at,
            underlying_symbol=underlying_symbol,
            statuses=statuses,
            futures_symbol=futures_symbol,
            underlying_instrument_type=underlying_instrument_type,
            sort=sort,
        )
        return self._iter(Order, self._base(account_number), params, per_page)

    async def history(
        self,
        account_number: str,
        *,
        start_date: date | None = None,
        end_date: date | None = None,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
        underlying_symbol: str | None = None,
        statuses: builtins.list[OrderStatus | str] | None = None,
        futures_symbol: str | None = None,
        underlying_instrument_type: InstrumentType | str | None = None,
        sort: str | None = None,
        per_page: int | None = None,
    ) -> builtins.list[Order]:
        """All matching historic orders across every page."""
        iterator = self.iter_history(
            account_number,
            start_date=start_date,
            end_date=end_date,
            start_at=start_at,
            end_at=end_at,
            underlying_symbol=underlying_symbol,
            statuses=statuses,
            futures_symbol=futures_symbol,
            underlying_instrument_type=underlying_instrument_type,
            sort=sort,
            per_page=per_page,
        )
        return [order async for order in iterator]

    async def get(self, account_number: str, order_id: int) -> Order:
        return await self._one(Order, f"{self._base(account_number)}/{seg(order_id)}")

    async def place(self, account_number: str, order: Body) -> PlacedOrderResponse:
        """Submit an order (never retried automatically: the API does not deduplicate)."""
        return await self._send(
            PlacedOrderResponse, "POST", self._base(account_number), json=wire(order)
        )

    async def dry_run(self, account_number: str, order: Body) -> PlacedOrderResponse:
        """Preflight an order: buying-power effect, fees, and ``warnings``/``errors``."""
        path = f"{self._base(account_number)}/dry-run"
        return await self._send(PlacedOrderResponse, "POST", path, json=wire(order))

    async def replace(self, account_number: str, order_id: int, order: Body) -> Order:
        """Cancel-replace (PUT): only price, order type and TIF may change; ``legs`` are not sent."""
        body: dict[str, Any] = wire(order)
        body.pop("legs", None)
        path = f"{self._base(account_number)}/{seg(order_id)}"
        return await self._send(Order, "PUT", path, json=body)

    async def replace_dry_run(
        self, account_number: str, order_id: int, order: Body
    ) -> PlacedOrderResponse:
        body: dict[str, Any] = wire(order)
        body.pop("legs", None)
        path = f"{self._base(account_number)}/{seg(order_id)}/dry-run"
        return await self._send(PlacedOrderResponse, "POST", path, json=body)

    async def edit(self, account_number: str, order_id: int, changes: Body) -> Order:
        """Partial edit (PATCH) of a working order's price/execution properties."""
        path = f"{self._base(account_number)}/{seg(order_id)}"
        return await self._send(Order, "PATCH", path, json=wire(changes))

    async def cancel(self, account_number: str, order_id: int) -> Order:
        """Request cancellation; the answer shows ``Cancel Requested`` (terminal order → 422)."""
        path = f"{self._base(account_number)}/{seg(order_id)}"
        return await self._send(Order, "DELETE", path)


class ComplexOrdersApi(Area):
    def _base(self, account_number: str) -> str:
        return f"/accounts/{seg(account_number)}/complex-orders"

    async def get_live(self, account_number: str) -> list[ComplexOrder]:
        return await self._all(ComplexOrder, f"{self._base(account_number)}/live")

    async def history(
        self, account_number: str, *, per_page: int | None = None
    ) -> builtins.list[ComplexOrder]:
        return await self._all(ComplexOrder, self._base(account_number), None, per_page)

    async def get(self, account_number: str, complex_order_id: int) -> ComplexOrder:
        path = f"{self._base(account_number)}/{seg(complex_order_id)}"
        return await self._one(ComplexOrder, path)

    async def place(self, account_number: str, order: Body) -> PlacedComplexOrderResponse:
        return await self._send(
            PlacedComplexOrderResponse, "POST", self._base(account_number), json=wire(order)
        )

    async def dry_run(self, account_number: str, order: Body) -> PlacedComplexOrderResponse:
        path = f"{self._base(account_number)}/dry-run"
        return await self._send(PlacedComplexOrderResponse, "POST", path, json=wire(order))

    async def dry_run_replace(
        self, account_number: str, complex_order_id: int, order: Body
    ) -> PlacedComplexOrderResponse:
        """Preflight a replacement for an existing complex order."""
        path = f"{self._base(account_number)}/{seg(complex_order_id)}/dry-run"
        return await self._send(PlacedComplexOrderResponse, "POST", path, json=wire(order))

    async def edit(self, account_number: str, complex_order_id: int, changes: Body) -> ComplexOrder:
        """PATCH a PAIRS order's ``ratio-price-comparator`` / ``ratio-price-threshold``."""
        path = f"{self._base(account_number)}/{seg(complex_order_id)}"
        return await self._send(ComplexOrder, "PATCH", path, json=wire(changes))

    async def cancel(self, account_number: str, complex_order_id: int) -> ComplexOrder:
        """Cancel every non-terminal component (use the complex id, not a child id)."""
        path = f"{self._base(account_number)}/{seg(complex_order_id)}"
        return await self._send(ComplexOrder, "DELETE", path)


__all__ = ["ComplexOrdersApi", "OrdersApi"]
