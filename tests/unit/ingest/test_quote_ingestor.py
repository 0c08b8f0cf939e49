"""The quote ingestor against fakes: subscription diffs, publishing, dedupe, gap fill, watchlist."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

import pytest

from adapters.tastytrade import events as ev
from adapters.tastytrade.backoff import Cooldown
from adapters.tastytrade.errors import ErrorStream, StreamDisconnected
from adapters.tastytrade.events import MarketEvent
from adapters.tastytrade.fanout import Fanout, Listener, Reconnected
from ingest import quotes
from ingest.backfill import BackfillSpec, BadBackfill, parse_backfill
from ingest.normalize import Normalized, SymbolInfo
from ingest.quotes import IngestConfig, QuoteIngestor
from ingest.watchlist import Resolved, WatchlistFile, parse_entries
from tests.support import eventually

NOW_MS = 1_764_000_000_000


class FakeStreamer:
    def __init__(self, errors: ErrorStream) -> None:
        self.fanout: Fanout[MarketEvent] = Fanout("dxlink", errors)
        self.subs: dict[str, dict[str, int | None]] = {}
        self.calls: list[tuple[str, str, tuple[str, ...], int | None]] = []
        self.hooks: list[Callable[[Reconnected], object]] = []

    def on_reconnect(self, hook: Callable[[Reconnected], object]) -> None:
        self.hooks.append(hook)

    def reconnected(self) -> None:
        """What the real streamer does once a new connection runs, before its replay."""
        for hook in self.hooks:
            hook(Reconnected(2, 1.0))

    def resume_history(self, event_type: str, starts: dict[str, int]) -> None:
        current = self.subs.get(event_type, {})
        current.update({k: v for k, v in starts.items() if k in current})

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.fanout.close()

    def listen(self, maxsize: int = 10_000, *, name: str = "") -> Listener[MarketEvent]:
        return self.fanout.listen(maxsize, name=name)

    @property
    def subscriptions(self) -> dict[str, dict[str, int | None]]:
        return {k: dict(v) for k, v in self.subs.items()}

    async def subscribe(
        self, event_type: str, symbols: Iterable[str], from_time: int | datetime | None = None
    ) -> None:
        start = from_time if isinstance(from_time, int) else None
        names = tuple(symbols)
        self.calls.append(("add", event_type, names, start))
        self.subs.setdefault(event_type, {}).update(dict.fromkeys(names, start))

    async def unsubscribe(self, event_type: str, symbols: Iterable[str]) -> None:
        names = tuple(symbols)
        self.calls.append(("remove", event_type, names, None))
        for name in names:
            self.subs.get(event_type, {}).pop(name, None)


class FakePublisher:
    def __init__(self) -> None:
        self.items: list[Normalized] = []
        self.flushed = 0

    async def publish(self, item: Normalized) -> None:
        self.items.append(item)

    async def flush(self) -> None:
        self.flushed += 1


UNIVERSE = {
    "SPY": ("SPY", SymbolInfo("SPY", "Equity")),
    "BTC/USD": ("BTC/USD:CXTALP", SymbolInfo("BTC/USD", "Cryptocurrency")),
}


async def fake_resolve(
    rest: Any, symbols: Iterable[str], chains: dict[str, int], **_: Any
) -> Resolved:
    out = Resolved()
    for symbol in symbols:
        if symbol in UNIVERSE:
            streamer, info = UNIVERSE[symbol]
            out.add(symbol, {streamer: info}, options=False)
        else:
            out.unresolved.append(symbol)
    for underlying, count in chains.items():
        option = SymbolInfo(f"{underlying}   261218C00600000", "Equity Option")
        out.add(f"{underlying}:{count}", {f".{underlying}261218C600": option}, options=True)
    return out


@pytest.fixture
def world(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[QuoteIngestor, FakeStreamer, FakePublisher, ErrorStream]:
    monkeypatch.setattr(quotes, "resolve", fake_resolve)
    errors = ErrorStream()
    streamer = FakeStreamer(errors)
    publisher = FakePublisher()
    config = IngestConfig(
        symbols=("SPY", "BTC/USD", "NOPE"),
        option_chains=("SPY:1",),
        event_types=("Quote", "Trade", "Greeks", "Candle"),
        backfill=BackfillSpec(3600, "1m"),
        source="dxlink:test",
    )
    ingestor = QuoteIngestor(
        config,
        rest=cast(Any, None),
        streamer_factory=cast(Any, lambda: streamer),
        publisher=cast(Any, publisher),
        errors=errors,
        now_ms=lambda: NOW_MS,
        cooldown=Cooldown(sleep=_no_sleep),
    )
    return ingestor, streamer, publisher, errors


async def _no_sleep(delay: float) -> None:
    await asyncio.sleep(0)


def _quote(symbol: str, bid: float) -> ev.Quote:
    return ev.Quote(symbol, 0, 1, 0, NOW_MS, "Q", bid, 100.0, NOW_MS, "Q", bid + 0.01, 100.0)


def _candle(symbol: str, time_ms: int) -> ev.Candle:
    fields: dict[str, Any] = dict.fromkeys(ev.Candle._fields, 0)
    fields.update(event_symbol=symbol, time=time_ms, open=1.0, high=1.0, low=1.0, close=1.0)
    return ev.Candle(**fields)


async def _running(ingestor: QuoteIngestor, stop: asyncio.Event) -> asyncio.Task[None]:
    task = asyncio.create_task(ingestor.run(stop))
    await eventually(lambda: _ok(ingestor.state == "running"), timeout=5)
    return task


async def _ok(value: bool) -> bool:
    return value


async def test_subscriptions_follow_types_chains_and_backfill(world: Any) -> None:
    ingestor, streamer, _, _ = world
    stop = asyncio.Event()
    task = await _running(ingestor, stop)
    subs = streamer.subscriptions
    option = ".SPY261218C600"
    assert set(subs["Quote"]) == {"SPY", "BTC/USD:CXTALP", option}
    assert set(subs["Trade"]) == {"SPY", "BTC/USD:CXTALP", option}
    assert set(subs["Greeks"]) == {option}  # greeks only for options
    assert subs["Candle"] == {
        "SPY{=1m}": NOW_MS - 3_600_000,
        "BTC/USD:CXTALP{=1m}": NOW_MS - 3_600_000,
    }
    assert ingestor.metrics.unresolved == ["NOPE"]

    await ingestor.apply(["SPY"])  # BTC and the chain go away everywhere
    subs = streamer.subscriptions
    assert set(subs["Quote"]) == {"SPY"}
    assert subs["Greeks"] == {}
    assert set(subs["Candle"]) == {"SPY{=1m}"}
    removed = {(c[1], c[2]) for c in streamer.calls if c[0] == "remove"}
    assert ("Quote", tuple(sorted(["BTC/USD:CXTALP", option]))) in removed
    stop.set()
    await task


async def test_events_are_normalized_published_and_resends_skipped(world: Any) -> None:
    ingestor, streamer, publisher, _ = world
    stop = asyncio.Event()
    task = await _running(ingestor, stop)
    streamer.fanout.publish(_quote("SPY", 600.0))
    streamer.fanout.publish(_quote("SPY", 600.0))  # re-sent on resubscribe: skipped
    streamer.fanout.publish(_quote("SPY", 600.5))
    streamer.fanout.publish(_candle("SPY{=1m}", NOW_MS - 60_000))
    await eventually(lambda: _ok(len(publisher.items) == 3), timeout=5)
    stop.set()
    await task
    quotes_out = [i for i in publisher.items if i.spec.event_type == "Quote"]
    assert [q.record["bid_price"] for q in quotes_out] == [600.0, 600.5]
    assert quotes_out[0].record["symbol"] == "SPY"
    assert quotes_out[0].record["source"] == "dxlink:test"
    assert ingestor.metrics.duplicates["Quote"] == 1
    assert ingestor.metrics.received["Quote"] == 3
    assert publisher.flushed >= 1


async def test_a_reconnect_moves_candles_to_the_gap(world: Any) -> None:
    """The gap fill hangs on the streamer's on_reconnect hook, not on the error stream."""
    ingestor, streamer, _, errors = world
    stop = asyncio.Event()
    task = await _running(ingestor, stop)
    last = NOW_MS - 5 * 60_000
    streamer.fanout.publish(_candle("SPY{=1m}", last - 60_000))
    streamer.fanout.publish(_candle("SPY{=1m}", last))
    await eventually(lambda: _ok(ingestor.candles.last_ms.get("SPY{=1m}") == last), timeout=5)
    errors.publish(StreamDisconnected("dropped", stream="dxlink", attempt=1))
    await eventually(lambda: _ok(ingestor.metrics.reconnects == 1), timeout=5)
    assert streamer.subs["Candle"]["SPY{=1m}"] == NOW_MS - 3_600_000  # the error moves nothing
    streamer.reconnected()
    assert streamer.subs["Candle"]["SPY{=1m}"] == last  # before the replay, synchronously
    assert streamer.subs["Candle"]["BTC/USD:CXTALP{=1m}"] == NOW_MS - 3_600_000  # nothing seen yet
    stop.set()
    await task


