"""The shared reconnect loop, driven by scripted sessions with a fake clock and sleep.

The last test pins what each real streamer names itself (log lines and their logger, error
messages, task names), so that sharing the loop cannot change them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from websockets.exceptions import ConnectionClosed, InvalidURI
from websockets.frames import Close

from adapters.tastytrade.account_stream import AccountStreamer
from adapters.tastytrade.backoff import Backoff
from adapters.tastytrade.dxlink import DXLinkStreamer
from adapters.tastytrade.errors import (
    ErrorStream,
    StreamDisconnected,
    TastytradeError,
    Unrecoverable,
)
from adapters.tastytrade.fanout import Listener, Reconnected, StreamState
from adapters.tastytrade.quote_token import StaticQuoteToken
from adapters.tastytrade.reconnect import ReconnectingStream
from tests.support import eventually
from tests.unit.client_core.account_server import FakeAccountStreamer
from tests.unit.client_core.dxlink_server import FakeDXLink
from tests.unit.client_core.fakes import FakeClock

LOGGER = "tests.fake_stream"
Step = Callable[["Scripted"], Awaitable[None]]


@dataclass
class ClockSleep:
    """Records delays and moves the fake clock on by each one."""

    clock: FakeClock
    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.clock.now += delay
        await asyncio.sleep(0)


class Scripted(ReconnectingStream[str, str]):
    """Each session runs the next scripted step; when the script is used up, it parks."""

    def __init__(self, steps: list[Step], *, healthy_after: float = 10.0) -> None:
        self.clock = FakeClock()
        self.sleeps = ClockSleep(self.clock)
        super().__init__(
            stream="fake",
            label="fake stream",
            task_name="fake-loop",
            log=logging.getLogger(LOGGER),
            errors=ErrorStream(),
            reconnect_backoff=Backoff(base=1.0, cap=8.0),
            healthy_after=healthy_after,
            rand=lambda: 1.0,  # delays are the ceilings: 1, 2, 4, 8, 8, ...
            sleep=self.sleeps,
            clock=self.clock,
        )
        self.steps = list(steps)
        self.sessions = 0
        self.reasons: list[TastytradeError] = []
        self.conn_at_failure: list[str | None] = []

    async def _session(self) -> None:
        self.sessions += 1
        step = self.steps.pop(0) if self.steps else park
        await step(self)

    def _before_reconnect(self, reason: TastytradeError) -> None:
        self.conn_at_failure.append(self._conn)
        self.reasons.append(reason)

    def disconnected(self) -> list[StreamDisconnected]:
        return [e for e in self.errors.drain() if isinstance(e, StreamDisconnected)]


def fail(exc: Exception) -> Step:
    async def step(stream: Scripted) -> None:
        raise exc

    return step


def up_then_fail(up_for: float, exc: Exception) -> Step:
    async def step(stream: Scripted) -> None:
        stream._conn = f"conn-{stream.sessions}"
        stream._session_running()
        stream.clock.now += up_for
        raise exc

    return step


async def park(stream: Scripted) -> None:
    stream._conn = f"conn-{stream.sessions}"
    stream._session_running()
    await asyncio.Event().wait()


async def ends(stream: Scripted) -> None:
    stream._session_running()


async def parked(stream: Scripted) -> None:
    async def probe() -> bool:
        return stream.state is StreamState.RUNNING and not stream.steps

    await eventually(probe, timeout=5, message="script not finished")


async def test_failures_back_off_and_are_reported_in_order() -> None:
    stream = Scripted(
        [
            fail(OSError("refused")),
            fail(ConnectionClosed(Close(1012, "restart"), None)),
            fail(StreamDisconnected("no frame for 61.0s", stream="fake", code=1011)),
        ]
    )
    async with stream:
        await parked(stream)
        assert stream.generation == 1
        assert stream.disconnects == 3
        assert stream.sleeps.delays == [1.0, 2.0, 4.0]
        reports = stream.disconnected()
    assert [(r.attempt, r.code, r.stream) for r in reports] == [
        (1, None, "fake"),
        (2, 1012, "fake"),
        (3, 1011, "fake"),
    ]
    assert reports[0].message == (
        "fake stream disconnected (connect failed: OSError: refused); reconnect in 1.00s"
    )
    assert reports[2].message == (
        "fake stream disconnected (no frame for 61.0s); reconnect in 4.00s"
    )
    assert [type(r).__name__ for r in stream.reasons] == ["StreamDisconnected"] * 3
    assert stream.state is StreamState.STOPPED


async def test_backoff_resets_only_after_a_healthy_connection() -> None:
    drop = StreamDisconnected("connection closed by server", stream="fake")
    stream = Scripted(
        [
            up_then_fail(9.9, drop),  # flapping: keeps growing
            up_then_fail(9.9, drop),
            up_then_fail(10.0, drop),  # healthy long enough: reset
            up_then_fail(0.0, drop),
        ]
    )
    async with stream:
        await parked(stream)
        attempts = [r.attempt for r in stream.disconnected()]
    assert stream.sleeps.delays == [1.0, 2.0, 1.0, 2.0]
    assert attempts == [1, 2, 1, 2]
    assert stream.generation == 5
    assert stream.conn_at_failure == [None] * 4  # the connection is dropped before the hook


async def test_hooks_learn_downtime_and_a_failing_hook_spares_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    seen: list[Reconnected] = []

    def broken(info: Reconnected) -> None:
        raise RuntimeError("hook bug")

    stream = Scripted([up_then_fail(5.0, OSError("reset")), fail(OSError("refused"))])
    stream.on_reconnect(broken)
    stream.on_reconnect(seen.append)
    async with stream:
        await parked(stream)
    assert seen == [Reconnected(generation=2, down_for_s=3.0)]  # slept 1 + 2 while down
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert "fake stream reconnected (generation 2, down 3.0s, 2 failed attempts)" in lines
    assert "on_reconnect hook failed" in lines
    assert lines[:5] == [
        "fake stream stopped -> connecting",
        "fake stream connecting -> running",
        "fake stream down (connect failed: OSError: reset); reconnecting",
        "fake stream running -> degraded",
        "fake stream degraded -> running",
    ]
    assert lines[-2:] == ["fake stream running -> stopping", "fake stream stopping -> stopped"]


async def test_an_outage_is_logged_once_at_warning_with_its_counts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A frozen server: silence, then every new connection times out in its handshake."""
    caplog.set_level(logging.DEBUG)
    frozen = StreamDisconnected("no frame for 61.0s", stream="fake")
    timeout = TimeoutError("handshake")
    stream = Scripted([up_then_fail(30.0, frozen), *[fail(timeout) for _ in range(6)]])
    async with stream:
        await parked(stream)
    ours = [r for r in caplog.records if r.levelno >= logging.INFO]
    warnings = [r.getMessage() for r in ours if r.levelno == logging.WARNING]
    assert warnings == [
        "fake stream down (no frame for 61.0s); reconnecting",
        "fake stream reconnected (generation 2, down 39.0s, 7 failed attempts)",
    ]
    assert not [r for r in ours if "disconnected" in r.getMessage()]  # per attempt: DEBUG
    per_attempt = [r for r in caplog.records if "still down" in r.getMessage()]
    assert len(per_attempt) == 6
    assert {r.levelno for r in per_attempt} == {logging.DEBUG}


