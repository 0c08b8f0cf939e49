"""Margin requirements, margin dry-runs, effective requirements and public config (§4.3)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from adapters.tastytrade.models.base import Dec, NanDec, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import (
    InstrumentTypeField,
    OrderActionField,
    OrderTypeField,
    PriceEffectField,
    TimeInForceField,
    signed,
)


class PositionEntry(TastytradeModel):
    instrument_symbol: str
    instrument_type: InstrumentTypeField
    quantity: Dec
    close_price: NanDec | None = None
    fixing_price: NanDec | None = None
    strike_price: NanDec | None = None
    option_type: str | None = None
    deliverable_quantity: Dec | None = None
    expiration_date: str | None = None


class MarginGroup(TastytradeModel):
    """A node of the margin report tree; leaf groups carry ``position_entries``."""

    description: str
    code: str | None = None
    underlying_symbol: str | None = None
    underlying_type: str | None = None
    expected_price_range_up_percent: Dec | None = None
    expected_price_range_down_percent: Dec | None = None
    point_of_no_return_percent: Dec | None = None
    margin_calculation_type: str | None = None
    margin_requirement: Dec | None = None
    margin_requirement_effect: PriceEffectField | None = None
    initial_requirement: Dec | None = None
    initial_requirement_effect: PriceEffectField | None = None
    maintenance_requirement: Dec | None = None
    maintenance_requirement_effect: PriceEffectField | None = None
    includes_working_order: bool | None = None
    buying_power: Dec | None = None
    buying_power_effect: PriceEffectField | None = None
    price_increase_percent: Dec | None = None
    price_decrease_percent: Dec | None = None
    groups: tuple[MarginGroup, ...] = ()
    position_entries: tuple[PositionEntry, ...] = ()


class MarginRequirementsReport(TastytradeModel):
    """``/margin/accounts/{n}/requirements``."""

    account_number: str
    description: str | None = None
    margin_calculation_type: str | None = None
    option_level: str | None = None
    margin_requirement: Dec
    margin_requirement_effect: PriceEffectField | None = None
    maintenance_requirement: Dec | None = None
    maintenance_requirement_effect: PriceEffectField | None = None
    initial_requirement: Dec | None = None
    initial_requirement_effect: PriceEffectField | None = None
    margin_equity: Dec | None = None
    margin_equity_effect: PriceEffectField | None = None
    option_buying_power: Dec | None = None
    option_buying_power_effect: PriceEffectField | None = None
    reg_t_margin_requirement: Dec | None = None
    reg_t_margin_requirement_effect: PriceEffectField | None = None
    reg_t_option_buying_power: Dec | None = None
    reg_t_option_buying_power_effect: PriceEffectField | None = None
    maintenance_excess: Dec | None = None
    maintenance_excess_effect: PriceEffectField | None = None
    groups: tuple[MarginGroup, ...] = ()
    last_state_timestamp: int | None = None

    @property
    def signed_margin_requirement(self) -> Decimal | None:
        return signed(self.margin_requirement, self.margin_requirement_effect)


class MarginStrategyGroup(TastytradeModel):
    margin_strategy: str | None = None
    underlying_entry: PositionEntry | None = None


class NetLiqResult(TastytradeModel):
    long_equity_value: Dec | None = None
    short_equity_value: Dec | None = None
    long_derivative_value: Dec | None = None
    short_derivative_value: Dec | None = None
    long_cryptocurrency_value: Dec | None = None
    short_cryptocurrency_value: Dec | None = None


class MarginGroupResult(TastytradeModel):
    group: MarginStrategyGroup | None = None
    margin: Dec | None = None
    maintenance_requirement: Dec | None = None
    maintenance_requirement_effect: PriceEffectField | None = None
    net_liq_result: NetLiqResult | None = None


class MarginCalculationResult(TastytradeModel):
    """``last-results`` / ``base-results`` / ``new-order-results`` of a margin dry-run."""

    code: str | None = None
    description: str | None = None
    entity_count: int | None = None
    underlying_symbol: str | None = None
    underlying_type: str | None = None
    underlying_price: NanDec | None = None
    margin_requirement: Dec | None = None
    margin_requirement_effect: PriceEffectField | None = None
    maintenance_requirement: Dec | None = None
    maintenance_requirement_effect: PriceEffectField | None = None
    buying_power_impact: Dec | None = None
    buying_power_impact_effect: PriceEffectField | None = None
    base_margin_requirement: Dec | None = None
    base_margin_requirement_effect: PriceEffectField | None = None
    margin_calculation_type: str | None = None
    cash_adjustment: Dec | None = None
    cash_adjustment_effect: PriceEffectField | None = None
    working_margin: Dec | None = None
    working_margin_effect: PriceEffectField | None = None
    position_margin: Dec | None = None
    position_margin_effect: PriceEffectField | None = None
    position_equity_adjustment: Dec | None = None
    position_equity_adjustment_effect: PriceEffectField | None = None
    cash_settlement_value: Dec | None = None
    cash_settlement_value_effect: PriceEffectField | None = None
    long_equity_value: Dec | None = None
    long_equity_value_effect: PriceEffectField | None = None
    short_equity_value: Dec | None = None
    short_equity_value_effect: PriceEffectField | None = None
    long_derivative_value: Dec | None = None
    short_derivative_value: Dec | None = None
    long_cryptocurrency_value: Dec | None = None
    short_cryptocurrency_value: Dec | None = None
    group_results: tuple[MarginGroupResult, ...] = ()
    order_ids: tuple[str, ...] = ()
    calculated_at: Timestamp | None = None
    marks: dict[str, NanDec] = Field(default_factory=dict)


class MarginOrderLeg(TastytradeModel):
    symbol: str
    instrument_type: InstrumentTypeField
    action: OrderActionField
    quantity: Dec | None = None
    remaining_quantity: Dec | None = None


class MarginOrder(TastytradeModel):
    """The order echo of a margin dry-run (string ids such as ``dry-run-0``)."""

    id: str | None = None
    account_number: str | None = None
    time_in_force: TimeInForceField | None = None
    order_type: OrderTypeField | None = None
    size: Dec | None = None
    price: Dec | None = None
    price_effect: PriceEffectField | None = None
    value: Dec | None = None
    value_effect: PriceEffectField | None = None
    cancellable: bool | None = None
    editable: bool | None = None
    underlying_symbol: str | None = None
    legs: tuple[MarginOrderLeg, ...] = ()


class MarginDryRun(TastytradeModel):
    """``POST /margin/accounts/{n}/dry-run``."""

    orders: tuple[MarginOrder, ...] = ()
    last_results: MarginCalculationResult | None = None
    base_results: MarginCalculationResult | None = None
    new_order_results: MarginCalculationResult | None = None
    change_in_margin_requirement: Dec | None = None
    change_in_margin_requirement_effect: PriceEffectField | None = None
    change_in_buying_power: Dec | None = None
    change_in_buying_power_effect: PriceEffectField | None = None
    current_buying_power: Dec | None = None
    current_buying_power_effect: PriceEffectField | None = None
    new_buying_power: Dec | None = None
    new_buying_power_effect: PriceEffectField | None = None
    isolated_order_margin_requirement: Dec | None = None
    isolated_order_margin_requirement_effect: PriceEffectField | None = None
    isolated_order_buying_power_effect: Dec | None = None
    isolated_order_buying_power_effect_effect: PriceEffectField | None = None
    is_spread: bool | None = None
    order_ids: tuple[str, ...] = ()

    @property
    def signed_change_in_buying_power(self) -> Decimal | None:
        return signed(self.change_in_buying_power, self.change_in_buying_power_effect)


class EffectiveMarginRequirement(TastytradeModel):
    """``/accounts/{n}/margin-requirements/{underlying}/effective``."""

    underlying_symbol: str
    long_equity_initial: Dec | None = None
    long_equity_maintenance: Dec | None = None
    short_equity_initial: Dec | None = None
    short_equity_maintenance: Dec | None = None
    naked_option_standard: Dec | None = None
    naked_option_minimum: Dec | None = None
    naked_option_floor: Dec | None = None
    clearing_identifier: str | None = None
    is_deleted: bool | None = None


class MarginConfiguration(TastytradeModel):
    """``/margin-requirements-public-configuration`` (no auth needed)."""

    risk_free_rate: Dec


MarginGroup.model_rebuild()

__all__ = [
    "EffectiveMarginRequirement",
    "MarginCalculationResult",
    "MarginConfiguration",
    "MarginDryRun",
    "MarginGroup",
    "MarginGroupResult",
    "MarginOrder",
    "MarginOrderLeg",
    "MarginRequirementsReport",
    "MarginStrategyGroup",
    "NetLiqResult",
    "PositionEntry",
]
