"""The original (pre-plan) normalization, kept verbatim as the oracle of the fast one.

Never "optimize" this file: the fast ``ingest.normalize.normalize`` must produce exactly the
records (and event ids, through the original event-id implementation) this one does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from adapters.tastytrade.events import MarketEvent
from ingest.normalize import UNKNOWN_INSTRUMENT, Normalized, SymbolInfo
from schemas.candle_symbol import parse_candle_symbol
from schemas.envelope import ENVELOPE_FIELD_NAMES
from schemas.errors import SchemaContractError
from schemas.topics import MARKET_TOPICS, TopicSpec
from tests.unit.schemas.reference_identity import reference_event_id_for


def _double(value: Any) -> float:
    if value is None or isinstance(value, str):
        return math.nan
    return float(value)


def _int(value: Any) -> int:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return 0
    return int(value)


def _string(value: Any) -> str:
    return "" if value is None else str(value)


def _bool(value: Any) -> bool:
    return bool(value) if value is not None else False


def _coercer(avro_type: Any) -> Callable[[Any], Any]:
    if isinstance(avro_type, dict):
        if avro_type.get("logicalType") == "timestamp-micros":
            return _millis_to_micros
        avro_type = avro_type.get("type")
    return {
        "double": _double,
        "float": _double,
        "int": _int,
        "long": _int,
        "string": _string,
        "boolean": _bool,
    }.get(str(avro_type), lambda v: v)


def _millis_to_micros(value: Any) -> int:
    """Event time fields arrive as epoch ms; the schema holds micros (0 when unknown/none)."""
    millis = _int(value)
    return millis * 1000 if millis > 0 else 0


@dataclass(frozen=True, slots=True)
class _Plan:
    spec: TopicSpec
    fields: tuple[tuple[str, Callable[[Any], Any]], ...]


def _plans() -> Mapping[str, _Plan]:
    plans: dict[str, _Plan] = {}
    for event_type, spec in MARKET_TOPICS.items():
        fields = tuple(
            (f["name"], _coercer(f["type"]))
            for f in spec.schema()["fields"]
            if f["name"] not in ENVELOPE_FIELD_NAMES
        )
        plans[event_type] = _Plan(spec, fields)
    return MappingProxyType(plans)


_PLANS: Final = _plans()


def _positive_ms(raw: Any) -> int:
    if (
        isinstance(raw, (int, float))
        and not isinstance(raw, bool)
        and math.isfinite(raw)
        and raw > 0
    ):
        return int(raw)
    return 0


def _source_time_ms(values: Mapping[str, Any]) -> int:
    """The event's own time: ``time``, else the later of bid/ask time, else ``eventTime``."""
    return (
        _positive_ms(values.get("time"))
        or max(_positive_ms(values.get("bid_time")), _positive_ms(values.get("ask_time")))
        or _positive_ms(values.get("event_time"))
    )


_DAY_MS: Final = 86_400_000
#: Snapshot-like events without a time of their own: their ``ts_event`` is a day, not the ingest
#: instant, so the same event re-sent (every DXLink resubscribe re-sends them) keeps its ``ts``
#: and collapses with its twin in the ``ReplacingMergeTree`` tables.
_DAILY_TYPES: Final = frozenset({"Summary", "Profile"})


def _daily_ms(values: Mapping[str, Any], ts_ingest_us: int) -> int:
    """Summary: midnight UTC of its ``day_id``; otherwise midnight UTC of the ingest day."""
    day_id = values.get("day_id")
    # (one deliberate change since it was frozen: day ids past 2262-04-11 are not representable)
    if isinstance(day_id, int) and not isinstance(day_id, bool) and 0 < day_id <= 106_751:
        return day_id * _DAY_MS
    return (ts_ingest_us // 1000) // _DAY_MS * _DAY_MS


def reference_normalize(
    event: MarketEvent,
    *,
    info: SymbolInfo | None,
    ts_ingest_us: int,
    source: str,
) -> Normalized:
    """The record of ``event`` for its topic. Raises :class:`SchemaContractError` for an event
    type without a topic (never the case for the ten DXLink market types)."""
    event_type = type(event).__name__
    plan = _PLANS.get(event_type)
    if plan is None:
        raise SchemaContractError(f"no market topic for event type {event_type!r}")
    values = event._asdict()
    streamer_symbol = str(values["event_symbol"])
    if event_type == "Candle":
        candle = parse_candle_symbol(streamer_symbol)
        values["period"] = candle.period
        values["trading_hours_only"] = candle.trading_hours_only
        base = candle.base
    else:
        base = streamer_symbol
    source_ms = _source_time_ms(values)
    if not source_ms and event_type in _DAILY_TYPES:
        source_ms = _daily_ms(values, ts_ingest_us)
    record: dict[str, Any] = {
        "event_id": "",
        "ts_event": source_ms * 1000 if source_ms else ts_ingest_us,
        "ts_ingest": ts_ingest_us,
        "source": source,
        "symbol": info.symbol if info else base,
        "streamer_symbol": streamer_symbol,
        "instrument_type": info.instrument_type if info else UNKNOWN_INSTRUMENT,
    }
    for name, coerce in plan.fields:
        record[name] = coerce(values.get(name))
    record["event_id"] = reference_event_id_for(event_type, record)
    return Normalized(plan.spec, streamer_symbol.encode(), record)


__all__ = ["reference_normalize"]
