"""OAuth2 against the sandbox: refresh grant, expiry (proactive and on 401), bad grants,
and the gateway's User-Agent / Accept-Version screening."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from pydantic import SecretStr

from adapters.tastytrade import ApiError, AuthError, Client, HttpSession, OAuth2Auth
from adapters.tastytrade.client import API_VERSION
from adapters.tastytrade.rest import Rest
from sandbox.config import DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN
from sandbox.server import SandboxServer
from tastystream import __version__
from tastystream.settings import TastytradeSettings
from tests.integration.client_sandbox.conftest import (
    ACCOUNT,
    FAST_RETRY,
    admin,
    open_client,
    open_sandbox,
)
from tests.support import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one sandbox for the module


@pytest.fixture
def sandbox(module_server: SandboxServer) -> SandboxServer:
    return module_server


async def test_refresh_grant_mints_a_token_used_on_every_call(sandbox: SandboxServer) -> None:
    async with open_client(sandbox) as client:
        assert client.auth.refreshes == 0
        accounts = await client.rest.accounts.list()
        customer = await client.rest.customers.me()
        status = await client.rest.accounts.trading_status(ACCOUNT)
    assert [a.account_number for a in accounts] == ["5WT00001", "5WT00002", "5WT00003"]
    assert customer.id == "C0000001"
    assert status.account_number == ACCOUNT
    assert client.auth.refreshes == 1  # one token served all three calls
    assert client.auth.refresh_failures == 0


async def test_short_lived_tokens_are_refreshed_before_they_expire() -> None:
    async with open_sandbox(access_token_ttl=0.8) as server:
        auth = OAuth2Auth(
            client_secret=DEFAULT_CLIENT_SECRET, refresh_token=DEFAULT_REFRESH_TOKEN, margin=0.3
        )
        async with HttpSession(
            server.base_url, auth, api_version=API_VERSION, retry_policy=FAST_RETRY
        ) as http:
            rest = Rest(http)
            calls = 0
            started = time.monotonic()

            async def third_token_in_use() -> bool:
                nonlocal calls
                balance = await rest.balances.get_balances(ACCOUNT)
                assert balance.account_number == ACCOUNT
                calls += 1
                return auth.refreshes >= 3

            await eventually(third_token_in_use, timeout=10, interval=0.05)
            elapsed = time.monotonic() - started
    # 0.8 s tokens refreshed 0.3 s early: each one serves 0.5 s of calls, never just one call
    assert auth.refreshes == 3
    assert elapsed >= 2 * 0.5, elapsed  # the first two were used until their margin
    assert calls >= 2 * auth.refreshes  # tokens are reused between refreshes
    assert auth.refresh_failures == 0
    assert http.errors.drain() == []  # not even one retried 401


async def test_tokens_expiring_server_side_first_are_replayed_after_a_401() -> None:
    """The client trusts tokens 5 s longer than the server honours them: only 401s reveal it."""
    statuses: list[int] = []

    async def record(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    async with open_sandbox(access_token_ttl=0.3) as server:
        auth = OAuth2Auth(
            client_secret=DEFAULT_CLIENT_SECRET, refresh_token=DEFAULT_REFRESH_TOKEN, margin=-5.0
        )
        async with HttpSession(
            server.base_url, auth, api_version=API_VERSION, retry_policy=FAST_RETRY
        ) as http:
            http.client.event_hooks["response"] = [record]  # sees every response, 401s too
            rest = Rest(http)
            for _ in range(3):
                status = await rest.accounts.trading_status(ACCOUNT)
                assert status.account_number == ACCOUNT
                used = auth.token
                assert used is not None

                async def expired_on_the_server(value: str = used.value) -> bool:
                    return server.runtime.tokens.access_status(value)[0] == "expired"

                await eventually(expired_on_the_server, timeout=5, interval=0.02)
    # mint, then per call after the first: 401 → refresh (200) → replay (200)
    assert statuses == [200, 200] + [401, 200, 200] * 2
    assert auth.refreshes == 3
    assert http.errors.drain() == []  # a replayed 401 is not an error


async def test_expire_all_tokens_fault_causes_one_refresh_and_a_replay(
    sandbox: SandboxServer,
) -> None:
    async with open_client(sandbox) as client:
        first = await client.rest.balances.get_balances(ACCOUNT)
        assert client.auth.refreshes == 1
        expired = await admin(sandbox, "tokens/expire")
        assert expired["expired"] >= 1
        again = await client.rest.balances.get_balances(ACCOUNT)
        assert client.auth.refreshes == 2  # the 401 was answered by refresh + replay
        third = await client.rest.positions.get_positions(ACCOUNT)
        assert client.auth.refreshes == 2
    assert again.cash_balance == first.cash_balance
    assert third == []


async def test_concurrent_callers_after_expiry_share_one_refresh(sandbox: SandboxServer) -> None:
    async with open_client(sandbox) as client:
        await client.rest.accounts.list()
        sandbox.admin.expire_tokens()
        results = await asyncio.gather(
            *(client.rest.accounts.trading_status(ACCOUNT) for _ in range(20))
        )
        assert {r.account_number for r in results} == {ACCOUNT}
        assert client.auth.refreshes == 2


async def test_wrong_refresh_token_is_a_non_retriable_auth_error(sandbox: SandboxServer) -> None:
    async with open_client(sandbox, refresh_token="not-a-grant") as client:
        with pytest.raises(AuthError) as caught:
            await client.rest.accounts.list()
    assert caught.value.code == "invalid_grant"
    assert caught.value.status == 400
    assert caught.value.retriable is False
    assert client.auth.refresh_failures == 0  # invalid_grant is not retried
    assert client.auth.refreshes == 0


async def test_other_customers_account_is_forbidden(sandbox: SandboxServer) -> None:
    async with open_client(sandbox) as client:
        with pytest.raises(AuthError) as caught:
            await client.rest.balances.get_balances("5WT00099")
    assert (caught.value.status, caught.value.code) == (403, "not_permitted")


async def test_missing_user_agent_gets_nginx_401(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        token = await http.post(
            "/oauth/token",
            json={
                "grant_type": "refresh_token",
                "refresh_token": DEFAULT_REFRESH_TOKEN,
                "client_secret": DEFAULT_CLIENT_SECRET,
            },
            headers={"User-Agent": "tastystream-tests/1"},
        )
        assert token.status_code == 200
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        # httpx always sends its own UA unless it is removed from the request
        request = http.build_request("GET", "/customers/me", headers=bearer)
        del request.headers["User-Agent"]
        missing = await http.send(request)
        with_ua = await http.get(
            "/customers/me", headers=bearer | {"User-Agent": f"tastystream/{__version__}"}
        )
    assert missing.status_code == 401
    assert "401 Authorization Required" in missing.text
    assert with_ua.status_code == 200
    assert with_ua.json()["data"]["id"] == "C0000001"


async def test_unsupported_accept_version_is_406(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(
        base_url=sandbox.base_url, headers={"User-Agent": "tastystream-tests/1"}
    ) as http:
        raw = await http.get("/customers/me", headers={"Accept-Version": "20200101"})
    assert raw.status_code == 406
    assert raw.json() == {
        "error": {"code": 406, "message": "The requested version is not supported."}
    }
    async with open_client(sandbox, api_version="20200101") as client:
        with pytest.raises(ApiError) as caught:
            await client.rest.customers.me()
    assert caught.value.status == 406
    assert caught.value.retriable is False


async def test_client_from_settings_reaches_the_sandbox(sandbox: SandboxServer) -> None:
    settings = TastytradeSettings(
        _env_file=None,  # no .env from the working directory
        base_url=sandbox.base_url,
        streamer_url=sandbox.streamer_url,
        client_secret=SecretStr(DEFAULT_CLIENT_SECRET),
        refresh_token=SecretStr(DEFAULT_REFRESH_TOKEN),
        accounts=("5WT00001", "5WT00002"),
    )
    async with Client.from_settings(settings, retry_policy=FAST_RETRY) as client:
        assert client.environment == "custom"
        numbers = [a.account_number for a in await client.rest.accounts.list()]
        assert set(settings.accounts) <= set(numbers)
        token = await client.rest.quote_tokens.get()
        assert token.dxlink_url == sandbox.dxlink_url
    shown = repr(client) + repr(client.auth)
    assert DEFAULT_CLIENT_SECRET not in shown
    assert DEFAULT_REFRESH_TOKEN not in shown
