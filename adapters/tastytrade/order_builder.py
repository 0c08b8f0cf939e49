"""Order requests (``NewOrder``, ``NewOrderLeg``, ``NewComplexOrder``) validated before they leave.

Each object checks at construction what the API would reject in preflight (§7.2 of the wire
reference) and raises :class:`OrderValidationError` naming the rule; a built object therefore
always serializes (``to_wire()``) to a body the API accepts in shape: kebab-case keys, decimals
as strings, unsigned prices with their ``price-effect``. Account state (buying power, position
effect, market hours, tick sizes) is the server's to check, not ours.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from adapters.tastytrade.errors import TastytradeError
from adapters.tastytrade.models.enums import (
    ComplexOrderType,
    InstrumentType,
    OrderAction,
    OrderType,
    PriceEffect,
    TimeInForce,
)

_PRICED = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT})
_UNPRICED = frozenset({OrderType.MARKET, OrderType.STOP, OrderType.NOTIONAL_MARKET})
_STOPS = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})
_GTC_LIKE = frozenset({TimeInForce.GTC, TimeInForce.GTC_EXT, TimeInForce.GTC_EXT_OVERNIGHT})
_EXT = frozenset(
    {
        TimeInForce.EXT,
        TimeInForce.EXT_OVERNIGHT,
        TimeInForce.GTC_EXT,
        TimeInForce.GTC_EXT_OVERNIGHT,
    }
)
_SINGLE_LEG_TYPES = frozenset(
    {InstrumentType.EQUITY, InstrumentType.FUTURE, InstrumentType.CRYPTOCURRENCY}
)
_OPTION_TYPES = frozenset({InstrumentType.EQUITY_OPTION, InstrumentType.FUTURE_OPTION})
MAX_LEGS = 4
MIN_FRACTIONAL_NOTIONAL = Decimal(5)


class OrderValidationError(TastytradeError):
    """A request the API would reject; ``rule`` names the broken rule (API-style code)."""

    retriable = False

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


def _fail(rule: str, message: str) -> OrderValidationError:
    return OrderValidationError(rule, message)


def _dec(value: Decimal) -> str:
    """Plain decimal text (never exponent notation)."""
    return format(value, "f")


def _quantity(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else _dec(value)


def _finite(value: Decimal, name: str) -> None:
    if not value.is_finite():
        raise _fail(f"{name}_invalid", f"{name} must be a finite number, got {value}")


@dataclass(frozen=True, slots=True)
class NewOrderLeg:
    """One leg: ``quantity`` positive (integer except crypto); omitted for Notional Market."""

    instrument_type: InstrumentType
    symbol: str
    action: OrderAction
    quantity: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.symbol.strip():
            raise _fail("symbol_required", "a leg needs a symbol")
        if self.quantity is None:
            return
        _finite(self.quantity, "quantity")
        if self.quantity <= 0:
            raise _fail("quantity_positive", f"{self.symbol}: quantity must be positive")
        crypto = self.instrument_type == InstrumentType.CRYPTOCURRENCY
        if not crypto and self.quantity != self.quantity.to_integral_value():
            raise _fail(
                "quantity_integer",
                f"{self.symbol}: {self.instrument_type} quantities must be whole numbers",
            )

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "action": str(self.action),
            "instrument-type": str(self.instrument_type),
            "symbol": self.symbol,
        }
        if self.quantity is not None:
            body["quantity"] = _quantity(self.quantity)
        return body


@dataclass(frozen=True, slots=True)
class PriceComponentRequest:
    symbol: str
    instrument_type: InstrumentType
    quantity: Decimal
    quantity_direction: str  # "Long" | "Short"

    def to_wire(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "instrument-type": str(self.instrument_type),
            "quantity": _dec(self.quantity),
            "quantity-direction": self.quantity_direction,
        }


@dataclass(frozen=True, slots=True)
class OrderConditionRequest:
    """Route or cancel when ``indicator`` (``last``/``nat``) crosses ``threshold``."""

    action: str  # "route" | "cancel"
    symbol: str
    instrument_type: InstrumentType
    indicator: str
    comparator: str  # "gte" | "lte"
    threshold: Decimal
    price_components: tuple[PriceComponentRequest, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "action": self.action,
            "symbol": self.symbol,
            "instrument-type": str(self.instrument_type),
            "indicator": self.indicator,
            "comparator": self.comparator,
            "threshold": _dec(self.threshold),
        }
        if self.price_components:
            body["price-components"] = [c.to_wire() for c in self.price_components]
        return body


@dataclass(frozen=True, slots=True)
class OrderRules:
    route_after: datetime | None = None
    cancel_at: datetime | None = None
    conditions: tuple[OrderConditionRequest, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.route_after is not None:
            body["route-after"] = _iso(self.route_after)
        if self.cancel_at is not None:
            body["cancel-at"] = _iso(self.cancel_at)
        if self.conditions:
            body["conditions"] = [c.to_wire() for c in self.conditions]
        return body


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def direction(legs: tuple[NewOrderLeg, ...]) -> PriceEffect | None:
    """Debit when every leg buys, Credit when every leg sells, else ``None`` (a spread)."""
    if legs and all(leg.action.is_buy for leg in legs):
        return PriceEffect.DEBIT
    if legs and all(leg.action.is_sell for leg in legs):
        return PriceEffect.CREDIT
    return None


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A single order request. Invalid combinations raise :class:`OrderValidationError`.

    ``price`` is the unsigned net price (per share for options) with ``price_effect``
    ``Debit`` (you pay) or ``Credit`` (you receive); use :meth:`limit` with a signed price if
    you prefer tastyware's convention (negative = debit).
    """

    time_in_force: TimeInForce
    order_type: OrderType
    legs: tuple[NewOrderLeg, ...]
    price: Decimal | None = None
    price_effect: PriceEffect | None = None
    stop_trigger: Decimal | None = None
    value: Decimal | None = None
    value_effect: PriceEffect | None = None
    gtc_date: date | None = None
    source: str | None = None
    automated_source: bool | None = None
    external_identifier: str | None = None
    partition_key: str | None = None
    preflight_id: str | None = None
    rules: OrderRules | None = None
    strict_position_effect_validation: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "legs", tuple(self.legs))  # a list is accepted; stored immutably
        _validate_order(self)

    # --- convenience constructors -------------------------------------------------------------
    @classmethod
    def limit(
        cls,
        legs: tuple[NewOrderLeg, ...] | list[NewOrderLeg],
        price: Decimal,
        effect: PriceEffect | None = None,
        *,
        time_in_force: TimeInForce = TimeInForce.DAY,
        **kwargs: Any,
    ) -> NewOrder:
        """A limit order; without ``effect`` a negative price means Debit (tastyware style)."""
        if effect is None:
            effect = PriceEffect.DEBIT if price < 0 else PriceEffect.CREDIT
        return cls(
            time_in_force,
            OrderType.LIMIT,
            tuple(legs),
            price=abs(price),
            price_effect=effect,
            **kwargs,
        )

    @classmethod
    def market(
        cls, leg: NewOrderLeg, *, time_in_force: TimeInForce = TimeInForce.DAY, **kwargs: Any
    ) -> NewOrder:
        return cls(time_in_force, OrderType.MARKET, (leg,), **kwargs)

    @classmethod
    def stop(
        cls,
        leg: NewOrderLeg,
        stop_trigger: Decimal,
        *,
        time_in_force: TimeInForce = TimeInForce.DAY,
        **kwargs: Any,
    ) -> NewOrder:
        return cls(time_in_force, OrderType.STOP, (leg,), stop_trigger=stop_trigger, **kwargs)

    @classmethod
    def notional(
        cls,
        leg: NewOrderLeg,
        value: Decimal,
        effect: PriceEffect,
        *,
        time_in_force: TimeInForce = TimeInForce.DAY,
        **kwargs: Any,
    ) -> NewOrder:
        return cls(
            time_in_force,
            OrderType.NOTIONAL_MARKET,
            (leg,),
            value=value,
            value_effect=effect,
            **kwargs,
        )

    def replace(self, **changes: Any) -> NewOrder:
        """A validated copy with ``changes`` (e.g. a new price for a cancel-replace)."""
        return dataclasses.replace(self, **changes)

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "time-in-force": str(self.time_in_force),
            "order-type": str(self.order_type),
        }
        if self.price is not None:
            body["price"] = _dec(self.price)
        if self.price_effect is not None:
            body["price-effect"] = str(self.price_effect)
        if self.stop_trigger is not None:
            body["stop-trigger"] = _dec(self.stop_trigger)
        if self.value is not None:
            body["value"] = _dec(self.value)
        if self.value_effect is not None:
            body["value-effect"] = str(self.value_effect)
        if self.gtc_date is not None:
            body["gtc-date"] = self.gtc_date.isoformat()
        for key, item in (
            ("source", self.source),
            ("automated-source", self.automated_source),
            ("external-identifier", self.external_identifier),
            ("partition-key", self.partition_key),
            ("preflight-id", self.preflight_id),
        ):
            if item is not None:
                body[key] = item
        if self.rules is not None:
            body["rules"] = self.rules.to_wire()
        if self.strict_position_effect_validation is not None:
            body["advanced-instructions"] = {
                "strict-position-effect-validation": self.strict_position_effect_validation
            }
        body["legs"] = [leg.to_wire() for leg in self.legs]
        for key, item in self.extra.items():
            body.setdefault(key, item)
        return body

    @property
    def direction(self) -> PriceEffect | None:
        """The order's money direction: its effect if priced, else what its legs imply."""
        return self.price_effect or self.value_effect or direction(self.legs)