async def test_a_stop_while_down_reports_the_outage(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)

    async def hang(stream: Scripted) -> None:
        await asyncio.Event().wait()

    stream = Scripted([fail(OSError("refused")), fail(OSError("refused")), hang])
    async with stream:

        async def third() -> bool:
            return stream.sessions == 3

        await eventually(third, timeout=5)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert lines == [
        "fake stream down (connect failed: OSError: refused); reconnecting",
        "fake stream stopped while down (3.0s, 2 failed attempts)",
    ]


async def test_no_hook_for_the_first_connection_even_after_failed_attempts() -> None:
    seen: list[Reconnected] = []
    stream = Scripted([fail(OSError("refused")), fail(OSError("refused"))])
    stream.on_reconnect(seen.append)
    async with stream:
        await parked(stream)
        assert stream.generation == 1
    assert seen == []


async def test_non_retriable_failure_gives_up_for_good() -> None:
    stream = Scripted([fail(InvalidURI("fake://", "bad scheme"))])
    async with stream:
        with pytest.raises(Unrecoverable) as raised:
            async for _ in stream.events():
                pass
        assert stream.state is StreamState.STOPPED
        errors = stream.errors.drain()
    assert raised.value.message.startswith("fake stream gave up: bad fake url:")
    assert isinstance(raised.value.cause, Unrecoverable)  # the translated reason
    assert errors == [raised.value]
    assert stream.disconnects == 0
    assert stream.sleeps.delays == []
    assert stream.reasons == []
    assert stream.sessions == 1


async def test_a_session_that_just_ends_is_a_retriable_disconnect() -> None:
    stream = Scripted([ends])
    async with stream:
        await parked(stream)
        reports = stream.disconnected()
    assert [r.message for r in reports] == [
        "fake stream disconnected (session ended); reconnect in 1.00s"
    ]
    assert stream.generation == 2


