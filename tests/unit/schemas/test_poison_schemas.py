"""Registered schemas the sink cannot use never crash it: the codec and ``prime`` take any of
them (issue 9 part 2: a primitive ``"string"`` schema crashed ``AvroCodec.add``)."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import httpx
import pytest

from schemas import MARKET_TOPICS, AvroCodec, wire_header
from schemas.errors import RegistryUnavailable, UndecodableRecord, UnusableSchema
from schemas.registry import SchemaRegistry

TRADE = MARKET_TOPICS["Trade"].schema()
#: schema id → (registry answer); every kind of schema a registry may hold
POISON: dict[int, dict[str, Any]] = {
    1: {"schema": json.dumps("string")},
    2: {"schema": json.dumps(["null", TRADE])},
    3: {
        "schema": json.dumps(
            {"type": "record", "name": "Holder", "fields": [{"name": "t", "type": "com.x.Other"}]}
        ),
        "references": [{"name": "com.x.Other", "subject": "other-value", "version": 1}],
    },
    4: {"schema": 'syntax = "proto3"; message M { string a = 1; }', "schemaType": "PROTOBUF"},
    5: {"schema": json.dumps({"type": "object"}), "schemaType": "JSON"},
    6: {"schema": json.dumps({"type": "map", "values": "long"})},
    7: {"schema": "{not json"},
}


def _registry(answers: dict[int, dict[str, Any]], *, down: bool = False) -> SchemaRegistry:
    def handle(request: httpx.Request) -> httpx.Response:
        if down:
            return httpx.Response(503, json={"error_code": 50301, "message": "down"})
        sid = int(request.url.path.rsplit("/", 1)[-1])
        if sid not in answers:
            return httpx.Response(404, json={"error_code": 40403, "message": "not found"})
        return httpx.Response(200, json=answers[sid])

    return SchemaRegistry("http://registry.test", transport=httpx.MockTransport(handle))


def _body(schema: Any, value: Any) -> bytes:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), value)
    return buf.getvalue()


async def test_prime_takes_every_kind_of_registered_schema() -> None:
    codec = AvroCodec(readers=[TRADE])
    async with _registry(POISON) as registry:
        headers = [wire_header(sid) for sid in [*POISON, 99]]
        unusable = await registry.prime(codec, headers)
    assert unusable == {3, 4, 5, 7, 99}
    assert codec.knows(1)
    assert codec.knows(2)
    assert codec.knows(6)
    assert codec.record_name(1) is None
    assert codec.record_name(2) is None
    # nothing is asked twice: unusable ids are remembered, missing ones (404) asked again
    assert codec.unknown_ids(headers) == {99}


async def test_values_of_poison_schemas_fail_typed_never_crash() -> None:
    codec = AvroCodec(readers=[TRADE])
    async with _registry(POISON) as registry:
        await registry.prime(codec, [wire_header(sid) for sid in POISON])
    with pytest.raises(UndecodableRecord, match="not a record"):
        codec.decode(wire_header(1) + _body("string", "hello"))
    # a map decodes (to a dict), but names no record type: a sink dead-letters it by name
    assert codec.decode(wire_header(6) + _body({"type": "map", "values": "long"}, {"a": 1}))
    assert codec.record_name(6) is None
    for sid in (3, 4, 5, 7):
        with pytest.raises(UnusableSchema):
            codec.decode(wire_header(sid) + b"\x02a")
    results = codec.decode_many([wire_header(4) + b"x", wire_header(1) + b"\xff\xff\xff"])
    assert [type(r).__name__ for r in results] == ["UnusableSchema", "UndecodableRecord"]


async def test_a_registry_outage_is_retriable_not_a_rejection() -> None:
    codec = AvroCodec()
    async with _registry(POISON, down=True) as registry:
        with pytest.raises(RegistryUnavailable):
            await registry.prime(codec, [wire_header(1)])
    assert codec.unknown_ids([wire_header(1)]) == {1}  # asked again once it is back


def test_add_rejects_unparseable_schemas_with_a_typed_error() -> None:
    codec = AvroCodec()
    with pytest.raises(UnusableSchema):
        codec.add(8, "{not json")
    with pytest.raises(UnusableSchema):
        codec.add(9, {"type": "record", "name": "R", "fields": [{"name": "x", "type": "Nope"}]})
    codec.add(10, '"string"')  # a primitive schema is a schema
    assert codec.knows(10)
    assert not codec.knows(8)
    assert not codec.knows(9)
