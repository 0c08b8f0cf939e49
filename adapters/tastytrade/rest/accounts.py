"""Customers, accounts, trading status, net-liq history, position limits, quote tokens (§4.1, §4.3)."""

from __future__ import annotations

import builtins
from datetime import date, datetime
from typing import Literal

from adapters.tastytrade.models import (
    Account,
    ApiQuoteToken,
    Customer,
    CustomerAccount,
    NetLiqOhlc,
    Order,
    PositionLimit,
    TradingStatus,
)
from adapters.tastytrade.rest.base import Area, fmt_datetime, seg

TimeBack = Literal["1d", "1w", "1m", "3m", "6m", "1y", "all"]


class CustomersApi(Area):
    """``/customers/...``: the customer record and customer-wide order views."""

    async def me(self, *, allow_missing: bool | None = None) -> Customer:
        return await self._one(Customer, "/customers/me", {"allow-missing": allow_missing})

    async def get(self, customer_id: str) -> Customer:
        return await self._one(Customer, f"/customers/{seg(customer_id)}")

    async def orders(
        self,
        customer_id: str,
        account_numbers: list[str],
        *,
        start_date: date | None = None,
        end_date: date | None = None,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
        underlying_symbol: str | None = None,
        statuses: list[str] | None = None,
        per_page: int | None = None,
    ) -> list[Order]:
        """Order history across accounts (``account-numbers[]`` required), all pages."""
        params = {
            "account-numbers[]": account_numbers,
            "start-date": start_date,
            "end-date": end_date,
            "start-at": start_at,
            "end-at": end_at,
            "underlying-symbol": underlying_symbol,
            "status[]": statuses,
        }
        return await self._all(Order, f"/customers/{seg(customer_id)}/orders", params, per_page)

    async def live_orders(
        self, customer_id: str, account_numbers: list[str], *, per_page: int | None = None
    ) -> list[Order]:
        path = f"/customers/{seg(customer_id)}/orders/live"
        return await self._all(Order, path, {"account-numbers[]": account_numbers}, per_page)


class AccountsApi(Area):
    """Accounts of the customer, trading status, net-liq history and limits."""

    async def customer_accounts(self) -> list[CustomerAccount]:
        """Every account with the caller's ``authority-level`` on it."""
        return await self._many(CustomerAccount, "/customers/me/accounts")

    async def list(self, *, include_closed: bool = False) -> list[Account]:
        """The customer's accounts; closed ones only when ``include_closed``."""
        links = await self.customer_accounts()
        return [a.account for a in links if include_closed or not a.account.is_closed]

    async def get(self, account_number: str) -> Account:
        return await self._one(Account, f"/customers/me/accounts/{seg(account_number)}")

    async def trading_status(self, account_number: str) -> TradingStatus:
        return await self._one(TradingStatus, f"/accounts/{seg(account_number)}/trading-status")

    async def position_limit(self, account_number: str) -> PositionLimit:
        return await self._one(PositionLimit, f"/accounts/{seg(account_number)}/position-limit")

    async def net_liq_history(
        self,
        account_number: str,
        *,
        time_back: TimeBack | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        interval: str | None = None,
    ) -> builtins.list[NetLiqOhlc]:
        """Net-liq OHLC bars; either ``time_back`` or ``start_time`` (production only)."""
        if time_back is not None and start_time is not None:
            raise ValueError("pass either time_back or start_time, not both")
        params = {
            "time-back": time_back,
            "start-time": fmt_datetime(start_time),
            "end-time": fmt_datetime(end_time),
            "interval": interval,
        }
        path = f"/accounts/{seg(account_number)}/net-liq/history"
        return await self._many(NetLiqOhlc, path, params)


class QuoteTokensApi(Area):
    """``/api-quote-tokens``: the DXLink token and URL (valid 24 h)."""

    async def get(self) -> ApiQuoteToken:
        return await self._one(ApiQuoteToken, "/api-quote-tokens")


__all__ = ["AccountsApi", "CustomersApi", "QuoteTokensApi", "TimeBack"]
