"""OAuth, token expiry, the gateway rules (User-Agent, Accept-Version, 401/403) over a socket."""

from __future__ import annotations

from datetime import datetime

import httpx

from sandbox.server import SandboxServer
from tests.integration.sandbox_trading.conftest import ACCOUNT, UA, Session, config, login
from tests.support import eventually


async def test_refresh_grant_returns_a_bearer_token(session: Session) -> None:
    response = await session.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "sandbox-refresh-token",
            "client_secret": "sandbox-client-secret",
            "scope": "read trade openid",
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert "id_token" in body
    assert "data" not in body


async def test_bad_grant_gets_the_oauth_error_shape(session: Session) -> None:
    response = await session.client.post(
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": "nope",
            "client_secret": "sandbox-client-secret",
        },
    )
    assert response.status_code == 400
    assert response.json() == {"error_code": "invalid_grant", "error_description": "Invalid JWT"}
    wrong_secret = await session.client.post(
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": "sandbox-refresh-token",
            "client_secret": "x",
        },
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error_code"] == "invalid_client"


async def test_missing_or_invalid_token_is_401_with_error_envelope(session: Session) -> None:
    missing = await session.client.get("/customers/me")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    invalid = await session.client.get("/customers/me", headers={"Authorization": "Bearer nope"})
    assert invalid.status_code == 401
    assert "error" in invalid.json()


async def test_access_tokens_expire_and_a_refresh_mints_a_new_one() -> None:
    async with (
        SandboxServer(config(access_token_ttl=0.5)) as server,
        httpx.AsyncClient(base_url=server.base_url, headers=UA) as client,
    ):
        token = await login(client)
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/customers/me", headers=headers)).status_code == 200

        async def expired() -> bool:
            response = await client.get("/customers/me", headers=headers)
            return (
                response.status_code == 401 and response.json()["error"]["code"] == "token_expired"
            )

        await eventually(expired, timeout=5)
        fresh = await login(client)
        response = await client.get("/customers/me", headers={"Authorization": f"Bearer {fresh}"})
        assert response.status_code == 200


async def test_a_blank_user_agent_is_refused_and_the_sdks_own_are_accepted(
    session: Session,
) -> None:
    missing = session.client.build_request("GET", "/customers/me", headers=session.auth)
    del missing.headers["User-Agent"]
    for response in (
        await session.client.get("/customers/me", headers={**session.auth, "User-Agent": ""}),
        await session.client.send(missing),
    ):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("text/html")
        assert "401 Authorization Required" in response.text
    # the documented <product>/<version> form, and what Tastytrade's own SDKs send (no version)
    for agent in ("my-app/2.1", "tastytrade-sdk-js", "tastytrade-sdk-python"):
        ok = await session.client.get(
            "/customers/me", headers={**session.auth, "User-Agent": agent}
        )
        assert ok.status_code == 200, agent


async def test_accept_version_older_than_supported_is_406(session: Session) -> None:
    old = await session.client.get(
        "/customers/me", headers={**session.auth, "Accept-Version": "20200101"}
    )
    assert old.status_code == 406
    assert old.json() == {
        "error": {"code": 406, "message": "The requested version is not supported."}
    }
    current = await session.client.get(
        "/customers/me", headers={**session.auth, "Accept-Version": "20251101"}
    )
    assert current.status_code == 200


async def test_other_customers_accounts_are_403(session: Session) -> None:
    mine = await session.get(f"/accounts/{ACCOUNT}/balances")
    assert mine.status_code == 200
    for path in (
        "/accounts/5WT00099/balances",
        "/customers/me/accounts/5WT00099",
        "/margin/accounts/5WT00099/requirements",
    ):
        response = await session.get(path)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "not_permitted"
    other = await login(session.client, "sandbox-other-refresh-token")
    response = await session.client.get(
        f"/accounts/{ACCOUNT}/positions", headers={"Authorization": f"Bearer {other}"}
    )
    assert response.status_code == 403


async def test_quote_token_points_at_local_dxlink_for_24_hours(session: Session) -> None:
    data = (await session.get("/api-quote-tokens")).json()["data"]
    assert data["dxlink-url"] == session.server.dxlink_url
    assert data["level"] == "api"
    lifetime = datetime.fromisoformat(data["expires-at"]) - datetime.fromisoformat(
        data["issued-at"]
    )
    assert lifetime.total_seconds() == 86400
    runtime = session.server.runtime
    assert runtime.tokens.validate_quote(data["token"])
    assert not runtime.tokens.validate_quote("forged")


async def test_public_margin_configuration_needs_no_token(session: Session) -> None:
    response = await session.client.get("/margin-requirements-public-configuration")
    assert response.status_code == 200
    assert "risk-free-rate" in response.json()["data"]


async def test_legacy_sessions_get_a_clear_4xx(session: Session) -> None:
    response = await session.client.post("/sessions", json={"login": "x", "password": "y"})
    assert response.status_code == 401
    assert "OAuth" in response.json()["error"]["message"]
