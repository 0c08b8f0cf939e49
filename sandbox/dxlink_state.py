"""Per-connection DXLink state (connections, channels, subscriptions) and frame encoding."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.websockets import WebSocket

from sandbox.candles import CandleSymbol
from sandbox.dxlink_events import FIELDS
from sandbox.quotes import Model


@dataclass(eq=False)
class Subscription:
    event_type: str
    symbol: str
    model: Model | None = None
    candle: CandleSymbol | None = None
    from_time: int = 0
    snapshot: bool = True  # the next emission is the (snapshot) first one
    sig: object = None
    live_time: int | None = None
    applies: bool = True


@dataclass(eq=False)
class Channel:
    id: int
    contract: str
    aggregation: float = 0.0
    data_format: str = "COMPACT"
    configured: bool = False
    fields: dict[str, list[str]] = field(default_factory=dict)
    subs: dict[tuple[str, str], Subscription] = field(default_factory=dict)
    next_due: float = 0.0

    def fields_for(self, event_type: str) -> list[str]:
        return self.fields.get(event_type) or FIELDS[event_type]

    def config_message(self) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "type": "FEED_CONFIG",
            "channel": self.id,
            "aggregationPeriod": self.aggregation,
            "dataFormat": self.data_format,
        }
        if self.fields:
            msg["eventFields"] = {k: list(v) for k, v in self.fields.items()}
        return msg


@dataclass(eq=False)
class Connection:
    id: int
    ws: WebSocket
    last_recv: float
    state: str = "new"  # new → setup (UNAUTHORIZED) → authorized
    client_keepalive: float = 60.0
    last_sent: float = 0.0
    closed: bool = False
    channels: dict[int, Channel] = field(default_factory=dict)
    outbox: deque[str | tuple[int, str]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def active(self) -> bool:
        return not self.closed

    def push(self, text: str) -> None:
        self.outbox.append(text)
        self.wake.set()

    def push_json(self, msg: dict[str, Any]) -> None:
        self.push(orjson.dumps(msg).decode())

    def push_close(self, code: int, reason: str) -> None:
        self.outbox.append((code, reason))
        self.wake.set()

    def error(self, error: str, message: str) -> None:
        self.push_json({"type": "ERROR", "channel": 0, "error": error, "message": message})


def encode_events(
    ch: Channel, events: dict[str, list[dict[str, Any]]], max_values: int
) -> Iterator[str]:
    """FEED_DATA frames for ``events`` (grouped by type), about ``max_values`` values per frame
    (so frames stay well under the 64 KiB message limit of common clients)."""
    if ch.data_format == "FULL":
        flat_full: list[dict[str, Any]] = []
        for event_type, evs in events.items():
            requested = ch.fields.get(event_type)
            for ev in evs:
                if requested is None:
                    flat_full.append(ev)
                else:
                    obj = {"eventType": event_type, "eventSymbol": ev["eventSymbol"]}
                    obj.update((f, ev[f]) for f in requested if f in ev)
                    flat_full.append(obj)
        per_frame = max(1, max_values // 16)
        for start in range(0, len(flat_full), per_frame):
            chunk = flat_full[start : start + per_frame]
            yield orjson.dumps({"type": "FEED_DATA", "channel": ch.id, "data": chunk}).decode()
        return
    data: list[Any] = []
    used = 0
    for event_type, evs in events.items():
        fields = ch.fields_for(event_type)
        per_frame = max(1, max_values // len(fields))
        for start in range(0, len(evs), per_frame):
            chunk = evs[start : start + per_frame]
            size = len(chunk) * len(fields)
            if used and used + size > max_values:
                yield orjson.dumps({"type": "FEED_DATA", "channel": ch.id, "data": data}).decode()
                data, used = [], 0
            data.append(event_type)
            data.append([ev.get(f, "NaN") for ev in chunk for f in fields])
            used += size
    if data:
        yield orjson.dumps({"type": "FEED_DATA", "channel": ch.id, "data": data}).decode()


__all__ = ["Channel", "Connection", "Subscription", "encode_events"]
