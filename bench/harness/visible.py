"""When sampled quotes become visible in ClickHouse — polled from a child process, so that the
poll (a query every 100 ms and its result parsing, ~0.2 cores held under the GIL when run in
a thread) does not share the ingestor's process and event loop: the event → ack figures are
the ingestor's, as deployed, not the poller's."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

from bench.harness.services import receive, start_child, stop_process

POLL_S = 0.1
#: a row lands at most ~2 s after a newer one (the sink's 1 s batch age, cycles per partition): polls
#: look this far behind the newest ingest time seen, instead of re-reading the last 30 s
SLACK_US = 5_000_000


def _poll_process(pipe: Connection, url: str, database: str, password: str) -> None:
    """Every :data:`POLL_S`: sampled quotes newly visible → ``(ts_ingest µs, now − source time
    ms)`` to the parent; ``("since", µs)`` from the parent bounds the query, ``"stop"`` ends."""
    import clickhouse_connect

    client = clickhouse_connect.get_client(
        dsn=url, password=password, autogenerate_session_id=False
    )
    pipe.send("ready")
    seen: set[str] = set()
    since_us = time.time_ns() // 1000
    newest_us = 0  # the newest ts_ingest seen: later polls read only the last SLACK_US before it
    try:
        while True:
            while pipe.poll():
                message: Any = pipe.recv()
                if message == "stop":
                    return
                since_us = int(message[1])
            lower = max(since_us, newest_us - SLACK_US, time.time_ns() // 1000 - 30_000_000)
            query = (
                "SELECT toString(event_id), toUnixTimestamp64Micro(ts), "
                f"toUnixTimestamp64Micro(ts_ingest) FROM {database}.quotes "
                f"PREWHERE ts_ingest >= fromUnixTimestamp64Micro({lower}) "
                "WHERE cityHash64(toString(event_id)) % 10 = 0"
            )
            try:
                rows = client.query(query).result_rows
            except Exception:  # the table appears once the sink has migrated
                rows = []
            now_us = time.time_ns() // 1000
            fresh: list[tuple[int, float]] = []
            for event_id, ts, ts_ingest in rows:
                newest_us = max(newest_us, ts_ingest)
                if event_id not in seen:
                    seen.add(event_id)
                    fresh.append((ts_ingest, (now_us - ts) / 1000))
            if fresh:
                pipe.send(fresh)
            time.sleep(POLL_S)
    finally:
        client.close()


class VisibleInClickHouse:
    """``async with VisibleInClickHouse(url, database, password) as poll``: a child process polls
    ``quotes`` (10 % of event ids); :meth:`pump` collects, :meth:`latencies_since` answers."""

    def __init__(self, url: str, database: str, password: str = "") -> None:
        ctx = multiprocessing.get_context("spawn")
        self._pipe, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_poll_process, args=(child, url, database, password), daemon=True
        )
        self.samples: list[tuple[int, float]] = []
        self.pid = 0

    async def __aenter__(self) -> VisibleInClickHouse:
        start_child(self._process)
        ready = await receive(self._pipe, 60, "ClickHouse poller did not start")
        if ready != "ready":
            raise RuntimeError(f"ClickHouse poller: {ready!r}")
        self.pid = self._process.pid or 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._pipe.send("stop")
        for _ in range(100):  # keep draining: a child blocked on a full pipe never reads "stop"
            self.pump()
            if not self._process.is_alive():
                break
            await asyncio.sleep(0.05)
        await stop_process(self._process, self._pipe)

    def pump(self) -> int:
        """Take what the poller sent so far (non-blocking); the number of samples."""
        with contextlib.suppress(EOFError, OSError):
            while self._pipe.poll():
                self.samples.extend(self._pipe.recv())
        return len(self.samples)

    def since(self, ts_ingest_us: int) -> None:
        """Only rows ingested from ``ts_ingest_us`` on matter from now on (a smaller query)."""
        self._pipe.send(("since", ts_ingest_us))

    def latencies_since(self, ts_ingest_us: int) -> list[float]:
        self.pump()
        return [ms for ts, ms in self.samples if ts >= ts_ingest_us]


__all__ = ["VisibleInClickHouse"]
