"""COMPACT/FULL encoding of DXLink events and the event builders."""

from __future__ import annotations

import math

import orjson

from sandbox.dxlink_events import FIELDS, applies, build, num
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


def test_compact_uses_requested_order_and_fills_unknown_with_nan(market: Market) -> None:
    fields = ["eventSymbol", "askPrice", "bidPrice", "madeUp", "eventType"]
    channel = Channel(1, "AUTO", fields={"Quote": fields})
    events = {"Quote": _events(market, "Quote", ["SPY", "AAPL", "SPX"])}
    frames = [orjson.loads(f) for f in encode_events(channel, events, 3000)]
    assert len(frames) == 1
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
    frames = [orjson.loads(f) for f in encode_events(channel, events, 500)]
    assert len(frames) > 4
    total = 0
    for frame in frames:
        data = frame["data"]
        used = 0
        for event_type, values in zip(data[0::2], data[1::2], strict=True):
            assert len(values) % len(FIELDS[event_type]) == 0
            used += len(values)
            total += len(values) // len(FIELDS[event_type])
        assert used <= 500
    assert total == 2 * len(symbols)


def test_full_format_objects(market: Market) -> None:
    channel = Channel(
        1, "AUTO", data_format="FULL", fields={"Trade": ["eventSymbol", "price", "nope"]}
    )
    frames = [
        orjson.loads(f)
        for f in encode_events(channel, {"Trade": _events(market, "Trade", ["MSFT"])}, 3000)
    ]
    (event,) = frames[0]["data"]
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
