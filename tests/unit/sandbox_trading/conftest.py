from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from sandbox.app import SandboxRuntime, create_app
from sandbox.config import SandboxConfig
from sandbox.engine import OrderEngine
from sandbox.faults import Faults
from sandbox.state import TradingState
from tests.unit.sandbox_trading.fakes import FakeMarket


@dataclass
class Recorder:
    frames: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, account_number: str, kind: str, data: dict[str, Any]) -> None:
        self.frames.append((account_number, kind, data))

    def kinds(self) -> list[str]:
        return [kind for _, kind, _ in self.frames]

    def order_statuses(self, order_id: int) -> list[str]:
        return [d["status"] for _, k, d in self.frames if k == "Order" and d.get("id") == order_id]


@dataclass
class Rig:
    engine: OrderEngine
    market: FakeMarket
    recorder: Recorder
    faults: Faults

    def settle(self, rounds: int = 10) -> None:
        for _ in range(rounds):
            self.engine.step()


def make_rig(size: str = "500", config: SandboxConfig | None = None) -> Rig:
    market = FakeMarket(size=size)
    recorder = Recorder()
    faults = Faults()
    engine = OrderEngine(config or SandboxConfig(), market, TradingState(), recorder, faults)
    engine.ensure_ledgers()
    return Rig(engine, market, recorder, faults)


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def equity_order(
    symbol: str = "AAPL",
    action: str = "Buy to Open",
    quantity: int | str = 10,
    order_type: str = "Market",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "time-in-force": "Day",
        "order-type": order_type,
        "legs": [
            {"instrument-type": "Equity", "symbol": symbol, "action": action, "quantity": quantity}
        ],
    }
    body.update(extra)
    return body


UA = {"User-Agent": "tastystream-tests/1.0"}


@dataclass
class Api:
    client: httpx.AsyncClient
    runtime: SandboxRuntime

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def post(self, path: str, body: Any, status: int = 201) -> Any:
        response = await self.client.post(path, json=body)
        assert response.status_code == status, response.text
        return response.json()["data"]


@contextlib.asynccontextmanager
async def open_api(*, raise_app_exceptions: bool = True) -> AsyncIterator[Api]:
    """A fresh sandbox app over ASGI with a client that holds an access token."""
    app = create_app(SandboxConfig(), FakeMarket())
    runtime: SandboxRuntime = app.state.sandbox
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox", headers=UA
    ) as client:
        token = await client.post(
            "/oauth/token",
            json={
                "grant_type": "refresh_token",
                "refresh_token": "sandbox-refresh-token",
                "client_secret": "sandbox-client-secret",
            },
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield Api(client, runtime)


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with open_api() as opened:
        yield opened
