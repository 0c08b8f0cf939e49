"""Transactions (transparently paginated), single transactions and daily fee totals (§4.3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any, Literal

from adapters.tastytrade.models import InstrumentType, TotalFees, Transaction
from adapters.tastytrade.rest.base import Area, Params, seg

Sort = Literal["Desc", "Asc"]


def _filters(**values: Any) -> Params:
    keys = {
        "type": "type",
        "types": "types[]",
        "sub_types": "sub-type[]",
        "start_date": "start-date",
        "end_date": "end-date",
        "instrument_type": "instrument-type",
        "symbol": "symbol",
        "underlying_symbol": "underlying-symbol",
        "action": "action",
        "partition_key": "partition-key",
        "futures_symbol": "futures-symbol",
        "start_at": "start-at",
        "end_at": "end-at",
        "currency": "currency",
        "sort": "sort",
    }
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is not None and not isinstance(value, list | date | bool | int):
            value = str(value)
        out[keys[name]] = value
    return out


class TransactionsApi(Area):
    def iterate(
        self,
        account_number: str,
        *,
        type: str | None = None,
        types: list[str] | None = None,
        sub_types: list[str] | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        instrument_type: InstrumentType | str | None = None,
        symbol: str | None = None,
        underlying_symbol: str | None = None,
        action: str | None = None,
        partition_key: str | None = None,
        futures_symbol: str | None = None,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
        currency: str | None = None,
        sort: Sort | None = None,
        per_page: int | None = None,
    ) -> AsyncIterator[Transaction]:
        """Every matching transaction, page after page, as they arrive."""
        params = _filters(
            type=type,
            types=types,
            sub_types=sub_types,
            start_date=start_date,
            end_date=end_date,
            instrument_type=instrument_type,
            symbol=symbol,
            underlying_symbol=underlying_symbol,
            action=action,
            partition_key=partition_key,
            futures_symbol=futures_symbol,
            start_at=start_at,
            end_at=end_at,
            currency=currency,
            sort=sort,
        )
        path = f"/accounts/{seg(account_number)}/transactions"
        return self._iter(Transaction, path, params, per_page)

    async def list(
        self,
        account_number: str,
        *,
        type: str | None = None,
        types: list[str] | None = None,
        sub_types: list[str] | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        instrument_type: InstrumentType | str | None = None,
        symbol: str | None = None,
        underlying_symbol: str | None = None,
        action: str | None = None,
        partition_key: str | None = None,
        futures_symbol: str | None = None,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
        currency: str | None = None,
        sort: Sort | None = None,
        per_page: int | None = None,
    ) -> list[Transaction]:
        """All matching transactions across every page."""
        iterator = self.iterate(
            account_number,
            type=type,
            types=types,
            sub_types=sub_types,
            start_date=start_date,
            end_date=end_date,
            instrument_type=instrument_type,
            symbol=symbol,
            underlying_symbol=underlying_symbol,
            action=action,
            partition_key=partition_key,
            futures_symbol=futures_symbol,
            start_at=start_at,
            end_at=end_at,
            currency=currency,
            sort=sort,
            per_page=per_page,
        )
        return [t async for t in iterator]

    async def get(self, account_number: str, transaction_id: int) -> Transaction:
        path = f"/accounts/{seg(account_number)}/transactions/{seg(transaction_id)}"
        return await self._one(Transaction, path)

    async def total_fees(self, account_number: str, day: date | None = None) -> TotalFees:
        """Fees charged on ``day`` (the API's default: today)."""
        path = f"/accounts/{seg(account_number)}/transactions/total-fees"
        return await self._one(TotalFees, path, {"date": day})


__all__ = ["Sort", "TransactionsApi"]
