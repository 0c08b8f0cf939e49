"""Registry processes against the session's real Kafka, each test on its own ``_schemas`` topic."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import eventually_sync, free_port, unique


@dataclass
class RegistryProcess:
    url: str
    topic: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> int:
        """SIGTERM, then wait (bounded); returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace")


StartRegistry = Callable[..., RegistryProcess]


@pytest.fixture
def start_registry(kafka_bootstrap: str, tmp_path: Path) -> Iterator[StartRegistry]:
    """Factory: ``start_registry(topic=None)`` runs a registry process and waits until healthy."""
    started: list[RegistryProcess] = []

    def start(topic: str | None = None) -> RegistryProcess:
        topic = topic or unique("_schemas")
        port = free_port()
        log_path = tmp_path / f"registry-{len(started)}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tastystream.stack.registry",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--bootstrap",
                    kafka_bootstrap,
                    "--topic",
                    topic,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        handle = RegistryProcess(f"http://127.0.0.1:{port}", topic, proc, log_path)
        started.append(handle)

        def healthy() -> bool:
            assert proc.poll() is None, f"registry exited early:\n{handle.log()}"
            try:
                return httpx.get(f"{handle.url}/subjects", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        eventually_sync(healthy, timeout=90, interval=0.2, message="registry not healthy")
        return handle

    yield start
    for handle in started:
        handle.stop()
