"""Pure normalization: a DXLink market event → the Avro record of its topic.

No I/O, no clocks (the ingest time is an argument), no globals that change: the same event
with the same context always gives the same record and the same ``event_id``. Every value is
coerced to its schema type so a record always encodes: missing doubles become NaN, missing
ints 0, missing strings ``""``; candle period/trading-hours come from the candle symbol.

This runs once per market event, so each event type gets one function generated once from
its schema and its event class (:data:`SOURCES` holds their text): the event tuple is unpacked
into locals, each value passes untouched when it has the exact type the feed normally sends
(else it goes through its coercer), the event id comes from an id function compiled for the
coerced types (:func:`schemas.identity.compile_event_id`), and the record is one dict display
in schema order. The plan-free original is the oracle of a property test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from adapters.tastytrade.events import EVENT_CLASSES, MarketEvent
from schemas.candle_symbol import CandleSymbol, parse_candle_symbol
from schemas.envelope import ENVELOPE_FIELD_NAMES, IDENTITY_FIELDS, event_id
from schemas.errors import SchemaContractError
from schemas.identity import compile_event_id
from schemas.topics import MARKET_TOPICS, TopicSpec

UNKNOWN_INSTRUMENT: Final = "Unknown"


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """What the ingestor knows about a streamer symbol."""

    symbol: str
    instrument_type: str


class Normalized(NamedTuple):
    """One normalized event: its topic, Kafka key (the streamer symbol) and Avro record."""

    spec: TopicSpec
    key: bytes
    record: dict[str, Any]


_NAN: Final = math.nan


def _double(value: Any) -> float:
    if value.__class__ is float:
        return value
    if value is None or isinstance(value, str):
        return _NAN
    return float(value)


def _int(value: Any) -> int:
    if value.__class__ is int:
        return value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return 0
    return int(value)


def _string(value: Any) -> str:
    if value.__class__ is str:
        return value
    return "" if value is None else str(value)


def _bool(value: Any) -> bool:
    return bool(value) if value is not None else False


def _millis_to_micros(value: Any) -> int:
    """Event time fields arrive as epoch ms; the schema holds micros (0 when unknown/none)."""
    millis = value if value.__class__ is int else _int(value)
    return millis * 1000 if millis > 0 else 0


def _as_is(value: Any) -> Any:
    return value


_BY_AVRO_TYPE: Final[Mapping[str, Callable[[Any], Any]]] = MappingProxyType(
    {
        "double": _double,
        "float": _double,
        "int": _int,
        "long": _int,
        "string": _string,
        "boolean": _bool,
    }
)


def _coercer(avro_type: Any) -> Callable[[Any], Any]:
    if isinstance(avro_type, dict):
        if avro_type.get("logicalType") == "timestamp-micros":
            return _millis_to_micros
        avro_type = avro_type.get("type")
    return _BY_AVRO_TYPE.get(str(avro_type), _as_is)


def _positive_ms(raw: Any) -> int:
    if raw.__class__ is int:
        return raw if raw > 0 else 0
    if (
        isinstance(raw, (int, float))
        and not isinstance(raw, bool)
        and math.isfinite(raw)
        and raw > 0
    ):
        return int(raw)
    return 0


_DAY_MS: Final = 86_400_000
#: Snapshot-like events without a time of their own: their ``ts_event`` is a day, not the ingest
#: instant, so the same event re-sent (every DXLink resubscribe re-sends them) keeps its ``ts``
#: and collapses with its twin in the ``ReplacingMergeTree`` tables.
_DAILY_TYPES: Final = frozenset({"Summary", "Profile"})
#: Candle record fields that come from the candle symbol, not from the event.
_CANDLE_FIELDS: Final = ("period", "trading_hours_only")
#: 2262-04-11, the last day ClickHouse ``DateTime64(6)`` and Avro readers all represent
_MAX_DAY_ID: Final = 106_751


def _daily_ms(day_id: Any, ts_ingest_us: int) -> int:
    """Summary: midnight UTC of its ``day_id``; otherwise (or for a day id no table can hold)
    midnight UTC of the ingest day."""
    if isinstance(day_id, int) and not isinstance(day_id, bool) and 0 < day_id <= _MAX_DAY_ID:
        return day_id * _DAY_MS
    return (ts_ingest_us // 1000) // _DAY_MS * _DAY_MS


@lru_cache(maxsize=4096)
def _candle_symbol(streamer_symbol: str) -> CandleSymbol:
    return parse_candle_symbol(streamer_symbol)  # pure: a bounded cache is safe


#: Per coercer: the generated expression of a coerced value — the exact type the feed
#: normally sends passes untouched without a call; anything else goes through the coercer.
_INLINE: Final[Mapping[Callable[[Any], Any], str]] = MappingProxyType(
    {
        _double: "{0} if {0}.__class__ is float else _double({0})",
        _int: "{0} if {0}.__class__ is int else _int({0})",
        _string: "{0} if {0}.__class__ is str else _string({0})",
        _bool: "{0} if {0}.__class__ is bool else _bool({0})",
        _millis_to_micros: (
            "({0} * 1000 if {0} > 0 else 0) if {0}.__class__ is int else _millis_to_micros({0})"
        ),
        _as_is: "{0}",
    }
)
#: What each coercer returns: the exact part types of the compiled event id.
_RESULT_TYPE: Final[Mapping[Callable[[Any], Any], type]] = MappingProxyType(
    {_double: float, _int: int, _string: str, _bool: bool, _millis_to_micros: int}
)
_POSITIVE_MS: Final = "(({0} if {0} > 0 else 0) if {0}.__class__ is int else _positive_ms({0}))"

Normalizer = Callable[[Any, "SymbolInfo | None", int, str], Normalized]


def _compile(event_type: str, spec: TopicSpec) -> tuple[Normalizer, str]:
    """One function ``(event, info, ts_ingest_us, source) -> Normalized`` for ``event_type``,
    generated from its schema and event class (and its source, for tests and readers)."""
    fields: tuple[str, ...] = EVENT_CLASSES[event_type]._fields
    if fields[0] != "event_symbol":
        raise SchemaContractError(f"{event_type}: the first field is not event_symbol")
    schema_fields = [f for f in spec.schema()["fields"] if f["name"] not in ENVELOPE_FIELD_NAMES]
    coercers = {str(f["name"]): _coercer(f["type"]) for f in schema_fields}
    candle = event_type == "Candle"
    raw = ["streamer_symbol", *(f"e_{name}" for name in fields[1:])]
    lines = [
        "def normalize(event, info, ts_ingest_us, source):",
        f"    {', '.join(raw)}, = event",
        "    if streamer_symbol.__class__ is not str:",
        "        streamer_symbol = str(streamer_symbol)",
    ]
    if candle:
        lines.append("    candle = _candle_symbol(streamer_symbol)")
    constants: dict[str, Any] = {}
    for name, coerce in coercers.items():
        if candle and name in _CANDLE_FIELDS:
            inline = "_string(candle.period)" if name == "period" else "_bool(candle.{0})"
            lines.append(f"    c_{name} = {inline.format(name)}")
        elif name in fields:
            lines.append(f"    c_{name} = {_INLINE[coerce].format(f'e_{name}')}")
        else:  # not sent for this type: what the coercer makes of a missing value
            constants[f"_MISSING_{name}"] = coerce(None)
            lines.append(f"    c_{name} = _MISSING_{name}")
    times = [
        f"e_{name}" for name in ("time", "bid_time", "ask_time", "event_time") if name in fields
    ]
    steps = []
    if "e_time" in times:
        steps.append(_POSITIVE_MS.format("e_time"))
    if "e_bid_time" in times and "e_ask_time" in times:
        steps.append(
            f"max({_POSITIVE_MS.format('e_bid_time')}, {_POSITIVE_MS.format('e_ask_time')})"
        )
    if "e_event_time" in times:
        steps.append(_POSITIVE_MS.format("e_event_time"))
    lines.append(f"    source_ms = {steps[0] if steps else '0'}")
    for step in steps[1:]:
        lines += ["    if not source_ms:", f"        source_ms = {step}"]
    if event_type in _DAILY_TYPES:
        day_id = "e_day_id" if "day_id" in fields else "None"
        lines += ["    if not source_ms:", f"        source_ms = _daily_ms({day_id}, ts_ingest_us)"]
    identity = IDENTITY_FIELDS[event_type]
    kinds = tuple(_RESULT_TYPE.get(coercers[name]) for name in identity)
    parts = ", ".join(f"c_{name}" for name in identity)
    if all(kinds):  # every identity value has one exact type: the compiled id
        constants["_event_id"] = compile_event_id(event_type, kinds)  # type: ignore[arg-type]
        event_id_expr = f"_event_id(streamer_symbol, {parts})"
    else:
        event_id_expr = f"_general_event_id({event_type!r}, streamer_symbol, ({parts},))"
    base = "candle.base" if candle else "streamer_symbol"
    lines += [
        "    record = {",
        f'        "event_id": {event_id_expr},',
        '        "ts_event": source_ms * 1000 if source_ms else ts_ingest_us,',
        '        "ts_ingest": ts_ingest_us,',
        '        "source": source,',
        f'        "symbol": info.symbol if info else {base},',
        '        "streamer_symbol": streamer_symbol,',
        '        "instrument_type": info.instrument_type if info else _UNKNOWN,',
        *(f'        "{name}": c_{name},' for name in coercers),
        "    }",
        "    return _Normalized(_SPEC, streamer_symbol.encode(), record)",
    ]
    source = "\n".join(lines) + "\n"
    namespace: dict[str, Any] = {
        "_double": _double,
        "_int": _int,
        "_string": _string,
        "_bool": _bool,
        "_millis_to_micros": _millis_to_micros,
        "_positive_ms": _positive_ms,
        "_daily_ms": _daily_ms,
        "_candle_symbol": _candle_symbol,
        "_general_event_id": event_id,
        "_Normalized": Normalized,
        "_SPEC": spec,
        "_UNKNOWN": UNKNOWN_INSTRUMENT,
        **constants,
    }
    exec(compile(source, f"<normalize {event_type}>", "exec"), namespace)
    return namespace["normalize"], source


_COMPILED: Final = {et: _compile(et, spec) for et, spec in MARKET_TOPICS.items()}
#: Event class → its generated normalizer.
_NORMALIZERS: Final[Mapping[type, Normalizer]] = MappingProxyType(
    {EVENT_CLASSES[et]: fn for et, (fn, _) in _COMPILED.items()}
)
#: Event type → the source of its generated normalizer (for readers and tests).
SOURCES: Final[Mapping[str, str]] = MappingProxyType(
    {et: source for et, (_, source) in _COMPILED.items()}
)


def normalize(
    event: MarketEvent,
    *,
    info: SymbolInfo | None,
    ts_ingest_us: int,
    source: str,
) -> Normalized:
    """The record of ``event`` for its topic. Raises :class:`SchemaContractError` for an event
    type without a topic (never the case for the ten DXLink market types)."""
    normalizer = _NORMALIZERS.get(type(event))
    if normalizer is None:
        raise SchemaContractError(f"no market topic for event type {type(event).__name__!r}")
    return normalizer(event, info, ts_ingest_us, source)


__all__ = ["SOURCES", "UNKNOWN_INSTRUMENT", "Normalized", "SymbolInfo", "normalize"]
