"""The compiled event id (one f-string for parts of known exact types) is the original id."""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.identity import compile_event_id
from tests.unit.schemas.reference_identity import reference_event_id


def _nan_with_payload(payload: int, negative: bool) -> float:
    bits = (0xFFF8 if negative else 0x7FF8) << 48 | payload
    value: float = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return value


_BY_KIND: dict[type, st.SearchStrategy[Any]] = {
    float: st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308]),
        st.builds(_nan_with_payload, st.integers(0, 2**51 - 1), st.booleans()),
    ),
    int: st.one_of(st.integers(), st.integers(-(2**200), 2**200)),
    str: st.one_of(
        st.text(max_size=16), st.sampled_from(["", "{x}", '"', "a|b", "s1:x", "\\n", "é日"])
    ),
    bool: st.booleans(),
}


@st.composite
def _typed_parts(draw: st.DrawFn) -> tuple[tuple[type, ...], list[Any]]:
    kinds = tuple(draw(st.lists(st.sampled_from(list(_BY_KIND)), min_size=1, max_size=14)))
    return kinds, [draw(_BY_KIND[kind]) for kind in kinds]


@settings(max_examples=400, deadline=None)
@given(
    event_type=st.one_of(st.sampled_from(["Quote", "Greeks"]), st.text(max_size=10)),
    symbol=st.one_of(st.text(max_size=20), st.sampled_from(["SPY", "SPY{=1m}", "/ESZ25:XCME"])),
    typed=_typed_parts(),
)
def test_compiled_event_id_equals_the_reference(
    event_type: str, symbol: str, typed: tuple[tuple[type, ...], list[Any]]
) -> None:
    kinds, parts = typed
    compiled = compile_event_id(event_type, kinds)
    assert compiled(symbol, *parts) == reference_event_id(event_type, symbol, parts)


def test_a_part_kind_without_a_compiled_encoding_is_refused() -> None:
    with pytest.raises(TypeError):
        compile_event_id("Quote", (int, bytes))
