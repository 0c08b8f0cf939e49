"""The DXLink quote websocket server (API reference §5), with the real server's strictness.

Per connection one reader (this coroutine: protocol state machine, control replies) and one
writer task (the only sender: control frames in order, then market data batched per channel,
keepalives, the client-silence timeout). Data frames are built per channel every aggregation
period (at least one simulation step), only for events whose content changed, COMPACT or FULL,
in the field order the client asked for — or, for a type it chose no fields for, the spec's
default fields, announced in a ``FEED_CONFIG`` before that type's first data.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketState

from sandbox.candles import iter_history, live, parse_candle_symbol
from sandbox.dxlink_events import (
    EMPTY_SNAPSHOT,
    EVENT_TYPES,
    FIELDS,
    INDEXED,
    SNAPSHOT_BEGIN,
    SNAPSHOT_END,
    applies,
    build,
    candle_event,
    signature,
)
from sandbox.dxlink_state import Channel, ConfigDue, Connection, Subscription, encode_events
from sandbox.market import Market
from sandbox.quotes import STEP_MS

log = logging.getLogger(__name__)

VERSION = "1.0-sandbox"
MAX_OUTBOX = 10_000
_ids = itertools.count(1)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class DxlinkService:
    """Serves DXLink on a starlette websocket route; also the fault-injection surface."""

    def __init__(
        self,
        market: Market,
        validate_token: Callable[[str], bool],
        *,
        keepalive_timeout: float = 60.0,
        max_message_size: int = 65_536,
        max_frame_values: int = 3000,
        user_id: str = "sandbox-user",
    ) -> None:
        self.market = market
        self.validate_token = validate_token
        self.keepalive_timeout = keepalive_timeout
        self.max_message_size = max_message_size
        self.max_frame_values = max_frame_values
        self.user_id = user_id
        self.events_sent = 0
        self._connections: set[Connection] = set()
        self._frozen_until = 0.0

    # ------------------------------------------------------------------ fault injection
    def connection_count(self) -> int:
        return len(self._connections)

    async def drop_all(self, code: int = 1012, reason: str = "Reconnection is required") -> int:
        conns = list(self._connections)
        for conn in conns:
            await self._close(conn, code, reason)
        log.info("dxlink: dropped %d connection(s) with %d", len(conns), code)
        return len(conns)

    def freeze(self, seconds: float) -> None:
        self._frozen_until = max(self._frozen_until, time.monotonic() + seconds)
        log.info("dxlink: frozen for %.1fs", seconds)

    async def send_malformed(self, kind: str) -> int:
        if kind not in ("garbage", "truncated", "bad-compact"):
            raise ValueError(f"unknown malformed kind {kind!r}")
        conns = list(self._connections)
        for conn in conns:
            conn.push(self._malformed(conn, kind))
        return len(conns)

    def _malformed(self, conn: Connection, kind: str) -> str:
        channel = next(iter(conn.channels.values()), None)
        channel_id = channel.id if channel else 1
        event_type = "Quote"
        if channel is not None and channel.fields:
            event_type = next(iter(channel.fields))
        fields = channel.fields_for(event_type) if channel else FIELDS["Quote"]
        if kind == "garbage":
            return "}{ not json \x00"
        if kind == "truncated":
            frame = {
                "type": "FEED_DATA",
                "channel": channel_id,
                "data": [event_type, ["SPY"] * len(fields)],
            }
            text = orjson.dumps(frame).decode()
            return text[: len(text) // 2]
        values: list[Any] = [event_type, "SPY", *([0] * (len(fields) - 1))]
        return orjson.dumps(
            {"type": "FEED_DATA", "channel": channel_id, "data": [event_type, values]}
        ).decode()

    # ------------------------------------------------------------------ endpoint
    async def endpoint(self, websocket: WebSocket) -> None:
        await websocket.accept()
        started = time.monotonic()
        conn = Connection(next(_ids), websocket, started, last_sent=started)
        self._connections.add(conn)
        log.info("dxlink: connection %d opened", conn.id)
        try:
            async with asyncio.TaskGroup() as tg:
                writer = tg.create_task(self._writer(conn))
                try:
                    await self._reader(conn)
                finally:
                    await self._close(conn, 1000, "Bye")
                    writer.cancel()
        except* Exception as group:  # a broken socket must not take the app down
            log.debug("dxlink: connection %d ended: %r", conn.id, group.exceptions)
        finally:
            self._connections.discard(conn)
            log.info("dxlink: connection %d closed", conn.id)

    async def _reader(self, conn: Connection) -> None:
        ws = conn.ws
        while not conn.closed:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                raw = message.get("bytes") or b""
                text = raw.decode("utf-8", "replace")
            conn.last_recv = time.monotonic()
            if len(text) > self.max_message_size:
                await self._close(conn, 1009, "Message too big")
                return
            try:
                msg = orjson.loads(text)
            except orjson.JSONDecodeError:
                conn.error("INVALID_MESSAGE", "Message is not valid JSON")
                continue
            if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
                conn.error("INVALID_MESSAGE", "Message must be an object with a type")
                continue
            if len(conn.outbox) > MAX_OUTBOX:
                await self._close(conn, 1008, "Too many pending messages")
                return
            if not await self._handle(conn, msg):
                await self._flush_control(conn)  # deliver the error, then close
                return

    async def _handle(self, conn: Connection, msg: dict[str, Any]) -> bool:
        kind = msg["type"]
        if kind == "KEEPALIVE":
            return True
        if conn.state == "new":
            if kind != "SETUP":
                conn.error("INVALID_MESSAGE", "SETUP must be the first message")
                return True
            return self._setup(conn, msg)
        if kind == "SETUP":
            return self._setup(conn, msg)
        if kind == "AUTH":
            token = msg.get("token")
            if isinstance(token, str) and self.validate_token(token):
                conn.state = "authorized"
                conn.push_json(
                    {
                        "type": "AUTH_STATE",
                        "channel": 0,
                        "state": "AUTHORIZED",
                        "userId": self.user_id,
                    }
                )
                return True
            conn.error("UNAUTHORIZED", "Invalid or expired token")
            conn.push_json({"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"})
            conn.push_close(1008, "Unauthorized")
            return False
        if conn.state != "authorized":
            conn.error("UNAUTHORIZED", f"{kind} is not allowed before AUTHORIZED")
            return True
        handler = {
            "CHANNEL_REQUEST": self._channel_request,
            "CHANNEL_CANCEL": self._channel_cancel,
            "FEED_SETUP": self._feed_setup,
            "FEED_SUBSCRIPTION": self._feed_subscription,
        }.get(kind)
        if handler is None:
            conn.error("UNKNOWN", f"Unsupported message type {kind}")
            return True
        channel = msg.get("channel")
        if not isinstance(channel, int) or channel <= 0:
            conn.error("INVALID_MESSAGE", "channel must be a positive integer")
            return True
        handler(conn, channel, msg)
        return True

    def _setup(self, conn: Connection, msg: dict[str, Any]) -> bool:
        client_timeout = msg.get("keepaliveTimeout", 60)
        conn.client_keepalive = (
            float(client_timeout) if isinstance(client_timeout, int | float) else 60.0
        )
        accept = msg.get("acceptKeepaliveTimeout", 60)
        reply = {
            "type": "SETUP",
            "channel": 0,
            "keepaliveTimeout": _number(self.keepalive_timeout),
            "acceptKeepaliveTimeout": accept if isinstance(accept, int | float) else 60,
            "version": VERSION,
        }
        conn.push_json(reply)
        if conn.state == "new":
            conn.state = "setup"
            conn.push_json({"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"})
        return True

    def _channel_request(self, conn: Connection, channel: int, msg: dict[str, Any]) -> None:
        if msg.get("service") != "FEED":
            conn.error("BAD_ACTION", f"Unsupported service {msg.get('service')!r}")
            return
        params = msg.get("parameters") or {}
        contract = params.get("contract", "AUTO") if isinstance(params, dict) else "AUTO"
        if contract not in ("AUTO", "TICKER", "HISTORY", "STREAM"):
            conn.error("INVALID_MESSAGE", f"Unknown contract {contract!r}")
            return
        conn.channels[channel] = Channel(channel, contract)
        conn.push_json(
            {
                "type": "CHANNEL_OPENED",
                "channel": channel,
                "service": "FEED",
                "parameters": {"contract": contract, "subFormat": "LIST"},
            }
        )

    def _channel_cancel(self, conn: Connection, channel: int, msg: dict[str, Any]) -> None:
        if conn.channels.pop(channel, None) is not None:
            conn.push_json({"type": "CHANNEL_CLOSED", "channel": channel})

    def _feed_setup(self, conn: Connection, channel: int, msg: dict[str, Any]) -> None:
        ch = conn.channels.get(channel)
        if ch is None:
            conn.error("BAD_ACTION", f"Channel {channel} is not open")
            return
        period = msg.get("acceptAggregationPeriod")
        if isinstance(period, int | float) and period >= 0:
            ch.aggregation = float(period)
        data_format = msg.get("acceptDataFormat")
        if data_format in ("COMPACT", "FULL"):
            ch.data_format = data_format
        fields = msg.get("acceptEventFields")
        if isinstance(fields, dict):
            for event_type, names in fields.items():
                # types it does not serve and empty/non-list choices are ignored: such a type
                # keeps its default fields, which FEED_CONFIG announces before its data
                if event_type in EVENT_TYPES and isinstance(names, list) and names:
                    ch.fields[event_type] = [str(n) for n in names]
        ch.configured = True
        conn.push_config(channel)

    def _feed_subscription(self, conn: Connection, channel: int, msg: dict[str, Any]) -> None:
        ch = conn.channels.get(channel)
        if ch is None:
            conn.error("BAD_ACTION", f"Channel {channel} is not open")
            return
        if msg.get("reset") is True:
            ch.subs.clear()
        for entry in msg.get("remove") or ():
            if isinstance(entry, dict):
                ch.subs.pop((str(entry.get("type")), str(entry.get("symbol"))), None)
        for entry in msg.get("add") or ():
            if not isinstance(entry, dict):
                continue
            event_type, symbol = entry.get("type"), entry.get("symbol")
            if event_type not in EVENT_TYPES or not isinstance(symbol, str):
                continue
            from_time = entry.get("fromTime")
            sub = Subscription(event_type, symbol)
            if event_type == "Candle":
                sub.candle = parse_candle_symbol(symbol)
                base = sub.candle.base if sub.candle else None
                sub.model = self.market.model(base) if base else None
                now = self.market.clock.now_ms()
                sub.from_time = int(from_time) if isinstance(from_time, int | float) else now
            else:
                sub.model = self.market.model(symbol)
                sub.applies = sub.model is not None and applies(event_type, sub.model)
            ch.subs[(event_type, symbol)] = sub
        if not ch.configured:
            ch.configured = True
            conn.push_config(channel)

    # ------------------------------------------------------------------ writer
    async def _writer(self, conn: Connection) -> None:
        while conn.active():
            now = time.monotonic()
            timeout = self._next_wake(conn, now) - now
            if timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(conn.wake.wait(), timeout)
            conn.wake.clear()
            if not conn.active():
                return
            now = time.monotonic()
            if now < self._frozen_until:
                await asyncio.sleep(self._frozen_until - now)
                continue
            if not await self._flush_control(conn):
                return
            if now - conn.last_recv > self.keepalive_timeout:
                await self._send(conn, orjson.dumps({
                    "type": "ERROR", "channel": 0, "error": "TIMEOUT",
                    "message": f"No messages from client for {self.keepalive_timeout:g} seconds",
                }).decode())  # fmt: skip
                await self._close(conn, 1000, "Keepalive timeout")
                return
            if conn.state == "authorized":
                await self._pump(conn, now)
            if time.monotonic() - conn.last_sent >= conn.client_keepalive / 2:
                await self._send(conn, '{"type":"KEEPALIVE","channel":0}')

    def _next_wake(self, conn: Connection, now: float) -> float:
        wake = min(
            conn.last_recv + self.keepalive_timeout + 0.01,
            conn.last_sent + conn.client_keepalive / 2,
            now + 1.0,
        )
        if conn.outbox:
            return now
        if self._frozen_until > now:
            return min(wake, self._frozen_until)
        for ch in conn.channels.values():
            if ch.subs:
                wake = min(wake, ch.next_due)
        return wake

    async def _flush_control(self, conn: Connection) -> bool:
        while conn.outbox:
            item = conn.outbox.popleft()
            if isinstance(item, tuple):
                await self._close(conn, item[0], item[1])
                return False
            if isinstance(item, ConfigDue):
                ch = conn.channels.get(item.channel)
                if ch is not None:  # (cancelled since: nothing to announce)
                    await self._send(conn, orjson.dumps(ch.setup_reply()).decode())
                continue
            await self._send(conn, item)
        return True

    def _period(self, ch: Channel) -> float:
        speed = self.market.clock.speed
        step = STEP_MS / 1000.0 / speed if speed > 0 else 0.1
        return max(ch.aggregation, step, 0.005)

    async def _pump(self, conn: Connection, now: float) -> None:
        market = self.market
        step = market.current_step()
        paused = market.paused_symbols()
        tick_for = market.tick_for
        for ch in list(conn.channels.values()):
            if not ch.subs or now < ch.next_due:
                continue
            ch.next_due = now + self._period(ch)
            snapshots_flagged = ch.contract in ("AUTO", "HISTORY")
            events: dict[str, list[dict[str, Any]]] = {}
            for n, sub in enumerate(list(ch.subs.values())):
                if n % 1000 == 999:
                    await asyncio.sleep(0)  # large subscription sets must not starve the loop
                model = sub.model
                if model is None or model.info.symbol in paused:
                    continue
                event_type = sub.event_type
                if event_type == "Candle":
                    await self._candle(ch, sub, events)
                    continue
                if not sub.applies:
                    continue
                tick = tick_for(model, step)
                sig = signature(event_type, tick)
                if sig == sub.sig:
                    continue
                flags = 0
                if sub.snapshot and snapshots_flagged and event_type in INDEXED:
                    flags = SNAPSHOT_BEGIN | SNAPSHOT_END
                sub.snapshot = False
                sub.sig = sig
                bucket = events.get(event_type)
                if bucket is None:
                    bucket = events[event_type] = []
                bucket.append(build(event_type, market, tick, sub.symbol, flags))
            for frame in encode_events(ch, events, self.max_frame_values):
                await self._send(conn, frame)
            self.events_sent += sum(len(v) for v in events.values())

    async def _candle(
        self, ch: Channel, sub: Subscription, events: dict[str, list[dict[str, Any]]]
    ) -> None:
        spec, model = sub.candle, sub.model
        if spec is None or model is None:
            return
        now_ms = self.market.clock.now_ms()
        out = events.setdefault("Candle", [])
        if sub.snapshot:
            sub.snapshot = False
            candles = []
            for i, candle in enumerate(
                iter_history(self.market, model, spec, sub.from_time, now_ms)
            ):
                candles.append(candle)
                if i % 256 == 255:
                    await asyncio.sleep(0)
            if not candles:
                out.append(candle_event(None, sub.symbol, EMPTY_SNAPSHOT, model))
                return
            candles.reverse()  # dxFeed snapshots run newest → oldest
            last = len(candles) - 1
            for i, candle in enumerate(candles):
                flags = (SNAPSHOT_BEGIN if i == 0 else 0) | (SNAPSHOT_END if i == last else 0)
                out.append(candle_event(candle, sub.symbol, flags, model))
            sub.live_time, sub.sig = candles[0].time, candles[0]
            return
        current = live(self.market, model, spec, now_ms)
        if current is None or current == sub.sig:
            return
        if sub.live_time is not None and current.time != sub.live_time:
            for candle in iter_history(self.market, model, spec, sub.live_time, now_ms):
                out.append(candle_event(candle, sub.symbol, 0, model))
        else:
            out.append(candle_event(current, sub.symbol, 0, model))
        sub.live_time, sub.sig = current.time, current

    async def _send(self, conn: Connection, text: str) -> None:
        if conn.closed or conn.ws.application_state != WebSocketState.CONNECTED:
            return
        async with conn.send_lock:
            await conn.ws.send_text(text)
        conn.last_sent = time.monotonic()

    async def _close(self, conn: Connection, code: int, reason: str) -> None:
        if conn.closed and conn.ws.application_state != WebSocketState.CONNECTED:
            return
        conn.closed = True
        conn.wake.set()
        with contextlib.suppress(Exception):
            async with conn.send_lock:
                if conn.ws.application_state == WebSocketState.CONNECTED:
                    await conn.ws.close(code, reason)


__all__ = ["MAX_OUTBOX", "VERSION", "DxlinkService"]
