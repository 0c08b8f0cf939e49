"""The fast path's pure parts: container framing, header scan, routing decisions, error classes."""

from __future__ import annotations

import copy
import io
from typing import Any

import fastavro
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import MARKET_TOPICS, AvroCodec, wire_header
from sinks.columns import Column, TableLayout
from sinks.errors import (
    ClickHouseUnavailable,
    PassthroughRejected,
    classify_passthrough_error,
)
from sinks.passthrough import (
    MARKER_FIELD,
    FallbackReason,
    FastInsert,
    NotPassthrough,
    avro_container,
    new_marker,
    plan_passthrough,
    scan_headers,
)
from sinks.routes import routes_for
from tests.unit.sinks.records import ddl_columns, records

QUOTE = MARKET_TOPICS["Quote"]


def _layout(event_type: str = "Quote") -> TableLayout:
    spec = MARKET_TOPICS[event_type]
    route = routes_for(None)[spec.name]
    return TableLayout.build("db", spec.table, ddl_columns(spec), route.fields)


def _plan(event_type: str = "Quote", writer: dict[str, Any] | None = None) -> FastInsert:
    spec = MARKET_TOPICS[event_type]
    plan = plan_passthrough(
        _layout(event_type), spec.schema(), 7, writer or spec.schema(), new_marker()
    )
    assert isinstance(plan, FastInsert), plan
    return plan


@pytest.mark.parametrize("event_type", sorted(MARKET_TOPICS))
def test_every_market_table_has_a_fast_insert_that_fastavro_reads_back(event_type: str) -> None:
    spec = MARKET_TOPICS[event_type]
    plan = _plan(event_type)
    codec = AvroCodec()
    codec.add(7, spec.schema())
    rows = records(event_type, 25)
    container = plan.container(codec.encode_many(7, rows))
    back: list[Any] = list(fastavro.reader(io.BytesIO(container)))
    assert [{k: v for k, v in r.items() if k != MARKER_FIELD} for r in back] == rows
    assert {r[MARKER_FIELD] for r in back} == {plan.marker}
    assert f"INSERT INTO `db`.`{spec.table}` (" in plan.sql
    assert plan.sql.endswith("FORMAT Avro")


@given(st.lists(st.binary(max_size=40), max_size=30), st.binary(min_size=16, max_size=16))
def test_container_frames_any_bodies(bodies: list[bytes], sync: bytes) -> None:
    schema = {"type": "record", "name": "B", "fields": [{"name": "b", "type": "bytes"}]}
    encoded = [fastavro_bytes(b) for b in bodies]
    container = avro_container(schema, sync, b"".join(encoded), len(encoded))
    back: list[Any] = list(fastavro.reader(io.BytesIO(container)))
    assert [r["b"] for r in back] == bodies


def fastavro_bytes(value: bytes) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, {"type": "record", "name": "B", "fields": [
        {"name": "b", "type": "bytes"}]}, {"b": value})  # fmt: skip
    return out.getvalue()


def test_marker_bytes_are_distinct_so_no_shift_matches() -> None:
    for _ in range(50):
        marker = new_marker()
        assert len(marker) == len(set(marker)) == 16
        assert all(marker[k:] != marker[: 16 - k] for k in range(1, 16))


def test_header_scan() -> None:
    h7, h8 = wire_header(7), wire_header(8)
    assert scan_headers([h7 + b"a", h7 + b"bc"]) == 7
    assert scan_headers([wire_header(2**32 - 1) + b"a"]) == 2**32 - 1
    assert scan_headers([h7 + b"a", h8 + b"b"]) is FallbackReason.MIXED_SCHEMAS
    assert scan_headers([h7 + b"a", b"\x01" + h7[1:] + b"b"]) is FallbackReason.BAD_MAGIC
    assert scan_headers([b"\x01\x00\x00\x00\x07a"]) is FallbackReason.BAD_MAGIC
    assert scan_headers([h7 + b"a", b"\x00\x00"]) is FallbackReason.BAD_MAGIC
    assert scan_headers([b"\x00"]) is FallbackReason.BAD_MAGIC
    assert scan_headers([h7 + b"a", None]) is FallbackReason.TOMBSTONE
    assert scan_headers([None]) is FallbackReason.TOMBSTONE
    assert scan_headers([]) is FallbackReason.TOMBSTONE


def test_sql_checks_what_the_python_path_checks() -> None:
    sql = _plan().sql
    # timestamps in the DateTime64 range, canonical UUIDs, UTF-8, the end marker
    assert "`ts_event` BETWEEN -2208988800000000 AND 10413791999999999" in sql
    assert "fromUnixTimestamp64Micro(`ts_event`, 'UTC')" in sql
    assert "toString(toUUIDOrZero(`event_id`)) = lower(`event_id`)" in sql
    for name in ("symbol", "source", "bid_exchange_code", "instrument_type"):
        assert f"isValidUTF8(`{name}`)" in sql
    assert f"`{MARKER_FIELD}` = unhex('" in sql
    # Avro int into Int32 always fits: no check
    assert "`sequence` >=" not in sql


