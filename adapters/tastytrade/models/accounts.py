"""Accounts, the customer-account link, trading status and position limits (§4.1, §4.3)."""

from __future__ import annotations

from datetime import date

from adapters.tastytrade.models.base import Dec, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import MarginOrCashField


class Account(TastytradeModel):
    """A brokerage account (``/customers/me/accounts/{n}``)."""

    account_number: str
    opened_at: Timestamp | None = None
    nickname: str | None = None
    account_type_name: str | None = None
    is_closed: bool = False
    day_trader_status: str | bool | None = None
    is_firm_error: bool | None = None
    is_firm_proprietary: bool | None = None
    is_futures_approved: bool | None = None
    margin_or_cash: MarginOrCashField | None = None
    is_foreign: bool | None = None
    created_at: Timestamp | None = None
    is_test_drive: bool | None = None
    external_id: str | None = None
    closed_at: str | None = None
    funding_date: date | None = None
    investment_objective: str | None = None
    liquidity_needs: str | None = None
    risk_tolerance: str | None = None
    investment_time_horizon: str | None = None
    futures_account_purpose: str | None = None
    external_fdid: str | None = None
    suitable_options_level: str | None = None
    submitting_user_id: str | None = None
    ext_crm_id: str | None = None
    regulatory_domain: str | None = None


class CustomerAccount(TastytradeModel):
    """An item of ``/customers/me/accounts``: the account and the caller's authority on it."""

    account: Account
    authority_level: str | None = None


class TradingStatus(TastytradeModel):
    """What the account may trade right now (``/accounts/{n}/trading-status``)."""

    account_number: str
    equities_margin_calculation_type: str | None = None
    fee_schedule_name: str | None = None
    futures_margin_rate_multiplier: Dec | None = None
    has_intraday_equities_margin: bool | None = None
    id: int | None = None
    is_aggregated_at_clearing: bool | None = None
    is_closed: bool = False
    is_closing_only: bool = False
    is_cryptocurrency_enabled: bool | None = None
    is_frozen: bool = False
    is_full_equity_margin_required: bool | None = None
    is_futures_closing_only: bool | None = None
    is_futures_intra_day_enabled: bool | None = None
    is_futures_enabled: bool | None = None
    is_in_day_trade_equity_maintenance_call: bool | None = None
    is_in_margin_call: bool | None = None
    is_pattern_day_trader: bool | None = None
    is_small_notional_futures_intra_day_enabled: bool | None = None
    is_roll_the_day_forward_enabled: bool | None = None
    are_far_otm_net_options_restricted: bool | None = None
    options_level: str | None = None
    short_calls_enabled: bool | None = None
    small_notional_futures_margin_rate_multiplier: Dec | None = None
    is_equity_offering_enabled: bool | None = None
    is_equity_offering_closing_only: bool | None = None
    updated_at: Timestamp | None = None
    is_portfolio_margin_enabled: bool | None = None
    is_risk_reducing_only: bool | None = None
    day_trade_count: int | None = None
    autotrade_account_type: str | None = None
    clearing_account_number: str | None = None
    clearing_aggregation_identifier: str | None = None
    is_cryptocurrency_closing_only: bool | None = None
    pdt_reset_on: date | None = None
    cmta_override: int | None = None
    enhanced_fraud_safeguards_enabled_at: Timestamp | None = None


class PositionLimit(TastytradeModel):
    """Order-size and position-size limits (``/accounts/{n}/position-limit``)."""

    account_number: str | None = None
    equity_order_size: int | None = None
    equity_option_order_size: int | None = None
    future_order_size: int | None = None
    future_option_order_size: int | None = None
    underlying_opening_order_limit: int | None = None
    equity_position_size: int | None = None
    equity_option_position_size: int | None = None
    future_position_size: int | None = None
    future_option_position_size: int | None = None


__all__ = ["Account", "CustomerAccount", "PositionLimit", "TradingStatus"]
