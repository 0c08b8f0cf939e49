"""Executing one order command over REST, at most once, and saying what happened.

The idempotency rule: an order goes out with ``external-identifier`` = the command id, and
*before anything is sent* — on the first attempt, after a timeout, a 5xx or a lost response,
and after a restart or a re-delivery — the executor looks for an order with that identifier
among the account's orders of today (``/orders/live``: today's orders, any status; for a
command created before today also in the order history since its day). Found: the
command's result is that order (``placed``/``replaced``); nothing is sent again. So a
re-delivered command publishes the same result and never places a second order.

Answers the broker gives for sure end the command: a 4xx (preflight errors, an unknown
symbol, an order that cannot be cancelled) is ``rejected`` with the API's errors; a 429 was
not executed and is retried after a backoff. Retries stop at the command's deadline (its
``max_age_ms``, else :attr:`ExecutionPolicy.retry_window_s`): the result is then ``failed``
with the last error. A command that is already older than its ``max_age_ms`` when it arrives
is ``expired`` — unless its order exists already, which wins.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from adapters.tastytrade.backoff import Backoff
from adapters.tastytrade.errors import ApiError, RateLimited, TastytradeError
from adapters.tastytrade.models import Order, OrderStatus
from adapters.tastytrade.rest.orders import OrdersApi
from processors.commands import CANCEL, PLACE, REPLACE, Invalid, OrderCommand, Problem
from processors.records import (
    CANCELLED,
    EXPIRED,
    FAILED,
    PLACED,
    REJECTED,
    REPLACED,
    result_record,
)

__all__ = ["ExecutionPolicy", "OrderExecutor", "now_micros"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
_CANCELLING = frozenset({OrderStatus.CANCELLED, OrderStatus.CANCEL_REQUESTED})


def _utc_date(micros: int) -> date:
    return datetime.fromtimestamp(micros / 1_000_000, UTC).date()


def now_micros() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True, slots=True)
class ExecutionPolicy:
    """How patiently the executor retries retriable failures."""

    backoff: Backoff = field(default_factory=lambda: Backoff(base=0.25, cap=5.0))
    retry_window_s: float = 60.0
    """Retry deadline of a command without ``max_age_ms`` (from its ``created_at``)."""


class _Outcome(Exception):
    """Internal: the command's result is decided (carries the result record)."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__(record["status"])
        self.record = record


