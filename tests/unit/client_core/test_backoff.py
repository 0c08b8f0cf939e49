from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.tastytrade.backoff import Backoff, ReconnectSchedule, RetryPolicy, retry
from adapters.tastytrade.errors import (
    ApiError,
    ErrorStream,
    NotFound,
    RateLimited,
    StreamError,
    TransportError,
)
from adapters.tastytrade.fanout import Fanout
from tests.unit.client_core.fakes import FakeSleep


@given(
    st.floats(min_value=0, max_value=10),
    st.floats(min_value=0, max_value=100),
    st.integers(min_value=0, max_value=200),
    st.floats(min_value=0, max_value=1),
)
def test_full_jitter_within_capped_ceiling(base: float, cap: float, attempt: int, r: float) -> None:
    backoff = Backoff(base=base, cap=cap)
    delay = backoff.delay(attempt, lambda: r)
    assert 0 <= delay <= min(cap, backoff.ceiling(attempt))
    assert backoff.ceiling(attempt) <= cap


def test_ceiling_doubles_until_cap() -> None:
    backoff = Backoff(base=0.5, cap=5.0)
    assert [backoff.ceiling(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    with pytest.raises(ValueError, match="factor"):
        Backoff(factor=0.5)


async def test_retry_stops_on_non_retriable() -> None:
    sleep = FakeSleep()
    calls = 0

    async def op() -> int:
        nonlocal calls
        calls += 1
        raise NotFound(404, "not_found", "gone")

    with pytest.raises(NotFound):
        await retry(op, RetryPolicy(attempts=5), sleep=sleep)
    assert calls == 1
    assert sleep.delays == []


async def test_retry_until_success_and_bounded() -> None:
    sleep = FakeSleep()
    failures = [RateLimited(429, "", "slow"), TransportError("reset"), ApiError(503, "", "busy")]
    seen: list[int] = []

    async def op() -> str:
        if failures:
            raise failures.pop(0)
        return "ok"

    result = await retry(
        op,
        RetryPolicy(attempts=4, backoff=Backoff(base=1, cap=3)),
        sleep=sleep,
        rand=lambda: 1.0,
        on_retry=lambda n, e, d: seen.append(n),
    )
    assert result == "ok"
    assert sleep.delays == [1.0, 2.0, 3.0]
    assert seen == [1, 2, 3]

    async def always() -> str:
        raise TransportError("down")

    with pytest.raises(TransportError):
        await retry(always, RetryPolicy(attempts=2), sleep=sleep)


def test_reconnect_schedule_grows_and_resets() -> None:
    schedule = ReconnectSchedule(Backoff(base=1, cap=8), rand=lambda: 1.0)
    assert [schedule.next_delay() for _ in range(5)] == [1, 2, 4, 8, 8]
    schedule.succeeded()
    assert schedule.next_delay() == 1


async def test_fanout_overflow_policy() -> None:
    errors = ErrorStream()
    fanout: Fanout[int] = Fanout("test", errors)
    slow = fanout.listen(3, name="slow")
    evens = fanout.listen(10, accept=lambda n: n % 2 == 0)
    for n in range(10):
        fanout.publish(n)
    assert slow.dropped == 7
    assert [await slow.get() for _ in range(3)] == [7, 8, 9]
    assert [await evens.get() for _ in range(5)] == [0, 2, 4, 6, 8]
    overflows = [e for e in errors.drain() if isinstance(e, StreamError)]
    assert len(overflows) == 1  # one report per episode
    fanout.publish(10)  # queue drained: a new episode may be reported again later
    for n in range(11, 20):
        fanout.publish(n)
    assert len([e for e in errors.drain() if isinstance(e, StreamError)]) == 1


async def test_listener_ends_when_fanout_closes() -> None:
    fanout: Fanout[int] = Fanout("test", ErrorStream())
    listener = fanout.listen(5)

    async def consume() -> list[int]:
        return [item async for item in listener]

    task = asyncio.create_task(consume())
    fanout.publish(1)
    fanout.publish(2)
    await asyncio.sleep(0)
    fanout.close()
    assert await asyncio.wait_for(task, 2) == [1, 2]
    with listener:
        pass
    assert listener not in fanout.listeners
