from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.tastytrade.compact import CompactDecoder, Layout
from adapters.tastytrade.errors import StreamError
from adapters.tastytrade.events import (
    EVENT_CLASSES,
    Candle,
    Greeks,
    Profile,
    Quote,
    Summary,
    TimeAndSale,
    field_default,
    is_empty_snapshot,
    is_remove,
    is_snapshot_begin,
    is_snapshot_end,
    is_tx_pending,
    wire_fields,
    wire_name,
)


def test_wire_names_follow_the_spec() -> None:
    assert wire_name("bid_exchange_code") == "bidExchangeCode"
    assert wire_name("high_52_week_price") == "high52WeekPrice"
    assert wire_name("vwap") == "VWAP"
    assert wire_fields("Quote")[:2] == ["eventSymbol", "eventTime"]
    assert "exDividendDayId" in wire_fields("Profile")
    assert set(EVENT_CLASSES) == {
        "Quote", "Trade", "TradeETH", "Summary", "Profile", "Greeks", "Candle", "TheoPrice", "TimeAndSale", "Underlying",
    }  # fmt: skip


def quote_row(symbol: str, bid: Any = 1.0, ask_size: Any = 3) -> list[Any]:
    return [symbol, 10, 11, 12, 13, "Q", bid, 2, 14, "X", 1.5, ask_size]


def test_nan_infinity_strings_become_floats_only_in_numeric_fields() -> None:
    decoder = CompactDecoder()
    profile: dict[str, Any] = dict.fromkeys(wire_fields("Profile"), 0)
    profile.update(
        eventSymbol="NAN", description="NaN", beta="Infinity", shares="-Infinity", freeFloat="NaN"
    )
    raw = json.dumps(["Profile", list(profile.values())])
    (event,) = decoder.decode(json.loads(raw), raw)
    assert isinstance(event, Profile)
    assert event.description == "NaN"  # a text field keeps the text
    assert event.beta == math.inf
    assert event.shares == -math.inf
    assert math.isnan(event.free_float)


def test_exponent_numbers() -> None:
    raw = '["Quote",["SPY",0,0,0,0,"Q",1.5E2,1e3,0,"Q",6.012E+2,1.37E7]]'
    (event,) = CompactDecoder().decode(json.loads(raw), raw)
    assert isinstance(event, Quote)
    assert (event.bid_price, event.bid_size, event.ask_price, event.ask_size) == (
        150.0,
        1000.0,
        601.2,
        13_700_000.0,
    )


def test_multiple_types_and_events_in_one_frame() -> None:
    greeks = ["G", 0, 0, 1, 2, 3, 0.5, 0.2, 0.4, 0.01, -0.05, 0.1, 0.2]
    data = ["Quote", quote_row("A") + quote_row("B"), "Greeks", greeks]
    events = CompactDecoder().decode(data)
    assert [type(e).__name__ for e in events] == ["Quote", "Quote", "Greeks"]
    assert isinstance(events[2], Greeks)
    assert events[2].delta == 0.4


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (["Quote", [*quote_row("A"), "extra"]], "not a multiple"),
        (["Quote", quote_row("A")[:-1]], "not a multiple"),
        (["Quote"], "odd length"),
        (["Quote", "notalist"], "not a multiple"),
        ({"Quote": []}, "not a list"),
        ([7, quote_row("A")], "not a string"),
        (["Mystery", [1, 2]], "unknown event type"),
        (["Quote", quote_row("A", bid="abc")], "non-numeric"),
        (["Quote", quote_row("A"), "Quote", [1]], "not a multiple"),  # whole frame rejected
    ],
)
def test_malformed_frames_raise_stream_error(data: Any, needle: str) -> None:
    with pytest.raises(StreamError, match=needle):
        CompactDecoder().decode(data)


def test_feed_config_fields_reorder_and_pad() -> None:
    decoder = CompactDecoder()
    layout = decoder.configure(
        "Summary", ["eventType", "eventSymbol", "dayClosePrice", "openInterest", "futureThing"]
    )
    assert layout.unknown == ("futureThing",)
    (event,) = decoder.decode(["Summary", ["Summary", "SPY", 600.5, 1234, "x"]])
    assert isinstance(event, Summary)
    assert event.day_close_price == 600.5
    assert event.open_interest == 1234
    assert event.event_time == 0
    assert math.isnan(event.day_open_price)
    assert event.day_close_price_type is None


