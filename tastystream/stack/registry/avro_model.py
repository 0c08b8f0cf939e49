"""Avro schemas as a resolved, validated tree (the input of canonical forms and compatibility).

:func:`parse_avro` turns schema JSON text into nodes: named types are defined once and every
reference points at the same node object (recursive types are cycles), names are fully
qualified, field defaults and enum defaults are validated. fastavro's parser runs first as a
second opinion, so a schema has to satisfy both to be accepted. Logical types that are unknown or
invalid for their underlying type are ignored, as the Avro specification requires.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

import fastavro

__all__ = [
    "PRIMITIVES",
    "Array",
    "AvroSchemaError",
    "Enum",
    "Field",
    "Fixed",
    "Logical",
    "Map",
    "Node",
    "Primitive",
    "Record",
    "Union",
    "default_matches",
    "parse_avro",
    "short_name",
]

PRIMITIVES: Final = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NO_DEFAULT: Final[Any] = object()
_INT_RANGE: Final = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
# logical type -> underlying types it may annotate ("fixed" means any fixed)
_LOGICAL: Final = {
    "decimal": ("bytes", "fixed"),
    "big-decimal": ("bytes",),
    "uuid": ("string", "fixed"),
    "date": ("int",),
    "time-millis": ("int",),
    "time-micros": ("long",),
    "timestamp-millis": ("long",),
    "timestamp-micros": ("long",),
    "timestamp-nanos": ("long",),
    "local-timestamp-millis": ("long",),
    "local-timestamp-micros": ("long",),
    "local-timestamp-nanos": ("long",),
    "duration": ("fixed",),
}


class AvroSchemaError(ValueError):
    """The text is not a valid Avro schema."""


@dataclass(frozen=True)
class Logical:
    name: str
    precision: int | None = None
    scale: int | None = None


@dataclass(eq=False)
class Primitive:
    type: str
    logical: Logical | None = None


@dataclass(eq=False)
class Fixed:
    name: str
    size: int
    aliases: tuple[str, ...] = ()
    logical: Logical | None = None


@dataclass(eq=False)
class Enum:
    name: str
    symbols: tuple[str, ...]
    default: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(eq=False)
class Field:
    name: str
    type: Node
    default: Any = _NO_DEFAULT
    aliases: tuple[str, ...] = ()

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


@dataclass(eq=False)
class Record:
    name: str
    kind: str = "record"  # or "error"
    fields: list[Field] = field(default_factory=list)
    aliases: tuple[str, ...] = ()


@dataclass(eq=False)
class Array:
    items: Node


@dataclass(eq=False)
class Map:
    values: Node


@dataclass(eq=False)
class Union:
    branches: tuple[Node, ...]


Node: TypeAlias = Primitive | Fixed | Enum | Record | Array | Map | Union


def short_name(fullname: str) -> str:
    return fullname.rsplit(".", 1)[-1]


def parse_avro(text: str, references: Sequence[str] = ()) -> Node:
    """Parse and validate schema JSON text.

    ``references`` are the texts of referenced schemas (Confluent schema references), in
    dependency order; the named types they define may be used by ``text``.
    """
    named_raw: dict[str, Any] = {}
    parser = _Parser({})
    for ref in (*references, text):
        try:
            raw = json.loads(ref)
        except (ValueError, TypeError, RecursionError) as exc:
            raise AvroSchemaError(f"not JSON: {exc!r}"[:500]) from exc
        try:
            fastavro.parse_schema(raw, named_raw, _write_hint=False)
        except Exception as exc:  # fastavro raises several unrelated exception types
            raise AvroSchemaError(str(exc) or type(exc).__name__) from exc
        try:
            node = parser.parse(raw, "")
        except RecursionError as exc:
            raise AvroSchemaError("schema nested too deeply") from exc
    return node


class _Parser:
    def __init__(self, named: dict[str, Node]) -> None:
        self.named = named

    def parse(self, raw: Any, ns: str) -> Node:
        if isinstance(raw, str):
            return self._reference(raw, ns)
        if isinstance(raw, list):
            return self._union(raw, ns)
        if not isinstance(raw, dict):
            raise AvroSchemaError(f"not a schema: {raw!r}")
        kind = raw.get("type")
        if isinstance(kind, (dict, list)):
            return self.parse(kind, ns)
        if not isinstance(kind, str):
            raise AvroSchemaError(f"no type: {raw!r}")
        if kind in PRIMITIVES:
            return Primitive(kind, _logical(raw, kind))
        if kind in ("record", "error"):
            return self._record(raw, ns, kind)
        if kind == "enum":
            return self._enum(raw, ns)
        if kind == "fixed":
            return self._fixed(raw, ns)
        if kind == "array":
            return Array(self.parse(_required(raw, "items"), ns))
        if kind == "map":
            return Map(self.parse(_required(raw, "values"), ns))
        return self._reference(kind, ns)

    def _reference(self, name: str, ns: str) -> Node:
        if name in PRIMITIVES:
            return Primitive(name)
        for candidate in (f"{ns}.{name}" if ns and "." not in name else name, name):
            if candidate in self.named:
                return self.named[candidate]
        raise AvroSchemaError(f"unknown type: {name!r}")

    def _union(self, raw: list[Any], ns: str) -> Union:
        branches = tuple(self.parse(b, ns) for b in raw)
        seen: set[str] = set()
        for branch in branches:
            if isinstance(branch, Union):
                raise AvroSchemaError("unions may not immediately contain other unions")
            key = branch.name if isinstance(branch, (Record, Enum, Fixed)) else _kind(branch)
            if key in seen:
                raise AvroSchemaError(f"duplicate type in union: {key}")
            seen.add(key)
        return Union(branches)

    def _define(self, raw: dict[str, Any], ns: str) -> tuple[str, str, tuple[str, ...]]:
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise AvroSchemaError(f"named type without a name: {raw!r}")
        space = raw.get("namespace", ns)
        if space is not None and not isinstance(space, str):
            raise AvroSchemaError(f"bad namespace: {space!r}")
        fullname = name if "." in name else (f"{space}.{name}" if space else name)
        for part in fullname.split("."):
            if not _NAME.match(part):
                raise AvroSchemaError(f"invalid name: {fullname!r}")
        if short_name(fullname) in PRIMITIVES:
            raise AvroSchemaError(f"a named type may not be called {fullname!r}")
        if fullname in self.named:
            raise AvroSchemaError(f"type redefined: {fullname!r}")
        own_ns = fullname.rsplit(".", 1)[0] if "." in fullname else ""
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise AvroSchemaError(f"bad aliases: {aliases!r}")
        full_aliases = tuple(a if "." in a or not own_ns else f"{own_ns}.{a}" for a in aliases)
        return fullname, own_ns, full_aliases

    def _record(self, raw: dict[str, Any], ns: str, kind: str) -> Record:
        fullname, own_ns, aliases = self._define(raw, ns)
        record = Record(fullname, kind, [], aliases)
        self.named[fullname] = record
        raw_fields = _required(raw, "fields")
        if not isinstance(raw_fields, list):
            raise AvroSchemaError(f"fields of {fullname} is not a list")
        names: set[str] = set()
        for raw_field in raw_fields:
            if not isinstance(raw_field, dict):
                raise AvroSchemaError(f"bad field in {fullname}: {raw_field!r}")
            fname = raw_field.get("name")
            if not isinstance(fname, str) or not _NAME.match(fname):
                raise AvroSchemaError(f"invalid field name in {fullname}: {fname!r}")
            if fname in names:
                raise AvroSchemaError(f"duplicate field {fname!r} in {fullname}")
            names.add(fname)
            ftype = self.parse(_required(raw_field, "type"), own_ns)
            default = raw_field.get("default", _NO_DEFAULT)
            if default is not _NO_DEFAULT and not default_matches(ftype, default):
                raise AvroSchemaError(f"invalid default for field {fullname}.{fname}: {default!r}")
            faliases = raw_field.get("aliases", [])
            if not isinstance(faliases, list) or not all(isinstance(a, str) for a in faliases):
                raise AvroSchemaError(f"bad aliases on field {fullname}.{fname}")
            record.fields.append(Field(fname, ftype, default, tuple(faliases)))
        return record

    def _enum(self, raw: dict[str, Any], ns: str) -> Enum:
        fullname, _, aliases = self._define(raw, ns)
        symbols = _required(raw, "symbols")
        if not isinstance(symbols, list) or not all(
            isinstance(s, str) and _NAME.match(s) for s in symbols
        ):
            raise AvroSchemaError(f"invalid enum symbols in {fullname}: {symbols!r}")
        if len(set(symbols)) != len(symbols):
            raise AvroSchemaError(f"duplicate enum symbols in {fullname}")
        default = raw.get("default")
        if default is not None and default not in symbols:
            raise AvroSchemaError(f"enum default {default!r} is not a symbol of {fullname}")
        enum = Enum(fullname, tuple(symbols), default, aliases)
        self.named[fullname] = enum
        return enum

    def _fixed(self, raw: dict[str, Any], ns: str) -> Fixed:
        fullname, _, aliases = self._define(raw, ns)
        size = _required(raw, "size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise AvroSchemaError(f"invalid fixed size in {fullname}: {size!r}")
        fixed = Fixed(fullname, size, aliases, _logical(raw, "fixed", size))
        self.named[fullname] = fixed
        return fixed


def _required(raw: dict[str, Any], key: str) -> Any:
    if key not in raw:
        raise AvroSchemaError(f"missing {key!r} in {raw!r}")
    return raw[key]


def _kind(node: Node) -> str:
    if isinstance(node, Primitive):
        return node.type
    return type(node).__name__.lower()


def _logical(raw: dict[str, Any], underlying: str, size: int = 0) -> Logical | None:
    """The valid logical type on ``raw`` or None (invalid ones are ignored, per the spec)."""
    name = raw.get("logicalType")
    if not isinstance(name, str) or underlying not in _LOGICAL.get(name, ()):
        return None
    if name == "duration" and size != 12:
        return None
    if name == "uuid" and underlying == "fixed" and size != 16:
        return None
    if name != "decimal":
        return Logical(name)
    precision, scale = raw.get("precision"), raw.get("scale", 0)
    if not isinstance(precision, int) or isinstance(precision, bool) or precision <= 0:
        return None
    if not isinstance(scale, int) or isinstance(scale, bool) or not 0 <= scale <= precision:
        return None
    if underlying == "fixed" and precision > int((8 * size - 1) * 0.30102999566398120):
        return None
    return Logical(name, precision, scale)


def default_matches(node: Node, value: Any) -> bool:
    """Whether ``value`` (JSON) is a valid default for ``node`` (unions: any branch)."""
    if isinstance(node, Union):
        return any(default_matches(b, value) for b in node.branches)
    if isinstance(node, Primitive):
        return _primitive_default(node.type, value)
    if isinstance(node, Fixed):
        return isinstance(value, str) and len(value) == node.size
    if isinstance(node, Enum):
        return isinstance(value, str) and value in node.symbols
    if isinstance(node, Array):
        return isinstance(value, list) and all(default_matches(node.items, v) for v in value)
    if isinstance(node, Map):
        return isinstance(value, dict) and all(
            default_matches(node.values, v) for v in value.values()
        )
    if not isinstance(value, dict):
        return False
    return all(
        default_matches(f.type, value[f.name]) if f.name in value else f.has_default
        for f in node.fields
    )


def _primitive_default(kind: str, value: Any) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind in _INT_RANGE:
        low, high = _INT_RANGE[kind]
        return isinstance(value, int) and low <= value <= high
    if kind in ("float", "double"):
        return isinstance(value, (int, float)) or value in ("NaN", "Infinity", "-Infinity")
    return isinstance(value, str)  # string, bytes
