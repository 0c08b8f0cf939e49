"""The wire-model base: kebab-case, leniency, warnings once, typed failures, signs, times."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from adapters.tastytrade.errors import ErrorStream, ParseFailure, ParseWarning
from adapters.tastytrade.models import (
    NOTIFICATION_MODELS,
    AccountBalance,
    ApiQuoteToken,
    CurrentPosition,
    InstrumentType,
    MarketData,
    Order,
    OrderStatus,
    PriceEffect,
    QuoteAlert,
    TastytradeModel,
    Transaction,
    parse_model,
    parse_models,
    signed,
)

ORDER = {
    "id": 7,
    "account-number": "5WT00001",
    "time-in-force": "Day",
    "order-type": "Limit",
    "underlying-symbol": "AAPL",
    "underlying-instrument-type": "Equity",
    "price": "180.0",
    "price-effect": "Debit",
    "status": "Live",
    "cancellable": True,
    "editable": True,
    "edited": False,
    "updated-at": 1741014000100,
    "legs": [
        {
            "instrument-type": "Equity",
            "symbol": "AAPL",
            "quantity": 1,
            "remaining-quantity": 1,
            "action": "Buy to Open",
            "fills": [],
        }
    ],
}


def _warnings(stream: ErrorStream) -> list[ParseWarning]:
    out = [e for e in stream.drain() if isinstance(e, ParseWarning)]
    return out


def test_kebab_aliases_and_snake_names_both_parse() -> None:
    order = parse_model(Order, ORDER)
    assert order.account_number == "5WT00001"
    assert order.price == Decimal("180.0")
    by_name = Order.model_validate({**{k.replace("-", "_"): v for k, v in ORDER.items()}})
    assert by_name.time_in_force == order.time_in_force


def test_models_are_frozen() -> None:
    order = parse_model(Order, ORDER)
    with pytest.raises(ValidationError):
        order.price = Decimal(1)  # type: ignore[misc]


def test_unknown_field_is_kept_and_warned_once_per_model_and_field() -> None:
    stream = ErrorStream()
    first = parse_model(Order, {**ORDER, "brand-new-field": 1}, stream)
    parse_model(Order, {**ORDER, "brand-new-field": 2}, stream)
    assert first.model_extra == {"brand-new-field": 1}
    warnings = _warnings(stream)
    assert [(w.model, w.field_name) for w in warnings] == [("Order", "brand-new-field")]
    assert first.to_wire()["brand-new-field"] == 1


def test_unknown_enum_value_is_kept_as_str_and_warned() -> None:
    stream = ErrorStream()
    order = parse_model(Order, {**ORDER, "status": "Teleported"}, stream)
    assert order.status == "Teleported"
    assert not isinstance(order.status, OrderStatus)
    assert not order.is_terminal
    (warning,) = _warnings(stream)
    assert (warning.model, warning.field_name, warning.value) == ("Order", "status", "Teleported")


def test_nested_unknowns_are_reported_with_the_nested_model_name() -> None:
    stream = ErrorStream()
    legs = [{**ORDER["legs"][0], "action": "Buy to Yolo", "odd": True}]  # type: ignore[index]
    parse_model(Order, {**ORDER, "legs": legs}, stream)
    found = {(w.model, w.field_name) for w in _warnings(stream)}
    assert found == {("OrderLeg", "action"), ("OrderLeg", "odd")}


def test_known_enum_values_become_members() -> None:
    order = parse_model(Order, ORDER)
    assert order.status is OrderStatus.LIVE
    assert order.price_effect is PriceEffect.DEBIT
    assert order.legs[0].instrument_type is InstrumentType.EQUITY


def test_parse_failure_names_model_and_reason_but_not_the_payload() -> None:
    secret = "SECRET-TOKEN-123"
    raw = {**ORDER, "account-number": None, "price": "not-a-number", "note": secret}
    with pytest.raises(ParseFailure) as info:
        parse_model(Order, raw)
    assert info.value.model == "Order"
    assert "account-number" in info.value.message or "account_number" in info.value.message
    assert secret not in info.value.message
    assert "not-a-number" not in info.value.message
    assert info.value.raw is None


def test_parse_failure_on_non_object() -> None:
    with pytest.raises(ParseFailure, match="expected an object"):
        parse_model(Order, ["not", "an", "object"])
    with pytest.raises(ParseFailure, match="expected items"):
        parse_models(Order, "nope")


def test_parse_models_accepts_items_envelope_and_bare_lists() -> None:
    assert len(parse_models(Order, {"items": [ORDER, ORDER]})) == 2
    assert len(parse_models(Order, [ORDER])) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1741014000100, datetime(2025, 3, 3, 15, 0, 0, 100000, tzinfo=UTC)),
        ("1741014000100", datetime(2025, 3, 3, 15, 0, 0, 100000, tzinfo=UTC)),
        ("2025-03-03T15:00:00.100Z", datetime(2025, 3, 3, 15, 0, 0, 100000, tzinfo=UTC)),
        ("2025-03-03T15:00:00.100+00:00", datetime(2025, 3, 3, 15, 0, 0, 100000, tzinfo=UTC)),
        (0, None),
    ],
)
def test_order_updated_at_epoch_ms_or_iso(value: object, expected: datetime | None) -> None:
    order = parse_model(Order, {**ORDER, "updated-at": value})
    assert order.updated_at == expected


def test_offsets_are_parsed_not_compared_as_strings() -> None:
    alert = parse_model(
        QuoteAlert,
        {
            "symbol": "AAPL",
            "field": "Last",
            "operator": ">",
            "threshold": "200",
            "triggered-at": "2026-08-03T14:30:00.000-04:00",
            "created-at": "2026-08-03T18:30:00.000Z",
        },
    )
    assert alert.triggered_at == alert.created_at


def test_nan_allowed_where_the_api_sends_it_but_not_in_money() -> None:
    data = parse_model(
        MarketData, {"symbol": "X", "instrument-type": "Equity", "bid": "NaN", "ask": ""}
    )
    assert data.bid is not None
    assert data.bid.is_nan()
    assert data.ask is None
    with pytest.raises(ParseFailure):
        parse_model(Order, {**ORDER, "price": "NaN"})


def test_signed_helper_and_properties_leave_wire_values_alone() -> None:
    assert signed(Decimal("2.5"), PriceEffect.DEBIT) == Decimal("-2.5")
    assert signed(Decimal("2.5"), "Credit") == Decimal("2.5")
    assert signed(Decimal("2.5"), PriceEffect.NONE) == Decimal("2.5")
    assert signed(None, PriceEffect.DEBIT) is None
    with pytest.raises(ValueError, match="unknown price effect"):
        signed(Decimal(1), "Sideways")
    order = parse_model(Order, ORDER)
    assert order.signed_price == Decimal("-180.0")
    assert order.price == Decimal("180.0")
    assert order.to_wire()["price"] == "180.0"
    assert order.to_wire()["price-effect"] == "Debit"


def test_position_signed_quantity() -> None:
    raw = {
        "account-number": "A",
        "symbol": "SPY   250117C00500000",
        "instrument-type": "Equity Option",
        "quantity": "2",
        "quantity-direction": "Short",
    }
    assert parse_model(CurrentPosition, raw).signed_quantity == Decimal(-2)


def test_transaction_signed_values() -> None:
    raw = {
        "id": 1,
        "account-number": "A",
        "transaction-type": "Trade",
        "executed-at": "2025-03-03T15:00:00.500+00:00",
        "transaction-date": "2025-03-03",
        "value": "10000.0",
        "value-effect": "Debit",
        "net-value": "10000.08",
        "net-value-effect": "Debit",
    }
    txn = parse_model(Transaction, raw)
    assert txn.signed_value == Decimal("-10000.0")
    assert txn.signed_net_value == Decimal("-10000.08")


def test_quote_token_never_shows_the_token() -> None:
    token = parse_model(
        ApiQuoteToken, {"token": "tok-abc-123", "dxlink-url": "wss://x/realtime", "level": "api"}
    )
    assert token.token == "tok-abc-123"
    assert "tok-abc-123" not in repr(token)
    assert "tok-abc-123" not in str(token)


def test_notification_models_cover_the_documented_types() -> None:
    assert set(NOTIFICATION_MODELS) == {
        "Order",
        "ComplexOrder",
        "AccountBalance",
        "CurrentPosition",
        "ExternalTransaction",
        "TradingStatus",
        "QuoteAlert",
        "PublicWatchlists",
        "UnderlyingYearGainSummary",
        "OrderChain",
        "Transaction",
    }
    assert NOTIFICATION_MODELS["AccountBalance"] is AccountBalance
    assert all(issubclass(m, TastytradeModel) for m in NOTIFICATION_MODELS.values())


@settings(deadline=None, max_examples=100)
@given(st.text(min_size=1, max_size=30).filter(lambda s: s not in set(OrderStatus)))
def test_any_unknown_status_parses_and_is_kept(value: str) -> None:
    stream = ErrorStream()
    order = parse_model(Order, {**ORDER, "status": value}, stream)
    assert order.status == value
    warnings = [w for w in stream.drain() if isinstance(w, ParseWarning)]
    assert [(w.model, w.field_name) for w in warnings] == [("Order", "status")]


@settings(deadline=None, max_examples=100)
@given(st.dictionaries(st.text(min_size=1, max_size=12), st.integers(), max_size=5))
def test_any_unknown_fields_are_kept_and_never_fail(extra: dict[str, int]) -> None:
    known = set(ORDER) | {k.replace("_", "-") for k in Order.model_fields}
    extra = {
        k: v
        for k, v in extra.items()
        if k not in known and k.replace("-", "_") not in Order.model_fields
    }
    order = parse_model(Order, {**ORDER, **extra})
    assert order.model_extra == extra


def test_order_updated_at_serializes_back_to_epoch_ms() -> None:
    wire = parse_model(Order, ORDER).to_wire()
    assert wire["updated-at"] == 1741014000100
    assert wire["legs"][0]["action"] == "Buy to Open"
    assert "id" in wire
