"""What both streamers share: lifecycle states, bounded per-consumer queues, reconnect facts.

Overflow policy (documented contract): every consumer gets its own queue of ``maxsize``
items. Producers never block and never grow memory: when a consumer's queue is full, its
**oldest** item is dropped, counted in :attr:`Listener.dropped`, and a :class:`StreamError`
is published on the error stream once per overflow episode (an episode ends when the
consumer has emptied its queue). Slow consumers therefore see the newest data; fast ones
are unaffected. When the stream stops, iteration ends; when it failed for good, iteration
raises the failure.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, Self, TypeVar

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from adapters.tastytrade.errors import (
    ErrorStream,
    StreamDisconnected,
    StreamError,
    TastytradeError,
    Unrecoverable,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


class StreamState(enum.StrEnum):
    """What a streamer is doing; health checks report it."""

    CONNECTING = "connecting"
    RUNNING = "running"
    DEGRADED = "degraded"
    STOPPING = "stopping"
    STOPPED = "stopped"


class Listener(Generic[T]):
    """One consumer's bounded queue; iterate it with ``async for``; close it when done."""

    def __init__(
        self,
        fanout: Fanout[T],
        maxsize: int,
        name: str,
        accept: Callable[[T], bool] | None,
    ) -> None:
        if maxsize < 1:
            raise ValueError("a listener needs maxsize >= 1")
        self.maxsize = maxsize
        self.name = name
        self.dropped = 0
        self.received = 0
        self._fanout = fanout
        self._accept = accept
        self._items: deque[T] = deque()
        self._wakeup = asyncio.Event()
        self._overflowing = False
        self._closed = False

    def __repr__(self) -> str:
        return f"Listener({self.name!r}, queued={len(self._items)}, dropped={self.dropped})"

    def qsize(self) -> int:
        return len(self._items)

    def offer(self, item: T) -> None:
        """Called by the producer: enqueue, dropping the oldest item when full."""
        if self._closed or (self._accept is not None and not self._accept(item)):
            return
        if len(self._items) >= self.maxsize:
            self._items.popleft()
            self.dropped += 1
            if not self._overflowing:
                self._overflowing = True
                self._fanout.report_overflow(self)
        self._items.append(item)
        self.received += 1
        self._wakeup.set()

    async def get(self) -> T:
        """The next item; raises ``StopAsyncIteration`` when the stream has ended."""
        while not self._items:
            if self._closed or self._fanout.closed:
                failure = self._fanout.failure
                if failure is not None:
                    raise failure
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        item = self._items.popleft()
        if not self._items:
            self._overflowing = False
        return item

    def get_nowait(self) -> T | None:
        if not self._items:
            return None
        item = self._items.popleft()
        if not self._items:
            self._overflowing = False
        return item

    def wake(self) -> None:
        self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        self._fanout.remove(self)
        self._wakeup.set()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        return await self.get()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Fanout(Generic[T]):
    """Delivers each produced item to every listener's own bounded queue."""

    def __init__(self, stream: str, errors: ErrorStream) -> None:
        self.stream = stream
        self.errors = errors
        self.listeners: list[Listener[T]] = []
        self.closed = False
        self.failure: TastytradeError | None = None
        self.published = 0

    def listen(
        self, maxsize: int = 10_000, *, name: str = "", accept: Callable[[T], bool] | None = None
    ) -> Listener[T]:
        listener = Listener(
            self, maxsize, name or f"{self.stream}-{len(self.listeners) + 1}", accept
        )
        self.listeners.append(listener)
        return listener

    def remove(self, listener: Listener[T]) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def listener_stats(self) -> dict[str, dict[str, int]]:
        return {
            listener.name: {"queued": listener.qsize(), "dropped": listener.dropped}
            for listener in self.listeners
        }

    def publish(self, item: T) -> None:
        self.published += 1
        for listener in self.listeners:
            listener.offer(item)

    def report_overflow(self, listener: Listener[T]) -> None:
        self.errors.publish(
            StreamError(
                f"consumer {listener.name!r} is too slow: queue of {listener.maxsize} full, "
                f"dropping oldest ({listener.dropped} dropped so far)",
                stream=self.stream,
            )
        )

    def close(self, failure: TastytradeError | None = None) -> None:
        """End every listener's iteration (with ``failure`` raised, if given)."""
        self.closed = True
        self.failure = failure
        for listener in list(self.listeners):
            listener.wake()


@dataclass(frozen=True, slots=True)
class Reconnected:
    """Told to ``on_reconnect`` hooks once a replacement connection is running."""

    generation: int
    down_for_s: float


def translate_ws_error(exc: BaseException, stream: str) -> TastytradeError:
    """A websocket/session failure as the adapter's error (retriable unless it cannot help)."""
    if isinstance(exc, BaseExceptionGroup):
        inner = [e for e in exc.exceptions if not isinstance(e, asyncio.CancelledError)]
        return (
            translate_ws_error(inner[0], stream)
            if inner
            else StreamDisconnected("cancelled", stream=stream)
        )
    if isinstance(exc, TastytradeError):
        return exc
    if isinstance(exc, ConnectionClosed):
        code = exc.rcvd.code if exc.rcvd is not None else None
        hint = " (message too big: fewer symbols per subscription)" if code == 1009 else ""
        return StreamDisconnected(f"connection closed: {exc}{hint}", stream=stream, code=code)
    if isinstance(exc, InvalidURI):
        return Unrecoverable(f"bad {stream} url: {exc}", cause=exc)
    if isinstance(exc, InvalidHandshake | OSError | TimeoutError):
        return StreamDisconnected(f"connect failed: {type(exc).__name__}: {exc}", stream=stream)
    logger.error("unexpected %s failure: %r", stream, exc, exc_info=exc)
    return StreamDisconnected(f"unexpected {type(exc).__name__}: {exc}", stream=stream)


__all__ = ["Fanout", "Listener", "Reconnected", "StreamState", "translate_ws_error"]
