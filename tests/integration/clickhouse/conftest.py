"""The server as the stack manager runs it: a process on a free port over a data directory."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import eventually_sync, free_port


@dataclass
class RunningServer:
    proc: subprocess.Popen[bytes]
    port: int
    path: Path
    password: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> tuple[str, str]:
        return ("default", self.password)

    def stop(self) -> int:
        """SIGTERM, as the stack manager stops it; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode


def ping(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping", timeout=2).text == "Ok.\n"
    except httpx.TransportError:
        return False


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[[Path | None], RunningServer]]:
    started: list[RunningServer] = []

    def start(path: Path | None = None) -> RunningServer:
        port = free_port()
        data = path or tmp_path / "clickhouse"
        password = secrets.token_urlsafe(16)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tastystream.stack.clickhouse",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--path",
                str(data),
                "--log-level",
                "WARNING",
            ],
            env={**os.environ, "CLICKHOUSE_PASSWORD": password},
        )
        server = RunningServer(proc, port, data, password)
        started.append(server)
        eventually_sync(
            lambda: proc.poll() is not None or ping(server.url),
            timeout=60,
            message="clickhouse server did not answer /ping",
        )
        assert proc.poll() is None, "server exited during startup"
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(start_server: Callable[[Path | None], RunningServer]) -> RunningServer:
    return start_server(None)
