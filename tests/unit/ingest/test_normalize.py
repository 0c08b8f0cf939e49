"""Normalization is pure and total: every event of every type becomes a record that encodes."""

from __future__ import annotations

import io
import math
import typing
from typing import Any

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.tastytrade import events as ev
from ingest.normalize import SOURCES, SymbolInfo, normalize
from schemas.topics import MARKET_TOPICS

EVENT_TYPES = sorted(MARKET_TOPICS)
DOUBLES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1.37e7]),
)
TIMES = st.integers(min_value=-1, max_value=4_102_444_800_000)
LAST_READABLE_DAY = 2_932_896  # 9999-12-31, the last day a timestamp-micros reader can decode


def _strategy(tp: Any, name: str) -> st.SearchStrategy[Any]:
    args = typing.get_args(tp)
    if args and type(None) in args:
        inner = next(a for a in args if a is not type(None))
        return st.one_of(st.none(), _strategy(inner, name))
    if tp is str:
        return st.text(max_size=12)
    if tp is bool:
        return st.booleans()
    if tp is int:
        if name == "day_id":  # a Summary's ts_event is its day: keep it a readable datetime
            return st.integers(min_value=-(2**31), max_value=LAST_READABLE_DAY)
        return TIMES if "time" in name else st.integers(min_value=-(2**31), max_value=2**31 - 1)
    if tp is float:
        return DOUBLES
    raise AssertionError(f"no strategy for {tp!r} ({name})")


def events_of(event_type: str) -> st.SearchStrategy[Any]:
    cls = getattr(ev, event_type)
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {
        name: _strategy(hints[name], name) for name in cls._fields
    }
    if event_type == "Candle":
        fields["event_symbol"] = st.sampled_from(
            ["SPY{=1m}", "AAPL{=5m,tho=true}", "/ESZ25:XCME{=1d}"]
        )
    else:
        fields["event_symbol"] = st.sampled_from(["SPY", ".SPY250117C500", "BTC/USD:CXTALP"])
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


def _roundtrip(schema: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    parsed = fastavro.parse_schema(schema)
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed, record)
    buf.seek(0)
    out = fastavro.schemaless_reader(buf, parsed, parsed)
    assert isinstance(out, dict)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if hasattr(b, "timestamp") and isinstance(a, int):
        return True  # logical timestamps come back as datetimes
    return bool(a == b)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_type_normalizes_to_an_encodable_record(event_type: str) -> None:
    @settings(max_examples=60, deadline=None)
    @given(event=events_of(event_type))
    def check(event: Any) -> None:
        info = SymbolInfo(symbol="SPY", instrument_type="Equity")
        out = normalize(event, info=info, ts_ingest_us=1_700_000_000_000_000, source="dxlink:test")
        spec = MARKET_TOPICS[event_type]
        assert out.spec is spec
        assert out.key == event.event_symbol.encode()
        schema = spec.schema()
        assert list(out.record) == [f["name"] for f in schema["fields"]]
        decoded = _roundtrip(schema, out.record)
        assert all(_same(out.record[k], decoded[k]) for k in out.record)
        again = normalize(
            event, info=info, ts_ingest_us=1_800_000_000_000_000, source="dxlink:test"
        )
        assert again.record["event_id"] == out.record["event_id"]  # ingest time is not identity

    check()


def test_changing_an_identity_field_changes_the_event_id() -> None:
    quote = ev.Quote(
        "SPY", 1, 5, 0, 1_700_000_000_000, "Q", 601.2, 300.0, 1_700_000_000_000, "Q", 601.21, 200.0
    )
    a = normalize(quote, info=None, ts_ingest_us=1, source="s")
    b = normalize(quote._replace(ask_price=601.22), info=None, ts_ingest_us=1, source="s")
    assert a.record["event_id"] != b.record["event_id"]
    assert a.record["symbol"] == "SPY"
    assert a.record["instrument_type"] == "Unknown"
    assert a.record["ts_event"] == 1_700_000_000_000_000
    assert a.record["bid_time"] == 1_700_000_000_000_000


def test_candle_period_and_hours_come_from_the_symbol() -> None:
    fields: dict[str, Any] = dict.fromkeys(ev.Candle._fields, 0)
    fields.update(
        event_symbol="AAPL{=5m,tho=true}",
        open=1.0,
        high=2.0,
        low=0.5,
        close=1.5,
        time=1_700_000_000_000,
    )
    candle = ev.Candle(**fields)
    out = normalize(candle, info=SymbolInfo("AAPL", "Equity"), ts_ingest_us=9, source="s")
    assert out.record["period"] == "5m"
    assert out.record["trading_hours_only"] is True
    assert out.record["symbol"] == "AAPL"
    assert out.record["ts_event"] == 1_700_000_000_000_000


def test_missing_values_are_coerced_not_fatal() -> None:
    fields: dict[str, Any] = dict.fromkeys(ev.Trade._fields)
    fields["event_symbol"] = "SPY"
    out = normalize(ev.Trade(**fields), info=None, ts_ingest_us=42, source="s")
    assert math.isnan(out.record["price"])
    assert out.record["time"] == 0
    assert out.record["exchange_code"] == ""
    assert out.record["ts_event"] == 42  # no source time: falls back to ingest time


def test_snapshot_events_without_time_keep_one_ts_when_resent() -> None:
    fields: dict[str, Any] = dict.fromkeys(ev.Summary._fields)
    fields.update(event_symbol="SPY", event_time=0, day_id=20_417, day_open_price=600.0)
    summary = ev.Summary(**fields)
    first = normalize(summary, info=None, ts_ingest_us=1_764_000_000_000_000, source="s")
    resent = normalize(summary, info=None, ts_ingest_us=1_764_000_900_000_000, source="s")
    assert first.record["ts_event"] == resent.record["ts_event"] == 20_417 * 86_400_000_000
    profile_fields: dict[str, Any] = dict.fromkeys(ev.Profile._fields)
    profile_fields.update(event_symbol="SPY", event_time=0, description="SPDR")
    profile = ev.Profile(**profile_fields)
    a = normalize(profile, info=None, ts_ingest_us=1_764_000_000_000_000, source="s")
    b = normalize(profile, info=None, ts_ingest_us=1_764_000_900_000_000, source="s")
    assert a.record["ts_event"] == b.record["ts_event"] == 1_763_942_400_000_000  # that UTC day


def test_an_impossible_day_id_falls_back_to_the_ingest_day() -> None:
    fields: dict[str, Any] = dict.fromkeys(ev.Summary._fields)
    fields.update(event_symbol="SPY", event_time=0, day_id=10**9)
    out = normalize(ev.Summary(**fields), info=None, ts_ingest_us=1_764_000_000_000_000, source="s")
    assert out.record["ts_event"] == 1_763_942_400_000_000


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_type_gets_a_generated_normalizer_with_the_compiled_event_id(
    event_type: str,
) -> None:
    # every identity value has one exact coerced type: no per-value dispatch on the hot path
    source = SOURCES[event_type]
    assert "_event_id(streamer_symbol, " in source
    assert "_general_event_id" not in source
    assert source.count('"event_id"') == 1