def _validate_order(order: NewOrder) -> None:
    _validate_legs(order)
    _validate_price(order)
    _validate_type_rules(order)
    _validate_time_in_force(order)


def _validate_legs(order: NewOrder) -> None:
    legs = order.legs
    if not legs:
        raise _fail("legs_required", "an order needs at least one leg")
    if len(legs) > MAX_LEGS:
        raise _fail("too_many_legs", f"at most {MAX_LEGS} legs, got {len(legs)}")
    symbols = [leg.symbol for leg in legs]
    if len(set(symbols)) != len(symbols):
        raise _fail("duplicate_leg_symbol", "each leg must have a different symbol")
    types = {leg.instrument_type for leg in legs}
    if len(legs) > 1 and not types & _OPTION_TYPES:
        raise _fail(
            "single_leg_instrument",
            f"{', '.join(sorted(map(str, types)))} orders take exactly one leg",
        )
    if len(legs) > 1 and InstrumentType.CRYPTOCURRENCY in types:
        raise _fail("single_leg_instrument", "Cryptocurrency orders take exactly one leg")
    for leg in legs:
        if leg.action in (OrderAction.BUY, OrderAction.SELL) and (
            len(legs) > 1 or leg.instrument_type != InstrumentType.FUTURE
        ):
            raise _fail(
                "outright_action_future_only",
                f"action {leg.action} is only for single-leg outright futures",
            )
    notional = order.order_type == OrderType.NOTIONAL_MARKET
    for leg in legs:
        if leg.quantity is None and not notional:
            raise _fail("quantity_required", f"{leg.symbol}: quantity is required")
        if leg.quantity is not None and notional:
            raise _fail("notional_quantity_forbidden", "Notional Market legs carry no quantity")


