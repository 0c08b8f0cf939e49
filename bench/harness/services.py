"""What a benchmark runs against: the local stack on free ports in a temporary folder, the
sandbox in its own process (its own core), and pipeline settings pointing at both."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from bench.harness.system import free_port
from tastystream.stack import LocalStack, StackConfig


@contextlib.asynccontextmanager
async def local_stack(services: Iterable[str]) -> AsyncIterator[StackConfig]:
    """The embedded stack on free ports in a temporary folder; always stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        config = StackConfig(
            dir=Path(tmp),
            kafka_port=free_port(),
            kafka_controller_port=free_port(),
            registry_port=free_port(),
            clickhouse_port=free_port(),
            start_timeout_s=180.0,
        )
        stack = LocalStack(config)
        try:
            statuses = await stack.up(list(services))
            bad = [s for s in statuses if s.state != "running"]
            if bad:
                raise RuntimeError(f"stack did not start: {bad}")
            # the password `up` generated in the folder, for the bench's clients
            yield replace(config, clickhouse_password=stack.clickhouse_password())
        finally:
            await asyncio.to_thread(stack.down)


def session_start(today: date | None = None) -> datetime:
    """15:00 UTC of the latest trading day up to ``today``: US markets are open then."""
    from sandbox.clock import is_trading_day

    day = today or datetime.now(UTC).date()
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class SandboxInfo:
    base_url: str
    streamer_url: str
    dxlink_url: str
    client_secret: str
    refresh_token: str
    sim_minus_wall_ms: float  # sandbox event time − wall time (constant at speed 1)
    pid: int


async def _serve_sandbox(pipe: Connection, seed: int, speed: float, start: datetime) -> None:
    from sandbox.config import SandboxConfig
    from sandbox.server import SandboxServer

    server = SandboxServer(SandboxConfig(port=0, seed=seed, clock_speed=speed, clock_start=start))
    await server.start()
    offset = server.market.clock.now_ms() - time.time() * 1000
    info = SandboxInfo(
        server.base_url,
        server.streamer_url,
        server.dxlink_url,
        server.config.client_secret,
        server.config.refresh_token,
        offset,
        os.getpid(),
    )
    pipe.send(info)
    await asyncio.to_thread(pipe.recv)  # "stop"
    pipe.send({"events_sent": float(server.runtime.dxlink.events_sent)})
    await server.stop()


def _sandbox_process(pipe: Connection, seed: int, speed: float, start: datetime) -> None:
    asyncio.run(_serve_sandbox(pipe, seed, speed, start))


@contextlib.asynccontextmanager
async def sandbox_process(
    *, seed: int = 7, speed: float = 1.0, start: datetime | None = None
) -> AsyncIterator[tuple[SandboxInfo, dict[str, float]]]:
    """The sandbox in its own process (its own core); yields its addresses and, after the
    block, fills the stats dict (``events_sent`` by its DXLink service)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(
        target=_sandbox_process, args=(child, seed, speed, start or session_start()), daemon=True
    )
    start_child(process)
    stats: dict[str, float] = {}
    try:
        info: SandboxInfo = await receive(parent, 60, "sandbox process did not start")
        yield info, stats
        parent.send("stop")
        stats.update(await receive(parent, 20, "sandbox process did not report"))
    finally:
        await stop_process(process, parent)


def start_child(process: BaseProcess) -> None:
    """Start a child that ignores SIGINT from birth (inherited ``SIG_IGN``): on Ctrl+C or an
    interrupt from ``python -m bench`` the parent alone decides when it stops (its pipe)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process.start()
    finally:
        signal.signal(signal.SIGINT, previous)


async def receive(pipe: Connection, timeout: float, error: str) -> Any:
    """The next message on ``pipe``, polled without blocking the event loop or a thread (a
    thread stuck in ``poll`` would hold up ``asyncio.run``'s shutdown when interrupted)."""
    deadline = time.monotonic() + timeout
    while not pipe.poll():
        if time.monotonic() > deadline:
            raise RuntimeError(error)
        await asyncio.sleep(0.05)
    return pipe.recv()


async def _join(process: BaseProcess, timeout: float) -> None:
    for _ in range(int(timeout / 0.05) + 1):
        if not process.is_alive():
            return
        await asyncio.sleep(0.05)


async def stop_process(process: BaseProcess, pipe: Connection, grace: float = 10.0) -> None:
    """Ask a child to stop (``"stop"`` on its pipe), wait ``grace`` s, then terminate it."""
    if process.is_alive():
        with contextlib.suppress(OSError):
            pipe.send("stop")
        await _join(process, grace)
    if process.is_alive():
        process.terminate()
        await _join(process, 5)
    if process.is_alive():
        process.kill()
        await _join(process, 5)
    process.join(0)
    pipe.close()


def settings_for(
    stack: StackConfig,
    sandbox: SandboxInfo,
    *,
    symbols: tuple[str, ...],
    option_chains: tuple[str, ...],
    event_types: tuple[str, ...],
    database: str = "tastystream",
) -> Any:
    """Pipeline settings pointing at a private stack and sandbox (no env, no ``.env``)."""
    from pydantic import SecretStr

    from tastystream.settings import (
        ClickHouseSettings,
        KafkaSettings,
        RegistrySettings,
        Settings,
        TastytradeSettings,
    )

    return Settings(
        tastytrade=TastytradeSettings(
            _env_file=None,
            base_url=sandbox.base_url,
            streamer_url=sandbox.streamer_url,
            client_secret=SecretStr(sandbox.client_secret),
            refresh_token=SecretStr(sandbox.refresh_token),
            symbols=symbols,
            option_chains=option_chains,
            event_types=event_types,
            candle_backfill="",
        ),
        kafka=KafkaSettings(_env_file=None, bootstrap=stack.kafka_bootstrap),
        registry=RegistrySettings(_env_file=None, url=stack.registry_url),
        clickhouse=ClickHouseSettings(
            _env_file=None,
            url=stack.clickhouse_url,
            database=database,
            password=SecretStr(stack.clickhouse_password),
        ),
    )


__all__ = [
    "SandboxInfo",
    "local_stack",
    "receive",
    "sandbox_process",
    "session_start",
    "settings_for",
    "start_child",
    "stop_process",
]
