"""The account streamer: connect, heartbeats, acks, notifications, reconcile after reconnect (§6).

Every client message is ``{"action", "value"?, "auth-token": "Bearer <access token>",
"request-id"}`` with the token fetched fresh for each message (so a refresh between
heartbeats is picked up). Acks are matched by ``request-id`` (or by action when the server
does not echo it); an error ack becomes a :class:`StreamError`. Notifications
``{"type","data","timestamp"}`` — and ``{"results": [...]}`` batches — are parsed into the
REST models of :data:`adapters.tastytrade.models.NOTIFICATION_MODELS`; unknown types and
payloads that fail to parse are reported and still delivered as raw :class:`Notification`
objects, never dropped. The streamer sends no snapshot, so after every (re)connect a
:class:`Reconciliation` per account, fetched over REST, is emitted into the same stream.
Reconnects and lifecycle come from :class:`~adapters.tastytrade.reconnect.ReconnectingStream`.

A refused ``connect`` makes the token source forget the token, so the next attempt carries a
freshly minted one. When ``max_connect_refusals`` connects in a row are refused, each with a
different token, retrying cannot help (accounts of another customer, a login without the
authority): the stream ends with :class:`Unrecoverable` on the error stream and in every
listener. A source that cannot mint new tokens keeps being retried with backoff (its token
may be rotated from outside); any accepted ``connect`` starts the count over.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from adapters.tastytrade.backoff import Backoff, Clock, Random, Sleep
from adapters.tastytrade.errors import (
    ErrorStream,
    ParseFailure,
    ParseWarning,
    StreamDisconnected,
    StreamError,
    Unrecoverable,
)
from adapters.tastytrade.fanout import StreamState
from adapters.tastytrade.models import NOTIFICATION_MODELS, parse_model
from adapters.tastytrade.reconnect import ReconnectingStream
from tastystream import __version__
from tastystream.logs import TRACE

logger = logging.getLogger(__name__)

SOURCE = f"tastystream/{__version__}"


class BearerSource(Protocol):
    """Gives ``"Bearer <access token>"``; :class:`~adapters.tastytrade.auth.OAuth2Auth` is one.

    A source that also has ``async invalidate(token)`` is told when the streamer refused a
    token, so the next message carries a freshly minted one.
    """

    async def bearer(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Notification:
    """One pushed object: ``data`` is the parsed model, or the raw dict when ``parsed`` is False."""

    type: str
    data: Any
    timestamp: int | None
    parsed: bool
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """REST truth for one account, fetched after a (re)connect; repair state from it."""

    account_number: str
    positions: tuple[Any, ...]
    balance: Any
    live_orders: tuple[Any, ...]
    fetched_at: datetime
    generation: int = 0


AccountEvent = Notification | Reconciliation
Reconciler = Callable[[str], Awaitable[Reconciliation]]


def rest_reconciler(rest: Any) -> Reconciler:
    """Positions, balances and live orders of one account via ``client.rest``, concurrently."""

    async def reconcile(account_number: str) -> Reconciliation:
        async with asyncio.TaskGroup() as group:
            positions = group.create_task(rest.positions.get_positions(account_number))
            balance = group.create_task(rest.balances.get_balances(account_number))
            orders = group.create_task(rest.orders.get_live_orders(account_number))
        return Reconciliation(
            account_number,
            tuple(positions.result()),
            balance.result(),
            tuple(orders.result()),
            datetime.now(UTC),
        )

    return reconcile


class _Conn:
    def __init__(self, ws: ClientConnection, clock: Clock) -> None:
        self.ws = ws
        self.clock = clock
        self.last_rx = clock()
        self.pending: dict[int, tuple[str, asyncio.Future[dict[str, Any]]]] = {}
        self.session_id: str | None = None
        self.refused_token: str | None = None  # fingerprint of the last token refused here


class AccountStreamer(ReconnectingStream[AccountEvent, _Conn]):
    """``async with AccountStreamer(url, ["5WT0001"], auth, reconcile=...) as s``."""

    def __init__(
        self,
        url: str,
        accounts: Sequence[str],
        auth: BearerSource,
        *,
        errors: ErrorStream | None = None,
        reconcile: Reconciler | None = None,
        heartbeat_interval: float = 20.0,
        idle_timeout: float = 60.0,
        ack_timeout: float = 10.0,
        reconnect_backoff: Backoff | None = None,
        healthy_after: float = 10.0,
        max_connect_refusals: int = 3,
        rand: Random = random.random,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        if not accounts:
            raise ValueError("the account streamer needs at least one account number")
        if max_connect_refusals < 1:
            raise ValueError("max_connect_refusals must be at least 1")
        super().__init__(
            stream="account",
            label="account stream",
            task_name="account-stream",
            log=logger,
            errors=errors,
            reconnect_backoff=reconnect_backoff,
            healthy_after=healthy_after,
            rand=rand,
            sleep=sleep,
            clock=clock,
        )
        self.url = url
        self.accounts = list(accounts)
        self._auth = auth
        self._reconcile = reconcile
        self.heartbeat_interval = heartbeat_interval
        self.idle_timeout = idle_timeout
        self._ack_timeout = ack_timeout
        self._request_id = 0
        self.session_id: str | None = None
        self.acked = 0  # successful acks over all sessions
        self._extra: dict[str, Any] = {}  # subscribe actions beyond connect
        self.max_connect_refusals = max_connect_refusals
        # fingerprints of the distinct tokens refused on connect since the last accepted one
        self._refused_tokens: set[str] = set()

    def stats(self) -> dict[str, Any]:
        """Health and traffic figures (for health checks and metrics exporters)."""
        return {
            "state": str(self.state),
            "generation": self.generation,
            "disconnects": self.disconnects,
            "acked": self.acked,
            "events": self._fanout.published,
            "session_id": self.session_id,
            "connect_refusals": len(self._refused_tokens),
            "listeners": self._fanout.listener_stats(),
        }

    async def subscribe_quote_alerts(self) -> None:
        """Also receive ``QuoteAlert`` notifications (user level), now and after reconnects."""
        await self._subscribe_action("quote-alerts-subscribe")

    async def subscribe_public_watchlists(self) -> None:
        """Also receive ``PublicWatchlists`` notifications, now and after reconnects."""
        await self._subscribe_action("public-watchlists-subscribe")

    async def subscribe_user_messages(self, user_external_id: str) -> None:
        """Also receive user-level messages for ``user_external_id`` (the customer's user
        ``external-id``), now and after reconnects (action ``user-message-subscribe``)."""
        await self._subscribe_action("user-message-subscribe", user_external_id)

    async def _subscribe_action(self, action: str, value: Any = None) -> None:
        self._extra[action] = value
        conn = self._conn
        if conn is None or self.state is not StreamState.RUNNING:
            return  # sent right after the next connect
        try:
            await self._request(conn, action, value)
        except (ConnectionClosed, StreamDisconnected):
            logger.debug("account stream lost while subscribing %s; replayed on reconnect", action)

    # ------------------------------------------------------------------ session
    async def _session(self) -> None:
        async with connect(
            self.url, open_timeout=self._ack_timeout, close_timeout=2.0, user_agent_header=SOURCE
        ) as ws:
            conn = _Conn(ws, self._clock)
            async with asyncio.TaskGroup() as group:
                group.create_task(self._reader(conn))
                ack = await self._connect(conn)
                conn.session_id = self.session_id = _str(ack.get("web-socket-session-id"))
                self._conn = conn
                for action, value in list(self._extra.items()):  # replayed after every connect
                    await self._request(conn, action, value)
                group.create_task(self._heartbeats(conn))
                group.create_task(self._watchdog(conn))
                await self._reconcile_all()
                self._session_running()

    async def _connect(self, conn: _Conn) -> dict[str, Any]:
        """Send ``connect``; give up once it was refused with enough distinct tokens in a row."""
        try:
            ack = await self._request(conn, "connect", self.accounts)
        except StreamDisconnected:
            raise
        except StreamError as exc:
            if conn.refused_token is not None:
                self._refused_tokens.add(conn.refused_token)
            refusals = len(self._refused_tokens)
            if refusals >= self.max_connect_refusals:
                raise Unrecoverable(
                    f"connect to {','.join(self.accounts)} refused {refusals} times in a row, "
                    f"each with a fresh token ({exc.message}): the login may not access these "
                    "accounts",
                    cause=exc,
                ) from exc
            logger.info(
                "account stream connect refused (%d of %d with distinct tokens): %s",
                refusals,
                self.max_connect_refusals,
                exc.message,
            )
            raise
        self._refused_tokens.clear()
        return ack

    async def _reconcile_all(self) -> None:
        if self._reconcile is None:
            return
        for account in self.accounts:
            snapshot = await self._reconcile(account)
            self._fanout.publish(dataclasses.replace(snapshot, generation=self.generation + 1))

    # ------------------------------------------------------------------- wire
    async def _request(self, conn: _Conn, action: str, value: Any = None) -> dict[str, Any]:
        self._request_id += 1
        request_id = self._request_id
        message: dict[str, Any] = {"action": action}
        if value is not None:
            message["value"] = value
        bearer = await self._auth.bearer()
        message["auth-token"] = bearer
        message["request-id"] = request_id
        message["source"] = SOURCE
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        conn.pending[request_id] = (action, future)
        if logger.isEnabledFor(TRACE):
            logger.log(TRACE, "account > %s #%d", action, request_id)
        try:
            await conn.ws.send(orjson.dumps(message).decode())
            ack = await asyncio.wait_for(future, self._ack_timeout)
        except TimeoutError as exc:
            raise StreamDisconnected(
                f"no ack for {action} #{request_id}", stream="account"
            ) from exc
        finally:
            conn.pending.pop(request_id, None)
        if ack.get("status") != "ok":
            conn.refused_token = _fingerprint(bearer)
            invalidate = getattr(self._auth, "invalidate", None)
            if callable(invalidate):  # a refused message: maybe the token expired server-side
                await invalidate(bearer.removeprefix("Bearer "))
            error = StreamError(
                f"{action} refused: {ack.get('message') or ack.get('status')}",
                stream="account",
                raw=orjson.dumps(ack).decode()[:300],
            )
            raise error
        self.acked += 1
        return ack

    async def _heartbeats(self, conn: _Conn) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            try:
                await self._request(conn, "heartbeat")
            except StreamError as exc:
                if isinstance(exc, StreamDisconnected):
                    raise
                self.errors.publish(exc)

    async def _watchdog(self, conn: _Conn) -> None:
        step = min(1.0, self.idle_timeout / 4)
        while True:
            await asyncio.sleep(step)
            silent = conn.clock() - conn.last_rx
            if silent > self.idle_timeout:
                raise StreamDisconnected(f"no frame for {silent:.1f}s", stream="account")

    async def _reader(self, conn: _Conn) -> None:
        async for raw in conn.ws:
            conn.last_rx = conn.clock()
            if logger.isEnabledFor(TRACE):
                logger.log(TRACE, "account < %s", raw[:2000])
            try:
                message = orjson.loads(raw)
            except orjson.JSONDecodeError:
                self.errors.publish(
                    StreamError("account frame is not JSON", stream="account", raw=str(raw[:300]))
                )
                continue
            self._dispatch(conn, message)
        raise StreamDisconnected(
            "connection closed by server", stream="account", code=conn.ws.close_code
        )

    def _dispatch(self, conn: _Conn, message: Any) -> None:
        if not isinstance(message, dict):
            self.errors.publish(StreamError("account frame is not an object", stream="account"))
            return
        if "type" in message:
            self._fanout.publish(self._notification(message))
        elif isinstance(message.get("results"), list):
            for item in message["results"]:
                if isinstance(item, dict) and "type" in item:
                    self._fanout.publish(self._notification(item))
                else:
                    self.errors.publish(StreamError("batched item without type", stream="account"))
        elif "status" in message and "action" in message:
            self._ack(conn, message)
        else:
            self.errors.publish(
                ParseWarning(
                    "unrecognised account frame",
                    model="AccountStreamer",
                    field_name=",".join(sorted(message)),
                )
            )

    def _ack(self, conn: _Conn, message: dict[str, Any]) -> None:
        request_id = message.get("request-id")
        entry = conn.pending.get(request_id) if isinstance(request_id, int) else None
        if entry is None:  # no echo: the oldest pending request of that action
            entry = next((e for e in conn.pending.values() if e[0] == message.get("action")), None)
        if entry is not None and not entry[1].done():
            entry[1].set_result(message)
        elif message.get("status") != "ok":
            self.errors.publish(
                StreamError(f"{message.get('action')}: {message.get('message')}", stream="account")
            )

    def _notification(self, message: dict[str, Any]) -> Notification:
        kind = str(message.get("type"))
        data = message.get("data")
        stamp = message.get("timestamp")
        timestamp = stamp if isinstance(stamp, int) else None
        model = NOTIFICATION_MODELS.get(kind)
        if model is None:
            self.errors.publish(
                ParseWarning(
                    f"unknown notification type {kind!r}", model="AccountStreamer", field_name=kind
                )
            )
            return Notification(kind, data, timestamp, False, message)
        try:
            parsed = parse_model(model, data, self.errors)
        except ParseFailure as exc:
            self.errors.publish(exc)
            return Notification(kind, data, timestamp, False, message)
        return Notification(kind, parsed, timestamp, True, message)


def _fingerprint(bearer: str) -> str:
    """Tells tokens apart without keeping them (a refused token must not linger in memory)."""
    return hashlib.blake2b(bearer.encode(), digest_size=16).hexdigest()


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


__all__ = [
    "AccountEvent",
    "AccountStreamer",
    "BearerSource",
    "Notification",
    "Reconciler",
    "Reconciliation",
    "rest_reconciler",
]
