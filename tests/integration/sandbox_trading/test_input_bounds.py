"""Issue 9 §4 on a real sandbox: an out-of-range clock is refused, and a market step that fails
is skipped — DXLink keeps streaming and the order engine keeps filling (it used to be that the
market task died, its task group cancelled the engine and DXLink went down until a reset)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets

from sandbox.market import Market
from tests.integration.sandbox_market.conftest import DxClient
from tests.integration.sandbox_trading.conftest import ACCOUNT, ADMIN, Session, market_order
from tests.support import eventually

QUOTE_FIELDS = {"Quote": ["eventType", "eventSymbol", "bidPrice", "askPrice"]}


@pytest.fixture
async def dx(session: Session) -> AsyncIterator[DxClient]:
    token = (await session.get("/api-quote-tokens")).json()["data"]
    async with websockets.connect(token["dxlink-url"], max_size=2**24) as ws:
        client = DxClient(ws)
        await client.handshake(token["token"])
        assert (await client.expect("AUTH_STATE"))["state"] == "AUTHORIZED"
        await client.open_feed(1, QUOTE_FIELDS)
        await client.send(
            {"type": "FEED_SUBSCRIPTION", "channel": 1, "add": [{"type": "Quote", "symbol": "SPY"}]}
        )
        yield client


async def quotes_keep_coming(dx: DxClient, more: int = 2) -> None:
    """``more`` new FEED_DATA frames arrive on the open connection."""
    before = len(dx.data(1))
    while len(dx.data(1)) < before + more:
        await dx.recv(timeout=10)


async def an_order_fills(session: Session) -> None:
    placed = await session.post(f"/accounts/{ACCOUNT}/orders", market_order("AAPL", 1))
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["data"]["order"]["id"]

    async def filled() -> bool:
        order: dict[str, Any] = (await session.get(f"/accounts/{ACCOUNT}/orders/{order_id}")).json()
        return bool(order["data"]["status"] == "Filled")

    await eventually(filled, timeout=15, message="the order engine stopped filling")


async def test_a_clock_past_the_calendar_is_refused_and_nothing_stops(
    session: Session, dx: DxClient
) -> None:
    await quotes_keep_coming(dx)
    before = (await session.admin("clock")).json()["data"]["now"]
    refused = await session.client.post(
        "/_sandbox/clock", json={"set": "9999-12-31T23:59:59Z"}, headers=ADMIN
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "invalid_request"
    assert "2199-12-31" in refused.json()["error"]["message"]
    after = (await session.admin("clock")).json()["data"]["now"]
    assert after[:13] == before[:13]  # the clock was not moved (it runs at wall pace)
    await quotes_keep_coming(dx)
    await an_order_fills(session)


async def test_a_failing_market_step_is_skipped_and_nothing_stops(
    session: Session, dx: DxClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    market = session.server.market
    assert isinstance(market, Market)
    notify = market._notify_changes
    failures = {"left": 5}

    def flaky() -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise OverflowError("date value out of range")
        notify()

    monkeypatch.setattr(market, "_notify_changes", flaky)

    async def all_failed() -> bool:
        return failures["left"] == 0

    await eventually(all_failed, timeout=10, message="the market task stopped stepping")
    await quotes_keep_coming(dx)
    await an_order_fills(session)
    assert (await session.get("/customers/me")).status_code == 200
