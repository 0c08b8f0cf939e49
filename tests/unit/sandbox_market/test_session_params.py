"""``/market-time/…/sessions/{current,next,previous}`` honour ``current-time`` and ``date``
(§4.7) and refuse malformed values with a 400 error envelope."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox import clock as sessions


async def get(api: httpx.AsyncClient, path: str, **params: str) -> httpx.Response:
    return await api.get(path, params=params)


async def data(api: httpx.AsyncClient, path: str, **params: str) -> Any:
    response = await get(api, path, **params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


EQ = "/market-time/equities/sessions"


@pytest.mark.parametrize(
    ("current_time", "state", "session_date"),
    [
        ("2026-11-28T18:00:00Z", "Closed", "2026-11-30"),  # Saturday: Monday's to come
        ("2026-11-30T14:00:00.000+00:00", "Pre-market", "2026-11-30"),  # 08:00 CT
        ("2026-11-30T09:00:00-06:00", "Open", "2026-11-30"),
        ("2026-11-30 09:00:00-06:00", "Open", "2026-11-30"),  # an unencoded '+'/space form
        ("2026-11-30T15:00:00 00:00", "Open", "2026-11-30"),  # '+' sent raw became a space
        ("2026-11-30T23:00:00", "Extended", "2026-11-30"),  # no offset: UTC
        ("2026-11-26T15:00:00Z", "Closed", "2026-11-27"),  # Thanksgiving
    ],
)
async def test_current_answers_for_current_time(
    api: httpx.AsyncClient, current_time: str, state: str, session_date: str
) -> None:
    current = await data(api, f"{EQ}/current", **{"current-time": current_time})
    assert (current["state"], current["session-date"]) == (state, session_date)
    assert current["previous-session"]["session-date"] < session_date
    assert current["next-session"]["session-date"] > session_date


async def test_without_parameters_the_clock_decides(api: httpx.AsyncClient) -> None:
    current = await data(api, f"{EQ}/current")  # Tuesday 2026-11-24, 11:00 CT
    assert (current["state"], current["session-date"]) == ("Open", "2026-11-24")
    assert (await data(api, f"{EQ}/next"))["session-date"] == "2026-11-25"
    assert (await data(api, f"{EQ}/previous"))["session-date"] == "2026-11-23"


@pytest.mark.parametrize(
    ("day", "following", "preceding"),
    [
        ("2026-11-20", "2026-11-23", "2026-11-19"),  # a Friday
        ("2026-11-22", "2026-11-23", "2026-11-20"),  # a Sunday
        ("2026-11-26", "2026-11-27", "2026-11-25"),  # Thanksgiving
        ("2026-12-31", "2027-01-04", "2026-12-30"),  # over New Year (Jan 1 a Friday)
    ],
)
async def test_next_and_previous_answer_around_date(
    api: httpx.AsyncClient, day: str, following: str, preceding: str
) -> None:
    nxt = await data(api, f"{EQ}/next", date=day)
    prev = await data(api, f"{EQ}/previous", date=day)
    assert (nxt["session-date"], prev["session-date"]) == (following, preceding)
    assert nxt["instrument-collection"] == "Equity"


async def test_futures_next_and_previous_honour_date(api: httpx.AsyncClient) -> None:
    nxt = await data(api, "/market-time/futures/sessions/next/CME", date="2026-11-20")
    prev = await data(api, "/market-time/futures/sessions/previous/CME", date="2026-11-20")
    assert (nxt["session-date"], prev["session-date"]) == ("2026-11-23", "2026-11-19")


@pytest.mark.parametrize(
    ("which", "name", "value"),
    [
        ("current", "current-time", "now"),
        ("current", "current-time", "2026-11-28"),  # a date is not a date-time
        ("current", "current-time", "2026-11-28T24:30:00Z"),
        ("next", "date", "2026-02-30"),
        ("next", "date", "2026-11-20T10:00:00Z"),
        ("previous", "date", "20261120"),
        ("previous", "date", "yesterday"),
    ],
)
async def test_malformed_values_are_400_with_the_error_envelope(
    api: httpx.AsyncClient, which: str, name: str, value: str
) -> None:
    response = await get(api, f"{EQ}/{which}", **{name: value})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "invalid_parameter"
    assert name in body["error"]["message"]
    assert value in body["error"]["message"]


async def test_unknown_relative_session_is_404(api: httpx.AsyncClient) -> None:
    response = await get(api, f"{EQ}/tomorrow", date="2026-11-20")
    assert response.status_code == 404


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)))
async def test_next_and_previous_bracket_any_date_with_trading_days(
    api: httpx.AsyncClient, day: date
) -> None:
    nxt = date.fromisoformat((await data(api, f"{EQ}/next", date=day.isoformat()))["session-date"])
    prev = date.fromisoformat(
        (await data(api, f"{EQ}/previous", date=day.isoformat()))["session-date"]
    )
    assert prev < day < nxt
    assert sessions.is_trading_day(nxt)
    assert sessions.is_trading_day(prev)
    between = [prev + timedelta(days=i) for i in range(1, (nxt - prev).days)]
    assert not any(sessions.is_trading_day(d) for d in between if d != day)


async def test_current_time_session_contains_it_or_is_the_next_to_come(
    api: httpx.AsyncClient,
) -> None:
    at = datetime.fromisoformat("2026-11-25T23:30:00+00:00")  # Wednesday 17:30 CT: Extended
    current = await data(api, f"{EQ}/current", **{"current-time": at.isoformat()})
    assert current["state"] == "Extended"
    assert current["start-at"] <= "2026-11-25T23:30" < current["close-at-ext"]
