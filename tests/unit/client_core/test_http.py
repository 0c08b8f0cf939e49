from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from adapters.tastytrade.backoff import Backoff, RetryPolicy
from adapters.tastytrade.errors import (
    ApiError,
    AuthError,
    ErrorStream,
    NotFound,
    ParseFailure,
    PreflightFailed,
    RateLimited,
    TransportError,
)
from adapters.tastytrade.http import (
    ConnectFailed,
    HttpSession,
    RequestMetric,
    encode_params,
    encode_path_symbol,
)
from tests.unit.client_core.fakes import FakeClock, FakeSleep

BASE = "https://api.example.test"


def session_for(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    sleep: FakeSleep | None = None,
    metrics: list[RequestMetric] | None = None,
    errors: ErrorStream | None = None,
) -> HttpSession:
    return HttpSession(
        BASE,
        None,
        errors=errors,
        api_version="20251101",
        transport=httpx.MockTransport(handler),
        retry_policy=RetryPolicy(attempts=3, backoff=Backoff(base=0.5, cap=1.0)),
        sleep=sleep or FakeSleep(),
        rand=lambda: 0.5,
        clock=FakeClock(),
        metrics=None if metrics is None else metrics.append,
    )


def answer(status: int, **kw: Any) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, **kw)


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "message"),
    [
        (
            401,
            {"error": {"code": "token_invalid", "message": "expired"}},
            AuthError,
            "token_invalid",
            "expired",
        ),
        (
            403,
            {"error": {"code": "not_permitted", "message": "User not permitted access"}},
            AuthError,
            "not_permitted",
            "User not permitted access",
        ),
        (404, {"error": {"code": "not_found", "message": "gone"}}, NotFound, "not_found", "gone"),
        (
            406,
            {"error": {"code": 406, "message": "The requested version is not supported."}},
            ApiError,
            "406",
            "The requested version is not supported.",
        ),
        (
            400,
            {"error": {"domain": "orders", "reason": "bad_param"}},
            ApiError,
            "bad_param",
            "orders: bad_param",
        ),
        (
            429,
            {"error": {"code": "too_many_requests", "message": "slow down"}},
            RateLimited,
            "too_many_requests",
            "slow down",
        ),
    ],
)
async def test_error_mapping_per_status(
    status: int, body: dict[str, Any], cls: type[ApiError], code: str, message: str
) -> None:
    async with session_for(answer(status, json=body)) as http:
        with pytest.raises(cls) as info:
            await http.get_data("/thing")
    error = info.value
    assert type(error) is cls
    assert (error.status, error.code, error.api_message, error.path) == (
        status,
        code,
        message,
        "/thing",
    )


async def test_422_keeps_nested_errors() -> None:
    body = {
        "error": {
            "code": "preflight_check_failure",
            "message": "One or more preflight checks failed",
            "errors": [
                {
                    "code": "cant_buy_for_credit",
                    "message": "You cannot buy for a credit.",
                    "preflight-id": 0,
                },
                {"code": "other", "message": "Other"},
            ],
        }
    }
    async with session_for(answer(422, json=body)) as http:
        with pytest.raises(PreflightFailed) as info:
            await http.send("POST", "/accounts/5WT1/orders", json={})
    assert info.value.retriable is False
    assert [(e.code, e.message, e.preflight_id) for e in info.value.errors] == [
        ("cant_buy_for_credit", "You cannot buy for a credit.", "0"),
        ("other", "Other", None),
    ]


async def test_html_500_is_retried_then_raised_with_text() -> None:
    sleep = FakeSleep()
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(502, text="<html><body><h1>502 Bad Gateway</h1></body></html>")

    errors = ErrorStream()
    async with session_for(handler, sleep=sleep, errors=errors) as http:
        with pytest.raises(ApiError) as info:
            await http.get_data("/x")
    assert info.value.status == 502
    assert "502 Bad Gateway" in info.value.api_message
    assert len(calls) == 3  # bounded by the policy
    assert sleep.delays == [0.25, 0.5]  # full jitter: 0.5 * min(1.0, 0.5 * 2**n)
    assert [type(e) for e in errors.drain()] == [ApiError, ApiError]


async def test_429_then_success() -> None:
    responses = [httpx.Response(429, json={}), httpx.Response(200, json={"data": {"n": 1}})]
    async with session_for(lambda r: responses.pop(0)) as http:
        assert await http.get_data("/x") == {"n": 1}


async def test_post_not_retried_on_5xx_or_read_errors() -> None:
    calls: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(503, json={"error": {"code": "busy", "message": "busy"}})

    async with session_for(flaky) as http:
        with pytest.raises(ApiError):
            await http.send("POST", "/accounts/1/orders", json={"a": 1})
    assert calls == ["POST"]

    def reset(request: httpx.Request) -> httpx.Response:
        calls.append("read")
        raise httpx.ReadError("connection reset", request=request)

    async with session_for(reset) as http:
        with pytest.raises(TransportError) as info:
            await http.send("POST", "/accounts/1/orders", json={})
    assert not isinstance(info.value, ConnectFailed)
    assert calls.count("read") == 1


