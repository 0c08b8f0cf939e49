"""The one reconnect loop both streamers share, with its lifecycle and consumer queues.

A :class:`ReconnectingStream` runs its subclass's ``_session()`` — one websocket connection,
start to end — again and again until stopped:

* a session that ends or fails is translated into the adapter's error
  (:func:`~adapters.tastytrade.fanout.translate_ws_error`); a non-retriable one gives up:
  :class:`Unrecoverable` on the error stream, consumers' iteration raises it, state STOPPED;
* otherwise the loop counts a disconnect, publishes :class:`StreamDisconnected` (``attempt``
  = consecutive failures, ``code`` = the close code when known), goes DEGRADED and sleeps
  the jittered :class:`ReconnectSchedule` delay;
* the backoff resets only after a connection stayed RUNNING for ``healthy_after`` seconds,
  so a server that accepts and then hangs up at once never causes a reconnect storm;
* once a session is usable it calls :meth:`ReconnectingStream._session_running`: the
  generation grows, state RUNNING, and from the second connection on the ``on_reconnect``
  hooks learn how long the stream was down.

Logging is per outage, not per attempt: its first failure is one WARNING (the reason), the
failed attempts that follow are DEBUG, and its end is one WARNING with the counts (how long
down, how many failed attempts) — a frozen or unreachable server does not flood the log.

Clock, sleep and randomness are injected so tests run instantly. Subclasses keep only their
protocol: ``_session()``, their own ``stats()``, and optionally ``_before_reconnect()`` to
react to a retriable failure (DXLink forces a new quote token after ``UNAUTHORIZED``).
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Generic, Self, TypeVar

from adapters.tastytrade.backoff import Backoff, Clock, Random, ReconnectSchedule, Sleep
from adapters.tastytrade.errors import (
    ErrorStream,
    StreamDisconnected,
    TastytradeError,
    Unrecoverable,
    is_retriable,
)
from adapters.tastytrade.fanout import (
    Fanout,
    Listener,
    Reconnected,
    StreamState,
    translate_ws_error,
)

T = TypeVar("T")  # what consumers receive
C = TypeVar("C")  # one live connection of the protocol


class ReconnectingStream(abc.ABC, Generic[T, C]):
    """Lifecycle, bounded consumer queues and the reconnect loop of one websocket stream.

    ``stream`` names the stream on errors and queues (``"dxlink"``), ``label`` in log lines
    and error messages (``"account stream"``), ``task_name`` the loop's task (each session
    runs in a task named ``"<stream>-session"``). Log lines go to ``log``, the subclass's
    module logger.
    """

    def __init__(
        self,
        *,
        stream: str,
        label: str,
        task_name: str,
        log: logging.Logger,
        errors: ErrorStream | None,
        reconnect_backoff: Backoff | None,
        healthy_after: float,
        rand: Random,
        sleep: Sleep,
        clock: Clock,
    ) -> None:
        self.errors = errors if errors is not None else ErrorStream()
        self.healthy_after = healthy_after
        self._stream = stream
        self._label = label
        self._task_name = task_name
        self._log = log
        self._schedule = ReconnectSchedule(reconnect_backoff or Backoff(base=0.5, cap=30.0), rand)
        self._sleep = sleep
        self._clock = clock
        self._fanout: Fanout[T] = Fanout(stream, self.errors)
        self._conn: C | None = None  # the live connection; None while down
        self._task: asyncio.Task[None] | None = None
        self._hooks: list[Callable[[Reconnected], object]] = []
        self._stopping = False
        self._down_since: float | None = None
        self._running_since: float | None = None
        self.state = StreamState.STOPPED
        self.generation = 0  # successful sessions so far
        self.disconnects = 0
        self.outage_failures = 0  # failed attempts of the current outage (0 while up)

    # ----------------------------------------------------------------- lifecycle
    async def __aenter__(self) -> Self:
        self._set_state(StreamState.CONNECTING)
        self._stopping = False
        self._fanout = Fanout(self._stream, self.errors)
        self._task = asyncio.create_task(self._run(), name=self._task_name)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Cancel the loop and wait for it; consumers' iteration ends (or raises the failure)."""
        task, self._task = self._task, None
        self._stopping = True
        if task is not None:
            self._set_state(StreamState.STOPPING)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if self.outage_failures:
                self._log.warning(
                    "%s stopped while down (%.1fs, %d failed attempts)",
                    self._label,
                    self._down_for(),
                    self.outage_failures,
                )
                self.outage_failures = 0
        self._fanout.close(self._fanout.failure)
        self._set_state(StreamState.STOPPED)

    def _set_state(self, state: StreamState) -> None:
        if state is not self.state:
            self._log.info("%s %s -> %s", self._label, self.state, state)
            self.state = state

    # ----------------------------------------------------------------- consumers
    def listen(self, maxsize: int = 10_000, *, name: str = "") -> Listener[T]:
        """A bounded queue of events (drop-oldest on overflow); close it when done."""
        return self._fanout.listen(maxsize, name=name)

    async def events(self, maxsize: int = 10_000) -> AsyncIterator[T]:
        with self.listen(maxsize) as listener:
            async for event in listener:
                yield event

    def on_reconnect(self, hook: Callable[[Reconnected], object]) -> None:
        """Call ``hook`` each time a replacement connection is running (not the first one)."""
        self._hooks.append(hook)

    # ------------------------------------------------------------ reconnect loop
    @abc.abstractmethod
    async def _session(self) -> None:
        """One connection from connect to close; call ``_session_running()`` once usable."""

    def _before_reconnect(self, reason: TastytradeError) -> None:
        """A retriable failure ended a session; runs before the disconnect is reported."""

    def _session_running(self) -> None:
        """The session is usable: count it, go RUNNING, tell the hooks after a reconnect."""
        self.generation += 1
        self._running_since = self._clock()
        self._set_state(StreamState.RUNNING)
        if self._down_since is not None:
            down_for, self._down_since = self._clock() - self._down_since, None
            failures, self.outage_failures = self.outage_failures, 0
            if self.generation > 1:
                self._notify(Reconnected(self.generation, down_for), failures)
            else:
                self._log.warning(
                    "%s connected after %d failed attempts (%.1fs)",
                    self._label,
                    failures,
                    down_for,
                )

    def _down_for(self) -> float:
        return 0.0 if self._down_since is None else self._clock() - self._down_since

    async def _run(self) -> None:
        while True:
            reason: TastytradeError
            try:
                # each session runs in its own task: a TaskGroup that failed leaves its parent's
                # cancel count raised on Python 3.11, which must not leak into the next session
                await asyncio.create_task(self._session(), name=f"{self._stream}-session")
                reason = StreamDisconnected("session ended", stream=self._stream)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping:  # a stop raced with a failure (TaskGroup may eat the cancel)
                    raise asyncio.CancelledError from exc
                reason = translate_ws_error(exc, self._stream)
            self._conn = None
            if not is_retriable(reason):
                self._give_up(reason)
                return
            self._before_reconnect(reason)
            delay = self._count_disconnect()
            self.outage_failures += 1
            if self.outage_failures == 1:
                self._log.warning("%s down (%s); reconnecting", self._label, reason.message)
            else:
                self._log.debug(
                    "%s still down (%s; %d failed attempts)",
                    self._label,
                    reason.message,
                    self.outage_failures,
                )
            code = reason.code if isinstance(reason, StreamDisconnected) else None
            self.errors.publish(
                StreamDisconnected(
                    f"{self._label} disconnected ({reason.message}); reconnect in {delay:.2f}s",
                    stream=self._stream,
                    attempt=self._schedule.failures,
                    code=code,
                )
            )
            self._set_state(StreamState.DEGRADED)
            await self._sleep(delay)

    def _give_up(self, reason: TastytradeError) -> None:
        failure = Unrecoverable(f"{self._label} gave up: {reason.message}", cause=reason)
        self.errors.publish(failure)
        self._fanout.close(failure)
        self._set_state(StreamState.STOPPED)

    def _count_disconnect(self) -> float:
        """Book one disconnect; the delay before the next attempt."""
        if self._down_since is None:
            self._down_since = self._clock()
        if self._running_since is not None:
            # a connection that stayed up long enough resets the backoff; one that drops
            # right after its handshake keeps growing it (no reconnect storms)
            if self._clock() - self._running_since >= self.healthy_after:
                self._schedule.succeeded()
            self._running_since = None
        self.disconnects += 1
        return self._schedule.next_delay()

    def _notify(self, info: Reconnected, failures: int) -> None:
        self._log.warning(
            "%s reconnected (generation %d, down %.1fs, %d failed attempts)",
            self._label,
            info.generation,
            info.down_for_s,
            failures,
        )
        for hook in self._hooks:
            try:
                hook(info)
            except Exception:
                self._log.exception("on_reconnect hook failed")


__all__ = ["ReconnectingStream"]
