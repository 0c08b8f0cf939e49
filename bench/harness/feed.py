"""A recorded DXLink feed: record the sandbox's FEED_DATA frames the way the ingestor subscribes,
then replay them from a minimal DXLink server in its own process — as fast as the socket takes
them, or paced to a rate with every event stamped with its send time (its source time)."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import orjson
import websockets
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from bench.harness.services import receive, start_child, stop_process


@dataclass
class Recording:
    """FEED_DATA frames as the sandbox sent them, and the field layout of each channel."""

    fields: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    frames: list[str] = field(default_factory=list)
    events: int = 0


async def record_frames(
    settings: Any, event_types: tuple[str, ...], *, seconds: float
) -> Recording:
    """Subscribe like the ingestor (same channels, fields, symbols) and keep the raw frames."""
    from adapters.tastytrade.auth import OAuth2Auth
    from adapters.tastytrade.client import API_VERSION
    from adapters.tastytrade.compact import CompactDecoder
    from adapters.tastytrade.dxlink import CHANNELS
    from adapters.tastytrade.http import HttpSession
    from adapters.tastytrade.quote_token import ApiQuoteTokens
    from adapters.tastytrade.rest import Rest
    from ingest.watchlist import OPTION_EVENTS, UNDERLYING_ONLY, parse_entries, resolve

    tt = settings.tastytrade
    auth = OAuth2Auth(
        client_secret=tt.client_secret.get_secret_value(),
        refresh_token=tt.refresh_token.get_secret_value(),
    )
    version = API_VERSION if tt.api_version is None else (tt.api_version or None)
    async with HttpSession(tt.base_url, auth, api_version=version) as http:
        token = await ApiQuoteTokens(http).get()
        plain, chains = parse_entries(tt.symbols, tt.option_chains)
        resolved = await resolve(Rest(http), plain, chains)
    rec = Recording()
    decoder = CompactDecoder()
    async with websockets.connect(token.dxlink_url, max_size=2**24) as ws:

        async def send(message: dict[str, Any]) -> None:
            await ws.send(orjson.dumps(message).decode())

        await send({"type": "SETUP", "channel": 0, "keepaliveTimeout": 60,
                    "acceptKeepaliveTimeout": 60, "version": "bench-recorder"})  # fmt: skip
        await send({"type": "AUTH", "channel": 0, "token": token.token})
        for event_type in event_types:
            number = CHANNELS[event_type]
            await send({"type": "CHANNEL_REQUEST", "channel": number, "service": "FEED",
                        "parameters": {"contract": "AUTO"}})  # fmt: skip
            await send({"type": "FEED_SETUP", "channel": number, "acceptAggregationPeriod": 0.1,
                        "acceptDataFormat": "COMPACT",
                        "acceptEventFields": {event_type: decoder.request(event_type)}})  # fmt: skip
            symbols: set[str] = set()
            if event_type not in UNDERLYING_ONLY:
                symbols |= set(resolved.underlyings)
            if event_type in OPTION_EVENTS:
                symbols |= set(resolved.options)
            add = [{"type": event_type, "symbol": s} for s in sorted(symbols)]
            for start in range(0, len(add), 400):
                await send({"type": "FEED_SUBSCRIPTION", "channel": number,
                            "add": add[start : start + 400]})  # fmt: skip
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                text = await asyncio.wait_for(ws.recv(), left)
            except TimeoutError:
                break
            assert isinstance(text, str)
            msg = orjson.loads(text)
            if msg.get("type") == "FEED_CONFIG":
                rec.fields[msg["channel"]] = msg["eventFields"]
            elif msg.get("type") == "FEED_DATA":
                data, layout = msg["data"], rec.fields.get(msg["channel"], {})
                rec.events += sum(
                    len(v) // len(layout[t]) for t, v in zip(data[0::2], data[1::2], strict=True)
                )
                rec.frames.append(text)
    return rec


TIME_FIELDS = frozenset({"time", "bidTime", "askTime", "eventTime"})


def chunk_frames(
    rec: Recording, max_events: int
) -> list[tuple[int, str, list[Any], int, list[int]]]:
    """The recording cut into (channel, type, flat values, field count, time positions)."""
    out: list[tuple[int, str, list[Any], int, list[int]]] = []
    for text in rec.frames:
        msg = orjson.loads(text)
        channel, data = msg["channel"], msg["data"]
        for event_type, values in zip(data[0::2], data[1::2], strict=True):
            names = rec.fields[channel][event_type]
            width = len(names)
            times = [i for i, name in enumerate(names) if name in TIME_FIELDS]
            step = width * max_events
            for start in range(0, len(values), step):
                out.append((channel, event_type, values[start : start + step], width, times))
    return out


def stamp(values: list[Any], width: int, times: list[int], now_ms: int) -> None:
    """Set every time field (positions ``times``) of the flat COMPACT ``values`` to ``now_ms``."""
    for base in range(0, len(values), width):
        for i in times:
            values[base + i] = now_ms


async def _paced(ws: ServerConnection, rec: Recording, rate: float) -> None:
    """Send ``rate`` events/s, every event stamped with the send time (ms) as its source time."""
    chunks = chunk_frames(rec, max_events=max(1, int(rate // 200)))
    sent, started = 0, time.perf_counter()
    while True:
        for channel, event_type, values, width, times in chunks:
            stamp(values, width, times, int(time.time() * 1000))
            frame = {"type": "FEED_DATA", "channel": channel, "data": [event_type, values]}
            await ws.send(orjson.dumps(frame).decode())
            sent += len(values) // width
            delay = started + sent / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)


async def _replay(ws: ServerConnection, rec: Recording, rate: float) -> None:
    """A minimal DXLink server: handshake, channels, then the recording in a loop — as fast
    as the socket takes it (``rate`` 0) or paced to ``rate`` events/s with fresh times."""

    async def send(message: dict[str, Any]) -> None:
        await ws.send(orjson.dumps(message).decode())

    subscribed: set[int] = set()
    pump: asyncio.Task[None] | None = None

    async def loop() -> None:
        if rate > 0:
            await _paced(ws, rec, rate)
        while True:
            for frame in rec.frames:
                await ws.send(frame)

    try:
        async for raw in ws:
            msg = orjson.loads(raw)
            kind, channel = msg.get("type"), msg.get("channel", 0)
            if kind == "SETUP":
                await send({"type": "SETUP", "channel": 0, "keepaliveTimeout": 60,
                            "acceptKeepaliveTimeout": 60, "version": "bench-replay"})  # fmt: skip
                await send({"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"})
            elif kind == "AUTH":
                await send({"type": "AUTH_STATE", "channel": 0, "state": "AUTHORIZED",
                            "userId": "bench"})  # fmt: skip
            elif kind == "CHANNEL_REQUEST":
                await send({"type": "CHANNEL_OPENED", "channel": channel, "service": "FEED",
                            "parameters": msg.get("parameters", {})})  # fmt: skip
            elif kind == "FEED_SETUP" and channel in rec.fields:
                await send({"type": "FEED_CONFIG", "channel": channel, "dataFormat": "COMPACT",
                            "aggregationPeriod": 0.1, "eventFields": rec.fields[channel]})  # fmt: skip
            elif kind == "FEED_SUBSCRIPTION":
                subscribed.add(channel)
                if pump is None and set(rec.fields) <= subscribed:
                    pump = asyncio.create_task(loop())
    except ConnectionClosed:
        pass
    finally:
        if pump is not None:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)


async def _replay_serve(pipe: Connection, rec: Recording, rate: float) -> None:
    async with serve(lambda ws: _replay(ws, rec, rate), "127.0.0.1", 0, max_size=2**24) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        pipe.send(f"ws://127.0.0.1:{port}/dxlink")
        await asyncio.to_thread(pipe.recv)


def _replay_process(pipe: Connection, rec: Recording, rate: float) -> None:
    asyncio.run(_replay_serve(pipe, rec, rate))


class ReplayFeed:
    """The replay DXLink server in its own process: ``async with ReplayFeed(rec) as feed``;
    ``rate`` > 0 paces it to that many events/s, each stamped with its send time."""

    def __init__(self, rec: Recording, *, rate: float = 0.0) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._pipe, child = ctx.Pipe()
        self._process = ctx.Process(target=_replay_process, args=(child, rec, rate), daemon=True)
        self.url = ""
        self.pid = 0

    async def __aenter__(self) -> ReplayFeed:
        start_child(self._process)
        self.url = await receive(self._pipe, 60, "replay feed did not start")
        self.pid = self._process.pid or 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        await stop_process(self._process, self._pipe)


__all__ = ["TIME_FIELDS", "Recording", "ReplayFeed", "chunk_frames", "record_frames", "stamp"]
