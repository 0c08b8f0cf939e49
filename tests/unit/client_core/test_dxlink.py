from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.tastytrade.backoff import Backoff
from adapters.tastytrade.dxlink import CHANNELS, DXLinkStreamer, Reconnected, chunk_entries
from adapters.tastytrade.errors import ErrorStream, StreamDisconnected, StreamError, Unrecoverable
from adapters.tastytrade.events import Candle, Quote, Trade, wire_fields
from adapters.tastytrade.fanout import StreamState
from adapters.tastytrade.quote_token import StaticQuoteToken
from tests.support import eventually
from tests.unit.client_core.dxlink_server import FakeDXLink

QUOTE = CHANNELS["Quote"]


@pytest.fixture
async def server() -> AsyncIterator[FakeDXLink]:
    async with FakeDXLink() as fake:
        yield fake


def streamer(server: FakeDXLink, errors: ErrorStream | None = None, **kw: Any) -> DXLinkStreamer:
    options: dict[str, Any] = {
        "errors": errors or ErrorStream(),
        "reconnect_backoff": Backoff(base=0.01, cap=0.05),
        "keepalive_interval": 0.2,
        "keepalive_timeout": 2.0,
        "handshake_timeout": 5.0,
    }
    options.update(kw)
    return DXLinkStreamer(StaticQuoteToken(server.token, server.url), **options)


def quote_values(symbol: str, bid: float | str = 1.0) -> list[Any]:
    return [symbol, 0, 0, 0, 0, "Q", bid, 100, 0, "Q", 2.0, 200]


async def running(dx: DXLinkStreamer, generation: int = 1) -> None:
    async def probe() -> bool:
        return dx.state is StreamState.RUNNING and dx.generation >= generation

    await eventually(probe, timeout=10, message=f"dxlink generation {generation} running")


async def test_handshake_order_and_feed_setup(server: FakeDXLink) -> None:
    dx = streamer(server)
    async with dx:
        await dx.subscribe("Quote", ["SPY", "AAPL"])
        await dx.subscribe("Candle", ["SPY{=1d}"], from_time=1_735_689_600_000)
        await running(dx)

        async def subscribed() -> bool:
            return len(server.all_subs()) == 3

        await eventually(subscribed, timeout=10)
    sent = server.connections[0].received
    kinds = [m["type"] for m in sent if m["type"] != "KEEPALIVE"]
    assert kinds[:2] == ["SETUP", "AUTH"]
    assert sent[1]["token"] == "quote-token-1"
    first_channel = kinds.index("CHANNEL_REQUEST")
    assert first_channel == 2
    requests = {m["channel"]: m for m in sent if m["type"] == "CHANNEL_REQUEST"}
    assert requests[CHANNELS["Quote"]]["parameters"] == {"contract": "AUTO"}
    assert requests[CHANNELS["Candle"]]["parameters"] == {"contract": "HISTORY"}
    setups = {m["channel"]: m for m in sent if m["type"] == "FEED_SETUP"}
    assert setups[QUOTE]["acceptDataFormat"] == "COMPACT"
    assert setups[QUOTE]["acceptEventFields"] == {"Quote": wire_fields("Quote")}
    for channel in (QUOTE, CHANNELS["Candle"]):  # FEED_SETUP before any subscription on it
        order = [m["type"] for m in sent if m.get("channel") == channel]
        assert order[:3] == ["CHANNEL_REQUEST", "FEED_SETUP", "FEED_SUBSCRIPTION"]
    assert server.all_subs() == {
        ("Quote", "SPY"): None,
        ("Quote", "AAPL"): None,
        ("Candle", "SPY{=1d}"): 1_735_689_600_000,
    }
    assert dx.state is StreamState.STOPPED


async def test_events_decoded_with_nan_and_exponents(server: FakeDXLink) -> None:
    dx = streamer(server)
    async with dx:
        listener = dx.listen(100)
        await dx.subscribe("Quote", ["SPY"])
        await running(dx)
        await eventually(lambda: _async(bool(server.all_subs())))
        await server.feed(QUOTE, ["Quote", quote_values("SPY", "NaN") + quote_values("SPX", 1.5e3)])
        first = await asyncio.wait_for(listener.get(), 5)
        second = await asyncio.wait_for(listener.get(), 5)
    assert isinstance(first, Quote)
    assert first.event_symbol == "SPY"
    assert math.isnan(first.bid_price)
    assert isinstance(second, Quote)
    assert second.bid_price == 1500.0
    assert second.ask_size == 200