class OrderExecutor:
    """Turns an :class:`OrderCommand` into its one result record (never raises for it)."""

    def __init__(
        self,
        orders: OrdersApi,
        *,
        source: str,
        policy: ExecutionPolicy | None = None,
        clock: Callable[[], int] = now_micros,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._orders = orders
        self._source = source
        self._policy = policy or ExecutionPolicy()
        self._clock = clock
        self._sleep = sleep

    def reject(self, invalid: Invalid) -> dict[str, Any]:
        """The result of a command that failed validation."""
        return result_record(invalid, REJECTED, source=self._source, ts_event=self._clock())

    async def execute(self, command: OrderCommand) -> dict[str, Any]:
        try:
            if command.action == CANCEL:
                await self._cancel(command)
            else:
                await self._submit(command)
        except _Outcome as outcome:
            return outcome.record
        except Exception as exc:  # a bug must not lose the command: it ends as failed
            logger.exception("command %s failed unexpectedly", command.command_id)
            return self._result(command, FAILED, reason=f"{type(exc).__name__}: {exc}")
        raise AssertionError("unreachable: every path decides an outcome")

    # --- place / replace ----------------------------------------------------------------------
    async def _submit(self, command: OrderCommand) -> None:
        done = PLACED if command.action == PLACE else REPLACED
        await self._settle_if_sent(command, done)
        if command.is_stale(self._clock()):
            raise _Outcome(self._expired(command))
        order = command.order
        assert order is not None  # parse_command guarantees it for place / replace
        attempt = 0
        while True:
            try:
                if command.dry_run_first:
                    await self._dry_run(command)
                if command.action == REPLACE:
                    assert command.order_id is not None
                    replaced = await self._orders.replace(
                        command.account_number, command.order_id, order
                    )
                    raise _Outcome(self._done(command, done, replaced))
                placed = await self._orders.place(command.account_number, order)
                raise _Outcome(self._done(command, done, placed.order))
            except TastytradeError as exc:
                self._rejected_by_broker(command, exc)
                if not isinstance(exc, RateLimited):  # 429: certainly not executed
                    await self._settle_if_sent(command, done)
                attempt = await self._backoff(command, attempt, exc)

    async def _dry_run(self, command: OrderCommand) -> None:
        assert command.order is not None
        if command.action == REPLACE:
            assert command.order_id is not None
            answer = await self._orders.replace_dry_run(
                command.account_number, command.order_id, command.order
            )
        else:
            answer = await self._orders.dry_run(command.account_number, command.order)
        if answer.errors:
            problems = tuple(
                Problem(e.code or "preflight", e.message or "preflight error")
                for e in answer.errors
            )
            raise _Outcome(
                self._result(
                    command,
                    REJECTED,
                    reason="; ".join(p.message for p in problems),
                    errors=problems,
                )
            )

    async def _settle_if_sent(self, command: OrderCommand, done: str) -> None:
        """Raise the result if an order tagged with the command id exists already."""
        found = await self._retrying(command, lambda: self._find(command))
        if found is not None:
            logger.info(
                "command %s already executed: order %s (%s)",
                command.command_id,
                found.id,
                found.status,
            )
            raise _Outcome(self._done(command, done, found))

    async def _find(self, command: OrderCommand) -> Order | None:
        """The order tagged with the command id: among today's orders (``/orders/live``), and
        for a command created before today (a late re-delivery) in the history since then."""
        account = command.account_number
        for order in await self._orders.get_live_orders(account):
            if order.external_identifier == command.command_id:
                return order
        created = _utc_date(command.created_at_us)
        if created < _utc_date(self._clock()):
            since = created - timedelta(days=1)  # the broker's day may start before UTC's
            async for order in self._orders.iter_history(account, start_date=since):
                if order.external_identifier == command.command_id:
                    return order
        return None

    # --- cancel -------------------------------------------------------------------------------
    async def _cancel(self, command: OrderCommand) -> None:
        assert command.order_id is not None
        account, order_id = command.account_number, command.order_id
        await self._settle_cancel(command)
        if command.is_stale(self._clock()):
            raise _Outcome(self._expired(command))
        attempt = 0
        while True:
            try:
                cancelled = await self._orders.cancel(account, order_id)
                raise _Outcome(self._done(command, CANCELLED, cancelled))
            except TastytradeError as exc:
                if not isinstance(exc, RateLimited):
                    await self._settle_cancel(command)
                self._rejected_by_broker(command, exc)
                attempt = await self._backoff(command, attempt, exc)

    async def _settle_cancel(self, command: OrderCommand) -> None:
        assert command.order_id is not None
        order_id = command.order_id
        try:
            order = await self._retrying(
                command, lambda: self._orders.get(command.account_number, order_id)
            )
        except ApiError as exc:
            self._rejected_by_broker(command, exc)
            raise
        if order.status in _CANCELLING:
            raise _Outcome(self._done(command, CANCELLED, order))

    # --- outcomes and retries -----------------------------------------------------------------
    def _rejected_by_broker(self, command: OrderCommand, exc: TastytradeError) -> None:
        """A definite "no" from the broker (4xx but 429) ends the command as rejected."""
        if isinstance(exc, ApiError) and 400 <= exc.status < 500 and not exc.retriable:
            problems = tuple(Problem(e.code, e.message) for e in exc.errors) or (
                Problem(exc.code or str(exc.status), exc.api_message),
            )
            raise _Outcome(self._result(command, REJECTED, reason=exc.api_message, errors=problems))

    async def _backoff(self, command: OrderCommand, attempt: int, exc: Exception) -> int:
        delay = self._policy.backoff.delay(attempt)
        deadline = command.deadline_us(self._policy.retry_window_s)
        if self._clock() + int(delay * 1_000_000) >= deadline:
            raise _Outcome(
                self._result(command, FAILED, reason=f"gave up at the command's deadline: {exc}")
            )
        logger.warning(
            "command %s attempt %d failed, retrying in %.2fs: %s",
            command.command_id,
            attempt + 1,
            delay,
            exc,
        )
        await self._sleep(delay)
        return attempt + 1

    async def _retrying(self, command: OrderCommand, call: Callable[[], Awaitable[T]]) -> T:
        """``call`` (a read: safe to repeat), retried on retriable errors until the deadline."""
        attempt = 0
        while True:
            try:
                return await call()
            except TastytradeError as exc:
                if not exc.retriable:
                    raise
                attempt = await self._backoff(command, attempt, exc)

    def _done(self, command: OrderCommand, status: str, order: Order) -> dict[str, Any]:
        return self._result(
            command,
            status,
            order_id=order.id,
            order_status=None if order.status is None else str(order.status),
        )

    def _expired(self, command: OrderCommand) -> dict[str, Any]:
        age = command.age_ms(self._clock())
        return self._result(
            command,
            EXPIRED,
            reason=f"command is {age:.0f} ms old, older than its max_age_ms {command.max_age_ms}",
        )

    def _result(self, command: OrderCommand, status: str, **fields: Any) -> dict[str, Any]:
        return result_record(command, status, source=self._source, ts_event=self._clock(), **fields)
