"""Orders as the API reports them: legs, fills, rules, complex orders, place/dry-run answers (§4.4-§4.5, §4.9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from adapters.tastytrade.models.base import Dec, EpochTimestamp, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import (
    ComparatorField,
    ComplexOrderTypeField,
    InstrumentTypeField,
    OrderActionField,
    OrderStatus,
    OrderStatusField,
    OrderTypeField,
    PriceEffectField,
    QuantityDirectionField,
    TimeInForceField,
    signed,
)


class Fill(TastytradeModel):
    fill_id: str
    quantity: Dec
    fill_price: Dec
    filled_at: Timestamp
    destination_venue: str | None = None
    ext_group_fill_id: str | None = None
    ext_exec_id: str | None = None


class OrderLeg(TastytradeModel):
    instrument_type: InstrumentTypeField
    symbol: str
    action: OrderActionField
    quantity: Dec | None = None
    remaining_quantity: Dec | None = None
    fills: tuple[Fill, ...] = ()


class PriceComponent(TastytradeModel):
    symbol: str
    instrument_type: InstrumentTypeField
    quantity: Dec
    quantity_direction: QuantityDirectionField


class OrderCondition(TastytradeModel):
    id: int | None = None
    action: str
    symbol: str
    instrument_type: InstrumentTypeField
    indicator: str
    comparator: ComparatorField
    threshold: Dec
    is_threshold_based_on_notional: bool | None = None
    triggered_at: Timestamp | None = None
    triggered_value: Dec | None = None
    price_components: tuple[PriceComponent, ...] = ()


class OrderRule(TastytradeModel):
    route_after: Timestamp | None = None
    routed_at: Timestamp | None = None
    cancel_at: Timestamp | None = None
    cancelled_at: Timestamp | None = None
    order_conditions: tuple[OrderCondition, ...] = ()


class Order(TastytradeModel):
    """An order (live, historic, streamed, or inside a place/dry-run answer).

    ``id`` is absent in dry-runs. ``updated_at`` arrives as epoch ms (``0`` in dry-runs →
    ``None``) or ISO text. Prices keep the wire's unsigned value and ``*_effect``.
    """

    id: int | None = None
    account_number: str
    time_in_force: TimeInForceField
    order_type: OrderTypeField
    underlying_symbol: str | None = None
    underlying_instrument_type: InstrumentTypeField | None = None
    status: OrderStatusField
    cancellable: bool | None = None
    editable: bool | None = None
    edited: bool | None = None
    updated_at: EpochTimestamp = None
    legs: tuple[OrderLeg, ...] = ()
    size: Dec | None = None
    price: Dec | None = None
    price_effect: PriceEffectField | None = None
    gtc_date: date | None = None
    value: Dec | None = None
    value_effect: PriceEffectField | None = None
    stop_trigger: Dec | None = None
    contingent_status: str | None = None
    confirmation_status: str | None = None
    cancelled_at: Timestamp | None = None
    cancel_user_id: str | None = None
    cancel_username: str | None = None
    replacing_order_id: int | None = None
    replaces_order_id: int | None = None
    in_flight_at: Timestamp | None = None
    live_at: Timestamp | None = None
    received_at: Timestamp | None = None
    reject_reason: str | None = None
    user_id: str | None = None
    username: str | None = None
    terminal_at: Timestamp | None = None
    complex_order_id: int | None = None
    complex_order_tag: str | None = None
    preflight_id: int | str | None = None
    order_rule: OrderRule | None = None
    source: str | None = None
    external_identifier: str | None = None
    partition_key: str | None = None
    cancelled_size: Dec | None = None
    global_request_id: str | None = None
    leg_count: int | None = None
    ext_exchange_order_number: str | None = None
    ext_client_order_id: str | None = None
    ext_global_order_number: str | None = None
    destination_venue: str | None = None

    @property
    def signed_price(self) -> Decimal | None:
        """``price`` with the effect applied (Debit negative)."""
        return signed(self.price, self.price_effect)

    @property
    def signed_value(self) -> Decimal | None:
        return signed(self.value, self.value_effect)

    @property
    def is_terminal(self) -> bool:
        return isinstance(self.status, OrderStatus) and self.status.is_terminal


class ComplexOrder(TastytradeModel):
    """An OTO/OCO/OTOCO/PAIRS group; ``trigger_order`` is absent for OCO."""

    id: int | None = None
    account_number: str
    type: ComplexOrderTypeField
    terminal_at: Timestamp | None = None
    ratio_price_threshold: Dec | None = None
    ratio_price_comparator: str | None = None
    ratio_price_is_threshold_based_on_notional: bool | None = None
    related_orders: tuple[dict[str, object], ...] = ()
    orders: tuple[Order, ...] = ()
    trigger_order: Order | None = None


class OrderMessage(TastytradeModel):
    """A warning/error/note entry of a place or dry-run answer."""

    code: str | None = None
    message: str | None = None
    preflight_id: str | int | None = None
    url: str | None = None


class BuyingPowerEffect(TastytradeModel):
    change_in_margin_requirement: Dec
    change_in_margin_requirement_effect: PriceEffectField
    change_in_buying_power: Dec
    change_in_buying_power_effect: PriceEffectField
    current_buying_power: Dec
    current_buying_power_effect: PriceEffectField
    new_buying_power: Dec
    new_buying_power_effect: PriceEffectField
    isolated_order_margin_requirement: Dec | None = None
    isolated_order_margin_requirement_effect: PriceEffectField | None = None
    is_spread: bool | None = None
    impact: Dec | None = None
    effect: PriceEffectField | None = None

    @property
    def signed_change_in_buying_power(self) -> Decimal | None:
        return signed(self.change_in_buying_power, self.change_in_buying_power_effect)


class FeeBreakdown(TastytradeModel):
    name: str | None = None
    value: Dec | None = None
    effect: PriceEffectField | None = None


class FeeCalculation(TastytradeModel):
    regulatory_fees: Dec
    regulatory_fees_effect: PriceEffectField
    clearing_fees: Dec
    clearing_fees_effect: PriceEffectField
    commission: Dec
    commission_effect: PriceEffectField
    proprietary_index_option_fees: Dec | None = None
    proprietary_index_option_fees_effect: PriceEffectField | None = None
    total_fees: Dec
    total_fees_effect: PriceEffectField
    regulatory_fees_breakdown: tuple[FeeBreakdown, ...] = ()
    clearing_fees_breakdown: tuple[FeeBreakdown, ...] = ()
    commission_breakdown: tuple[FeeBreakdown, ...] = ()
    proprietary_fees_breakdown: tuple[FeeBreakdown, ...] = ()
    rebates: Dec | None = None
    rebates_effect: PriceEffectField | None = None
    rebates_breakdown: tuple[FeeBreakdown, ...] = ()
    per_quantity: Dec | None = None

    @property
    def signed_total_fees(self) -> Decimal | None:
        return signed(self.total_fees, self.total_fees_effect)


class PlacedOrderResponse(TastytradeModel):
    """``data`` of ``POST /accounts/{n}/orders`` and its ``dry-run``."""

    order: Order
    buying_power_effect: BuyingPowerEffect | None = None
    fee_calculation: FeeCalculation | None = None
    closing_fee_calculation: FeeCalculation | None = None
    warnings: tuple[OrderMessage, ...] = ()
    errors: tuple[OrderMessage, ...] = ()
    notes: tuple[OrderMessage, ...] = ()


class PlacedComplexOrderResponse(TastytradeModel):
    """``data`` of ``POST /accounts/{n}/complex-orders`` and its ``dry-run``."""

    complex_order: ComplexOrder
    buying_power_effect: BuyingPowerEffect | None = None
    fee_calculation: FeeCalculation | None = None
    closing_fee_calculation: FeeCalculation | None = None
    warnings: tuple[OrderMessage, ...] = ()
    errors: tuple[OrderMessage, ...] = ()
    notes: tuple[OrderMessage, ...] = ()


class OrderChainEntry(TastytradeModel):
    symbol: str | None = None
    quantity: str | None = None


class OrderChainNode(TastytradeModel):
    node_type: str | None = None
    id: str | None = None
    description: str | None = None
    occurred_at: Timestamp | None = None
    total_fees: Dec | None = None
    total_fees_effect: PriceEffectField | None = None
    total_fill_cost: Dec | None = None
    total_fill_cost_effect: PriceEffectField | None = None
    fill_cost_per_quantity: Dec | None = None
    fill_cost_per_quantity_effect: PriceEffectField | None = None
    order_fill_count: int | None = None
    roll: bool | None = None
    legs: tuple[dict[str, object], ...] = ()
    entries: tuple[OrderChainEntry, ...] = ()


class OrderChain(TastytradeModel):
    """The trade chain of an underlying (account-streamer ``OrderChain``); shape per tastyware."""

    id: int
    account_number: str
    description: str | None = None
    underlying_symbol: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    computed_data: dict[str, object] | None = None
    lite_nodes_sizes: int | None = None
    lite_nodes: tuple[OrderChainNode, ...] = ()


__all__ = [
    "BuyingPowerEffect",
    "ComplexOrder",
    "FeeBreakdown",
    "FeeCalculation",
    "Fill",
    "Order",
    "OrderChain",
    "OrderChainEntry",
    "OrderChainNode",
    "OrderCondition",
    "OrderLeg",
    "OrderMessage",
    "OrderRule",
    "PlacedComplexOrderResponse",
    "PlacedOrderResponse",
    "PriceComponent",
]
