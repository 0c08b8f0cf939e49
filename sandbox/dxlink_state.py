"""Per-connection DXLink state (connections, channels, subscriptions) and frame encoding."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Iterator
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
    """One FEED channel. ``fields`` holds what the client chose (``acceptEventFields``);
    ``announced`` what the server last told it in ``FEED_CONFIG.eventFields`` — COMPACT data
    is always encoded by the announced list, and a type whose list is not (or no longer)
    announced gets a new ``FEED_CONFIG`` before its data (dxFeed's own client decodes COMPACT
    only by the announced fields and drops data of a type it has no fields for)."""

    id: int
    contract: str
    aggregation: float = 0.0
    data_format: str = "COMPACT"
    configured: bool = False
    fields: dict[str, list[str]] = field(default_factory=dict)
    announced: dict[str, list[str]] = field(default_factory=dict)
    subs: dict[tuple[str, str], Subscription] = field(default_factory=dict)
    next_due: float = 0.0

    def fields_for(self, event_type: str) -> list[str]:
        """The fields data of ``event_type`` carries: the client's choice or the default set."""
        return self.fields.get(event_type) or FIELDS[event_type]

    def config_message(self, event_types: Iterable[str] = ()) -> dict[str, Any]:
        """A ``FEED_CONFIG`` announcing the fields of ``event_types`` (recorded as announced)."""
        msg: dict[str, Any] = {
            "type": "FEED_CONFIG",
            "channel": self.id,
            "aggregationPeriod": self.aggregation,
            "dataFormat": self.data_format,
        }
        announce = {t: list(self.fields_for(t)) for t in event_types}
        if announce:
            msg["eventFields"] = announce
            self.announced.update(announce)
        return msg

    def setup_reply(self) -> dict[str, Any]:
        """The ``FEED_CONFIG`` answering ``FEED_SETUP``: the fields of every type the client
        chose fields for or is subscribed to (none yet: no ``eventFields``, as the real
        server's lazy reply)."""
        types = dict.fromkeys([*self.fields, *(t for t, _ in self.subs)])
        return self.config_message(types)

    def unannounced(self, event_types: Iterable[str]) -> list[str]:
        """The types among ``event_types`` whose current fields the client has not been told."""
        return [t for t in event_types if self.announced.get(t) != self.fields_for(t)]


@dataclass(frozen=True)
class ConfigDue:
    """Outbox marker: send this channel's ``FEED_CONFIG`` (built when it is sent, so the
    announcement and the data that follows it always agree)."""

    channel: int


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
    outbox: deque[str | tuple[int, str] | ConfigDue] = field(default_factory=deque)
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

    def push_config(self, channel: int) -> None:
        self.outbox.append(ConfigDue(channel))
        self.wake.set()

    def error(self, error: str, message: str) -> None:
        self.push_json({"type": "ERROR", "channel": 0, "error": error, "message": message})


def encode_events(
    ch: Channel, events: dict[str, list[dict[str, Any]]], max_values: int
) -> Iterator[str]:
    """FEED_DATA frames for ``events`` (grouped by type), about ``max_values`` values per frame
    (so frames stay well under the 64 KiB message limit of common clients).

    One event type per frame: dxFeed's client and tastyware read only the first
    ``[type, values]`` pair of a COMPACT frame. COMPACT data of a type whose fields are not
    announced yet is preceded by a ``FEED_CONFIG`` announcing them."""
    if ch.data_format == "FULL":
        yield from _encode_full(ch, events, max_values)
        return
    pending = ch.unannounced(t for t, evs in events.items() if evs)
    if pending:
        yield orjson.dumps(ch.config_message(pending)).decode()
    for event_type, evs in events.items():
        fields = ch.announced.get(event_type) or ch.fields_for(event_type)
        per_frame = max(1, max_values // len(fields))
        for start in range(0, len(evs), per_frame):
            chunk = evs[start : start + per_frame]
            values = [ev.get(f, "NaN") for ev in chunk for f in fields]
            yield orjson.dumps(
                {"type": "FEED_DATA", "channel": ch.id, "data": [event_type, values]}
            ).decode()


def _encode_full(
    ch: Channel, events: dict[str, list[dict[str, Any]]], max_values: int
) -> Iterator[str]:
    """FULL: objects of the channel's fields for the type (fields the event lacks omitted)."""
    flat: list[dict[str, Any]] = []
    for event_type, evs in events.items():
        fields = ch.fields_for(event_type)
        for ev in evs:
            obj = {"eventType": event_type, "eventSymbol": ev["eventSymbol"]}
            obj.update((f, ev[f]) for f in fields if f in ev)
            flat.append(obj)
    per_frame = max(1, max_values // 16)
    for start in range(0, len(flat), per_frame):
        chunk = flat[start : start + per_frame]
        yield orjson.dumps({"type": "FEED_DATA", "channel": ch.id, "data": chunk}).decode()


__all__ = ["Channel", "ConfigDue", "Connection", "Subscription", "encode_events"]
