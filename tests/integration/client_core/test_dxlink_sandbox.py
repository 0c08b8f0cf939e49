from __future__ import annotations

import asyncio
import math
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
    StreamDisconnected,
    StreamState,
)
from sandbox.server import SandboxServer
from tests.integration.client_core.conftest import FAST_RECONNECT
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
