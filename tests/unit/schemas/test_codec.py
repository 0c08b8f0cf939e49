from __future__ import annotations

import datetime as dt
import math
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.catalog import load_schema, schema_files
from schemas.codec import AvroCodec, Decoded, schema_id_of, wire_header
from schemas.errors import (
    BadMagicByte,
    SchemaContractError,
    UndecodableRecord,
    UnencodableRecord,
    UnknownSchemaId,
)
from tests.unit.schemas.avro_strategies import records, same

FILES = schema_files()


def _codec(**kwargs: Any) -> AvroCodec:
    codec = AvroCodec(**kwargs)
    for i, name in enumerate(FILES, start=1):
        codec.add(i, load_schema(name))
    return codec


CODEC = _codec()


@pytest.mark.parametrize(("schema_id", "file_name"), list(enumerate(FILES, start=1)))
def test_round_trip_every_schema(schema_id: int, file_name: str) -> None:
    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(records(load_schema(file_name)))
    def check(record: dict[str, Any]) -> None:
        value = CODEC.encode(schema_id, record)
        assert value[:5] == b"\x00" + struct.pack(">I", schema_id)
        decoded = CODEC.decode(value)
        assert decoded.schema_id == schema_id
        assert same(decoded.record, record)

    check()


@given(st.lists(records(load_schema("quote.avsc")), max_size=8))
@settings(deadline=None)
def test_batch_round_trip(batch: list[dict[str, Any]]) -> None:
    sid = FILES.index("quote.avsc") + 1
    values = CODEC.encode_many(sid, batch)
    assert values == [CODEC.encode(sid, r) for r in batch]
    decoded = CODEC.decode_many(values)
    assert all(
        isinstance(d, Decoded) and same(d.record, r) for d, r in zip(decoded, batch, strict=True)
    )


def _quote() -> dict[str, Any]:
    record: dict[str, Any] = {}
    for f in load_schema("quote.avsc")["fields"]:
        record[f["name"]] = {"string": "x", "double": 1.5, "int": 3}.get(
            f["type"] if isinstance(f["type"], str) else "", 1_700_000_000_000_000
        )
    record["bid_price"] = math.nan
    record["ask_size"] = math.inf
    return record


QUOTE_ID = FILES.index("quote.avsc") + 1


def test_nan_and_infinity_survive() -> None:
    record = CODEC.decode(CODEC.encode(QUOTE_ID, _quote())).record
    assert math.isnan(record["bid_price"])
    assert record["ask_size"] == math.inf
    assert record["ts_event"] == 1_700_000_000_000_000


def test_logical_types_option_gives_datetimes() -> None:
    codec = _codec(logical_types=True)
    record = codec.decode(CODEC.encode(QUOTE_ID, _quote())).record
    assert record["ts_event"] == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "value", [None, b"", b"\x00\x00\x00", b"\x01\x00\x00\x00\x01abc", bytearray(b"\xff" * 9)]
)
def test_bad_magic(value: bytes | None) -> None:
    with pytest.raises(BadMagicByte):
        CODEC.decode(value)


def test_unknown_schema_id() -> None:
    with pytest.raises(UnknownSchemaId) as info:
        CODEC.decode(wire_header(999) + b"\x00")
    assert info.value.schema_id == 999
    assert CODEC.unknown_ids([wire_header(999), wire_header(1), b"zz", None]) == {999}


def test_truncated_and_trailing_bytes_are_undecodable() -> None:
    value = CODEC.encode(QUOTE_ID, _quote())
    with pytest.raises(UndecodableRecord) as info:
        CODEC.decode(value[:-3])
    assert info.value.schema_id == QUOTE_ID
    with pytest.raises(UndecodableRecord, match="trailing"):
        CODEC.decode(value + b"\x00")


@given(st.binary(max_size=80))
def test_garbage_bodies_fail_typed_or_decode(body: bytes) -> None:
    try:
        decoded = CODEC.decode(wire_header(QUOTE_ID) + body)
    except UndecodableRecord:
        return
    assert decoded.schema_id == QUOTE_ID


def test_decode_many_reports_failures_in_place() -> None:
    good = CODEC.encode(QUOTE_ID, _quote())
    out = CODEC.decode_many([good, b"\x07junk", wire_header(4242), good[:-1]])
    assert isinstance(out[0], Decoded)
    assert [type(o).__name__ for o in out[1:]] == [
        "BadMagicByte",
        "UnknownSchemaId",
        "UndecodableRecord",
    ]


def test_encode_errors_are_typed() -> None:
    record = _quote()
    del record["ask_size"]
    with pytest.raises(UnencodableRecord):
        CODEC.encode(QUOTE_ID, record)
    with pytest.raises(UnencodableRecord):
        CODEC.encode(QUOTE_ID, {**_quote(), "sequence": "abc"})
    with pytest.raises(UnknownSchemaId):
        CODEC.encode(12345, _quote())


def test_validate_catches_what_the_writer_lets_through() -> None:
    strict = _codec(validate=True)
    with pytest.raises(UnencodableRecord):
        strict.encode(QUOTE_ID, {**_quote(), "bid_exchange_code": 5})
    assert strict.decode(strict.encode(QUOTE_ID, _quote())).record["sequence"] == 3


def test_reader_schema_resolves_older_writers() -> None:
    old = load_schema("quote.avsc")
    new = load_schema("quote.avsc")
    new["fields"].append({"name": "venue", "type": "string", "default": "?", "doc": "d"})
    codec = AvroCodec(readers=[new])
    codec.add(1, old)
    writer = AvroCodec()
    writer.add(1, old)
    record = codec.decode(writer.encode(1, _quote())).record
    assert record["venue"] == "?"
    assert record["bid_exchange_code"] == "x"


def test_schema_lookup_and_idempotent_add() -> None:
    codec = AvroCodec()
    codec.add(7, '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}')
    codec.add(7, {"type": "record", "name": "Other", "fields": []})
    assert codec.knows(7)
    assert codec.schema(7)["name"] == "R"
    assert schema_id_of(codec.encode(7, {"a": 1})) == 7
    with pytest.raises(UnknownSchemaId):
        codec.schema(8)
    with pytest.raises(SchemaContractError):
        codec.add(9, {"type": "record", "name": "Bad", "fields": [{"name": "a", "type": "nope"}]})
