"""The account streamer (ws path ``/streamer``), §6.

Client messages ``{"action", "value"?, "auth-token": "Bearer <at>", "request-id"?}``; the token
is validated on every message. Acks ``{"status":"ok","action","web-socket-session-id",
"value"?, "request-id"?}``, errors ``{"status":"error", …, "message"}``. Subscribing before a
successful ``connect`` answers ``connect-not-completed``; ``public-watchlists-subscribe`` is
followed by one ``PublicWatchlists`` frame per current public watchlist. Notifications are one
per frame:
``{"type", "data", "timestamp"}`` with the full REST object.

Idle handling: a session that never completes ``connect`` within the idle timeout is closed; a
session that has sent ``heartbeat`` actions is closed when it stops sending anything for the
idle timeout. Sessions that never heartbeat (tastyware 13.x relies on websocket pings, which
uvicorn answers) stay open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000
SUBSCRIBE_ACTIONS = (
    "public-watchlists-subscribe",
    "quote-alerts-subscribe",
    "user-message-subscribe",
    "account-subscribe",
)


@dataclass
class StreamSession:
    session_id: str
    queue: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    accounts: set[str] = field(default_factory=set)
    customer_id: str | None = None
    user_external_id: str | None = None
    public_watchlists: bool = False
    quote_alerts: bool = False
    heartbeats: bool = False
    last_seen: float = field(default_factory=time.monotonic)
    frozen_until: float = 0.0
    closing: int | None = None


TokenCheck = Callable[[str], str | None]  # "Bearer <at>" → customer id, or None
AccountsOf = Callable[[str], tuple[str, ...]]
UserOf = Callable[[str], str]


class AccountStreamHub:
    """Fan-out of notifications to the connected sessions, plus the websocket endpoint."""

    def __init__(
        self,
        check_token: TokenCheck,
        accounts_of: AccountsOf,
        user_of: UserOf,
        clock_ms: Callable[[], int],
        *,
        idle_timeout: float = 60.0,
        public_watchlists: Callable[[], list[dict[str, Any]]] = list,
    ) -> None:
        self._check_token = check_token
        self._accounts_of = accounts_of
        self._user_of = user_of
        self._clock_ms = clock_ms
        self.idle_timeout = idle_timeout
        self._public_watchlists = public_watchlists
        self._sessions: dict[str, StreamSession] = {}

    # ----- publishing -----------------------------------------------------------------------
    def _frame(self, kind: str, data: dict[str, Any]) -> bytes:
        return orjson.dumps({"type": kind, "data": data, "timestamp": self._clock_ms()})

    def _offer(self, session: StreamSession, frame: bytes) -> None:
        try:
            session.queue.put_nowait(frame)
        except asyncio.QueueFull:
            log.warning("account stream session %s too slow; dropping it", session.session_id)
            session.closing = 1008

    def publish(self, account_number: str, kind: str, data: dict[str, Any]) -> None:
        frame = self._frame(kind, data)
        for session in list(self._sessions.values()):
            if account_number in session.accounts:
                self._offer(session, frame)

    def publish_quote_alert(self, user_external_id: str, data: dict[str, Any]) -> None:
        frame = self._frame("QuoteAlert", data)
        for session in list(self._sessions.values()):
            if session.quote_alerts and session.user_external_id == user_external_id:
                self._offer(session, frame)

    def publish_public_watchlists(self, data: dict[str, Any]) -> None:
        frame = self._frame("PublicWatchlists", data)
        for session in list(self._sessions.values()):
            if session.public_watchlists:
                self._offer(session, frame)

    # ----- fault injection ------------------------------------------------------------------
    def connection_count(self) -> int:
        return len(self._sessions)

    def drop_all(self, code: int = 1012) -> int:
        for session in self._sessions.values():
            session.closing = code
            self._offer(session, b"")
        return len(self._sessions)

    def freeze(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        for session in self._sessions.values():
            session.frozen_until = until

    def send_malformed(self, kind: str) -> int:
        payload = {
            "garbage": b"\x00not json at all}}",
            "truncated": b'{"type":"Order","data":{"id":1,"account-num',
        }.get(kind, b'{"type":"Order","data":"not-an-object","timestamp":"soon"}')
        for session in self._sessions.values():
            self._offer(session, payload)
        return len(self._sessions)

    # ----- the endpoint ---------------------------------------------------------------------
    async def endpoint(self, websocket: WebSocket) -> None:
        await websocket.accept()
        session = StreamSession(session_id=secrets.token_hex(4))
        self._sessions[session.session_id] = session
        log.info("account stream session %s opened", session.session_id)
        try:
            async with asyncio.TaskGroup() as group:
                writer = group.create_task(self._writer(websocket, session))
                reader = group.create_task(self._reader(websocket, session))
                watchdog = group.create_task(self._watchdog(session))
                await asyncio.wait({writer, reader, watchdog}, return_when=asyncio.FIRST_COMPLETED)
                for task in (writer, reader, watchdog):
                    task.cancel()
        except* WebSocketDisconnect:
            pass
        except* Exception as group:  # the peer vanished mid-send, or a bug: never leak
            log.debug("account stream session %s ended: %r", session.session_id, group)
        finally:
            self._sessions.pop(session.session_id, None)
            log.info("account stream session %s closed", session.session_id)
            with contextlib.suppress(Exception):
                await websocket.close(session.closing or 1000)

    async def _writer(self, websocket: WebSocket, session: StreamSession) -> None:
        while True:
            frame = await session.queue.get()
            if session.closing is not None:
                return
            pause = session.frozen_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            await websocket.send_text(frame.decode("utf-8", errors="replace"))

    async def _watchdog(self, session: StreamSession) -> None:
        while session.closing is None:
            await asyncio.sleep(min(1.0, self.idle_timeout / 4))
            idle = time.monotonic() - session.last_seen
            if (session.heartbeats or not session.accounts) and idle > self.idle_timeout:
                log.info("account stream session %s idle for %.1fs", session.session_id, idle)
                session.closing = 1001
        self._offer(session, b"")

    async def _reader(self, websocket: WebSocket, session: StreamSession) -> None:
        while session.closing is None:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            raw = message.get("text")
            text = (
                raw if raw is not None else (message.get("bytes") or b"").decode("utf-8", "replace")
            )
            session.last_seen = time.monotonic()
            reply = self.handle(session, text)
            if reply is None:
                continue
            self._offer(session, orjson.dumps(reply))
            if reply["status"] == "ok" and reply["action"] == "public-watchlists-subscribe":
                for watchlist in self._public_watchlists():  # the current lists, then changes
                    self._offer(session, self._frame("PublicWatchlists", watchlist))

    def handle(self, session: StreamSession, text: str) -> dict[str, Any] | None:
        """One client message → the ack or error to send back."""
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            return self._error(session, None, None, "invalid-json")
        if not isinstance(message, dict):
            return self._error(session, None, None, "invalid-message")
        action = message.get("action")
        request_id = message.get("request-id")
        customer_id = self._check_token(str(message.get("auth-token") or ""))
        if customer_id is None:
            return self._error(session, action, request_id, "failed")
        if session.customer_id is not None and customer_id != session.customer_id:
            return self._error(session, action, request_id, "failed")
        if action == "connect":
            return self._connect(session, customer_id, message.get("value"), request_id)
        if action == "heartbeat":
            session.heartbeats = True
            return self._ok(session, action, request_id)
        if action in SUBSCRIBE_ACTIONS:
            if not session.accounts:
                return self._error(session, action, request_id, "connect-not-completed")
            if action == "public-watchlists-subscribe":
                session.public_watchlists = True
            elif action == "quote-alerts-subscribe":
                session.quote_alerts = True
            return self._ok(session, action, request_id, message.get("value"))
        return self._error(session, action, request_id, "not implemented")

    def _connect(
        self, session: StreamSession, customer_id: str, value: Any, request_id: Any
    ) -> dict[str, Any]:
        wanted = [value] if isinstance(value, str) else value
        if (
            not isinstance(wanted, list)
            or not wanted
            or not all(isinstance(v, str) for v in wanted)
        ):
            return self._error(session, "connect", request_id, "failed")
        owned = set(self._accounts_of(customer_id))
        if not set(wanted) <= owned:
            return self._error(session, "connect", request_id, "failed")
        session.customer_id = customer_id
        session.user_external_id = self._user_of(customer_id)
        session.accounts = set(wanted)
        return self._ok(session, "connect", request_id, wanted)

    @staticmethod
    def _ok(
        session: StreamSession, action: Any, request_id: Any, value: Any = None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": "ok",
            "action": action,
            "web-socket-session-id": session.session_id,
        }
        if value is not None:
            out["value"] = value
        if request_id is not None:
            out["request-id"] = request_id
        return out

    @staticmethod
    def _error(
        session: StreamSession, action: Any, request_id: Any, message: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": "error",
            "action": action,
            "web-socket-session-id": session.session_id,
            "message": message,
        }
        if request_id is not None:
            out["request-id"] = request_id
        return out


__all__ = ["AccountStreamHub", "StreamSession"]
