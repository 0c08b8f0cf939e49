"""Pure normalization: a DXLink market event → the Avro record of its topic.

No I/O, no clocks (the ingest time is an argument), no globals that change: the same event
with the same context always gives the same record and the same ``event_id``. Every value is
coerced to its schema type so a record always encodes: missing doubles become NaN, missing
ints 0, missing strings ``""``; candle period/trading-hours come from the candle symbol.

This runs once per market event, so each event type gets a plan compiled once from its schema
and its event class: the source values are taken from the event tuple by position (one
``itemgetter``), each through a coercer bound once whose first test is the exact type the feed
normally sends (then the value is returned untouched), and the record is one ``dict(zip())``
in schema order. The plan-free original is the oracle of a property test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from types import MappingProxyType
from typing import Any, Final

from adapters.tastytrade.events import EVENT_CLASSES, MarketEvent
from schemas.candle_symbol import CandleSymbol, parse_candle_symbol
from schemas.envelope import ENVELOPE_FIELD_NAMES, IDENTITY_FIELDS, event_id
from schemas.errors import SchemaContractError
from schemas.topics import MARKET_TOPICS, TopicSpec

UNKNOWN_INSTRUMENT: Final = "Unknown"


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """What the ingestor knows about a streamer symbol."""

    symbol: str
    instrument_type: str


@dataclass(frozen=True, slots=True)
class Normalized:
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


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one event type becomes its record, compiled once from its schema and class."""

    event_type: str
    spec: TopicSpec
    names: tuple[str, ...]  # every record field, in schema order (envelope first)
    padded: bool  # some schema field is not in the event: read from ``event + (None,)``
    source: Callable[[tuple[Any, ...]], tuple[Any, ...]]  # source values, schema order
    coercers: tuple[Callable[[Any], Any], ...]
    identity: Callable[[list[Any]], tuple[Any, ...]]  # identity values of the coerced list
    time_at: int  # event positions of the source-time fields (-1: not in this event type)
    bid_time_at: int
    ask_time_at: int
    event_time_at: int
    day_id_at: int
    candle_at: tuple[int, int] | None  # coerced positions of period / trading_hours_only


def _plan(event_type: str, spec: TopicSpec) -> _Plan:
    fields: tuple[str, ...] = EVENT_CLASSES[event_type]._fields
    position = {name: i for i, name in enumerate(fields)}
    schema_fields = [f for f in spec.schema()["fields"] if f["name"] not in ENVELOPE_FIELD_NAMES]
    names = [str(f["name"]) for f in schema_fields]
    missing = len(fields)  # the padding None after the event's own values
    at = [position.get(name, missing) for name in names]
    if len(at) < 2 or len(IDENTITY_FIELDS[event_type]) < 2:
        raise SchemaContractError(f"{event_type}: too few fields for a compiled plan")
    return _Plan(
        event_type=event_type,
        spec=spec,
        names=ENVELOPE_FIELD_NAMES + tuple(names),
        padded=missing in at,
        source=itemgetter(*at),
        coercers=tuple(_coercer(f["type"]) for f in schema_fields),
        identity=itemgetter(*(names.index(n) for n in IDENTITY_FIELDS[event_type])),
        time_at=position.get("time", -1),
        bid_time_at=position.get("bid_time", -1),
        ask_time_at=position.get("ask_time", -1),
        event_time_at=position.get("event_time", -1),
        day_id_at=position.get("day_id", -1),
        candle_at=(names.index("period"), names.index("trading_hours_only"))
        if event_type == "Candle"
        else None,
    )


_PLANS: Final[Mapping[type, _Plan]] = MappingProxyType(
    {EVENT_CLASSES[et]: _plan(et, spec) for et, spec in MARKET_TOPICS.items()}
)
_PAD: Final = (None,)


@lru_cache(maxsize=4096)
def _candle_symbol(streamer_symbol: str) -> CandleSymbol:
    return parse_candle_symbol(streamer_symbol)  # pure: a bounded cache is safe


def _source_time_ms(plan: _Plan, event: tuple[Any, ...]) -> int:
    """The event's own time: ``time``, else the later of bid/ask time, else ``eventTime``."""
    ms = _positive_ms(event[plan.time_at]) if plan.time_at >= 0 else 0
    if not ms and plan.bid_time_at >= 0 and plan.ask_time_at >= 0:
        ms = max(_positive_ms(event[plan.bid_time_at]), _positive_ms(event[plan.ask_time_at]))
    if not ms and plan.event_time_at >= 0:
        ms = _positive_ms(event[plan.event_time_at])
    return ms


#: 2262-04-11, the last day ClickHouse ``DateTime64(6)`` and Avro readers all represent
_MAX_DAY_ID: Final = 106_751


def _daily_ms(plan: _Plan, event: tuple[Any, ...], ts_ingest_us: int) -> int:
    """Summary: midnight UTC of its ``day_id``; otherwise (or for a day id no table can hold)
    midnight UTC of the ingest day."""
    day_id = event[plan.day_id_at] if plan.day_id_at >= 0 else None
    if isinstance(day_id, int) and not isinstance(day_id, bool) and 0 < day_id <= _MAX_DAY_ID:
        return day_id * _DAY_MS
    return (ts_ingest_us // 1000) // _DAY_MS * _DAY_MS


def normalize(
    event: MarketEvent,
    *,
    info: SymbolInfo | None,
    ts_ingest_us: int,
    source: str,
) -> Normalized:
    """The record of ``event`` for its topic. Raises :class:`SchemaContractError` for an event
    type without a topic (never the case for the ten DXLink market types)."""
    plan = _PLANS.get(type(event))
    if plan is None:
        raise SchemaContractError(f"no market topic for event type {type(event).__name__!r}")
    streamer_symbol = event[0]
    if streamer_symbol.__class__ is not str:
        streamer_symbol = str(streamer_symbol)
    candle = _candle_symbol(streamer_symbol) if plan.candle_at is not None else None
    values = plan.source(event + _PAD if plan.padded else event)
    # lengths match by construction of the plan: no strict check on the hot path
    coerced = [coerce(value) for coerce, value in zip(plan.coercers, values, strict=False)]
    if candle is not None and plan.candle_at is not None:
        period_at, hours_at = plan.candle_at
        coerced[period_at] = _string(candle.period)
        coerced[hours_at] = _bool(candle.trading_hours_only)
        base = candle.base
    else:
        base = streamer_symbol
    source_ms = _source_time_ms(plan, event)
    if not source_ms and plan.event_type in _DAILY_TYPES:
        source_ms = _daily_ms(plan, event, ts_ingest_us)
    record = dict(
        zip(
            plan.names,
            (
                event_id(plan.event_type, streamer_symbol, plan.identity(coerced)),
                source_ms * 1000 if source_ms else ts_ingest_us,
                ts_ingest_us,
                source,
                info.symbol if info else base,
                streamer_symbol,
                info.instrument_type if info else UNKNOWN_INSTRUMENT,
                *coerced,
            ),
            strict=False,
        )
    )
    return Normalized(plan.spec, streamer_symbol.encode(), record)


__all__ = ["UNKNOWN_INSTRUMENT", "Normalized", "SymbolInfo", "normalize"]
