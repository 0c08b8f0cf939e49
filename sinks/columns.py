"""Decoded Avro records → the columns of a ClickHouse table, driven by the table itself.

The sink reads each table's columns from ``system.columns`` at start-up and builds a
:class:`TableLayout`: which record field feeds which column and how the value converts
(``timestamp-micros`` longs → ``DateTime64(p)`` ticks, ``DateTime`` seconds, ``Date`` days;
Avro ``date`` ints → ``Date``/``Date32`` days; Avro ``decimal`` bytes → exact ``Decimal(P, S)``
of the same scale, and arrays of records → ``Array(Tuple(...))``, see :mod:`sinks.composite`).
Columns computed by the table (``MATERIALIZED``, ``ALIAS``, ``EPHEMERAL``) are never sent; a
``DEFAULT`` column with no matching field is left to its default; any other column without a
source is a :class:`TableMismatch` at start-up, not a surprise at 3 a.m.

Conversion is column-wise (one list per column, what clickhouse-connect's columnar insert
takes). Each column has a cheap whole-column check (ranges by min/max, enum membership); only
when it fails does :meth:`TableLayout.violations` look at single rows to name the culprits,
which the sink dead-letters.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sinks.composite import column_scale, composite_for, decimal_scales
from sinks.errors import TableMismatch

__all__ = ["Column", "ColumnPlan", "TableLayout", "parse_column_type"]

_COMPUTED: Final = frozenset({"MATERIALIZED", "ALIAS", "EPHEMERAL"})
#: Columns that may be fed by a differently named envelope field.
_FIELD_ALIASES: Final[Mapping[str, str]] = {"ts": "ts_event"}
_WRAPPER = re.compile(r"^(LowCardinality|Nullable)\((.*)\)$")
_INT = re.compile(r"^(U?)Int(8|16|32|64|128|256)$")
_DT64 = re.compile(r"^DateTime64\((\d)(?:,\s*'[^']*')?\)$")
_ENUM = re.compile(r"^Enum(?:8|16)\((.*)\)$")
_ENUM_NAME = re.compile(r"'((?:[^'\\]|\\.)*)'\s*=\s*-?\d+")
_FIXED = re.compile(r"^FixedString\((\d+)\)$")
# DateTime64 covers 1900-01-01 … 2299-12-31 (in microseconds since the epoch).
_DT64_MIN_US: Final = -2_208_988_800_000_000
_DT64_MAX_US: Final = 10_413_791_999_999_999
_DATETIME_MAX_S: Final = 4_294_967_295
_US_PER_DAY: Final = 86_400_000_000


@dataclass(frozen=True, slots=True)
class Column:
    """One column as ``system.columns`` describes it."""

    name: str
    type: str
    default_kind: str = ""


Convert = Callable[[list[Any]], list[Any]]
Check = Callable[[Any], bool]


def _identity(values: list[Any]) -> list[Any]:
    return values


def _scale(factor: int, divide: bool) -> Convert:
    if divide:
        return lambda values: [v // factor for v in values]
    return lambda values: [v * factor for v in values]


def _int_range(lo: int, hi: int) -> Check:
    return lambda v: isinstance(v, int) and lo <= v <= hi


def _is_uuid(v: Any) -> bool:
    try:
        uuid.UUID(str(v))
    except ValueError:
        return False
    return True


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float))


def _is_text(v: Any) -> bool:
    return isinstance(v, (str, bytes))


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """How one column is fed: source field, conversion and the per-value check."""

    column: Column
    field: str
    convert: Convert
    check: Check
    nullable: bool = False
    bounds: tuple[int, int] | None = None
    """Inclusive (low, high) on the *source* values, checked column-wise by min/max."""
    members: frozenset[str] | None = None
    each: bool = False
    """Check every value in :meth:`column_ok` (composite columns: decimals, arrays)."""

    def column_ok(self, values: list[Any]) -> bool:
        """Cheap whole-column check; False means "look at the rows"."""
        if self.nullable:
            present = [v for v in values if v is not None]
        elif None in values:
            return False
        else:
            present = values
        if not present:
            return True
        if self.each:
            return all(self.check(v) for v in present)
        if self.bounds is not None:
            try:
                return bool(self.bounds[0] <= min(present) and max(present) <= self.bounds[1])
            except TypeError:
                return False
        if self.members is not None:
            return set(present) <= self.members
        return True

    def value_ok(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        return self.check(value)


def parse_column_type(type_name: str) -> tuple[str, bool]:
    """``LowCardinality(Nullable(String))`` → (``String``, nullable=True)."""
    nullable = False
    inner = type_name.strip()
    while match := _WRAPPER.match(inner):
        nullable = nullable or match.group(1) == "Nullable"
        inner = match.group(2).strip()
    return inner, nullable


def _avro_logical(avro_type: Any) -> str | None:
    if isinstance(avro_type, list):
        found = {_avro_logical(t) for t in avro_type} - {None}
        return found.pop() if len(found) == 1 else None
    if isinstance(avro_type, Mapping):
        logical = avro_type.get("logicalType")
        return str(logical) if logical is not None else None
    return None


def _plan(column: Column, source: str, logical: str | None = None) -> ColumnPlan:
    base, nullable = parse_column_type(column.type)
    if (composite := composite_for(column.type)) is not None:
        convert_one = composite.convert
        return ColumnPlan(
            column,
            source,
            lambda values: [convert_one(v) for v in values],
            composite.check,
            nullable,
            each=True,
        )
    if logical == "date" and base in ("Date", "Date32"):
        lo, hi = (0, 65_535) if base == "Date" else (-25_567, 120_529)
        return ColumnPlan(column, source, _identity, _int_range(lo, hi), nullable, (lo, hi))
    if match := _DT64.match(base):
        precision = int(match.group(1))
        bounds = (_DT64_MIN_US, _DT64_MAX_US)
        check = _int_range(*bounds)
        if precision == 6:
            convert: Convert = _identity
        elif precision < 6:
            convert = _scale(10 ** (6 - precision), divide=True)
        else:
            convert = _scale(10 ** (precision - 6), divide=False)
        return ColumnPlan(column, source, convert, check, nullable, bounds)
    if base.startswith("DateTime"):
        bounds = (0, _DATETIME_MAX_S * 1_000_000 + 999_999)
        return ColumnPlan(
            column, source, _scale(1_000_000, True), _int_range(*bounds), nullable, bounds
        )
    if base in ("Date", "Date32"):
        hi = (65_535 if base == "Date" else 120_529) * _US_PER_DAY
        lo = 0 if base == "Date" else -25_567 * _US_PER_DAY
        return ColumnPlan(
            column, source, _scale(_US_PER_DAY, True), _int_range(lo, hi), nullable, (lo, hi)
        )
    if match := _INT.match(base):
        bits = int(match.group(2))
        lo, hi = (0, 2**bits - 1) if match.group(1) else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        return ColumnPlan(column, source, _identity, _int_range(lo, hi), nullable, (lo, hi))
    if base in ("Bool", "Boolean"):
        return ColumnPlan(column, source, _identity, lambda v: isinstance(v, (bool, int)), nullable)
    if base.startswith("Float"):
        return ColumnPlan(column, source, _identity, _is_number, nullable)
    if base == "UUID":
        return ColumnPlan(column, source, _identity, _is_uuid, nullable)
    if match := _ENUM.match(base):
        members = frozenset(_ENUM_NAME.findall(match.group(1)))
        return ColumnPlan(
            column, source, _identity, members.__contains__, nullable, members=members
        )
    if match := _FIXED.match(base):
        size = int(match.group(1))

        def fits(v: Any) -> bool:
            return _is_text(v) and len(v.encode() if isinstance(v, str) else v) <= size

        return ColumnPlan(column, source, _identity, fits, nullable)
    if base == "String":
        return ColumnPlan(column, source, _identity, _is_text, nullable)
    raise TableMismatch(f"column {column.name!r} has a type the sink cannot feed: {column.type}")


@dataclass(frozen=True, slots=True)
class TableLayout:
    """What to insert into one table and how to get it from decoded records."""

    database: str
    table: str
    plans: tuple[ColumnPlan, ...]

    @classmethod
    def build(
        cls,
        database: str,
        table: str,
        columns: Sequence[Column],
        fields: Sequence[str],
        schema: Mapping[str, Any] | None = None,
    ) -> TableLayout:
        """Map ``columns`` (in table order) onto the record ``fields`` of the topic's schema.

        With the topic's ``schema``, Avro ``date`` fields feed ``Date``/``Date32`` columns as
        days, and each ``Decimal`` column must have its Avro decimal's scale.
        """
        logical = {
            str(f["name"]): _avro_logical(f.get("type")) for f in (schema or {}).get("fields", [])
        }
        scales = decimal_scales(schema or {})
        if not columns:
            raise TableMismatch(f"table {database}.{table} does not exist or has no columns")
        available = set(fields)
        plans: list[ColumnPlan] = []
        missing: list[str] = []
        for column in columns:
            if column.default_kind.upper() in _COMPUTED:
                continue
            source = column.name if column.name in available else _FIELD_ALIASES.get(column.name)
            if source is None or source not in available:
                if column.default_kind.upper() == "DEFAULT":
                    continue
                missing.append(f"{column.name} {column.type}")
                continue
            scale = column_scale(column.type)
            if schema is not None and scale is not None and scales.get(source) != scale:
                raise TableMismatch(
                    f"{database}.{table}: column {column.name} {column.type} is not fed by an"
                    f" Avro decimal of scale {scale} (field {source}: {scales.get(source)})"
                )
            plans.append(_plan(column, source, logical.get(source)))
        if missing:
            raise TableMismatch(
                f"{database}.{table}: no record field feeds column(s) {', '.join(missing)}"
            )
        return cls(database, table, tuple(plans))

    @property
    def column_names(self) -> list[str]:
        return [p.column.name for p in self.plans]

    @property
    def column_types(self) -> list[str]:
        return [p.column.type for p in self.plans]

    def extract(self, records: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
        """The raw source values, one list per column (missing fields read as None)."""
        return [[r.get(p.field) for r in records] for p in self.plans]

    def bad_columns(self, raw: Sequence[list[Any]]) -> list[str]:
        """Columns whose whole-column check fails (empty when the batch is clean)."""
        return [
            p.column.name
            for p, values in zip(self.plans, raw, strict=True)
            if not p.column_ok(values)
        ]

    def convert(self, raw: Sequence[list[Any]]) -> list[list[Any]]:
        """Source values → the values clickhouse-connect writes, per column."""
        return [p.convert(values) for p, values in zip(self.plans, raw, strict=True)]

    def violations(self, record: Mapping[str, Any]) -> str | None:
        """Why ``record`` cannot go into this table, or None when it fits."""
        for plan in self.plans:
            value = record.get(plan.field)
            if not plan.value_ok(value):
                shown = repr(value)
                if len(shown) > 80:
                    shown = shown[:77] + "..."
                return f"{plan.field}={shown} does not fit column {plan.column.name} {plan.column.type}"
        return None
