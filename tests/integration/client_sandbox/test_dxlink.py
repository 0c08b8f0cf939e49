"""DXLink through the client against the sandbox's DXLink server: every event type, candle
history with snapshot flags, reconnect after a forced drop (no re-subscribe), expired tokens."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from adapters.tastytrade import (
    Backoff,
    Candle,
    Client,
    DXLinkStreamer,
    Greeks,
    MarketEvent,
    Quote,
    Reconnected,
    StreamDisconnected,
    StreamState,
)
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import (
    OPEN,
    admin,
    open_client,
    open_sandbox,
    warnings_of,
)
from tests.integration.client_sandbox.streams import Collector
from tests.support import eventually

SNAPSHOT_BEGIN, SNAPSHOT_END, SNAPSHOT_SNIP = 0x4, 0x8, 0x10
EQUITY_TYPES = ("Quote", "Trade", "TradeETH", "Summary", "Profile", "TimeAndSale", "Underlying")
OPTION_TYPES = ("Quote", "Greeks", "TheoPrice")
CANDLE = "SPY{=1m}"
FROM = OPEN - timedelta(hours=1)


async def option_symbol(client: Client) -> str:
    (nested,) = await client.rest.chains.nested("SPY")
    strikes = nested.expirations[1].strikes
    symbol = strikes[len(strikes) // 2].call_streamer_symbol  # near the money
    assert symbol is not None
    return symbol


def wanted(option: str) -> set[tuple[str, str]]:
    return (
        {(t, "SPY") for t in EQUITY_TYPES}
        | {(t, option) for t in OPTION_TYPES}
        | {("Candle", CANDLE)}
    )


def seen(events: list[MarketEvent]) -> set[tuple[str, str]]:
    return {(type(e).__name__, e.event_symbol) for e in events}


async def subscribe_all(dx: DXLinkStreamer, option: str) -> None:
    for event_type in EQUITY_TYPES:
        await dx.subscribe(event_type, ["SPY"])
    for event_type in OPTION_TYPES:
        await dx.subscribe(event_type, [option])
    await dx.subscribe("Candle", [CANDLE], from_time=FROM)


pytestmark = pytest.mark.asyncio(loop_scope="module")  # one sandbox for the module


@pytest.fixture
def sandbox(module_server: SandboxServer) -> SandboxServer:
    return module_server


@pytest.fixture
def client(module_client: Client) -> Client:
    return module_client


@pytest_asyncio.fixture(loop_scope="module")
async def dx(client: Client) -> AsyncIterator[DXLinkStreamer]:
    async with client.dxlink(
        aggregation_period=0.05, reconnect_backoff=Backoff(base=0.05, cap=0.2)
    ) as streamer:
        yield streamer


async def test_every_event_type_delivers_sane_events(client: Client, dx: DXLinkStreamer) -> None:
    option = await option_symbol(client)
    with dx.listen(100_000) as listener:
        events = Collector(listener)
        await subscribe_all(dx, option)

        async def complete() -> bool:
            return seen(events.pump()) >= wanted(option)

        await eventually(complete, timeout=15, interval=0.05, message="some event type missing")
    assert dx.state is StreamState.RUNNING
    assert seen(events.items) == wanted(option)  # nothing for symbols we did not ask for
    quotes = [e for e in events.items if isinstance(e, Quote) and e.event_symbol == "SPY"]
    assert all(0 < q.bid_price <= q.ask_price for q in quotes)
    greeks = [e for e in events.items if isinstance(e, Greeks)]
    assert all(0 < g.delta < 1 and g.gamma > 0 and g.volatility > 0 for g in greeks)  # a call
    spy = await client.rest.market_data.by_symbol("Equity", "SPY")
    assert spy.bid is not None
    assert abs(float(spy.bid) - quotes[-1].bid_price) / quotes[-1].bid_price < 0.02
    assert warnings_of(client) == []
    assert client.errors.drain() == []


async def test_candle_history_from_time_with_snapshot_flags(
    client: Client, dx: DXLinkStreamer
) -> None:
    with dx.listen(100_000, event_types=["Candle"]) as listener:
        events = Collector(listener)
        await dx.subscribe("Candle", [CANDLE], from_time=FROM)

        async def snapshot_done() -> bool:
            return any(
                isinstance(e, Candle) and e.event_flags & (SNAPSHOT_END | SNAPSHOT_SNIP)
                for e in events.pump()
            )

        await eventually(snapshot_done, timeout=10, interval=0.05, message="no snapshot end")

        def end_of_snapshot() -> int:
            candles = [e for e in events.items if isinstance(e, Candle)]
            return next(
                i for i, c in enumerate(candles) if c.event_flags & (SNAPSHOT_END | SNAPSHOT_SNIP)
            )

        async def live_update() -> bool:
            events.pump()
            return len([e for e in events.items if isinstance(e, Candle)]) > end_of_snapshot() + 1

        await eventually(live_update, timeout=10, interval=0.05, message="no live candle")
    candles = [e for e in events.items if isinstance(e, Candle)]
    end = end_of_snapshot()
    snapshot = candles[: end + 1]
    live = candles[end + 1]
    newest = max(c.time for c in snapshot)
    assert live.time - newest in (0, 60_000)  # the live stream continues the history
    assert live.event_flags & (SNAPSHOT_BEGIN | SNAPSHOT_END | SNAPSHOT_SNIP) == 0
    assert snapshot[0].event_flags & SNAPSHOT_BEGIN
    assert all(not c.event_flags & SNAPSHOT_BEGIN for c in snapshot[1:])
    from_ms = int(FROM.timestamp() * 1000)
    times = sorted({c.time for c in snapshot})
    assert times[0] <= from_ms + 60_000  # history reaches back to fromTime
    assert all(t % 60_000 == 0 for t in times)  # one-minute candles on minute boundaries
    assert len(times) >= 60
    for candle in snapshot:
        assert candle.event_symbol == CANDLE
        assert candle.low <= min(candle.open, candle.close) <= max(candle.open, candle.close)
        assert max(candle.open, candle.close) <= candle.high
    assert warnings_of(client) == []


async def test_drop_reconnects_and_every_subscription_flows_again(
    client: Client, dx: DXLinkStreamer, sandbox: SandboxServer
) -> None:
    option = await option_symbol(client)
    hooks: list[Reconnected] = []
    with dx.listen(100_000) as listener:
        events = Collector(listener)
        dx.on_reconnect(events.on_reconnect())
        dx.on_reconnect(hooks.append)
        await subscribe_all(dx, option)

        async def complete() -> bool:
            return seen(events.pump()) >= wanted(option)

        await eventually(complete, timeout=15, interval=0.05)
        expected = {kind: dict(symbols) for kind, symbols in dx.subscriptions.items()}
        expected["Quote"]["AAPL"] = None
        dropped = await admin(sandbox, "streams/drop", {"stream": "dxlink"})
        assert dropped["dxlink"] == 1
        await dx.subscribe("Quote", ["AAPL"])  # added while the socket is down or coming back

        async def recovered() -> bool:
            return dx.generation == 2 and seen(events.since_last_reconnect()) >= wanted(option) | {
                ("Quote", "AAPL")
            }

        await eventually(recovered, timeout=15, interval=0.05, message="not every symbol is back")
    disconnects = [e for e in client.errors.drain() if isinstance(e, StreamDisconnected)]
    assert len(disconnects) == 1
    assert disconnects[0].stream == "dxlink"
    assert disconnects[0].code == 1012
    assert [h.generation for h in hooks] == [2]  # the hook ran once, for the new session
    assert dx.subscriptions == expected  # replayed by the streamer, AAPL included
    assert dx.state is StreamState.RUNNING


async def test_reconnect_after_all_tokens_expired(
    client: Client, dx: DXLinkStreamer, sandbox: SandboxServer
) -> None:
    with dx.listen(100_000, event_types=["Quote"]) as listener:
        events = Collector(listener)
        dx.on_reconnect(events.on_reconnect())
        await dx.subscribe("Quote", ["SPY", "AAPL"])

        async def quoting() -> bool:
            return {e.event_symbol for e in events.pump()} == {"SPY", "AAPL"}

        await eventually(quoting, timeout=10, interval=0.05)
        refreshes = client.auth.refreshes
        fetches = client.quote_tokens.fetches
        await admin(sandbox, "tokens/expire")  # access and quote tokens alike
        await admin(sandbox, "streams/drop", {"stream": "dxlink"})

        async def back() -> bool:
            return {e.event_symbol for e in events.since_last_reconnect()} == {"SPY", "AAPL"}

        await eventually(back, timeout=15, interval=0.05, message="no quotes after re-auth")
    assert client.quote_tokens.fetches > fetches  # the rejected quote token was replaced…
    assert client.auth.refreshes > refreshes  # …which needed a new access token (401 → refresh)
    kinds: list[Any] = [type(e).__name__ for e in client.errors.drain()]
    assert "StreamDisconnected" in kinds
    assert "Unrecoverable" not in kinds


async def test_quote_token_is_renewed_before_it_expires_and_reconnects_with_the_new_one() -> None:
    async with (
        open_sandbox(quote_token_ttl=2.0) as server,
        open_client(server) as client,
        client.dxlink(aggregation_period=0.05, reconnect_backoff=Backoff(base=0.05, cap=0.2)) as dx,
    ):
        with dx.listen() as listener:
            events = Collector(listener)
            dx.on_reconnect(events.on_reconnect())
            await dx.subscribe("Quote", ["SPY"])

            async def quoting() -> bool:
                return bool(events.pump())

            await eventually(quoting, timeout=10, interval=0.05, message="no quotes")
            first = await client.quote_tokens.get()  # the cached one: no fetch
            assert client.quote_tokens.fetches == 1

            async def renewed() -> bool:
                return client.quote_tokens.fetches >= 2

            await eventually(renewed, timeout=10, interval=0.05, message="token never renewed")
            renewed_at = len(events.pump())

            async def flowing() -> bool:
                return len(events.pump()) > renewed_at + 2

            await eventually(flowing, timeout=10, interval=0.05, message="quotes stopped")
            assert dx.generation == 1  # re-authorized in place, no reconnect
            assert client.errors.drain() == []

            # once the server refuses the first token, a reconnect must use the renewed one
            async def first_expired() -> bool:
                return not server.runtime.tokens.validate_quote(first.token)

            await eventually(first_expired, timeout=10, interval=0.05)
            await admin(server, "streams/drop", {"stream": "dxlink"})

            async def back() -> bool:
                return dx.generation == 2 and bool(events.since_last_reconnect())

            await eventually(back, timeout=15, interval=0.05, message="no quotes after reconnect")
        errors = client.errors.drain()
    assert not any("UNAUTHORIZED" in e.message for e in errors)
    assert sum(isinstance(e, StreamDisconnected) for e in errors) == 1


async def test_index_quotes_carry_nan_sizes_and_unsubscribe_stops_a_symbol(
    client: Client, dx: DXLinkStreamer
) -> None:
    def quotes(symbol: str, since: int = 0) -> list[Quote]:
        return [
            e for e in events.items[since:] if isinstance(e, Quote) and e.event_symbol == symbol
        ]

    with dx.listen() as listener:
        events = Collector(listener)
        await dx.subscribe("Quote", ["SPX", "SPY"])

        async def both() -> bool:
            events.pump()
            return bool(quotes("SPX")) and bool(quotes("SPY"))

        await eventually(both, timeout=10, interval=0.02)
        spx = quotes("SPX")[0]
        assert math.isnan(spx.bid_size)
        assert math.isnan(spx.ask_size)
        assert 0 < spx.bid_price <= spx.ask_price  # prices are real numbers
        assert spx.bid_exchange_code == "\x00"  # indices send NUL exchange codes
        assert not math.isnan(quotes("SPY")[0].bid_size)

        await dx.unsubscribe("Quote", ["SPY"])
        assert dx.subscriptions["Quote"] == {"SPX": None}
        start = len(events.pump())

        async def settled() -> int:  # one more SPX frame: anything sent before is in
            events.pump()
            return len(events.items) if quotes("SPX", start) else 0

        marker = await eventually(settled, timeout=10, interval=0.02)

        async def more_spx() -> bool:
            events.pump()
            return len(quotes("SPX", marker)) >= 4

        await eventually(more_spx, timeout=10, interval=0.02)
        assert quotes("SPY", marker) == []
    assert client.errors.drain() == []