async def test_wrong_value_count_is_reported_and_skipped(server: FakeDXLink) -> None:
    errors = ErrorStream()
    dx = streamer(server, errors)
    async with dx:
        listener = dx.listen(100)
        await dx.subscribe("Quote", ["SPY"])
        await running(dx)
        await eventually(lambda: _async(bool(server.all_subs())))
        await server.feed(QUOTE, ["Quote", [*quote_values("SPY"), "extra"]])
        await server.feed(QUOTE, [], raw="not json at all")
        await server.feed(QUOTE, ["Quote", quote_values("GOOD")])
        event = await asyncio.wait_for(listener.get(), 5)
        assert dx.state is StreamState.RUNNING
    assert isinstance(event, Quote)
    assert event.event_symbol == "GOOD"
    reported = [e for e in errors.drain() if type(e) is StreamError]
    assert any("not a multiple" in e.message for e in reported)
    assert any("not JSON" in e.message for e in reported)
    assert dx.decode_errors == 1
    assert dx.disconnects == 0


async def test_feed_config_event_fields_override_order(server: FakeDXLink) -> None:
    server.event_fields = {"Trade": ["eventType", "eventSymbol", "price", "dayVolume", "size"]}
    dx = streamer(server)
    async with dx:
        listener = dx.listen(10)
        await dx.subscribe("Trade", ["BTC/USD:CXTALP"])
        await running(dx)
        await eventually(lambda: _async(bool(server.all_subs())))
        await server.feed(
            CHANNELS["Trade"],
            [
                "Trade",
                ["Trade", "BTC/USD:CXTALP", 50000.5, "NaN", "NaN", "Trade", "SPY", 600, 1.37e7, 5],
            ],
        )
        a = await asyncio.wait_for(listener.get(), 5)
        b = await asyncio.wait_for(listener.get(), 5)
    assert isinstance(a, Trade)
    assert a.price == 50000.5
    assert math.isnan(a.day_volume)
    assert math.isnan(a.change)
    assert isinstance(b, Trade)
    assert b.day_volume == 13_700_000.0
    assert b.size == 5
    assert b.tick_direction is None


async def test_resubscribe_everything_after_forced_drop(server: FakeDXLink) -> None:
    errors = ErrorStream()
    hooks: list[Reconnected] = []
    dx = streamer(server, errors)
    dx.on_reconnect(hooks.append)
    async with dx:
        await dx.subscribe("Quote", ["SPY", "AAPL"])
        await dx.subscribe("Candle", ["SPY{=5m}"], from_time=1_700_000_000_000)
        await running(dx)
        await eventually(lambda: _async(len(server.all_subs()) == 3))
        await dx.unsubscribe("Quote", ["AAPL"])
        await eventually(lambda: _async(len(server.all_subs()) == 2))
        await server.drop()
        await dx.subscribe("Quote", ["QQQ"])  # while reconnecting: must not be lost
        await running(dx, generation=2)
        await eventually(
            lambda: _async(len(server.connections) == 2 and len(server.all_subs()) == 3)
        )
        assert server.all_subs() == {
            ("Quote", "SPY"): None,
            ("Quote", "QQQ"): None,
            ("Candle", "SPY{=5m}"): 1_700_000_000_000,
        }
        listener = dx.listen(10)
        await server.feed(QUOTE, ["Quote", quote_values("QQQ")])
        event = await asyncio.wait_for(listener.get(), 5)
    assert isinstance(event, Quote)
    assert event.event_symbol == "QQQ"
    disconnects = [e for e in errors.drain() if isinstance(e, StreamDisconnected)]
    assert len(disconnects) == 1
    assert disconnects[0].code == 1012
    assert [h.generation for h in hooks] == [2]
    assert server.connections[1].types()[:2] == ["SETUP", "AUTH"]


async def test_silence_triggers_reconnect(server: FakeDXLink) -> None:
    server.silent_connections = {1}  # the second connection never answers anything
    errors = ErrorStream()
    dx = streamer(
        server, errors, keepalive_timeout=0.6, keepalive_interval=0.1, handshake_timeout=1.0
    )
    async with dx:
        await dx.subscribe("Quote", ["SPY"])
        await running(dx)
        await eventually(lambda: _async(bool(server.all_subs())))
        server.connections[0].silent = True  # established connection goes quiet
        await running(dx, generation=2)
        await eventually(lambda: _async(bool(server.all_subs())))
    reasons = [e.message for e in errors.drain() if isinstance(e, StreamDisconnected)]
    assert any("no frame for" in r for r in reasons)
    assert len(server.connections) >= 3  # 0: went silent, 1: handshake timed out, 2: healthy


