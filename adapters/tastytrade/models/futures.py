"""Futures, future products, future options and their products (§4.6)."""

from __future__ import annotations

from datetime import date

from adapters.tastytrade.models.base import DatePrefix, Dec, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import (
    ExerciseStyleField,
    InstrumentType,
    InstrumentTypeField,
    OptionTypeField,
    SettlementTypeField,
)
from adapters.tastytrade.models.instruments import TickSize


class Roll(TastytradeModel):
    name: str | None = None
    active_count: int | None = None
    cash_settled: bool | None = None
    business_days_offset: int | None = None
    first_notice: bool | None = None


class FuturesTradingCutoffTime(TastytradeModel):
    offset_seconds: int | None = None
    timezone: str | None = None
    timing: str | None = None


class FutureOptionProduct(TastytradeModel):
    root_symbol: str
    code: str | None = None
    cash_settled: bool | None = None
    display_factor: Dec | None = None
    exchange: str | None = None
    product_type: str | None = None
    expiration_type: str | None = None
    settlement_delay_days: int | None = None
    market_sector: str | None = None
    clearing_code: str | None = None
    clearing_exchange_code: str | None = None
    clearing_price_multiplier: Dec | None = None
    is_rollover: bool | None = None
    is_am_settled: bool | None = None
    clearport_code: str | None = None
    legacy_code: str | None = None
    supported: bool | None = None
    product_subtype: str | None = None
    future_product: FutureProduct | None = None
    futures_trading_cutoff_times: tuple[FuturesTradingCutoffTime, ...] = ()


class FutureProduct(TastytradeModel):
    root_symbol: str
    code: str
    description: str | None = None
    exchange: str | None = None
    product_type: str | None = None
    listed_months: tuple[str, ...] = ()
    active_months: tuple[str, ...] = ()
    notional_multiplier: Dec | None = None
    tick_size: Dec | None = None
    display_factor: Dec | None = None
    streamer_exchange_code: str | None = None
    small_notional: bool | None = None
    back_month_first_calendar_symbol: bool | None = None
    first_notice: bool | None = None
    cash_settled: bool | None = None
    market_sector: str | None = None
    clearing_code: str | None = None
    clearing_exchange_code: str | None = None
    roll: Roll | None = None
    base_tick: int | None = None
    sub_tick: int | None = None
    contract_limit: int | None = None
    product_subtype: str | None = None
    security_group: str | None = None
    true_underlying_code: str | None = None
    clearport_code: str | None = None
    legacy_code: str | None = None
    legacy_exchange_code: str | None = None
    option_products: tuple[FutureOptionProduct, ...] = ()
    futures_trading_cutoff_times: tuple[FuturesTradingCutoffTime, ...] = ()
    supported: bool | None = None
    price_format: str | None = None
    underlying_description: str | None = None
    underlying_identifier: str | None = None


class FutureEtfEquivalent(TastytradeModel):
    symbol: str
    share_quantity: int


class Future(TastytradeModel):
    symbol: str
    product_code: str | None = None
    instrument_type: InstrumentTypeField = InstrumentType.FUTURE
    tick_size: Dec | None = None
    notional_multiplier: Dec | None = None
    display_factor: Dec | None = None
    last_trade_date: date | None = None
    expiration_date: date | None = None
    active: bool | None = None
    active_month: bool | None = None
    next_active_month: bool | None = None
    is_closing_only: bool | None = None
    stops_trading_at: Timestamp | None = None
    expires_at: Timestamp | None = None
    product_group: str | None = None
    exchange: str | None = None
    streamer_exchange_code: str | None = None
    back_month_first_calendar_symbol: bool | None = None
    streamer_symbol: str | None = None
    closing_only_date: date | None = None
    is_tradeable: bool | None = None
    future_product: FutureProduct | None = None
    contract_size: Dec | None = None
    main_fraction: Dec | None = None
    sub_fraction: Dec | None = None
    first_notice_date: date | None = None
    roll_target_symbol: str | None = None
    true_underlying_symbol: str | None = None
    future_etf_equivalent: FutureEtfEquivalent | None = None
    tick_sizes: tuple[TickSize, ...] = ()
    option_tick_sizes: tuple[TickSize, ...] = ()
    spread_tick_sizes: tuple[TickSize, ...] = ()
    exchange_symbol: str | None = None
    security_id: str | None = None
    exchange_data: dict[str, object] | None = None


class FutureOption(TastytradeModel):
    symbol: str
    underlying_symbol: str
    product_code: str | None = None
    expiration_date: date
    root_symbol: str | None = None
    option_root_symbol: str | None = None
    strike_price: Dec
    exchange: str | None = None
    streamer_symbol: str | None = None
    option_type: OptionTypeField
    exercise_style: ExerciseStyleField | None = None
    is_vanilla: bool | None = None
    is_primary_deliverable: bool | None = None
    future_price_ratio: Dec | None = None
    multiplier: Dec | None = None
    underlying_count: Dec | None = None
    is_confirmed: bool | None = None
    notional_value: Dec | None = None
    display_factor: Dec | None = None
    settlement_type: SettlementTypeField | None = None
    strike_factor: Dec | None = None
    maturity_date: DatePrefix | None = None
    is_exercisable_weekly: bool | None = None
    last_trade_time: str | None = None
    days_to_expiration: int | None = None
    is_closing_only: bool | None = None
    active: bool | None = None
    stops_trading_at: Timestamp | None = None
    expires_at: Timestamp | None = None
    exchange_symbol: str | None = None
    security_exchange: str | None = None
    sx_id: str | None = None
    instrument_type: InstrumentTypeField = InstrumentType.FUTURE_OPTION
    future_option_product: FutureOptionProduct | None = None


FutureOptionProduct.model_rebuild()

__all__ = [
    "Future",
    "FutureEtfEquivalent",
    "FutureOption",
    "FutureOptionProduct",
    "FutureProduct",
    "FuturesTradingCutoffTime",
    "Roll",
]
