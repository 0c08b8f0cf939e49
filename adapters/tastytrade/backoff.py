"""Exponential backoff with full jitter, and the one retry helper of the adapter.

Delays follow the "full jitter" scheme: attempt ``n`` (0-based) sleeps a uniformly random
time in ``[0, min(cap, base * factor**n)]``. Clock, sleep and randomness are injectable so
that tests run instantly and deterministically. Whether to retry at all is decided by the
error itself (:func:`adapters.tastytrade.errors.is_retriable`), never by call sites.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from adapters.tastytrade.errors import is_retriable

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Random = Callable[[], float]
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Backoff:
    """The delay schedule: ``base`` seconds doubled (``factor``) per attempt, capped at ``cap``."""

    base: float = 0.5
    cap: float = 30.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0 or self.factor < 1:
            raise ValueError("backoff needs base >= 0, cap >= 0 and factor >= 1")

    def ceiling(self, attempt: int) -> float:
        """The largest delay attempt ``attempt`` (0-based) may sleep."""
        if attempt < 0:
            raise ValueError("attempt must be >= 0")
        # avoid float overflow for very large attempt numbers
        if attempt > 64:
            return self.cap
        return min(self.cap, self.base * self.factor**attempt)

    def delay(self, attempt: int, rand: Random = random.random) -> float:
        """A full-jitter delay for attempt ``attempt``: uniform in ``[0, ceiling(attempt)]``."""
        return rand() * self.ceiling(attempt)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry: ``attempts`` counts the first try too."""

    attempts: int = 4
    backoff: Backoff = field(default_factory=lambda: Backoff(base=0.25, cap=8.0))

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a retry policy needs at least one attempt")


NO_RETRY = RetryPolicy(attempts=1)


async def retry(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    should_retry: Callable[[BaseException], bool] = is_retriable,
    sleep: Sleep = asyncio.sleep,
    rand: Random = random.random,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
    what: str = "operation",
) -> T:
    """Run ``operation``; on a retriable error sleep a jittered backoff and try again.

    At most ``policy.attempts`` tries. The last error is re-raised unchanged when the
    attempts run out or the error is not retriable. ``on_retry(attempt, error, delay)`` is
    called before each sleep (for metrics or the error stream).
    """
    attempt = 0
    while True:
        try:
            return await operation()
        except Exception as exc:
            attempt += 1
            if attempt >= policy.attempts or not should_retry(exc):
                raise
            delay = policy.backoff.delay(attempt - 1, rand)
            logger.debug(
                "%s failed (%s), retry %d/%d in %.3fs",
                what,
                type(exc).__name__,
                attempt,
                policy.attempts - 1,
                delay,
            )
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            await sleep(delay)


@dataclass(slots=True)
class ReconnectSchedule:
    """Backoff state of one reconnect loop.

    ``next_delay()`` grows with each consecutive failure; ``succeeded()`` resets the count
    once a connection was established and healthy.
    """

    backoff: Backoff = field(default_factory=lambda: Backoff(base=0.5, cap=30.0))
    rand: Random = random.random
    failures: int = 0

    def next_delay(self) -> float:
        delay = self.backoff.delay(self.failures, self.rand)
        self.failures += 1
        return delay

    def succeeded(self) -> None:
        self.failures = 0


__all__ = ["NO_RETRY", "Backoff", "Clock", "ReconnectSchedule", "RetryPolicy", "Sleep", "retry"]
