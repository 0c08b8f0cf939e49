"""The envelope every market event carries, deterministic event ids and ingest timestamps.

The envelope fields are defined once, here (:data:`ENVELOPE_FIELDS`); every market ``.avsc``
file starts with exactly these fields and :func:`check_envelope` enforces it whenever a schema
is loaded, so the files cannot drift apart.

``event_id`` is a UUIDv5 over the event type, the streamer symbol and the event's *source*
content (every field except the ones the ingestor adds), so the same source event always gets
the same id: a quote resent after a DXLink reconnect, or a candle backfilled twice, dedupes.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from schemas.errors import SchemaContractError

__all__ = [
    "ENVELOPE_FIELDS",
    "ENVELOPE_FIELD_NAMES",
    "EVENT_ID_NAMESPACE",
    "IDENTITY_FIELDS",
    "check_envelope",
    "event_id",
    "event_id_for",
    "micros_from_millis",
    "ts_ingest",
]

_TS_MICROS: Final = {"type": "long", "logicalType": "timestamp-micros"}

ENVELOPE_FIELDS: Final[tuple[Mapping[str, Any], ...]] = (
    {
        "name": "event_id",
        "type": "string",
        "doc": "Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.",
    },
    {
        "name": "ts_event",
        "type": _TS_MICROS,
        "doc": "Source time of the event, UTC microseconds since the epoch (the feed's event or field time; the ingest time when the feed gives none).",
    },
    {
        "name": "ts_ingest",
        "type": _TS_MICROS,
        "doc": "When the ingestor received the event, UTC microseconds since the epoch.",
    },
    {
        "name": "source",
        "type": "string",
        "doc": "Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.",
    },
    {
        "name": "symbol",
        "type": "string",
        "doc": "Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.",
    },
    {
        "name": "streamer_symbol",
        "type": "string",
        "doc": "The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.",
    },
    {
        "name": "instrument_type",
        "type": "string",
        "doc": "Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.",
    },
)

ENVELOPE_FIELD_NAMES: Final[tuple[str, ...]] = tuple(str(f["name"]) for f in ENVELOPE_FIELDS)

#: The source fields that identify an event, per DXLink event type: frozen with v1 of each
#: schema, so fields added later never change the id of a replayed event. Envelope fields and
#: derived fields (``ts_event`` may fall back to the ingest time; candle ``period``) are not in it.
IDENTITY_FIELDS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "Quote": (
            "sequence",
            "time_nano_part",
            "bid_time",
            "bid_exchange_code",
            "bid_price",
            "bid_size",
            "ask_time",
            "ask_exchange_code",
            "ask_price",
            "ask_size",
        ),
        "Trade": (
            "time",
            "time_nano_part",
            "sequence",
            "exchange_code",
            "price",
            "change",
            "size",
            "day_id",
            "day_volume",
            "day_turnover",
            "tick_direction",
            "extended_trading_hours",
        ),
        "TradeETH": (
            "time",
            "time_nano_part",
            "sequence",
            "exchange_code",
            "price",
            "change",
            "size",
            "day_id",
            "day_volume",
            "day_turnover",
            "tick_direction",
            "extended_trading_hours",
        ),
        "Summary": (
            "day_id",
            "day_open_price",
            "day_high_price",
            "day_low_price",
            "day_close_price",
            "day_close_price_type",
            "prev_day_id",
            "prev_day_close_price",
            "prev_day_close_price_type",
            "prev_day_volume",
            "open_interest",
        ),
        "Profile": (
            "description",
            "short_sale_restriction",
            "trading_status",
            "status_reason",
            "halt_start_time",
            "halt_end_time",
            "high_limit_price",
            "low_limit_price",
            "high_52_week_price",
            "low_52_week_price",
            "beta",
            "earnings_per_share",
            "dividend_frequency",
            "ex_dividend_amount",
            "ex_dividend_day_id",
            "shares",
            "free_float",
        ),
        "Greeks": (
            "event_flags",
            "index",
            "time",
            "sequence",
            "price",
            "volatility",
            "delta",
            "gamma",
            "theta",
            "rho",
            "vega",
        ),
        "Candle": (
            "event_flags",
            "index",
            "time",
            "sequence",
            "count",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "vwap",
            "bid_volume",
            "ask_volume",
            "imp_volatility",
            "open_interest",
        ),
        "TheoPrice": (
            "event_flags",
            "index",
            "time",
            "sequence",
            "price",
            "underlying_price",
            "delta",
            "gamma",
            "dividend",
            "interest",
        ),
        "TimeAndSale": (
            "event_flags",
            "index",
            "time",
            "time_nano_part",
            "sequence",
            "exchange_code",
            "price",
            "size",
            "bid_price",
            "ask_price",
            "exchange_sale_conditions",
            "trade_through_exempt",
            "aggressor_side",
            "spread_leg",
            "extended_trading_hours",
            "valid_tick",
            "type",
            "buyer",
            "seller",
        ),
        "Underlying": (
            "event_flags",
            "index",
            "time",
            "sequence",
            "volatility",
            "front_volatility",
            "back_volatility",
            "call_volume",
            "put_volume",
            "option_volume",
            "put_call_ratio",
        ),
    }
)

#: Fixed namespace of all event ids (never change it: ids would change on replay).
EVENT_ID_NAMESPACE: Final = uuid.UUID("6f1c1c2e-6d0b-5b8e-9a57-7a5f0d3c2b11")


def check_envelope(schema: Mapping[str, Any], *, origin: str = "schema") -> None:
    """Raise :class:`SchemaContractError` unless ``schema`` starts with the envelope fields."""
    fields = schema.get("fields")
    if not isinstance(fields, list) or len(fields) < len(ENVELOPE_FIELDS):
        raise SchemaContractError(f"{origin}: not a record with the envelope fields")
    for expected, actual in zip(ENVELOPE_FIELDS, fields, strict=False):
        if dict(expected) != actual:
            raise SchemaContractError(
                f"{origin}: envelope field {expected['name']!r} differs: {actual!r}"
            )


def _canonical(value: object) -> str:
    # bool before int (bool is an int); floats in hex so the encoding is exact; NaN is one value.
    if value is None:
        return "n"
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        if math.isnan(value):
            return "fnan"
        if value == 0.0:  # -0.0 and 0.0 are the same price
            return "f0"
        return f"f{value.hex()}"
    if isinstance(value, str):
        return f"s{len(value)}:{value}"
    if isinstance(value, bytes):
        return f"b{value.hex()}"
    raise TypeError(f"event identity cannot hold {type(value).__name__}")


def event_id(event_type: str, streamer_symbol: str, parts: Iterable[object]) -> str:
    """UUIDv5 (as a string) over ``event_type``, ``streamer_symbol`` and identity ``parts``.

    Parts are encoded unambiguously (typed, length-prefixed strings, exact float hex, one
    NaN, one zero), so two different part lists never produce the same name.
    """
    name = "|".join(
        (_canonical(event_type), _canonical(streamer_symbol), *(_canonical(p) for p in parts))
    )
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, name))


def event_id_for(event_type: str, record: Mapping[str, Any]) -> str:
    """The event id of a normalized record of ``event_type`` (a key of :data:`IDENTITY_FIELDS`).

    Uses the record's ``streamer_symbol`` and its identity fields, in their frozen order.
    """
    try:
        names = IDENTITY_FIELDS[event_type]
    except KeyError:
        raise SchemaContractError(f"no identity defined for event type {event_type!r}") from None
    return event_id(event_type, str(record["streamer_symbol"]), (record[n] for n in names))


def micros_from_millis(millis: int | float) -> int:
    """Epoch milliseconds (as DXLink sends them) to epoch microseconds; NaN/None-ish → 0."""
    if isinstance(millis, float) and not math.isfinite(millis):
        return 0
    return int(millis) * 1000


def ts_ingest(clock: Callable[[], int] = time.time_ns) -> int:
    """Now, UTC microseconds since the epoch (``clock`` returns epoch nanoseconds)."""
    return clock() // 1000
