"""The one DXLink ``FEED_DATA`` decoder (COMPACT, and FULL as a fallback).

COMPACT data is ``[eventType, flatValues, eventType, flatValues, …]`` where ``flatValues``
concatenates events of exactly the configured field list (§5.2). A :class:`Layout` is
precompiled per event type from that list: when the server's order equals our class order
an event is one ``tuple.__new__(cls, slice)``; otherwise a precomputed ``itemgetter`` reorders the slice
and pads fields the server does not send. Non-finite doubles arrive as the strings
``"NaN"``/``"Infinity"``/``"-Infinity"`` and are converted only in numeric positions (to
floats, or to 0 in integer fields), and only when the raw frame contains such a string at all.
Malformed data raises :class:`StreamError`; the caller reports it and skips the frame.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from adapters.tastytrade.errors import StreamError
from adapters.tastytrade.events import (
    EVENT_CLASSES,
    EventClass,
    MarketEvent,
    field_default,
    is_integral,
    is_numeric,
    wire_fields,
    wire_name,
)

logger = logging.getLogger(__name__)

_SKIPPED = ("eventtype",)  # COMPACT may carry the type name as a value when it was requested


def _snippet(data: Any) -> str:
    return repr(data)[:300]


@dataclass(frozen=True, slots=True)
class Layout:
    """How the values of one event type are laid out on the wire, compiled for decoding."""

    event_type: str
    cls: EventClass
    wire: tuple[str, ...]
    width: int
    direct: bool
    numeric: tuple[int, ...]
    integral: frozenset[int]
    getter: Callable[[Sequence[Any]], tuple[Any, ...]] | None
    padding: tuple[Any, ...]
    unknown: tuple[str, ...]

    @classmethod
    def build(cls, event_type: str, fields: Sequence[str]) -> Layout:
        event_cls = EVENT_CLASSES.get(event_type)
        if event_cls is None:
            raise StreamError(f"unknown event type {event_type!r}", stream="dxlink")
        if not fields:
            raise StreamError(f"empty field list for {event_type}", stream="dxlink")
        by_wire = {wire_name(name).lower(): name for name in event_cls._fields}
        position: dict[str, int] = {}
        unknown: list[str] = []
        numeric: list[int] = []
        integral: set[int] = set()
        for index, wire in enumerate(fields):
            name = by_wire.get(wire.lower())
            if name is None:
                if wire.lower() not in _SKIPPED:
                    unknown.append(wire)
                continue
            position.setdefault(name, index)
            if is_numeric(event_cls, name):
                numeric.append(index)
                if is_integral(event_cls, name):
                    integral.add(index)
        if "event_symbol" not in position:
            raise StreamError(
                f"{event_type} fields lack eventSymbol: {list(fields)}", stream="dxlink"
            )
        width = len(fields)
        direct = list(fields) == [wire_name(name) for name in event_cls._fields]
        padding: list[Any] = []
        order: list[int] = []
        for name in event_cls._fields:
            if name in position:
                order.append(position[name])
            else:
                order.append(width + len(padding))
                padding.append(field_default(event_cls, name))
        return cls(
            event_type=event_type,
            cls=event_cls,
            wire=tuple(fields),
            width=width,
            direct=direct,
            numeric=tuple(numeric),
            integral=frozenset(integral),
            getter=None if direct else itemgetter(*order),
            padding=tuple(padding),
            unknown=tuple(unknown),
        )

    def decode(self, flat: list[Any], specials: bool) -> list[MarketEvent]:
        width = len(self.wire)
        if not isinstance(flat, list) or len(flat) % width:
            count = len(flat) if isinstance(flat, list) else type(flat).__name__
            raise StreamError(
                f"{self.event_type}: {count} values is not a multiple of {width} fields",
                stream="dxlink",
                raw=_snippet(flat),
            )
        if specials:
            _convert_specials(flat, width, self.numeric, self.integral, self.event_type)
        # tuple.__new__ straight away: NamedTuple._make adds a Python-level length check that
        # the layout already guarantees (every slice has exactly the class's field count)
        cls: Any = self.cls
        new = tuple.__new__
        if self.getter is None:
            return [new(cls, flat[i : i + width]) for i in range(0, len(flat), width)]
        getter = self.getter
        pad = list(self.padding)
        return [new(cls, getter(flat[i : i + width] + pad)) for i in range(0, len(flat), width)]


def _convert_specials(
    flat: list[Any],
    width: int,
    numeric: tuple[int, ...],
    integral: frozenset[int],
    event_type: str,
) -> None:
    for base in range(0, len(flat), width):
        for offset in numeric:
            value = flat[base + offset]
            if value.__class__ is str:
                flat[base + offset] = _number(value, offset in integral, event_type)


def _number(value: str, integral: bool, event_type: str) -> float | int:
    """A number the feed wrote as a string (``"NaN"``, ``"Infinity"``, ``"-Infinity"``): a
    float, or in an integer field 0 (what a field the instrument has none of holds)."""
    try:
        number = float(value)
    except ValueError as exc:
        raise StreamError(
            f"{event_type}: non-numeric value {value!r} in a numeric field", stream="dxlink"
        ) from exc
    if integral:
        return int(number) if math.isfinite(number) else 0
    return number


class CompactDecoder:
    """Decodes ``FEED_DATA.data`` with the layouts of one channel (or connection)."""

    def __init__(self) -> None:
        self.layouts: dict[str, Layout] = {}
        self.requested: dict[str, list[str]] = {}

    def request(self, event_type: str) -> list[str]:
        """The field list to put in ``FEED_SETUP``; the layout assumes the server honours it."""
        fields = wire_fields(event_type)
        self.requested[event_type] = fields
        self.layouts[event_type] = Layout.build(event_type, fields)
        return fields

    def configure(self, event_type: str, fields: Sequence[str]) -> Layout:
        """Apply ``FEED_CONFIG.eventFields`` (overrides what we requested)."""
        layout = Layout.build(event_type, fields)
        self.layouts[event_type] = layout
        return layout

    def layout(self, event_type: str) -> Layout:
        layout = self.layouts.get(event_type)
        if layout is None:
            if event_type not in EVENT_CLASSES:
                raise StreamError(f"unknown event type {event_type!r}", stream="dxlink")
            layout = Layout.build(event_type, wire_fields(event_type))
            self.layouts[event_type] = layout
        return layout

    def decode(self, data: Any, raw: str | bytes | None = None) -> list[MarketEvent]:
        """All events of one ``FEED_DATA``; raises :class:`StreamError` and decodes nothing on
        malformed input. ``raw`` (the frame text) lets frames without NaN/Infinity skip the
        conversion pass."""
        if not isinstance(data, list):
            raise StreamError("FEED_DATA data is not a list", stream="dxlink", raw=_snippet(data))
        if data and isinstance(data[0], dict):
            return self._decode_full(data)
        if len(data) % 2:
            raise StreamError("COMPACT data has an odd length", stream="dxlink", raw=_snippet(data))
        specials = True
        if raw is not None:
            specials = (
                (b"NaN" in raw or b"Infinity" in raw)
                if isinstance(raw, bytes)
                else ("NaN" in raw or "Infinity" in raw)
            )
        if len(data) == 2:
            event_type = data[0]
            if not isinstance(event_type, str):
                raise StreamError("COMPACT event type is not a string", stream="dxlink")
            return self.layout(event_type).decode(data[1], specials)
        events: list[MarketEvent] = []
        for index in range(0, len(data), 2):
            event_type = data[index]
            if not isinstance(event_type, str):
                raise StreamError("COMPACT event type is not a string", stream="dxlink")
            events.extend(self.layout(event_type).decode(data[index + 1], specials))
        return events

    def _decode_full(self, data: list[Any]) -> list[MarketEvent]:
        events: list[MarketEvent] = []
        for item in data:
            if not isinstance(item, dict):
                raise StreamError(
                    "FULL data item is not an object", stream="dxlink", raw=_snippet(item)
                )
            cls = EVENT_CLASSES.get(str(item.get("eventType")))
            if cls is None:
                raise StreamError(f"unknown event type {item.get('eventType')!r}", stream="dxlink")
            values: list[Any] = []
            for name in cls._fields:
                value = item.get(wire_name(name), field_default(cls, name))
                if value.__class__ is str and is_numeric(cls, name):
                    value = _number(value, is_integral(cls, name), str(item.get("eventType")))
                values.append(value)
            events.append(cls._make(values))
        return events


__all__ = ["CompactDecoder", "Layout"]
