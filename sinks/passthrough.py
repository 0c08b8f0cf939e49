"""The fast path: ClickHouse decodes the Avro of a clean batch itself.

Python decoding (:mod:`sinks.prepare`) costs ~10 µs a record; ClickHouse reads Avro at a few
hundred nanoseconds. When every value of a batch carries the Confluent header with one schema
id, and that writer schema is *passthrough-safe* for the topic's table (:func:`plan_passthrough`),
the sink strips the 5-byte headers and sends the bodies as one Avro object container (one
block) in::

    INSERT INTO db.table (cols…) SELECT exprs… FROM input('field Type, …')
    WHERE throwIf(NOT (checks…), …) = 0 FORMAT Avro

under the batch's usual deduplication token. The statement is built once per (topic, schema id).

Equivalence with the Python path is the contract: for any batch the fast insert *accepts*, the
table gets exactly the rows the Python path would insert. So the fast path is deliberately
stricter, and anything it does not accept fails the whole statement (one block: nothing lands)
and the batch goes through the Python path, which dead-letters the culprits:

* the writer schema must be the topic's record type, with exactly the reader's fields, all
  primitive (then Avro resolution is the identity and logical types change nothing);
* every column must be of a type this module converts exactly like :mod:`sinks.columns`
  (``DateTime64(6)``, integers, ``Bool``, ``Float32/64``, ``String``, ``UUID``; nullable and
  low-cardinality wrappers allowed); others keep the Python path;
* the ``WHERE`` re-checks what :class:`sinks.columns.TableLayout` checks (timestamp and integer
  ranges), accepts only canonical UUID text, and rejects invalid UTF-8 in every string field
  (fastavro refuses to decode it);
* every body is followed by a 16-byte *end marker* (random per process, 16 distinct bytes) read
  as one more field and compared: a body with trailing bytes, or one that is shorter than its
  schema says, shifts the marker and fails the insert (the Python codec refuses both), instead
  of silently mis-reading the next record.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from schemas.avro_writer import encode_long as _long
from schemas.codec import HEADER_SIZE, MAGIC_BYTE, schema_id_of
from sinks.columns import ColumnPlan, TableLayout, parse_column_type

__all__ = [
    "FallbackReason",
    "FastInsert",
    "NotPassthrough",
    "avro_container",
    "new_marker",
    "plan_passthrough",
    "scan_headers",
]

MARKER_FIELD: Final = "tastystream_sink_end_marker"
MARKER_SIZE: Final = 16
#: Avro primitive → the ``input()`` structure type that reads it without conversion.
_INPUT_TYPES: Final[Mapping[str, str]] = {
    "string": "String",
    "long": "Int64",
    "int": "Int32",
    "double": "Float64",
    "float": "Float32",
    "boolean": "Bool",
}
_SOURCE_RANGES: Final[Mapping[str, tuple[int, int]]] = {
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT = re.compile(r"^U?Int(8|16|32|64|128|256)$")
_DT64_MICROS = re.compile(r"^DateTime64\(6(?:,\s*'[^']*')?\)$")
_OCF_MAGIC: Final = b"Obj\x01"


class FallbackReason(StrEnum):
    """Why a batch took the Python path (a metrics label)."""

    TOMBSTONE = "tombstone"
    BAD_MAGIC = "bad_magic_byte"
    MIXED_SCHEMAS = "mixed_schema_ids"
    UNKNOWN_SCHEMA = "unknown_schema_id"
    NOT_PASSTHROUGH = "schema_not_passthrough"
    REJECTED = "rejected_by_clickhouse"
    FAILING = "fast_insert_failing"
    """The fast insert kept failing with a transient error: the Python path (which retries
    an outage too) does not depend on ClickHouse parsing the bodies."""
    DISABLED = "disabled"


def scan_headers(values: Sequence[bytes | None]) -> int | FallbackReason:
    """The one schema id of every value's Confluent header, or why there is none (cheap: no
    body is looked at)."""
    if not values:
        return FallbackReason.TOMBSTONE
    first = values[0]
    if first is None:
        return FallbackReason.TOMBSTONE
    head = first[:HEADER_SIZE]
    if len(head) < HEADER_SIZE or head[0] != MAGIC_BYTE:
        return FallbackReason.BAD_MAGIC
    if all(v is not None and v.startswith(head) for v in values):
        return schema_id_of(head)
    for v in values:
        if v is None:
            return FallbackReason.TOMBSTONE
        if len(v) < HEADER_SIZE or v[0] != MAGIC_BYTE:
            return FallbackReason.BAD_MAGIC
    return FallbackReason.MIXED_SCHEMAS


def new_marker() -> bytes:
    """16 distinct random bytes: no shift of the marker matches itself (see module doc)."""
    return bytes(random.SystemRandom().sample(range(256), MARKER_SIZE))


def _bytes(data: bytes) -> bytes:
    return _long(len(data)) + data


def avro_container(schema: Mapping[str, Any], sync: bytes, bodies: bytes, count: int) -> bytes:
    """An Avro object container file: header (``schema``, codec null, ``sync``) and one block of
    ``count`` records whose encodings are concatenated in ``bodies``."""
    meta = {"avro.schema": json.dumps(schema).encode(), "avro.codec": b"null"}
    header = b"".join(
        [
            _OCF_MAGIC,
            _long(len(meta)),
            *(_bytes(k.encode()) + _bytes(v) for k, v in meta.items()),
            _long(0),
            sync,
        ]
    )
    return b"".join((header, _long(count), _long(len(bodies)), bodies, sync))


@dataclass(frozen=True, slots=True)
class NotPassthrough:
    """A writer schema the fast path does not take, and why (logged once)."""

    schema_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class FastInsert:
    """The fast insert of one (table, writer schema id): SQL and container framing."""

    schema_id: int
    sql: str
    schema: Mapping[str, Any]
    """The container's schema: the writer's fields (primitive) plus the end marker."""
    marker: bytes
    sync: bytes

    def container(self, values: Sequence[bytes]) -> bytes:
        """The container of ``values`` (wire-format values with this plan's header)."""
        marker = self.marker
        bodies = marker.join([v[HEADER_SIZE:] for v in values]) + marker
        return avro_container(self.schema, self.sync, bodies, len(values))


def _primitive(avro_type: Any) -> str | None:
    if isinstance(avro_type, str):
        return avro_type if avro_type in _INPUT_TYPES else None
    if isinstance(avro_type, Mapping) and isinstance(avro_type.get("type"), str):
        inner = str(avro_type["type"])
        return inner if inner in _INPUT_TYPES else None
    return None


def _fields(schema: Mapping[str, Any]) -> dict[str, str] | str:
    fields: dict[str, str] = {}
    for f in schema.get("fields", []):
        name = str(f.get("name", ""))
        kind = _primitive(f.get("type"))
        if kind is None:
            return f"field {name!r} is not of a primitive type"
        if not _NAME.match(name) or name == MARKER_FIELD:
            return f"field name {name!r} is not plain"
        fields[name] = kind
    return fields


def _ident(name: str) -> str:
    return f"`{name}`"


def _column(plan: ColumnPlan, source: str) -> tuple[str, list[str]] | None:
    """The SELECT expression feeding ``plan``'s column and its row checks, or None when this
    module cannot convert it exactly like :meth:`TableLayout.convert`."""
    base, _nullable = parse_column_type(plan.column.type)
    f = _ident(plan.field)
    if _DT64_MICROS.match(base) and source == "long" and plan.bounds is not None:
        lo, hi = plan.bounds
        return f"fromUnixTimestamp64Micro({f}, 'UTC')", [f"{f} BETWEEN {lo} AND {hi}"]
    if _INT.match(base) and source in _SOURCE_RANGES and plan.bounds is not None:
        lo, hi = plan.bounds
        src_lo, src_hi = _SOURCE_RANGES[source]
        checks = [f"{f} >= {lo}"] if lo > src_lo else []
        checks += [f"{f} <= {hi}"] if hi < src_hi else []
        return f, checks
    if base in ("Bool", "Boolean") and source == "boolean":
        return f, []
    if (base == "Float64" and source in ("double", "float")) or (
        base == "Float32" and source == "float"
    ):
        return f, []
    if base == "String" and source == "string":
        return f, []  # UTF-8 validity is checked for every string field
    if base == "UUID" and source == "string":
        # canonical 8-4-4-4-12 text only (any case); uuid.UUID takes more forms: Python path
        return f"toUUID({f})", [
            f"length({f}) = 36",
            f"toString(toUUIDOrZero({f})) = lower({f})",
        ]
    return None


def plan_passthrough(
    layout: TableLayout,
    reader: Mapping[str, Any],
    schema_id: int,
    writer: Any,
    marker: bytes,
) -> FastInsert | NotPassthrough:
    """The fast insert of ``layout``'s table for values written with ``writer`` (registry id
    ``schema_id``), or why the Python path must decode them. ``reader`` is the topic's schema.
    """
    expected = f"{reader.get('namespace', '')}.{reader.get('name')}"
    if not isinstance(writer, Mapping):  # a primitive or a union at the top
        return NotPassthrough(schema_id, f"schema is not a record: {str(writer)[:80]}")
    name = f"{writer.get('namespace', '')}.{writer.get('name')}"  # as sinks.prepare names it
    if writer.get("type") != "record" or name != expected:
        return NotPassthrough(schema_id, f"record type {name} is not {expected}")
    fields = _fields(writer)
    if isinstance(fields, str):
        return NotPassthrough(schema_id, fields)
    wanted = _fields(reader)
    if fields != wanted:
        return NotPassthrough(schema_id, "fields differ from the reader schema")
    exprs: list[str] = []
    checks = [f"isValidUTF8({_ident(n)})" for n, kind in fields.items() if kind == "string"]
    for plan in layout.plans:
        column = _column(plan, fields[plan.field])
        if column is None:
            return NotPassthrough(
                schema_id, f"column {plan.column.name} {plan.column.type} is not converted here"
            )
        exprs.append(column[0])
        checks.extend(column[1])
    checks.append(f"{_ident(MARKER_FIELD)} = unhex('{marker.hex()}')")
    structure = ", ".join(
        [f"{_ident(n)} {_INPUT_TYPES[kind]}" for n, kind in fields.items()]
        + [f"{_ident(MARKER_FIELD)} FixedString({MARKER_SIZE})"]
    )
    columns = ", ".join(_ident(c) for c in layout.column_names)
    sql = (
        f"INSERT INTO {_ident(layout.database)}.{_ident(layout.table)} ({columns})"
        f" SELECT {', '.join(exprs)} FROM input('{structure}')"
        f" WHERE throwIf(NOT ({' AND '.join(checks)}), 'a record fails the fast-path checks') = 0"
        " FORMAT Avro"
    )
    schema = {
        "type": "record",
        "name": "Passthrough",
        "namespace": "tastystream.sink",
        "fields": [{"name": n, "type": kind} for n, kind in _writer_order(writer, fields)]
        + [
            {
                "name": MARKER_FIELD,
                "type": {"type": "fixed", "name": "EndMarker", "size": MARKER_SIZE},
            }
        ],
    }
    return FastInsert(schema_id, sql, schema, marker, random.randbytes(16))


def _writer_order(writer: Mapping[str, Any], fields: Mapping[str, str]) -> list[tuple[str, str]]:
    """The fields in the writer's order: the binary layout of its bodies."""
    return [(str(f["name"]), fields[str(f["name"])]) for f in writer.get("fields", [])]
