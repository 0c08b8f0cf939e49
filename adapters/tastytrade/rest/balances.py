"""Balances, balance snapshots and positions (§4.2)."""

from __future__ import annotations

from datetime import date

from adapters.tastytrade.models import (
    AccountBalance,
    AccountBalanceSnapshot,
    CurrentPosition,
    InstrumentType,
    TimeOfDay,
)
from adapters.tastytrade.rest.base import Area, seg


class BalancesApi(Area):
    async def get_balances(
        self, account_number: str, currency: str | None = "USD"
    ) -> AccountBalance:
        """The balance in ``currency`` (``None``: the account's default, ``/balances``)."""
        path = f"/accounts/{seg(account_number)}/balances"
        if currency is not None:
            path = f"{path}/{seg(currency)}"
        return await self._one(AccountBalance, path)

    async def snapshots(
        self,
        account_number: str,
        *,
        time_of_day: TimeOfDay | str = TimeOfDay.EOD,
        currency: str | None = "USD",
        snapshot_date: date | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        per_page: int | None = None,
    ) -> list[AccountBalanceSnapshot]:
        """Balance snapshots (``time-of-day`` is required by the API), all pages."""
        params = {
            "time-of-day": str(time_of_day),
            "currency": currency,
            "snapshot-date": snapshot_date,
            "start-date": start_date,
            "end-date": end_date,
        }
        path = f"/accounts/{seg(account_number)}/balance-snapshots"
        return await self._all(AccountBalanceSnapshot, path, params, per_page)


class PositionsApi(Area):
    async def get_positions(
        self,
        account_number: str,
        *,
        underlying_symbols: list[str] | None = None,
        symbol: str | None = None,
        instrument_type: InstrumentType | str | None = None,
        include_closed: bool | None = None,
        underlying_product_code: str | None = None,
        partition_keys: list[str] | None = None,
        net_positions: bool | None = None,
        include_marks: bool | None = None,
    ) -> list[CurrentPosition]:
        params = {
            "underlying-symbol[]": underlying_symbols,
            "symbol": symbol,
            "instrument-type": None if instrument_type is None else str(instrument_type),
            "include-closed-positions": include_closed,
            "underlying-product-code": underlying_product_code,
            "partition-keys[]": partition_keys,
            "net-positions": net_positions,
            "include-marks": include_marks,
        }
        path = f"/accounts/{seg(account_number)}/positions"
        return await self._many(CurrentPosition, path, params)


__all__ = ["BalancesApi", "PositionsApi"]
