"""SimClock and the session calendars (equities, CME, crypto) in America/Chicago time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sandbox import clock as sessions
from sandbox.clock import SimClock


def ct(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=sessions.CHICAGO).astimezone(UTC)


def test_frozen_clock_only_moves_when_told() -> None:
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    clock = SimClock(start, speed=0)
    assert clock.now() == start
    clock.advance(90)
    assert clock.now() == start + timedelta(seconds=90)
    clock.set(datetime(2027, 1, 1))  # naive means UTC
    assert clock.now() == datetime(2027, 1, 1, tzinfo=UTC)
    assert clock.now_ms() == int(datetime(2027, 1, 1, tzinfo=UTC).timestamp() * 1000)


class FakeMonotonic:
    """An elapsed-time source the test moves by hand."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_accelerated_clock_runs_at_speed_and_freezes_when_set_to_zero() -> None:
    mono = FakeMonotonic()
    start = datetime(2026, 3, 2, tzinfo=UTC)
    clock = SimClock(start, speed=1000, monotonic=mono)
    assert clock.now() == start
    mono.value += 0.02
    assert clock.now() == start + timedelta(seconds=20)  # 20 ms of elapsed time at 1000x
    clock.speed = 0
    frozen = clock.now()
    assert frozen == start + timedelta(seconds=20)
    mono.value += 5
    assert clock.now() == frozen
    clock.speed = 2  # runs again from where it froze
    mono.value += 1.5
    assert clock.now() == frozen + timedelta(seconds=3)
    clock.advance(60)  # an advance rebases on the injected source too
    mono.value += 0.5
    assert clock.now() == frozen + timedelta(seconds=64)
    with pytest.raises(ValueError):
        SimClock(speed=-1)


def test_a_fast_clock_stops_at_the_end_of_the_calendar() -> None:
    mono = FakeMonotonic()
    clock = SimClock(sessions.LATEST - timedelta(seconds=10), speed=1000, monotonic=mono)
    mono.value += 1
    assert clock.now() == sessions.LATEST


def test_default_clock_starts_at_wall_time() -> None:
    before = datetime.now(UTC)
    now = SimClock().now()
    assert before - timedelta(seconds=1) <= now <= datetime.now(UTC) + timedelta(seconds=1)
    assert now.tzinfo is not None


@pytest.mark.parametrize(
    ("when", "state"),
    [
        (ct(2026, 11, 24, 5, 59), "Closed"),
        (ct(2026, 11, 24, 6, 0), "Pre-market"),
        (ct(2026, 11, 24, 8, 29), "Pre-market"),
        (ct(2026, 11, 24, 8, 30), "Open"),
        (ct(2026, 11, 24, 14, 59), "Open"),
        (ct(2026, 11, 24, 15, 0), "Extended"),
        (ct(2026, 11, 24, 18, 59), "Extended"),
        (ct(2026, 11, 24, 19, 0), "Closed"),
        (ct(2026, 11, 28, 10, 0), "Closed"),  # Saturday
        (ct(2026, 11, 26, 10, 0), "Closed"),  # Thanksgiving
        (ct(2026, 11, 27, 11, 59), "Open"),  # half day
        (ct(2026, 11, 27, 12, 0), "Extended"),
        (ct(2026, 4, 3, 10, 0), "Closed"),  # Good Friday 2026
        (ct(2026, 7, 3, 10, 0), "Closed"),  # Independence Day observed
    ],
)
def test_equity_sessions(when: datetime, state: str) -> None:
    assert sessions.session_state(sessions.EQUITY, when) == state


@pytest.mark.parametrize(
    ("when", "state"),
    [
        (ct(2026, 11, 22, 16, 59), "Closed"),  # Sunday before the open
        (ct(2026, 11, 22, 17, 0), "Open"),  # Sunday evening opens Monday's session
        (ct(2026, 11, 24, 15, 59), "Open"),
        (ct(2026, 11, 24, 16, 30), "Closed"),  # daily maintenance break
        (ct(2026, 11, 24, 17, 30), "Open"),
        (ct(2026, 11, 27, 16, 30), "Closed"),  # Friday after the close
        (ct(2026, 11, 28, 12, 0), "Closed"),  # Saturday
    ],
)
def test_cme_sessions(when: datetime, state: str) -> None:
    assert sessions.session_state(sessions.CME, when) == state


def test_crypto_is_always_open() -> None:
    for hours in range(0, 24 * 7, 5):
        when = ct(2026, 11, 23, 0) + timedelta(hours=hours)
        assert sessions.session_state(sessions.CRYPTO, when) == "Open"


def test_session_times_follow_daylight_saving() -> None:
    summer = sessions.session_for(sessions.EQUITY, date(2026, 8, 4))
    winter = sessions.session_for(sessions.EQUITY, date(2026, 12, 1))
    assert summer is not None
    assert winter is not None
    assert summer.open_at == datetime(2026, 8, 4, 13, 30, tzinfo=UTC)
    assert summer.close_at == datetime(2026, 8, 4, 20, 0, tzinfo=UTC)
    assert summer.close_at_ext == datetime(2026, 8, 5, 0, 0, tzinfo=UTC)
    assert winter.open_at == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


def test_holiday_calendar() -> None:
    h2026 = sessions.market_holidays(2026)
    assert date(2026, 1, 1) in h2026
    assert date(2026, 1, 19) in h2026  # MLK
    assert date(2026, 5, 25) in h2026  # Memorial Day
    assert date(2026, 11, 26) in h2026  # Thanksgiving
    assert date(2026, 12, 25) in h2026
    assert len(h2026) == 10
    assert date(2027, 12, 24) in sessions.market_holidays(2027)  # Christmas on a Saturday
    assert date(2026, 11, 27) in sessions.market_half_days(2026)
    assert sessions.previous_trading_day(date(2026, 11, 27)) == date(2026, 11, 25)
    assert sessions.next_trading_day(date(2026, 11, 25)) == date(2026, 11, 27)


def test_current_session_rolls_to_next_after_close() -> None:
    after = ct(2026, 11, 24, 20, 0)
    current = sessions.current_session(sessions.EQUITY, after)
    assert current.session_date == date(2026, 11, 25)
    nxt = sessions.next_session(sessions.EQUITY, current.session_date)
    assert nxt.session_date == date(2026, 11, 27)  # skips Thanksgiving
    prev = sessions.previous_session(sessions.EQUITY, current.session_date)
    assert prev.session_date == date(2026, 11, 24)


def test_regular_hours_start_is_none_when_open_else_inside_the_last_session() -> None:
    from datetime import UTC, datetime, timedelta

    from sandbox.clock import EQUITY, regular_hours_start, session_state

    open_now = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # Tuesday 10:00 CT
    assert regular_hours_start(open_now) is None
    for closed in (
        datetime(2026, 11, 24, 23, 0, tzinfo=UTC),  # Tuesday evening
        datetime(2026, 11, 24, 12, 0, tzinfo=UTC),  # Tuesday before the open
        datetime(2026, 11, 29, 12, 0, tzinfo=UTC),  # Sunday
    ):
        start = regular_hours_start(closed)
        assert start is not None
        assert start < closed
        assert session_state(EQUITY, start) == "Open"
        assert closed - start < timedelta(days=4)
