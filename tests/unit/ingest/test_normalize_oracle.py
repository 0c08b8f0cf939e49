"""The compiled-plan ``normalize`` gives exactly the records the original one gave."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.tastytrade import events as ev
from ingest.normalize import SymbolInfo, normalize
from schemas.errors import SchemaContractError
from schemas.topics import MARKET_TOPICS
from tests.unit.ingest.reference_normalize import reference_normalize
from tests.unit.ingest.test_normalize import events_of

_INFO = st.one_of(
    st.none(),
    st.builds(SymbolInfo, st.sampled_from(["SPY", "/ESZ25"]), st.sampled_from(["Equity", "Index"])),
)
#: What a COMPACT frame can put in any position: the decoder does not enforce field types.
_WIRE_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
)


def _identical(a: Any, b: Any) -> bool:
    """Same value and same type (NaN equals NaN, -0.0 differs from 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    return bool(a == b)


def _check(event: Any, info: SymbolInfo | None, ts_ingest_us: int) -> None:
    try:
        expected = reference_normalize(event, info=info, ts_ingest_us=ts_ingest_us, source="s")
    except (SchemaContractError, ValueError, TypeError, OverflowError) as exc:
        with pytest.raises(type(exc)):
            normalize(event, info=info, ts_ingest_us=ts_ingest_us, source="s")
        return
    got = normalize(event, info=info, ts_ingest_us=ts_ingest_us, source="s")
    assert got.spec is expected.spec
    assert got.key == expected.key
    assert list(got.record) == list(expected.record)
    for name, value in expected.record.items():
        assert _identical(got.record[name], value), (name, got.record[name], value)


@pytest.mark.parametrize("event_type", sorted(MARKET_TOPICS))
def test_fast_normalize_equals_the_reference_on_typed_events(event_type: str) -> None:
    @settings(max_examples=120, deadline=None)
    @given(
        event=events_of(event_type),
        info=_INFO,
        ts=st.integers(0, 4_102_444_800_000_000),
    )
    def check(event: Any, info: SymbolInfo | None, ts: int) -> None:
        _check(event, info, ts)

    check()


@pytest.mark.parametrize("event_type", sorted(MARKET_TOPICS))
def test_fast_normalize_equals_the_reference_on_loosely_typed_wire_values(
    event_type: str,
) -> None:
    cls = getattr(ev, event_type)
    symbols = (
        ["SPY{=1m}", "AAPL{=5m,tho=true}", "SPY{=5x}"] if event_type == "Candle" else ["SPY", "X"]
    )

    @settings(max_examples=120, deadline=None)
    @given(
        symbol=st.sampled_from(symbols),
        values=st.lists(_WIRE_VALUE, min_size=len(cls._fields) - 1, max_size=len(cls._fields) - 1),
        info=_INFO,
    )
    def check(symbol: str, values: list[Any], info: SymbolInfo | None) -> None:
        _check(cls(symbol, *values), info, 1_764_000_000_000_000)

    check()


def test_an_event_type_without_topic_is_rejected() -> None:
    with pytest.raises(SchemaContractError):
        normalize(("SPY", 1), info=None, ts_ingest_us=1, source="s")  # type: ignore[arg-type]
