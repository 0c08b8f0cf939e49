"""``state_file``: a restarted sandbox shows the client the same account (positions, cash,
transactions, working orders, watchlists), and keeps working it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from adapters.tastytrade.models import InstrumentType, OrderAction, PriceEffect
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from adapters.tastytrade.rest import WatchlistsApi
from tests.integration.client_sandbox.conftest import (
    ACCOUNT,
    open_client,
    open_sandbox,
    wait_status,
    warnings_of,
)


def leg(symbol: str, quantity: int) -> NewOrderLeg:
    return NewOrderLeg(InstrumentType.EQUITY, symbol, OrderAction.BUY_TO_OPEN, Decimal(quantity))


async def test_a_restart_with_the_same_state_file_keeps_the_account(tmp_path: Path) -> None:
    state = tmp_path / "sandbox-state.json"
    async with open_sandbox(state_file=state) as server, open_client(server) as client:
        bought = await client.rest.orders.place(ACCOUNT, NewOrder.market(leg("AAPL", 10)))
        assert bought.order.id is not None
        await wait_status(client, bought.order.id, "Filled")
        resting = await client.rest.orders.place(
            ACCOUNT, NewOrder.limit([leg("AAPL", 1)], Decimal(1), PriceEffect.DEBIT)
        )
        assert resting.order.id is not None
        await wait_status(client, resting.order.id, "Live")
        await client.rest.watchlists.create(
            WatchlistsApi.build("kept", [("SPY", InstrumentType.EQUITY)])
        )
        positions = await client.rest.positions.get_positions(ACCOUNT)
        balance = await client.rest.balances.get_balances(ACCOUNT)
        transactions = await client.rest.transactions.list(ACCOUNT)
    assert state.exists()

    async with open_sandbox(state_file=state) as server, open_client(server) as client:
        assert await client.rest.positions.get_positions(ACCOUNT) == positions
        assert (await client.rest.balances.get_balances(ACCOUNT)).cash_balance == (
            balance.cash_balance
        )
        assert [t.id for t in await client.rest.transactions.list(ACCOUNT)] == [
            t.id for t in transactions
        ]
        assert [w.name for w in await client.rest.watchlists.private()] == ["kept"]
        working = await client.rest.orders.get(ACCOUNT, resting.order.id)
        assert str(working.status) == "Live"
        await client.rest.orders.cancel(ACCOUNT, resting.order.id)  # still worked by the engine
        await wait_status(client, resting.order.id, "Cancelled")
        fresh = await client.rest.orders.place(ACCOUNT, NewOrder.market(leg("MSFT", 1)))
        assert fresh.order.id is not None
        assert fresh.order.id > resting.order.id  # ids continue, never reused
        await wait_status(client, fresh.order.id, "Filled")
        assert warnings_of(client) == []
