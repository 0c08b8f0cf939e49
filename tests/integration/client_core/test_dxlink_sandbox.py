from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Collection

import pytest

from adapters.tastytrade import (
    Candle,
    Client,
    DXLinkStreamer,
    Listener,
    MarketEvent,
    Quote,
    Reconnected,
    StreamDisconnected,
    StreamState,
)
from sandbox.server import SandboxServer
from tests.integration.client_core.conftest import FAST_RECONNECT, open_client, open_sandbox
from tests.support import eventually

pytestmark = pytest.mark.integration


async def running(dx: DXLinkStreamer, generation: int = 1) -> None:
    async def probe() -> bool:
        return dx.state is StreamState.RUNNING and dx.generation >= generation

    await eventually(probe, timeout=20, message=f"dxlink generation {generation} running")


async def collect(
    listener: Listener[MarketEvent], symbols: Collection[str], kind: type, timeout: float = 20
) -> set[str]:
    """Read events until every symbol was seen with an event of ``kind``."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while not set(symbols) <= seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only saw {sorted(seen)} of {sorted(symbols)}"
        event = await asyncio.wait_for(listener.get(), remaining)
        if isinstance(event, kind):
            seen.add(event.event_symbol)
    return seen


SNAPSHOT_BEGIN, SNAPSHOT_END, REMOVE_EVENT = 0x4, 0x8, 0x2
HISTORY_MINUTES = 30


async def snapshot(listener: Listener[MarketEvent], timeout: float = 20) -> list[Candle]:
    """Candles up to and including the one flagged SNAPSHOT_END."""
    out: list[Candle] = []
    deadline = time.monotonic() + timeout
    while not out or not out[-1].event_flags & SNAPSHOT_END:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no SNAPSHOT_END after {len(out)} candles"
        event = await asyncio.wait_for(listener.get(), remaining)
        assert isinstance(event, Candle)
        out.append(event)
    return out


async def test_handshake_quotes_and_candle_history(sandbox: SandboxServer, client: Client) -> None:
    # history is asked for in the sandbox's time (its clock is set, not the wall clock's)
    now_ms = sandbox.admin.engine.market.clock.now_ms()
    from_ms = now_ms - now_ms % 60_000 - HISTORY_MINUTES * 60_000
    async with client.dxlink(reconnect_backoff=FAST_RECONNECT) as dx:
        quotes = dx.listen(10_000, event_types={"Quote"})
        candles = dx.listen(10_000, event_types={"Candle"})
        await dx.subscribe("Quote", ["SPY", "AAPL"])
        await dx.subscribe("Candle", ["SPY{=1m}"], from_time=from_ms)
        await running(dx)
        assert await collect(quotes, ["SPY", "AAPL"], Quote) == {"SPY", "AAPL"}
        history = await snapshot(candles)
    assert {c.event_symbol for c in history} == {"SPY{=1m}"}
    assert history[0].event_flags & SNAPSHOT_BEGIN
    assert not any(c.event_flags & REMOVE_EVENT for c in history)  # not an empty snapshot
    assert len(history) >= HISTORY_MINUTES  # one per minute from from_ms to now (and the live one)
    times = [c.time for c in history]
    assert min(times) >= from_ms
    assert max(times) <= now_ms + 60_000
    assert len(set(times)) == len(times)
    for c in history:
        prices = (c.open, c.high, c.low, c.close)
        assert all(math.isfinite(p) and p > 0 for p in prices), c
        assert c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high, c
    assert client.quote_tokens.fetches == 1
    assert not any(isinstance(e, StreamDisconnected) for e in client.errors.drain())


async def test_reconnect_after_forced_drop_keeps_every_subscription(
    sandbox: SandboxServer, client: Client
) -> None:
    hooks: list[Reconnected] = []
    async with client.dxlink(reconnect_backoff=FAST_RECONNECT) as dx:
        dx.on_reconnect(hooks.append)
        await dx.subscribe("Quote", ["SPY", "QQQ"])
        await running(dx)
        with dx.listen(10_000, event_types={"Quote"}) as before:
            await collect(before, ["SPY", "QQQ"], Quote)
        dropped = await sandbox.admin.drop_streams("dxlink")
        assert dropped["dxlink"] == 1
        await dx.subscribe("Quote", ["AAPL"])  # added while the socket is down or coming back
        await running(dx, generation=2)
        with dx.listen(10_000, event_types={"Quote"}) as after:
            assert await collect(after, ["SPY", "QQQ", "AAPL"], Quote) == {"SPY", "QQQ", "AAPL"}
    assert [h.generation for h in hooks] == [2]
    disconnects = [e for e in client.errors.drain() if isinstance(e, StreamDisconnected)]
    assert len(disconnects) == 1
    assert disconnects[0].code == 1012


async def test_frozen_server_detected_as_silent(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with open_sandbox() as sandbox, open_client(sandbox) as client:
        async with client.dxlink(
            reconnect_backoff=FAST_RECONNECT, keepalive_timeout=1.0, keepalive_interval=0.3
        ) as dx:
            await dx.subscribe("Quote", ["SPY"])
            await running(dx)
            sandbox.admin.freeze_streams("dxlink", 3.0)
            await running(dx, generation=2)
            with dx.listen(1000) as listener:
                await collect(listener, ["SPY"], Quote)
        reasons = [e.message for e in client.errors.drain() if isinstance(e, StreamDisconnected)]
    assert any("no frame for" in reason for reason in reasons)
    # the outage is logged once when it starts and once with its counts, both WARNING
    ours = [r for r in caplog.records if r.name == "adapters.tastytrade.dxlink"]
    warnings = [r.getMessage() for r in ours if r.levelno >= logging.WARNING]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("dxlink down (no frame for ")
    assert re.fullmatch(
        r"dxlink reconnected \(generation 2, down [\d.]+s, \d+ failed attempts\)", warnings[1]
    )
    per_attempt = [
        r
        for r in caplog.records
        if "disconnected" in r.getMessage() or "still down" in r.getMessage()
    ]
    assert {r.levelno for r in per_attempt} <= {logging.DEBUG}


async def test_expired_tokens_mid_stream_recover_on_reconnect(
    sandbox: SandboxServer, client: Client
) -> None:
    async with client.dxlink(reconnect_backoff=FAST_RECONNECT) as dx:
        await dx.subscribe("Quote", ["SPY"])
        await running(dx)
        sandbox.admin.expire_tokens()  # access and quote tokens die on the server
        await sandbox.admin.drop_streams("dxlink")
        await running(dx, generation=2)
        with dx.listen(1000) as listener:
            await collect(listener, ["SPY"], Quote)
    assert client.quote_tokens.fetches >= 2  # the rejected quote token was replaced
    assert client.auth.refreshes >= 2  # …through a refreshed access token (401 → refresh → replay)


async def test_quote_token_renewed_before_it_expires() -> None:
    async with open_sandbox(quote_token_ttl=3.0) as sandbox, open_client(sandbox) as client:
        async with client.dxlink(reconnect_backoff=FAST_RECONNECT) as dx:
            await dx.subscribe("Quote", ["SPY"])
            await running(dx)

            async def renewed() -> bool:
                return client.quote_tokens.fetches >= 2

            await eventually(renewed, timeout=15)
            await asyncio.sleep(1.0)  # past the first token's expiry
            await sandbox.admin.drop_streams("dxlink")
            await running(dx, generation=2)
            with dx.listen(1000) as listener:
                await collect(listener, ["SPY"], Quote)
        errors = client.errors.drain()
    assert not any("UNAUTHORIZED" in e.message for e in errors)
    assert sum(isinstance(e, StreamDisconnected) for e in errors) == 1
