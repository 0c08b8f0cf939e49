"""DXLink feed channels: numbering, per-socket state and subscription chunking (§5.1).

One channel per event type, numbered ``2*i+1`` over :data:`EVENT_CLASSES` (the spec asks
clients for odd numbers); Candle uses the HISTORY contract, everything else AUTO.
Subscription messages are split so each stays under the ~8 KB DXLink clients use.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection

from adapters.tastytrade.backoff import Clock
from adapters.tastytrade.compact import CompactDecoder
from adapters.tastytrade.events import EVENT_CLASSES

CHANNELS: dict[str, int] = {name: 2 * i + 1 for i, name in enumerate(EVENT_CLASSES)}
EVENT_OF_CHANNEL = {number: name for name, number in CHANNELS.items()}
HISTORY_TYPES = frozenset({"Candle"})
MAX_CHUNK_BYTES = 8000  # DXLink clients chunk subscriptions at ~8 KB


class FeedChannel:
    __slots__ = ("decoder", "event_type", "number", "ready")

    def __init__(self, event_type: str) -> None:
        self.event_type = event_type
        self.number = CHANNELS[event_type]
        self.decoder = CompactDecoder()
        self.ready = False  # FEED_SETUP sent and the subscription set replayed


class FeedConnection:
    """Per-socket state; a new one for each (re)connect."""

    def __init__(self, ws: ClientConnection, clock: Clock) -> None:
        self.ws = ws
        self.clock = clock
        self.last_rx = clock()
        self.channels: dict[str, FeedChannel] = {}
        self.lock = asyncio.Lock()
        self.server_keepalive: float | None = None
        self.cancelled: set[int] = set()  # channels we cancelled: their CHANNEL_CLOSED is expected


def epoch_ms(value: int | datetime | None) -> int | None:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return value


def chunk_entries(entries: list[dict[str, Any]], limit: int) -> list[list[dict[str, Any]]]:
    """Split subscription entries so each FEED_SUBSCRIPTION stays under ``limit`` bytes."""
    envelope = 80  # {"type":"FEED_SUBSCRIPTION","channel":NN,"remove":[]}
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = envelope
    for entry in entries:
        cost = len(orjson.dumps(entry)) + 1
        if current and size + cost > limit:
            chunks.append(current)
            current, size = [], envelope
        current.append(entry)
        size += cost
    if current:
        chunks.append(current)
    return chunks


def close_code(ws: ClientConnection) -> int | None:
    return ws.close_code


__all__ = [
    "CHANNELS",
    "EVENT_OF_CHANNEL",
    "HISTORY_TYPES",
    "MAX_CHUNK_BYTES",
    "FeedChannel",
    "FeedConnection",
    "chunk_entries",
    "close_code",
    "epoch_ms",
]
