from __future__ import annotations

import math
import time
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.candle_symbol import parse_candle_symbol
from schemas.envelope import (
    IDENTITY_FIELDS,
    event_id,
    event_id_for,
    micros_from_millis,
    ts_ingest,
)
from schemas.errors import SchemaContractError

_PART = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=10),
    st.binary(max_size=10),
)


def _quote(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "event_id": "",
        "ts_event": 1_700_000_000_000_000,
        "ts_ingest": 1_700_000_000_100_000,
        "source": "dxlink:sandbox",
        "symbol": "SPY",
        "streamer_symbol": "SPY",
        "instrument_type": "Equity",
        "sequence": 0,
        "time_nano_part": 0,
        "bid_time": 1_700_000_000_000_000,
        "bid_exchange_code": "Q",
        "bid_price": 601.2,
        "bid_size": 300.0,
        "ask_time": 1_700_000_000_000_000,
        "ask_exchange_code": "Q",
        "ask_price": 601.21,
        "ask_size": math.nan,
    }
    record.update(changes)
    return record


def test_event_id_is_a_uuid5_and_stable() -> None:
    first = event_id("Quote", "SPY", [1, 2.5, "Q", math.nan])
    assert uuid.UUID(first).version == 5
    assert event_id("Quote", "SPY", [1, 2.5, "Q", float("nan")]) == first
    # pinned: the id of a replayed event must never change across releases
    assert event_id("Trade", "AAPL", [1, 2.0, "Q"]) == event_id("Trade", "AAPL", (1, 2.0, "Q"))


def test_event_id_is_pinned() -> None:
    assert event_id("Quote", "SPY", [0, 601.2, "Q"]) == str(
        uuid.uuid5(
            uuid.UUID("6f1c1c2e-6d0b-5b8e-9a57-7a5f0d3c2b11"),
            f"s5:Quote|s3:SPY|i0|f{(601.2).hex()}|s1:Q",
        )
    )


@given(st.lists(_PART, max_size=6), st.lists(_PART, max_size=6))
def test_event_id_separates_different_parts(a: list[object], b: list[object]) -> None:
    def key(parts: list[object]) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = []
        for p in parts:
            if isinstance(p, float) and math.isnan(p):
                out.append(("nan", None))
            else:
                out.append((type(p).__name__, p))
        return out

    same_parts = key(a) == key(b)  # 0.0 == -0.0 in key(), as in event_id
    assert (event_id("X", "S", a) == event_id("X", "S", b)) == same_parts


def test_event_id_depends_on_type_and_symbol() -> None:
    ids = {
        event_id("Quote", "SPY", [1]),
        event_id("Trade", "SPY", [1]),
        event_id("Quote", "QQQ", [1]),
        event_id("Quote", "SP", ["Y", 1]),
    }
    assert len(ids) == 4
    assert event_id("Q", "S", [0.0]) == event_id("Q", "S", [-0.0])


def test_event_id_for_uses_source_fields_only() -> None:
    base = event_id_for("Quote", _quote())
    # replay: new ingest time, other source label, same source event
    assert event_id_for("Quote", _quote(ts_ingest=1, source="dxlink:tastytrade")) == base
    assert event_id_for("Quote", _quote(ask_price=601.22)) != base
    assert event_id_for("Quote", _quote(streamer_symbol="QQQ")) != base
    with pytest.raises(SchemaContractError):
        event_id_for("Nope", _quote())


def test_every_identity_has_sequence_or_content() -> None:
    for names in IDENTITY_FIELDS.values():
        assert len(names) >= 10


def test_event_id_rejects_unhashable_parts() -> None:
    with pytest.raises(TypeError):
        event_id("Quote", "SPY", [object()])


def test_time_helpers() -> None:
    assert micros_from_millis(1_735_689_600_000) == 1_735_689_600_000_000
    assert micros_from_millis(math.nan) == 0
    assert ts_ingest(lambda: 1_735_689_600_123_456_789) == 1_735_689_600_123_456
    assert abs(ts_ingest() - int(time.time() * 1_000_000)) < 5_000_000


@pytest.mark.parametrize(
    ("symbol", "base", "period", "tho"),
    [
        ("SPY{=5m}", "SPY", "5m", False),
        ("AAPL{=1d,tho=true}", "AAPL", "1d", True),
        ("/ESZ24:XCME{=15m}", "/ESZ24:XCME", "15m", False),
        ("BTC/USD:CXTALP{=h}", "BTC/USD:CXTALP", "1h", False),
        ("SPY{=2mo}", "SPY", "2mo", False),
        ("SPY{=1.50h}", "SPY", "1.5h", False),
        ("SPY", "SPY", "1t", False),
    ],
)
def test_parse_candle_symbol(symbol: str, base: str, period: str, tho: bool) -> None:
    parsed = parse_candle_symbol(symbol)
    assert (parsed.base, parsed.period, parsed.trading_hours_only) == (base, period, tho)
    assert parsed.streamer_symbol == symbol


@pytest.mark.parametrize("symbol", ["SPY{=5x}", "SPY{=5m", "{=5m}", "SPY{tho}"])
def test_parse_candle_symbol_rejects_garbage(symbol: str) -> None:
    with pytest.raises(SchemaContractError):
        parse_candle_symbol(symbol)
