"""The REST API over the in-memory log, with Confluent's shapes and error codes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tastystream.stack.registry import CONTENT_TYPE, MemoryLog, SchemaRegistry, create_app
from tastystream.stack.registry.api import JsonResponse

V1 = {"type": "record", "name": "Trade", "fields": [{"name": "px", "type": "double"}]}
V2 = {
    "type": "record",
    "name": "Trade",
    "fields": [
        {"name": "px", "type": "double"},
        {"name": "qty", "type": "long", "default": 0},
    ],
}
BREAKING = {"type": "record", "name": "Trade", "fields": [{"name": "sym", "type": "string"}]}


class Api:
    def __init__(self, client: httpx.AsyncClient, log: MemoryLog) -> None:
        self.client = client
        self.log = log

    async def register(self, subject: str, schema: Any, **extra: Any) -> httpx.Response:
        body = {"schema": json.dumps(schema), **extra}
        return await self.client.post(f"/subjects/{subject}/versions", json=body)

    async def id_of(self, subject: str, schema: Any) -> int:
        response = await self.register(subject, schema)
        assert response.status_code == 200, response.text
        schema_id: int = response.json()["id"]
        return schema_id


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    log = MemoryLog()
    app = create_app(SchemaRegistry(log))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8081") as client:
        yield Api(client, log)


def error(response: httpx.Response) -> tuple[int, int]:
    body = response.json()
    assert isinstance(body["message"], str)
    assert body["message"]
    return response.status_code, body["error_code"]


async def test_root_and_types(api: Api) -> None:
    root = await api.client.get("/")
    assert root.json() == {}
    assert root.headers["content-type"] == CONTENT_TYPE
    assert (await api.client.get("/schemas/types")).json() == ["AVRO"]
    assert (await api.client.get("/subjects")).json() == []


async def test_register_is_idempotent_and_ids_are_global(api: Api) -> None:
    first = await api.id_of("a-value", V1)
    assert await api.id_of("a-value", V1) == first
    assert await api.id_of("b-value", V1) == first
    pretty = json.dumps(V1, indent=4, sort_keys=True)
    same = await api.client.post("/subjects/c-value/versions", json={"schema": pretty})
    assert same.json() == {"id": first}
    assert await api.id_of("a-value", V2) == first + 1
    assert (await api.client.get("/subjects/a-value/versions")).json() == [1, 2]
    assert (await api.client.get("/subjects")).json() == ["a-value", "b-value", "c-value"]


async def test_schemas_differing_only_in_a_default_get_distinct_ids(api: Api) -> None:
    other = json.loads(json.dumps(V2))
    other["fields"][1]["default"] = 100
    assert await api.id_of("x", V2) != await api.id_of("y", other)


@pytest.mark.parametrize(
    "content_type", [CONTENT_TYPE, "application/json", "application/octet-stream"]
)
async def test_accepts_the_usual_content_types(api: Api, content_type: str) -> None:
    response = await api.client.post(
        "/subjects/s/versions",
        content=json.dumps({"schema": json.dumps(V1)}),
        headers={"content-type": content_type},
    )
    assert response.json() == {"id": 1}


async def test_rejects_bad_schemas_clearly(api: Api) -> None:
    assert error(await api.register("s", V1, schemaType="PROTOBUF")) == (422, 42201)
    assert "PROTOBUF" in (await api.register("s", V1, schemaType="PROTOBUF")).json()["message"]
    invalid = await api.client.post("/subjects/s/versions", json={"schema": '{"type": "nope"}'})
    assert error(invalid) == (422, 42201)
    assert error(await api.client.post("/subjects/s/versions", json={})) == (422, 42201)
    as_object = await api.client.post("/subjects/s/versions", json={"schema": V1})
    assert error(as_object) == (422, 42201)
    assert "JSON string" in as_object.json()["message"]
    malformed = await api.client.post("/subjects/s/versions", content=b"{oops")
    assert error(malformed) == (400, 400)
    assert (await api.client.get("/subjects")).json() == []


async def test_incompatible_schema_is_409_and_compatibility_endpoint_explains(api: Api) -> None:
    await api.id_of("s", V1)
    assert error(await api.register("s", BREAKING)) == (409, 409)
    body = {"schema": json.dumps(BREAKING)}
    plain = await api.client.post("/compatibility/subjects/s/versions/latest", json=body)
    assert plain.json() == {"is_compatible": False}
    verbose = await api.client.post("/compatibility/subjects/s/versions/1?verbose=true", json=body)
    assert verbose.json()["is_compatible"] is False
    assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m for m in verbose.json()["messages"])
    good = await api.client.post(
        "/compatibility/subjects/s/versions", json={"schema": json.dumps(V2)}
    )
    assert good.json() == {"is_compatible": True}
    missing = await api.client.post("/compatibility/subjects/nope/versions/latest", json=body)
    assert error(missing) == (404, 40401)


async def test_lookup(api: Api) -> None:
    schema_id = await api.id_of("s", V1)
    body = {"schema": json.dumps(V1)}
    found = await api.client.post("/subjects/s", json=body)
    assert found.json() == {
        "subject": "s",
        "version": 1,
        "id": schema_id,
        "schema": json.dumps(V1, separators=(",", ":")),
    }
    assert error(await api.client.post("/subjects/nope", json=body)) == (404, 40401)
    other = {"schema": json.dumps(V2)}
    assert error(await api.client.post("/subjects/s", json=other)) == (404, 40403)


async def test_versions_and_schemas_by_id(api: Api) -> None:
    id1, id2 = await api.id_of("s", V1), await api.id_of("s", V2)
    latest = (await api.client.get("/subjects/s/versions/latest")).json()
    assert (latest["version"], latest["id"]) == (2, id2)
    assert (await api.client.get("/subjects/s/versions/-1")).json() == latest
    assert (await api.client.get("/subjects/s/versions/1")).json()["id"] == id1
    raw = await api.client.get("/subjects/s/versions/2/schema")
    assert json.loads(raw.text) == V2
    assert error(await api.client.get("/subjects/s/versions/3")) == (404, 40402)
    assert error(await api.client.get("/subjects/s/versions/zero")) == (422, 42202)
    assert error(await api.client.get("/subjects/s/versions/0")) == (422, 42202)
    assert error(await api.client.get("/subjects/nope/versions/1")) == (404, 40401)
    assert json.loads((await api.client.get(f"/schemas/ids/{id1}")).json()["schema"]) == V1
    assert json.loads((await api.client.get(f"/schemas/ids/{id1}/schema")).text) == V1
    await api.id_of("t", V1)
    versions = (await api.client.get(f"/schemas/ids/{id1}/versions")).json()
    assert versions == [{"subject": "s", "version": 1}, {"subject": "t", "version": 1}]
    assert (await api.client.get(f"/schemas/ids/{id1}/subjects")).json() == ["s", "t"]
    listing = (await api.client.get("/schemas?subjectPrefix=s")).json()
    assert [(x["subject"], x["version"], x["id"]) for x in listing] == [
        ("s", 1, id1),
        ("s", 2, id2),
    ]
    latest = (await api.client.get("/schemas?latestOnly=true")).json()
    assert [(x["subject"], x["version"]) for x in latest] == [("s", 2), ("t", 1)]
    assert error(await api.client.get("/schemas/ids/99")) == (404, 40403)
    assert error(await api.client.get("/schemas/ids/99/versions")) == (404, 40403)


async def test_config(api: Api) -> None:
    assert (await api.client.get("/config")).json() == {"compatibilityLevel": "BACKWARD"}
    put = await api.client.put("/config", json={"compatibility": "full"})
    assert put.json() == {"compatibility": "FULL"}
    assert (await api.client.get("/config")).json() == {"compatibilityLevel": "FULL"}
    assert error(await api.client.put("/config", json={"compatibility": "SIDEWAYS"})) == (
        422,
        42203,
    )
    assert error(await api.client.get("/config/s")) == (404, 40408)
    fallback = await api.client.get("/config/s?defaultToGlobal=true")
    assert fallback.json() == {"compatibilityLevel": "FULL"}
    await api.client.put("/config/s", json={"compatibility": "NONE"})
    assert (await api.client.get("/config/s")).json() == {"compatibilityLevel": "NONE"}
    await api.id_of("s", V1)
    assert await api.id_of("s", BREAKING) == 2  # NONE lets anything through
    deleted = await api.client.delete("/config/s")
    assert deleted.json() == {"compatibilityLevel": "NONE"}
    assert error(await api.client.get("/config/s")) == (404, 40408)
    assert error(await api.client.delete("/config/s")) == (404, 40408)
    assert error(await api.client.delete("/config/nope")) == (404, 40401)


async def test_subject_level_overrides_global(api: Api) -> None:
    required_qty = {
        "type": "record",
        "name": "Trade",
        "fields": [{"name": "px", "type": "double"}, {"name": "qty", "type": "long"}],
    }
    await api.client.put("/config/s", json={"compatibility": "FORWARD"})
    await api.id_of("s", required_qty)
    # dropping a field without default: backward compatible, but old readers need it
    assert error(await api.register("s", V1)) == (409, 409)
    await api.id_of("t", required_qty)
    assert await api.id_of("t", V1) == 2


async def test_soft_and_permanent_subject_delete(api: Api) -> None:
    id1 = await api.id_of("s", V1)
    await api.id_of("s", V2)
    assert error(await api.client.delete("/subjects/s?permanent=true")) == (404, 40405)
    assert (await api.client.delete("/subjects/s")).json() == [1, 2]
    assert error(await api.client.delete("/subjects/s")) == (404, 40404)
    assert (await api.client.get("/subjects")).json() == []
    assert (await api.client.get("/subjects?deleted=true")).json() == ["s"]
    assert (await api.client.get("/subjects/s/versions?deleted=true")).json() == [1, 2]
    assert (await api.client.get("/subjects/s/versions?deletedOnly=true")).json() == [1, 2]
    assert (await api.client.get("/subjects?deletedOnly=true")).json() == ["s"]
    assert error(await api.client.get("/subjects/s/versions")) == (404, 40401)
    # soft-deleted schemas stay readable by id, for consumers of old data
    assert (await api.client.get(f"/schemas/ids/{id1}")).status_code == 200
    assert (await api.client.delete("/subjects/s?permanent=true")).json() == [1, 2]
    assert error(await api.client.get(f"/schemas/ids/{id1}")) == (404, 40403)
    assert error(await api.client.delete("/subjects/s")) == (404, 40401)


async def test_version_delete_rules_and_numbering(api: Api) -> None:
    await api.id_of("s", V1)
    id2 = await api.id_of("s", V2)
    assert error(await api.client.delete("/subjects/s/versions/2?permanent=true")) == (404, 40407)
    assert (await api.client.delete("/subjects/s/versions/latest")).json() == 2
    assert error(await api.client.delete("/subjects/s/versions/2")) == (404, 40406)
    assert (await api.client.get("/subjects/s/versions")).json() == [1]
    assert (await api.client.get("/subjects/s/versions?deletedOnly=true")).json() == [2]
    assert (await api.client.get("/subjects/s/versions/2?deleted=true")).json()["id"] == id2
    # registering the deleted schema again makes a new version with the same id
    assert await api.id_of("s", V2) == id2
    assert (await api.client.get("/subjects/s/versions")).json() == [1, 3]
    assert (await api.client.delete("/subjects/s/versions/2?permanent=true")).json() == 2
    assert (await api.client.get("/subjects/s/versions?deleted=true")).json() == [1, 3]
    assert error(await api.client.delete("/subjects/s/versions/9")) == (404, 40402)


async def test_schema_references(api: Api) -> None:
    side = {"type": "enum", "name": "Side", "namespace": "tt", "symbols": ["BUY", "SELL"]}
    await api.id_of("side", side)
    order = {"type": "record", "name": "Order", "fields": [{"name": "side", "type": "tt.Side"}]}
    refs = [{"name": "tt.Side", "subject": "side", "version": 1}]
    assert error(await api.register("order", order)) == (422, 42201)
    registered = await api.register("order", order, references=refs)
    assert registered.json() == {"id": 2}
    fetched = (await api.client.get("/schemas/ids/2")).json()
    assert fetched["references"] == refs
    assert (await api.client.get("/subjects/side/versions/1/referencedby")).json() == [2]
    # a referenced schema cannot be deleted while something uses it
    assert error(await api.client.delete("/subjects/side/versions/1")) == (422, 42206)
    assert error(await api.client.delete("/subjects/side")) == (422, 42206)
    assert (await api.client.delete("/subjects/order")).json() == [1]
    assert error(await api.client.delete("/subjects/side")) == (422, 42206)
    assert (await api.client.delete("/subjects/order?permanent=true")).json() == [1]
    assert (await api.client.delete("/subjects/side")).json() == [1]


async def test_subjects_may_contain_slashes_and_dots(api: Api) -> None:
    name = "tt.md.quote.v1/odd:name"
    encoded = "tt.md.quote.v1%2Fodd%3Aname"
    assert (await api.register(encoded, V1)).json() == {"id": 1}
    assert (await api.client.get("/subjects")).json() == [name]
    assert (await api.client.get(f"/subjects/{encoded}/versions")).json() == [1]
    latest = (await api.client.get(f"/subjects/{encoded}/versions/latest")).json()
    assert latest["subject"] == name
    raw = await api.client.get(f"/subjects/{encoded}/versions/1/schema")
    assert json.loads(raw.text) == V1
    compat = await api.client.post(
        f"/compatibility/subjects/{encoded}/versions/latest", json={"schema": json.dumps(V2)}
    )
    assert compat.json() == {"is_compatible": True}
    await api.client.put(f"/config/{encoded}", json={"compatibility": "NONE"})
    assert (await api.client.get(f"/config/{encoded}")).json() == {"compatibilityLevel": "NONE"}
    assert (await api.client.delete(f"/subjects/{encoded}")).json() == [1]


async def test_unknown_routes_answer_in_confluent_shape(api: Api) -> None:
    assert error(await api.client.get("/nope")) == (404, 404)
    assert error(await api.client.patch("/subjects")) == (405, 405)
    assert (await api.client.get("/mode")).json() == {"mode": "READWRITE"}


async def test_a_replayed_log_gives_the_same_registry(api: Api) -> None:
    await api.id_of("s", V1)
    await api.id_of("s", V2)
    await api.id_of("t", V1)
    await api.client.put("/config/t", json={"compatibility": "FULL"})
    await api.client.delete("/subjects/s/versions/1")
    live, replayed = api.log.state, api.log.replay()
    assert replayed.subject_names(deleted=True) == live.subject_names(deleted=True)
    assert replayed.configs == live.configs
    assert replayed.max_id == live.max_id
    for subject in live.subjects:
        assert replayed.versions(subject, deleted=True) == live.versions(subject, deleted=True)


def test_json_response_is_compact() -> None:
    assert JsonResponse({"a": [1, 2]}).body == b'{"a":[1,2]}'
