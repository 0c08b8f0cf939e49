"""Retrying a sink call with backoff: the retry decision comes from the error (``retriable``).

One :class:`Retrier` per sink; it counts retries in the metrics and tells the sink's state when
a dependency starts failing (``degraded``) and when it answers again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sinks.errors import SinkError
from sinks.metrics import MetricsRecorder

__all__ = ["Retrier"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Retrier:
    """``await retrier.call("insert", writer.insert, …)``: retriable :class:`SinkError`\\ s are
    retried with capped exponential backoff (full jitter above half the cap), others raised."""

    def __init__(
        self,
        recorder: MetricsRecorder,
        *,
        initial_s: float = 0.2,
        max_s: float = 10.0,
        on_failing: Callable[[bool], None] = lambda failing: None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self._rec = recorder
        self._on_failing = on_failing
        self._sleep = sleep

    async def call(
        self,
        what: str,
        call: Callable[..., Awaitable[T]],
        *args: Any,
        budget_s: float | None = None,
        attempts: int | None = None,
    ) -> T:
        """``call(*args)``, retried while its error is retriable; with ``budget_s``, the error
        is raised once retrying has taken longer than that (the caller isolates the failure),
        with ``attempts``, once that many calls failed."""
        attempt = 0
        started = time.monotonic()
        while True:
            try:
                result = await call(*args)
            except SinkError as exc:
                if not exc.retriable:
                    raise
                attempt += 1
                if budget_s is not None and time.monotonic() - started >= budget_s:
                    raise
                if attempts is not None and attempt >= attempts:
                    raise
                self._rec.retries += 1
                self._on_failing(True)
                cap = min(self.max_s, self.initial_s * 2 ** min(attempt, 16))
                delay = random.uniform(cap / 2, cap)
                log = logger.warning if attempt == 1 or attempt % 10 == 0 else logger.debug
                log("%s failed (attempt %d, retry in %.2fs): %s", what, attempt, delay, exc)
                await self._sleep(delay)
                continue
            self._on_failing(False)
            return result