def _writer(**changes: Any) -> dict[str, Any]:
    schema = copy.deepcopy(QUOTE.schema())
    for name, new_type in changes.items():
        for f in schema["fields"]:
            if f["name"] == name:
                f["type"] = new_type
    return schema


@pytest.mark.parametrize(
    ("writer", "reason"),
    [
        ({**QUOTE.schema(), "name": "Trade"}, "record type"),
        (_writer(bid_price="float"), "fields differ"),
        (_writer(sequence=["null", "int"]), "not of a primitive type"),
        (
            {**QUOTE.schema(), "fields": [*QUOTE.schema()["fields"], {"name": "x", "type": "int"}]},
            "fields differ",
        ),
        (
            {**QUOTE.schema(), "fields": QUOTE.schema()["fields"][:-1]},
            "fields differ",
        ),
    ],
)
def test_unsafe_writer_schemas_keep_the_python_path(writer: dict[str, Any], reason: str) -> None:
    plan = plan_passthrough(_layout(), QUOTE.schema(), 3, writer, new_marker())
    assert isinstance(plan, NotPassthrough)
    assert reason in plan.reason


def test_writer_field_order_is_the_container_order() -> None:
    writer = copy.deepcopy(QUOTE.schema())
    writer["fields"].reverse()
    plan = _plan(writer=writer)
    assert [f["name"] for f in plan.schema["fields"]][:-1] == [f["name"] for f in writer["fields"]]


@pytest.mark.parametrize(
    ("column_type", "field", "fast"),
    [
        ("DateTime64(6, 'UTC')", "ts_event", True),
        ("DateTime64(3, 'UTC')", "ts_event", False),
        ("DateTime", "ts_event", False),
        ("Int16", "sequence", True),
        ("UInt64", "sequence", True),
        ("Nullable(Float64)", "bid_price", True),
        ("Float32", "bid_price", False),
        ("LowCardinality(Nullable(String))", "symbol", True),
        ("FixedString(4)", "symbol", False),
        ("Enum8('a' = 1)", "symbol", False),
    ],
)
def test_column_types_the_fast_path_converts(column_type: str, field: str, fast: bool) -> None:
    route = routes_for(None)[QUOTE.name]
    layout = TableLayout.build("db", "t", [Column(field, column_type)], route.fields)
    plan = plan_passthrough(layout, QUOTE.schema(), 1, QUOTE.schema(), new_marker())
    assert isinstance(plan, FastInsert) is fast


def test_narrow_integer_columns_get_range_checks() -> None:
    route = routes_for(None)[QUOTE.name]
    layout = TableLayout.build("db", "t", [Column("sequence", "Int16")], route.fields)
    plan = plan_passthrough(layout, QUOTE.schema(), 1, QUOTE.schema(), new_marker())
    assert isinstance(plan, FastInsert)
    assert "`sequence` >= -32768" in plan.sql
    assert "`sequence` <= 32767" in plan.sql
    layout = TableLayout.build("db", "t", [Column("sequence", "UInt64")], route.fields)
    plan = plan_passthrough(layout, QUOTE.schema(), 1, QUOTE.schema(), new_marker())
    assert isinstance(plan, FastInsert)
    assert "`sequence` >= 0" in plan.sql
    assert "`sequence` <=" not in plan.sql


class _DatabaseError(Exception):
    pass


@pytest.mark.parametrize(
    ("message", "retriable"),
    [
        ("Code: 395. DB::Exception: a record fails the fast-path checks", False),
        ("Code: 748. DB::Exception: avro::Exception: EOF reached. (AVRO_EXCEPTION)", False),
        ("Code: 117. DB::Exception: INCORRECT_DATA", False),
        ("Code: 376. DB::Exception: Cannot parse uuid", False),
        ("Code: 47. DB::Exception: Unknown identifier", False),
        ("Code: 4242. DB::Exception: something new", False),
        ("Code: 252. DB::Exception: Too many parts", True),
        ("Code: 159. DB::Exception: Timeout exceeded", True),
        ("Code: 241. DB::Exception: Memory limit exceeded", True),
        ("HTTPConnectionPool: Max retries exceeded (Connection refused)", True),
    ],
)
def test_error_classification(message: str, retriable: bool) -> None:
    error = classify_passthrough_error(_DatabaseError(message), "fast insert db.quotes")
    assert error.retriable is retriable
    assert isinstance(error, ClickHouseUnavailable if retriable else PassthroughRejected)
    assert "fast insert db.quotes" in str(error)
