"""The client core (auth, DXLink, account streamer) against the real sandbox over sockets."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.tastytrade import Backoff, Client, RetryPolicy
from sandbox.config import DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, SandboxConfig
from sandbox.server import SandboxServer

OPEN = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # a Wednesday, 10:00 CT: markets open
ACCOUNT = "5WT00001"
FAST_RETRY = RetryPolicy(attempts=4, backoff=Backoff(base=0.01, cap=0.05))
FAST_RECONNECT = Backoff(base=0.02, cap=0.2)


@contextlib.asynccontextmanager
async def open_sandbox(**overrides: Any) -> AsyncIterator[SandboxServer]:
    options: dict[str, Any] = {"port": 0, "clock_start": OPEN, "streamer_idle_timeout": 10.0}
    options.update(overrides)
    async with SandboxServer(SandboxConfig(**options)) as server:
        yield server


@contextlib.asynccontextmanager
async def open_client(server: SandboxServer, **options: Any) -> AsyncIterator[Client]:
    options.setdefault("retry_policy", FAST_RETRY)
    options.setdefault("timeout", 5.0)
    async with Client(
        client_secret=DEFAULT_CLIENT_SECRET,
        refresh_token=DEFAULT_REFRESH_TOKEN,
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
