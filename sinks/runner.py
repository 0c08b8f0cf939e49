"""Entry points: :func:`run_sink` (the pipeline, tests) and ``python -m sinks``."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from dataclasses import replace

from sinks.clickhouse import ClickHouseSink
from sinks.routes import SinkConfig, sink_topics
from tastystream.settings import Settings

__all__ = ["main", "run_sink"]

logger = logging.getLogger(__name__)


async def run_sink(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    group_id: str = "tastystream-sink",
    topics: Sequence[str] | None = None,
    config: SinkConfig | None = None,
) -> None:
    """Run the ClickHouse sink until ``stop`` is set (or the task is cancelled), then drain.

    ``topics`` defaults to every market topic, and every account topic when ``TT_ACCOUNTS``
    names accounts (:func:`sinks.routes.sink_topics`); ``config`` to :class:`SinkConfig` defaults
    (its ``group_id`` is replaced by ``group_id``).
    """
    cfg = replace(config or SinkConfig(), group_id=group_id)
    if topics is None:
        topics = sink_topics(accounts=bool(settings.tastytrade.accounts))
    async with ClickHouseSink(settings, config=cfg, topics=topics) as sink:
        await sink.run(stop)


async def _serve(
    settings: Settings, topics: Sequence[str] | None, group_id: str, config: SinkConfig
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_sink(settings, stop=stop, group_id=group_id, topics=topics, config=config)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sinks [--group GROUP] [--topic NAME ...]``: run until SIGTERM/SIGINT."""
    import argparse

    from tastystream.logs import configure_logging

    parser = argparse.ArgumentParser(
        prog="python -m sinks",
        description="Run the exactly-once ClickHouse sink until SIGTERM/SIGINT (settings from env).",
    )
    parser.add_argument("--group", default="tastystream-sink", help="Kafka consumer group")
    parser.add_argument(
        "--topic",
        action="append",
        dest="topics",
        help="topic to sink (repeatable; default: all market topics)",
    )
    parser.add_argument("--max-rows", type=int, default=None, help="rows per partition batch")
    parser.add_argument("--max-age", type=float, default=None, help="seconds a batch may wait")
    parser.add_argument(
        "--session-timeout-ms", type=int, default=None, help="Kafka consumer session timeout"
    )
    parser.add_argument(
        "--no-passthrough",
        action="store_true",
        help="decode every batch in Python (no fast path; same table contents, more CPU)",
    )
    args = parser.parse_args(argv)
    config = SinkConfig(passthrough=not args.no_passthrough)
    if args.max_rows is not None or args.max_age is not None:
        config = replace(
            config,
            batch=replace(
                config.batch,
                max_rows=args.max_rows or config.batch.max_rows,
                max_age_s=args.max_age or config.batch.max_age_s,
            ),
        )
    if args.session_timeout_ms is not None:
        config = replace(
            config,
            session_timeout_ms=args.session_timeout_ms,
            heartbeat_interval_ms=max(100, args.session_timeout_ms // 3),
        )
    settings = Settings.load()
    configure_logging(
        settings.log.level,
        settings.log.format,
        secrets=[settings.clickhouse.password.get_secret_value()],
    )
    try:
        asyncio.run(_serve(settings, args.topics, args.group, config))
    except KeyboardInterrupt:
        return 130
    return 0
