"""An engine on a temp directory and an in-process HTTP client for the ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tastystream.stack.clickhouse import (
    ClickHouseApp,
    Credentials,
    Engine,
    EngineLimits,
    HttpLimits,
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    async with Engine(tmp_path / "ch", EngineLimits(max_concurrent_queries=4)) as eng:
        yield eng


@pytest.fixture
async def http(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    app = ClickHouseApp(engine, Credentials(), HttpLimits(max_body_size=1 << 20))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ch") as client:
        yield client
