"""One batch of raw records → table columns plus dead letters (pure CPU work, run in a thread).

Deterministic: the same raw records always give the same columns and the same letters, which
is what makes a replayed batch the *same* batch under its dedup token.

A record is dead-lettered when its value cannot be decoded (:class:`schemas.BadMagicByte`,
:class:`schemas.UnknownSchemaId`, :class:`schemas.UndecodableRecord`), when it was written with a
schema of another record type than the topic's, or when a field does not fit its column
(:class:`RecordViolatesTable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas import AvroCodec, CodecError
from sinks.batch import PartitionBatch, RawRecord
from sinks.columns import TableLayout
from sinks.dlq import DeadLetter, dead_letter_record
from sinks.errors import SinkError
from sinks.routes import Route

__all__ = [
    "Prepared",
    "RecordViolatesTable",
    "WrongRecordType",
    "prepare_batch",
    "reject_violations",
]


class RecordViolatesTable(SinkError):
    """A decoded record has a value its table column cannot hold."""


class WrongRecordType(SinkError):
    """The value decodes, but with the schema of another record type than the topic carries."""


@dataclass(slots=True)
class Prepared:
    """Columns ready to insert and the letters of the records left out."""

    batch: PartitionBatch
    columns: list[list[Any]]
    rows: int
    letters: list[DeadLetter] = field(default_factory=list)
    published: int = 0

    def unpublished(self) -> list[DeadLetter]:
        return self.letters[self.published :]

    def mark_published(self) -> None:
        self.published = len(self.letters)


def _decode(
    batch: PartitionBatch, route: Route, codec: AvroCodec, consumer: str
) -> tuple[list[RawRecord], list[dict[str, Any]], list[DeadLetter]]:
    records: list[RawRecord] = batch.records
    decoded = codec.decode_many([r.value for r in records])
    expected = route.spec.record_name
    names: dict[int, str | None] = {}
    kept: list[RawRecord] = []
    values: list[dict[str, Any]] = []
    letters: list[DeadLetter] = []
    for raw, result in zip(records, decoded, strict=True):
        if isinstance(result, CodecError):
            letters.append(dead_letter_record(raw, result, consumer=consumer))
            continue
        if result.schema_id not in names:
            names[result.schema_id] = codec.record_name(result.schema_id)
        name = names[result.schema_id]
        if name != expected:
            kind = f"record type {name}" if name is not None else "a schema that is not a record"
            error = WrongRecordType(f"{kind} (schema id {result.schema_id}) is not {expected}")
            letters.append(dead_letter_record(raw, error, consumer=consumer))
            continue
        kept.append(raw)
        values.append(result.record)
    return kept, values, letters


def _split_violations(
    layout: TableLayout,
    kept: Sequence[RawRecord],
    values: Sequence[dict[str, Any]],
    consumer: str,
) -> tuple[list[dict[str, Any]], list[DeadLetter]]:
    good: list[dict[str, Any]] = []
    letters: list[DeadLetter] = []
    for raw, value in zip(kept, values, strict=True):
        reason = layout.violations(value)
        if reason is None:
            good.append(value)
        else:
            letters.append(dead_letter_record(raw, RecordViolatesTable(reason), consumer=consumer))
    return good, letters


#: Records decoded at a time: decoded dicts are ~10x their bytes, so only a slice lives at once.
DECODE_SLICE = 5_000


def prepare_batch(
    batch: PartitionBatch, route: Route, layout: TableLayout, codec: AvroCodec, consumer: str
) -> Prepared:
    """Decode ``batch`` (schemas must already be in ``codec``) and build its columns."""
    columns: list[list[Any]] = [[] for _ in layout.plans]
    letters: list[DeadLetter] = []
    rows = 0
    records = batch.records
    for start in range(0, len(records), DECODE_SLICE):
        part = PartitionBatch(
            batch.topic, batch.partition, 0.0, records[start : start + DECODE_SLICE]
        )
        kept, values, bad_records = _decode(part, route, codec, consumer)
        letters.extend(bad_records)
        raw = layout.extract(values)
        if layout.bad_columns(raw):
            values, violations = _split_violations(layout, kept, values, consumer)
            letters.extend(violations)
            raw = layout.extract(values)
        for column, converted in zip(columns, layout.convert(raw), strict=True):
            column.extend(converted)
        rows += len(values)
    letters.sort(key=lambda letter: int(letter.record["offset"]))
    return Prepared(batch, columns, rows, letters)


def reject_violations(
    prepared: Prepared, route: Route, layout: TableLayout, codec: AvroCodec, consumer: str
) -> Prepared | None:
    """After ClickHouse refused ``prepared``: the batch without the records that explain it,
    or None when every record passes the row checks (then the table is at fault, not the data).
    """
    kept, values, letters = _decode(prepared.batch, route, codec, consumer)
    good, bad = _split_violations(layout, kept, values, consumer)
    known = {int(letter.record["offset"]) for letter in prepared.letters}
    if all(int(letter.record["offset"]) in known for letter in bad):
        return None
    letters.extend(bad)
    letters.sort(key=lambda letter: int(letter.record["offset"]))
    published = {int(letter.record["offset"]) for letter in prepared.letters[: prepared.published]}
    again = Prepared(prepared.batch, layout.convert(layout.extract(good)), len(good), letters)
    # letters already produced are not produced again
    again.letters = [lt for lt in letters if int(lt.record["offset"]) in published] + [
        lt for lt in letters if int(lt.record["offset"]) not in published
    ]
    again.published = len(published & {int(lt.record["offset"]) for lt in letters})
    return again