async def test_events_reach_listeners_and_end_cleanly_on_stop() -> None:
    async def publishes(stream: Scripted) -> None:
        stream._session_running()
        for item in ("a", "b", "c"):
            stream._fanout.publish(item)
        await asyncio.Event().wait()

    stream = Scripted([])
    stream.steps.append(publishes)
    received: list[str] = []
    async with stream:
        listener = stream.listen(name="reader")

        async def all_three() -> bool:
            return listener.qsize() == 3 or len(received) == 3

        await eventually(all_three, timeout=5)
        assert stream._fanout.listener_stats() == {"reader": {"queued": 3, "dropped": 0}}
        consumer = asyncio.create_task(_drain(listener, received))
        await eventually(lambda: _true(len(received) == 3), timeout=5)
    await asyncio.wait_for(consumer, 5)  # iteration ended with the stop, no failure
    assert received == ["a", "b", "c"]
    assert stream.state is StreamState.STOPPED


async def test_a_stop_racing_a_failing_session_is_not_a_disconnect() -> None:
    async def fails_on_cancel(stream: Scripted) -> None:
        stream._session_running()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise OSError("socket torn down") from None

    stream = Scripted([fails_on_cancel])
    async with stream:
        await parked(stream)
        await asyncio.wait_for(stream.stop(), 5)  # the cancel is not lost to the OSError
    assert stream.state is StreamState.STOPPED
    assert stream.disconnects == 0
    assert stream.disconnected() == []
    assert stream.sessions == 1


async def test_reentering_after_stop_starts_a_fresh_loop() -> None:
    stream = Scripted([])
    async with stream:
        await parked(stream)
    async with stream:
        await eventually(lambda: _true(stream.generation == 2), timeout=5)
        assert stream.state is StreamState.RUNNING
        listener = stream.listen()
        assert listener.get_nowait() is None
    assert stream.sessions == 2


class Bearer:
    async def bearer(self) -> str:
        return "Bearer at-1"


@pytest.mark.parametrize(
    ("kind", "logger_name", "label", "tasks"),
    [
        ("dxlink", "adapters.tastytrade.dxlink", "dxlink", {"dxlink", "dxlink-session"}),
        (
            "account",
            "adapters.tastytrade.account_stream",
            "account stream",
            {"account-stream", "account-session"},
        ),
    ],
)
async def test_each_streamer_keeps_its_names(
    kind: str, logger_name: str, label: str, tasks: set[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.tastytrade")
    errors = ErrorStream()
    backoff = Backoff(base=0.01, cap=0.05)
    stream: DXLinkStreamer | AccountStreamer
    drop: Callable[[], Awaitable[None]]
    async with contextlib.AsyncExitStack() as stack:
        if kind == "dxlink":
            dxlink = await stack.enter_async_context(FakeDXLink())
            token = StaticQuoteToken(dxlink.token, dxlink.url)
            stream = DXLinkStreamer(token, errors=errors, reconnect_backoff=backoff)
            drop, code = dxlink.drop, 1012
        else:
            account = await stack.enter_async_context(FakeAccountStreamer())
            stream = AccountStreamer(
                account.url, ["5WT00001"], Bearer(), errors=errors, reconnect_backoff=backoff
            )
            drop, code = account.drop, 1011

        async def running(generation: int) -> bool:
            return stream.state is StreamState.RUNNING and stream.generation == generation

        async with stream:
            await eventually(lambda: running(1), timeout=10)
            assert tasks <= {task.get_name() for task in asyncio.all_tasks()}
            await drop()
            await eventually(lambda: running(2), timeout=10)
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == logger_name and (" -> " in r.getMessage() or "reconnected" in r.msg)
    ]
    assert lines[:4] == [
        f"{label} stopped -> connecting",
        f"{label} connecting -> running",
        f"{label} running -> degraded",
        f"{label} degraded -> running",
    ]
    assert lines[4].startswith(f"{label} reconnected (generation 2, down ")
    assert lines[5:] == [f"{label} running -> stopping", f"{label} stopping -> stopped"]
    (report,) = [e for e in errors.drain() if isinstance(e, StreamDisconnected)]
    assert report.message.startswith(f"{label} disconnected (")
    assert "); reconnect in " in report.message
    assert (report.stream, report.attempt, report.code) == (kind, 1, code)


async def _drain(listener: Listener[str], into: list[str]) -> None:
    async for item in listener:
        into.append(item)


async def _true(value: bool) -> bool:
    return value
