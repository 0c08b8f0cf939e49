"""Websocket fault kinds as the client sees them: malformed frames are reported and survived,
frozen sockets are detected by the silence watchdog and replaced, a paused symbol goes quiet,
unknown symbols produce nothing."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from adapters.tastytrade import (
    Backoff,
    Client,
    DXLinkStreamer,
    MarketEvent,
    Quote,
    Reconciliation,
    StreamDisconnected,
    StreamError,
    StreamState,
)
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import ACCOUNT, admin, open_client, open_sandbox
from tests.integration.client_sandbox.streams import Collector
from tests.support import eventually

FAST = Backoff(base=0.05, cap=0.2)


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
        aggregation_period=0.05,
        keepalive_interval=0.3,
        keepalive_timeout=1.0,
        reconnect_backoff=FAST,
    ) as streamer:
        yield streamer


def quotes_of(events: list[MarketEvent], symbol: str) -> list[Quote]:
    return [e for e in events if isinstance(e, Quote) and e.event_symbol == symbol]


async def more_quotes(events: Collector[MarketEvent], symbol: str, count: int) -> None:
    start = len(quotes_of(events.pump(), symbol))

    async def arrived() -> bool:
        return len(quotes_of(events.pump(), symbol)) >= start + count

    await eventually(arrived, timeout=10, interval=0.02, message=f"{symbol} quotes stopped")


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("garbage", "not JSON"),
        ("truncated", "not JSON"),
        ("bad-compact", "not a multiple"),
    ],
)
async def test_malformed_dxlink_frames_are_reported_and_survived(
    client: Client, dx: DXLinkStreamer, sandbox: SandboxServer, kind: str, message: str
) -> None:
    with dx.listen() as listener:
        events = Collector(listener)
        await dx.subscribe("Quote", ["SPY"])
        await more_quotes(events, "SPY", 1)
        sent = await admin(sandbox, "streams/malformed", {"stream": "dxlink", "kind": kind})
        assert sent["dxlink"] == 1

        async def reported() -> list[StreamError]:
            return [e for e in client.errors.drain() if isinstance(e, StreamError)]

        (error,) = await eventually(reported, timeout=5, interval=0.02)
        assert message in error.message
        assert not isinstance(error, StreamDisconnected)
        await more_quotes(events, "SPY", 2)  # same connection, still decoding
    assert dx.generation == 1
    assert dx.state is StreamState.RUNNING


async def test_frozen_dxlink_socket_is_detected_and_replaced(
    client: Client, dx: DXLinkStreamer, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with dx.listen() as listener:
        events = Collector(listener)
        dx.on_reconnect(events.on_reconnect())
        await dx.subscribe("Quote", ["SPY"])
        await more_quotes(events, "SPY", 1)
        await admin(sandbox, "streams/freeze", {"stream": "dxlink", "seconds": 1.5})

        async def back() -> bool:
            return dx.generation == 2 and bool(quotes_of(events.since_last_reconnect(), "SPY"))

        await eventually(back, timeout=10, interval=0.05, message="no quotes after the freeze")
    (disconnect,) = [e for e in client.errors.drain() if isinstance(e, StreamDisconnected)]
    assert "no frame" in disconnect.message
    # the outage is logged once when it starts and once with its counts, both WARNING; each
    # failed attempt only at DEBUG
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


async def test_paused_symbol_goes_quiet_on_dxlink_and_unknown_symbols_stay_silent(
    client: Client, dx: DXLinkStreamer, sandbox: SandboxServer
) -> None:
    with dx.listen() as listener:
        events = Collector(listener)
        await dx.subscribe("Quote", ["SPY", "AAPL", "NOPE", ".NOPE261127C100"])
        await more_quotes(events, "AAPL", 1)
        await more_quotes(events, "SPY", 1)
        await admin(sandbox, "symbols/pause", {"symbol": "AAPL", "paused": True})
        await more_quotes(events, "SPY", 1)  # frames built before the pause have arrived
        paused_at = len(events.pump())
        await more_quotes(events, "SPY", 4)
        assert quotes_of(events.items[paused_at:], "AAPL") == []
        await admin(sandbox, "symbols/pause", {"symbol": "AAPL", "paused": False})
        await more_quotes(events, "AAPL", 1)
    assert {e.event_symbol for e in events.items} == {"SPY", "AAPL"}
    assert client.errors.drain() == []


async def test_account_stream_survives_malformed_frames_and_replaces_a_frozen_socket(
    client: Client, sandbox: SandboxServer
) -> None:
    async with client.account_stream(
        [ACCOUNT], heartbeat_interval=0.3, idle_timeout=1.0, reconnect_backoff=FAST
    ) as stream:
        with stream.listen() as listener:
            events = Collector(listener)

            async def snapshots(count: int) -> bool:
                return sum(isinstance(e, Reconciliation) for e in events.pump()) >= count

            await eventually(lambda: snapshots(1), timeout=10, interval=0.02)
            for kind in ("garbage", "truncated"):
                await admin(sandbox, "streams/malformed", {"stream": "account", "kind": kind})

            async def reported() -> list[StreamError]:
                found = [e for e in client.errors.drain() if isinstance(e, StreamError)]
                return found if len(found) == 2 else []

            errors = await eventually(reported, timeout=5, interval=0.02)
            assert all("not JSON" in e.message for e in errors)
            assert not any(isinstance(e, StreamDisconnected) for e in errors)
            await admin(sandbox, "streams/freeze", {"stream": "account", "seconds": 2})
            await eventually(lambda: snapshots(2), timeout=10, interval=0.05)
        assert stream.state is StreamState.RUNNING
    (disconnect,) = [e for e in client.errors.drain() if isinstance(e, StreamDisconnected)]
    assert disconnect.stream == "account"
    assert "no frame" in disconnect.message


async def test_client_keeps_alive_within_the_servers_announced_timeout() -> None:
    """The server announces a 0.6 s keepalive timeout in SETUP; a client configured for 5 s
    keepalives must adapt, or the server ends the session with ``ERROR TIMEOUT``."""
    async with (
        open_sandbox(dxlink_keepalive_timeout=0.6) as server,
        open_client(server) as api,
        api.dxlink(aggregation_period=0.05, keepalive_interval=5.0, reconnect_backoff=FAST) as dx,
    ):
        with dx.listen() as listener:
            events = Collector(listener)
            await dx.subscribe("Quote", ["SPY"])
            started = time.monotonic()

            async def survived() -> bool:  # three server timeouts long, quotes still flowing
                recent = quotes_of(events.pump()[-5:], "SPY")
                return time.monotonic() - started > 1.8 and bool(recent)

            await eventually(survived, timeout=10, interval=0.1)
        assert dx.generation == 1
    assert api.errors.drain() == []
