"""The quote ingestor: DXLink events → normalized Avro records → Kafka.

One reader drains a bounded DXLink listener (overflow policy: drop the oldest event, counted
in ``metrics.dropped`` and reported on the error stream), normalizes each event (pure) and
publishes it; ``publish`` awaits when too many records are in flight, so a slow broker slows
the reader instead of growing memory. Errors from the client's error stream are counted and
logged; on every DXLink reconnect (the streamer's ``on_reconnect`` hook,
:class:`ingest.backfill.CandleGapFill`) every candle subscription's ``fromTime`` moves to the
last candle seen, so the replay after the reconnect fills exactly the gap. A watchlist file (optional)
changes the subscriptions while running.

Resolution never loses a subscription to a transient error: an entry that cannot resolve now
(429/5xx/timeout) keeps what it streamed before and is retried in the background on the REST
session's :class:`~adapters.tastytrade.backoff.Cooldown` (growing to its cap, honouring
``Retry-After``) until it resolves; an unknown symbol is reported once and skipped.

Shutdown: the listener stops taking events, the reader publishes what is still queued (within
``drain_timeout_s``), and whatever it could not publish is counted in
``metrics.shutdown_discarded`` and logged — never dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from adapters.tastytrade.backoff import Cooldown
from adapters.tastytrade.dxlink import DXLinkStreamer
from adapters.tastytrade.errors import ErrorStream, StreamDisconnected, TastytradeError
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
    chain_entry,
    is_chain,
    parse_entries,
    resolve,
    split_chain,
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
    normalize_failures_by_type: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0
    dropped: int = 0
    symbols: int = 0
    subscriptions: int = 0
    unresolved: list[str] = field(default_factory=list)
    #: entries that could not resolve yet (transient errors); retried until they do
    pending: list[str] = field(default_factory=list)
    resolve_retries: int = 0
    #: events still queued when the ingestor stopped: published, or given up on (counted)
    shutdown_drained: int = 0
    shutdown_discarded: int = 0


@dataclass(frozen=True)
class IngestConfig:
    symbols: tuple[str, ...]
    option_chains: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ("Quote", "Trade", "Summary", "Profile", "Candle")
    backfill: BackfillSpec | None = None
    source: str = "dxlink:tastytrade"
    queue_size: int = 100_000
    watchlist_file: Path | None = None
    drain_timeout_s: float = 10.0


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
        cooldown: Cooldown | None = None,
    ) -> None:
        self.config = config
        self._rest = rest
        self._factory = streamer_factory
        self._publisher = publisher
        self._errors = errors
        self._now_ms = now_ms
        # retries of entries that failed transiently wait on the REST session's schedule
        self._cooldown = cooldown if cooldown is not None else _session_cooldown(rest)
        self.metrics = IngestMetrics()
        self.candles = CandleTracker()
        self._info: dict[str, SymbolInfo] = {}
        self._subscribed: dict[str, set[str]] = {}
        self._streamer: DXLinkStreamer | None = None
        self._desired: tuple[list[str], dict[str, int]] = ([], {})
        self._known: dict[str, dict[str, SymbolInfo]] = {}  # entry → its last resolution
        self._pending: dict[str, TastytradeError] = {}  # entry → why it is not resolved yet
        self._reported: set[str] = set()  # unknown entries already reported
        self._lock = asyncio.Lock()
        self._retry_due = asyncio.Event()
        self._started = asyncio.Event()
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
        """Resolve ``entries`` and make the subscription set exactly that (add and remove).

        An entry that cannot resolve now (a transient error) keeps its last resolution — a
        live symbol stays subscribed — and is retried in the background until it resolves.
        Returns what is subscribed now."""
        plain, chain_counts = parse_entries(entries, chains)
        async with self._lock:
            resolved = await resolve(self._rest, plain, chain_counts)  # AuthError: unchanged
            self._desired = (plain, chain_counts)
            wanted = self._desired_entries()
            self._known = {k: v for k, v in self._known.items() if k in wanted}
            self._pending = {}
            self._merge(resolved)
            return await self._sync()

    def _merge(self, resolved: Resolved) -> None:
        self._known.update(resolved.found)
        for entry in resolved.found:
            if self._pending.pop(entry, None) is not None:
                logger.info("resolved %s after retrying: streamed now", entry)
        for entry in resolved.unresolved:
            self._known.pop(entry, None)
            self._pending.pop(entry, None)
            if entry not in self._reported:
                self._reported.add(entry)
                logger.warning("unknown symbol %r: not streamed", entry)
        for entry, error in resolved.failed.items():
            if entry not in self._pending:
                live = "still streamed with its last resolution" if entry in self._known else ""
                logger.warning(
                    "cannot resolve %s now (%s: %s); retrying%s",
                    entry,
                    type(error).__name__,
                    error.message,
                    f" ({live})" if live else "",
                )
            self._pending[entry] = error
        self.metrics.unresolved = sorted(self._reported & self._desired_entries())
        self.metrics.pending = sorted(self._pending)
        if self._pending:
            self._retry_due.set()

    def _desired_entries(self) -> set[str]:
        plain, chains = self._desired
        return set(plain) | {chain_entry(u, n) for u, n in chains.items()}

    async def _sync(self) -> Resolved:
        """Make the streamer's subscriptions exactly what the known resolutions want."""
        resolved = Resolved.merge(self._known)
        self._info.update(resolved.all)
        if self.config.backfill is not None:
            for symbol, info in resolved.underlyings.items():
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

    async def _retry_pending(self) -> None:
        """Resolve the entries that failed transiently, again and again, until they do."""
        while True:
            await self._retry_due.wait()
            self._retry_due.clear()
            while self._pending:
                await self._cooldown.wait()  # the session's pause (growing, Retry-After)
                async with self._lock:
                    desired = self._desired_entries()
                    self._pending = {e: x for e, x in self._pending.items() if e in desired}
                    pending = list(self._pending)
                    if not pending:
                        break
                    plain = [e for e in pending if not is_chain(e)]
                    chains = dict(split_chain(e) for e in pending if is_chain(e))
                    self.metrics.resolve_retries += 1
                    try:
                        resolved = await resolve(self._rest, plain, chains)
                    except TastytradeError as exc:  # credentials refused: keep what streams
                        logger.error("cannot resolve %s: %s; retrying", ", ".join(pending), exc)
                        self._cooldown.failed(exc)
                        continue
                    if resolved.failed:  # the last failure paces the next round (booked once)
                        self._cooldown.failed(list(resolved.failed.values())[-1])
                    self._merge(resolved)
                    await self._sync()

    # -------------------------------------------------------------------------- run
    async def run(self, stop: asyncio.Event) -> None:
        self.state = "connecting"
        async with self._factory() as streamer:
            self._streamer = streamer
            CandleGapFill(self.candles).attach(streamer)
            listener = streamer.listen(self.config.queue_size, name="ingest")
            try:
                async with asyncio.TaskGroup() as tg:
                    reader = tg.create_task(self._read(listener), name="ingest-read")
                    tasks = [
                        tg.create_task(self._start(), name="ingest-resolve"),
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
                    await self._drain(listener, reader)
            finally:
                self.metrics.dropped = listener.dropped
                listener.close()
                self._streamer = None
        await self._publisher.flush()
        self.state = "stopped"
        self._report_normalize_failures()
        logger.info(
            "quote ingestor stopped: received %d events", sum(self.metrics.received.values())
        )

    async def _start(self) -> None:
        await self.apply(self.config.symbols, self.config.option_chains)
        self.state = "running"
        self._started.set()
        await self._retry_pending()

    async def _drain(self, listener: Listener[MarketEvent], reader: asyncio.Task[None]) -> None:
        """Stop intake; let the reader publish what is queued (bounded); count what it cannot."""
        queued = listener.qsize()
        listener.close()  # takes no more events; the reader ends once the queue is empty
        done, _ = await asyncio.wait({reader}, timeout=self.config.drain_timeout_s)
        if not done:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        left = listener.qsize()
        while listener.get_nowait() is not None:
            pass
        self.metrics.shutdown_drained = queued - left
        self.metrics.shutdown_discarded = left
        if left:
            logger.warning(
                "shutdown: %d queued events not published within %.1fs (discarded; %d published)",
                left,
                self.config.drain_timeout_s,
                queued - left,
            )
        elif queued:
            logger.info("shutdown: published the %d events still queued", queued)

    def _report_normalize_failures(self) -> None:
        by_type = self.metrics.normalize_failures_by_type
        if by_type:
            logger.warning(
                "%d events could not be normalized (%s)",
                self.metrics.normalize_failures,
                ", ".join(f"{kind} {count}" for kind, count in sorted(by_type.items())),
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
        failed_types = metrics.normalize_failures_by_type
        while True:
            try:
                event: MarketEvent | None = await listener.get()
            except StopAsyncIteration:  # closed (shutdown) and drained
                return
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
                        failed_types[event_type] += 1
                        if failed_types[event_type] == 1:  # once per type; the rest is counted
                            logger.warning(
                                "cannot normalize %s %s: %s (further %s failures are only "
                                "counted: metrics.normalize_failures, summary at shutdown)",
                                event_type,
                                event.event_symbol,
                                exc,
                                event_type,
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
        await self._started.wait()  # the configured set first, then the file's
        while True:
            entries = watch.poll()
            if entries is not None and entries:
                logger.info("watchlist %s changed: %d entries", path, len(entries))
                try:
                    await self.apply(entries, ())
                except TastytradeError as exc:  # e.g. credentials refused: keep what streams
                    logger.error("watchlist %s not applied: %s", path, exc)
            await asyncio.sleep(watch.interval)


def _session_cooldown(rest: Rest) -> Cooldown:
    """The HTTP session's shared retry schedule (a session without one gets its own)."""
    found = getattr(rest.http, "cooldown", None)
    return found if isinstance(found, Cooldown) else Cooldown()


__all__ = ["STAMP_EVERY", "IngestConfig", "IngestMetrics", "QuoteIngestor"]
