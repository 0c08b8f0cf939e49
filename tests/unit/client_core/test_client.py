from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import SecretStr

from adapters.tastytrade import API_VERSION, Client, Quote, StreamState, TastytradeError
from adapters.tastytrade.dxlink import CHANNELS
from adapters.tastytrade.rest import Rest
from tastystream.settings import (
    CERT_BASE_URL,
    CERT_STREAMER_URL,
    PRODUCTION_BASE_URL,
    PRODUCTION_STREAMER_URL,
    TastytradeSettings,
)
from tests.support import eventually
from tests.unit.client_core.dxlink_server import FakeDXLink
from tests.unit.client_core.fakes import FakeApi


def test_environment_urls() -> None:
    prod = Client(client_secret="s", refresh_token="r")
    assert (prod.base_url, prod.streamer_url) == (PRODUCTION_BASE_URL, PRODUCTION_STREAMER_URL)
    assert prod.http.api_version == "20251101"
    cert = Client(client_secret="s", refresh_token="r", environment="cert")
    assert (cert.base_url, cert.streamer_url) == (CERT_BASE_URL, CERT_STREAMER_URL)
    assert cert.http.api_version is None
    custom = Client(
        client_secret="s",
        refresh_token="r",
        environment="custom",
        base_url="http://127.0.0.1:9",
        streamer_url="ws://127.0.0.1:9",
    )
    assert custom.base_url == "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="custom"):
        Client(client_secret="s", refresh_token="r", environment="custom")


def test_from_settings_unwraps_secrets_and_detects_environment() -> None:
    settings = TastytradeSettings(
        base_url="http://127.0.0.1:8765",
        streamer_url="ws://127.0.0.1:8765/streamer",
        client_secret=SecretStr("sec-123"),
        refresh_token=SecretStr("ref-456"),
        client_id="cid",
        api_version="20260101",
        _env_file=None,
    )
    client = Client.from_settings(settings)
    assert client.environment == "custom"
    assert client.http.api_version == "20260101"
    assert "sec-123" not in repr(client)
    assert "ref-456" not in repr(client.auth)
    prod = Client.from_settings(TastytradeSettings(_env_file=None))
    assert prod.environment == "production"


async def test_client_end_to_end_over_mock_transport() -> None:
    api = FakeApi(
        routes={
            ("GET", "/customers/me"): lambda r: httpx.Response(200, json={"data": {"id": "me"}})
        }
    )
    client = Client(client_secret="s", refresh_token="r", transport=api.transport())
    with pytest.raises(TastytradeError, match="not open"):
        client.dxlink()
    async with client:
        assert isinstance(client.rest, Rest)
        assert client.rest.http is client.http
        assert await client.http.get_data("/customers/me") == {"id": "me"}
    assert api.requests[0].headers["Authorization"] == "Bearer at-1"


async def test_dxlink_via_client_uses_quote_token_endpoint() -> None:
    async with FakeDXLink() as server:
        api = FakeApi(
            routes={
                ("GET", "/api-quote-tokens"): lambda r: httpx.Response(
                    200,
                    json={
                        "data": {"token": "quote-token-1", "dxlink-url": server.url, "level": "api"}
                    },
                )
            }
        )
        async with Client(
            client_secret="s", refresh_token="r", transport=api.transport()
        ) as client:
            async with client.dxlink(keepalive_interval=0.2) as quotes:
                listener = quotes.listen(10)
                await quotes.subscribe("Quote", ["SPY"])

                async def subscribed() -> bool:
                    return quotes.state is StreamState.RUNNING and bool(server.all_subs())

                await eventually(subscribed, timeout=10)
                await server.feed(
                    CHANNELS["Quote"], ["Quote", ["SPY", 1, 2, 3, 4, "Q", 1.5, 10, 5, "Q", 1.6, 20]]
                )
                event = await asyncio.wait_for(listener.get(), 5)
            assert client.quote_tokens.fetches == 1
    assert isinstance(event, Quote)
    assert event.ask_price == 1.6
    assert server.connections[0].received[1] == {
        "type": "AUTH",
        "channel": 0,
        "token": "quote-token-1",
    }


async def test_account_stream_factory_wires_auth_and_reconcile() -> None:
    api = FakeApi()
    async with Client(
        client_secret="s",
        refresh_token="r",
        environment="custom",
        base_url="https://api.example.test",
        streamer_url="ws://127.0.0.1:9/x",
        transport=api.transport(),
    ) as client:
        stream = client.account_stream(["5WT1"])
        assert stream.url == "ws://127.0.0.1:9/x"
        assert stream.accounts == ["5WT1"]
        assert stream.errors is client.errors
        assert await client.auth.bearer() == "Bearer at-1"


def test_the_api_version_has_one_owner_the_client() -> None:
    """Unset in the settings, the client's ``API_VERSION`` is sent; empty, none is."""
    unset = TastytradeSettings(_env_file=None)
    assert unset.api_version is None
    assert Client.from_settings(unset).http.api_version == API_VERSION
    empty = TastytradeSettings(api_version="", _env_file=None)
    assert Client.from_settings(empty).http.api_version is None
