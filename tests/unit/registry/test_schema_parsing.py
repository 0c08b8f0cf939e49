"""Parsing/validation of Avro schemas and their canonical forms."""

from __future__ import annotations

import json
from typing import Any

import fastavro.schema
import pytest
from hypothesis import given, settings

from tastystream.stack.registry.avro_model import AvroSchemaError, Primitive, Record, parse_avro
from tastystream.stack.registry.canonical import canonical_form, parsing_canonical_form
from tests.unit.registry.avro_strategies import records


def rec(*fields: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"type": "record", "name": "R", "fields": list(fields), **extra})


VALID = [
    '"string"',
    '{"type": "long", "logicalType": "timestamp-micros"}',
    '["null", "int", {"type": "array", "items": "string"}]',
    rec({"name": "a", "type": "int", "default": 1}),
    rec({"name": "a", "type": ["null", "string"], "default": None}),
    rec(
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "A"}}
    ),
    rec({"name": "x", "type": {"type": "fixed", "name": "F", "size": 16}}, namespace="a.b"),
    rec({"name": "next", "type": ["null", "R"], "default": None}),
    rec({"name": "m", "type": {"type": "map", "values": "double"}, "default": {"k": 1.5}}),
]

INVALID = [
    ("not json", "{nope"),
    ("unknown type", '"strnig"'),
    ("record without fields", '{"type": "record", "name": "R"}'),
    ("bad default", rec({"name": "a", "type": "int", "default": "one"})),
    ("int default out of range", rec({"name": "a", "type": "int", "default": 2**31})),
    ("duplicate field", rec({"name": "a", "type": "int"}, {"name": "a", "type": "long"})),
    ("duplicate enum symbol", '{"type": "enum", "name": "E", "symbols": ["A", "A"]}'),
    (
        "enum default not a symbol",
        '{"type": "enum", "name": "E", "symbols": ["A"], "default": "B"}',
    ),
    ("invalid name", '{"type": "fixed", "name": "1F", "size": 4}'),
    ("nested union", '["null", ["int", "long"]]'),
    ("duplicate union branch", '["int", "int"]'),
    ("negative fixed size", '{"type": "fixed", "name": "F", "size": -1}'),
    (
        "redefined type",
        rec(
            {"name": "a", "type": {"type": "fixed", "name": "F", "size": 1}},
            {"name": "b", "type": {"type": "fixed", "name": "F", "size": 2}},
        ),
    ),
    ("undefined reference", rec({"name": "a", "type": "Missing"})),
]


@pytest.mark.parametrize("text", VALID)
def test_valid_schemas_parse(text: str) -> None:
    parse_avro(text)


@pytest.mark.parametrize(("text"), [t for _, t in INVALID], ids=[c for c, _ in INVALID])
def test_invalid_schemas_are_rejected(text: str) -> None:
    with pytest.raises(AvroSchemaError):
        parse_avro(text)


def test_absurdly_deep_schemas_are_rejected_not_crashing() -> None:
    deep = '"int"'
    for _ in range(5000):
        deep = '{"type": "array", "items": ' + deep + "}"
    with pytest.raises(AvroSchemaError):
        parse_avro(deep)


def test_named_types_resolve_to_one_node_and_cycles_are_kept() -> None:
    node = parse_avro(rec({"name": "next", "type": ["null", "R"], "default": None}))
    assert isinstance(node, Record)
    union = node.fields[0].type
    assert union.branches[1] is node  # type: ignore[union-attr]


def test_misplaced_logical_types_are_ignored_like_the_spec_says() -> None:
    node = parse_avro('{"type": "string", "logicalType": "timestamp-millis"}')
    assert isinstance(node, Primitive)
    assert node.logical is None
    unknown = parse_avro('{"type": "long", "logicalType": "tt-ticks"}')
    assert isinstance(unknown, Primitive)
    assert unknown.logical is None


def test_impossible_decimals_are_rejected() -> None:
    # stricter than Java Avro (which ignores it): a scale above the precision is a bug
    with pytest.raises(AvroSchemaError):
        parse_avro('{"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 9}')


def test_references_supply_named_types() -> None:
    ref = '{"type": "enum", "name": "Side", "namespace": "tt", "symbols": ["BUY", "SELL"]}'
    text = rec({"name": "side", "type": "tt.Side"})
    with pytest.raises(AvroSchemaError):
        parse_avro(text)
    node = parse_avro(text, [ref])
    assert '"name":"tt.Side"' in canonical_form(node)


def test_canonical_form_ignores_formatting_docs_and_attribute_order() -> None:
    a = '{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":"int"}]}'
    b = """{
      "fields": [ {"type": "int", "doc": "the a", "name": "a"} ],
      "doc": "a record", "name": "n.R", "type": "record"
    }"""
    assert canonical_form(parse_avro(a)) == canonical_form(parse_avro(b))
    assert canonical_form(parse_avro(a)) == (
        '{"name":"n.R","type":"record","fields":[{"name":"a","type":"int"}]}'
    )


def test_canonical_form_keeps_what_changes_resolution_but_pcf_does_not() -> None:
    base = parse_avro(rec({"name": "a", "type": "int", "default": 1}))
    other_default = parse_avro(rec({"name": "a", "type": "int", "default": 2}))
    logical = parse_avro(
        rec({"name": "a", "type": {"type": "int", "logicalType": "date"}, "default": 1})
    )
    assert parsing_canonical_form(base) == parsing_canonical_form(other_default)
    assert parsing_canonical_form(base) == parsing_canonical_form(logical)
    assert len({canonical_form(base), canonical_form(other_default), canonical_form(logical)}) == 3


@settings(max_examples=80, deadline=None)
@given(schema=records())
def test_pcf_matches_fastavro(schema: dict[str, Any]) -> None:
    node = parse_avro(json.dumps(schema))
    assert parsing_canonical_form(node) == fastavro.schema.to_parsing_canonical_form(schema)


@settings(max_examples=80, deadline=None)
@given(schema=records())
def test_canonical_form_is_stable_under_reformatting(schema: dict[str, Any]) -> None:
    compact = canonical_form(parse_avro(json.dumps(schema)))
    pretty = canonical_form(parse_avro(json.dumps(schema, indent=3, sort_keys=True)))
    assert compact == pretty
    assert canonical_form(parse_avro(compact)) == compact
