"""Render decoded Avro records as ``INSERT … VALUES`` SQL for the embedded chdb tests."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from schemas.topics import TopicSpec
from sinks.ddl import columns_for


def _is_timestamp(avro_type: Any) -> bool:
    return isinstance(avro_type, dict) and avro_type.get("logicalType") == "timestamp-micros"


def literal(value: Any, timestamp: bool = False) -> str:
    if timestamp:
        return f"fromUnixTimestamp64Micro({int(value)}, 'UTC')"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise TypeError(type(value))


def insert_sql(
    database: str,
    spec: TopicSpec,
    records: Iterable[Mapping[str, Any]],
    *,
    token: str | None = None,
) -> str:
    types = {f["name"]: f["type"] for f in spec.schema()["fields"]}
    pairs = columns_for(spec)
    columns = ", ".join(f"`{c}`" for c, _ in pairs)
    rows = [
        "(" + ", ".join(literal(r[f], _is_timestamp(types[f])) for _, f in pairs) + ")"
        for r in records
    ]
    settings = f" SETTINGS insert_deduplication_token = '{token}'" if token else ""
    return f"INSERT INTO {database}.{spec.table} ({columns}){settings} VALUES " + ", ".join(rows)
