"""Start-up and reload faults never lose subscriptions; shutdown never loses queued events.

Resolution runs through the real ``resolve`` and the real REST session over
``httpx.MockTransport``; time is simulated (the injected sleep advances the injected clock).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import pytest

from adapters.tastytrade.backoff import Backoff, RetryPolicy
from adapters.tastytrade.errors import AuthError, ErrorStream
from adapters.tastytrade.http import HttpSession
from adapters.tastytrade.rest import Rest
from ingest.normalize import Normalized
from ingest.quotes import IngestConfig, QuoteIngestor
from tests.support import eventually
from tests.unit.ingest.test_quote_ingestor import FakePublisher, FakeStreamer, _quote

BASE = "https://api.example.test"
EQUITIES = "/instruments/equities/"


@dataclass
class FakeApi:
    """Equities by symbol; ``faults`` answers are served first, to any request, in order."""

    known: set[str] = field(default_factory=lambda: {"SPY", "AAPL", "QQQ"})
    faults: list[int] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    now: float = 0.0

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        if self.faults:
            status = self.faults.pop(0)
            code = {401: "invalid_client", 429: "too_many_requests"}.get(status, "internal")
            return httpx.Response(status, json={"error": {"code": code, "message": "fault"}})
        symbol = request.url.path.removeprefix(EQUITIES)
        if symbol not in self.known:
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})
        body = {"instrument-type": "Equity", "symbol": symbol, "streamer-symbol": symbol}
        return httpx.Response(200, json={"data": body})

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += delay
        await asyncio.sleep(0)


@dataclass
class World:
    api: FakeApi
    http: HttpSession
    ingestor: QuoteIngestor
    streamer: FakeStreamer
    publisher: FakePublisher


def world(
    symbols: tuple[str, ...], *, publisher: FakePublisher | None = None, drain: float = 10.0
) -> World:
    api = FakeApi()
    http = HttpSession(
        BASE,
        None,
        transport=httpx.MockTransport(api.handler),
        retry_policy=RetryPolicy(attempts=4, backoff=Backoff(base=0.25, cap=8.0)),
        sleep=api.sleep,
        clock=api.clock,
        rand=lambda: 1.0,
    )
    errors = ErrorStream()
    streamer = FakeStreamer(errors)
    publisher = publisher or FakePublisher()
    config = IngestConfig(
        symbols=symbols, event_types=("Quote",), source="dxlink:test", drain_timeout_s=drain
    )
    ingestor = QuoteIngestor(
        config,
        Rest(http),
        cast(Any, lambda: streamer),
        cast(Any, publisher),
        errors,
        now_ms=lambda: 0,
    )
    return World(api, http, ingestor, streamer, publisher)


async def check(predicate: Callable[[], bool]) -> None:
    async def probe() -> bool:
        return predicate()

    await eventually(probe, timeout=10)


def quoted(w: World) -> set[str]:
    return set(w.streamer.subs.get("Quote", {}))


async def test_a_429_storm_at_start_up_is_retried_until_every_symbol_streams() -> None:
    w = world(("SPY", "AAPL", "QQQ"))
    w.api.faults = [429] * 40
    stop = asyncio.Event()
    async with w.http:
        task = asyncio.create_task(w.ingestor.run(stop))
        await check(lambda: quoted(w) == {"SPY", "AAPL", "QQQ"})
        stop.set()
        await task
    assert w.api.faults == []
    assert w.ingestor.metrics.pending == []
    assert w.ingestor.metrics.unresolved == []
    assert w.ingestor.metrics.resolve_retries >= 1
    # one growing schedule: the last requests of the storm waited the cap (8 s), not ~0.1 s
    assert w.http.cooldown.failures == 0
    assert w.api.now >= 8.0 * 20


async def test_a_transient_failure_in_a_reload_keeps_live_symbols(
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = world(("SPY", "AAPL"))
    stop = asyncio.Event()
    async with w.http:
        task = asyncio.create_task(w.ingestor.run(stop))
        await check(lambda: quoted(w) == {"SPY", "AAPL"})
        w.api.faults = [503] * 4  # SPY's reload fails all the session's attempts
        resolved = await w.ingestor.apply(["SPY", "AAPL", "QQQ"])
        assert set(resolved.underlyings) == {"SPY", "AAPL", "QQQ"}
        assert quoted(w) == {"SPY", "AAPL", "QQQ"}  # SPY stayed live
        assert not [c for c in w.streamer.calls if c[0] == "remove"]
        assert w.ingestor.metrics.pending in (["SPY"], [])
        await check(lambda: w.ingestor.metrics.pending == [])
        stop.set()
        await task
    assert "cannot resolve SPY now" in caplog.text
    assert "unknown symbol" not in caplog.text


async def test_an_unknown_symbol_is_reported_once_and_not_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = world(("SPY", "NOPE"))
    stop = asyncio.Event()
    async with w.http:
        task = asyncio.create_task(w.ingestor.run(stop))
        await check(lambda: w.ingestor.state == "running")
        await w.ingestor.apply(["SPY", "NOPE"])
        await w.ingestor.apply(["NOPE", "SPY"])
        stop.set()
        await task
    assert caplog.text.count("unknown symbol 'NOPE'") == 1
    assert w.ingestor.metrics.unresolved == ["NOPE"]
    assert w.ingestor.metrics.resolve_retries == 0
    assert w.api.calls.count(EQUITIES + "NOPE") == 3  # once per apply, never in a retry loop


async def test_an_auth_failure_is_not_an_unknown_symbol(caplog: pytest.LogCaptureFixture) -> None:
    w = world(("SPY",))
    stop = asyncio.Event()
    async with w.http:
        task = asyncio.create_task(w.ingestor.run(stop))
        await check(lambda: quoted(w) == {"SPY"})
        w.api.faults = [401]
        with pytest.raises(AuthError):
            await w.ingestor.apply(["SPY", "AAPL"])
        assert quoted(w) == {"SPY"}  # nothing dropped, nothing half-applied
        stop.set()
        await task
    assert "unknown symbol" not in caplog.text


class SlowPublisher(FakePublisher):
    """Yields on every publish (as a real producer does under load)."""

    async def publish(self, item: Normalized) -> None:
        await asyncio.sleep(0)
        await super().publish(item)


class StuckPublisher(FakePublisher):
    """A broker that never takes another record."""

    async def publish(self, item: Normalized) -> None:
        await asyncio.Event().wait()


async def test_events_queued_at_shutdown_are_published() -> None:
    w = world(("SPY",), publisher=SlowPublisher())
    stop = asyncio.Event()
    async with w.http:
        task = asyncio.create_task(w.ingestor.run(stop))
        await check(lambda: quoted(w) == {"SPY"})
        for n in range(500):
            w.streamer.fanout.publish(_quote("SPY", 100.0 + n))
        await asyncio.sleep(0)  # the reader starts on the backlog ...
        stop.set()  # ... and the stop comes while most of it is queued
        await task
    assert len(w.publisher.items) == 500
    assert w.ingestor.metrics.shutdown_drained > 0
    assert w.ingestor.metrics.shutdown_discarded == 0


async def test_events_that_cannot_be_published_at_shutdown_are_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = world(("SPY",), publisher=StuckPublisher(), drain=0.05)
    stop = asyncio.Event()
    async with w.http:
        task = asyncio.create_task(w.ingestor.run(stop))
        await check(lambda: quoted(w) == {"SPY"})
        for n in range(50):
            w.streamer.fanout.publish(_quote("SPY", 100.0 + n))
        await asyncio.sleep(0)
        stop.set()
        await task
    metrics = w.ingestor.metrics
    assert metrics.shutdown_discarded == 49  # one is stuck in the broker's hands
    assert "49 queued events not published" in caplog.text
    assert any(r.levelno == logging.WARNING for r in caplog.records)


async def test_normalize_failures_are_logged_once_per_type_then_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = world(("SPY",))
    stop = asyncio.Event()
    async with w.http:
        task = asyncio.create_task(w.ingestor.run(stop))
        await check(lambda: quoted(w) == {"SPY"})
        bad = _quote("SPY", 1.0)._replace(bid_price=object())  # type: ignore[arg-type]
        for _ in range(5):
            w.streamer.fanout.publish(bad)
        await check(lambda: w.ingestor.metrics.normalize_failures == 5)
        stop.set()
        await task
    lines = [r for r in caplog.records if "normalize" in r.getMessage()]
    assert [r.levelno for r in lines] == [logging.WARNING, logging.WARNING]
    assert "cannot normalize Quote SPY" in lines[0].getMessage()
    assert lines[1].getMessage() == "5 events could not be normalized (Quote 5)"


async def test_a_refused_credential_during_a_retry_is_logged_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = world(("SPY",))
    w.api.faults = [429] * 4 + [401]  # start-up fails transiently, the first retry is refused
    stop = asyncio.Event()
    async with w.http:
        task = asyncio.create_task(w.ingestor.run(stop))
        await check(lambda: quoted(w) == {"SPY"})
        stop.set()
        await task
    assert w.ingestor.metrics.resolve_retries == 2
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage().split(":")[0] for r in errors] == ["cannot resolve SPY"]
    assert "unknown symbol" not in caplog.text
