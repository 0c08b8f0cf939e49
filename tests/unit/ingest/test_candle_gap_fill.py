"""Candle gap fill on the real DXLink streamer's ``on_reconnect`` hook: the replay after a drop
asks for candles from the last one seen (not the whole look-back), in the same replay."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ingest.backfill import CandleGapFill, CandleTracker
from tests.support import eventually
from tests.unit.client_core.dxlink_server import FakeDXLink
from tests.unit.client_core.test_dxlink import running, streamer
from tests.unit.ingest.test_quote_ingestor import _candle

START = 1_700_000_000_000
LAST = START + 42 * 60_000


@pytest.fixture
async def server() -> AsyncIterator[FakeDXLink]:
    async with FakeDXLink() as fake:
        yield fake


async def _true(value: bool) -> bool:
    return value


async def test_the_replay_after_a_reconnect_starts_at_the_last_candle(server: FakeDXLink) -> None:
    tracker = CandleTracker()
    gap = CandleGapFill(tracker)
    dx = streamer(server)
    gap.attach(dx)
    async with dx:
        await dx.subscribe("Candle", ["SPY{=1m}", "QQQ{=1m}"], from_time=START)
        await running(dx)
        await eventually(lambda: _true(len(server.all_subs()) == 2))
        tracker.observe(_candle("SPY{=1m}", LAST))  # QQQ: nothing seen yet
        await server.drop()
        await running(dx, generation=2)
        await eventually(lambda: _true(len(server.connections) == 2))
        await eventually(lambda: _true(len(server.all_subs()) == 2))
        assert server.all_subs() == {
            ("Candle", "SPY{=1m}"): LAST,
            ("Candle", "QQQ{=1m}"): START,
        }
    assert gap.fills == 1
