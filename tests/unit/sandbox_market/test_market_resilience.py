"""The market task survives what a step can throw, and the clock cannot leave the calendar.

Issue 9 §4: ``clock {"set": "9999-12-31T23:59:59Z"}`` used to be accepted, after which a market
step raised, the market task died and took the sandbox's other tasks down with it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sandbox.__main__ import parse_args
from sandbox.clock import EARLIEST, LATEST, MAX_SPEED, SimClock
from sandbox.market import Market
from sandbox.quotes import Tick
from tests.support import eventually, eventually_sync
from tests.unit.sandbox_market.conftest import OPEN_TIME


class FlakyClock(SimClock):
    """A clock whose ``now_ms`` raises ``failures`` times before it works."""

    def __init__(self, failures: int) -> None:
        super().__init__(OPEN_TIME, speed=1.0)
        self.failures = failures

    def now_ms(self) -> int:
        if self.failures > 0:
            self.failures -= 1
            raise OverflowError("date value out of range")
        return super().now_ms()


async def test_a_failing_step_is_logged_once_and_the_task_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FlakyClock(failures=3)
    market = Market(seed=42, clock=clock)
    market.watch("SPY")
    seen: list[str] = []
    market.add_listener(seen.append)

    async def notified() -> bool:
        assert not task.done(), "the market task died"
        return bool(seen)

    with caplog.at_level(logging.INFO, logger="sandbox.market"):
        task = asyncio.create_task(market.run())
        try:
            await eventually(notified, timeout=5, interval=0.01)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert clock.failures == 0
    assert seen[0] == "SPY"
    failures = [r for r in caplog.records if r.message.startswith("market step failed")]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert any(r.message == "market steps succeed again" for r in caplog.records)


def test_a_symbol_that_cannot_be_priced_does_not_starve_the_others(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    market = Market(seed=42, clock=SimClock(OPEN_TIME, speed=0))
    market.watch("SPY")
    market.watch("AAPL")
    seen: list[str] = []
    market.add_listener(seen.append)
    compute = market._compute

    def broken_for_spy(model: object, step: int) -> Tick:
        if getattr(getattr(model, "info", None), "symbol", None) == "SPY":
            raise ArithmeticError("cannot price")
        return compute(model, step)  # type: ignore[arg-type]

    monkeypatch.setattr(market, "_compute", broken_for_spy)
    with caplog.at_level(logging.WARNING, logger="sandbox.market"):
        market._notify_changes()
        market._notify_changes()
    assert seen == ["AAPL"]
    warnings = [r for r in caplog.records if r.message == "cannot price SPY; skipping it"]
    assert len(warnings) == 1  # once, not every step
    monkeypatch.setattr(market, "_compute", compute)
    market._notify_changes()
    assert seen == ["AAPL", "SPY"]


# ----- the clock's range ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "when",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        LATEST + timedelta(seconds=1),
        EARLIEST - timedelta(seconds=1),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime.max,  # naive: read as UTC
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),  # past datetime.max
    ],
)
def test_the_clock_refuses_instants_outside_its_range(when: datetime) -> None:
    clock = SimClock(OPEN_TIME, speed=0)
    with pytest.raises(ValueError, match="the clock stays within"):
        clock.set(when)
    with pytest.raises(ValueError, match="the clock stays within"):
        SimClock(when)
    assert clock.now() == OPEN_TIME


@pytest.mark.parametrize("seconds", [1e300, -1e300, float("nan"), float("inf")])
def test_the_clock_refuses_advances_that_leave_the_range(seconds: float) -> None:
    clock = SimClock(OPEN_TIME, speed=0)
    with pytest.raises(ValueError):
        clock.advance(seconds)
    assert clock.now() == OPEN_TIME


@pytest.mark.parametrize("speed", [-1.0, float("nan"), float("inf"), MAX_SPEED * 2])
def test_the_clock_refuses_speeds_it_cannot_run_at(speed: float) -> None:
    clock = SimClock(OPEN_TIME, speed=0)
    with pytest.raises(ValueError, match="speed"):
        clock.speed = speed
    with pytest.raises(ValueError, match="speed"):
        SimClock(OPEN_TIME, speed=speed)
    assert clock.speed == 0


def test_a_fast_clock_stops_at_the_end_of_its_range_and_the_market_still_prices() -> None:
    clock = SimClock(LATEST - timedelta(seconds=1), speed=MAX_SPEED)
    market = Market(seed=42, clock=clock)
    eventually_sync(lambda: clock.now() == LATEST, timeout=5, interval=0.001)
    assert clock.now() == LATEST  # not past it, however fast it runs
    book = market.book("SPY")
    assert book.ask > book.bid > 0
    for edge in (EARLIEST, LATEST):
        edge_market = Market(seed=42, clock=SimClock(edge, speed=0))
        assert edge_market.book("SPY").ask > 0
        assert edge_market.session_state("CME") in ("Open", "Closed")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--clock-start", "9999-12-31T23:59:59"], "the clock stays within"),
        (["--clock-speed", "nan"], "speed must be between"),
    ],
)
def test_the_command_line_refuses_a_clock_it_cannot_run(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
