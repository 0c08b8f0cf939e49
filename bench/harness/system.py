"""Process figures from /proc (RSS, CPU seconds) and free local ports."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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


__all__ = ["RssSampler", "cpu_seconds", "free_port", "proc_status_mb"]
