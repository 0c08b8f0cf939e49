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
    eng = Engine(tmp_path / "ch", EngineLimits(max_concurrent_queries=4))
    try:
        await eng.__aenter__()
    except RuntimeError as exc:
        if "already initialized" not in str(exc):
            raise
        pytest.fail(
            "chdb hosts one data directory per process and another test keeps an engine open "
            f"(a session-scoped chdb fixture?); run tests/unit/clickhouse first or alone: {exc}"
        )
    try:
        yield eng
    finally:
        await eng.__aexit__(None, None, None)


@pytest.fixture
async def http(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    app = ClickHouseApp(engine, Credentials(), HttpLimits(max_body_size=1 << 20))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8123") as client:
        yield client
