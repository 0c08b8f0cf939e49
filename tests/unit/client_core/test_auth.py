from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from adapters.tastytrade.auth import OAuth2Auth
from adapters.tastytrade.backoff import Backoff, RetryPolicy
from adapters.tastytrade.errors import ApiError, AuthError, TastytradeError
from adapters.tastytrade.http import HttpSession
from tests.unit.client_core.fakes import FakeApi, FakeClock, FakeSleep

BASE = "https://api.example.test"


def make(
    api: FakeApi, clock: FakeClock | None = None, sleep: FakeSleep | None = None, **kw: object
) -> tuple[HttpSession, OAuth2Auth]:
    auth = OAuth2Auth(
        client_secret="s3cret-client",
        refresh_token="rt-long-lived",
        clock=clock or FakeClock(),
        sleep=sleep or FakeSleep(),
        rand=lambda: 1.0,
        refresh_policy=RetryPolicy(attempts=4, backoff=Backoff(base=1.0, cap=4.0)),
        **kw,  # type: ignore[arg-type]
    )
    session = HttpSession(BASE, auth, api_version="20251101", transport=api.transport())
    return session, auth


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"data": {"ok": True}})


async def test_refresh_grant_body_and_bearer_header() -> None:
    api = FakeApi(routes={("GET", "/customers/me"): ok})
    session, _auth = make(api, client_id="cid-1")
    async with session:
        assert await session.get_data("/customers/me") == {"ok": True}
    assert api.token_requests == [
        {
            "grant_type": "refresh_token",
            "refresh_token": "rt-long-lived",
            "client_secret": "s3cret-client",
            "client_id": "cid-1",
        }
    ]
    request = api.requests[0]
    assert api.auth_headers == ["Bearer at-1"]
    assert request.headers["User-Agent"].startswith("tastystream/")
    assert request.headers["Accept-Version"] == "20251101"


async def test_token_reused_until_margin_then_refreshed_proactively() -> None:
    api = FakeApi(routes={("GET", "/x"): ok})
    clock = FakeClock()
    session, auth = make(api, clock)
    async with session:
        await session.get_data("/x")
        clock.now += 900 - 61  # still 61 s left: reused
        await session.get_data("/x")
        assert auth.refreshes == 1
        clock.now += 2  # 59 s left: inside the 60 s margin
        await session.get_data("/x")
    assert auth.refreshes == 2
    assert api.auth_headers == [
        "Bearer at-1",
        "Bearer at-1",
        "Bearer at-2",
    ]


async def test_expires_in_defaults_to_900() -> None:
    api = FakeApi(expires_in=None)
    clock = FakeClock()
    session, auth = make(api, clock)
    async with session:
        await auth.access_token()
    assert auth.token is not None
    assert auth.token.expires_at == pytest.approx(clock.now + 900)


async def test_single_flight_100_concurrent_callers() -> None:
    api = FakeApi(routes={("GET", "/x"): ok}, token_delay=0.01)
    session, auth = make(api)
    async with session:
        results = await asyncio.gather(*(session.get_data("/x") for _ in range(100)))
    assert len(results) == 100
    assert len(api.token_requests) == 1
    assert auth.refreshes == 1
    assert set(api.auth_headers) == {"Bearer at-1"}


async def test_401_refreshes_and_replays_once() -> None:
    api = FakeApi(routes={("POST", "/x"): ok})
    session, auth = make(api)
    async with session:
        await auth.access_token()
        api.valid_tokens.clear()  # server revokes at-1
        assert await session.send("POST", "/x", json={"a": 1}) == {"ok": True}
    assert auth.refreshes == 2
    assert api.auth_headers == ["Bearer at-1", "Bearer at-2"]
    assert json.loads(api.requests[1].content) == {"a": 1}


async def test_persistent_401_raises_auth_error_after_one_replay() -> None:
    api = FakeApi(routes={("GET", "/x"): ok})
    session, auth = make(api)
    async with session:
        await auth.access_token()
        api.valid_tokens.clear()
        minted_before = api.minted
        original = api.handler

        async def revoke_everything(request: httpx.Request) -> httpx.Response:
            response = await original(request)
            api.valid_tokens.clear()
            return response

        api.handler = revoke_everything  # type: ignore[method-assign]
        session._client._transport = httpx.MockTransport(api.handler)  # type: ignore[union-attr]
        with pytest.raises(AuthError) as info:
            await session.get_data("/x")
    assert info.value.status == 401
    assert api.minted == minted_before + 1
    assert len(api.requests) == 2


async def test_refresh_failures_retried_with_jittered_backoff() -> None:
    sleep = FakeSleep()
    api = FakeApi(
        token_responses=[
            httpx.Response(503, text="<html>busy</html>"),
            httpx.Response(429, json={"error": {"code": "too_many", "message": "slow"}}),
        ]
    )
    session, auth = make(api, sleep=sleep)
    async with session:
        assert await auth.access_token() == "at-1"
    assert len(api.token_requests) == 3
    assert sleep.delays == [1.0, 2.0]  # rand()=1.0 → the full ceiling base*2**n
    assert auth.refresh_failures == 2


async def test_refresh_failures_are_bounded() -> None:
    sleep = FakeSleep()
    api = FakeApi(token_responses=[httpx.Response(500, json={}) for _ in range(10)])
    session, auth = make(api, sleep=sleep)
    async with session:
        with pytest.raises(ApiError) as info:
            await auth.access_token()
    assert info.value.status == 500
    assert len(api.token_requests) == 4
    assert sleep.delays == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    "body",
    [
        {"error_code": "invalid_grant", "error_description": "Invalid JWT"},
        {"error": "invalid_grant", "error_description": "Grant revoked"},
    ],
)
async def test_invalid_grant_is_not_retried(body: dict[str, str]) -> None:
    sleep = FakeSleep()
    api = FakeApi(token_responses=[httpx.Response(400, json=body)])
    session, _auth = make(api, sleep=sleep)
    async with session:
        with pytest.raises(AuthError) as info:
            await session.get_data("/x")
    assert info.value.code == "invalid_grant"
    assert info.value.retriable is False
    assert len(api.token_requests) == 1
    assert sleep.delays == []


async def test_tokens_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(1)
    api = FakeApi(routes={("GET", "/x"): ok})
    session, auth = make(api)
    async with session:
        await session.get_data("/x")
        api.valid_tokens.clear()
        await session.get_data("/x")
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("adapters"))
    assert "GET /x" in text
    for secret in ("at-1", "at-2", "rt-long-lived", "s3cret-client"):
        assert secret not in text
    assert "at-1" not in repr(auth)
    assert logging.getLogger("adapters.tastytrade.auth").handlers == []


async def test_unbound_auth_fails_clearly() -> None:
    auth = OAuth2Auth(client_secret="x", refresh_token="y")
    with pytest.raises(TastytradeError, match="not bound"):
        await auth.access_token()


async def test_short_lived_tokens_renew_at_half_life() -> None:
    api = FakeApi(routes={("GET", "/x"): ok}, expires_in=10)
    clock = FakeClock()
    session, auth = make(api, clock)
    async with session:
        await session.get_data("/x")
        clock.now += 4.9  # margin 60 s > lifetime: renew at half life (5 s) instead
        await session.get_data("/x")
        assert auth.refreshes == 1
        clock.now += 0.2
        await session.get_data("/x")
    assert auth.refreshes == 2
