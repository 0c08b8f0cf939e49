"""The generated encoders write exactly the bytes of ``fastavro.schemaless_writer``."""

from __future__ import annotations

import enum
import io
import math
import struct
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.avro_writer import compile_record_encoder, encode_long
from schemas.codec import AvroCodec, _strip_logical, wire_header
from schemas.errors import UnencodableRecord
from schemas.topics import MARKET_TOPICS

MARKET = sorted(MARKET_TOPICS)


class _Side(enum.IntEnum):
    BUY = 1
    SELL = -7000


class _Code(str):
    pass


def _nan_with_payload(payload: int, negative: bool) -> float:
    bits = (0xFFF0 if negative else 0x7FF0) << 48 | payload
    value: float = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return value


_LONGS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-200, 200),
    st.integers(0, 4_102_444_800_000_000),
    st.sampled_from([0, -1, 63, 64, -64, -65, 2**55 - 1, 2**55, -(2**55), 2**63 - 1, -(2**63)]),
)
_DOUBLES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308, -1e300]),
    st.builds(_nan_with_payload, st.integers(1, 2**51 - 1), st.booleans()),
)
_STRINGS = st.one_of(
    st.text(max_size=40),
    st.text(min_size=30, max_size=300),
    st.sampled_from(["", "SPY", "/ESZ25:XCME", "é", "日本", "\U0001f600", "x" * 5000]),
)
_PLAIN = {
    "boolean": st.booleans(),
    "int": _LONGS,
    "long": _LONGS,
    "double": _DOUBLES,
    "string": _STRINGS,
}
#: Values of the wrong type (fastavro coerces some, rejects others) and oddly typed right ones.
_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.sampled_from(["1.5", "nan", "12", "\ud800", b"ab", _Side.BUY, _Side.SELL, _Code("Q")]),
)


def _type(field: dict[str, Any]) -> str:
    avro_type = field["type"]
    return str(avro_type["type"] if isinstance(avro_type, dict) else avro_type)


def _schema(event_type: str) -> Any:
    return fastavro.parse_schema(_strip_logical(MARKET_TOPICS[event_type].schema()))


def _fastavro(schema: Any, record: dict[str, Any]) -> bytes | type[Exception]:
    buf = io.BytesIO()
    try:
        fastavro.schemaless_writer(buf, schema, record)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        return type(exc)
    return buf.getvalue()


@pytest.mark.parametrize("event_type", MARKET)
def test_generated_bytes_equal_fastavro_on_typed_records(event_type: str) -> None:
    schema = _schema(event_type)
    encode = compile_record_encoder(schema)
    with_header = compile_record_encoder(schema, b"HDR")
    assert encode is not None
    assert with_header is not None
    fields = {f["name"]: _PLAIN[_type(f)] for f in schema["fields"]}

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=st.fixed_dictionaries(fields))
    def check(record: dict[str, Any]) -> None:
        expected = _fastavro(schema, record)
        assert isinstance(expected, bytes)
        assert encode(record) == expected
        assert with_header(record) == b"HDR" + expected  # and again, from the caches

    check()


@pytest.mark.parametrize("event_type", MARKET)
def test_codec_encode_equals_fastavro_on_oddly_typed_records(event_type: str) -> None:
    """Whatever the values, ``AvroCodec.encode`` gives fastavro's bytes, or fails where it fails."""
    schema = _schema(event_type)
    codec = AvroCodec()
    codec.add(7, MARKET_TOPICS[event_type].schema())
    plain = {f["name"]: _PLAIN[_type(f)] for f in schema["fields"]}
    fields = {name: st.one_of(strategy, _ODD) for name, strategy in plain.items()}

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=st.fixed_dictionaries(fields), drop=st.sampled_from([None, *plain]))
    def check(record: dict[str, Any], drop: str | None) -> None:
        if drop is not None:
            del record[drop]
        expected = _fastavro(schema, record)
        if isinstance(expected, bytes):
            assert codec.encode(7, record) == wire_header(7) + expected
        else:
            with pytest.raises(UnencodableRecord):
                codec.encode(7, record)

    check()


@given(st.integers(-(2**63), 2**63 - 1))
def test_encode_long_equals_the_plain_zigzag_varint(n: int) -> None:
    z = (n << 1) ^ (n >> 63)
    expected = bytearray()
    while z > 0x7F:
        expected.append((z & 0x7F) | 0x80)
        z >>= 7
    expected.append(z)
    assert encode_long(n) == bytes(expected)
    assert encode_long(n) == bytes(expected)  # cached


@pytest.mark.parametrize("n", [2**63, -(2**63) - 1, 2**100])
def test_encode_long_rejects_what_is_not_an_avro_long(n: int) -> None:
    with pytest.raises(OverflowError):
        encode_long(n)


def test_schemas_that_are_not_plain_get_no_generated_encoder() -> None:
    union = {
        "type": "record",
        "name": "U",
        "fields": [{"name": "a", "type": ["null", "bytes"]}],
    }
    logical = {
        "type": "record",
        "name": "L",
        "fields": [{"name": "a", "type": {"type": "long", "logicalType": "timestamp-micros"}}],
    }
    assert compile_record_encoder(fastavro.parse_schema(union)) is None
    assert compile_record_encoder(fastavro.parse_schema(logical)) is None
    assert compile_record_encoder("string") is None
    assert compile_record_encoder(_schema("Quote")) is not None
