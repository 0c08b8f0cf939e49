"""Hypothesis strategies for valid Avro schemas (as JSON objects) and default values for them."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from hypothesis import strategies as st

PRIMITIVE_NAMES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]

_symbols = st.lists(
    st.from_regex(r"[A-Z][A-Z0-9_]{0,4}", fullmatch=True), min_size=1, max_size=4, unique=True
)
_logical = st.sampled_from(
    [
        {"type": "long", "logicalType": "timestamp-micros"},
        {"type": "int", "logicalType": "date"},
        {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 4},
        {"type": "string", "logicalType": "uuid"},
    ]
)
_leaf: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(PRIMITIVE_NAMES),
    _logical,
    _symbols.map(lambda s: {"type": "enum", "name": "_", "symbols": s}),
    st.integers(0, 16).map(lambda n: {"type": "fixed", "name": "_", "size": n}),
)


def _kind(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, list):
        return "union"
    kind = schema["type"]
    return f"named:{id(schema)}" if kind in ("record", "enum", "fixed") else str(kind)


def _union(branches: list[Any]) -> list[Any]:
    out: list[Any] = []
    for branch in branches:
        if _kind(branch) not in {_kind(b) for b in out} and not isinstance(branch, list):
            out.append(branch)
    return out


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4).map(
            lambda types: {
                "type": "record",
                "name": "_",
                "fields": [{"name": f"f{i}", "type": t} for i, t in enumerate(types)],
            }
        ),
        children.map(lambda t: {"type": "array", "items": t}),
        children.map(lambda t: {"type": "map", "values": t}),
        st.lists(children, min_size=1, max_size=4).map(_union).filter(bool),
    )


def name_types(schema: Any, prefix: str = "T") -> Any:
    """A deep copy of ``schema`` whose named types get unique names ``<prefix>0, <prefix>1 …``."""
    schema = copy.deepcopy(schema)
    counter = itertools.count()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if node.get("name") == "_" and node.get("type") in ("record", "enum", "fixed"):
                node["name"] = f"{prefix}{next(counter)}"
            for key in ("items", "values", "type"):
                if isinstance(node.get(key), (dict, list)):
                    walk(node[key])
            for field in node.get("fields", []):
                walk(field["type"])

    walk(schema)
    return schema


def types(prefix: str = "T") -> st.SearchStrategy[Any]:
    """Any valid Avro type (named types uniquely named with ``prefix``)."""
    return st.recursive(_leaf, _extend, max_leaves=8).map(lambda s: name_types(s, prefix))


def records(prefix: str = "T") -> st.SearchStrategy[dict[str, Any]]:
    """Valid top-level record schemas, as producers register them."""
    return st.lists(st.recursive(_leaf, _extend, max_leaves=6), max_size=5).map(
        lambda fields: name_types(
            {
                "type": "record",
                "name": "_",
                "namespace": "tt.test",
                "fields": [{"name": f"f{i}", "type": t} for i, t in enumerate(fields)],
            },
            prefix,
        )
    )


def default_for(schema: Any) -> Any:
    """A valid default value for ``schema`` (unions: for their first branch)."""
    if isinstance(schema, list):
        return default_for(schema[0])
    if isinstance(schema, str):
        return {
            "null": None,
            "boolean": False,
            "int": 0,
            "long": 0,
            "float": 0.0,
            "double": 0.0,
            "bytes": "",
            "string": "",
        }[schema]
    kind = schema["type"]
    if kind == "enum":
        return schema["symbols"][0]
    if kind == "fixed":
        return "\u0000" * schema["size"]
    if kind == "array":
        return []
    if kind == "map":
        return {}
    if kind == "record":
        return {f["name"]: default_for(f["type"]) for f in schema["fields"]}
    return default_for(kind)
