"""The order builder: exact wire bodies, every local preflight rule, and properties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.tastytrade.errors import TastytradeError
from adapters.tastytrade.models import (
    ComplexOrderType,
    InstrumentType,
    Order,
    OrderAction,
    OrderType,
    PriceEffect,
    TimeInForce,
    parse_model,
)
from adapters.tastytrade.order_builder import (
    NewComplexOrder,
    NewOrder,
    NewOrderLeg,
    OrderConditionRequest,
    OrderRules,
    OrderValidationError,
)

EQ = InstrumentType.EQUITY
OPT = InstrumentType.EQUITY_OPTION
FUT = InstrumentType.FUTURE
CRYPTO = InstrumentType.CRYPTOCURRENCY
BTO = OrderAction.BUY_TO_OPEN
STO = OrderAction.SELL_TO_OPEN
STC = OrderAction.SELL_TO_CLOSE
BTC = OrderAction.BUY_TO_CLOSE
DAY = TimeInForce.DAY
LIMIT = OrderType.LIMIT
D = Decimal


def leg(
    symbol: str = "AAPL",
    action: OrderAction = BTO,
    qty: str | None = "1",
    kind: InstrumentType = EQ,
) -> NewOrderLeg:
    return NewOrderLeg(kind, symbol, action, None if qty is None else D(qty))


def rule_of(exc: pytest.ExceptionInfo[OrderValidationError]) -> str:
    return exc.value.rule


def test_limit_wire_body_is_exact() -> None:
    order = NewOrder(
        TimeInForce.GTD,
        LIMIT,
        (leg("SPY   250117C00500000", BTO, "1", OPT), leg("SPY   250117C00510000", STO, "1", OPT)),
        price=D("1.05"),
        price_effect=PriceEffect.DEBIT,
        gtc_date=date(2025, 1, 10),
        source="tastystream",
        external_identifier="cmd-1",
        strict_position_effect_validation=True,
    )
    assert order.to_wire() == {
        "time-in-force": "GTD",
        "order-type": "Limit",
        "price": "1.05",
        "price-effect": "Debit",
        "gtc-date": "2025-01-10",
        "source": "tastystream",
        "external-identifier": "cmd-1",
        "advanced-instructions": {"strict-position-effect-validation": True},
        "legs": [
            {
                "action": "Buy to Open",
                "instrument-type": "Equity Option",
                "symbol": "SPY   250117C00500000",
                "quantity": 1,
            },
            {
                "action": "Sell to Open",
                "instrument-type": "Equity Option",
                "symbol": "SPY   250117C00510000",
                "quantity": 1,
            },
        ],
    }


def test_decimals_are_plain_strings_never_exponents() -> None:
    order = NewOrder.limit([leg()], D("1E+2"), PriceEffect.DEBIT)
    assert order.to_wire()["price"] == "100"
    crypto = NewOrder.limit([leg("BTC/USD", BTO, "0.00012", CRYPTO)], D("-60000.5"))
    assert crypto.to_wire()["price"] == "60000.5"
    assert crypto.to_wire()["price-effect"] == "Debit"
    assert crypto.to_wire()["legs"][0]["quantity"] == "0.00012"


def test_stop_notional_and_rules_bodies() -> None:
    stop = NewOrder.stop(leg(action=STC), D("170"))
    assert stop.to_wire() == {
        "time-in-force": "Day",
        "order-type": "Stop",
        "stop-trigger": "170",
        "legs": [
            {
                "action": "Sell to Close",
                "instrument-type": "Equity",
                "symbol": "AAPL",
                "quantity": 1,
            }
        ],
    }
    notional = NewOrder.notional(leg(qty=None), D("25.00"), PriceEffect.DEBIT)
    assert notional.to_wire()["value"] == "25.00"
    assert "quantity" not in notional.to_wire()["legs"][0]
    ruled = NewOrder.limit(
        [leg()],
        D("-100"),
        rules=OrderRules(
            conditions=(OrderConditionRequest("route", "AAPL", EQ, "last", "gte", D("101")),)
        ),
    )
    assert ruled.to_wire()["rules"] == {
        "conditions": [
            {
                "action": "route",
                "symbol": "AAPL",
                "instrument-type": "Equity",
                "indicator": "last",
                "comparator": "gte",
                "threshold": "101",
            }
        ]
    }


def test_complex_wire_bodies() -> None:
    trigger = NewOrder.limit([leg()], D("-180"))
    take = NewOrder.limit([leg(action=STC)], D("190"), time_in_force=TimeInForce.GTC)
    stop = NewOrder.stop(leg(action=STC), D("170"), time_in_force=TimeInForce.GTC)
    body = NewComplexOrder.otoco(trigger, take, stop, source="s").to_wire()
    assert body["type"] == "OTOCO"
    assert body["source"] == "s"
    assert body["trigger-order"] == trigger.to_wire()
    assert body["orders"] == [take.to_wire(), stop.to_wire()]
    oco = NewComplexOrder.oco(take, stop).to_wire()
    assert "trigger-order" not in oco
    assert oco["type"] == "OCO"


REJECTIONS: list[tuple[str, Any]] = [
    ("legs_required", lambda: NewOrder(DAY, LIMIT, (), price=D(1), price_effect=PriceEffect.DEBIT)),
    ("price_required", lambda: NewOrder(DAY, LIMIT, (leg(),))),
    (
        "price_required",
        lambda: NewOrder(DAY, OrderType.STOP_LIMIT, (leg(),), stop_trigger=D(1), price=D(1)),
    ),
    (
        "price_forbidden",
        lambda: NewOrder(
            DAY, OrderType.MARKET, (leg(),), price=D(1), price_effect=PriceEffect.DEBIT
        ),
    ),
    (
        "price_forbidden",
        lambda: NewOrder(
            DAY,
            OrderType.STOP,
            (leg(),),
            stop_trigger=D(1),
            price=D(1),
            price_effect=PriceEffect.DEBIT,
        ),
    ),
    (
        "price_effect_invalid",
        lambda: NewOrder(DAY, LIMIT, (leg(),), price=D(1), price_effect=PriceEffect.NONE),
    ),
    (
        "price_unsigned",
        lambda: NewOrder(DAY, LIMIT, (leg(),), price=D(-1), price_effect=PriceEffect.DEBIT),
    ),
    (
        "price_invalid",
        lambda: NewOrder(DAY, LIMIT, (leg(),), price=D("NaN"), price_effect=PriceEffect.DEBIT),
    ),
    (
        "cant_buy_for_credit",
        lambda: NewOrder(DAY, LIMIT, (leg(),), price=D(1), price_effect=PriceEffect.CREDIT),
    ),
    (
        "cant_sell_for_debit",
        lambda: NewOrder(
            DAY, LIMIT, (leg(action=STC),), price=D(1), price_effect=PriceEffect.DEBIT
        ),
    ),
    (
        "market_single_leg",
        lambda: NewOrder(DAY, OrderType.MARKET, (leg("A", BTO, "1", OPT), leg("B", STO, "1", OPT))),
    ),
    ("market_gtc", lambda: NewOrder(TimeInForce.GTC, OrderType.MARKET, (leg(),))),
    ("stop_trigger_required", lambda: NewOrder(DAY, OrderType.STOP, (leg(action=STC),))),
    (
        "stop_trigger_forbidden",
        lambda: NewOrder(
            DAY, LIMIT, (leg(),), price=D(1), price_effect=PriceEffect.DEBIT, stop_trigger=D(1)
        ),
    ),
    (
        "stop_trigger_positive",
        lambda: NewOrder(DAY, OrderType.STOP, (leg(action=STC),), stop_trigger=D(0)),
    ),
    (
        "stop_gtc_opening",
        lambda: NewOrder(TimeInForce.GTC, OrderType.STOP, (leg(),), stop_trigger=D(1)),
    ),
    (
        "gtc_date_required",
        lambda: NewOrder(
            TimeInForce.GTD, LIMIT, (leg(),), price=D(1), price_effect=PriceEffect.DEBIT
        ),
    ),
    (
        "gtc_date_forbidden",
        lambda: NewOrder(
            DAY,
            LIMIT,
            (leg(),),
            price=D(1),
            price_effect=PriceEffect.DEBIT,
            gtc_date=date(2030, 1, 1),
        ),
    ),
    (
        "ext_single_leg_equity",
        lambda: NewOrder(
            TimeInForce.EXT,
            LIMIT,
            (leg("SPY   250117C00500000", BTO, "1", OPT),),
            price=D(1),
            price_effect=PriceEffect.DEBIT,
        ),
    ),
    (
        "ext_single_leg_equity",
        lambda: NewOrder(
            TimeInForce.GTC_EXT_OVERNIGHT,
            LIMIT,
            (leg("A", BTO, "1", OPT), leg("B", STO, "1", OPT)),
            price=D(1),
            price_effect=PriceEffect.DEBIT,
        ),
    ),
    (
        "single_leg_instrument",
        lambda: NewOrder(
            DAY, LIMIT, (leg("AAPL"), leg("MSFT")), price=D(1), price_effect=PriceEffect.DEBIT
        ),
    ),
    (
        "single_leg_instrument",
        lambda: NewOrder(
            DAY,
            LIMIT,
            (leg("/ESZ6", BTO, "1", FUT), leg("/ESH7", STO, "1", FUT)),
            price=D(1),
            price_effect=PriceEffect.DEBIT,
        ),
    ),
    (
        "too_many_legs",
        lambda: NewOrder(
            DAY,
            LIMIT,
            tuple(leg(f"O{i}", BTO, "1", OPT) for i in range(5)),
            price=D(1),
            price_effect=PriceEffect.DEBIT,
        ),
    ),
    (
        "duplicate_leg_symbol",
        lambda: NewOrder(
            DAY,
            LIMIT,
            (leg("X", BTO, "1", OPT), leg("X", STO, "1", OPT)),
            price=D(1),
            price_effect=PriceEffect.DEBIT,
        ),
    ),
    ("quantity_positive", lambda: leg(qty="0")),
    ("quantity_positive", lambda: leg(qty="-3")),
    ("quantity_integer", lambda: leg(qty="1.5")),
    ("quantity_integer", lambda: leg("/ESZ6", BTO, "0.5", FUT)),
    ("quantity_required", lambda: NewOrder(DAY, OrderType.MARKET, (leg(qty=None),))),
    ("symbol_required", lambda: leg(" ")),
    (
        "outright_action_future_only",
        lambda: NewOrder(DAY, OrderType.MARKET, (leg(action=OrderAction.BUY),)),
    ),
    ("notional_value_required", lambda: NewOrder(DAY, OrderType.NOTIONAL_MARKET, (leg(qty=None),))),
    ("notional_quantity_forbidden", lambda: NewOrder.notional(leg(), D(10), PriceEffect.DEBIT)),
    (
        "notional_instrument",
        lambda: NewOrder.notional(leg("/ESZ6", BTO, None, FUT), D(10), PriceEffect.DEBIT),
    ),
    ("notional_minimum", lambda: NewOrder.notional(leg(qty=None), D("4.99"), PriceEffect.DEBIT)),
    ("cant_buy_for_credit", lambda: NewOrder.notional(leg(qty=None), D(10), PriceEffect.CREDIT)),
    (
        "value_forbidden",
        lambda: NewOrder(
            DAY, OrderType.MARKET, (leg(),), value=D(10), value_effect=PriceEffect.DEBIT
        ),
    ),
    ("oco_order_count", lambda: NewComplexOrder(ComplexOrderType.OCO, (_sell_limit(),))),
    (
        "oco_trigger_forbidden",
        lambda: NewComplexOrder(ComplexOrderType.OCO, (_sell_limit(), _sell_stop()), _buy_limit()),
    ),
    ("oto_order_count", lambda: NewComplexOrder.oto(_buy_limit(), *[_sell_limit()] * 4)),
    ("oto_order_count", lambda: NewComplexOrder(ComplexOrderType.OTO, (), _buy_limit())),
    ("trigger_required", lambda: NewComplexOrder(ComplexOrderType.OTO, (_sell_limit(),))),
    (
        "trigger_required",
        lambda: NewComplexOrder(ComplexOrderType.OTOCO, (_sell_limit(), _sell_stop())),
    ),
    (
        "otoco_order_count",
        lambda: NewComplexOrder(ComplexOrderType.OTOCO, (_sell_limit(),), _buy_limit()),
    ),
    (
        "otoco_mixed_effects",
        lambda: NewComplexOrder.otoco(_buy_limit(), _sell_limit(), _buy_limit()),
    ),
    (
        "complex_type_unsupported",
        lambda: NewComplexOrder(ComplexOrderType.PAIRS, (_sell_limit(), _buy_limit())),
    ),
]


def _buy_limit() -> NewOrder:
    return NewOrder.limit([leg()], D("-100"))


def _sell_limit() -> NewOrder:
    return NewOrder.limit([leg(action=STC)], D("110"), time_in_force=TimeInForce.GTC)


def _sell_stop() -> NewOrder:
    return NewOrder.stop(leg(action=STC), D("90"), time_in_force=TimeInForce.GTC)


@pytest.mark.parametrize(
    ("rule", "build"), REJECTIONS, ids=[f"{i}-{r}" for i, (r, _) in enumerate(REJECTIONS)]
)
def test_each_rule_is_rejected_with_its_name(rule: str, build: Any) -> None:
    with pytest.raises(OrderValidationError) as info:
        build()
    assert info.value.rule == rule
    assert info.value.message.startswith(f"{rule}: ")
    assert isinstance(info.value, TastytradeError)
    assert info.value.retriable is False


def test_valid_shapes_are_accepted() -> None:
    spread = NewOrder(
        DAY,
        LIMIT,
        (leg("SPY   250117C00500000", BTO, "1", OPT), leg("SPY   250117C00510000", STO, "1", OPT)),
        price=D("1"),
        price_effect=PriceEffect.CREDIT,  # spreads may go either way
    )
    assert spread.direction is PriceEffect.CREDIT
    covered = NewOrder(
        DAY,
        LIMIT,
        (leg("AAPL", BTO, "100"), leg("AAPL  250117C00200000", STO, "1", OPT)),
        price=D(190),
        price_effect=PriceEffect.DEBIT,
    )
    assert len(covered.legs) == 2
    outright = NewOrder(DAY, OrderType.MARKET, (leg("/ESZ6", OrderAction.BUY, "1", FUT),))
    assert outright.direction is PriceEffect.DEBIT
    closing_stop = NewOrder.stop(leg(action=STC), D(1), time_in_force=TimeInForce.GTC)
    assert closing_stop.time_in_force is TimeInForce.GTC
    ext = NewOrder.limit([leg()], D(-1), time_in_force=TimeInForce.EXT_OVERNIGHT)
    assert ext.to_wire()["time-in-force"] == "Ext Overnight"
    assert (
        NewComplexOrder.oto(_buy_limit(), _sell_limit(), _sell_stop()).type is ComplexOrderType.OTO
    )


def test_replace_revalidates() -> None:
    order = _buy_limit()
    assert order.replace(price=D(99)).price == D(99)
    with pytest.raises(OrderValidationError, match="cant_buy_for_credit"):
        order.replace(price_effect=PriceEffect.CREDIT)


# --- properties ------------------------------------------------------------------------------

prices = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2, allow_nan=False)
whole = st.integers(min_value=1, max_value=10_000).map(D)
crypto_qty = st.decimals(
    min_value=D("0.00000001"), max_value=D("100"), places=8, allow_nan=False
).filter(lambda q: q > 0)
tifs = st.sampled_from([TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC])
symbols = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5)


@st.composite
def single_leg_limits(draw: st.DrawFn) -> NewOrder:
    kind = draw(st.sampled_from([EQ, FUT, CRYPTO, OPT]))
    buy = draw(st.booleans())
    action = draw(st.sampled_from([BTO, BTC] if buy else [STO, STC]))
    qty = draw(crypto_qty if kind == CRYPTO else whole)
    effect = PriceEffect.DEBIT if buy else PriceEffect.CREDIT
    return NewOrder(
        draw(tifs),
        LIMIT,
        (NewOrderLeg(kind, draw(symbols), action, qty),),
        price=draw(prices),
        price_effect=effect,
    )


@st.composite
def option_spreads(draw: st.DrawFn) -> NewOrder:
    count = draw(st.integers(min_value=2, max_value=4))
    names = draw(st.lists(symbols, min_size=count, max_size=count, unique=True))
    legs = tuple(
        NewOrderLeg(OPT, f"SPY   {n}", draw(st.sampled_from([BTO, STO, BTC, STC])), draw(whole))
        for n in names
    )
    effect = draw(st.sampled_from([PriceEffect.DEBIT, PriceEffect.CREDIT]))
    implied = {leg.action.is_buy for leg in legs}
    if implied == {True}:
        effect = PriceEffect.DEBIT
    elif implied == {False}:
        effect = PriceEffect.CREDIT
    return NewOrder(draw(tifs), LIMIT, legs, price=draw(prices), price_effect=effect)


@settings(deadline=None, max_examples=100)
@given(st.one_of(single_leg_limits(), option_spreads()))
def test_valid_builder_output_round_trips_through_the_order_model(order: NewOrder) -> None:
    wire = order.to_wire()
    parsed = parse_model(Order, {**wire, "account-number": "5WT00001", "status": "Received"})
    assert parsed.model_extra == {}
    assert parsed.order_type == order.order_type
    assert parsed.time_in_force == order.time_in_force
    assert parsed.price == order.price
    assert parsed.price_effect == order.price_effect
    assert [(x.symbol, x.action, x.quantity, x.instrument_type) for x in parsed.legs] == [
        (x.symbol, x.action, x.quantity, x.instrument_type) for x in order.legs
    ]
    assert order.price is not None
    expected = -order.price if order.price_effect == PriceEffect.DEBIT else order.price
    assert parsed.signed_price == expected


@settings(deadline=None, max_examples=100)
@given(single_leg_limits())
def test_flipping_the_effect_of_a_valid_single_direction_limit_is_rejected(order: NewOrder) -> None:
    flipped = PriceEffect.CREDIT if order.price_effect == PriceEffect.DEBIT else PriceEffect.DEBIT
    with pytest.raises(OrderValidationError) as info:
        order.replace(price_effect=flipped)
    assert info.value.rule in {"cant_buy_for_credit", "cant_sell_for_debit"}


@settings(deadline=None, max_examples=100)
@given(single_leg_limits())
def test_market_twin_of_a_valid_limit_is_valid_unless_gtc(order: NewOrder) -> None:
    if order.time_in_force == TimeInForce.GTC:
        with pytest.raises(OrderValidationError, match="market_gtc"):
            NewOrder(order.time_in_force, OrderType.MARKET, order.legs)
    else:
        market = NewOrder(order.time_in_force, OrderType.MARKET, order.legs)
        assert "price" not in market.to_wire()
