"""Session registry: one request at a time, expiry after the timeout, shutdown drain."""

from __future__ import annotations

import pytest

from tastystream.stack.clickhouse.errors import ClickHouseError
from tastystream.stack.clickhouse.sessions import SessionRegistry


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_session_is_locked_while_in_use_and_expires_after_timeout() -> None:
    clock = Clock()
    reg = SessionRegistry(max_sessions=2, clock=clock)
    assert reg.acquire("s", 10, must_exist=False) is None
    session = reg.add("s", "conn", 10)
    with pytest.raises(ClickHouseError) as locked:
        reg.acquire("s", 10, must_exist=False)
    assert locked.value.name == "SESSION_IS_LOCKED"
    assert reg.release(session) is None
    clock.now += 9
    assert reg.expired() == []
    assert reg.acquire("s", 10, must_exist=True) is session
    reg.release(session)
    clock.now += 10.5
    assert reg.expired() == [session]
    with pytest.raises(ClickHouseError) as missing:
        reg.acquire("s", 10, must_exist=True)
    assert missing.value.code == 372


def test_close_session_and_limits() -> None:
    reg = SessionRegistry(max_sessions=1)
    session = reg.add("a", "conn", 60)
    with pytest.raises(ClickHouseError) as full:
        reg.acquire("b", 60, must_exist=False)
    assert full.value.name == "TOO_MANY_SIMULTANEOUS_QUERIES"
    assert reg.release(session, close=True) is session
    assert len(reg) == 0


def test_drain_closes_idle_now_and_busy_on_release() -> None:
    reg = SessionRegistry(max_sessions=4)
    idle = reg.add("idle", "c1", 60)
    reg.release(idle)
    busy = reg.add("busy", "c2", 60)
    pending = reg.add("pending", None, 60)  # still connecting: nothing to close
    reg.release(pending)
    assert reg.drain() == [idle]
    assert reg.release(busy) is busy
