"""A 429 storm on the token endpoint: one backoff that grows to its cap and honours Retry-After.

Reproduces issue 9.3: 40 × 429 before start-up made the client call ``/oauth/token`` ~2.7
times a second, because the refresh's own retries restarted at ``base`` under every retry of
the request. Time is simulated: the injected sleep advances the injected clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import httpx
import pytest

from adapters.tastytrade.auth import OAuth2Auth
from adapters.tastytrade.backoff import Backoff, RetryPolicy, retry
from adapters.tastytrade.errors import RateLimited, parse_retry_after
from adapters.tastytrade.http import HttpSession
from tests.unit.client_core.fakes import FakeApi

BASE = "https://api.example.test"
CAP = 8.0


@dataclass
class SimTime:
    now: float = 1000.0
    token_calls: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += delay


def storm(count: int, **headers: str) -> list[httpx.Response]:
    body = {"error": {"code": "too_many_requests", "message": "Too many requests"}}
    return [httpx.Response(429, json=body, headers=headers) for _ in range(count)]


def session(api: FakeApi, sim: SimTime) -> tuple[HttpSession, OAuth2Auth]:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            sim.token_calls.append(sim.now)
        return await api.handler(request)

    auth = OAuth2Auth(client_secret="s", refresh_token="r", clock=sim.clock, sleep=sim.sleep)
    http = HttpSession(
        BASE,
        auth,
        transport=httpx.MockTransport(handler),
        retry_policy=RetryPolicy(attempts=4, backoff=Backoff(base=0.25, cap=CAP)),
        sleep=sim.sleep,
        rand=lambda: 1.0,  # every delay is its full ceiling: the schedule is exact
        clock=sim.clock,
    )
    return http, auth


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"data": {"symbol": "SPY"}})


async def until_done(http: HttpSession) -> Any:
    """What a caller that must not give up does (symbol resolution): retry on the session's
    own schedule, however many times the session's bounded retries ran out."""
    return await retry(
        lambda: http.get_data("/instruments/equities/SPY"),
        RetryPolicy(attempts=1000),
        cooldown=http.cooldown,
    )


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 6) for a, b in pairwise(times)]


async def test_a_token_storm_backs_off_to_the_cap_and_never_restarts() -> None:
    api = FakeApi(routes={("GET", "/instruments/equities/SPY"): ok}, token_responses=storm(40))
    sim = SimTime()
    http, auth = session(api, sim)
    async with http:
        assert await until_done(http) == {"symbol": "SPY"}
    assert len(sim.token_calls) == 41  # each fault costs one call, then one success
    between = gaps(sim.token_calls)
    assert between[:6] == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
    assert between == sorted(between), "the backoff restarted during the storm"
    assert between[5:] == [CAP] * (len(between) - 5)
    storm_s = sim.token_calls[-1] - sim.token_calls[0]
    assert len(sim.token_calls) / storm_s < 0.15  # was ~2.7 calls a second
    assert auth.refreshes == 1
    assert http.cooldown.failures == 0  # the success reset it
    assert len(api.requests) == 1


async def test_retry_after_is_honoured_even_beyond_the_cap() -> None:
    api = FakeApi(
        routes={("GET", "/instruments/equities/SPY"): ok},
        token_responses=[*storm(1), *storm(1, **{"Retry-After": "20"}), *storm(1)],
    )
    sim = SimTime()
    http, _ = session(api, sim)
    async with http:
        await until_done(http)
    assert gaps(sim.token_calls) == [0.25, 20.0, 1.0]


async def test_a_success_resets_the_schedule() -> None:
    api = FakeApi(routes={("GET", "/instruments/equities/SPY"): ok}, token_responses=storm(6))
    sim = SimTime()
    http, auth = session(api, sim)
    async with http:
        await until_done(http)
        assert http.cooldown.failures == 0
        api.token_responses.extend(storm(2))
        await auth.invalidate(auth.token.value if auth.token else "")
        start = len(sim.token_calls)
        await until_done(http)
    assert gaps(sim.token_calls[start:]) == [0.25, 0.5]


def test_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    from datetime import UTC, datetime

    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_retry_after("Fri, 02 Jan 2026 03:04:35 GMT", now=now) == 30.0
    assert parse_retry_after("Fri, 02 Jan 2026 03:04:00 GMT", now=now) == 0.0


async def test_a_post_waits_out_a_token_storm_and_is_sent_once() -> None:
    """The refresh fails before the POST is sent, so retrying it cannot place it twice."""
    posted: list[bytes] = []

    def place(request: httpx.Request) -> httpx.Response:
        posted.append(request.content)
        return httpx.Response(201, json={"data": {"id": 1}})

    api = FakeApi(routes={("POST", "/orders"): place}, token_responses=storm(3))
    sim = SimTime()
    http, _ = session(api, sim)
    async with http:
        assert await http.send("POST", "/orders", json={"n": 1}) == {"id": 1}
    assert len(posted) == 1
    assert gaps(sim.token_calls) == [0.25, 0.5, 1.0]


async def test_a_post_the_server_answered_429_is_not_retried() -> None:
    posted: list[bytes] = []

    def busy(request: httpx.Request) -> httpx.Response:
        posted.append(request.content)
        return storm(1)[0]

    api = FakeApi(routes={("POST", "/orders"): busy})
    sim = SimTime()
    http, _ = session(api, sim)
    async with http:
        with pytest.raises(RateLimited) as info:
            await http.send("POST", "/orders", json={"n": 1})
    assert info.value.unsent is False
    assert len(posted) == 1
    assert http.cooldown.failures == 1  # it still slows the session down


async def test_retry_without_a_cooldown_honours_retry_after_too() -> None:
    from adapters.tastytrade.backoff import MAX_RETRY_AFTER

    sim = SimTime()
    answers = [
        RateLimited(429, "too_many_requests", "slow", retry_after=5.0),
        RateLimited(429, "too_many_requests", "slow", retry_after=10_000.0),
        RateLimited(429, "too_many_requests", "slow"),
    ]

    async def op() -> str:
        if answers:
            raise answers.pop(0)
        return "done"

    start = sim.now
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await sim.sleep(delay)

    policy = RetryPolicy(attempts=4, backoff=Backoff(base=0.25, cap=CAP))
    assert await retry(op, policy, sleep=sleep, rand=lambda: 1.0) == "done"
    assert slept == [5.0, MAX_RETRY_AFTER, 1.0]
    assert sim.now - start == sum(slept)
