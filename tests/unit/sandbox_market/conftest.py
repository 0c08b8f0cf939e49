"""Fixtures for the market side of the sandbox: a frozen clock during regular hours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from sandbox.clock import SimClock
from sandbox.market import Market
from sandbox.market_api import market_routes

# Tuesday 2026-11-24 11:00 CT: equities in regular session, CME and crypto open.
OPEN_TIME = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "tastytrade"


@pytest.fixture
def market() -> Market:
    return Market(seed=42, clock=SimClock(OPEN_TIME, speed=0))


@pytest.fixture
async def api(market: Market) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=market_routes(market))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client
