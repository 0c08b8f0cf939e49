"""`tastystream demo`: the local stack + the sandbox + the pipeline, with live progress, then
the README's example queries with their results. No credentials needed.

The stack stays up afterwards (so ``tastystream sql`` works on what the demo wrote); stop it
with ``tastystream stack down``. The sandbox runs in-process and stops with the demo.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from sandbox.clock import regular_hours_start
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from sinks.ddl.examples import EXAMPLES
from tastystream.pipeline import Pipeline, run_pipeline
from tastystream.settings import Settings
from tastystream.sql import QueryFailed, QueryResult, render, run_query
from tastystream.stack import LocalStack, StackConfig
from tastystream.stack.render import status_table

DEMO_SYMBOLS = ("SPY", "AAPL", "QQQ", "SPX", "/ES", "BTC/USD")
DEMO_CHAINS = ("SPY:1",)


def demo_settings(
    settings: Settings, stack: StackConfig, sandbox: SandboxServer, clickhouse_password: str = ""
) -> Settings:
    """Point Tastytrade at the sandbox and the pipeline at the local stack (whose ClickHouse
    password ``stack up`` may only just have generated)."""
    from pydantic import SecretStr

    tt = settings.tastytrade.model_copy(
        update={
            "base_url": sandbox.base_url,
            "streamer_url": sandbox.streamer_url,
            "client_secret": SecretStr(sandbox.config.client_secret),
            "refresh_token": SecretStr(sandbox.config.refresh_token),
            "accounts": sandbox.config.accounts,
            "symbols": DEMO_SYMBOLS,
            "option_chains": DEMO_CHAINS,
            "candle_backfill": "2h@1m",
        }
    )
    return settings.model_copy(
        update={
            "tastytrade": tt,
            "kafka": settings.kafka.model_copy(update={"bootstrap": stack.kafka_bootstrap}),
            "registry": settings.registry.model_copy(update={"url": stack.registry_url}),
            "clickhouse": settings.clickhouse.model_copy(
                update={
                    "url": stack.clickhouse_url,
                    "password": SecretStr(
                        clickhouse_password or settings.clickhouse.password.get_secret_value()
                    ),
                }
            ),
        }
    )


class Progress:
    """Events/s per type, rows in ClickHouse, lag — refreshed by ``rich.live``."""

    def __init__(self) -> None:
        self.pipeline: Pipeline | None = None
        self._last: Counter[str] = Counter()
        self._last_at = time.monotonic()
        self._rates: dict[str, float] = {}

    def sample(self) -> None:
        if self.pipeline is None or self.pipeline.ingestor.state != "running":
            return
        now = time.monotonic()
        received = self.pipeline.ingestor.metrics.received
        span = max(now - self._last_at, 1e-6)
        self._rates = {k: (received[k] - self._last[k]) / span for k in received}
        self._last, self._last_at = Counter(received), now

    def render(self) -> Table | Group:
        table = Table(title="tastystream demo — Ctrl+C to stop", title_justify="left")
        for column in (
            "event type",
            "events/s",
            "received",
            "repeats skipped",
            "acked to Kafka",
            "inserted by the sink",
        ):
            table.add_column(column, justify="left" if column == "event type" else "right")
        if self.pipeline is None:
            table.add_row("starting…", "", "", "", "", "")
            return table
        ing, pub, sink = (
            self.pipeline.ingestor,
            self.pipeline.publisher,
            self.pipeline.sink.metrics(),
        )
        from schemas.topics import MARKET_TOPICS

        for event_type, spec in MARKET_TOPICS.items():
            table.add_row(
                event_type,
                f"{self._rates.get(event_type, 0.0):,.0f}",
                f"{ing.metrics.received[event_type]:,}",
                f"{ing.metrics.duplicates[event_type]:,}",
                f"{pub.metrics.acked[event_type]:,}",
                f"{sink.rows_inserted.get(spec.table, 0):,}",
            )
        uptime = time.monotonic() - self.pipeline.started_at
        footer = Table.grid(padding=(0, 3))
        footer.add_row(
            f"up {uptime:,.0f}s",
            f"symbols {ing.metrics.symbols} ({ing.metrics.subscriptions} subscriptions)",
            f"sink lag {sink.total_lag:,}",
            f"in flight {pub.metrics.in_flight:,}",
            f"dropped {ing.metrics.dropped:,}",
            f"not normalized {ing.metrics.normalize_failures:,}",
            f"dead letters {sink.total_dead_letters:,}",
            f"reconnects {ing.metrics.reconnects}",
            f"state {ing.state}/{sink.state}",
        )
        return Group(table, footer)


async def run_demo(settings: Settings, *, duration: float | None, console: Console) -> int:
    stack = LocalStack(
        StackConfig.from_settings(
            settings.stack, clickhouse_password=settings.clickhouse.password.get_secret_value()
        )
    )
    console.print("[bold]1/4[/] local stack (Kafka, schema registry, ClickHouse)…")
    # a StackError (port in use, no Java …) goes to the CLI's edge: one line, exit 1
    console.print(status_table(await stack.up()))
    console.print("[bold]2/4[/] sandbox (simulated Tastytrade)…")
    # outside US regular hours the simulated clock starts inside the latest session, so every
    # instrument moves (equities freeze while their market is closed, as the real ones do)
    start = regular_hours_start(datetime.now(UTC))
    server = SandboxServer(replace(SandboxConfig(), port=0, clock_start=start))
    await server.start()
    console.print(f"    sandbox at {server.base_url} (DXLink {server.dxlink_url})")
    if start is not None:
        console.print(
            f"    US equities are closed now: the simulated clock starts at {start:%Y-%m-%d %H:%M} UTC"
        )
    run_settings = demo_settings(settings, stack.config, server, stack.clickhouse_password())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    progress = Progress()

    def ready(pipeline: Pipeline) -> None:
        progress.pipeline = pipeline

    console.print(
        f"[bold]3/4[/] pipeline: {', '.join(DEMO_SYMBOLS)} + option chain {', '.join(DEMO_CHAINS)}"
        + (f" for {duration:.0f}s" if duration else " (Ctrl+C to stop)")
    )
    try:
        pipeline_task = asyncio.create_task(
            run_pipeline(
                run_settings,
                stop=stop,
                source="dxlink:sandbox",
                on_ready=ready,
                now_ms=server.market.clock.now_ms,
            )
        )
        started = time.monotonic()
        with Live(progress.render(), console=console, refresh_per_second=2) as live:
            while not pipeline_task.done():
                await asyncio.wait({pipeline_task}, timeout=1.0)
                progress.sample()
                live.update(progress.render())
                if duration is not None and time.monotonic() - started >= duration:
                    stop.set()
        console.print()
        await pipeline_task
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        stop.set()
        await server.stop()
    console.print("[bold]4/4[/] example queries (also in the README):")
    failures = 0
    for example in EXAMPLES:
        console.print(f"\n[bold cyan]{example.title}[/]\n[dim]{example.sql}[/]")
        try:
            result = await asyncio.to_thread(run_query, run_settings.clickhouse, example.sql)
        except QueryFailed as exc:
            failures += 1
            console.print(f"[red]{exc}[/]")
            continue
        render(QueryResult(result.columns, result.types, result.rows[:15]), "table", console)
    console.print(
        '\nThe stack is still running: try [bold].venv/bin/tastystream sql "SELECT count() FROM quotes"[/]; '
        "stop it with [bold].venv/bin/tastystream stack down[/]."
    )
    return 1 if failures else 0


__all__ = ["DEMO_CHAINS", "DEMO_SYMBOLS", "Progress", "demo_settings", "run_demo"]
