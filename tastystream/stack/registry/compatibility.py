"""Avro schema compatibility, per the specification's schema resolution rules (pure).

:func:`read_incompatibilities` answers "can data written with ``writer`` be read with
``reader``?" and lists every reason it cannot; :func:`check_compatibility` applies a
compatibility level (BACKWARD, FORWARD, FULL, their transitive forms, NONE) of a new schema
against a subject's existing versions.

Rules (reader ← writer): same primitive, or a promotion int→long→float→double, string↔bytes;
records with the same unqualified name (or a reader alias naming the writer), each reader field
found in the writer by name or alias with a readable type, or else having a default; enums with
the same name whose writer symbols all exist in the reader unless the reader has an enum
default; fixed with the same name and size; arrays and maps by their items and values; a writer
union needs every branch readable, a reader union needs one branch that reads the writer.

One deliberate addition to the specification: when both sides carry a logical type on the same
data they must agree (``timestamp-millis`` read as ``timestamp-micros`` or a decimal read with
another scale would silently scale the value), so such pairs are reported as incompatible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from tastystream.stack.registry.avro_model import (
    Array,
    Enum,
    Fixed,
    Logical,
    Map,
    Node,
    Primitive,
    Record,
    Union,
    short_name,
)

__all__ = [
    "CompatibilityLevel",
    "Incompatibility",
    "check_compatibility",
    "read_incompatibilities",
]

_PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}


class CompatibilityLevel(StrEnum):
    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        return self.value.startswith(("FORWARD", "FULL"))


@dataclass(frozen=True)
class Incompatibility:
    """One reason a reader cannot read a writer's data, at a JSON-pointer-like location."""

    kind: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind} at '{self.location or '/'}': {self.message}"


def read_incompatibilities(reader: Node, writer: Node) -> list[Incompatibility]:
    """Every reason data written with ``writer`` cannot be read with ``reader`` (empty: it can)."""
    return _Checker().check(reader, writer, "")


def check_compatibility(
    level: CompatibilityLevel, new: Node, existing: Sequence[tuple[int, Node]]
) -> list[str]:
    """Messages explaining why ``new`` breaks ``level`` against ``existing`` (oldest first).

    ``existing`` holds (version, schema) pairs; non-transitive levels look only at the last.
    An empty list means compatible.
    """
    if level is CompatibilityLevel.NONE or not existing:
        return []
    targets = existing if level.transitive else existing[-1:]
    messages: list[str] = []
    for version, old in reversed(targets):
        found: list[tuple[str, Incompatibility]] = []
        if level.backward:
            found += [
                ("new schema cannot read data written with", i)
                for i in read_incompatibilities(new, old)
            ]
        if level.forward:
            found += [
                ("old schema cannot read data written with", i)
                for i in read_incompatibilities(old, new)
            ]
        for direction, issue in found:
            who = "the old one" if direction.startswith("new") else "the new one"
            messages.append(
                f"{issue} ({direction} {who}; version {version}; compatibility {level.value})"
            )
    return messages


