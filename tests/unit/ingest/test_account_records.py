"""The pure account normalizer: golden payloads, Avro round trips, deterministic ids, bad values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.tastytrade.account_stream import Notification, Reconciliation
from adapters.tastytrade.errors import ErrorStream, ParseWarning
from adapters.tastytrade.models import (
    NOTIFICATION_MODELS,
    AccountBalance,
    CurrentPosition,
    Order,
    TradingStatus,
    Transaction,
    parse_model,
)
from ingest.account_records import (
    AccountRecord,
    Rejected,
    notification_records,
    snapshot_id,
    snapshot_records,
    transaction_record,
)
from schemas.account_envelope import REST
from schemas.codec import AvroCodec
from schemas.topics import ACCOUNT_TOPICS

FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "tastytrade"
ACCOUNT = "5WT00001"
FETCHED = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)

needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures absent")

WRITER = AvroCodec()
READER = AvroCodec(logical_types=True)
IDS = {spec.stem: n for n, spec in enumerate(ACCOUNT_TOPICS.values(), start=1)}
for _spec in ACCOUNT_TOPICS.values():
    WRITER.add(IDS[_spec.stem], _spec.schema_text())
    READER.add(IDS[_spec.stem], _spec.schema_text())


def round_trip(item: AccountRecord | Rejected) -> dict[str, Any]:
    assert isinstance(item, AccountRecord), getattr(item, "reason", item)
    return READER.decode(WRITER.encode(IDS[item.spec.stem], item.record)).record


def record_of(item: AccountRecord | Rejected) -> dict[str, Any]:
    assert isinstance(item, AccountRecord), getattr(item, "reason", item)
    return item.record


def frame(name: str) -> Notification:
    message = json.loads((FIXTURES / name).read_text())
    model = parse_model(NOTIFICATION_MODELS[message["type"]], message["data"])
    return Notification(message["type"], model, message["timestamp"], True, message)


def records(note: Notification) -> list[AccountRecord | Rejected]:
    return notification_records(note, source="account:test", ts_ingest_us=1_000)


# ----------------------------------------------------------------------------- golden
@needs_fixtures
def test_a_streamed_filled_order_keeps_its_fills_exactly() -> None:
    (item,) = records(frame("frames-account-order.documented.json"))
    record = round_trip(item)
    assert item.key == b"SENTINEL-5WX00042"
    assert (record["origin"], record["snapshot_id"], record["snapshot_size"]) == ("stream", None, 0)
    assert record["ts_event"] == datetime.fromtimestamp(1688595114.405, UTC)
    (leg,) = record["legs"]
    assert (leg["quantity"], leg["remaining_quantity"]) == (Decimal(100), Decimal(0))
    (fill,) = leg["fills"]
    assert fill["fill_price"] == Decimal("100.0")
    assert fill["fill_id"] == "24_TW::TEST_A47504::20230705.1179-TEST_FILL"
    assert (record["order_id"], record["status"], record["order_type"]) == (1, "Filled", "Market")


@needs_fixtures
@pytest.mark.parametrize(
    ("name", "stem", "field", "value"),
    [
        ("frames-account-account-balance.derived.json", "balance", "cash_balance", "10000.0"),
        ("frames-account-current-position.derived.json", "position", "signed_quantity", "100"),
        ("frames-account-order-market.documented.json", "order", "size", "100"),
    ],
)
def test_streamed_frames_become_records(name: str, stem: str, field: str, value: str) -> None:
    (item,) = records(frame(name))
    assert item.spec is ACCOUNT_TOPICS[stem]
    assert round_trip(item)[field] == Decimal(value)
    assert records(frame(name))[0] == item  # same input, same record and id


@needs_fixtures
def test_rest_transactions_and_trading_status_become_records() -> None:
    listing = json.loads((FIXTURES / "transactions_listing.json").read_text())
    txs = [parse_model(Transaction, t) for t in listing["data"]["items"]]
    got = [round_trip(transaction_record(tx, source="s", ts_ingest_us=1)) for tx in txs]
    assert [r["transaction_id"] for r in got] == [tx.id for tx in txs]
    assert got[0]["quantity"] == Decimal("1.68074")
    assert got[2]["value"] == Decimal("27.74")
    assert got[2]["quantity"] is None
    status = parse_model(
        TradingStatus, json.loads((FIXTURES / "trading_status.json").read_text())["data"]
    )
    note = Notification("TradingStatus", status, 1_700_000_000_000, True, {})
    record = round_trip(records(note)[0])
    assert (record["options_level"], record["is_frozen"]) == ("No Restrictions", False)
    assert record["snapshot_positions"] is None


# ------------------------------------------------------------------------ properties
amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False
).map(lambda d: d.normalize() if d else Decimal(0))
quantities = st.decimals(min_value=Decimal(0), max_value=Decimal("1e9"), places=4)
symbols = st.sampled_from(["AAPL", "SPY", "/ESZ6", "BTC/USD", "SPY   261218C00500000"])


def position(symbol: str, quantity: Decimal, price: Decimal, short: bool) -> CurrentPosition:
    return parse_model(
        CurrentPosition,
        {
            "account-number": ACCOUNT,
            "symbol": symbol,
            "instrument-type": "Equity",
            "quantity": str(quantity),
            "quantity-direction": "Short" if short else "Long",
            "average-open-price": str(price),
            "close-price": "NaN",
        },
    )


def transaction(tx_id: int, value: Decimal, fee: Decimal) -> Transaction:
    return parse_model(
        Transaction,
        {
            "id": tx_id,
            "account-number": ACCOUNT,
            "transaction-type": "Trade",
            "executed-at": "2026-11-25T16:00:00.123456+00:00",
            "transaction-date": "2026-11-25",
            "value": str(abs(value)),
            "value-effect": "Debit" if value < 0 else "Credit",
            "commission": str(abs(fee)),
            "commission-effect": "Debit",
        },
    )


@settings(max_examples=60)
@given(st.integers(1, 2**53), amounts, amounts)
def test_transactions_round_trip_exactly_with_one_id_per_transaction(
    tx_id: int, value: Decimal, fee: Decimal
) -> None:
    tx = transaction(tx_id, value, fee)
    streamed = transaction_record(tx, source="a", ts_ingest_us=1)
    fetched = transaction_record(tx, source="b", ts_ingest_us=2, origin=REST)
    assert isinstance(streamed, AccountRecord)
    assert isinstance(fetched, AccountRecord)
    # streamed or fetched again from REST: one event
    assert streamed.record["event_id"] == fetched.record["event_id"]
    assert fetched.record["origin"] == "rest"
    record = round_trip(streamed)
    assert record["value"] == abs(value)
    assert record["commission"] == abs(fee)
    assert record["executed_at"] == datetime(2026, 11, 25, 16, 0, 0, 123456, tzinfo=UTC)
    other = transaction_record(transaction(tx_id + 1, value, fee), source="a", ts_ingest_us=1)
    assert isinstance(other, AccountRecord)
    assert other.record["event_id"] != streamed.record["event_id"]


@settings(max_examples=60)
@given(symbols, quantities, amounts, st.booleans())
def test_streamed_positions_round_trip_and_resends_keep_their_id(
    symbol: str, quantity: Decimal, price: Decimal, short: bool
) -> None:
    model = position(symbol, quantity, price, short)
    note = Notification("CurrentPosition", model, 1_700_000_000_000, True, {})
    (item,) = records(note)
    record = round_trip(item)
    assert record["quantity"] == quantity
    assert record["signed_quantity"] == (-quantity if short else quantity)
    assert record["average_open_price"] == price
    assert record["close_price"] is None  # NaN on the wire: no value, not a number
    resent = Notification("CurrentPosition", position(symbol, quantity, price, short), 9, True, {})
    assert record_of(records(resent)[0])["event_id"] == record_of(item)["event_id"]
    changed = position(symbol, quantity + 1, price, short)
    moved = records(Notification("CurrentPosition", changed, 9, True, {}))[0]
    assert record_of(moved)["event_id"] != record_of(item)["event_id"]


def reconciliation(
    positions: list[CurrentPosition], generation: int, fetched: datetime = FETCHED
) -> Reconciliation:
    balance = AccountBalance(account_number=ACCOUNT, currency="USD", cash_balance=Decimal("1.5"))
    return Reconciliation(ACCOUNT, tuple(positions), balance, (), fetched, generation)


@settings(max_examples=40)
@given(
    st.lists(st.tuples(symbols, quantities, amounts), unique_by=lambda t: t[0], max_size=4),
    st.integers(1, 1000),
)
def test_snapshot_ids_are_new_per_reconcile_and_item_ids_follow_from_them(
    rows: list[tuple[str, Decimal, Decimal]], generation: int
) -> None:
    positions = [position(s, q, p, False) for s, q, p in rows]
    one = reconciliation(positions, generation)
    items = snapshot_records(one, None, source="s", ts_ingest_us=5)
    again = snapshot_records(one, None, source="s", ts_ingest_us=7)
    assert [record_of(i)["event_id"] for i in items] == [record_of(i)["event_id"] for i in again]
    later = reconciliation(positions, generation + 1, FETCHED + timedelta(seconds=1))
    assert snapshot_id(later) != snapshot_id(one)
    next_ids = {
        record_of(i)["event_id"] for i in snapshot_records(later, None, source="s", ts_ingest_us=5)
    }
    assert next_ids.isdisjoint(record_of(i)["event_id"] for i in items)
    decoded = [round_trip(i) for i in items]
    assert len({r["event_id"] for r in decoded}) == len(decoded)
    assert all(r["origin"] == "snapshot" and r["snapshot_id"] == snapshot_id(one) for r in decoded)
    held = [r for r in decoded if "symbol" in r]
    assert [r["snapshot_index"] for r in held] == list(range(len(rows)))
    assert all(r["snapshot_size"] == len(rows) for r in held)
    assert [(r["symbol"], r["quantity"]) for r in held] == [(s, q) for s, q, _ in rows]
    manifest = decoded[-1]
    assert "snapshot_positions" in manifest  # the status record comes last and counts
    assert (manifest["snapshot_positions"], manifest["snapshot_orders"]) == (len(rows), 0)
    assert manifest["snapshot_balances"] == 1


# ------------------------------------------------------------------------- bad input
def test_a_value_that_does_not_fit_is_rejected_not_rounded() -> None:
    model = position("AAPL", Decimal("1.00000000001"), Decimal(1), False)
    (item,) = records(Notification("CurrentPosition", model, 1, True, {}))
    assert isinstance(item, Rejected)
    assert item.error_class == "DecimalOutOfRange"
    assert "quantity" in item.reason
    assert item.spec is ACCOUNT_TOPICS["position"]
    assert b"AAPL" in item.raw
    # one bad item of a snapshot does not take the others with it
    good = position("SPY", Decimal(2), Decimal(1), False)
    items = snapshot_records(reconciliation([model, good], 1), None, source="s", ts_ingest_us=1)
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["Rejected", "AccountRecord", "AccountRecord", "AccountRecord"]


def test_unknown_fields_are_reported_and_the_record_still_made() -> None:
    errors = ErrorStream()
    raw = {
        "account-number": ACCOUNT,
        "time-in-force": "Day",
        "order-type": "Limit",
        "status": "Brand New Status",
        "id": 7,
        "shiny-new-field": 1,
    }
    order = parse_model(Order, raw, errors)
    warnings = [e for e in errors.drain() if isinstance(e, ParseWarning)]
    assert {w.field_name for w in warnings} == {"shiny-new-field", "status"}
    (item,) = records(Notification("Order", order, 1, True, {}))
    assert round_trip(item)["status"] == "Brand New Status"


def test_types_that_are_not_account_events_give_no_records() -> None:
    assert records(Notification("QuoteAlert", object(), 1, True, {})) == []


def test_derived_averages_are_rounded_and_reported_other_decimals_refused() -> None:
    average = Decimal(910) / Decimal(3)  # 28 significant digits, as the sandbox computes them
    model = position("AAPL", Decimal(3), average, False)
    (item,) = records(Notification("CurrentPosition", model, 1, True, {}))
    assert isinstance(item, AccountRecord)
    assert item.rounded == ("average_open_price",)
    assert round_trip(item)["average_open_price"] == Decimal("303.3333333333")
    exact = records(
        Notification(
            "CurrentPosition", position("AAPL", Decimal(3), Decimal(1), False), 1, True, {}
        )
    )[0]
    assert isinstance(exact, AccountRecord)
    assert exact.rounded == ()
    fine = transaction(1, Decimal(1), average)  # a fee is a ledger fact: refused, not rounded
    refused = transaction_record(fine, source="s", ts_ingest_us=1)
    assert isinstance(refused, Rejected)
    assert refused.error_class == "DecimalOutOfRange"


def test_an_order_carries_its_external_identifier_as_correlation_id() -> None:
    base = {"account-number": ACCOUNT, "time-in-force": "Day", "order-type": "Market"}
    tagged = parse_model(Order, {**base, "id": 3, "status": "Live", "external-identifier": "c-1"})
    plain = parse_model(Order, {**base, "id": 4, "status": "Live"})
    assert (
        record_of(records(Notification("Order", tagged, 1, True, {}))[0])["correlation_id"] == "c-1"
    )
    assert (
        record_of(records(Notification("Order", plain, 1, True, {}))[0])["correlation_id"] is None
    )
