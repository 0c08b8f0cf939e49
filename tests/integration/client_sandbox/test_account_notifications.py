"""Account-streamer notifications beyond fills: cancel and replace sequences, complex orders,
quote alerts and public watchlists (user-level subscriptions replayed after a reconnect)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from adapters.tastytrade import AccountEvent, AccountStreamer, Backoff, Client, Notification
from adapters.tastytrade.models import (
    AlertField,
    AlertOperator,
    ComplexOrder,
    InstrumentType,
    Order,
    OrderAction,
    PriceEffect,
    QuoteAlert,
    Watchlist,
)
from adapters.tastytrade.order_builder import NewComplexOrder, NewOrder, NewOrderLeg
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import ACCOUNT, admin, warnings_of
from tests.integration.client_sandbox.streams import Collector
from tests.support import eventually


def leg(action: OrderAction, quantity: int = 10) -> NewOrderLeg:
    return NewOrderLeg(InstrumentType.EQUITY, "AAPL", action, Decimal(quantity))


def resting(price: str = "1.00") -> NewOrder:
    return NewOrder.limit([leg(OrderAction.BUY_TO_OPEN)], Decimal(price), PriceEffect.DEBIT)


def pushed(events: Collector[AccountEvent], kind: str) -> list[Notification]:
    return [e for e in events.pump() if isinstance(e, Notification) and e.type == kind]


def statuses(events: Collector[AccountEvent], order_id: int) -> list[str]:
    return [
        str(n.data.status)
        for n in pushed(events, "Order")
        if isinstance(n.data, Order) and n.data.id == order_id
    ]


@pytest.fixture
async def stream(client: Client) -> AsyncIterator[AccountStreamer]:
    async with client.account_stream(
        [ACCOUNT], heartbeat_interval=1.0, reconnect_backoff=Backoff(base=0.05, cap=0.2)
    ) as streamer:
        yield streamer


async def until(events: Collector[AccountEvent], order_id: int, status: str) -> list[str]:
    async def reached() -> list[str]:
        seen = statuses(events, order_id)
        return seen if status in seen else []

    return await eventually(reached, timeout=10, interval=0.02, message=f"never {status}")


async def test_cancel_and_replace_are_pushed_in_order(
    client: Client, stream: AccountStreamer
) -> None:
    with stream.listen() as listener:
        events: Collector[AccountEvent] = Collector(listener)
        first = await client.rest.orders.place(ACCOUNT, resting())
        first_id = first.order.id
        assert first_id is not None
        await until(events, first_id, "Live")
        await client.rest.orders.cancel(ACCOUNT, first_id)
        assert (await until(events, first_id, "Cancelled"))[-2:] == [
            "Cancel Requested",
            "Cancelled",
        ]

        second = await client.rest.orders.place(ACCOUNT, resting())
        old_id = second.order.id
        assert old_id is not None
        await until(events, old_id, "Live")
        new = await client.rest.orders.replace(ACCOUNT, old_id, resting("2.00"))
        assert new.id is not None
        assert (await until(events, old_id, "Cancelled"))[-2:] == ["Replace Requested", "Cancelled"]
        assert "Live" in await until(events, new.id, "Live")
        replaced = [
            n.data
            for n in pushed(events, "Order")
            if isinstance(n.data, Order) and n.data.id == old_id
        ][-1]
        assert replaced.replacing_order_id == new.id
    assert warnings_of(client) == []


async def test_complex_order_changes_are_pushed(
    client: Client, stream: AccountStreamer, sandbox: SandboxServer
) -> None:
    ask = Decimal(str(sandbox.market.book("AAPL").ask))
    otoco = NewComplexOrder.otoco(
        NewOrder.limit([leg(OrderAction.BUY_TO_OPEN)], ask + 5, PriceEffect.DEBIT),
        NewOrder.limit([leg(OrderAction.SELL_TO_CLOSE)], Decimal(100000), PriceEffect.CREDIT),
        NewOrder.stop(leg(OrderAction.SELL_TO_CLOSE), Decimal("1.00")),
    )
    with stream.listen() as listener:
        events: Collector[AccountEvent] = Collector(listener)
        placed = await client.rest.complex_orders.place(ACCOUNT, otoco)
        complex_id = placed.complex_order.id
        trigger = placed.complex_order.trigger_order
        assert trigger is not None
        assert trigger.id is not None
        await until(events, trigger.id, "Filled")
        for child in placed.complex_order.orders:
            assert child.id is not None
            await until(events, child.id, "Live")

        async def complex_pushed() -> list[Notification]:
            return pushed(events, "ComplexOrder")

        notes = await eventually(complex_pushed, timeout=10, interval=0.02)
        assert all(isinstance(n.data, ComplexOrder) for n in notes)
        assert {n.data.id for n in notes} == {complex_id}
        await client.rest.complex_orders.cancel(ACCOUNT, complex_id or 0)
        for child in placed.complex_order.orders:
            await until(events, child.id or 0, "Cancelled")
    assert warnings_of(client) == []


async def test_quote_alerts_and_public_watchlists_survive_a_reconnect(
    client: Client, stream: AccountStreamer, sandbox: SandboxServer
) -> None:
    with stream.listen() as listener:
        events: Collector[AccountEvent] = Collector(listener)
        await stream.subscribe_quote_alerts()
        await stream.subscribe_public_watchlists()
        public = await client.rest.watchlists.public()

        async def watchlists(count: int) -> bool:
            return len(pushed(events, "PublicWatchlists")) >= count

        await eventually(lambda: watchlists(len(public)), timeout=10, interval=0.02)
        names = {n.data.name for n in pushed(events, "PublicWatchlists")}
        assert names == {w.name for w in public}
        assert all(isinstance(n.data, Watchlist) for n in pushed(events, "PublicWatchlists"))

        alert = await client.rest.alerts.create(
            "AAPL", AlertField.LAST, AlertOperator.GREATER, Decimal(1)
        )

        async def triggered() -> list[Notification]:
            return pushed(events, "QuoteAlert")

        (note,) = await eventually(triggered, timeout=10, interval=0.02)
        assert isinstance(note.data, QuoteAlert)
        assert note.data.alert_external_id == alert.alert_external_id
        assert note.data.triggered_at is not None

        await admin(sandbox, "streams/drop", {"stream": "account"})  # user subscriptions replay
        await eventually(lambda: watchlists(2 * len(public)), timeout=10, interval=0.02)
        second = await client.rest.alerts.create(
            "AAPL", AlertField.LAST, AlertOperator.GREATER, Decimal(2)
        )

        async def second_triggered() -> bool:
            return any(
                n.data.alert_external_id == second.alert_external_id
                for n in pushed(events, "QuoteAlert")
            )

        await eventually(second_triggered, timeout=10, interval=0.02)
    assert warnings_of(client) == []
