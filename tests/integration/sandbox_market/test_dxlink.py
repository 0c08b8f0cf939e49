"""The DXLink server over a real socket, driven by a raw ``websockets`` client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
import websockets

from sandbox.dxlink_events import FIELDS
from tests.integration.sandbox_market.conftest import (
    TOKEN,
    DxClient,
    MarketServer,
    compact_events,
)
from tests.support import eventually

# tastyware 13.2.3's field orders (reference §5.3), including its non-spec names
TW_FIELDS = {
    "Quote": ["eventSymbol", "eventTime", "sequence", "timeNanoPart", "bidTime",
              "bidExchangeCode", "askTime", "askExchangeCode", "bidPrice", "askPrice", "bidSize",
              "askSize"],
    "Candle": ["eventSymbol", "eventTime", "eventFlags", "index", "time", "sequence", "count",
               "volume", "vwap", "bidVolume", "askVolume", "impVolatility", "openInterest", "open",
               "high", "low", "close"],
    "Underlying": ["eventSymbol", "eventTime", "eventFlags", "index", "time", "sequence",
                   "volatility", "frontVolatility", "backVolatility", "callVolume", "putVolume",
                   "optionVolume", "putCallRatio", "notAField"],
}  # fmt: skip


async def test_strict_handshake_order(market_server: MarketServer) -> None:
    async with websockets.connect(market_server.dxlink_url) as ws:
        client = DxClient(ws)
        # nothing but SETUP is accepted first
        await client.send({"type": "AUTH", "channel": 0, "token": TOKEN})
        error = await client.recv()
        assert error["type"] == "ERROR"
        assert error["error"] == "INVALID_MESSAGE"
        await client.send({"type": "SETUP", "channel": 0, "keepaliveTimeout": 60,
                           "acceptKeepaliveTimeout": 60, "version": "t"})  # fmt: skip
        setup = await client.recv()
        assert setup["type"] == "SETUP"
        assert setup["keepaliveTimeout"] == 60
        assert await client.recv() == {"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"}
        # before AUTHORIZED only AUTH is accepted
        await client.send({"type": "CHANNEL_REQUEST", "channel": 1, "service": "FEED",
                           "parameters": {"contract": "AUTO"}})  # fmt: skip
        refused = await client.recv()
        assert (refused["type"], refused["error"]) == ("ERROR", "UNAUTHORIZED")
        await client.send({"type": "AUTH", "channel": 0, "token": TOKEN})
        authorized = await client.recv()
        assert authorized["state"] == "AUTHORIZED"
        assert authorized["userId"]
        await client.open_feed(1, {"Quote": TW_FIELDS["Quote"]})
        await client.send({"type": "CHANNEL_CANCEL", "channel": 1})
        assert (await client.expect("CHANNEL_CLOSED"))["channel"] == 1


async def test_bad_token_gets_error_and_close(market_server: MarketServer) -> None:
    async with websockets.connect(market_server.dxlink_url) as ws:
        client = DxClient(ws)
        await client.handshake(token="wrong")
        error = await client.expect("ERROR")
        assert error["error"] == "UNAUTHORIZED"
        assert await close_code(client) == 1008


async def test_compact_quotes_in_requested_field_order(dx: DxClient) -> None:
    config = await dx.open_feed(3, {"Quote": TW_FIELDS["Quote"]})
    assert config["eventFields"] == {"Quote": TW_FIELDS["Quote"]}
    assert config["dataFormat"] == "COMPACT"
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 3, "add": [
        {"type": "Quote", "symbol": "SPY"}, {"type": "Quote", "symbol": "SPX"},
        {"type": "Quote", "symbol": "BTC/USD:CXTALP"}, {"type": "Quote", "symbol": "NOPE"}]})  # fmt: skip

    async def got_all() -> bool:
        await dx.recv()
        events = compact_events(dx.data(3), {"Quote": TW_FIELDS["Quote"]})
        return {e["eventSymbol"] for e in events} >= {"SPY", "SPX", "BTC/USD:CXTALP"}

    await eventually(got_all, timeout=15)
    events = compact_events(dx.data(3), {"Quote": TW_FIELDS["Quote"]})
    assert all(e["eventSymbol"] != "NOPE" for e in events)  # unknown symbols stay silent
    spy = next(e for e in events if e["eventSymbol"] == "SPY")
    assert 0 < spy["bidPrice"] < spy["askPrice"]
    assert spy["bidSize"] > 0
    spx = next(e for e in events if e["eventSymbol"] == "SPX")
    assert spx["bidSize"] == "NaN"  # indices send NaN sizes
    assert spx["askSize"] == "NaN"


async def test_full_format_and_unknown_fields_are_nan(dx: DxClient) -> None:
    await dx.open_feed(5, {"Underlying": TW_FIELDS["Underlying"]}, data_format="FULL")
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 5,
                   "add": [{"type": "Underlying", "symbol": "AAPL"}]})  # fmt: skip
    frame = await dx.expect("FEED_DATA")
    event = frame["data"][0]
    assert event["eventType"] == "Underlying"
    assert event["eventSymbol"] == "AAPL"
    assert 0 < event["volatility"] < 2
    assert event["eventFlags"] == 12  # one-event snapshot: SNAPSHOT_BEGIN | SNAPSHOT_END
    assert "notAField" not in event  # FULL omits fields the event does not have

    await dx.open_feed(7, {"Underlying": TW_FIELDS["Underlying"]})
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 7,
                   "add": [{"type": "Underlying", "symbol": "AAPL"}]})  # fmt: skip
    await eventually(lambda: _recv_until(dx, 7), timeout=10)
    compact = compact_events(dx.data(7), {"Underlying": TW_FIELDS["Underlying"]})[0]
    assert compact["notAField"] == "NaN"  # COMPACT fills unknown names with "NaN"
    assert compact["optionVolume"] == compact["callVolume"] + compact["putVolume"]


async def close_code(client: DxClient) -> int | None:
    """Read until the server closes; the close code it sent."""
    try:
        while True:
            await client.recv()
    except websockets.ConnectionClosed as closed:
        return None if closed.rcvd is None else closed.rcvd.code


async def _recv_until(dx: DxClient, channel: int) -> bool:
    await dx.recv()
    return bool(dx.data(channel))


@pytest.mark.parametrize(
    ("event_type", "symbol"),
    [
        ("Quote", "AAPL"),
        ("Trade", "AAPL"),
        ("TradeETH", "AAPL"),
        ("Summary", "/ESZ26:XCME"),
        ("Profile", "MSFT"),
        ("Greeks", "OPTION"),
        ("TheoPrice", "OPTION"),
        ("TimeAndSale", "SPY"),
        ("Underlying", "SPY"),
        ("Candle", "SPY{=1m}"),
    ],
)
async def test_each_event_type_arrives(
    market_server: MarketServer, dx: DxClient, event_type: str, symbol: str
) -> None:
    if symbol == "OPTION":
        exp = market_server.market.catalog.option_chain("SPY")[2]
        strike = exp.strikes[len(exp.strikes) // 2]
        info = market_server.market.catalog.instrument(
            f"{exp.root:<6}{exp.expiration_date:%y%m%d}C{int(strike * 1000):08d}"
        )
        assert info is not None
        symbol = info.streamer_symbol
    fields = FIELDS[event_type]
    await dx.open_feed(9, {event_type: fields})
    entry: dict[str, object] = {"type": event_type, "symbol": symbol}
    if event_type == "Candle":
        entry["fromTime"] = market_server.market.clock.now_ms() - 3_600_000
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 9, "add": [entry]})
    await eventually(lambda: _recv_until(dx, 9), timeout=15)
    events = compact_events(dx.data(9), {event_type: fields})
    assert events[0]["eventType"] == event_type
    assert events[0]["eventSymbol"] == symbol
    numeric = {
        "Quote": "bidPrice", "Trade": "price", "TradeETH": "price", "Summary": "dayOpenPrice",
        "Greeks": "delta", "TheoPrice": "underlyingPrice", "TimeAndSale": "price",
        "Underlying": "volatility", "Candle": "close",
    }.get(event_type)  # fmt: skip
    if numeric is not None:
        assert isinstance(events[0][numeric], float)
    if event_type == "Profile":
        assert events[0]["description"].startswith("Microsoft")


async def test_candle_snapshot_flags_then_live_updates(
    market_server: MarketServer, dx: DxClient
) -> None:
    fields = {"Candle": TW_FIELDS["Candle"]}
    await dx.open_feed(11, fields, contract="HISTORY")
    now = market_server.market.clock.now_ms()
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 11, "add": [
        {"type": "Candle", "symbol": "AAPL{=5m}", "fromTime": now - 2 * 3_600_000}]})  # fmt: skip

    async def snapshot_done() -> bool:
        await dx.recv()
        events = compact_events(dx.data(11), fields)
        return any(e["eventFlags"] & 8 for e in events)

    await eventually(snapshot_done, timeout=15)
    events = compact_events(dx.data(11), fields)
    end = next(i for i, e in enumerate(events) if e["eventFlags"] & 8)
    snapshot = events[: end + 1]
    assert snapshot[0]["eventFlags"] & 4  # SNAPSHOT_BEGIN on the first (newest)
    assert all(e["eventFlags"] == 0 for e in snapshot[1:-1])
    times = [e["time"] for e in snapshot]
    assert times == sorted(times, reverse=True)
    assert len(snapshot) >= 24  # two hours of 5-minute candles (+ the live one)
    assert all(
        e["low"] <= min(e["open"], e["close"]) <= max(e["open"], e["close"]) <= e["high"]
        for e in snapshot
    )

    async def live_update() -> bool:
        await dx.recv()
        return len(compact_events(dx.data(11), fields)) > len(snapshot)

    await eventually(live_update, timeout=15)
    update = compact_events(dx.data(11), fields)[len(snapshot)]
    assert update["eventFlags"] == 0
    assert update["time"] >= snapshot[0]["time"]


async def test_empty_candle_snapshot_has_flags_14(
    market_server: MarketServer, dx: DxClient
) -> None:
    fields = {"Candle": TW_FIELDS["Candle"]}
    await dx.open_feed(13, fields)
    future = market_server.market.clock.now_ms() + 86_400_000 * 30
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 13,
                   "add": [{"type": "Candle", "symbol": "SPY{=1d}", "fromTime": future}]})  # fmt: skip
    await eventually(lambda: _recv_until(dx, 13), timeout=15)
    event = compact_events(dx.data(13), fields)[0]
    assert event["eventFlags"] == 14
    assert event["close"] == "NaN"


async def test_aggregation_period_limits_rate(dx: DxClient) -> None:
    fields = {"Quote": TW_FIELDS["Quote"]}
    await dx.open_feed(15, fields, aggregation=1.0)
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 15,
                   "add": [{"type": "Quote", "symbol": "BTC/USD:CXTALP"}]})  # fmt: skip
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < 2.6:
        try:
            await dx.recv(timeout=0.2)
        except TimeoutError:
            continue
    events = compact_events(dx.data(15), fields)
    assert 1 <= len(events) <= 4  # at most one per second (+ the first) over ~2.6 s


async def test_remove_and_reset_stop_data(dx: DxClient) -> None:
    fields = {"Quote": TW_FIELDS["Quote"]}
    await dx.open_feed(17, fields)
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 17,
                   "add": [{"type": "Quote", "symbol": "BTC/USD:CXTALP"}]})  # fmt: skip
    await eventually(lambda: _recv_until(dx, 17), timeout=10)
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 17, "reset": True})
    # Barrier: the server handles messages in order and its one writer sends control replies
    # after any data frame it had already built, so once channel 18's FEED_CONFIG is here the
    # reset is in force and nothing more may arrive on channel 17.
    await dx.open_feed(18, fields)
    seen = len(dx.data(17))
    # Witness: channel 18 subscribes to the same quote and sees the market move on.
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 18,
                   "add": [{"type": "Quote", "symbol": "BTC/USD:CXTALP"}]})  # fmt: skip

    async def moved_on() -> bool:
        await dx.recv()
        return len(dx.data(18)) >= 3

    await eventually(moved_on, timeout=15)
    assert len(dx.data(17)) == seen


@pytest.mark.dxlink_keepalive(1.0)
async def test_keepalive_timeout_sends_error_then_closes(market_server: MarketServer) -> None:
    async with websockets.connect(market_server.dxlink_url) as ws:
        client = DxClient(ws)
        await client.handshake()
        await client.expect("AUTH_STATE")
        error = await client.expect("ERROR", timeout=10)
        assert error["error"] == "TIMEOUT"
        with pytest.raises(websockets.ConnectionClosed):
            await client.recv(timeout=10)


async def test_oversized_message_closes_1009(market_server: MarketServer, dx: DxClient) -> None:
    await dx.open_feed(19, None)
    symbols = [{"type": "Quote", "symbol": f"SYM{i:05d}"} for i in range(3000)]
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 19, "add": symbols})
    assert await close_code(dx) == 1009


async def test_fault_injection_drop_freeze_malformed(
    market_server: MarketServer, dx: DxClient
) -> None:
    service = market_server.dxlink
    await eventually(_async(lambda: service.connection_count() == 1), timeout=5)
    assert await service.send_malformed("garbage") == 1
    raw = await dx.ws.recv()
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw)
    await dx.open_feed(21, {"Quote": TW_FIELDS["Quote"]})
    assert await service.send_malformed("bad-compact") == 1
    bad = await dx.expect("FEED_DATA")
    assert len(bad["data"][1]) % len(TW_FIELDS["Quote"]) != 0
    service.freeze(1.0)
    await dx.send({"type": "KEEPALIVE", "channel": 0})
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 21,
                   "add": [{"type": "Quote", "symbol": "SPY"}]})  # fmt: skip
    with pytest.raises(TimeoutError):
        await dx.recv(timeout=0.7)
    assert (await dx.recv(timeout=5))["type"] == "FEED_DATA"
    assert await service.drop_all() == 1
    assert await close_code(dx) == 1012
    await eventually(_async(lambda: service.connection_count() == 0), timeout=5)


def _async(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return check()

    return probe


async def test_ticker_contract_has_no_snapshot_flags(dx: DxClient) -> None:
    fields = {"Underlying": ["eventSymbol", "eventFlags", "volatility"]}
    await dx.open_feed(23, fields, contract="TICKER")
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 23,
                   "add": [{"type": "Underlying", "symbol": "QQQ"}]})  # fmt: skip
    await eventually(lambda: _recv_until(dx, 23), timeout=10)
    event = compact_events(dx.data(23), fields)[0]
    assert event["eventFlags"] == 0


async def test_protocol_errors(dx: DxClient) -> None:
    await dx.send({"type": "CHANNEL_REQUEST", "channel": 25, "service": "NOPE", "parameters": {}})
    assert (await dx.expect("ERROR"))["error"] == "BAD_ACTION"
    await dx.send({"type": "FEED_SETUP", "channel": 99, "acceptDataFormat": "COMPACT"})
    assert (await dx.expect("ERROR"))["error"] == "BAD_ACTION"
    await dx.ws.send("not json")
    assert (await dx.expect("ERROR"))["error"] == "INVALID_MESSAGE"
    await dx.send({"type": "WHATEVER", "channel": 1})
    assert (await dx.expect("ERROR"))["error"] == "UNKNOWN"
    await dx.send({"type": "CHANNEL_REQUEST", "channel": 27, "service": "FEED",
                   "parameters": {"contract": "AUTO"}})  # fmt: skip
    assert (await dx.expect("CHANNEL_OPENED"))["channel"] == 27  # still usable


def decode_by_announced(frames: list[dict[str, Any]], channel: int) -> list[dict[str, Any]]:
    """Decode COMPACT data the way dxFeed's own client does: by the fields the server last
    announced in ``FEED_CONFIG.eventFields`` (merged per type), reading only the first
    ``[type, values]`` pair of a frame. Fails on data of a type that was never announced."""
    announced: dict[str, list[str]] = {}
    out: list[dict[str, Any]] = []
    for frame in frames:
        if frame.get("channel") != channel:
            continue
        if frame["type"] == "FEED_CONFIG":
            announced.update(frame.get("eventFields") or {})
        elif frame["type"] == "FEED_DATA":
            data = frame["data"]
            assert len(data) == 2, "one event type per frame"
            event_type, values = data
            names = announced.get(event_type)
            assert names is not None, f"{event_type} data before its fields were announced"
            assert len(values) % len(names) == 0, (event_type, len(values), names)
            for i in range(0, len(values), len(names)):
                out.append(
                    {
                        "eventType": event_type,
                        **dict(zip(names, values[i : i + len(names)], strict=True)),
                    }
                )
    return out


async def test_default_fields_are_announced_before_data(dx: DxClient) -> None:
    """A client that chooses no fields (as Tastytrade's JS SDK) can decode every frame."""
    config = await dx.open_feed(19, None, aggregation=0.1)
    assert "eventFields" not in config  # nothing subscribed yet: the lazy reply
    types = ["Quote", "Trade", "Summary", "Profile"]
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 19, "add": [
        {"type": t, "symbol": s} for t in types for s in ("SPY", "BTC/USD:CXTALP")]})  # fmt: skip

    async def all_arrived() -> bool:
        await dx.recv()
        got = {(e["eventType"], e["eventSymbol"]) for e in decode_by_announced(dx.frames, 19)}
        return got >= {(t, s) for t in types for s in ("SPY", "BTC/USD:CXTALP")}

    await eventually(all_arrived, timeout=15)
    configs = [f for f in dx.frames if f["type"] == "FEED_CONFIG" and f["channel"] == 19]
    announced = {t: f for c in configs for t, f in (c.get("eventFields") or {}).items()}
    assert announced == {t: FIELDS[t] for t in types}
    events = decode_by_announced(dx.frames, 19)
    spy = next(e for e in events if e["eventType"] == "Summary" and e["eventSymbol"] == "SPY")
    assert spy["openInterest"] == 0  # an integer field: 0 for an ETF, never "NaN"


