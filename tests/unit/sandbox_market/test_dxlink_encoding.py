"""COMPACT/FULL encoding of DXLink events and the event builders."""

from __future__ import annotations

import math
from typing import Any

import orjson

from sandbox.candles import iter_history, parse_candle_symbol
from sandbox.dxlink_events import EVENT_TYPES, FIELDS, applies, build, candle_event, num
from sandbox.dxlink_state import Channel, encode_events
from sandbox.market import Market


def _events(market: Market, event_type: str, symbols: list[str]) -> list[dict[str, object]]:
    out = []
    for symbol in symbols:
        model = market.model(symbol)
        assert model is not None
        tick = market.tick_for(model)
        out.append(build(event_type, market, tick, symbol))
    return out


def test_num_writes_non_finite_values_as_strings() -> None:
    assert num(1.5) == 1.5
    assert num(math.nan) == "NaN"
    assert num(math.inf) == "Infinity"
    assert num(-math.inf) == "-Infinity"


def _data(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == "FEED_DATA"]


def test_compact_uses_requested_order_and_fills_unknown_with_nan(market: Market) -> None:
    fields = ["eventSymbol", "askPrice", "bidPrice", "madeUp", "eventType"]
    channel = Channel(1, "AUTO", fields={"Quote": fields})
    channel.announced["Quote"] = fields  # as the FEED_SETUP reply did
    events = {"Quote": _events(market, "Quote", ["SPY", "AAPL", "SPX"])}
    frames = [orjson.loads(f) for f in encode_events(channel, events, 3000)]
    assert len(frames) == 1  # already announced: no new FEED_CONFIG
    event_type, values = frames[0]["data"]
    assert event_type == "Quote"
    assert len(values) == 3 * len(fields)
    spy = values[:5]
    assert spy[0] == "SPY"
    assert spy[1] > spy[2]  # ask > bid
    assert spy[3] == "NaN"
    assert spy[4] == "Quote"


def test_compact_frames_respect_the_value_budget(market: Market) -> None:
    channel = Channel(1, "AUTO")
    symbols = market.catalog.symbols("Equity") * 20
    events = {
        "Quote": _events(market, "Quote", symbols),
        "Trade": _events(market, "Trade", symbols),
    }
    frames = _data([orjson.loads(f) for f in encode_events(channel, events, 500)])
    assert len(frames) > 4
    total = 0
    for frame in frames:
        event_type, values = frame["data"]  # one type per frame: clients read only the first
        assert len(values) % len(FIELDS[event_type]) == 0
        assert len(values) <= 500
        total += len(values) // len(FIELDS[event_type])
    assert total == 2 * len(symbols)


def test_default_fields_are_announced_before_the_first_data_of_each_type(
    market: Market,
) -> None:
    channel = Channel(1, "AUTO")
    quotes = {"Quote": _events(market, "Quote", ["SPY"])}
    first = [orjson.loads(f) for f in encode_events(channel, quotes, 3000)]
    assert [f["type"] for f in first] == ["FEED_CONFIG", "FEED_DATA"]
    assert first[0]["eventFields"] == {"Quote": FIELDS["Quote"]}
    assert first[0]["dataFormat"] == "COMPACT"
    event_type, values = first[1]["data"]
    assert event_type == "Quote"
    assert dict(zip(first[0]["eventFields"]["Quote"], values, strict=True))["eventSymbol"] == "SPY"
    # announced once: later data of that type comes without a FEED_CONFIG
    again = [orjson.loads(f) for f in encode_events(channel, quotes, 3000)]
    assert [f["type"] for f in again] == ["FEED_DATA"]
    # a new type in the same batch is announced (only it) before any data
    both = {**quotes, "Summary": _events(market, "Summary", ["SPY"])}
    mixed = [orjson.loads(f) for f in encode_events(channel, both, 3000)]
    assert [f["type"] for f in mixed] == ["FEED_CONFIG", "FEED_DATA", "FEED_DATA"]
    assert mixed[0]["eventFields"] == {"Summary": FIELDS["Summary"]}


def test_changed_fields_get_a_new_feed_config_first(market: Market) -> None:
    channel = Channel(1, "AUTO")
    quotes = {"Quote": _events(market, "Quote", ["SPY"])}
    list(encode_events(channel, quotes, 3000))
    channel.fields["Quote"] = ["eventSymbol", "bidPrice"]  # a later FEED_SETUP chose fields
    frames = [orjson.loads(f) for f in encode_events(channel, quotes, 3000)]
    assert frames[0]["eventFields"] == {"Quote": ["eventSymbol", "bidPrice"]}
    assert frames[1]["data"][0] == "Quote"
    assert len(frames[1]["data"][1]) == 2


