from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.tastytrade.account_stream import AccountStreamer, Notification, Reconciliation
from adapters.tastytrade.backoff import Backoff
from adapters.tastytrade.dxlink import Reconnected
from adapters.tastytrade.errors import ErrorStream, ParseWarning, StreamDisconnected, Unrecoverable
from adapters.tastytrade.fanout import StreamState
from adapters.tastytrade.models import AccountBalance, CurrentPosition, Order
from tests.support import eventually
from tests.unit.client_core.account_server import FakeAccountStreamer

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "tastytrade"
ACCOUNT = "5WT00001"


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return loaded


class Tokens:
    """A bearer source whose token can be rotated by the test."""

    def __init__(self) -> None:
        self.value = "at-1"
        self.calls = 0

    async def bearer(self) -> str:
        self.calls += 1
        return f"Bearer {self.value}"


class RefreshingTokens(Tokens):
    """Like OAuth2Auth: a refused token is forgotten and the next call mints a new one."""

    def __init__(self) -> None:
        super().__init__()
        self.invalidated: list[str] = []

    async def invalidate(self, rejected: str) -> None:
        self.invalidated.append(rejected)
        if rejected == self.value:
            self.value = f"at-{int(self.value.split('-')[1]) + 1}"


class Reconciler:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, account: str) -> Reconciliation:
        self.calls.append(account)
        return Reconciliation(account, ("pos",), {"cash": 1}, ("order",), datetime.now(UTC))


@pytest.fixture
async def server() -> AsyncIterator[FakeAccountStreamer]:
    async with FakeAccountStreamer() as fake:
        yield fake


def streamer(server: FakeAccountStreamer, **kw: Any) -> AccountStreamer:
    options: dict[str, Any] = {
        "errors": ErrorStream(),
        "reconnect_backoff": Backoff(base=0.01, cap=0.05),
        "heartbeat_interval": 0.1,
        "idle_timeout": 2.0,
        "ack_timeout": 2.0,
    }
    options.update(kw)
    tokens = options.pop("tokens", Tokens())
    return AccountStreamer(server.url, [ACCOUNT], tokens, **options)


async def running(stream: AccountStreamer, generation: int = 1) -> None:
    async def probe() -> bool:
        return stream.state is StreamState.RUNNING and stream.generation >= generation

    await eventually(probe, timeout=10, message=f"account stream generation {generation}")


async def test_connect_then_heartbeats_with_fresh_token(server: FakeAccountStreamer) -> None:
    tokens = Tokens()
    server.valid_tokens = {"Bearer at-1", "Bearer at-2"}
    stream = streamer(server, tokens=tokens)
    async with stream:
        await running(stream)
        first = server.last.received[0]
        assert first["action"] == "connect"
        assert first["value"] == [ACCOUNT]
        assert first["auth-token"] == "Bearer at-1"
        assert first["request-id"] == 1
        tokens.value = "at-2"  # the access token was refreshed
        await eventually(
            lambda: _true(any(m["auth-token"] == "Bearer at-2" for m in server.last.received))
        )
    heartbeats = [m for m in server.last.received if m["action"] == "heartbeat"]
    assert heartbeats
    assert heartbeats[-1]["auth-token"] == "Bearer at-2"
    ids = [m["request-id"] for m in server.last.received]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert stream.session_id == "5b6e2799"
    assert stream.state is StreamState.STOPPED
    stats = stream.stats()
    assert len(ids) - 1 <= stats["acked"] <= len(ids)  # the last ack may race the stop
    assert (stats["state"], stats["generation"], stats["disconnects"]) == ("stopped", 1, 0)


async def test_token_expired_server_side_is_replaced_without_reconnect(
    server: FakeAccountStreamer,
) -> None:
    errors = ErrorStream()
    tokens = RefreshingTokens()
    stream = streamer(server, errors=errors, tokens=tokens)
    async with stream:
        await running(stream)
        server.valid_tokens = {"Bearer at-2"}  # at-1 expired on the server
        await eventually(lambda: _true(server.last.received[-1]["auth-token"] == "Bearer at-2"))
        count = len(server.last.received)
        await eventually(lambda: _true(len(server.last.received) >= count + 2))
        assert stream.disconnects == 0
    assert tokens.invalidated == ["at-1"]
    refused = [e for e in errors.drain() if type(e).__name__ == "StreamError"]
    assert any("heartbeat refused: failed" in e.message for e in refused)


async def test_acks_matched_without_request_id_echo(server: FakeAccountStreamer) -> None:
    server.echo_request_id = False
    stream = streamer(server)
    async with stream:
        await running(stream)
        await eventually(lambda: _true(server.last.actions().count("heartbeat") >= 2))
        assert stream.disconnects == 0


async def test_notifications_parsed_into_models(server: FakeAccountStreamer) -> None:
    errors = ErrorStream()
    stream = streamer(server, errors=errors)
    async with stream:
        listener = stream.listen(100)
        await running(stream)
        await server.push(fixture("frames-account-order.documented.json"))
        await server.push(
            {
                "results": [
                    fixture("frames-account-current-position.derived.json"),
                    fixture("frames-account-account-balance.derived.json"),
                ]
            }
        )
        await server.push({"type": "BrandNewThing", "data": {"x": 1}, "timestamp": 5})
        got = [await asyncio.wait_for(listener.get(), 5) for _ in range(4)]
    order, position, balance, unknown = got
    assert isinstance(order, Notification)
    assert order.parsed
    assert isinstance(order.data, Order)
    assert order.data.id == 1
    assert order.timestamp == 1688595114405
    assert isinstance(position, Notification)
    assert isinstance(position.data, CurrentPosition)
    assert isinstance(balance, Notification)
    assert isinstance(balance.data, AccountBalance)
    assert isinstance(unknown, Notification)
    assert unknown.parsed is False
    assert unknown.type == "BrandNewThing"
    assert unknown.data == {"x": 1}
    warnings = [e for e in errors.drain() if isinstance(e, ParseWarning)]
    assert any(w.field_name == "BrandNewThing" for w in warnings)