def _validate_price(order: NewOrder) -> None:
    kind = order.order_type
    if kind in _PRICED and (order.price is None or order.price_effect is None):
        raise _fail("price_required", f"{kind} orders need price and price-effect")
    if kind in _UNPRICED and (order.price is not None or order.price_effect is not None):
        raise _fail("price_forbidden", f"{kind} orders must not carry a price")
    if order.price is None and order.price_effect is not None:
        raise _fail("price_required", "price-effect without price")
    if order.price is not None:
        _finite(order.price, "price")
        if order.price < 0:
            raise _fail("price_unsigned", "price is unsigned; the sign goes in price-effect")
        if order.price_effect not in (PriceEffect.CREDIT, PriceEffect.DEBIT):
            raise _fail("price_effect_invalid", "price-effect must be Credit or Debit")
    _validate_direction(order, order.price_effect)


def _validate_direction(order: NewOrder, effect: PriceEffect | None) -> None:
    implied = direction(order.legs)
    if effect is None or implied is None or effect == implied:
        return
    if implied == PriceEffect.DEBIT:
        raise _fail("cant_buy_for_credit", "You cannot buy for a credit (use Debit)")
    raise _fail("cant_sell_for_debit", "You cannot sell for a debit (use Credit)")


def _validate_type_rules(order: NewOrder) -> None:
    kind = order.order_type
    if kind in _STOPS:
        if order.stop_trigger is None:
            raise _fail("stop_trigger_required", f"{kind} orders need a stop-trigger")
        _finite(order.stop_trigger, "stop_trigger")
        if order.stop_trigger <= 0:
            raise _fail("stop_trigger_positive", "stop-trigger must be positive")
    elif order.stop_trigger is not None:
        raise _fail("stop_trigger_forbidden", f"{kind} orders take no stop-trigger")
    if (
        kind in (OrderType.MARKET, OrderType.STOP, OrderType.NOTIONAL_MARKET)
        and len(order.legs) > 1
    ):
        raise _fail("market_single_leg", f"{kind} orders take exactly one leg")
    if kind == OrderType.NOTIONAL_MARKET:
        _validate_notional(order)
    elif order.value is not None or order.value_effect is not None:
        raise _fail("value_forbidden", "value/value-effect are for Notional Market orders only")


