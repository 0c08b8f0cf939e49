"""The fast event id is bit-identical to the original implementation (the oracle)."""

from __future__ import annotations

import enum
import math
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.errors import SchemaContractError
from schemas.identity import IDENTITY_FIELDS, canonical, event_id, event_id_for
from schemas.topics import MARKET_TOPICS
from tests.unit.schemas.avro_strategies import records
from tests.unit.schemas.reference_identity import (
    reference_canonical,
    reference_event_id,
    reference_event_id_for,
)


class _Side(enum.IntEnum):
    BUY = 1
    SELL = -2


class _Price(float):
    pass


class _Code(str):
    pass


def _nan_with_payload(payload: int, negative: bool) -> float:
    bits = (0xFFF8 if negative else 0x7FF8) << 48 | payload
    value: float = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return value


_SYMBOLS = st.one_of(
    st.text(max_size=24), st.sampled_from(["SPY", "/ESZ25:XCME", "SPY{=1m}", ".SPY250117C500"])
)
_PARTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, math.inf, -math.inf, 5e-324, -5e-324, 1.7976931348623157e308]),
    st.builds(_nan_with_payload, st.integers(0, 2**51 - 1), st.booleans()),
    st.text(max_size=16),
    st.binary(max_size=8),
    st.sampled_from(list(_Side)),
    st.floats(allow_nan=True).map(_Price),
    st.text(max_size=6).map(_Code),
)


@pytest.mark.parametrize("event_type", sorted(MARKET_TOPICS))
def test_event_id_for_equals_the_reference_on_random_records(event_type: str) -> None:
    @settings(max_examples=150, deadline=None)
    @given(record=records(MARKET_TOPICS[event_type].schema()), symbol=_SYMBOLS)
    def check(record: dict[str, Any], symbol: str) -> None:
        record["streamer_symbol"] = symbol
        assert event_id_for(event_type, record) == reference_event_id_for(event_type, record)

    check()


@settings(max_examples=400, deadline=None)
@given(event_type=st.text(max_size=12), symbol=_SYMBOLS, parts=st.lists(_PARTS, max_size=12))
def test_event_id_equals_the_reference_on_random_parts(
    event_type: str, symbol: str, parts: list[object]
) -> None:
    assert event_id(event_type, symbol, parts) == reference_event_id(event_type, symbol, parts)
    assert event_id(event_type, symbol, iter(parts)) == reference_event_id(
        event_type, symbol, parts
    )
    for part in parts:
        assert canonical(part) == reference_canonical(part)


@given(record=records(MARKET_TOPICS["Quote"].schema()))
def test_a_non_string_streamer_symbol_is_stringified_like_the_reference(
    record: dict[str, Any],
) -> None:
    record["streamer_symbol"] = 12345
    assert event_id_for("Quote", record) == reference_event_id_for("Quote", record)


def test_every_identity_field_is_in_its_schema() -> None:
    for event_type, names in IDENTITY_FIELDS.items():
        fields = {f["name"] for f in MARKET_TOPICS[event_type].schema()["fields"]}
        assert set(names) <= fields, event_type


def test_unsupported_parts_and_types_fail_like_the_reference() -> None:
    with pytest.raises(TypeError):
        reference_event_id("Quote", "SPY", [1.5, object()])
    with pytest.raises(TypeError):
        event_id("Quote", "SPY", [1.5, object()])
    with pytest.raises(TypeError):
        canonical([1])
    with pytest.raises(SchemaContractError):
        event_id_for("NoSuchEvent", {"streamer_symbol": "SPY"})
