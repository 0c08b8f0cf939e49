"""A sandbox whose clock sits inside US regular hours, tastyware repointed at it, and one
streamer symbol per instrument kind — shared by the third-party client tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest_asyncio
import tastytrade.session as tw_session
import tastytrade.streamer as tw_streamer
from tastytrade import Session

from sandbox.config import SandboxConfig
from sandbox.market import Market
from sandbox.server import SandboxServer
from sandbox.venue import MarketLike

# a Tuesday 09:00 CT: US equities (and CME, crypto) are in their regular session whenever CI runs
OPEN_MARKET = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = SandboxServer(replace(SandboxConfig(), port=0, clock_start=OPEN_MARKET))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(sandbox: SandboxServer) -> AsyncIterator[Session]:
    """tastyware's ``Session``, unchanged but for its base URLs (module constants)."""
    saved = (getattr(tw_session, "API_URL"), tw_streamer.STREAMER_URL)  # noqa: B009
    setattr(tw_session, "API_URL", sandbox.base_url)  # noqa: B010
    tw_streamer.STREAMER_URL = sandbox.streamer_url
    try:
        sess = Session(sandbox.config.client_secret, sandbox.config.refresh_token)
        async with sess:
            await sess.refresh()
            yield sess
    finally:
        setattr(tw_session, "API_URL", saved[0])  # noqa: B010
        tw_streamer.STREAMER_URL = saved[1]


def symbol_per_kind(market: MarketLike) -> dict[str, str]:
    """A liquid streamer symbol of every instrument kind (options near the money)."""
    assert isinstance(market, Market)  # the sandbox's own simulated market
    catalog = market.catalog
    exp = catalog.option_chain("SPY")[2]
    strike = exp.strikes[len(exp.strikes) // 2]
    option = catalog.instrument(
        f"{exp.root:<6}{exp.expiration_date:%y%m%d}C{int(strike * 1000):08d}"
    )
    assert option is not None
    future = catalog.futures("ES")[0]
    fop_exp = catalog.future_option_chain("ES")[1]
    fop_strike = fop_exp.strikes[len(fop_exp.strikes) // 2]
    return {
        "equity": "AAPL",
        "index": "SPX",
        "ETF": "SPY",
        "equity option": option.streamer_symbol,
        "future": future.streamer_symbol,
        "future option": fop_exp.streamer_symbol("C", fop_strike),
        "crypto": "BTC/USD:CXTALP",
    }
