"""Shared benchmark plumbing: figures, percentiles, RSS/CPU from /proc, the local stack on free
ports in a temp folder, and the sandbox in its own process.

Every benchmark prints its results as ``name: value unit`` lines (see :class:`Figures`), which
``python -m bench`` collects into one summary table.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import re
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from tastystream.stack import LocalStack, StackConfig

FIGURE = re.compile(
    r"^\s*(?P<name>[A-Za-z][\w./>-]*):\s+(?P<value>[-+]?[\d,]*\.?\d+(?:e[-+]?\d+)?|nan)\s*(?P<unit>[^:]*?)\s*$"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ---------------------------------------------------------------------------- figures
def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation between closest ranks."""
    if not values:
        return math.nan
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str = ""

    def line(self) -> str:
        if math.isnan(self.value):
            text = "nan"
        elif abs(self.value) >= 100 or float(self.value).is_integer():
            text = f"{self.value:.0f}"
        else:
            text = f"{self.value:.3g}" if abs(self.value) < 1 else f"{self.value:.2f}"
        return f"{self.name}: {text} {self.unit}".rstrip()


class Figures:
    """Collects and prints figures; ``ratio`` lines carry the unit ``x``."""

    def __init__(self) -> None:
        self.items: list[Figure] = []

    def add(self, name: str, value: float, unit: str = "") -> float:
        figure = Figure(name, float(value), unit)
        self.items.append(figure)
        print(figure.line(), flush=True)
        return value

    def ratio(self, name: str, ours: float, baseline: float) -> float:
        value = ours / baseline if baseline else math.nan
        return self.add(f"ratio_{name}", value, "x")

    def note(self, text: str) -> None:
        print(f"# {text}", flush=True)


def parse_figures(text: str) -> list[Figure]:
    """Every ``name: value unit`` line of a benchmark's output (other lines are ignored)."""
    out: list[Figure] = []
    for line in text.splitlines():
        match = FIGURE.match(line)
        if match is None:
            continue
        value = match["value"].replace(",", "")
        out.append(Figure(match["name"], float(value), match["unit"]))
    return out


# ----------------------------------------------------------------------------- /proc
def proc_status_mb(field: str, pid: int | str = "self") -> float:
    """A ``VmRSS``/``VmHWM``-style field of ``/proc/<pid>/status`` in MB (NaN if absent)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return math.nan


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of a process so far (from ``/proc/<pid>/stat``)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class RssSampler:
    """Samples a process's RSS every ``interval`` seconds while running (peak and last kept)."""

    def __init__(self, pid: int | str = "self", interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_mb = 0.0
        self.last_mb = 0.0
        self.samples: list[float] = []

    def sample(self) -> float:
        self.last_mb = proc_status_mb("VmRSS", self.pid)
        self.peak_mb = max(self.peak_mb, self.last_mb)
        self.samples.append(self.last_mb)
        return self.last_mb

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)


# ---------------------------------------------------------------------------- the stack
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
            yield config
        finally:
            await asyncio.to_thread(stack.down)


# ---------------------------------------------------------------------------- the sandbox
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
    process.start()
    stats: dict[str, float] = {}
    try:
        if not await asyncio.to_thread(parent.poll, 60):
            raise RuntimeError("sandbox process did not start")
        info: SandboxInfo = parent.recv()
        yield info, stats
        parent.send("stop")
        if await asyncio.to_thread(parent.poll, 20):
            stats.update(parent.recv())
    finally:
        await asyncio.to_thread(process.join, 15)
        if process.is_alive():
            process.terminate()
            await asyncio.to_thread(process.join, 5)


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
        clickhouse=ClickHouseSettings(_env_file=None, url=stack.clickhouse_url, database=database),
    )


__all__ = [
    "Figure",
    "Figures",
    "RssSampler",
    "SandboxInfo",
    "cpu_seconds",
    "free_port",
    "local_stack",
    "parse_figures",
    "percentile",
    "proc_status_mb",
    "sandbox_process",
    "session_start",
    "settings_for",
]
