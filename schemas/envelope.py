"""The envelope every market event carries, deterministic event ids and ingest timestamps.

The envelope fields are defined once, here (:data:`ENVELOPE_FIELDS`); every market ``.avsc``
file starts with exactly these fields and :func:`check_envelope` enforces it whenever a schema
is loaded, so the files cannot drift apart.

Deterministic ids live in :mod:`schemas.identity` (re-exported here): same source event,
same ``event_id``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from schemas.errors import SchemaContractError
from schemas.identity import EVENT_ID_NAMESPACE, IDENTITY_FIELDS, event_id, event_id_for

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


def micros_from_millis(millis: int | float) -> int:
    """Epoch milliseconds (as DXLink sends them) to epoch microseconds; NaN/None-ish → 0."""
    if isinstance(millis, float) and not math.isfinite(millis):
        return 0
    return int(millis) * 1000


def ts_ingest(clock: Callable[[], int] = time.time_ns) -> int:
    """Now, UTC microseconds since the epoch (``clock`` returns epoch nanoseconds)."""
    return clock() // 1000
