"""Secrets never reach a log record: a whole session (OAuth, REST, an order, DXLink, the
account streamer with its per-message tokens) logged at the lowest level, library and
third-party loggers alike, before any redaction filter."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from adapters.tastytrade import Client, Quote
from adapters.tastytrade.models import InstrumentType, OrderAction
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from sandbox.config import DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN
from tests.integration.client_sandbox.conftest import ACCOUNT, wait_status
from tests.integration.client_sandbox.streams import Collector
from tests.support import eventually


async def test_no_secret_in_any_log_record(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(1)  # below TRACE: every record of every logger
    async with (
        client.dxlink(aggregation_period=0.05) as dx,
        client.account_stream([ACCOUNT], heartbeat_interval=0.2) as stream,
    ):
        with dx.listen() as quotes, stream.listen() as notes:
            market, account = Collector(quotes), Collector(notes)
            await dx.subscribe("Quote", ["SPY"])
            placed = await client.rest.orders.place(
                ACCOUNT,
                NewOrder.market(
                    NewOrderLeg(InstrumentType.EQUITY, "AAPL", OrderAction.BUY_TO_OPEN, Decimal(1))
                ),
            )
            assert placed.order.id is not None
            await wait_status(client, placed.order.id, "Filled")

            async def traffic() -> bool:  # frames and heartbeats went both ways
                got_quote = any(isinstance(e, Quote) for e in market.pump())
                return got_quote and len(account.pump()) >= 3 and stream.acked >= 3

            await eventually(traffic, timeout=10, interval=0.05)
    access = client.auth.token
    assert access is not None
    secrets = {
        "client secret": DEFAULT_CLIENT_SECRET,
        "refresh token": DEFAULT_REFRESH_TOKEN,
        "access token": access.value,
        "quote token": (await client.quote_tokens.get()).token,
    }
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) > 100  # the session really was logged in detail
    assert {r.name for r in caplog.records} >= {
        "adapters.tastytrade.http",
        "adapters.tastytrade.dxlink",
        "adapters.tastytrade.account_stream",
    }
    leaks = {name: [m for m in messages if value in m][:2] for name, value in secrets.items()}
    assert leaks == {name: [] for name in secrets}
    assert min(r.levelno for r in caplog.records) <= logging.DEBUG
