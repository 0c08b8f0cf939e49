"""Dead letters: built with coordinates, bytes and reason; decodable with dead_letter.avsc."""

from __future__ import annotations

import hashlib

from schemas import (
    DLQ_SCHEMA_FILE,
    MARKET_TOPICS,
    AvroCodec,
    BadMagicByte,
    load_schema,
    wire_header,
)
from sinks import PartitionBatch, TableMismatch, dead_letter_record
from sinks.columns import TableLayout
from sinks.errors import (
    AccessRefused,
    ClickHouseUnavailable,
    RowsRejected,
    classify_clickhouse_error,
)
from sinks.prepare import prepare_batch, reject_violations
from sinks.routes import routes_for
from tests.unit.sinks.raw import Raw
from tests.unit.sinks.records import ddl_columns, records

TOPIC = MARKET_TOPICS["Quote"].name


def test_dead_letter_keeps_everything_and_encodes() -> None:
    raw = Raw(TOPIC, 4, 1234, b"\x07junk", b"SPY", 1_700_000_000_000)
    letter = dead_letter_record(raw, BadMagicByte("magic byte 7 is not 0"), consumer="g", now_us=42)
    assert letter.dlq == f"{TOPIC}.dlq"
    assert letter.key == b"SPY"
    assert letter.error_class == "BadMagicByte"
    assert letter.record == {
        "topic": TOPIC,
        "partition": 4,
        "offset": 1234,
        "key": b"SPY",
        "value": b"\x07junk",
        "reason": "magic byte 7 is not 0",
        "error_class": "BadMagicByte",
        "ts": 42,
        "ts_original": 1_700_000_000_000_000,
        "consumer": "g",
        "truncated": False,
        "value_size": 5,
        "value_sha256": hashlib.sha256(b"\x07junk").hexdigest(),
    }
    codec = AvroCodec()
    codec.add(9, load_schema(DLQ_SCHEMA_FILE))
    assert codec.decode(codec.encode(9, letter.record)).record == letter.record


def test_tombstones_and_missing_keys_are_kept_as_null() -> None:
    raw = Raw(TOPIC, 0, 1, None, None, -1)
    letter = dead_letter_record(raw, BadMagicByte("tombstone"), consumer="g", now_us=1)
    assert (letter.record["key"], letter.record["value"], letter.record["ts_original"]) == (
        None,
        None,
        0,
    )


def _layout() -> TableLayout:
    route = routes_for(None)[TOPIC]
    return TableLayout.build("db", "quotes", ddl_columns(route.spec), route.fields)


def test_prepare_splits_good_rows_from_dead_letters_deterministically() -> None:
    route = routes_for(None)[TOPIC]
    codec = AvroCodec(readers=[route.spec.schema()])
    codec.add(1, route.spec.schema())
    codec.add(2, MARKET_TOPICS["Trade"].schema())
    good = records("Quote", 5)
    values = codec.encode_many(1, good)
    raws = [
        Raw(TOPIC, 0, 0, values[0]),
        Raw(TOPIC, 0, 1, b"\x01bad"),
        Raw(TOPIC, 0, 2, values[1]),
        Raw(TOPIC, 0, 3, wire_header(77) + b"\x00"),
        Raw(TOPIC, 0, 4, values[2][:-3]),
        Raw(TOPIC, 0, 5, codec.encode(2, records("Trade", 1)[0])),
        Raw(TOPIC, 0, 6, codec.encode(1, {**good[3], "event_id": "zzz"})),
        Raw(TOPIC, 0, 7, values[4]),
    ]
    batch = PartitionBatch(TOPIC, 0, 0.0, raws)
    layout = _layout()
    prepared = prepare_batch(batch, route, layout, codec, "g")
    # a malformed UUID is not checked column-wise: ClickHouse (or the serializer) rejects it
    assert prepared.rows == 4
    assert [(lt.record["offset"], lt.error_class) for lt in prepared.letters] == [
        (1, "BadMagicByte"),
        (3, "UnknownSchemaId"),
        (4, "UndecodableRecord"),
        (5, "WrongRecordType"),
    ]
    prepared.mark_published()
    retry = reject_violations(prepared, route, layout, codec, "g")
    assert retry is not None
    assert retry.rows == 3
    assert retry.columns[0] == [good[0]["event_id"], good[1]["event_id"], good[4]["event_id"]]
    assert [(lt.record["offset"], lt.error_class) for lt in retry.unpublished()] == [
        (6, "RecordViolatesTable")
    ]
    assert "event_id" in retry.unpublished()[0].record["reason"]
    again = prepare_batch(batch, route, layout, codec, "g")
    assert again.columns == prepared.columns
    assert [lt.record["offset"] for lt in again.letters] == [1, 3, 4, 5]
    # nothing new explains a second rejection: the table is at fault, not the data
    retry.mark_published()
    assert reject_violations(retry, route, layout, codec, "g") is None


def test_clickhouse_errors_are_classified() -> None:
    unavailable = classify_clickhouse_error(ConnectionRefusedError("refused"), "insert")
    assert isinstance(unavailable, ClickHouseUnavailable)
    assert unavailable.retriable
    rejected = classify_clickhouse_error(
        Exception("Code: 53. DB::Exception: Type mismatch"), "insert"
    )
    assert isinstance(rejected, RowsRejected)
    assert not rejected.retriable
    assert isinstance(classify_clickhouse_error(ValueError("bad uuid"), "insert"), RowsRejected)
    missing = classify_clickhouse_error(
        Exception("Code: 60. DB::Exception: Unknown table"), "insert"
    )
    assert isinstance(missing, TableMismatch)
    busy = classify_clickhouse_error(Exception("Code: 252. Too many parts"), "insert")
    assert isinstance(busy, ClickHouseUnavailable)
    refused = classify_clickhouse_error(
        Exception("Code: 516. DB::Exception: default: Authentication failed"), "connect"
    )
    assert isinstance(refused, AccessRefused)
    assert not refused.retriable
    denied = classify_clickhouse_error(Exception("Code: 497. ACCESS_DENIED"), "insert")
    assert isinstance(denied, AccessRefused)
