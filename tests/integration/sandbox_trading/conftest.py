"""A real sandbox on port 0, raw httpx and websockets clients, and small helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.support import eventually

OPEN = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # a Wednesday, 10:00 CT: equities open
UA = {"User-Agent": "tastystream-tests/1.0"}
ACCOUNT = "5WT00001"
ADMIN = {"X-Sandbox-Admin": "sandbox-admin"}


def config(**overrides: Any) -> SandboxConfig:
    base: dict[str, Any] = {"port": 0, "clock_start": OPEN, "streamer_idle_timeout": 5.0}
    base.update(overrides)
    return SandboxConfig(**base)


async def login(client: httpx.AsyncClient, refresh_token: str = "sandbox-refresh-token") -> str:
    response = await client.post(
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_secret": "sandbox-client-secret",
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@dataclass
class Session:
    server: SandboxServer
    client: httpx.AsyncClient
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.auth)

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.auth)

    async def admin(self, path: str, body: Any | None = None) -> httpx.Response:
        response = await self.client.post(f"/_sandbox/{path}", json=body or {}, headers=ADMIN)
        assert response.status_code == 200, response.text
        return response


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    async with (
        SandboxServer(config()) as server,
        httpx.AsyncClient(base_url=server.base_url, headers=UA, timeout=10) as client,
    ):
        yield Session(server, client, await login(client))


@dataclass
class Streamer:
    ws: ClientConnection
    token: str
    received: list[dict[str, Any]] = field(default_factory=list)
    request_id: int = 0

    async def send(self, action: str, value: Any = None) -> dict[str, Any]:
        """Send an action and wait for its ack (notifications seen meanwhile are kept)."""
        self.request_id += 1
        message: dict[str, Any] = {
            "action": action,
            "auth-token": f"Bearer {self.token}",
            "request-id": self.request_id,
        }
        if value is not None:
            message["value"] = value
        await self.ws.send(orjson.dumps(message).decode())
        while True:
            frame: dict[str, Any] = orjson.loads(await self.ws.recv())
            if frame.get("request-id") == self.request_id:
                return frame
            self.received.append(frame)

    async def until(self, predicate: Any, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Collect notifications until ``predicate(received)`` holds."""

        async def probe() -> bool:
            while (raw := await _recv(self.ws, 0.05)) is not None:
                self.received.append(orjson.loads(raw))
            return bool(predicate(self.received))

        await eventually(probe, timeout=timeout, interval=0.01)
        return self.received

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f["data"] for f in self.received if f.get("type") == kind]


async def _recv(ws: ClientConnection, timeout: float) -> str | bytes | None:
    try:
        return await asyncio.wait_for(ws.recv(), timeout)
    except TimeoutError:
        return None


@pytest.fixture
async def streamer(session: Session) -> AsyncIterator[Streamer]:
    async with connect(session.server.streamer_url) as ws:
        stream = Streamer(ws, session.token)
        ack = await stream.send("connect", [ACCOUNT])
        assert ack["status"] == "ok", ack
        yield stream


def market_order(
    symbol: str = "AAPL", quantity: int = 10, action: str = "Buy to Open"
) -> dict[str, Any]:
    return {
        "time-in-force": "Day",
        "order-type": "Market",
        "legs": [
            {"instrument-type": "Equity", "symbol": symbol, "action": action, "quantity": quantity}
        ],
    }


def limit_order(
    price: str, effect: str, action: str, symbol: str = "AAPL", quantity: int = 10
) -> dict[str, Any]:
    return {
        "time-in-force": "Day",
        "order-type": "Limit",
        "price": price,
        "price-effect": effect,
        "legs": [
            {"instrument-type": "Equity", "symbol": symbol, "action": action, "quantity": quantity}
        ],
    }