def _validate_notional(order: NewOrder) -> None:
    if order.value is None or order.value_effect is None:
        raise _fail("notional_value_required", "Notional Market orders need value and value-effect")
    _finite(order.value, "value")
    if order.value <= 0:
        raise _fail("notional_value_positive", "value must be positive")
    if order.value_effect not in (PriceEffect.CREDIT, PriceEffect.DEBIT):
        raise _fail("value_effect_invalid", "value-effect must be Credit or Debit")
    leg = order.legs[0]
    if leg.instrument_type not in (InstrumentType.EQUITY, InstrumentType.CRYPTOCURRENCY):
        raise _fail("notional_instrument", "Notional Market is for equities and crypto only")
    if leg.instrument_type == InstrumentType.EQUITY and order.value < MIN_FRACTIONAL_NOTIONAL:
        raise _fail(
            "notional_minimum", f"fractional equity orders need ≥ ${MIN_FRACTIONAL_NOTIONAL}"
        )
    _validate_direction(order, order.value_effect)


def _validate_time_in_force(order: NewOrder) -> None:
    tif = order.time_in_force
    if tif == TimeInForce.GTD and order.gtc_date is None:
        raise _fail("gtc_date_required", "GTD orders need gtc-date")
    if tif != TimeInForce.GTD and order.gtc_date is not None:
        raise _fail("gtc_date_forbidden", "gtc-date is only for GTD orders")
    if order.order_type == OrderType.MARKET and tif in _GTC_LIKE:
        raise _fail("market_gtc", "market orders cannot be GTC")
    opening = any(not leg.action.is_closing for leg in order.legs)
    if order.order_type == OrderType.STOP and tif in _GTC_LIKE and opening:
        raise _fail("stop_gtc_opening", "opening stop orders cannot be GTC")
    if tif in _EXT and (
        len(order.legs) != 1 or order.legs[0].instrument_type != InstrumentType.EQUITY
    ):
        raise _fail("ext_single_leg_equity", f"time-in-force {tif} is for single-leg equity only")


@dataclass(frozen=True, slots=True)
class NewComplexOrder:
    """OTO (trigger + 1-3 orders), OCO (exactly 2 orders) or OTOCO (trigger + 2 closing orders)."""

    type: ComplexOrderType
    orders: tuple[NewOrder, ...]
    trigger_order: NewOrder | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "orders", tuple(self.orders))
        _validate_complex(self)

    @classmethod
    def oto(
        cls, trigger: NewOrder, *orders: NewOrder, source: str | None = None
    ) -> NewComplexOrder:
        return cls(ComplexOrderType.OTO, tuple(orders), trigger, source)

    @classmethod
    def oco(
        cls, first: NewOrder, second: NewOrder, *, source: str | None = None
    ) -> NewComplexOrder:
        return cls(ComplexOrderType.OCO, (first, second), None, source)

    @classmethod
    def otoco(
        cls,
        trigger: NewOrder,
        take_profit: NewOrder,
        stop_loss: NewOrder,
        *,
        source: str | None = None,
    ) -> NewComplexOrder:
        return cls(ComplexOrderType.OTOCO, (take_profit, stop_loss), trigger, source)

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": str(self.type)}
        if self.source is not None:
            body["source"] = self.source
        if self.trigger_order is not None:
            body["trigger-order"] = self.trigger_order.to_wire()
        body["orders"] = [order.to_wire() for order in self.orders]
        return body


def _validate_complex(order: NewComplexOrder) -> None:
    kind, count, trigger = order.type, len(order.orders), order.trigger_order
    if kind == ComplexOrderType.OCO:
        if trigger is not None:
            raise _fail("oco_trigger_forbidden", "OCO orders have no trigger order")
        if count != 2:
            raise _fail("oco_order_count", f"OCO takes exactly 2 orders, got {count}")
    elif kind == ComplexOrderType.OTO:
        if trigger is None:
            raise _fail("trigger_required", "OTO needs a trigger order")
        if not 1 <= count <= 3:
            raise _fail("oto_order_count", f"OTO takes 1 to 3 orders, got {count}")
    elif kind == ComplexOrderType.OTOCO:
        if trigger is None:
            raise _fail("trigger_required", "OTOCO needs a trigger order")
        if count != 2:
            raise _fail("otoco_order_count", f"OTOCO takes exactly 2 closing orders, got {count}")
        first, second = (o.direction for o in order.orders)
        if first is not None and second is not None and first != second:
            raise _fail(
                "otoco_mixed_effects",
                f"both OTOCO closing orders must share one effect direction ({first} vs {second})",
            )
    else:
        raise _fail("complex_type_unsupported", f"{kind} orders are not supported by the builder")


__all__ = [
    "MAX_LEGS",
    "NewComplexOrder",
    "NewOrder",
    "NewOrderLeg",
    "OrderConditionRequest",
    "OrderRules",
    "OrderValidationError",
    "PriceComponentRequest",
    "direction",
]
