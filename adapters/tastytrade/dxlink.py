"""The DXLink quote streamer: protocol state machine and subscriptions (§5).

Handshake, in the strict order tastytrade requires: SETUP → wait ``AUTH_STATE
UNAUTHORIZED`` → AUTH → wait ``AUTHORIZED`` → per event type one channel (CHANNEL_REQUEST →
CHANNEL_OPENED → FEED_SETUP COMPACT with the full field list → FEED_SUBSCRIPTION) →
KEEPALIVE every ``keepalive_interval`` seconds. Candle channels use the HISTORY contract
(AUTO gives no backfill), every other type AUTO.

The subscription set held here is the source of truth: ``subscribe``/``unsubscribe`` may be
called at any time from any task, and the whole set is replayed (in chunks below 8 KB)
after every reconnect. The connection counts as dead when it closes, errors or stays silent
longer than ``keepalive_timeout``; each reconnect is reported as :class:`StreamDisconnected`
and, once running again, to the ``on_reconnect`` hooks (e.g. to backfill candle gaps).
Consumers read events through bounded queues (see :mod:`adapters.tastytrade.fanout`); the
reconnect loop and lifecycle are :class:`~adapters.tastytrade.reconnect.ReconnectingStream`'s,
with one DXLink rule on top: after ``UNAUTHORIZED`` the next session fetches a new token.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from adapters.tastytrade.backoff import Backoff, Clock, Random, Sleep
from adapters.tastytrade.errors import (
    ErrorStream,
    ParseWarning,
    StreamDisconnected,
    StreamError,
    TastytradeError,
    Unrecoverable,
)
from adapters.tastytrade.events import EVENT_CLASSES, MarketEvent
from adapters.tastytrade.fanout import Listener, Reconnected, StreamState, translate_ws_error
from adapters.tastytrade.feed_channel import (
    CHANNELS,
    EVENT_OF_CHANNEL,
    HISTORY_TYPES,
    MAX_CHUNK_BYTES,
    FeedChannel,
    FeedConnection,
    chunk_entries,
    close_code,
    epoch_ms,
)
from adapters.tastytrade.quote_token import QuoteToken, QuoteTokenSource
from adapters.tastytrade.reconnect import ReconnectingStream
from tastystream import __version__
from tastystream.logs import TRACE

logger = logging.getLogger(__name__)


class DXLinkStreamer(ReconnectingStream[MarketEvent, FeedConnection]):
    """``async with DXLinkStreamer(tokens, ...) as s: await s.subscribe("Quote", ["SPY"])``."""

    def __init__(
        self,
        tokens: QuoteTokenSource,
        *,
        errors: ErrorStream | None = None,
        keepalive_interval: float = 30.0,
        keepalive_timeout: float = 60.0,
        aggregation_period: float = 0.1,
        handshake_timeout: float = 10.0,
        reconnect_backoff: Backoff | None = None,
        healthy_after: float = 10.0,
        max_chunk_bytes: int = MAX_CHUNK_BYTES,
        max_message_bytes: int | None = 16 * 2**20,
        url: str | None = None,
        max_auth_refusals: int = 3,
        rand: Random = random.random,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            stream="dxlink",
            label="dxlink",
            task_name="dxlink",
            log=logger,
            errors=errors,
            reconnect_backoff=reconnect_backoff,
            healthy_after=healthy_after,
            rand=rand,
            sleep=sleep,
            clock=clock,
        )
        self._tokens = tokens
        self.keepalive_interval = keepalive_interval
        self.keepalive_timeout = keepalive_timeout
        self._aggregation = aggregation_period
        self._handshake_timeout = handshake_timeout
        self._max_chunk = max_chunk_bytes
        self._max_message = max_message_bytes
        self._url = url
        self._wall = wall_clock
        self._subs: dict[str, dict[str, int | None]] = {}
        self._force_token = False
        if max_auth_refusals < 1:
            raise ValueError("max_auth_refusals must be >= 1")
        self.max_auth_refusals = max_auth_refusals
        # fingerprints of the distinct quote tokens refused since the last authorized session
        self._refused_tokens: set[int] = set()
        self._token_fingerprint: int | None = None
        self.frames = 0
        self.decode_errors = 0

    # ----------------------------------------------------------------- consumers
    def listen(
        self, maxsize: int = 10_000, *, event_types: Collection[str] | None = None, name: str = ""
    ) -> Listener[MarketEvent]:
        """A bounded queue of events (drop-oldest on overflow); close it when done."""
        wanted = frozenset(event_types) if event_types is not None else None
        accept = None if wanted is None else (lambda event: type(event).__name__ in wanted)
        return self._fanout.listen(maxsize, name=name, accept=accept)

    async def events(
        self, maxsize: int = 10_000, *, event_types: Collection[str] | None = None
    ) -> AsyncIterator[MarketEvent]:
        with self.listen(maxsize, event_types=event_types) as listener:
            async for event in listener:
                yield event

    @property
    def subscriptions(self) -> dict[str, dict[str, int | None]]:
        """A copy of the subscription set: event type → symbol → fromTime (ms) or None."""
        return {kind: dict(symbols) for kind, symbols in self._subs.items()}

    def stats(self) -> dict[str, Any]:
        """Health and traffic figures (for health checks and metrics exporters)."""
        return {
            "state": str(self.state),
            "generation": self.generation,
            "disconnects": self.disconnects,
            "frames": self.frames,
            "events": self._fanout.published,
            "decode_errors": self.decode_errors,
            "subscriptions": sum(len(symbols) for symbols in self._subs.values()),
            "listeners": self._fanout.listener_stats(),
        }

    # ------------------------------------------------------------- subscriptions
    async def subscribe(
        self, event_type: str, symbols: Iterable[str], from_time: int | datetime | None = None
    ) -> None:
        """Add symbols (Candle needs ``from_time``: epoch ms or datetime; default now)."""
        if event_type not in EVENT_CLASSES:
            raise ValueError(f"unknown event type {event_type!r}")
        if isinstance(symbols, str):  # one symbol, not its characters
            symbols = [symbols]
        start = epoch_ms(from_time)
        if event_type in HISTORY_TYPES and start is None:
            start = int(self._wall() * 1000)
        added: dict[str, int | None] = dict.fromkeys(symbols, start)
        if not added:
            return
        self._subs.setdefault(event_type, {}).update(added)
        conn = self._conn
        if conn is None or self.state is not StreamState.RUNNING:
            return  # replayed on (re)connect
        channel = conn.channels.get(event_type)
        try:
            if channel is None:
                await self._request_channel(conn, event_type)
            elif channel.ready:
                await self._send_subscription(conn, channel, "add", added)
        except ConnectionClosed:
            logger.debug("dxlink connection lost while subscribing; the reconnect replays it")

    def resume_history(self, event_type: str, starts: Mapping[str, int]) -> None:
        """Move the ``fromTime`` of subscribed symbols (Candle) without sending anything: the
        next (re)subscription asks from there. From an ``on_reconnect`` hook, which runs
        before the subscription set is replayed, the replay fills exactly the gap."""
        current = self._subs.get(event_type, {})
        current.update({s: int(ms) for s, ms in starts.items() if s in current})

    async def unsubscribe(self, event_type: str, symbols: Iterable[str]) -> None:
        if isinstance(symbols, str):
            symbols = [symbols]
        current = self._subs.get(event_type, {})
        removed = {symbol: current.pop(symbol) for symbol in list(symbols) if symbol in current}
        conn = self._conn
        if not removed or conn is None:
            return
        channel = conn.channels.get(event_type)
        if channel is not None and channel.ready:
            try:
                await self._send_subscription(conn, channel, "remove", removed)
            except ConnectionClosed:
                logger.debug("dxlink connection lost while unsubscribing; the set is updated")

    async def reset(self, event_type: str | None = None) -> None:
        """Drop every subscription (of one type, or all) with ``reset: true``."""
        kinds = [event_type] if event_type else list(self._subs)
        conn = self._conn
        for kind in kinds:
            self._subs.pop(kind, None)
            channel = conn.channels.get(kind) if conn else None
            if conn is not None and channel is not None and channel.ready:
                message = {"type": "FEED_SUBSCRIPTION", "channel": channel.number, "reset": True}
                try:
                    await self._send(conn, message)
                except ConnectionClosed:
                    logger.debug("dxlink connection lost while resetting; the set is updated")

    async def close_channel(self, event_type: str) -> None:
        """Drop every subscription of one type and cancel its channel (CHANNEL_CANCEL)."""
        self._subs.pop(event_type, None)
        conn = self._conn
        channel = conn.channels.pop(event_type, None) if conn is not None else None
        if conn is not None and channel is not None:
            conn.cancelled.add(channel.number)
            try:
                await self._send(conn, {"type": "CHANNEL_CANCEL", "channel": channel.number})
            except ConnectionClosed:
                logger.debug("dxlink connection lost while cancelling a channel")

    # ------------------------------------------------------------------ session
    def _before_reconnect(self, reason: TastytradeError) -> None:
        if isinstance(reason, StreamError) and "UNAUTHORIZED" in reason.message:
            self._force_token = True  # the next session authorizes with a new quote token
            if self._token_fingerprint is not None:
                self._refused_tokens.add(self._token_fingerprint)

    async def _session(self) -> None:
        if len(self._refused_tokens) >= self.max_auth_refusals:
            # fresh tokens keep being refused: retrying cannot help (entitlement, wrong env);
            # a source that cannot mint new tokens keeps retrying, so an operator can rotate it
            raise Unrecoverable(
                f"dxlink authorization refused for {len(self._refused_tokens)} different "
                "quote tokens in a row"
            )
        token = await self._tokens.get(force=self._force_token)
        self._token_fingerprint = hash(token.token)
        self._force_token = False
        url = self._url or token.dxlink_url
        async with connect(
            url,
            max_size=self._max_message,
            ping_interval=None,  # liveness is KEEPALIVE + the silence watchdog
            open_timeout=self._handshake_timeout,
            close_timeout=2.0,
            user_agent_header=f"tastystream/{__version__}",
        ) as ws:
            conn = FeedConnection(ws, self._clock)
            await asyncio.wait_for(self._handshake(conn, token), self._handshake_timeout)
            self._refused_tokens.clear()
            self._conn = conn
            self._session_running()
            async with asyncio.TaskGroup() as group:
                group.create_task(self._reader(conn))
                group.create_task(self._keepalive(conn))
                group.create_task(self._watchdog(conn))
                group.create_task(self._token_refresher(conn, token))
                for event_type in [kind for kind, symbols in self._subs.items() if symbols]:
                    await self._request_channel(conn, event_type)

    async def _handshake(self, conn: FeedConnection, token: QuoteToken) -> None:
        await self._send(
            conn,
            {
                "type": "SETUP",
                "channel": 0,
                "keepaliveTimeout": self.keepalive_timeout,
                "acceptKeepaliveTimeout": self.keepalive_timeout,
                "version": f"tastystream-{__version__}",
            },
        )
        async for raw in conn.ws:
            message = self._parse(raw)
            if message is None:
                continue
            kind = message.get("type")
            if kind == "SETUP":
                timeout = message.get("keepaliveTimeout")
                conn.server_keepalive = float(timeout) if isinstance(timeout, int | float) else None
            elif kind == "AUTH_STATE" and message.get("state") == "UNAUTHORIZED":
                await self._send(conn, {"type": "AUTH", "channel": 0, "token": token.token})
            elif kind == "AUTH_STATE" and message.get("state") == "AUTHORIZED":
                return
            elif kind == "ERROR":
                raise StreamError(
                    f"dxlink ERROR {message.get('error')}: {message.get('message')}",
                    stream="dxlink",
                )
        raise StreamDisconnected(
            "closed during handshake", stream="dxlink", code=close_code(conn.ws)
        )

    # ------------------------------------------------------------------- tasks
    async def _reader(self, conn: FeedConnection) -> None:
        async for raw in conn.ws:
            conn.last_rx = conn.clock()
            message = self._parse(raw)
            if message is not None:
                await self._dispatch(conn, message, raw)
        raise StreamDisconnected(
            "connection closed by server", stream="dxlink", code=close_code(conn.ws)
        )

    async def _dispatch(
        self, conn: FeedConnection, message: dict[str, Any], raw: str | bytes
    ) -> None:
        kind = message.get("type")
        if kind == "FEED_DATA":
            self.frames += 1
            channel = conn.channels.get(EVENT_OF_CHANNEL.get(message.get("channel", -1), ""))
            if channel is None:
                self.errors.publish(
                    StreamError(
                        f"FEED_DATA on unknown channel {message.get('channel')}", stream="dxlink"
                    )
                )
                return
            try:
                events = channel.decoder.decode(message.get("data"), raw)
            except StreamError as exc:
                self.decode_errors += 1
                exc.raw = exc.raw or (
                    raw[:300] if isinstance(raw, str) else raw[:300].decode(errors="replace")
                )
                self.errors.publish(exc)
                return
            for event in events:
                self._fanout.publish(event)
        elif kind == "KEEPALIVE":
            return
        elif kind == "CHANNEL_OPENED":
            await self._channel_opened(conn, message)
        elif kind == "FEED_CONFIG":
            self._feed_config(conn, message)
        elif kind == "CHANNEL_CLOSED":
            await self._channel_closed(conn, message)
        elif kind == "AUTH_STATE" and message.get("state") == "UNAUTHORIZED":
            token = await self._tokens.get(force=True)
            await self._send(conn, {"type": "AUTH", "channel": 0, "token": token.token})
        elif kind == "ERROR":
            error = StreamError(
                f"dxlink ERROR {message.get('error')}: {message.get('message')}", stream="dxlink"
            )
            if message.get("error") == "UNAUTHORIZED":
                raise error
            self.errors.publish(error)
        elif kind not in ("AUTH_STATE", "SETUP"):
            self.errors.publish(
                ParseWarning(
                    f"unknown dxlink message {kind!r}", model="DXLink", field_name=str(kind)
                )
            )

    async def _keepalive(self, conn: FeedConnection) -> None:
        interval = self.keepalive_interval
        if conn.server_keepalive:
            interval = min(interval, conn.server_keepalive / 2)
        while True:
            await asyncio.sleep(interval)
            await self._send(conn, {"type": "KEEPALIVE", "channel": 0})

    async def _watchdog(self, conn: FeedConnection) -> None:
        step = min(1.0, self.keepalive_timeout / 4)
        while True:
            await asyncio.sleep(step)
            silent = conn.clock() - conn.last_rx
            if silent > self.keepalive_timeout:
                raise StreamDisconnected(f"no frame for {silent:.1f}s", stream="dxlink")

    async def _token_refresher(self, conn: FeedConnection, token: QuoteToken) -> None:
        while True:
            expires = token.fetched_at + min(token.valid_for, self._tokens.max_age)
            await asyncio.sleep(max(1.0, expires - self._clock()))
            token = await self._tokens.get(force=True)
            logger.info("dxlink quote token refreshed; re-authorizing")
            await self._send(conn, {"type": "AUTH", "channel": 0, "token": token.token})

    # ---------------------------------------------------------------- channels
    async def _request_channel(self, conn: FeedConnection, event_type: str) -> None:
        if event_type in conn.channels:
            return
        channel = FeedChannel(event_type)
        conn.channels[event_type] = channel
        contract = "HISTORY" if event_type in HISTORY_TYPES else "AUTO"
        await self._send(
            conn,
            {
                "type": "CHANNEL_REQUEST",
                "channel": channel.number,
                "service": "FEED",
                "parameters": {"contract": contract},
            },
        )

    async def _channel_opened(self, conn: FeedConnection, message: dict[str, Any]) -> None:
        event_type = EVENT_OF_CHANNEL.get(message.get("channel", -1))
        channel = conn.channels.get(event_type or "")
        if channel is None or channel.ready:
            return
        fields = channel.decoder.request(channel.event_type)
        await self._send(
            conn,
            {
                "type": "FEED_SETUP",
                "channel": channel.number,
                "acceptAggregationPeriod": self._aggregation,
                "acceptDataFormat": "COMPACT",
                "acceptEventFields": {channel.event_type: fields},
            },
        )
        snapshot = dict(self._subs.get(channel.event_type, {}))
        channel.ready = True  # from here on subscribe() sends its own adds
        if snapshot:
            await self._send_subscription(conn, channel, "add", snapshot)

    def _feed_config(self, conn: FeedConnection, message: dict[str, Any]) -> None:
        channel = conn.channels.get(EVENT_OF_CHANNEL.get(message.get("channel", -1), ""))
        fields = message.get("eventFields")
        if channel is None or not isinstance(fields, dict):
            return
        for event_type, names in fields.items():
            if event_type != channel.event_type or not isinstance(names, list):
                continue
            try:
                layout = channel.decoder.configure(event_type, [str(name) for name in names])
            except StreamError as exc:
                self.errors.publish(exc)
                continue
            for unknown in layout.unknown:
                self.errors.publish(
                    ParseWarning(
                        f"{event_type} field {unknown!r} is not known",
                        model=event_type,
                        field_name=unknown,
                    )
                )

    async def _channel_closed(self, conn: FeedConnection, message: dict[str, Any]) -> None:
        number = message.get("channel", -1)
        if number in conn.cancelled:
            conn.cancelled.discard(number)
            return
        event_type = EVENT_OF_CHANNEL.get(number)
        if event_type is None or event_type not in conn.channels:
            return
        del conn.channels[event_type]
        if self._subs.get(event_type):
            self.errors.publish(
                StreamError(f"server closed the {event_type} channel; reopening", stream="dxlink")
            )
            await self._request_channel(conn, event_type)

    async def _send_subscription(
        self, conn: FeedConnection, channel: FeedChannel, action: str, items: dict[str, int | None]
    ) -> None:
        entries: list[dict[str, Any]] = []
        for symbol, start in items.items():
            entry: dict[str, Any] = {"type": channel.event_type, "symbol": symbol}
            if start is not None:
                entry["fromTime"] = start
            entries.append(entry)
        for chunk in chunk_entries(entries, self._max_chunk):
            await self._send(
                conn, {"type": "FEED_SUBSCRIPTION", "channel": channel.number, action: chunk}
            )

    # ------------------------------------------------------------------- wire
    async def _send(self, conn: FeedConnection, message: dict[str, Any]) -> None:
        text = orjson.dumps(message).decode()
        if logger.isEnabledFor(TRACE):
            logger.log(
                TRACE, "dxlink > %s", message["type"] if message["type"] == "AUTH" else text[:2000]
            )
        async with conn.lock:
            await conn.ws.send(text)

    def _parse(self, raw: str | bytes) -> dict[str, Any] | None:
        if logger.isEnabledFor(TRACE):
            logger.log(TRACE, "dxlink < %s", raw[:2000])
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.errors.publish(
                StreamError("dxlink frame is not JSON", stream="dxlink", raw=str(raw[:300]))
            )
            return None
        if not isinstance(message, dict):
            self.errors.publish(
                StreamError("dxlink frame is not an object", stream="dxlink", raw=str(raw[:300]))
            )
            return None
        return message


__all__ = [
    "CHANNELS",
    "MAX_CHUNK_BYTES",
    "DXLinkStreamer",
    "Reconnected",
    "chunk_entries",
    "translate_ws_error",
]
