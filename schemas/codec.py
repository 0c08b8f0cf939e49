"""Avro codec in the Confluent wire format: magic byte 0, 4-byte big-endian schema id, body.

Parsed schemas are cached by id. By default timestamps stay integers (epoch microseconds,
exactly what the normalizer writes and ClickHouse ``DateTime64(6)`` takes) because decoding
reads with the logical types stripped; ``logical_types=True`` yields ``datetime`` instead.
Consumers may pass their own *reader* schemas (by record full name) so records written with an
older compatible schema resolve to the shape they expect.

Encoding is on the per-event hot path: each record schema of plain fields (boolean, int, long,
double, string) gets an encoder generated once (:mod:`schemas.avro_writer`) that writes the
same bytes as ``fastavro.schemaless_writer``; a record it cannot write as-is (a value of an
unexpected type) goes to fastavro, which coerces it or raises :class:`UnencodableRecord`.

Decoding failures are typed (:class:`BadMagicByte`, :class:`UnknownSchemaId`,
:class:`UndecodableRecord`) so a consumer can dead-letter the record and go on;
:meth:`AvroCodec.decode_many` returns them in place instead of raising.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import fastavro
from fastavro.validation import validate as _validate

from schemas.avro_writer import FAST_ENCODE_ERRORS, RecordEncoder, compile_record_encoder
from schemas.errors import (
    BadMagicByte,
    CodecError,
    SchemaContractError,
    UndecodableRecord,
    UnencodableRecord,
    UnknownSchemaId,
    UnusableSchema,
)

__all__ = ["HEADER_SIZE", "MAGIC_BYTE", "AvroCodec", "Decoded", "schema_id_of", "wire_header"]

MAGIC_BYTE: Final = 0
_HEADER: Final = struct.Struct(">bI")
HEADER_SIZE: Final = _HEADER.size


def wire_header(schema_id: int) -> bytes:
    """The 5-byte Confluent header for ``schema_id``."""
    return _HEADER.pack(MAGIC_BYTE, schema_id)


def schema_id_of(value: bytes | bytearray | memoryview | None) -> int:
    """The schema id in a wire-format value; :class:`BadMagicByte` when there is no header."""
    if value is None or len(value) < HEADER_SIZE:
        raise BadMagicByte("value shorter than the 5-byte wire header")
    magic, schema_id = _HEADER.unpack_from(value)
    if magic != MAGIC_BYTE:
        raise BadMagicByte(f"magic byte {magic & 0xFF} is not {MAGIC_BYTE}")
    return int(schema_id)


@dataclass(frozen=True, slots=True)
class Decoded:
    """One decoded value: the writer's schema id and the record."""

    schema_id: int
    record: dict[str, Any]


