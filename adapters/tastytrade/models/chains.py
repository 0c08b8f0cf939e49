"""Option chains: nested, compact, and the futures-option nested chain (§4.6)."""

from __future__ import annotations

from datetime import date

from adapters.tastytrade.models.base import DatePrefix, Dec, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import (
    ExerciseStyleField,
    ExpirationTypeField,
    InstrumentTypeField,
    OptionChainTypeField,
    SettlementTypeField,
)
from adapters.tastytrade.models.instruments import TickSize


class Deliverable(TastytradeModel):
    id: int | None = None
    root_symbol: str | None = None
    deliverable_type: str | None = None
    description: str | None = None
    amount: Dec | None = None
    percent: Dec | None = None
    symbol: str | None = None
    instrument_type: InstrumentTypeField | None = None


class Strike(TastytradeModel):
    strike_price: Dec
    call: str | None = None
    put: str | None = None
    call_streamer_symbol: str | None = None
    put_streamer_symbol: str | None = None


class NestedOptionChainExpiration(TastytradeModel):
    expiration_type: ExpirationTypeField | None = None
    expiration_date: date
    days_to_expiration: int | None = None
    settlement_type: SettlementTypeField | None = None
    strikes: tuple[Strike, ...] = ()


class NestedOptionChain(TastytradeModel):
    """An item of ``/option-chains/{symbol}/nested`` (one per option root)."""

    underlying_symbol: str
    root_symbol: str
    option_chain_type: OptionChainTypeField | None = None
    shares_per_contract: int | None = None
    tick_sizes: tuple[TickSize, ...] = ()
    deliverables: tuple[Deliverable, ...] = ()
    expirations: tuple[NestedOptionChainExpiration, ...] = ()


class CompactOptionChain(TastytradeModel):
    """An item of ``/option-chains/{symbol}/compact``: parallel OCC and streamer symbol lists."""

    underlying_symbol: str
    root_symbol: str
    option_chain_type: OptionChainTypeField | None = None
    settlement_type: SettlementTypeField | None = None
    shares_per_contract: int | None = None
    expiration_type: ExpirationTypeField | None = None
    deliverables: tuple[Deliverable, ...] = ()
    symbols: tuple[str, ...] = ()
    streamer_symbols: tuple[str, ...] = ()


class NestedFuture(TastytradeModel):
    symbol: str
    root_symbol: str | None = None
    days_to_expiration: int | None = None
    expiration_date: date | None = None
    expires_at: Timestamp | None = None
    next_active_month: bool | None = None
    active_month: bool | None = None
    stops_trading_at: Timestamp | None = None
    maturity_date: DatePrefix | None = None
    streamer_symbol: str | None = None


class FutureOptionStrike(TastytradeModel):
    strike_price: Dec
    call: str | None = None
    put: str | None = None
    call_streamer_symbol: str | None = None
    put_streamer_symbol: str | None = None


class NestedFutureOptionChainExpiration(TastytradeModel):
    root_symbol: str | None = None
    notional_value: Dec | None = None
    underlying_symbol: str
    strike_factor: Dec | None = None
    days_to_expiration: int | None = None
    option_root_symbol: str | None = None
    expiration_date: date
    expires_at: Timestamp | None = None
    asset: str | None = None
    expiration_type: ExpirationTypeField | None = None
    display_factor: Dec | None = None
    option_contract_symbol: str | None = None
    stops_trading_at: Timestamp | None = None
    settlement_type: SettlementTypeField | None = None
    strikes: tuple[FutureOptionStrike, ...] = ()
    tick_sizes: tuple[TickSize, ...] = ()


class NestedFutureOptionSubchain(TastytradeModel):
    underlying_symbol: str
    root_symbol: str
    exercise_style: ExerciseStyleField | None = None
    expirations: tuple[NestedFutureOptionChainExpiration, ...] = ()


class NestedFutureOptionChain(TastytradeModel):
    """``data`` of ``/futures-option-chains/{product}/nested``."""

    futures: tuple[NestedFuture, ...] = ()
    option_chains: tuple[NestedFutureOptionSubchain, ...] = ()


__all__ = [
    "CompactOptionChain",
    "Deliverable",
    "FutureOptionStrike",
    "NestedFuture",
    "NestedFutureOptionChain",
    "NestedFutureOptionChainExpiration",
    "NestedFutureOptionSubchain",
    "NestedOptionChain",
    "NestedOptionChainExpiration",
    "Strike",
]