async def test_post_retried_when_connection_never_made() -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"data": {"order": {"id": 7}}})

    async with session_for(handler) as http:
        assert await http.send("POST", "/accounts/1/orders", json={}) == {"order": {"id": 7}}
    assert len(attempts) == 3


async def test_get_transport_errors_retried_and_bounded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    metrics: list[RequestMetric] = []
    async with session_for(handler, metrics=metrics) as http:
        with pytest.raises(TransportError):
            await http.get_data("/x")
    assert [(m.attempt, m.status, m.error) for m in metrics] == [
        (1, None, "ReadTimeout"),
        (2, None, "ReadTimeout"),
        (3, None, "ReadTimeout"),
    ]


async def test_send_returns_none_for_204_and_data_otherwise() -> None:
    async with session_for(answer(204)) as http:
        assert await http.send("DELETE", "/quote-alerts/1") is None
    async with session_for(answer(200, json={"data": {"id": 1}, "context": "/x"})) as http:
        assert await http.send("PUT", "/x", json={}) == {"id": 1}


async def test_non_json_success_is_parse_failure() -> None:
    async with session_for(answer(200, text="hello")) as http:
        with pytest.raises(ParseFailure):
            await http.get_data("/x")


def test_encode_params() -> None:
    pairs = encode_params(
        {
            "symbol[]": ["AAPL", "SPY"],
            "equity": ("A", "B"),
            "none": None,
            "flag": True,
            "off": False,
            "start-date": date(2025, 1, 2),
            "start-at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
            "price": Decimal("1.50"),
            "per-page": 50,
            "sort": "Desc",
        }
    )
    assert pairs == [
        ("symbol[]", "AAPL"),
        ("symbol[]", "SPY"),
        ("equity", "A"),
        ("equity", "B"),
        ("flag", "true"),
        ("off", "false"),
        ("start-date", "2025-01-02"),
        ("start-at", "2025-01-02T03:04:05+00:00"),
        ("price", "1.50"),
        ("per-page", "50"),
        ("sort", "Desc"),
    ]


async def test_query_string_on_the_wire() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"data": {}})

    async with session_for(handler) as http:
        await http.get_data("/instruments/equities", {"symbol[]": ["AAPL", "SPY"], "x": None})
    assert seen[0].query == b"symbol%5B%5D=AAPL&symbol%5B%5D=SPY"


@pytest.mark.parametrize(
    ("symbol", "kind", "encoded"),
    [
        ("AAPL", "equity", "AAPL"),
        ("BRK/B", "Equity", "BRK%2FB"),
        ("SPY   250117C00500000", "Equity Option", "SPY%20%20%20250117C00500000"),
        ("BTC/USD", "Cryptocurrency", "BTC%2FUSD"),
        ("/ESZ9", "Future", "ESZ9"),
        ("./ESZ5 ESZ5  251219C800", "Future Option", ".%2FESZ5%20ESZ5%20%20251219C800"),
    ],
)
async def test_path_symbols_reach_the_wire_encoded(symbol: str, kind: str, encoded: str) -> None:
    assert encode_path_symbol(symbol, kind) == encoded
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return httpx.Response(200, json={"data": {}})

    async with session_for(handler) as http:
        await http.get_data(f"/instruments/x/{encoded}")
    assert seen == [f"/instruments/x/{encoded}".encode()]


def test_encode_path_symbol_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown instrument kind"):
        encode_path_symbol("X", "bond")


def paged(total_items: int, per_page: int) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["page-offset"])
        size = int(request.url.params.get("per-page", "2"))
        assert size == per_page
        start = offset * size
        items = [{"id": i} for i in range(start, min(start + size, total_items))]
        pages = max(1, -(-total_items // size))
        return httpx.Response(
            200,
            json={
                "data": {"items": items},
                "pagination": {
                    "per-page": size,
                    "page-offset": offset,
                    "total-pages": pages,
                    "total-items": total_items,
                },
            },
        )

    return handler


@pytest.mark.parametrize(("total", "per_page"), [(0, 3), (1, 3), (3, 3), (7, 3), (10, 2)])
async def test_paginate_yields_every_item_once(total: int, per_page: int) -> None:
    async with session_for(paged(total, per_page)) as http:
        ids = [
            item["id"]
            async for item in http.paginate(
                "/accounts/1/transactions", {"sort": "Asc"}, per_page=per_page
            )
        ]
    assert ids == list(range(total))


async def test_paginate_without_pagination_stops_after_one_page() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json={"data": {"items": [{"a": 1}, {"a": 2}]}})

    async with session_for(handler) as http:
        items = [item async for item in http.paginate("/x")]
    assert items == [{"a": 1}, {"a": 2}]
    assert calls == [1]


async def test_headers_on_every_request() -> None:
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"data": {}})

    async with session_for(handler) as http:
        await http.get_data("/a")
        await http.send("POST", "/b", json={})
    assert all(h["User-Agent"].startswith("tastystream/") for h in seen)
    assert all(h["Accept-Version"] == "20251101" for h in seen)
    assert len(seen) == 2
