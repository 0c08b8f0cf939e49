"""Former sandbox mismatches with the wire reference, fixed; kept as regressions.

* ``/market-time/equities/sessions/{current,next,previous}`` honour ``current-time`` and
  ``date`` (§4.7), and refuse malformed values with the error envelope (400).
* Orders placed after ``POST /_sandbox/reset`` still walk their lifecycle (the engine's index of
  working orders used to miss the first new order: same count and same id as before the reset).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from adapters.tastytrade import ApiError, Client
from adapters.tastytrade.models import (
    InstrumentType,
    MarketSessionState,
    OrderAction,
)
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import ACCOUNT, admin, admin_status, wait_status

BUY_AAPL = NewOrder.market(
    NewOrderLeg(InstrumentType.EQUITY, "AAPL", OrderAction.BUY_TO_OPEN, Decimal(10))
)


async def test_equity_sessions_honour_current_time_and_date(client: Client) -> None:
    saturday = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
    current = await client.rest.sessions.equity_current(current_time=saturday)
    assert current.state == MarketSessionState.CLOSED
    assert current.session_date == date(2026, 11, 30)  # the session to come: Monday
    assert current.previous_session is not None
    assert current.previous_session.session_date == date(2026, 11, 27)  # Black Friday half day
    upcoming = await client.rest.sessions.equity_next(day=date(2026, 11, 20))
    assert upcoming.session_date == date(2026, 11, 23)
    previous = await client.rest.sessions.equity_previous(day=date(2026, 11, 20))
    assert previous.session_date == date(2026, 11, 19)
    # over Thanksgiving (Thursday 2026-11-26): the holiday has no session
    assert (await client.rest.sessions.equity_next(day=date(2026, 11, 25))).session_date == date(
        2026, 11, 27
    )
    assert (
        await client.rest.sessions.equity_previous(day=date(2026, 11, 27))
    ).session_date == date(2026, 11, 25)


async def test_equity_sessions_without_parameters_follow_the_sandbox_clock(
    client: Client,
) -> None:
    current = await client.rest.sessions.equity_current()  # the clock: Wednesday 10:00 CT
    assert current.state == MarketSessionState.OPEN
    assert current.session_date == date(2026, 11, 25)
    assert (await client.rest.sessions.equity_next()).session_date == date(2026, 11, 27)
    assert (await client.rest.sessions.equity_previous()).session_date == date(2026, 11, 24)


async def test_current_time_with_an_offset_is_read_in_that_offset(client: Client) -> None:
    # 08:00 in Chicago on Monday 2026-11-30 is pre-market (regular hours open at 08:30 CT)
    at = datetime.fromisoformat("2026-11-30T08:00:00-06:00")
    current = await client.rest.sessions.equity_current(current_time=at)
    assert current.state == MarketSessionState.PRE_MARKET
    assert current.session_date == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("current", {"current-time": "yesterday"}),
        ("current", {"current-time": "2026-11-28T25:00:00Z"}),
        ("next", {"date": "2026-02-30"}),
        ("previous", {"date": "20261120"}),
    ],
)
async def test_malformed_session_parameters_are_400_with_the_error_envelope(
    sandbox: SandboxServer, client: Client, path: str, query: dict[str, str]
) -> None:
    with pytest.raises(ApiError) as raised:
        await client.http.get_data(f"/market-time/equities/sessions/{path}", query)
    assert raised.value.status == 400
    assert raised.value.code == "invalid_parameter"
    name = next(iter(query))
    assert name in raised.value.api_message
    # the raw envelope, as any client sees it
    token = await client.auth.access_token()
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.get(
            f"/market-time/equities/sessions/{path}",
            params=query,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "tastystream-tests/1.0"},
        )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "invalid_parameter"


async def test_orders_still_work_after_an_admin_reset(
    client: Client, sandbox: SandboxServer
) -> None:
    first = await client.rest.orders.place(ACCOUNT, BUY_AAPL)
    assert first.order.id is not None
    await wait_status(client, first.order.id, "Filled")
    await admin(sandbox, "reset")
    assert (await admin_status(sandbox))["orders"] == 0
    second = await client.rest.orders.place(ACCOUNT, BUY_AAPL)
    assert second.order.id == first.order.id  # ids start over: the case that used to stick
    await wait_status(client, second.order.id, "Filled")
    positions = await client.rest.positions.get_positions(ACCOUNT)
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", Decimal(10))]


async def test_a_reset_while_an_order_works_forgets_it_and_new_orders_still_fill(
    client: Client, sandbox: SandboxServer
) -> None:
    resting = NewOrder.limit(  # a bid far below the market: rests Live
        [NewOrderLeg(InstrumentType.EQUITY, "AAPL", OrderAction.BUY_TO_OPEN, Decimal(1))],
        Decimal("-1.00"),
    )
    working = await client.rest.orders.place(ACCOUNT, resting)
    assert working.order.id is not None
    await wait_status(client, working.order.id, "Live")
    await admin(sandbox, "reset")
    placed = await client.rest.orders.place(ACCOUNT, BUY_AAPL)
    assert placed.order.id is not None
    filled = await wait_status(client, placed.order.id, "Filled")
    assert filled.size == Decimal(10)
    assert (await admin_status(sandbox))["orders"] == 1  # the working order was wiped
