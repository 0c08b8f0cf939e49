"""`tastystream run`: the pipeline against the configured Tastytrade.

Start-up: register every schema (BACKWARD_TRANSITIVE), create the topics, then run the quote
ingestor (DXLink → Avro → Kafka), the account ingestor when ``TT_ACCOUNTS`` names accounts
(account streamer + REST reconciliation → ``tt.acct.*``) and the ClickHouse sink (Kafka →
ClickHouse, migrations applied at its start) side by side. Shutdown (SIGINT/SIGTERM or ``stop``): stop intake, flush
the producer, let the sink catch up (bounded), flush the sink, commit, exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from adapters.tastytrade.client import Client
from adapters.tastytrade.dxlink import DXLinkStreamer
from adapters.tastytrade.errors import ErrorStream, TransportError
from adapters.tastytrade.rest import Rest
from ingest.account import AccountIngestConfig, AccountIngestor, streamer_factory
from ingest.account_publisher import AccountPublisher
from ingest.backfill import parse_backfill
from ingest.publisher import MarketPublisher
from ingest.quotes import IngestConfig, QuoteIngestor
from schemas.codec import AvroCodec
from schemas.registry import SchemaRegistry, register_all, subjects_of
from schemas.topic_admin import Replication, ensure_topics, topics_for
from schemas.topics import ACCOUNT_TOPICS, MARKET_TOPICS, TopicSpec
from sinks.clickhouse import ClickHouseSink
from sinks.connection import client_for
from sinks.routes import SinkConfig, sink_topics
from tastystream.failures import clickhouse_failure
from tastystream.settings import ClickHouseSettings, Settings

logger = logging.getLogger(__name__)


@dataclass
class Pipeline:
    """The running components, for progress displays and tests."""

    ingestor: QuoteIngestor
    publisher: MarketPublisher
    sink: ClickHouseSink
    errors: ErrorStream
    started_at: float
    account: AccountIngestor | None = None
    account_publisher: AccountPublisher | None = None


async def prepare_contract(settings: Settings) -> tuple[AvroCodec, dict[str, int]]:
    """Register every schema and create every topic; the codec knows every id.

    The account topics are part of it when ``TT_ACCOUNTS`` names accounts."""
    specs: list[TopicSpec] = list(MARKET_TOPICS.values())
    if settings.tastytrade.accounts:
        specs += ACCOUNT_TOPICS.values()
    async with SchemaRegistry(settings.registry.url) as registry:
        ids = await register_all(registry, specs)
    codec = AvroCodec()
    for subject, text in subjects_of(specs).items():
        codec.add(ids[subject], text)
    kafka = settings.kafka
    await ensure_topics(
        kafka.bootstrap,
        topics_for(
            {spec.name: spec for spec in specs},
            Replication(kafka.replication_factor, kafka.min_insync_replicas),
        ),
        client_id=f"{kafka.client_id}-admin",
    )
    return codec, ids


@contextlib.asynccontextmanager
async def tastytrade_session(
    settings: Settings, errors: ErrorStream
) -> AsyncIterator[tuple[Rest, Callable[[], DXLinkStreamer]]]:
    """The REST areas and a DXLink streamer factory of one :class:`Client`."""
    async with Client.from_settings(settings.tastytrade, errors=errors) as client:
        yield client.rest, client.dxlink


def check_clickhouse(cfg: ClickHouseSettings) -> None:
    """One query before anything starts: refused credentials or an unreachable server fail the
    start with a :class:`Failure` naming the fix (the sink would otherwise retry them)."""
    try:
        client = client_for(cfg)
        try:
            client.query("SELECT 1")
        finally:
            client.close()
    except Exception as exc:
        known = clickhouse_failure(exc, cfg)
        if known is None:
            raise
        raise known from exc


async def check_tastytrade(rest: Rest, accounts: tuple[str, ...], budget_s: float) -> None:
    """Log in and look at each of ``TT_ACCOUNTS`` once, within ``budget_s``, before anything
    streams: refused credentials raise :class:`AuthError`, an account the login cannot see
    AuthError/NotFound naming its path, no answer a :class:`TransportError` — each told by the
    CLI in one line, instead of streams retrying them for ever."""
    try:
        async with asyncio.timeout(budget_s):
            await rest.customers.me()
            for number in accounts:
                await rest.accounts.get(number)
    except TimeoutError as exc:
        raise TransportError(f"no answer within {budget_s:.0f}s") from exc


def account_config(settings: Settings, source: str) -> AccountIngestConfig:
    """The account ingestor's config; its source label is ``account:<upstream>``."""
    tt = settings.tastytrade
    return AccountIngestConfig(
        accounts=tt.accounts,
        source=f"account:{source.partition(':')[2] or source}",
        transactions_lookback_s=tt.account_lookback_s,
        transactions_poll_s=tt.account_poll_s,
    )