def test_layout_needs_event_symbol() -> None:
    with pytest.raises(StreamError, match="eventSymbol"):
        Layout.build("Quote", ["bidPrice", "askPrice"])


def test_full_format_fallback() -> None:
    data = [{"eventType": "Quote", "eventSymbol": "SPY", "bidPrice": "NaN", "askPrice": 2.5}]
    (event,) = CompactDecoder().decode(data)
    assert isinstance(event, Quote)
    assert math.isnan(event.bid_price)
    assert event.ask_price == 2.5
    assert event.bid_exchange_code is None


def test_time_and_sale_text_and_bool_fields() -> None:
    row = [
        "SPY",
        0,
        0,
        5,
        1,
        0,
        2,
        "Q",
        600.0,
        100,
        599.9,
        600.1,
        "@",
        "N",
        "BUY",
        False,
        True,
        True,
        "NEW",
        "b",
        "s",
    ]
    (event,) = CompactDecoder().decode(["TimeAndSale", row], json.dumps(row))
    assert isinstance(event, TimeAndSale)
    assert (event.aggressor_side, event.valid_tick, event.type, event.seller) == (
        "BUY",
        True,
        "NEW",
        "s",
    )


def test_event_flag_helpers() -> None:
    assert is_tx_pending(0x1)
    assert is_remove(0x2)
    assert is_snapshot_begin(0x4)
    assert is_snapshot_end(0x8)
    assert is_snapshot_end(0x10)
    assert not is_snapshot_end(0x4)
    assert is_empty_snapshot(14)
    assert not is_empty_snapshot(12)


def test_defaults_by_type() -> None:
    assert math.isnan(float(str(field_default(Candle, "open"))))
    assert field_default(Candle, "time") == 0
    assert field_default(Candle, "event_symbol") is None


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
special = st.sampled_from(["NaN", "Infinity", "-Infinity"])


@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=8), st.one_of(finite, special), st.integers()),
        max_size=20,
    )
)
def test_candles_decode_to_what_was_encoded(rows: list[tuple[str, Any, int]]) -> None:
    flat: list[Any] = []
    for symbol, price, index in rows:
        flat += [symbol, 1, 0, index, 2, 3, 4, price, price, price, price, 5, "NaN", 0, 0, 0, 0]
    raw = json.dumps(["Candle", flat])
    events = CompactDecoder().decode(json.loads(raw), raw)
    assert len(events) == len(rows)
    for event, (symbol, price, index) in zip(events, rows, strict=True):
        assert isinstance(event, Candle)
        assert event.event_symbol == symbol
        assert event.index == index
        expected = float(price) if isinstance(price, str) else price
        assert (math.isnan(event.close) and math.isnan(expected)) or event.close == expected


def test_integer_fields_stay_integers_and_read_non_finite_as_zero() -> None:
    decoder = CompactDecoder()
    decoder.configure("Summary", ["eventSymbol", "openInterest", "prevDayVolume", "dayId"])
    raw = '["Summary",["SPY",0,"NaN",20500,"/ESZ26:XCME","NaN",1.5E6,20500]]'
    spy, future = decoder.decode(json.loads(raw), raw)
    assert isinstance(spy, Summary)
    assert isinstance(future, Summary)
    assert spy.open_interest == 0
    assert type(spy.open_interest) is int
    assert math.isnan(spy.prev_day_volume)  # a double keeps its NaN
    assert future.open_interest == 0  # "NaN" in a long field: what a field with none holds
    assert type(future.open_interest) is int
    assert future.prev_day_volume == 1_500_000.0
    full = decoder.decode([{"eventType": "Candle", "eventSymbol": "X{=1d}", "count": "NaN"}])
    assert isinstance(full[0], Candle)
    assert full[0].count == 0
    assert type(full[0].count) is int