async def test_keepalive_sent_periodically(server: FakeDXLink) -> None:
    dx = streamer(server, keepalive_interval=0.05)
    async with dx:
        await running(dx)
        await eventually(lambda: _async(server.last.types().count("KEEPALIVE") >= 3))
    assert server.last.types()[:2] == ["SETUP", "AUTH"]


async def test_thousands_of_symbols_are_chunked_under_8kb(server: FakeDXLink) -> None:
    symbols = [f".SPY2601{i:05d}C{i}" for i in range(3000)]
    dx = streamer(server)
    async with dx:
        await running(dx)
        await dx.subscribe("Greeks", symbols)
        await eventually(lambda: _async(len(server.all_subs()) == 3000))
    subs = [m for m in server.last.received if m["type"] == "FEED_SUBSCRIPTION"]
    assert len(subs) > 1
    assert all(len(json.dumps(m, separators=(",", ":"))) < 8192 for m in subs)


def test_chunk_entries_keeps_order_and_limit() -> None:
    entries = [{"type": "Quote", "symbol": f"S{i}"} for i in range(500)]
    chunks = chunk_entries(entries, 1000)
    assert [e for chunk in chunks for e in chunk] == entries
    assert all(
        len(
            json.dumps(
                {"type": "FEED_SUBSCRIPTION", "channel": 99, "remove": c}, separators=(",", ":")
            )
        )
        <= 1000
        for c in chunks
    )


async def test_slow_consumer_drops_oldest_and_reports_once(server: FakeDXLink) -> None:
    errors = ErrorStream()
    dx = streamer(server, errors)
    async with dx:
        slow = dx.listen(2, name="slow")
        fast = dx.listen(100)
        await dx.subscribe("Quote", ["A"])
        await running(dx)
        await eventually(lambda: _async(bool(server.all_subs())))
        values: list[Any] = []
        for i in range(5):
            values += quote_values(f"S{i}")
        await server.feed(QUOTE, ["Quote", values])
        await eventually(lambda: _async(fast.qsize() == 5))
        stats = dx.stats()
        kept = [slow.get_nowait(), slow.get_nowait()]
    assert stats["state"] == "running"
    assert stats["events"] == 5
    assert stats["subscriptions"] == 1
    assert stats["listeners"]["slow"] == {"queued": 2, "dropped": 3}
    assert [e.event_symbol for e in kept if e is not None] == ["S3", "S4"]
    assert slow.dropped == 3
    assert fast.dropped == 0
    overflow = [e for e in errors.drain() if type(e) is StreamError and "too slow" in e.message]
    assert len(overflow) == 1


async def test_candle_snapshot_flags(server: FakeDXLink) -> None:
    dx = streamer(server)
    async with dx:
        listener = dx.listen(10, event_types={"Candle"})
        await dx.subscribe("Candle", ["SPY{=1d}"], from_time=0)
        await running(dx)
        await eventually(lambda: _async(bool(server.all_subs())))
        row = [
            "SPY{=1d}",
            0,
            14,
            1,
            0,
            0,
            "NaN",
            "NaN",
            "NaN",
            "NaN",
            "NaN",
            "NaN",
            "NaN",
            "NaN",
            "NaN",
            "NaN",
            "NaN",
        ]
        await server.feed(CHANNELS["Candle"], ["Candle", row])
        candle = await asyncio.wait_for(listener.get(), 5)
    assert isinstance(candle, Candle)
    from adapters.tastytrade.events import is_empty_snapshot, is_snapshot_begin

    assert is_empty_snapshot(candle.event_flags)
    assert is_snapshot_begin(candle.event_flags)
    assert math.isnan(candle.open)


async def test_quote_token_refreshed_and_reauthorized(server: FakeDXLink) -> None:
    tokens = StaticQuoteToken(server.token, server.url, max_age=0.0)
    dx = DXLinkStreamer(tokens, errors=ErrorStream(), reconnect_backoff=Backoff(0.01, 0.05))
    async with dx:
        await running(dx)
        await eventually(lambda: _async(server.last.types().count("AUTH") >= 2), timeout=10)
    assert tokens.fetches >= 2


async def test_rejected_token_keeps_retrying_with_fresh_token(server: FakeDXLink) -> None:
    server.accepted_tokens = set()
    errors = ErrorStream()
    tokens = StaticQuoteToken("bad", server.url)
    dx = DXLinkStreamer(tokens, errors=errors, reconnect_backoff=Backoff(0.01, 0.02))
    async with dx:
        await eventually(lambda: _async(len(server.connections) >= 3))
        assert dx.state in (StreamState.DEGRADED, StreamState.CONNECTING)
    assert tokens.fetches >= 3
    assert any(isinstance(e, StreamDisconnected) for e in errors.drain())


