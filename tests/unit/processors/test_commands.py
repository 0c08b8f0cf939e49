"""Command records → validated commands: Avro round trip, nonsense rejected with reasons."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.tastytrade.models import InstrumentType, OrderAction
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from processors.commands import Invalid, OrderCommand, parse_command
from processors.records import command_record, result_record
from schemas.account_envelope import decimal_bytes
from schemas.codec import AvroCodec
from schemas.command_envelope import result_event_id
from schemas.registry import subjects_of
from schemas.topics import COMMAND_TOPICS

ACCOUNT = "5WT00001"
ACCOUNTS = frozenset({ACCOUNT})
NOW = 1_800_000_000_000_000
APPROVED = COMMAND_TOPICS["approved"]
RESULT = COMMAND_TOPICS["result"]


def _codec() -> AvroCodec:
    codec = AvroCodec()
    for schema_id, text in enumerate(subjects_of([APPROVED, RESULT]).values(), start=1):
        codec.add(schema_id, text)
    return codec


CODEC = _codec()
APPROVED_ID, RESULT_ID = 1, 3  # subjects_of order: approved, approved.dlq, result, result.dlq


def _raw_order(quantity: Decimal, price: Decimal | None, order_type: str = "Limit") -> Any:
    return {
        "order_type": order_type,
        "time_in_force": "Day",
        "price": None if price is None else decimal_bytes(price),
        "price_effect": None if price is None else "Debit",
        "stop_trigger": None,
        "value": None,
        "value_effect": None,
        "gtc_date": None,
        "legs": [
            {
                "instrument_type": "Equity",
                "symbol": "AAPL",
                "action": "Buy to Open",
                "quantity": decimal_bytes(quantity),
            }
        ],
    }


def _through_avro(record: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = CODEC.decode(CODEC.encode(APPROVED_ID, record)).record
    return decoded


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10_000), places=2)
quantities = st.integers(min_value=1, max_value=100_000)


@settings(max_examples=40)
@given(quantities, prices, st.none() | st.integers(min_value=1, max_value=10**9))
def test_valid_limit_orders_survive_avro_and_carry_the_command_id(
    quantity: int, price: Decimal, max_age: int | None
) -> None:
    leg = NewOrderLeg(InstrumentType.EQUITY, "AAPL", OrderAction.BUY_TO_OPEN, Decimal(quantity))
    order = NewOrder.limit([leg], -price)
    record = command_record(
        ACCOUNT, "place", requester="t", created_at_us=NOW, order=order, max_age_ms=max_age
    )
    parsed = parse_command(_through_avro(record), ACCOUNTS)
    assert isinstance(parsed, OrderCommand)
    assert parsed.order is not None
    assert parsed.order.external_identifier == parsed.command_id == record["command_id"]
    wire, sent = parsed.order.to_wire(), order.to_wire()
    assert Decimal(wire.pop("price")) == Decimal(sent.pop("price")) == price  # same value
    assert wire.pop("external-identifier") == parsed.command_id
    assert wire == sent
    assert parsed.max_age_ms == max_age


@settings(max_examples=30)
@given(st.decimals(min_value=Decimal(-(10**20)), max_value=Decimal(0), places=0))
def test_non_positive_quantity_is_rejected_with_the_rule(quantity: Decimal) -> None:
    raw = _raw_order(quantity, Decimal("1.00"))
    record = command_record(ACCOUNT, "place", requester="t", created_at_us=NOW, order=raw)
    parsed = parse_command(_through_avro(record), ACCOUNTS)
    assert isinstance(parsed, Invalid)
    assert [p.code for p in parsed.problems] == ["quantity_positive"]


def test_limit_without_price_unknown_account_and_missing_target_are_rejected() -> None:
    no_price = command_record(
        ACCOUNT, "place", requester="t", created_at_us=NOW, order=_raw_order(Decimal(1), None)
    )
    parsed = parse_command(_through_avro(no_price), ACCOUNTS)
    assert isinstance(parsed, Invalid)
    assert parsed.problems[0].code == "price_required"
    elsewhere = command_record(
        "9ZZ99999", "place", requester="t", created_at_us=NOW, order=_raw_order(Decimal(1), None)
    )
    parsed = parse_command(_through_avro(elsewhere), ACCOUNTS)
    assert isinstance(parsed, Invalid)
    assert {p.code for p in parsed.problems} == {"account_unknown", "price_required"}
    cancel = command_record(ACCOUNT, "cancel", requester="t", created_at_us=NOW)
    parsed = parse_command(_through_avro(cancel), ACCOUNTS)
    assert isinstance(parsed, Invalid)
    assert parsed.reason.startswith("order_id_required")


@settings(max_examples=60)
@given(
    action=st.text(max_size=8) | st.sampled_from(["place", "replace", "cancel"]),
    order_type=st.text(max_size=12) | st.sampled_from(["Limit", "Market", "Stop"]),
    command_id=st.text(max_size=40) | st.uuids().map(str),
    order_id=st.none() | st.integers(min_value=-5, max_value=5),
    max_age=st.none() | st.integers(min_value=-5, max_value=5),
)
def test_schema_valid_nonsense_never_raises_and_rejections_have_reasons(
    action: str, order_type: str, command_id: str, order_id: int | None, max_age: int | None
) -> None:
    record = command_record(
        ACCOUNT,
        action,
        requester="t",
        created_at_us=NOW,
        order=_raw_order(Decimal(1), Decimal(1), order_type),
        order_id=order_id,
        max_age_ms=max_age,
        command_id=command_id or "x",
    )
    parsed = parse_command(_through_avro(record), ACCOUNTS)
    if isinstance(parsed, Invalid):
        assert parsed.problems
        assert all(p.code and p.message for p in parsed.problems)
        result = result_record(parsed, "rejected", source="t", ts_event=NOW)
        decoded = CODEC.decode(CODEC.encode(RESULT_ID, result)).record
        assert decoded["errors"]
        assert decoded["status"] == "rejected"
        assert decoded["event_id"] == result_event_id(ACCOUNT, parsed.command_id)
    else:
        assert parsed.action == action


def test_stale_is_judged_from_created_at() -> None:
    record = command_record(
        ACCOUNT, "cancel", requester="t", created_at_us=NOW, order_id=7, max_age_ms=1000
    )
    parsed = parse_command(record, ACCOUNTS)
    assert isinstance(parsed, OrderCommand)
    assert not parsed.is_stale(NOW + 1_000_000)
    assert parsed.is_stale(NOW + 1_000_001)
