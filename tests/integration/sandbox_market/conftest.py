"""A minimal server around the market side of the sandbox: market REST routes and DXLink under
uvicorn on a real socket (the trading side's full ``SandboxServer`` is tested separately)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from sandbox.clock import SimClock
from sandbox.dxlink import DxlinkService
from sandbox.market import Market
from sandbox.market_api import market_routes
from tests.support import eventually

TOKEN = "quote-token-ok"
# A Tuesday, 11:00 CT: equities regular session, CME open, crypto open.
OPEN_TIME = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


@dataclass
class MarketServer:
    market: Market
    dxlink: DxlinkService
    base_url: str
    dxlink_url: str


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # embedded: the test process owns signals
        return


async def start_server(
    market: Market, *, keepalive_timeout: float = 60.0
) -> tuple[MarketServer, _Server, asyncio.Task[None], socket.socket]:
    dxlink = DxlinkService(
        market, lambda token: token == TOKEN, keepalive_timeout=keepalive_timeout
    )
    app = Starlette(routes=[*market_routes(market), WebSocketRoute("/dxlink", dxlink.endpoint)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, access_log=False, ws="websockets-sansio", lifespan="off"
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def up_or_failed() -> bool:
        return server.started or task.done()

    await eventually(up_or_failed, timeout=5, interval=0.01, message="uvicorn did not start")
    assert server.started, "uvicorn stopped before it started"
    info = MarketServer(market, dxlink, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/dxlink")
    return info, server, task, sock


async def stop_server(server: _Server, task: asyncio.Task[None], sock: socket.socket) -> None:
    server.should_exit = True
    await asyncio.wait_for(task, 10)
    sock.close()


@pytest.fixture
async def market_server(request: pytest.FixtureRequest) -> AsyncIterator[MarketServer]:
    marker = request.node.get_closest_marker("dxlink_keepalive")
    keepalive = float(marker.args[0]) if marker else 60.0
    speed_marker = request.node.get_closest_marker("clock_speed")
    speed = float(speed_marker.args[0]) if speed_marker else 1.0
    market = Market(seed=7, clock=SimClock(OPEN_TIME, speed=speed))
    info, server, task, sock = await start_server(market, keepalive_timeout=keepalive)
    try:
        yield info
    finally:
        await stop_server(server, task, sock)


class DxClient:
    """A raw DXLink client over ``websockets`` that records every frame it receives."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.raw: list[str] = []

    async def send(self, msg: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(msg).decode())

    async def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(text, str)
        self.raw.append(text)
        msg: dict[str, Any] = orjson.loads(text)
        self.frames.append(msg)
        return msg

    async def expect(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        """Receive until a message of ``kind`` arrives (data frames in between are kept)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            msg = await self.recv(max(0.01, deadline - loop.time()))
            if msg["type"] == kind:
                return msg

    async def handshake(self, token: str = TOKEN) -> None:
        await self.send(
            {"type": "SETUP", "channel": 0, "keepaliveTimeout": 60, "acceptKeepaliveTimeout": 60,
             "version": "0.1-test"}
        )  # fmt: skip
        assert (await self.recv())["type"] == "SETUP"
        assert (await self.recv()) == {"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"}
        await self.send({"type": "AUTH", "channel": 0, "token": token})

    async def open_feed(
        self,
        channel: int,
        fields: dict[str, list[str]] | None,
        *,
        data_format: str = "COMPACT",
        contract: str = "AUTO",
        aggregation: float = 0.0,
    ) -> dict[str, Any]:
        await self.send(
            {"type": "CHANNEL_REQUEST", "channel": channel, "service": "FEED",
             "parameters": {"contract": contract}}
        )  # fmt: skip
        opened = await self.expect("CHANNEL_OPENED")
        assert opened["parameters"] == {"contract": contract, "subFormat": "LIST"}
        setup: dict[str, Any] = {
            "type": "FEED_SETUP",
            "channel": channel,
            "acceptAggregationPeriod": aggregation,
            "acceptDataFormat": data_format,
        }
        if fields is not None:
            setup["acceptEventFields"] = fields
        await self.send(setup)
        return await self.expect("FEED_CONFIG")

    def data(self, channel: int | None = None) -> list[dict[str, Any]]:
        return [
            f for f in self.frames
            if f["type"] == "FEED_DATA" and (channel is None or f["channel"] == channel)
        ]  # fmt: skip


def compact_events(
    frames: list[dict[str, Any]], fields: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Decode COMPACT FEED_DATA frames into dicts using the requested field lists."""
    out: list[dict[str, Any]] = []
    for frame in frames:
        data = frame["data"]
        for event_type, values in zip(data[0::2], data[1::2], strict=True):
            names = fields[event_type]
            assert len(values) % len(names) == 0, (event_type, len(values), len(names))
            for i in range(0, len(values), len(names)):
                out.append(
                    {
                        "eventType": event_type,
                        **dict(zip(names, values[i : i + len(names)], strict=True)),
                    }
                )
    return out


@pytest.fixture
async def dx(market_server: MarketServer) -> AsyncIterator[DxClient]:
    async with websockets.connect(market_server.dxlink_url, max_size=2**24) as ws:
        client = DxClient(ws)
        await client.handshake()
        auth = await client.expect("AUTH_STATE")
        assert auth["state"] == "AUTHORIZED"
        yield client


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "dxlink_keepalive(seconds): server keepalive timeout")
    config.addinivalue_line("markers", "clock_speed(speed): simulated clock speed")
