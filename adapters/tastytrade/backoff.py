"""Exponential backoff with full jitter, and the one retry helper of the adapter.

Delays follow the "full jitter" scheme: attempt ``n`` (0-based) sleeps a uniformly random
time in ``[0, min(cap, base * factor**n)]``; a server's ``Retry-After`` (on the error) wins
when it is longer. Clock, sleep and randomness are injectable so that tests run instantly and
deterministically. Whether to retry at all is decided by the error itself
(:func:`adapters.tastytrade.errors.is_retriable`), never by call sites.

A :class:`Cooldown` is the retry schedule one client shares across calls: a rate limit or an
outage hits every request of the client, so consecutive failures of *any* call grow one
backoff to its cap (it never restarts at ``base`` because a new call began), every attempt
waits out the current pause, and only a success resets it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from adapters.tastytrade.errors import is_retriable

#: The longest ``Retry-After`` honoured (a server asking for more is waited on this long).
MAX_RETRY_AFTER = 300.0

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


def honour_retry_after(delay: float, exc: BaseException) -> float:
    """``delay``, or the error's ``Retry-After`` (bounded by :data:`MAX_RETRY_AFTER`) if longer."""
    after = getattr(exc, "retry_after", None)
    if isinstance(after, int | float) and after > delay:
        return min(float(after), MAX_RETRY_AFTER)
    return delay


@dataclass(slots=True)
class Cooldown:
    """One growing pause shared by every call of a client (see the module docstring).

    ``failed(error)`` books a retriable failure and returns the pause it starts: the jittered
    backoff of the current failure count, or ``Retry-After`` when longer. ``wait()`` sleeps
    until that pause is over (at once when none is pending); ``succeeded()`` resets the count.
    """

    backoff: Backoff = field(default_factory=lambda: Backoff(base=0.25, cap=8.0))
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    rand: Random = random.random
    failures: int = 0
    not_before: float = 0.0
    _last: BaseException | None = field(default=None, repr=False)

    def failed(self, exc: BaseException) -> float:
        if exc is self._last:  # re-raised through an outer retry: booked already
            return max(0.0, self.not_before - self.clock())
        self._last = exc
        delay = honour_retry_after(self.backoff.delay(self.failures, self.rand), exc)
        self.failures += 1
        self.not_before = max(self.not_before, self.clock() + delay)
        return delay

    def succeeded(self) -> None:
        self.failures = 0
        self._last = None

    async def wait(self) -> None:
        pause = self.not_before - self.clock()
        if pause > 0:
            await self.sleep(pause)


async def retry(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    should_retry: Callable[[BaseException], bool] = is_retriable,
    sleep: Sleep = asyncio.sleep,
    rand: Random = random.random,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
    what: str = "operation",
    cooldown: Cooldown | None = None,
) -> T:
    """Run ``operation``; on a retriable error sleep a jittered backoff and try again.

    At most ``policy.attempts`` tries. The last error is re-raised unchanged when the
    attempts run out or the error is not retriable. ``on_retry(attempt, error, delay)`` is
    called before each sleep (for metrics or the error stream). A ``Retry-After`` on the
    error lengthens the delay. With a ``cooldown`` the delays come from it instead (shared
    with other calls, growing across them; every attempt, the first too, waits out its pause),
    and every retriable failure is booked there even when this call does not retry it.
    """
    attempt = 0
    while True:
        try:
            if cooldown is not None:
                await cooldown.wait()
            result = await operation()
        except Exception as exc:
            attempt += 1
            shared = cooldown.failed(exc) if cooldown is not None and is_retriable(exc) else None
            if attempt >= policy.attempts or not should_retry(exc):
                raise
            if shared is not None:
                delay = shared
            else:
                delay = honour_retry_after(policy.backoff.delay(attempt - 1, rand), exc)
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
            if shared is None:
                await sleep(delay)
        else:
            if cooldown is not None:
                cooldown.succeeded()
            return result


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


__all__ = [
    "MAX_RETRY_AFTER",
    "NO_RETRY",
    "Backoff",
    "Clock",
    "Cooldown",
    "ReconnectSchedule",
    "RetryPolicy",
    "Sleep",
    "honour_retry_after",
    "retry",
]