def ingest_config(settings: Settings, source: str) -> IngestConfig:
    tt = settings.tastytrade
    return IngestConfig(
        symbols=tt.symbols,
        option_chains=tt.option_chains,
        event_types=tt.event_types,
        backfill=parse_backfill(tt.candle_backfill),
        source=source,
        queue_size=tt.dxlink_queue_size,
        watchlist_file=tt.watchlist_file,
    )


async def run_pipeline(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    source: str = "dxlink:tastytrade",
    on_ready: Callable[[Pipeline], None] | None = None,
    drain_timeout_s: float = 30.0,
    now_ms: Callable[[], int] | None = None,
    sink_config: SinkConfig | None = None,
) -> None:
    """Run until ``stop`` is set (or SIGINT/SIGTERM when ``stop`` is None).

    ``sink_config`` overrides the sink's defaults (tests give each run its own consumer group).

    ``now_ms`` is the clock candle backfill counts back from (the wall clock by default; the
    sandbox's simulated clock when it runs shifted or accelerated)."""
    own_signals = stop is None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    if own_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    try:
        codec, ids = await prepare_contract(settings)
        await asyncio.to_thread(check_clickhouse, settings.clickhouse)
        errors = ErrorStream()
        clock = now_ms or (lambda: int(time.time() * 1000))
        async with contextlib.AsyncExitStack() as stack:  # closed in reverse: sink first
            client = await stack.enter_async_context(
                Client.from_settings(settings.tastytrade, errors=errors)
            )
            tt = settings.tastytrade  # the login is checked before anything else starts
            await check_tastytrade(client.rest, tt.accounts, tt.request_timeout_s)
            publisher = await stack.enter_async_context(MarketPublisher(settings.kafka, codec, ids))
            sink = await stack.enter_async_context(
                ClickHouseSink(
                    settings,
                    config=sink_config,
                    topics=sink_topics(accounts=bool(settings.tastytrade.accounts)),
                )
            )
            ingestor = QuoteIngestor(
                ingest_config(settings, source),
                client.rest,
                client.dxlink,
                publisher,
                errors,
                now_ms=clock,
            )
            pipeline = Pipeline(ingestor, publisher, sink, errors, time.monotonic())
            if settings.tastytrade.accounts:
                account_errors = ErrorStream()  # its own consumer: one queue, one reader
                pipeline.account_publisher = await stack.enter_async_context(
                    AccountPublisher(settings.kafka, codec, ids)
                )
                pipeline.account = AccountIngestor(
                    account_config(settings, source),
                    client.rest,
                    streamer_factory(client, settings.tastytrade.accounts, account_errors),
                    pipeline.account_publisher,
                    account_errors,
                    now_ms=clock,
                )
            stop_ingest, stop_sink = asyncio.Event(), asyncio.Event()
            async with asyncio.TaskGroup() as tg:
                ingest_task = tg.create_task(ingestor.run(stop_ingest), name="quote-ingestor")
                intake = {ingest_task}
                if pipeline.account is not None:
                    intake.add(
                        tg.create_task(pipeline.account.run(stop_ingest), name="account-ingestor")
                    )
                tg.create_task(sink.run(stop_sink), name="clickhouse-sink")
                if on_ready is not None:
                    on_ready(pipeline)
                stopped = tg.create_task(stop.wait())
                await asyncio.wait({*intake, stopped}, return_when=asyncio.FIRST_COMPLETED)
                logger.info("stopping: intake first")
                stop_ingest.set()
                await asyncio.gather(*intake)  # flushes the producers
                await sink.drain(drain_timeout_s)
                stop_sink.set()
                stopped.cancel()
    finally:
        if own_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    logger.info("pipeline stopped")


__all__ = [
    "Pipeline",
    "account_config",
    "check_clickhouse",
    "check_tastytrade",
    "ingest_config",
    "prepare_contract",
    "run_pipeline",
    "tastytrade_session",
]
