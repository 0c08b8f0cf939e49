"""Avro field → ClickHouse column mapping of the market tables.

Each market table has exactly the columns of its topic's Avro record, in the same order, with
one rename: the envelope's ``ts_event`` is the table's ``ts`` (the partition and sort time).
Timestamps stay integers (epoch microseconds), which ``clickhouse-connect`` inserts into
``DateTime64(6)`` columns as ticks.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

from schemas.topics import TopicSpec

__all__ = ["RENAMES", "column_names", "columns_for", "row_of"]

#: Avro field name → column name, where they differ.
RENAMES: Final[Mapping[str, str]] = {"ts_event": "ts"}


@functools.cache
def columns_for(spec: TopicSpec) -> tuple[tuple[str, str], ...]:
    """``(column, avro_field)`` pairs of ``spec``'s table, in table order."""
    return tuple((RENAMES.get(f["name"], f["name"]), f["name"]) for f in spec.schema()["fields"])


def column_names(spec: TopicSpec) -> tuple[str, ...]:
    """Column names of ``spec``'s table, in the order :func:`row_of` produces values."""
    return tuple(column for column, _ in columns_for(spec))


def row_of(spec: TopicSpec, record: Mapping[str, Any]) -> list[Any]:
    """One decoded record as a row for ``client.insert(table, rows, column_names=...)``."""
    return [record[field] for _, field in columns_for(spec)]