async def test_the_watchlist_file_changes_subscriptions(
    world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingestor, streamer, _, _ = world
    path = tmp_path / "watchlist.txt"
    path.write_text("SPY  # the index fund\n")
    ingestor.config = IngestConfig(**{**ingestor.config.__dict__, "watchlist_file": path})
    monkeypatch.setattr(WatchlistFile, "__init__", _fast_watch)
    stop = asyncio.Event()
    task = await _running(ingestor, stop)
    await eventually(lambda: _ok(set(streamer.subs["Quote"]) == {"SPY"}), timeout=5)
    path.write_text("SPY, BTC/USD\n")
    import os

    os.utime(path, (1, 1))  # a different mtime even within the same second
    await eventually(
        lambda: _ok(set(streamer.subs["Quote"]) == {"SPY", "BTC/USD:CXTALP"}), timeout=5
    )
    stop.set()
    await task


def _fast_watch(self: Any, path: Path, *, interval: float = 2.0) -> None:
    self.path = path
    self.interval = 0.02
    self._mtime = None


def test_entries_and_backfill_parse() -> None:
    plain, chains = parse_entries(["SPY", " /ESZ5 ", "BTC/USD", "#x", "QQQ:2"], ["SPY:1", "SPY:3"])
    assert plain == ["SPY", "/ESZ5", "BTC/USD"]
    assert chains == {"QQQ": 2, "SPY": 3}
    assert parse_backfill("1d@1m") == BackfillSpec(86_400, "1m")
    assert parse_backfill("6h @ 5m") == BackfillSpec(21_600, "5m")
    assert parse_backfill("none") is None
    with pytest.raises(BadBackfill):
        parse_backfill("yesterday")


async def test_a_burst_is_drained_in_order_with_bounded_shared_stamps(world: Any) -> None:
    ingestor, streamer, publisher, _ = world
    stop = asyncio.Event()
    task = await _running(ingestor, stop)
    burst = 3 * quotes.STAMP_EVERY + 7
    for n in range(burst):  # queued before the reader runs again: one drained backlog
        streamer.fanout.publish(_quote("SPY", 500.0 + n))
    wire = ev.Quote("SPY", 0, 1, 0, NOW_MS, "Q", "oops", 1.0, 0, "Q", 1.0, 1.0)  # type: ignore[arg-type]
    streamer.fanout.publish(wire)
    bad = ev.Greeks("SPY", 0, 0, 0, 0, 0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    streamer.fanout.publish(bad._replace(price=object()))  # type: ignore[arg-type]
    streamer.fanout.publish(_quote("SPY", 1.0))
    await eventually(lambda: _ok(len(publisher.items) == burst + 2), timeout=5)
    stop.set()
    await task
    bids = [i.record["bid_price"] for i in publisher.items]
    assert bids[:burst] == [500.0 + n for n in range(burst)]
    assert math.isnan(bids[burst])  # a string price is no price
    assert bids[burst + 1] == 1.0
    assert ingestor.metrics.received["Quote"] == burst + 2
    assert ingestor.metrics.normalize_failures == 1  # the Greeks with an object price
    stamps = [i.record["ts_ingest"] for i in publisher.items[:burst]]
    assert stamps == sorted(stamps)
    assert max(stamps.count(s) for s in set(stamps)) <= quotes.STAMP_EVERY
    assert len(set(stamps)) >= burst // quotes.STAMP_EVERY