async def test_unrecoverable_token_failure_stops_and_ends_iteration() -> None:
    from adapters.tastytrade.errors import AuthError

    class Revoked:
        max_age = 60.0

        async def get(self, *, force: bool = False) -> Any:
            raise AuthError(401, "invalid_grant", "revoked")

    errors = ErrorStream()
    dx = DXLinkStreamer(Revoked(), errors=errors)
    async with dx:
        with pytest.raises(Unrecoverable):
            async for _ in dx.events():
                pass
        assert dx.state is StreamState.STOPPED
    assert any(isinstance(e, Unrecoverable) for e in errors.drain())


async def _async(value: bool) -> bool:
    return value


async def test_mid_session_unauthorized_reauths_and_reset_clears(server: FakeDXLink) -> None:
    dx = streamer(server)
    async with dx:
        await dx.subscribe("Quote", ["SPY", "QQQ"])
        await running(dx)
        await eventually(lambda: _async(len(server.all_subs()) == 2))
        await server.last.ws.send(
            json.dumps({"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"})
        )
        await eventually(lambda: _async(server.last.types().count("AUTH") == 2))
        await dx.reset("Quote")
        await eventually(lambda: _async(server.all_subs() == {}))
        assert dx.subscriptions == {}
        assert dx.state is StreamState.RUNNING
    assert dx.disconnects == 0


async def test_traffic_logs_never_contain_tokens(
    server: FakeDXLink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(1)
    dx = streamer(server)
    async with dx:
        await dx.subscribe("Quote", ["SPY"])
        await running(dx)
        await eventually(lambda: _async(bool(server.all_subs())))
        await server.feed(QUOTE, ["Quote", quote_values("SPY")])
        await eventually(lambda: _async(dx.frames >= 1))
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("adapters"))
    assert "dxlink > AUTH" in text  # traced, but only by its type
    assert "FEED_SUBSCRIPTION" in text
    assert server.token not in text


async def test_flapping_server_keeps_backoff_growing(server: FakeDXLink) -> None:
    server.drop_after_auth = True
    delays: list[float] = []

    async def recording_sleep(delay: float) -> None:  # records the backoff, waits for nothing
        delays.append(delay)
        await asyncio.sleep(0)

    dx = streamer(
        server,
        sleep=recording_sleep,
        rand=lambda: 1.0,
        reconnect_backoff=Backoff(base=0.01, cap=0.08),
    )
    async with dx:
        await eventually(lambda: _async(len(delays) >= 5))
    assert delays[:5] == [0.01, 0.02, 0.04, 0.08, 0.08]
    assert dx.generation >= 4  # each attempt did authorize: only the backoff kept growing


async def test_close_channel_cancels_and_resubscribe_reopens(server: FakeDXLink) -> None:
    dx = streamer(server)
    async with dx:
        await dx.subscribe("Quote", ["SPY"])
        await running(dx)
        await eventually(lambda: _async(bool(server.all_subs())))
        await dx.close_channel("Quote")
        await eventually(lambda: _async("CHANNEL_CANCEL" in server.last.types()))
        await dx.subscribe("Quote", ["AAPL"])
        await eventually(lambda: _async(server.last.types().count("CHANNEL_REQUEST") == 2))
        assert dx.subscriptions == {"Quote": {"AAPL": None}}
    cancel = next(m for m in server.last.received if m["type"] == "CHANNEL_CANCEL")
    assert cancel["channel"] == QUOTE
    assert dx.disconnects == 0


async def test_a_single_string_is_one_symbol(server: FakeDXLink) -> None:
    dx = streamer(server)
    async with dx:
        await dx.subscribe("Quote", "SPY")
        assert dx.subscriptions == {"Quote": {"SPY": None}}
        await dx.unsubscribe("Quote", "SPY")
        assert dx.subscriptions == {"Quote": {}}


async def test_fresh_tokens_refused_again_and_again_end_the_stream(server: FakeDXLink) -> None:
    server.accepted_tokens = set()
    errors = ErrorStream()

    class Minting:
        max_age = 60.0
        fetches = 0

        async def get(self, *, force: bool = False) -> Any:
            self.fetches += 1
            return await StaticQuoteToken(f"minted-{self.fetches}", server.url).get()

    tokens = Minting()
    dx = DXLinkStreamer(
        tokens, errors=errors, reconnect_backoff=Backoff(0.01, 0.02), max_auth_refusals=3
    )
    async with dx:
        with pytest.raises(Unrecoverable):
            async for _ in dx.events():
                pass
        assert dx.state is StreamState.STOPPED
    assert len(server.connections) == 3
    assert tokens.fetches == 3
    assert any(isinstance(e, Unrecoverable) for e in errors.drain())