class _Checker:
    def __init__(self) -> None:
        # record pairs under check (cycles are assumed fine) and finished results
        self._active: set[tuple[int, int]] = set()
        self._done: dict[tuple[int, int], list[Incompatibility]] = {}

    def check(self, reader: Node, writer: Node, at: str) -> list[Incompatibility]:
        if isinstance(writer, Union):
            out: list[Incompatibility] = []
            for branch in writer.branches:
                out += self.check(reader, branch, at)
            return out
        if isinstance(reader, Union):
            if any(not self.check(b, writer, at) for b in reader.branches):
                return []
            return [
                _issue(
                    "MISSING_UNION_BRANCH",
                    at,
                    f"reader union lacks a branch for writer type {_describe(writer)}",
                )
            ]
        if isinstance(reader, Primitive) and isinstance(writer, Primitive):
            return self._primitive(reader, writer, at)
        if isinstance(reader, Record) and isinstance(writer, Record):
            key = (id(reader), id(writer))
            if key in self._done:
                return self._done[key]
            if key in self._active:
                return []
            self._active.add(key)
            try:
                result = self._record(reader, writer, at)
            finally:
                self._active.discard(key)
            self._done[key] = result
            return result
        if isinstance(reader, Enum) and isinstance(writer, Enum):
            return self._enum(reader, writer, at)
        if isinstance(reader, Fixed) and isinstance(writer, Fixed):
            return self._fixed(reader, writer, at)
        if isinstance(reader, Array) and isinstance(writer, Array):
            return self.check(reader.items, writer.items, f"{at}/items")
        if isinstance(reader, Map) and isinstance(writer, Map):
            return self.check(reader.values, writer.values, f"{at}/values")
        return [
            _issue(
                "TYPE_MISMATCH",
                at,
                f"reader type {_describe(reader)} does not match writer type {_describe(writer)}",
            )
        ]

    def _primitive(self, reader: Primitive, writer: Primitive, at: str) -> list[Incompatibility]:
        if reader.type != writer.type and reader.type not in _PROMOTIONS.get(writer.type, ()):
            return [
                _issue(
                    "TYPE_MISMATCH",
                    at,
                    f"reader type {reader.type} does not match writer type {writer.type}",
                )
            ]
        return _logical_issues(reader.logical, writer.logical, at)

    def _record(self, reader: Record, writer: Record, at: str) -> list[Incompatibility]:
        if not _names_match(reader, writer):
            return [
                _issue(
                    "NAME_MISMATCH",
                    at,
                    f"reader record {reader.name} does not match writer record {writer.name}",
                )
            ]
        by_name = {f.name: f for f in writer.fields}
        out: list[Incompatibility] = []
        for i, rfield in enumerate(reader.fields):
            wfield = by_name.get(rfield.name) or next(
                (by_name[a] for a in rfield.aliases if a in by_name), None
            )
            if wfield is None:
                if not rfield.has_default:
                    out.append(
                        _issue(
                            "READER_FIELD_MISSING_DEFAULT_VALUE",
                            f"{at}/fields/{i}",
                            f"field {rfield.name!r} has no default value and is "
                            f"missing in the writer's record {writer.name}",
                        )
                    )
                continue
            out += self.check(rfield.type, wfield.type, f"{at}/fields/{i}/type")
        return out

    def _enum(self, reader: Enum, writer: Enum, at: str) -> list[Incompatibility]:
        if not _names_match(reader, writer):
            return [
                _issue(
                    "NAME_MISMATCH",
                    at,
                    f"reader enum {reader.name} does not match writer enum {writer.name}",
                )
            ]
        missing = [s for s in writer.symbols if s not in reader.symbols]
        if missing and reader.default is None:
            return [
                _issue(
                    "MISSING_ENUM_SYMBOLS",
                    f"{at}/symbols",
                    f"reader enum {reader.name} lacks writer symbols {missing} and has no default",
                )
            ]
        return []

    def _fixed(self, reader: Fixed, writer: Fixed, at: str) -> list[Incompatibility]:
        if not _names_match(reader, writer):
            return [
                _issue(
                    "NAME_MISMATCH",
                    at,
                    f"reader fixed {reader.name} does not match writer fixed {writer.name}",
                )
            ]
        if reader.size != writer.size:
            return [
                _issue(
                    "FIXED_SIZE_MISMATCH",
                    f"{at}/size",
                    f"reader fixed size {reader.size} differs from writer size {writer.size}",
                )
            ]
        return _logical_issues(reader.logical, writer.logical, at)


def _names_match(reader: Record | Enum | Fixed, writer: Record | Enum | Fixed) -> bool:
    return short_name(reader.name) == short_name(writer.name) or writer.name in reader.aliases


def _logical_issues(
    reader: Logical | None, writer: Logical | None, at: str
) -> list[Incompatibility]:
    if reader is None or writer is None:
        return []
    if reader.name != writer.name:
        return [
            _issue(
                "LOGICAL_TYPE_MISMATCH",
                at,
                f"reader logical type {reader.name} differs from writer's {writer.name}",
            )
        ]
    if reader.scale != writer.scale or (reader.precision or 0) < (writer.precision or 0):
        return [
            _issue(
                "LOGICAL_TYPE_MISMATCH",
                at,
                f"reader decimal({reader.precision},{reader.scale}) cannot hold writer "
                f"decimal({writer.precision},{writer.scale})",
            )
        ]
    return []


def _issue(kind: str, at: str, message: str) -> Incompatibility:
    return Incompatibility(kind, at or "/", message)


def _describe(node: Node) -> str:
    if isinstance(node, Primitive):
        return node.type if node.logical is None else f"{node.type}({node.logical.name})"
    if isinstance(node, (Record, Enum, Fixed)):
        return f"{type(node).__name__.lower()} {node.name}"
    if isinstance(node, Union):
        return "union[" + ", ".join(_describe(b) for b in node.branches) + "]"
    return type(node).__name__.lower()
