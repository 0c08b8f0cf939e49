"""The account streamer against the sandbox when ``connect`` can never succeed (accounts of
another customer): a few attempts, each with a freshly minted token, then ``Unrecoverable`` —
not a reconnect storm. Dropped connections still reconnect as often as they drop."""

from __future__ import annotations

import asyncio

import pytest

from adapters.tastytrade import (
    AccountEvent,
    AccountStreamer,
    Backoff,
    Client,
    StreamDisconnected,
    StreamState,
    Unrecoverable,
)
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import ACCOUNT, admin, admin_status
from tests.support import eventually

OTHER_CUSTOMERS_ACCOUNT = "5WT00099"
FAST = Backoff(base=0.01, cap=0.05)


async def run_to_end(stream: AccountStreamer) -> list[AccountEvent]:
    seen: list[AccountEvent] = []
    async with asyncio.timeout(15):
        async for event in stream.events():
            seen.append(event)
    return seen


@pytest.mark.parametrize(
    "accounts", [[OTHER_CUSTOMERS_ACCOUNT], [ACCOUNT, OTHER_CUSTOMERS_ACCOUNT]], ids=str
)
async def test_connect_to_another_customers_account_gives_up(
    client: Client, accounts: list[str]
) -> None:
    refreshes = client.auth.refreshes
    stream = client.account_stream(accounts, reconnect_backoff=FAST)
    async with stream:
        with pytest.raises(Unrecoverable) as raised:
            await run_to_end(stream)
        assert stream.state is StreamState.STOPPED
    assert "refused 3 times in a row" in raised.value.message
    assert OTHER_CUSTOMERS_ACCOUNT in raised.value.message
    assert stream.stats()["connect_refusals"] == 3
    assert client.auth.refreshes - refreshes >= 3  # every attempt carried a newly minted token
    errors = client.errors.drain()
    assert sum(isinstance(e, StreamDisconnected) for e in errors) == 2
    assert [e for e in errors if isinstance(e, Unrecoverable)] == [raised.value]
    # the client itself is fine: REST and a stream of its own account still work
    assert (await client.rest.accounts.get(ACCOUNT)).account_number == ACCOUNT
    async with client.account_stream([ACCOUNT], reconnect_backoff=FAST) as own:

        async def running() -> bool:
            return own.state is StreamState.RUNNING

        await eventually(running, timeout=10, interval=0.02)


async def test_repeated_drops_keep_reconnecting(client: Client, sandbox: SandboxServer) -> None:
    stream = client.account_stream([ACCOUNT], reconnect_backoff=FAST, heartbeat_interval=1.0)
    async with stream:
        for generation in range(1, 5):

            async def up(generation: int = generation) -> bool:
                connected = (await admin_status(sandbox))["connections"]["account"] == 1
                return (
                    connected
                    and stream.state is StreamState.RUNNING
                    and (stream.generation >= generation)
                )

            await eventually(up, timeout=10, interval=0.02, message=f"generation {generation}")
            await admin(sandbox, "streams/drop", {"stream": "account"})

        async def back() -> bool:
            return stream.state is StreamState.RUNNING and stream.generation >= 5

        await eventually(back, timeout=10, interval=0.02)
    kinds = [type(e).__name__ for e in client.errors.drain()]
    assert kinds.count("StreamDisconnected") >= 4
    assert "Unrecoverable" not in kinds
    assert stream.stats()["connect_refusals"] == 0
