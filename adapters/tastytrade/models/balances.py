"""Balances, balance snapshots and net-liq history (§4.2, §4.3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from adapters.tastytrade.models.base import Dec, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import PriceEffectField, TimeOfDayField, signed


class _BalanceFields(TastytradeModel):
    """Fields shared by the live balance and its snapshots; amounts unsigned unless noted."""

    account_number: str
    currency: str | None = None
    cash_balance: Dec | None = None
    long_equity_value: Dec | None = None
    short_equity_value: Dec | None = None
    long_derivative_value: Dec | None = None
    short_derivative_value: Dec | None = None
    long_futures_value: Dec | None = None
    short_futures_value: Dec | None = None
    long_futures_derivative_value: Dec | None = None
    short_futures_derivative_value: Dec | None = None
    long_margineable_value: Dec | None = None
    short_margineable_value: Dec | None = None
    margin_equity: Dec | None = None
    equity_buying_power: Dec | None = None
    derivative_buying_power: Dec | None = None
    day_trading_buying_power: Dec | None = None
    futures_margin_requirement: Dec | None = None
    available_trading_funds: Dec | None = None
    maintenance_requirement: Dec | None = None
    maintenance_call_value: Dec | None = None
    reg_t_call_value: Dec | None = None
    day_trading_call_value: Dec | None = None
    day_equity_call_value: Dec | None = None
    net_liquidating_value: Dec | None = None
    cash_available_to_withdraw: Dec | None = None
    day_trade_excess: Dec | None = None
    pending_cash: Dec | None = None
    pending_cash_effect: PriceEffectField | None = None
    long_cryptocurrency_value: Dec | None = None
    short_cryptocurrency_value: Dec | None = None
    cryptocurrency_margin_requirement: Dec | None = None
    unsettled_cryptocurrency_fiat_amount: Dec | None = None
    unsettled_cryptocurrency_fiat_effect: PriceEffectField | None = None
    closed_loop_available_balance: Dec | None = None
    equity_offering_margin_requirement: Dec | None = None
    long_bond_value: Dec | None = None
    bond_margin_requirement: Dec | None = None
    used_derivative_buying_power: Dec | None = None
    snapshot_date: date | None = None
    reg_t_margin_requirement: Dec | None = None
    futures_overnight_margin_requirement: Dec | None = None
    futures_intraday_margin_requirement: Dec | None = None
    maintenance_excess: Dec | None = None
    pending_margin_interest: Dec | None = None
    effective_cryptocurrency_buying_power: Dec | None = None
    updated_at: Timestamp | None = None
    apex_starting_day_margin_equity: Dec | None = None
    buying_power_adjustment: Dec | None = None
    buying_power_adjustment_effect: PriceEffectField | None = None
    time_of_day: TimeOfDayField | None = None
    cash_settle_balance: Dec | None = None
    margin_settle_balance: Dec | None = None
    total_settle_balance: Dec | None = None
    sma_equity_option_buying_power: Dec | None = None
    special_memorandum_account_value: Dec | None = None
    special_memorandum_account_apex_adjustment: Dec | None = None
    long_index_derivative_value: Dec | None = None
    short_index_derivative_value: Dec | None = None
    total_pending_liquidity_pool_rebate: Dec | None = None
    fixed_income_security_margin_requirement: Dec | None = None
    long_fixed_income_security_value: Dec | None = None
    intraday_equities_cash_amount: Dec | None = None
    intraday_equities_cash_effect: PriceEffectField | None = None
    intraday_futures_cash_amount: Dec | None = None
    intraday_futures_cash_effect: PriceEffectField | None = None

    @property
    def signed_pending_cash(self) -> Decimal | None:
        return signed(self.pending_cash, self.pending_cash_effect)


class AccountBalance(_BalanceFields):
    """The current balance of one account in one currency (``/accounts/{n}/balances``)."""


class AccountBalanceSnapshot(_BalanceFields):
    """A BOD/EOD/intraday balance snapshot (``/accounts/{n}/balance-snapshots``)."""


class NetLiqOhlc(TastytradeModel):
    """One bar of net-liquidating-value history (``/accounts/{n}/net-liq/history``)."""

    open: Dec
    high: Dec
    low: Dec
    close: Dec
    pending_cash_open: Dec | None = None
    pending_cash_high: Dec | None = None
    pending_cash_low: Dec | None = None
    pending_cash_close: Dec | None = None
    total_open: Dec | None = None
    total_high: Dec | None = None
    total_low: Dec | None = None
    total_close: Dec | None = None
    time: str


__all__ = ["AccountBalance", "AccountBalanceSnapshot", "NetLiqOhlc"]