async def test_unparseable_known_type_still_delivered_raw(server: FakeAccountStreamer) -> None:
    errors = ErrorStream()
    stream = streamer(server, errors=errors)
    async with stream:
        listener = stream.listen(10)
        await running(stream)
        await server.push({"type": "Order", "data": "garbage", "timestamp": 1})
        got = await asyncio.wait_for(listener.get(), 5)
    assert isinstance(got, Notification)
    assert got.parsed is False
    assert got.data == "garbage"
    assert any(type(e).__name__ == "ParseFailure" for e in errors.drain())


async def test_reconciliation_after_every_connect(server: FakeAccountStreamer) -> None:
    errors = ErrorStream()
    reconcile = Reconciler()
    hooks: list[Reconnected] = []
    stream = streamer(server, errors=errors, reconcile=reconcile)
    stream.on_reconnect(hooks.append)
    async with stream:
        listener = stream.listen(100)
        await running(stream)
        first = await asyncio.wait_for(listener.get(), 5)
        await server.drop()
        await running(stream, generation=2)
        second = await asyncio.wait_for(listener.get(), 5)
    assert isinstance(first, Reconciliation)
    assert isinstance(second, Reconciliation)
    assert (first.generation, second.generation) == (1, 2)
    assert first.positions == ("pos",)
    assert first.live_orders == ("order",)
    assert reconcile.calls == [ACCOUNT, ACCOUNT]
    assert [h.generation for h in hooks] == [2]
    disconnects = [e for e in errors.drain() if isinstance(e, StreamDisconnected)]
    assert len(disconnects) == 1
    assert disconnects[0].code == 1011
    assert server.connections[1].actions()[0] == "connect"


async def test_refused_connect_is_retried(server: FakeAccountStreamer) -> None:
    errors = ErrorStream()
    tokens = Tokens()
    tokens.value = "stale"
    stream = streamer(server, errors=errors, tokens=tokens)
    async with stream:
        await eventually(lambda: _true(len(server.connections) >= 2))
        assert stream.state is not StreamState.RUNNING
        tokens.value = "at-1"
        await running(stream)
    messages = [e.message for e in errors.drain() if isinstance(e, StreamDisconnected)]
    assert any("connect refused: failed" in m for m in messages)


async def test_silence_triggers_reconnect(server: FakeAccountStreamer) -> None:
    errors = ErrorStream()
    stream = streamer(server, errors=errors, idle_timeout=0.5, heartbeat_interval=0.1)
    async with stream:
        await running(stream)
        server.last.silent = True
        await running(stream, generation=2)
    messages = [e.message for e in errors.drain() if isinstance(e, StreamDisconnected)]
    assert any("no frame for" in m or "no ack" in m for m in messages)


async def test_revoked_auth_stops_for_good(server: FakeAccountStreamer) -> None:
    from adapters.tastytrade.errors import AuthError

    class Revoked:
        async def bearer(self) -> str:
            raise AuthError(400, "invalid_grant", "Invalid JWT")

    errors = ErrorStream()
    stream = streamer(server, errors=errors, tokens=Revoked())
    async with stream:
        with pytest.raises(Unrecoverable):
            async for _ in stream.events():
                pass
        assert stream.state is StreamState.STOPPED
    assert any(isinstance(e, Unrecoverable) for e in errors.drain())


def test_needs_accounts() -> None:
    with pytest.raises(ValueError, match="at least one account"):
        AccountStreamer("ws://127.0.0.1:1", [], Tokens())


async def _true(value: bool) -> bool:
    return value


async def test_traffic_logs_never_contain_tokens(
    server: FakeAccountStreamer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(1)
    stream = streamer(server)
    async with stream:
        await running(stream)
        await eventually(lambda: _true(server.last.actions().count("heartbeat") >= 1))
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("adapters"))
    assert "account > connect #1" in text
    assert "at-1" not in text


async def test_extra_subscriptions_replayed_after_reconnect(server: FakeAccountStreamer) -> None:
    stream = streamer(server)
    await stream.subscribe_quote_alerts()  # before entering: sent right after connect
    async with stream:
        await running(stream)
        await stream.subscribe_public_watchlists()
        await eventually(lambda: _true("public-watchlists-subscribe" in server.last.actions()))
        await server.drop()
        await running(stream, generation=2)
        await eventually(lambda: _true(len(server.last.actions()) >= 3))
    first, second = server.connections[0].actions(), server.connections[1].actions()
    assert first[:2] == ["connect", "quote-alerts-subscribe"]
    assert second[:3] == ["connect", "quote-alerts-subscribe", "public-watchlists-subscribe"]


async def test_user_messages_subscription_carries_the_user_and_is_replayed(
    server: FakeAccountStreamer,
) -> None:
    stream = streamer(server)
    async with stream:
        await running(stream)
        await stream.subscribe_user_messages("U0000001")
        await eventually(lambda: _true("user-message-subscribe" in server.last.actions()))
        await server.drop()
        await running(stream, generation=2)
        await eventually(lambda: _true("user-message-subscribe" in server.last.actions()))
    for conn in server.connections[:2]:
        sent = [m for m in conn.received if m["action"] == "user-message-subscribe"]
        assert sent[0]["value"] == "U0000001"
        assert sent[0]["auth-token"].startswith("Bearer ")
