"""Equities, equity options, crypto, warrants, currency pairs, precisions and search (§4.6)."""

from __future__ import annotations

from datetime import date

from adapters.tastytrade.models.base import Dec, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import (
    ExerciseStyleField,
    ExpirationTypeField,
    InstrumentTypeField,
    LendabilityField,
    OptionChainTypeField,
    OptionTypeField,
    SettlementTypeField,
)


class TickSize(TastytradeModel):
    """A tick rule: with ``threshold`` it applies below that price, without it at/above."""

    value: Dec
    threshold: Dec | None = None
    symbol: str | None = None


class Equity(TastytradeModel):
    instrument_type: InstrumentTypeField
    symbol: str
    id: int | None = None
    is_index: bool | None = None
    description: str | None = None
    lendability: LendabilityField | None = None
    market_time_instrument_collection: str | None = None
    is_closing_only: bool | None = None
    is_options_closing_only: bool | None = None
    active: bool | None = None
    is_illiquid: bool | None = None
    is_etf: bool | None = None
    streamer_symbol: str | None = None
    borrow_rate: Dec | None = None
    cusip: str | None = None
    short_description: str | None = None
    halted_at: Timestamp | None = None
    stops_trading_at: Timestamp | None = None
    is_fractional_quantity_eligible: bool | None = None
    tick_sizes: tuple[TickSize, ...] = ()
    listed_market: str | None = None
    option_tick_sizes: tuple[TickSize, ...] = ()
    bypass_manual_review: bool | None = None
    is_fraud_risk: bool | None = None
    overnight_trading_permitted: bool | None = None
    instrument_sub_type: str | None = None
    country_of_incorporation: str | None = None
    country_of_taxation: str | None = None
    underlying_product_type: str | None = None


class EquityOption(TastytradeModel):
    instrument_type: InstrumentTypeField
    symbol: str
    active: bool | None = None
    strike_price: Dec
    root_symbol: str
    underlying_symbol: str
    expiration_date: date
    exercise_style: ExerciseStyleField | None = None
    shares_per_contract: int | None = None
    option_type: OptionTypeField
    option_chain_type: OptionChainTypeField | None = None
    expiration_type: ExpirationTypeField | None = None
    settlement_type: SettlementTypeField | None = None
    stops_trading_at: Timestamp | None = None
    market_time_instrument_collection: str | None = None
    days_to_expiration: int | None = None
    is_closing_only: bool | None = None
    expires_at: Timestamp | None = None
    streamer_symbol: str | None = None
    listed_market: str | None = None
    halted_at: Timestamp | None = None
    old_security_number: str | None = None


class DestinationVenueSymbol(TastytradeModel):
    id: int | None = None
    symbol: str
    destination_venue: str
    routable: bool | None = None
    max_quantity_precision: int | None = None
    max_price_precision: int | None = None


class Cryptocurrency(TastytradeModel):
    instrument_type: InstrumentTypeField
    symbol: str
    id: int | None = None
    short_description: str | None = None
    description: str | None = None
    is_closing_only: bool | None = None
    active: bool | None = None
    tick_size: Dec | None = None
    destination_venue_symbols: tuple[DestinationVenueSymbol, ...] = ()
    streamer_symbol: str | None = None


class Warrant(TastytradeModel):
    symbol: str
    instrument_type: InstrumentTypeField
    listed_market: str | None = None
    description: str | None = None
    is_closing_only: bool | None = None
    active: bool | None = None
    cusip: str | None = None


class CurrencyPair(TastytradeModel):
    symbol: str
    id: int | None = None
    description: str | None = None
    dx_symbol: str | None = None
    instrument_type: InstrumentTypeField | None = None


class QuantityDecimalPrecision(TastytradeModel):
    instrument_type: InstrumentTypeField
    symbol: str | None = None
    value: int
    minimum_increment_precision: int | None = None


class InstrumentSearchResult(TastytradeModel):
    """An item of ``/instruments/search``."""

    symbol: str
    description: str | None = None
    exchange: str | None = None
    instrument_type: InstrumentTypeField | None = None
    stops_trading_at: Timestamp | None = None


class SymbolData(TastytradeModel):
    """An item of ``/symbols/search/{prefix}``."""

    symbol: str
    description: str | None = None
    listed_market: str | None = None
    price_increments: str | None = None
    trading_hours: str | None = None
    options: bool | None = None
    instrument_type: InstrumentTypeField | None = None


__all__ = [
    "Cryptocurrency",
    "CurrencyPair",
    "DestinationVenueSymbol",
    "Equity",
    "EquityOption",
    "InstrumentSearchResult",
    "QuantityDecimalPrecision",
    "SymbolData",
    "TickSize",
    "Warrant",
]
