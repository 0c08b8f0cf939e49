"""Canonical forms of parsed Avro schemas.

* :func:`parsing_canonical_form` is the specification's Parsing Canonical Form (PCF): full
  names, only the attributes that matter for parsing, fixed attribute order, no whitespace.
* :func:`canonical_form` is PCF extended with what changes how data *resolves* or is
  *interpreted*: field defaults, aliases, enum defaults and logical types. The registry
  deduplicates schemas by it: two texts with the same canonical form get the same id, while two
  schemas that differ only in a default (which PCF would merge) keep distinct ids, because a
  reader resolving with the wrong one would silently fill in the wrong value.
"""

from __future__ import annotations

import json
from typing import Any

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
)

__all__ = ["canonical_form", "parsing_canonical_form", "to_json_obj"]


def parsing_canonical_form(node: Node) -> str:
    """The Avro specification's Parsing Canonical Form."""
    return _dump(_Canonicalizer(extended=False).walk(node))


def canonical_form(node: Node) -> str:
    """PCF plus defaults, aliases, enum defaults and logical types (the dedup key)."""
    return _dump(_Canonicalizer(extended=True).walk(node))


def to_json_obj(node: Node) -> Any:
    """The node as (extended canonical) schema JSON, named types defined once."""
    return _Canonicalizer(extended=True).walk(node)


def _dump(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _sorted_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_json(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_json(v) for v in value]
    return value


class _Canonicalizer:
    def __init__(self, *, extended: bool) -> None:
        self.extended = extended
        self.seen: set[str] = set()

    def walk(self, node: Node) -> Any:
        if isinstance(node, Primitive):
            if self.extended and node.logical is not None:
                return {"type": node.type, **_logical_attrs(node.logical)}
            return node.type
        if isinstance(node, Union):
            return [self.walk(b) for b in node.branches]
        if isinstance(node, Array):
            return {"type": "array", "items": self.walk(node.items)}
        if isinstance(node, Map):
            return {"type": "map", "values": self.walk(node.values)}
        if node.name in self.seen:
            return node.name
        self.seen.add(node.name)
        if isinstance(node, Record):
            return self._record(node)
        if isinstance(node, Enum):
            out: dict[str, Any] = {"name": node.name, "type": "enum", "symbols": list(node.symbols)}
            if self.extended and node.default is not None:
                out["default"] = node.default
            return self._aliases(out, node.aliases)
        return self._fixed(node)

    def _record(self, node: Record) -> dict[str, Any]:
        fields: list[dict[str, Any]] = []
        for f in node.fields:
            entry: dict[str, Any] = {"name": f.name, "type": self.walk(f.type)}
            if self.extended and f.has_default:
                entry["default"] = _sorted_json(f.default)
            if self.extended and f.aliases:
                entry["aliases"] = sorted(f.aliases)
            fields.append(entry)
        out: dict[str, Any] = {"name": node.name, "type": node.kind, "fields": fields}
        return self._aliases(out, node.aliases)

    def _fixed(self, node: Fixed) -> dict[str, Any]:
        out: dict[str, Any] = {"name": node.name, "type": "fixed", "size": node.size}
        if self.extended and node.logical is not None:
            out.update(_logical_attrs(node.logical))
        return self._aliases(out, node.aliases)

    def _aliases(self, out: dict[str, Any], aliases: tuple[str, ...]) -> dict[str, Any]:
        if self.extended and aliases:
            out["aliases"] = sorted(aliases)
        return out


def _logical_attrs(logical: Logical) -> dict[str, Any]:
    out: dict[str, Any] = {"logicalType": logical.name}
    if logical.precision is not None:
        out["precision"] = logical.precision
    if logical.scale is not None:
        out["scale"] = logical.scale
    return out
