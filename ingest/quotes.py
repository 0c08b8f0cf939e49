"""The quote ingestor: DXLink events → normalized Avro records → Kafka.

One reader drains a bounded DXLink listener (overflow policy: drop the oldest event, counted
in ``metrics.dropped`` and reported on the error stream), normalizes each event (pure) and
publishes it; ``publish`` awaits when too many records are in flight, so a slow broker slows
the reader instead of growing memory. Errors from the client's error stream are counted and
logged; on every DXLink reconnect (the streamer's ``on_reconnect`` hook,
:class:`ingest.backfill.CandleGapFill`) every candle subscription's ``fromTime`` moves to the
last candle seen, so the replay after the reconnect fills exactly the gap. A watchlist file (optional)
changes the subscriptions while running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from adapters.tastytrade.dxlink import DXLinkStreamer
from adapters.tastytrade.errors import ErrorStream, StreamDisconnected
from adapters.tastytrade.events import Candle, MarketEvent
from adapters.tastytrade.fanout import Listener
from adapters.tastytrade.rest import Rest
from adapters.tastytrade.symbols import candle_symbol
from ingest.backfill import BackfillSpec, CandleGapFill, CandleTracker
from ingest.normalize import SymbolInfo, normalize
from ingest.publisher import MarketPublisher
from ingest.watchlist import (
    OPTION_EVENTS,
    UNDERLYING_ONLY,
    Resolved,
    WatchlistFile,
    parse_entries,
    resolve,
)
from schemas.envelope import ts_ingest
from schemas.errors import SchemaContractError

logger = logging.getLogger(__name__)

TICKER_TYPES = frozenset({"Quote", "Trade", "TradeETH", "Summary", "Profile"})
#: Events drained from the listener in one go share an ingest timestamp, at most this many
#: (taking the clock per event costs more than it tells: they were queued together).
STAMP_EVERY = 64


@dataclass
class IngestMetrics:
    received: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    normalize_failures: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0
    dropped: int = 0
    symbols: int = 0
    subscriptions: int = 0
    unresolved: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IngestConfig:
    symbols: tuple[str, ...]
    option_chains: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ("Quote", "Trade", "Summary", "Profile", "Candle")
    backfill: BackfillSpec | None = None
    source: str = "dxlink:tastytrade"
    queue_size: int = 100_000
    watchlist_file: Path | None = None


class QuoteIngestor:
    def __init__(
        self,
        config: IngestConfig,
        rest: Rest,
        streamer_factory: Callable[[], DXLinkStreamer],
        publisher: MarketPublisher,
        errors: ErrorStream,
        *,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self.config = config
        self._rest = rest
        self._factory = streamer_factory
        self._publisher = publisher
        self._errors = errors
        self._now_ms = now_ms
        self.metrics = IngestMetrics()
        self.candles = CandleTracker()
        self._info: dict[str, SymbolInfo] = {}
        self._subscribed: dict[str, set[str]] = {}
        self._streamer: DXLinkStreamer | None = None
        self.state = "stopped"

    @property
    def subscriptions(self) -> dict[str, dict[str, int | None]]:
        """The live subscription set (event type → symbol → fromTime), empty when not running."""
        return self._streamer.subscriptions if self._streamer is not None else {}

    # ------------------------------------------------------------------ subscriptions
    def _wanted(self, resolved: Resolved) -> dict[str, set[str]]:
        wanted: dict[str, set[str]] = {}
        for event_type in self.config.event_types:
            if event_type == "Candle":
                if self.config.backfill is not None:
                    period = self.config.backfill.period
                    wanted["Candle"] = {candle_symbol(s, period) for s in resolved.underlyings}
                continue
            symbols: set[str] = set()
            if event_type not in UNDERLYING_ONLY:
                symbols |= set(resolved.underlyings)
            if event_type in OPTION_EVENTS:
                symbols |= set(resolved.options)
            wanted[event_type] = symbols
        return wanted

    async def apply(self, entries: Iterable[str], chains: Iterable[str] = ()) -> Resolved:
        """Resolve ``entries`` and make the subscription set exactly that (add and remove)."""
        plain, chain_counts = parse_entries(entries, chains)
        resolved = await resolve(self._rest, plain, chain_counts)
        self.metrics.unresolved = resolved.unresolved
        self._info.update(resolved.all)
        for symbol, info in list(resolved.underlyings.items()):
            if self.config.backfill is not None:
                self._info[candle_symbol(symbol, self.config.backfill.period)] = info
        streamer = self._streamer
        assert streamer is not None
        wanted = self._wanted(resolved)
        start = self.config.backfill.start_ms(self._now_ms()) if self.config.backfill else None
        for event_type in sorted(set(wanted) | set(self._subscribed)):
            have = self._subscribed.get(event_type, set())
            want = wanted.get(event_type, set())
            if want - have:
                await streamer.subscribe(
                    event_type,
                    sorted(want - have),
                    from_time=start if event_type == "Candle" else None,
                )
            if have - want:
                await streamer.unsubscribe(event_type, sorted(have - want))
            self._subscribed[event_type] = set(want)
        self.metrics.symbols = len(resolved.all)
        self.metrics.subscriptions = sum(len(v) for v in self._subscribed.values())
        logger.info(
            "subscribed %d symbols (%d option contracts), %d subscriptions",
            len(resolved.all),
            len(resolved.options),
            self.metrics.subscriptions,
        )
        return resolved

    # -------------------------------------------------------------------------- run
    async def run(self, stop: asyncio.Event) -> None:
        self.state = "connecting"
        async with self._factory() as streamer:
            self._streamer = streamer
            CandleGapFill(self.candles).attach(streamer)
            listener = streamer.listen(self.config.queue_size, name="ingest")
            try:
                await self.apply(self.config.symbols, self.config.option_chains)
                self.state = "running"
                async with asyncio.TaskGroup() as tg:
                    tasks = [
                        tg.create_task(self._read(listener), name="ingest-read"),
                        tg.create_task(self._watch_errors(), name="ingest-errors"),
                    ]
                    if self.config.watchlist_file is not None:
                        tasks.append(
                            tg.create_task(
                                self._watch_file(self.config.watchlist_file),
                                name="ingest-watchlist",
                            )
                        )
                    await stop.wait()
                    self.state = "stopping"
                    for task in tasks:
                        task.cancel()
            finally:
                self.metrics.dropped = listener.dropped
                listener.close()
                self._streamer = None
        await self._publisher.flush()
        self.state = "stopped"
        logger.info(
            "quote ingestor stopped: received %d events", sum(self.metrics.received.values())
        )

    async def _read(self, listener: Listener[MarketEvent]) -> None:
        """Drain the listener in batches: one blocking ``get``, then whatever is already queued;
        up to :data:`STAMP_EVERY` events share one ingest timestamp. The loop yields only when
        the listener is empty or ``publish`` waits (backpressure): yielding more often lets the
        websocket reader parse its big frames in small reads, which costs 4x the CPU per event
        in the replay benchmark (``python -m bench.ingest``)."""
        source = self.config.source
        info = self._info
        metrics = self.metrics
        received, duplicates = metrics.received, metrics.duplicates
        observe = self.candles.observe
        publish = self._publisher.publish
        # ticker events are re-sent on every (re)subscribe: skip a repeat of the last one seen
        last_id: dict[tuple[str, str], str] = {}
        while True:
            event: MarketEvent | None = await listener.get()
            while event is not None:
                now_us = ts_ingest()
                for _ in range(STAMP_EVERY):
                    event_type = type(event).__name__
                    received[event_type] += 1
                    if type(event) is Candle:
                        observe(event)
                    try:
                        item = normalize(
                            event,
                            info=info.get(event.event_symbol),
                            ts_ingest_us=now_us,
                            source=source,
                        )
                    except (SchemaContractError, ValueError, TypeError) as exc:
                        metrics.normalize_failures += 1
                        logger.warning(
                            "cannot normalize %s %s: %s", event_type, event.event_symbol, exc
                        )
                    else:
                        if event_type in TICKER_TYPES:
                            key = (event_type, event.event_symbol)
                            event_id = item.record["event_id"]
                            if last_id.get(key) == event_id:
                                duplicates[event_type] += 1
                            else:
                                last_id[key] = event_id
                                await publish(item)
                        else:
                            await publish(item)
                    event = listener.get_nowait()
                    if event is None:
                        break
            metrics.dropped = listener.dropped

    async def _watch_errors(self) -> None:
        async for error in self._errors:
            self.metrics.errors[type(error).__name__] += 1
            if isinstance(error, StreamDisconnected) and error.stream == "dxlink":
                self.metrics.reconnects += 1

    async def _watch_file(self, path: Path) -> None:
        watch = WatchlistFile(path)
        while True:
            entries = watch.poll()
            if entries is not None and entries:
                logger.info("watchlist %s changed: %d entries", path, len(entries))
                await self.apply(entries, ())
            await asyncio.sleep(watch.interval)


__all__ = ["STAMP_EVERY", "IngestConfig", "IngestMetrics", "QuoteIngestor"]