def test_every_field_has_the_feed_json_type(market: Market) -> None:
    """Integers are integers, absent strings null, "NaN"-like strings only in doubles."""
    symbols = {
        "equity": "AAPL",
        "index": "SPX",
        "etf": "SPY",
        "equity option": market.catalog.symbols("Equity Option")[0],
        "future": market.catalog.symbols("Future")[0],
        "future option": market.catalog.symbols("Future Option")[0],
        "crypto": "BTC/USD",
    }
    for kind, symbol in symbols.items():
        model = market.model(symbol)
        assert model is not None, kind
        for event_type in sorted(EVENT_TYPES - {"Candle"}):
            if not applies(event_type, model):
                continue
            event = build(event_type, market, market.tick_for(model), symbol)
            assert list(event) == FIELDS[event_type] or set(FIELDS[event_type]) <= set(event)
            for name in FIELDS[event_type]:
                _check_type(event_type, name, event[name], kind)
        spec = parse_candle_symbol(f"{symbol}{{=1d}}")
        assert spec is not None
        now = market.clock.now_ms()
        candles = list(iter_history(market, model, spec, now - 5 * 86_400_000, now))
        assert candles, kind
        candle = candle_event(candles[-1], f"{symbol}{{=1d}}", 0, model)
        for name in FIELDS["Candle"]:
            _check_type("Candle", name, candle[name], kind)
    empty = candle_event(None, "SPY{=1d}", 14, None)
    for name in FIELDS["Candle"]:
        _check_type("Candle", name, empty[name], "empty candle")


_INTEGER = {"eventTime", "sequence", "timeNanoPart", "bidTime", "askTime", "time", "dayId",
            "prevDayId", "openInterest", "haltStartTime", "haltEndTime", "exDividendDayId",
            "eventFlags", "index", "count"}  # fmt: skip
_BOOLEAN = {"extendedTradingHours", "spreadLeg", "validTick"}
_STRING = {"eventType", "eventSymbol", "bidExchangeCode", "askExchangeCode", "exchangeCode",
           "tickDirection", "dayClosePriceType", "prevDayClosePriceType", "description",
           "shortSaleRestriction", "tradingStatus", "statusReason", "exchangeSaleConditions",
           "tradeThroughExempt", "aggressorSide", "type", "buyer", "seller"}  # fmt: skip
_DOUBLE_INTEGERS = {("Candle", "openInterest")}  # Candle's open interest is a double


def _check_type(event_type: str, name: str, value: object, kind: str) -> None:
    where = f"{kind} {event_type}.{name}={value!r}"
    if name in _INTEGER and (event_type, name) not in _DOUBLE_INTEGERS:
        assert type(value) is int, where
    elif name in _BOOLEAN:
        assert type(value) is bool, where
    elif name in _STRING:
        assert value is None or (type(value) is str and value != ""), where
        assert value not in ("NaN", "Infinity", "-Infinity"), where
    else:  # a double
        assert type(value) in (int, float) or value in ("NaN", "Infinity", "-Infinity"), where
        assert not (type(value) is float and not math.isfinite(value)), where


def test_absent_strings_are_null_and_open_interest_an_integer(market: Market) -> None:
    spy = market.model("SPY")
    future = market.model(market.catalog.symbols("Future")[0])
    assert spy is not None
    assert future is not None
    assert build("Summary", market, market.tick_for(spy), "SPY")["openInterest"] == 0
    assert build("Summary", market, market.tick_for(future), "/X")["openInterest"] > 0
    sale = build("TimeAndSale", market, market.tick_for(spy), "SPY")
    assert (sale["buyer"], sale["seller"], sale["exchangeSaleConditions"]) == (None, None, None)
    assert build("Profile", market, market.tick_for(spy), "SPY")["statusReason"] is None


def test_full_format_objects(market: Market) -> None:
    channel = Channel(
        1, "AUTO", data_format="FULL", fields={"Trade": ["eventSymbol", "price", "nope"]}
    )
    frames = [
        orjson.loads(f)
        for f in encode_events(channel, {"Trade": _events(market, "Trade", ["MSFT"])}, 3000)
    ]
    (event,) = _data(frames)[0]["data"]
    assert event == {"eventType": "Trade", "eventSymbol": "MSFT", "price": event["price"]}
    assert isinstance(event["price"], float)


def test_event_applicability_and_nan_fields(market: Market) -> None:
    spx = market.model("SPX")
    option = market.model(market.catalog.symbols("Equity Option")[0])
    crypto = market.model("BTC/USD")
    assert spx is not None
    assert option is not None
    assert crypto is not None
    assert not applies("Greeks", spx)
    assert applies("Greeks", option)
    assert applies("Underlying", spx)
    assert not applies("TradeETH", crypto)
    trade = build("Trade", market, market.tick_for(crypto), "BTC/USD:CXTALP")
    assert trade["dayVolume"] == "NaN"  # crypto volume is NaN on the real feed
    assert trade["size"] == "NaN"
    quote = build("Quote", market, market.tick_for(spx), "SPX")
    assert quote["bidSize"] == "NaN"
    greeks = build("Greeks", market, market.tick_for(option), "x", flags=12)
    assert greeks["eventFlags"] == 12
    assert 0 < greeks["volatility"] < 2
