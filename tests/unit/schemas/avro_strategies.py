"""Hypothesis strategies that build records for any of our Avro record schemas."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

_INT32 = st.integers(-(2**31), 2**31 - 1)
_INT64 = st.integers(-(2**63), 2**63 - 1)


def for_type(avro_type: Any) -> st.SearchStrategy[Any]:
    if isinstance(avro_type, list):
        return st.one_of(*(for_type(branch) for branch in avro_type))
    if isinstance(avro_type, dict):
        if avro_type.get("logicalType") == "timestamp-micros":
            return st.integers(0, 4_102_444_800_000_000)  # up to 2100-01-01
        if avro_type["type"] == "record":
            return records(avro_type)
        if avro_type["type"] == "array":
            return st.lists(for_type(avro_type["items"]), max_size=3)
        return for_type(avro_type["type"])
    return {
        "null": st.none(),
        "boolean": st.booleans(),
        "int": _INT32,
        "long": _INT64,
        "double": st.floats(allow_nan=True, allow_infinity=True),
        "string": st.text(max_size=40),
        "bytes": st.binary(max_size=64),
    }[avro_type]


def records(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({f["name"]: for_type(f["type"]) for f in schema["fields"]})


def same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN (and -0.0 keeps its sign)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) and type(a) is type(b)