def _strip_logical(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_logical(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [_strip_logical(v) for v in schema]
    return schema


def _full_name(schema: Any) -> str:
    """The full name of a named schema object; "" for anything else (primitive, union)."""
    if not isinstance(schema, Mapping):
        return ""
    name = str(schema.get("name", ""))
    namespace = schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _parse(schema: Any, logical_types: bool) -> Any:
    source = schema if logical_types else _strip_logical(schema)
    try:
        return fastavro.parse_schema(source)
    except Exception as exc:  # fastavro raises assorted types for bad schemas
        raise SchemaContractError(f"invalid Avro schema: {exc}") from exc


@dataclass(frozen=True, slots=True)
class _Entry:
    schema: Any
    writer: Any
    reader: Any | None
    header: bytes


class AvroCodec:
    """Encode and decode wire-format values with schemas known by id."""

    def __init__(
        self,
        *,
        readers: Iterable[Mapping[str, Any]] = (),
        logical_types: bool = False,
        validate: bool = False,
    ) -> None:
        self._logical = logical_types
        self._validate = validate
        self._readers = {_full_name(r): _parse(r, logical_types) for r in readers}
        self._entries: dict[int, _Entry] = {}
        self._unusable: dict[int, str] = {}
        #: schema id → generated encoder (header included) of the plain record schemas
        self._fast: dict[int, RecordEncoder] = {}

    def add(self, schema_id: int, schema: str | Mapping[str, Any]) -> None:
        """Make ``schema_id`` known (idempotent); ``schema`` as JSON text or object.

        Any Avro schema is accepted, also a primitive or a union at the top (its values then
        fail to decode as records). :class:`UnusableSchema` when the text is not a schema
        fastavro can parse; the id is then remembered as unusable (see :meth:`reject`).
        """
        if schema_id in self._entries or schema_id in self._unusable:
            return
        try:
            obj: Any = json.loads(schema) if isinstance(schema, str) else dict(schema)
        except ValueError as exc:
            self.reject(schema_id, f"not JSON: {exc}")
            raise UnusableSchema(schema_id, f"not JSON: {exc}") from exc
        try:
            writer = _parse(obj, self._logical)
        except SchemaContractError as exc:
            self.reject(schema_id, exc.message)
            raise UnusableSchema(schema_id, exc.message) from exc
        is_record = isinstance(obj, Mapping) and obj.get("type") == "record"
        reader = self._readers.get(_full_name(obj)) if is_record else None
        header = wire_header(schema_id)
        self._entries[schema_id] = _Entry(obj, writer, reader, header)
        if is_record and not (self._logical or self._validate):
            fast = compile_record_encoder(writer, header)
            if fast is not None:
                self._fast[schema_id] = fast

    def reject(self, schema_id: int, reason: str) -> None:
        """Remember ``schema_id`` as unusable: its values fail with :class:`UnusableSchema`."""
        if schema_id not in self._entries:
            self._unusable[schema_id] = reason

    def knows(self, schema_id: int) -> bool:
        """Whether values of ``schema_id`` can be decoded (known and usable)."""
        return schema_id in self._entries

    def schema(self, schema_id: int) -> Any:
        """The writer schema registered under ``schema_id`` (a JSON object, list or string)."""
        return self._entry(schema_id).schema

    def record_name(self, schema_id: int) -> str | None:
        """The full name of ``schema_id``'s record schema; None when it is not a record."""
        schema = self._entry(schema_id).schema
        if isinstance(schema, Mapping) and schema.get("type") == "record":
            return f"{schema.get('namespace', '')}.{schema.get('name')}"
        return None

    def unknown_ids(self, values: Iterable[bytes | None]) -> set[int]:
        """Schema ids named by ``values`` that this codec has not seen yet (bad headers and
        ids known to be unusable skipped)."""
        ids: set[int] = set()
        for value in values:
            try:
                sid = schema_id_of(value)
            except BadMagicByte:
                continue
            if sid not in self._entries and sid not in self._unusable:
                ids.add(sid)
        return ids

    def _entry(self, schema_id: int) -> _Entry:
        try:
            return self._entries[schema_id]
        except KeyError:
            reason = self._unusable.get(schema_id)
            if reason is not None:
                raise UnusableSchema(schema_id, reason) from None
            raise UnknownSchemaId(schema_id) from None

    def _write(self, buf: io.BytesIO, entry: _Entry, record: Mapping[str, Any]) -> None:
        if self._validate:
            try:
                _validate(record, entry.writer, raise_errors=True)
            except Exception as exc:
                raise UnencodableRecord(f"record does not match its schema: {exc}") from exc
        try:
            fastavro.schemaless_writer(buf, entry.writer, record)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise UnencodableRecord(f"cannot encode record: {exc}") from exc

    def encode(self, schema_id: int, record: Mapping[str, Any]) -> bytes:
        """Header + Avro body of ``record``; :class:`UnencodableRecord` if it does not fit."""
        fast = self._fast.get(schema_id)
        if fast is not None:
            try:
                return fast(record)
            except FAST_ENCODE_ERRORS:
                pass  # an unexpected value type: fastavro coerces it or raises
        entry = self._entry(schema_id)
        buf = io.BytesIO()
        buf.write(entry.header)
        self._write(buf, entry, record)
        return buf.getvalue()

    def encode_many(self, schema_id: int, records: Iterable[Mapping[str, Any]]) -> list[bytes]:
        """Encode a batch with one schema lookup."""
        self._entry(schema_id)
        return [self.encode(schema_id, record) for record in records]

    def decode(self, value: bytes | None) -> Decoded:
        """Decode one wire-format value, raising a :class:`CodecError` subclass on failure."""
        if value is None:
            raise BadMagicByte("tombstone: no value to decode")
        schema_id = schema_id_of(value)
        entry = self._entry(schema_id)
        body = io.BytesIO(value)
        body.seek(HEADER_SIZE)
        try:
            record = fastavro.schemaless_reader(body, entry.writer, entry.reader)
        except Exception as exc:  # corrupt bodies surface as EOF/Index/Unicode/Value errors
            raise UndecodableRecord(
                f"body does not decode with schema {schema_id}: {type(exc).__name__}: {exc}",
                schema_id=schema_id,
            ) from exc
        if body.tell() != len(value):
            raise UndecodableRecord(
                f"{len(value) - body.tell()} trailing bytes after the record", schema_id=schema_id
            )
        if not isinstance(record, dict):
            raise UndecodableRecord("value is not a record", schema_id=schema_id)
        return Decoded(schema_id, record)

    def decode_many(self, values: Sequence[bytes | None]) -> list[Decoded | CodecError]:
        """Decode a batch; failures come back in place as :class:`CodecError` values."""
        out: list[Decoded | CodecError] = []
        for value in values:
            try:
                out.append(self.decode(value))
            except CodecError as exc:
                out.append(exc)
        return out
