from __future__ import annotations

import asyncio
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


async def test_handshake_quotes_and_candle_history(client: Client) -> None:
    async with client.dxlink(reconnect_backoff=FAST_RECONNECT) as dx:
        quotes = dx.listen(10_000, event_types={"Quote"})
        candles = dx.listen(10_000, event_types={"Candle"})
        await dx.subscribe("Quote", ["SPY", "AAPL"])
        one_hour_ago = int((time.time() - 3600) * 1000)
        await dx.subscribe("Candle", ["SPY{=1m}"], from_time=one_hour_ago)
        await running(dx)
        assert await collect(quotes, ["SPY", "AAPL"], Quote) == {"SPY", "AAPL"}
        first = await asyncio.wait_for(candles.get(), 20)
    assert isinstance(first, Candle)
    assert first.event_symbol == "SPY{=1m}"
    assert client.quote_tokens.fetches == 1
    assert not any(isinstance(e, StreamDisconnected) for e in client.errors.drain())
