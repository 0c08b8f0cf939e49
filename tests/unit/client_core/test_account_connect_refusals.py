"""A ``connect`` the server keeps refusing, with a fresh token each time, ends the account
stream with ``Unrecoverable``; transient failures and a static token keep being retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.tastytrade.account_stream import AccountEvent, AccountStreamer
from adapters.tastytrade.backoff import Backoff
from adapters.tastytrade.errors import (
    ErrorStream,
    StreamDisconnected,
    StreamError,
    TastytradeError,
    Unrecoverable,
)
from adapters.tastytrade.fanout import Listener, StreamState
from tests.support import eventually
from tests.unit.client_core.account_server import FakeAccountStreamer

ACCOUNT = "5WT00001"


class MintingTokens:
    """Like ``OAuth2Auth``: a refused token is forgotten and the next call mints a new one."""

    def __init__(self) -> None:
        self.serial = 1
        self.invalidated: list[str] = []

    @property
    def value(self) -> str:
        return f"at-{self.serial}"

    async def bearer(self) -> str:
        return f"Bearer {self.value}"

    async def invalidate(self, rejected: str) -> None:
        self.invalidated.append(rejected)
        if rejected == self.value:
            self.serial += 1


class StaticToken:
    """A token source that cannot mint: the same token until someone rotates it."""

    def __init__(self, value: str) -> None:
        self.value = value

    async def bearer(self) -> str:
        return f"Bearer {self.value}"


@pytest.fixture
async def server() -> AsyncIterator[FakeAccountStreamer]:
    async with FakeAccountStreamer() as fake:
        yield fake


def streamer(server: FakeAccountStreamer, tokens: Any, **kw: Any) -> AccountStreamer:
    options: dict[str, Any] = {
        "errors": ErrorStream(),
        "reconnect_backoff": Backoff(base=0.005, cap=0.02),
        "heartbeat_interval": 0.1,
        "idle_timeout": 2.0,
        "ack_timeout": 2.0,
    }
    options.update(kw)
    return AccountStreamer(server.url, [ACCOUNT], tokens, **options)


async def drain(stream: AccountStreamer) -> list[AccountEvent]:
    """Iterate the stream to its end: the failure it ends with is raised."""
    seen: list[AccountEvent] = []
    async with asyncio.timeout(10):
        async for event in stream.events():
            seen.append(event)
    return seen


async def consume(listener: Listener[AccountEvent]) -> int:
    count = 0
    async with asyncio.timeout(5):
        async for _ in listener:
            count += 1
    return count


async def wait_running(stream: AccountStreamer, generation: int = 1) -> None:
    async def probe() -> bool:
        return stream.state is StreamState.RUNNING and stream.generation >= generation

    await eventually(probe, timeout=10, message=f"account stream generation {generation}")


async def test_three_refusals_with_fresh_tokens_end_the_stream(
    server: FakeAccountStreamer,
) -> None:
    server.valid_tokens = set()  # e.g. accounts of another customer: every connect fails
    tokens = MintingTokens()
    errors = ErrorStream()
    stream = streamer(server, tokens, errors=errors)
    async with stream:
        listener = stream.listen(name="late")  # a second listener ends with the same failure
        with pytest.raises(Unrecoverable) as raised:
            await drain(stream)
        assert stream.state is StreamState.STOPPED
        with pytest.raises(Unrecoverable):
            await consume(listener)
    failure = raised.value
    assert "refused 3 times in a row" in failure.message
    assert ACCOUNT in failure.message
    assert len(server.connections) == 3  # no fourth attempt
    assert [m["auth-token"] for c in server.connections for m in c.received] == [
        "Bearer at-1",
        "Bearer at-2",
        "Bearer at-3",
    ]
    assert tokens.invalidated == ["at-1", "at-2", "at-3"]
    published = errors.drain()
    assert [type(e) for e in published] == [StreamDisconnected, StreamDisconnected, Unrecoverable]
    assert published[-1] is failure
    cause: BaseException | None = failure
    while isinstance(cause, Unrecoverable):  # the gave-up wrapper, then the refusal verdict
        cause = cause.cause
    assert isinstance(cause, StreamError)
    assert "connect refused: failed" in cause.message
    assert not any(a in failure.message for a in ("at-1", "at-2", "at-3"))  # no token leaks
    assert stream.stats()["connect_refusals"] == 3


@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_the_limit_is_configurable(server: FakeAccountStreamer, limit: int) -> None:
    server.valid_tokens = set()
    stream = streamer(server, MintingTokens(), max_connect_refusals=limit)
    async with stream:
        with pytest.raises(Unrecoverable):
            await drain(stream)
    assert len(server.connections) == limit


def test_the_limit_must_allow_one_attempt() -> None:
    with pytest.raises(ValueError, match="max_connect_refusals"):
        AccountStreamer("ws://127.0.0.1:1", [ACCOUNT], MintingTokens(), max_connect_refusals=0)


async def test_an_accepted_connect_starts_the_count_over(server: FakeAccountStreamer) -> None:
    server.valid_tokens = {"Bearer at-2"}  # at-1 refused once, then at-2 accepted
    tokens = MintingTokens()
    errors = ErrorStream()
    stream = streamer(server, tokens, errors=errors)
    async with stream:
        await wait_running(stream)
        assert stream.stats()["connect_refusals"] == 0
        server.valid_tokens = set()  # from now on every connect is refused
        await server.last.ws.close(1011, "going away")
        with pytest.raises(Unrecoverable):
            await drain(stream)
    # 2 connections before, then 3 refused connects with at-2, at-3, at-4: the early refusal
    # of at-1 is not part of the final streak
    assert len(server.connections) == 5
    connects = [c.received[0]["auth-token"] for c in server.connections]
    assert connects == ["Bearer at-1", "Bearer at-2", "Bearer at-2", "Bearer at-3", "Bearer at-4"]


async def test_a_static_token_is_retried_until_rotated(server: FakeAccountStreamer) -> None:
    tokens = StaticToken("stale")
    errors = ErrorStream()
    stream = streamer(server, tokens, errors=errors)
    async with stream:
        await eventually(lambda: _true(len(server.connections) >= 6), timeout=10)
        assert stream.state is StreamState.DEGRADED
        assert stream.stats()["connect_refusals"] == 1  # one distinct token refused
        tokens.value = "at-1"
        await wait_running(stream)
    assert not any(isinstance(e, Unrecoverable) for e in errors.drain())


async def test_transient_disconnects_keep_reconnecting(server: FakeAccountStreamer) -> None:
    errors = ErrorStream()
    stream = streamer(server, MintingTokens(), errors=errors)
    async with stream:
        for generation in range(1, 6):
            await wait_running(stream, generation)
            await server.last.ws.close(1011, "going away")
        await wait_running(stream, 6)
    kinds: list[type[TastytradeError]] = [type(e) for e in errors.drain()]
    assert kinds.count(StreamDisconnected) == 5
    assert Unrecoverable not in kinds


async def _true(value: bool) -> bool:
    return value
