"""The original event-id implementation, kept verbatim as the oracle of the fast one.

Never "optimize" this file: it defines the ids every replayed event must keep.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from schemas.identity import EVENT_ID_NAMESPACE, IDENTITY_FIELDS


def reference_canonical(value: object) -> str:
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


def reference_event_id(event_type: str, streamer_symbol: str, parts: Iterable[object]) -> str:
    name = "|".join(
        (
            reference_canonical(event_type),
            reference_canonical(streamer_symbol),
            *(reference_canonical(p) for p in parts),
        )
    )
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, name))


def reference_event_id_for(event_type: str, record: Mapping[str, Any]) -> str:
    names = IDENTITY_FIELDS[event_type]
    return reference_event_id(
        event_type, str(record["streamer_symbol"]), (record[n] for n in names)
    )


__all__ = ["reference_canonical", "reference_event_id", "reference_event_id_for"]
