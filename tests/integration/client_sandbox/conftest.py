"""Our Tastytrade ``Client`` against a real in-process sandbox over real sockets.

Fixtures:

* ``sandbox`` — a fresh :class:`SandboxServer` per test (port 0, market clock set to a
  Wednesday 10:00 CT so equities trade).
* ``client`` — a :class:`Client` (OAuth2 + ``HttpSession`` + ``Rest``) logged in to ``sandbox``
  with a fast retry policy so retried faults cost milliseconds.
* ``open_sandbox`` / ``open_client`` — the same as async context managers, for tests that need
  their own configuration (short token lifetimes, seeds, two sandboxes at once).
* ``module_server`` / ``module_client`` — one sandbox per module (and a client per test on the
  module's event loop) for stream-only modules whose tests leave no account state behind; they
  opt in with ``pytestmark = pytest.mark.asyncio(loop_scope="module")``.

``warnings_of(client)`` drains the client's error stream and returns the parse problems on it.
``tests/integration/client_core`` reuses these helpers (one copy of the sandbox/client setup).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio

from adapters.tastytrade import (
    Backoff,
    Client,
    ParseFailure,
    ParseWarning,
    RetryPolicy,
    TastytradeError,
)
from adapters.tastytrade.models import Order
from sandbox.config import DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, SandboxConfig
from sandbox.server import SandboxServer
from tests.support import eventually

OPEN = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # a Wednesday, 10:00 CT: equities open
ACCOUNT = "5WT00001"
ADMIN_HEADERS = {"X-Sandbox-Admin": "sandbox-admin"}
FAST_RETRY = RetryPolicy(attempts=4, backoff=Backoff(base=0.01, cap=0.05))


def sandbox_config(**overrides: Any) -> SandboxConfig:
    """Port 0, an open market, short idle timeouts; ``overrides`` win."""
    base: dict[str, Any] = {"port": 0, "clock_start": OPEN, "streamer_idle_timeout": 5.0}
    base.update(overrides)
    return SandboxConfig(**base)


@contextlib.asynccontextmanager
async def open_sandbox(**overrides: Any) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(sandbox_config(**overrides)) as server:
        yield server


@contextlib.asynccontextmanager
async def open_client(
    server: SandboxServer,
    *,
    refresh_token: str = DEFAULT_REFRESH_TOKEN,
    **options: Any,
) -> AsyncIterator[Client]:
    options.setdefault("retry_policy", FAST_RETRY)
    options.setdefault("timeout", 5.0)
    async with Client(
        client_secret=DEFAULT_CLIENT_SECRET,
        refresh_token=refresh_token,
        base_url=server.base_url,
        streamer_url=server.streamer_url,
        environment="custom",
        **options,
    ) as client:
        yield client


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with open_sandbox() as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[Client]:
    async with open_client(sandbox) as api:
        yield api


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def module_server() -> AsyncIterator[SandboxServer]:
    async with open_sandbox() as server:
        yield server


@pytest_asyncio.fixture(loop_scope="module")
async def module_client(module_server: SandboxServer) -> AsyncIterator[Client]:
    async with open_client(module_server) as api:
        yield api


def parse_problems(errors: list[TastytradeError]) -> list[TastytradeError]:
    return [e for e in errors if isinstance(e, ParseWarning | ParseFailure)]


def warnings_of(client: Client) -> list[str]:
    """Drain the error stream; every parse warning/failure as ``Model.field: message``."""
    return [
        f"{getattr(e, 'model', '')}.{getattr(e, 'field_name', '')}: {e.message}"
        for e in parse_problems(client.errors.drain())
    ]


async def wait_status(
    client: Client, order_id: int, *wanted: str, account: str = ACCOUNT, timeout: float = 10.0
) -> Order:
    """Poll ``GET /orders/{id}`` until its status is one of ``wanted``; return the order."""

    async def probe() -> Order | None:
        order = await client.rest.orders.get(account, order_id)
        return order if str(order.status) in wanted else None

    found = await eventually(
        probe, timeout=timeout, interval=0.02, message=f"order {order_id} never {wanted}"
    )
    assert found is not None
    return found


def money(value: Decimal | None) -> Decimal:
    assert value is not None
    return value


async def admin(server: SandboxServer, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the documented ``/_sandbox/<path>`` admin API over HTTP; return its ``data``."""
    async with httpx.AsyncClient(base_url=server.base_url, headers=ADMIN_HEADERS) as http:
        response = await http.post(f"/_sandbox/{path}", json=body or {})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def admin_status(server: SandboxServer) -> dict[str, Any]:
    """``GET /_sandbox/status``: connections, armed and injected faults, clock, order count."""
    async with httpx.AsyncClient(base_url=server.base_url, headers=ADMIN_HEADERS) as http:
        response = await http.get("/_sandbox/status")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data
