"""A cancelled ClickHouse call keeps its client until its thread is done (issue 9 part 3: the
client went back to the pool at once, so the next query shared its HTTP session and failed
with SESSION_IS_LOCKED)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from sinks import writer as writer_module
from sinks.writer import ClickHouseWriter
from tastystream.settings import ClickHouseSettings


class SessionClient:
    """One HTTP session: a second query while one runs is SESSION_IS_LOCKED."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.busy = False
        self.locked_errors = 0
        self.queries = 0

    def query(self, sql: str, parameters: Any = None) -> Any:
        if self.busy:
            self.locked_errors += 1
            raise RuntimeError("Code: 373. SESSION_IS_LOCKED")
        self.busy = True
        self.queries += 1
        try:
            if self.queries == 1:
                self.started.set()
                self.release.wait(10)
            return type("Result", (), {"result_rows": []})()
        finally:
            self.busy = False

    def close(self) -> None:
        self.release.set()


async def test_a_cancelled_call_returns_its_client_only_when_its_thread_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = SessionClient()
    monkeypatch.setattr(writer_module, "client_for", lambda cfg: client)
    async with ClickHouseWriter(ClickHouseSettings(), pool_size=1) as writer:
        slow = asyncio.create_task(writer.columns("quotes"))
        await asyncio.to_thread(client.started.wait, 5)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        nxt = asyncio.create_task(writer.columns("trades"))
        await asyncio.sleep(0.2)
        assert not nxt.done()  # waits for the pool's only client
        client.release.set()
        assert await asyncio.wait_for(nxt, 5) == []
    assert client.locked_errors == 0
    assert client.queries == 2
