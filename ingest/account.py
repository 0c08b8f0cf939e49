"""The account ingestor: account streamer → ``tt.acct.*`` records → Kafka.

One reader drains the streamer's listener and normalizes each item (pure,
:mod:`ingest.account_records`):

* a parsed notification becomes its records (``origin=stream``); types that are not account
  events here (quote alerts, watchlists, order chains, gain summaries) are counted in
  ``metrics.skipped``; a notification of an account type that failed to parse goes to its
  topic's dead-letter topic; unknown types are counted (the adapter already put a typed
  :class:`ParseWarning` on the error stream);
* the :class:`Reconciliation` the adapter emits after every (re)connect becomes a snapshot
  (``origin=snapshot``, a new ``snapshot_id``): positions, live orders, balance, and last the
  account status fetched from REST, which counts the snapshot's records;
* then the transactions since the newest one seen (overlapping by ``overlap_s``, deduplicated
  by id) are fetched from REST (``origin=rest``), so a disconnect leaves no gap in the
  transaction log. The same catch-up runs when a fill, a balance change or a cash movement is
  streamed, and every ``transactions_poll_s``; the first one of a run looks back
  ``transactions_lookback_s`` from ``now_ms`` (the sandbox clock in demos and tests).

Failures never stop the reader: a REST error is counted and retried at the next trigger, every
error-stream entry is counted by class.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson

from adapters.tastytrade.account_stream import (
    AccountStreamer,
    Notification,
    Reconciliation,
    rest_reconciler,
)
from adapters.tastytrade.client import Client
from adapters.tastytrade.errors import ErrorStream, ParseWarning, TastytradeError
from adapters.tastytrade.fanout import Listener, Reconnected
from adapters.tastytrade.models import (
    AccountBalance,
    ExternalTransaction,
    Order,
    TradingStatus,
    Transaction,
)
from adapters.tastytrade.rest import Rest
from ingest.account_records import (
    NOTIFICATION_TOPICS,
    AccountRecord,
    Item,
    Rejected,
    notification_records,
    snapshot_id,
    snapshot_records,
    transaction_record,
)
from schemas.account_envelope import REST
from schemas.envelope import ts_ingest

logger = logging.getLogger(__name__)


class RecordSink(Protocol):
    """Where records go (:class:`~ingest.account_publisher.AccountPublisher`)."""

    async def publish(self, item: AccountRecord | Rejected) -> None: ...

    async def flush(self) -> None: ...


@dataclass(frozen=True)
class AccountIngestConfig:
    accounts: tuple[str, ...]
    source: str = "account:tastytrade"
    queue_size: int = 10_000
    transactions_lookback_s: float = 86_400.0
    transactions_poll_s: float = 60.0
    overlap_s: float = 60.0


@dataclass
class AccountIngestMetrics:
    received: Counter[str] = field(default_factory=Counter)
    records: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    rounded: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    unparsed: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    snapshots: int = 0
    last_snapshot: dict[str, str] = field(default_factory=dict)
    reconnects: int = 0
    transactions_fetched: int = 0
    transaction_fetch_failures: int = 0
    dropped: int = 0


class TransactionCursor:
    """Which transactions of one account were seen, and from when to fetch again."""

    def __init__(self, overlap: timedelta, limit: int = 50_000) -> None:
        self.overlap = overlap
        self.newest: datetime | None = None
        self._seen: dict[int, datetime] = {}
        self._limit = limit

    def start_at(self, fallback: datetime) -> datetime:
        return fallback if self.newest is None else self.newest - self.overlap

    def observe(self, tx: Transaction) -> bool:
        """Remember ``tx``; False when it was seen before."""
        if tx.id in self._seen:
            return False
        self._seen[tx.id] = tx.executed_at
        if self.newest is None or tx.executed_at > self.newest:
            self.newest = tx.executed_at
        if len(self._seen) > self._limit:  # older than the overlap window: never fetched again
            horizon = self.newest - 2 * self.overlap
            self._seen = {k: v for k, v in self._seen.items() if v >= horizon}
        return True


class AccountIngestor:
    def __init__(
        self,
        config: AccountIngestConfig,
        rest: Rest,
        streamer_factory: Callable[[], AccountStreamer],
        publisher: RecordSink,
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
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._dirty: set[str] = set()
        overlap = timedelta(seconds=config.overlap_s)
        self.cursors = {a: TransactionCursor(overlap) for a in config.accounts}
        self.metrics = AccountIngestMetrics()
        self.state = "stopped"

    # -------------------------------------------------------------------------- run
    async def run(self, stop: asyncio.Event) -> None:
        self.state = "connecting"
        async with self._factory() as streamer:
            streamer.on_reconnect(self._on_reconnect)
            listener = streamer.listen(self.config.queue_size, name="account-ingest")
            try:
                self.state = "running"
                async with asyncio.TaskGroup() as tg:
                    tasks = [
                        tg.create_task(self._read(listener), name="account-read"),
                        tg.create_task(self._watch_errors(), name="account-errors"),
                        tg.create_task(self._poll_transactions(), name="account-transactions"),
                    ]
                    await stop.wait()
                    self.state = "stopping"
                    for task in tasks:
                        task.cancel()
            finally:
                self.metrics.dropped = listener.dropped
                listener.close()
        await self._publisher.flush()
        self.state = "stopped"
        logger.info(
            "account ingestor stopped: %d notifications, %d snapshots, %d records",
            sum(self.metrics.received.values()),
            self.metrics.snapshots,
            sum(self.metrics.records.values()),
        )

    def _on_reconnect(self, info: Reconnected) -> None:
        self.metrics.reconnects += 1

    async def _read(self, listener: Listener[Notification | Reconciliation]) -> None:
        async for item in listener:
            try:
                if isinstance(item, Reconciliation):
                    await self.on_reconciliation(item)
                else:
                    await self.on_notification(item)
            except Exception:  # a bug must not end the intake; it is logged with its trace
                logger.exception("account ingestor failed on %s", type(item).__name__)
                self.metrics.errors["IngestorBug"] += 1
            self.metrics.dropped = listener.dropped

    async def _publish(self, items: list[Item]) -> None:
        for item in items:
            stem = item.spec.stem
            if isinstance(item, Rejected):
                self.metrics.rejected[stem] += 1
            else:
                self.metrics.records[stem] += 1
                for name in item.rounded:  # reported, never silent
                    self.metrics.rounded[f"{stem}.{name}"] += 1
                    self._errors.publish(
                        ParseWarning(
                            f"{stem}.{name}: more fraction digits than the schema holds; "
                            "rounded half-even to 10",
                            model=f"acct.{stem}",
                            field_name=name,
                        )
                    )
            await self._publisher.publish(item)

    # -------------------------------------------------------------------- notifications
    async def on_notification(self, note: Notification) -> None:
        self.metrics.received[note.type] += 1
        spec = NOTIFICATION_TOPICS.get(note.type)
        if not note.parsed:
            self.metrics.unparsed[note.type] += 1
            if spec is not None:  # an account record we cannot read: keep it, with the reason
                account = _account_of(note.raw)
                await self._publish(
                    [
                        Rejected(
                            spec,
                            account.encode(),
                            f"unparsable {note.type}",
                            "ParseFailure",
                            _raw(note.raw),
                        )
                    ]
                )
            return
        data = note.data
        if isinstance(data, ExternalTransaction | AccountBalance) or (
            isinstance(data, Order) and any(leg.fills for leg in data.legs)
        ):
            self._trigger(str(data.account_number))
        if spec is None:
            self.metrics.skipped[note.type] += 1
            return
        if isinstance(data, Transaction):
            cursor = self._cursor(data.account_number)
            if not cursor.observe(data):
                return
        items = notification_records(note, source=self.config.source, ts_ingest_us=ts_ingest())
        await self._publish(items)

    # ------------------------------------------------------------------------ snapshots
    async def on_reconciliation(self, reconciliation: Reconciliation) -> None:
        account = reconciliation.account_number
        status: TradingStatus | None = None
        status_error: str | None = None
        try:
            status = await self._rest.accounts.trading_status(account)
        except TastytradeError as exc:
            status_error = f"{type(exc).__name__}: {exc.message}"[:300]
            self.metrics.errors[type(exc).__name__] += 1
        items = snapshot_records(
            reconciliation,
            status,
            source=self.config.source,
            ts_ingest_us=ts_ingest(),
            status_error=status_error,
        )
        await self._publish(items)
        self.metrics.snapshots += 1
        self.metrics.last_snapshot[account] = snapshot_id(reconciliation)
        logger.info(
            "account %s snapshot %s: %d positions, %d live orders",
            account,
            self.metrics.last_snapshot[account],
            len(reconciliation.positions),
            len(reconciliation.live_orders),
        )
        await self.catch_up(account)

    # --------------------------------------------------------------------- transactions
    def _cursor(self, account: str) -> TransactionCursor:
        cursor = self.cursors.get(account)
        if cursor is None:
            cursor = self.cursors[account] = TransactionCursor(
                timedelta(seconds=self.config.overlap_s)
            )
        return cursor

    @property
    def pending_catch_up(self) -> frozenset[str]:
        """Accounts whose transactions are to be fetched at the next wake-up."""
        return frozenset(self._dirty)

    def _trigger(self, account: str) -> None:
        self._dirty.add(account)
        self._wake.set()

    async def catch_up(self, account: str) -> int:
        """Publish the account's transactions not seen yet (from REST); how many."""
        async with self._lock:
            cursor = self._cursor(account)
            now = datetime.fromtimestamp(self._now_ms() / 1000, UTC)
            start = cursor.start_at(now - timedelta(seconds=self.config.transactions_lookback_s))
            fresh = 0
            try:
                async for tx in self._rest.transactions.iterate(
                    account, start_at=start, sort="Asc"
                ):
                    if cursor.observe(tx):
                        fresh += 1
                        item = transaction_record(
                            tx, source=self.config.source, ts_ingest_us=ts_ingest(), origin=REST
                        )
                        await self._publish([item])
            except TastytradeError as exc:
                self.metrics.transaction_fetch_failures += 1
                self.metrics.errors[type(exc).__name__] += 1
                logger.warning("transactions of %s not fetched (retried later): %s", account, exc)
                self._dirty.add(account)
            self.metrics.transactions_fetched += fresh
            return fresh

    async def _poll_transactions(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.transactions_poll_s)
            self._wake.clear()
            accounts, self._dirty = self._dirty or set(self.cursors), set()
            for account in sorted(accounts):
                await self.catch_up(account)

    async def _watch_errors(self) -> None:
        async for error in self._errors:
            self.metrics.errors[type(error).__name__] += 1


def _account_of(raw: dict[str, Any]) -> str:
    data = raw.get("data")
    account = data.get("account-number") if isinstance(data, dict) else None
    return account if isinstance(account, str) else ""


def _raw(raw: dict[str, Any]) -> bytes:
    return orjson.dumps(raw, default=str)


def streamer_factory(
    client: Client, accounts: Sequence[str], errors: ErrorStream, **options: Any
) -> Callable[[], AccountStreamer]:
    """Account streamers of ``client`` that reconcile from REST after every (re)connect and
    report on ``errors`` (their own stream: the quote ingestor consumes the client's);
    ``options`` go to :class:`AccountStreamer` (backoff, heartbeat, ...)."""

    def build() -> AccountStreamer:
        return AccountStreamer(
            client.streamer_url,
            accounts,
            client.auth,
            errors=errors,
            reconcile=rest_reconciler(client.rest),
            **options,
        )

    return build


__all__ = [
    "AccountIngestConfig",
    "AccountIngestMetrics",
    "AccountIngestor",
    "RecordSink",
    "TransactionCursor",
    "streamer_factory",
]
