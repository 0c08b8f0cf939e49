"""Market metrics, historic dividends and earnings (§4.7)."""

from __future__ import annotations

from datetime import date

from adapters.tastytrade.models.base import Dec, NanDec, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import OptionChainTypeField, SettlementTypeField


class OptionExpirationImpliedVolatility(TastytradeModel):
    expiration_date: date
    settlement_type: SettlementTypeField | None = None
    option_chain_type: OptionChainTypeField | None = None
    implied_volatility: NanDec | None = None


class LiquidityRunningState(TastytradeModel):
    sum: Dec | None = None
    count: int | None = None
    started_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class EarningsReport(TastytradeModel):
    """The ``earnings`` block inside a market-metrics item."""

    visible: bool | None = None
    estimated: bool | None = None
    late_flag: int | None = None
    actual_eps: Dec | None = None
    consensus_estimate: Dec | None = None
    expected_report_date: date | None = None
    quarter_end_date: date | None = None
    time_of_day: str | None = None
    updated_at: Timestamp | None = None


class MarketMetricInfo(TastytradeModel):
    symbol: str
    updated_at: Timestamp | None = None
    market_cap: Dec | None = None
    implied_volatility_index: NanDec | None = None
    implied_volatility_index_5_day_change: NanDec | None = None
    implied_volatility_index_15_day: NanDec | None = None
    implied_volatility_index_rank: NanDec | None = None
    tos_implied_volatility_index_rank: NanDec | None = None
    tw_implied_volatility_index_rank: NanDec | None = None
    tos_implied_volatility_index_rank_updated_at: Timestamp | None = None
    implied_volatility_index_rank_source: str | None = None
    implied_volatility_percentile: NanDec | None = None
    implied_volatility_updated_at: Timestamp | None = None
    liquidity_rating: int | None = None
    option_expiration_implied_volatilities: tuple[OptionExpirationImpliedVolatility, ...] = ()
    beta: NanDec | None = None
    corr_spy_3month: NanDec | None = None
    earnings: EarningsReport | None = None
    price_earnings_ratio: NanDec | None = None
    earnings_per_share: NanDec | None = None
    dividend_rate_per_share: NanDec | None = None
    annual_dividend_per_share: NanDec | None = None
    implied_volatility_30_day: NanDec | None = None
    historical_volatility_30_day: NanDec | None = None
    historical_volatility_60_day: NanDec | None = None
    historical_volatility_90_day: NanDec | None = None
    iv_hv_30_day_difference: NanDec | None = None
    beta_updated_at: Timestamp | None = None
    created_at: Timestamp | None = None
    dividend_ex_date: date | None = None
    dividend_next_date: date | None = None
    dividend_pay_date: date | None = None
    dividend_updated_at: Timestamp | None = None
    liquidity_value: NanDec | None = None
    liquidity_rank: NanDec | None = None
    liquidity_running_state: LiquidityRunningState | None = None
    dividend_yield: NanDec | None = None
    listed_market: str | None = None
    lendability: str | None = None
    borrow_rate: NanDec | None = None
    sector: str | None = None
    industry: str | None = None


class DividendInfo(TastytradeModel):
    occurred_date: date
    amount: Dec


class EarningsInfo(TastytradeModel):
    occurred_date: date
    eps: Dec


__all__ = [
    "DividendInfo",
    "EarningsInfo",
    "EarningsReport",
    "LiquidityRunningState",
    "MarketMetricInfo",
    "OptionExpirationImpliedVolatility",
]
