"""Simulated time and the trading-session calendars the sandbox derives from it.

:class:`SimClock` runs at wall-clock pace, accelerated (``speed`` > 1), frozen (``speed`` 0) or
set/advanced explicitly by tests. :class:`SessionCalendar` answers "which session applies now"
for the three instrument collections the sandbox knows, in America/Chicago time:

* ``Equity``: regular 08:30–15:00 CT (12:00 on half days), pre-market from 06:00, extended
  until 19:00; weekends and exchange holidays closed.
* ``CME``: 17:00 CT the previous day until 16:00 CT, Sunday evening to Friday afternoon;
  closed on full holidays.
* ``Cryptocurrency``: always open.

The clock only runs inside ``EARLIEST … LATEST`` (years the calendars, expirations and futures
cycles are written for): setting or advancing it outside is a ``ValueError``, and a fast clock
stops at ``LATEST`` instead of running off the end of the calendar.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from zoneinfo import ZoneInfo

CHICAGO = ZoneInfo("America/Chicago")

EQUITY = "Equity"
CME = "CME"
CRYPTO = "Cryptocurrency"
COLLECTIONS = (EQUITY, CME, CRYPTO)

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
MAX_SPEED = 1_000_000.0  # a simulated ~11.6 days per real second


class SimClock:
    """A clock whose ``now`` is ``anchor + (monotonic elapsed) * speed``, kept inside
    ``EARLIEST … LATEST``; ``monotonic`` is the elapsed-time source (tests inject a fake one)."""

    def __init__(
        self,
        start: datetime | None = None,
        speed: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._speed = _checked_speed(speed)
        self._anchor = _in_range(start if start is not None else datetime.now(UTC))
        self._mono = monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        speed = _checked_speed(value)
        self._rebase()
        self._speed = speed

    def now(self) -> datetime:
        elapsed = (self._monotonic() - self._mono) * self._speed
        room = (LATEST - self._anchor).total_seconds()
        return self._anchor + timedelta(seconds=min(elapsed, room))

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def set(self, when: datetime) -> None:
        self._anchor = _in_range(when)
        self._mono = self._monotonic()

    def advance(self, seconds: float) -> None:
        if not math.isfinite(seconds):
            raise ValueError("advance must be a finite number of seconds")
        now = self.now()
        span = (LATEST - EARLIEST).total_seconds()
        if abs(seconds) > span:
            raise ValueError(f"advance must be at most {span:.0f} seconds either way")
        self._anchor = _in_range(now + timedelta(seconds=seconds))
        self._mono = self._monotonic()

    def real_seconds(self, sim_seconds: float) -> float:
        """Wall-clock seconds until ``sim_seconds`` of simulated time pass (inf when frozen)."""
        return float("inf") if self._speed == 0 else sim_seconds / self._speed

    def _rebase(self) -> None:
        self._anchor = self.now()
        self._mono = self._monotonic()


def _checked_speed(speed: float) -> float:
    if not (math.isfinite(speed) and 0 <= speed <= MAX_SPEED):
        raise ValueError(f"speed must be between 0 and {MAX_SPEED:g}")
    return float(speed)


def _in_range(when: datetime) -> datetime:
    """``when`` in UTC (naive means UTC), or ``ValueError`` outside ``EARLIEST … LATEST``."""
    try:
        aware = _aware(when)
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 is past datetime.max in UTC
        aware = datetime.max.replace(tzinfo=UTC)
    if not EARLIEST <= aware <= LATEST:
        raise ValueError(
            f"the clock stays within {EARLIEST.isoformat()} … {LATEST.isoformat()}, "
            f"not {when.isoformat()}"
        )
    return aware


def _aware(ts: datetime) -> datetime:
    return ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)


# ----------------------------------------------------------------------------- holidays


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ll = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ll) // 451
    month = (h + ll - 7 * m + 114) // 31
    day = (h + ll - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def market_holidays(year: int) -> frozenset[date]:
    """NYSE full-day holidays of ``year`` (observed dates)."""
    days = {
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Presidents' Day
        _easter(year) - timedelta(days=2),  # Good Friday
        _last_weekday(year, 5, 0),  # Memorial Day
        _observed(date(year, 6, 19)),  # Juneteenth
        _observed(date(year, 7, 4)),  # Independence Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
        _observed(date(year, 12, 25)),  # Christmas
    }
    new_year = date(year, 1, 1)
    if new_year.weekday() != 5:  # NYSE does not observe on Friday Dec 31
        days.add(_observed(new_year))
    return frozenset(d for d in days if d.year == year)


@lru_cache(maxsize=64)
def market_half_days(year: int) -> frozenset[date]:
    """Early-close days (12:00 CT): July 3rd, the day after Thanksgiving, Christmas Eve."""
    candidates = [
        date(year, 7, 3),
        _nth_weekday(year, 11, 3, 4) + timedelta(days=1),
        date(year, 12, 24),
    ]
    full = market_holidays(year)
    return frozenset(d for d in candidates if d.weekday() < 5 and d not in full)


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day not in market_holidays(day.year)


def previous_trading_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def next_trading_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


# ----------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class Session:
    """One trading session of a collection, in UTC."""

    collection: str
    session_date: date
    start_at: datetime  # pre-market / session start
    open_at: datetime  # regular open
    close_at: datetime  # regular close
    close_at_ext: datetime  # end of extended trading

    def state(self, now: datetime) -> str:
        if self.open_at <= now < self.close_at:
            return "Open"
        if self.start_at <= now < self.open_at:
            return "Pre-market"
        if self.close_at <= now < self.close_at_ext:
            return "Extended"
        return "Closed"


def _ct(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, dtime(hour, minute), CHICAGO).astimezone(UTC)


def trading_date(collection: str, now: datetime) -> date:
    """The session date ``now`` belongs to (CME sessions that start at 17:00 CT roll forward)."""
    local = now.astimezone(CHICAGO)
    if collection == CME and local.hour >= 16:
        return local.date() + timedelta(days=1)
    return local.date()


def session_for(collection: str, day: date) -> Session | None:
    """The session held on ``day`` or ``None`` when that day has none."""
    if collection == CRYPTO:
        start = datetime.combine(day, dtime(0), UTC)
        end = start + timedelta(days=1)
        return Session(collection, day, start, start, end, end)
    if not is_trading_day(day):
        return None
    if collection == CME:
        start = _ct(day - timedelta(days=1), 17)  # Monday's session opens Sunday evening
        close_hour, close_minute = (12, 0) if day in market_half_days(day.year) else (16, 0)
        close = _ct(day, close_hour, close_minute)
        return Session(collection, day, start, start, close, close)
    half = day in market_half_days(day.year)
    close = _ct(day, 12) if half else _ct(day, 15)
    return Session(collection, day, _ct(day, 6), _ct(day, 8, 30), close, _ct(day, 19))


def next_session(collection: str, after: date) -> Session:
    day = after + timedelta(days=1)
    for _ in range(30):
        session = session_for(collection, day)
        if session is not None:
            return session
        day += timedelta(days=1)
    raise RuntimeError(f"no session for {collection} within 30 days of {after}")


def previous_session(collection: str, before: date) -> Session:
    day = before - timedelta(days=1)
    for _ in range(30):
        session = session_for(collection, day)
        if session is not None:
            return session
        day -= timedelta(days=1)
    raise RuntimeError(f"no session for {collection} within 30 days of {before}")


def current_session(collection: str, now: datetime) -> Session:
    """The session ``now`` is in, else the next one to come (what the API calls current)."""
    day = trading_date(collection, now)
    session = session_for(collection, day)
    if session is not None and now < session.close_at_ext:
        return session
    return next_session(collection, day)


def session_state(collection: str, now: datetime) -> str:
    """``Open`` | ``Pre-market`` | ``Extended`` | ``Closed`` for ``collection`` at ``now``."""
    if collection == CRYPTO:
        return "Open"
    day = trading_date(collection, now)
    session = session_for(collection, day)
    return "Closed" if session is None else session.state(now)


def regular_hours_start(
    now: datetime, *, into_session: timedelta = timedelta(minutes=30)
) -> datetime | None:
    """``None`` while US equities trade regular hours at ``now``; otherwise a moment
    ``into_session`` after the latest regular open before ``now`` — a clock start that lets a
    demo or a test see every instrument move whatever the wall-clock time."""
    if session_state(EQUITY, now) == "Open":
        return None
    day = trading_date(EQUITY, now)
    session = session_for(EQUITY, day)
    if session is None or session.open_at > now:
        session = previous_session(EQUITY, day)
    return session.open_at + into_session


__all__ = [
    "CHICAGO",
    "CME",
    "COLLECTIONS",
    "CRYPTO",
    "EARLIEST",
    "EQUITY",
    "LATEST",
    "MAX_SPEED",
    "Session",
    "SimClock",
    "current_session",
    "is_trading_day",
    "market_half_days",
    "market_holidays",
    "next_session",
    "next_trading_day",
    "previous_session",
    "previous_trading_day",
    "regular_hours_start",
    "session_for",
    "session_state",
    "trading_date",
]
