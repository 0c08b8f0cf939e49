"""A sandbox (simulated Tastytrade) in its own process, for the CLI's credential failures."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import eventually_sync, free_port

SANDBOX_START = "2026-11-25T16:00:00+00:00"  # a Wednesday, 10:00 CT: the simulated clock


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", str(port), "--clock-start", SANDBOX_START],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(log).parent,
        )
    try:
        eventually_sync(
            lambda: proc.poll() is not None or _accepts(port),
            timeout=60,
            message="sandbox listening",
        )
        assert proc.poll() is None, log.read_text()
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
