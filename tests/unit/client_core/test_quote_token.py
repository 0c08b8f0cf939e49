from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.tastytrade.errors import ParseFailure
from adapters.tastytrade.http import HttpSession
from adapters.tastytrade.quote_token import ApiQuoteTokens
from tests.unit.client_core.fakes import FakeClock

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def session(bodies: list[Any], calls: list[int]) -> HttpSession:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api-quote-tokens"
        calls.append(1)
        return httpx.Response(200, json={"data": bodies[min(len(calls), len(bodies)) - 1]})

    return HttpSession("https://api.example.test", None, transport=httpx.MockTransport(handler))


async def test_cached_until_close_to_expires_at() -> None:
    calls: list[int] = []
    expires = (NOW + timedelta(seconds=100)).isoformat()
    body = {
        "token": "qt",
        "dxlink-url": "wss://dx.example/realtime",
        "level": "api",
        "expires-at": expires,
    }
    clock = FakeClock()
    async with session([body], calls) as http:
        tokens = ApiQuoteTokens(http, clock=clock, wall_clock=NOW.timestamp)
        first = await tokens.get()
        assert (first.token, first.dxlink_url, first.level) == (
            "qt",
            "wss://dx.example/realtime",
            "api",
        )
        assert first.valid_for == pytest.approx(90.0)
        clock.now += 89
        assert await tokens.get() is first
        clock.now += 2
        await tokens.get()
        await tokens.get(force=True)
    assert len(calls) == 3
    assert "qt" not in repr(first)


async def test_max_age_caps_long_tokens_and_url_override() -> None:
    calls: list[int] = []
    body = {"token": "qt", "dxlink-url": "wss://dx.example/realtime"}
    async with session([body], calls) as http:
        tokens = ApiQuoteTokens(http, max_age=50, dxlink_url="ws://127.0.0.1:1/dx")
        token = await tokens.get()
    assert token.valid_for == 50
    assert token.dxlink_url == "ws://127.0.0.1:1/dx"


@pytest.mark.parametrize("body", [{"dxlink-url": "wss://x"}, {"token": "qt"}, []])
async def test_incomplete_answers_are_parse_failures(body: object) -> None:
    async with session([body], []) as http:
        with pytest.raises(ParseFailure):
            await ApiQuoteTokens(http).get()