async def test_changed_fields_are_announced_before_data_in_the_new_layout(dx: DxClient) -> None:
    await dx.open_feed(21, None)
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 21,
                   "add": [{"type": "Quote", "symbol": "BTC/USD:CXTALP"}]})  # fmt: skip
    await eventually(lambda: _recv_until(dx, 21), timeout=10)
    narrow = ["eventSymbol", "bidPrice", "askPrice"]
    await dx.send({"type": "FEED_SETUP", "channel": 21, "acceptAggregationPeriod": 0,
                   "acceptDataFormat": "COMPACT", "acceptEventFields": {"Quote": narrow}})  # fmt: skip

    async def narrow_data() -> bool:
        await dx.recv()
        return any(len(e) == 4 for e in decode_by_announced(dx.frames, 21))

    await eventually(narrow_data, timeout=10)
    events = decode_by_announced(dx.frames, 21)  # every frame decodes by its announcement
    assert all(e["eventSymbol"] == "BTC/USD:CXTALP" for e in events)
    assert all(0 < e["bidPrice"] < e["askPrice"] for e in events)


async def test_ignored_field_choices_fall_back_to_announced_defaults(dx: DxClient) -> None:
    await dx.open_feed(23, {"Quote": [], "NotAType": ["eventSymbol"]})
    await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 23,
                   "add": [{"type": "Quote", "symbol": "SPY"}]})  # fmt: skip
    await eventually(lambda: _recv_until(dx, 23), timeout=10)
    configs = [f for f in dx.frames if f["type"] == "FEED_CONFIG" and f["channel"] == 23]
    assert [c["eventFields"] for c in configs if "eventFields" in c] == [{"Quote": FIELDS["Quote"]}]
    (spy, *_) = decode_by_announced(dx.frames, 23)
    assert (spy["eventType"], spy["eventSymbol"]) == ("Quote", "SPY")
    assert 0 < spy["bidPrice"] < spy["askPrice"]
