"""Avro compatibility: a table of reader/writer pairs, the levels, and Hypothesis properties."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tastystream.stack.registry.avro_model import parse_avro
from tastystream.stack.registry.compatibility import (
    CompatibilityLevel,
    check_compatibility,
    read_incompatibilities,
)
from tests.unit.registry.avro_strategies import default_for, records, types

L = CompatibilityLevel


def rec(*fields: dict[str, Any], name: str = "R", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def f(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def enum(*symbols: str, name: str = "E", **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": name, "symbols": list(symbols), **extra}


def fixed(size: int, name: str = "F", **extra: Any) -> dict[str, Any]:
    return {"type": "fixed", "name": name, "size": size, **extra}


def node(schema: Any) -> Any:
    return parse_avro(json.dumps(schema))


def can_read(reader: Any, writer: Any) -> bool:
    return not read_incompatibilities(node(reader), node(writer))


TS_MS = {"type": "long", "logicalType": "timestamp-millis"}
TS_US = {"type": "long", "logicalType": "timestamp-micros"}
DEC_10_2 = {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}
DEC_12_2 = {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}
DEC_10_4 = {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 4}

# (case, writer, reader, reader can read writer's data)
PAIRS: list[tuple[str, Any, Any, bool]] = [
    ("same primitive", "int", "int", True),
    ("int promoted to long", "int", "long", True),
    ("int promoted to float", "int", "float", True),
    ("int promoted to double", "int", "double", True),
    ("long promoted to float", "long", "float", True),
    ("long promoted to double", "long", "double", True),
    ("float promoted to double", "float", "double", True),
    ("long not narrowed to int", "long", "int", False),
    ("double not narrowed to float", "double", "float", False),
    ("float not narrowed to long", "float", "long", False),
    ("string read as bytes", "string", "bytes", True),
    ("bytes read as string", "bytes", "string", True),
    ("string not read as int", "string", "int", False),
    ("int not read as string", "int", "string", False),
    ("boolean not read as int", "boolean", "int", False),
    ("null vs boolean", "null", "boolean", False),
    (
        "added field with default",
        rec(f("a", "int")),
        rec(f("a", "int"), f("b", "string", default="x")),
        True,
    ),
    (
        "added field without default",
        rec(f("a", "int")),
        rec(f("a", "int"), f("b", "string")),
        False,
    ),
    ("removed field", rec(f("a", "int"), f("b", "string")), rec(f("a", "int")), True),
    ("field type promoted", rec(f("a", "int")), rec(f("a", "long")), True),
    ("field type narrowed", rec(f("a", "long")), rec(f("a", "int")), False),
    (
        "renamed field via reader alias",
        rec(f("old", "int")),
        rec(f("new", "int", aliases=["old"])),
        True,
    ),
    ("renamed field without alias", rec(f("old", "int")), rec(f("new", "int")), False),
    ("record renamed", rec(f("a", "int"), name="A"), rec(f("a", "int"), name="B"), False),
    (
        "record renamed with alias",
        rec(f("a", "int"), name="A"),
        rec(f("a", "int"), name="B", aliases=["A"]),
        True,
    ),
    (
        "record namespace changed (unqualified names match)",
        rec(f("a", "int"), namespace="x"),
        rec(f("a", "int"), namespace="y"),
        True,
    ),
    ("enum symbol added", enum("A", "B"), enum("A", "B", "C"), True),
    ("enum symbol removed", enum("A", "B", "C"), enum("A", "B"), False),
    ("enum symbol removed, reader default", enum("A", "B", "C"), enum("A", "B", default="A"), True),
    ("enum renamed", enum("A", name="E1"), enum("A", name="E2"), False),
    ("fixed same", fixed(4), fixed(4), True),
    ("fixed size changed", fixed(4), fixed(8), False),
    ("fixed renamed", fixed(4, name="F1"), fixed(4, name="F2"), False),
    (
        "array items promoted",
        {"type": "array", "items": "int"},
        {"type": "array", "items": "long"},
        True,
    ),
    (
        "array items narrowed",
        {"type": "array", "items": "long"},
        {"type": "array", "items": "int"},
        False,
    ),
    (
        "map values promoted",
        {"type": "map", "values": "float"},
        {"type": "map", "values": "double"},
        True,
    ),
    (
        "map values changed",
        {"type": "map", "values": "string"},
        {"type": "map", "values": "int"},
        False,
    ),
    ("array vs map", {"type": "array", "items": "int"}, {"type": "map", "values": "int"}, False),
    ("writer type into reader union", "string", ["null", "string"], True),
    ("writer type promoted into reader union", "int", ["null", "long"], True),
    ("writer type missing from reader union", "int", ["null", "string"], False),
    ("writer union to reader non-union", ["null", "string"], "string", False),
    ("writer union subset of reader union", ["null", "int"], ["null", "int", "string"], True),
    ("writer union superset of reader union", ["null", "int", "string"], ["null", "int"], False),
    ("union branches reordered", ["null", "string"], ["string", "null"], True),
    ("single-branch writer union to plain", ["int"], "long", True),
    (
        "optional field made required",
        rec(f("a", ["null", "int"], default=None)),
        rec(f("a", "int")),
        False,
    ),
    (
        "required field made optional",
        rec(f("a", "int")),
        rec(f("a", ["null", "int"], default=None)),
        True,
    ),
    (
        "nested record field added without default",
        rec(f("n", rec(f("x", "int"), name="N"))),
        rec(f("n", rec(f("x", "int"), f("y", "int"), name="N"))),
        False,
    ),
    (
        "named reference resolved",
        rec(f("e", enum("A", "B")), f("e2", "E")),
        rec(f("e", enum("A", "B", "C")), f("e2", "E")),
        True,
    ),
    (
        "recursive record",
        rec(f("v", "int"), f("next", ["null", "R"], default=None)),
        rec(f("v", "long"), f("next", ["null", "R"], default=None)),
        True,
    ),
    (
        "recursive record narrowed",
        rec(f("v", "long"), f("next", ["null", "R"], default=None)),
        rec(f("v", "int"), f("next", ["null", "R"], default=None)),
        False,
    ),
    ("logical type added on reader", "long", TS_MS, True),
    ("logical type dropped on reader", TS_MS, "long", True),
    ("timestamp unit changed", TS_MS, TS_US, False),
    ("decimal precision widened", DEC_10_2, DEC_12_2, True),
    ("decimal precision narrowed", DEC_12_2, DEC_10_2, False),
    ("decimal scale changed", DEC_10_2, DEC_10_4, False),
    (
        "fixed decimal scale changed",
        fixed(8, logicalType="decimal", precision=10, scale=2),
        fixed(8, logicalType="decimal", precision=10, scale=3),
        False,
    ),
]


@pytest.mark.parametrize(
    ("writer", "reader", "expected"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS]
)
def test_reader_can_read_writer(writer: Any, reader: Any, expected: bool) -> None:
    assert can_read(reader, writer) is expected


@pytest.mark.parametrize(
    ("level", "backward_ok", "forward_ok", "expected"),
    [
        (L.NONE, False, False, True),
        (L.BACKWARD, True, False, True),
        (L.BACKWARD, False, True, False),
        (L.FORWARD, False, True, True),
        (L.FORWARD, True, False, False),
        (L.FULL, True, False, False),
        (L.FULL, False, True, False),
        (L.FULL, True, True, True),
    ],
)
def test_levels_combine_directions(
    level: CompatibilityLevel, backward_ok: bool, forward_ok: bool, expected: bool
) -> None:
    # pick a (old, new) pair with the wanted directions from the table
    pair = next(
        (w, r)
        for _, w, r, _ in PAIRS
        if can_read(r, w) is backward_ok and can_read(w, r) is forward_ok
    )
    old, new = pair
    assert (not check_compatibility(level, node(new), [(1, node(old))])) is expected


def test_transitive_levels_check_every_version_plain_ones_only_the_latest() -> None:
    v1 = rec(f("a", "int"))
    v2 = rec(f("a", "int"), f("b", "int", default=0))
    v3 = rec(f("a", "int"), f("b", "int"))  # reads v2 data, not v1 data (no b, no default)
    history = [(1, node(v1)), (2, node(v2))]
    assert check_compatibility(L.BACKWARD, node(v3), history) == []
    messages = check_compatibility(L.BACKWARD_TRANSITIVE, node(v3), history)
    assert len(messages) == 1
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in messages[0]
    assert "version 1" in messages[0]


def test_messages_locate_the_problem() -> None:
    old = rec(f("a", "int"), f("n", rec(f("x", "long"), name="N")))
    new = rec(f("a", "int"), f("n", rec(f("x", "int"), name="N")))
    [issue] = read_incompatibilities(node(new), node(old))
    assert issue.kind == "TYPE_MISMATCH"
    assert issue.location == "/fields/1/type/fields/0/type"


@settings(max_examples=60, deadline=None)
@given(schema=records(), level=st.sampled_from(list(L)))
def test_every_schema_is_compatible_with_itself_in_every_mode(
    schema: dict[str, Any], level: CompatibilityLevel
) -> None:
    assert check_compatibility(level, node(schema), [(1, node(schema)), (2, node(schema))]) == []


@settings(max_examples=60, deadline=None)
@given(schema=records(), added=types(prefix="Added"))
def test_adding_a_field_with_a_default_is_fully_compatible(
    schema: dict[str, Any], added: Any
) -> None:
    new = dict(schema, fields=[*schema["fields"], f("added", added, default=default_for(added))])
    assert check_compatibility(L.FULL_TRANSITIVE, node(new), [(1, node(schema))]) == []


@settings(max_examples=60, deadline=None)
@given(schema=records(), added=types(prefix="Added"))
def test_adding_a_field_without_default_is_forward_but_not_backward(
    schema: dict[str, Any], added: Any
) -> None:
    new = dict(schema, fields=[*schema["fields"], f("added", added)])
    assert check_compatibility(L.FORWARD, node(new), [(1, node(schema))]) == []
    assert check_compatibility(L.BACKWARD, node(new), [(1, node(schema))]) != []


@settings(max_examples=40, deadline=None)
@given(schema=records())
def test_removing_a_field_without_default_breaks_forward(schema: dict[str, Any]) -> None:
    full = dict(schema, fields=[*schema["fields"], f("gone", "string")])
    assert check_compatibility(L.BACKWARD, node(schema), [(1, node(full))]) == []
    assert check_compatibility(L.FORWARD, node(schema), [(1, node(full))]) != []
