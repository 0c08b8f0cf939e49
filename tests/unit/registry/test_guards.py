"""The registry's guards: browser requests, body and schema sizes, subject names, schema ids."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tastystream.stack.browser_guard import BrowserGuard
from tastystream.stack.registry import MemoryLog, SchemaRegistry, create_app
from tastystream.stack.registry.service import MAX_RECORD_BYTES

BASE = "http://127.0.0.1:8081"
SCHEMA = {"type": "record", "name": "T", "fields": [{"name": "a", "type": "long"}]}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    guard = BrowserGuard.create("127.0.0.1", 8081, origins=["http://localhost:3000"])
    app = create_app(SchemaRegistry(MemoryLog()), guard=guard)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


def _error(resp: httpx.Response, status: int, code: int) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json()["error_code"] == code
    assert resp.json()["message"]


async def test_a_web_page_cannot_register_or_read(client: httpx.AsyncClient) -> None:
    evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    body = json.dumps({"schema": json.dumps(SCHEMA)})
    post = await client.post("/subjects/x-value/versions", content=body, headers=evil)
    _error(post, 403, 40301)
    assert "access-control-allow-origin" not in post.headers
    _error(await client.get("/subjects", headers=evil), 403, 40301)
    _error(await client.get("/subjects", headers={"Host": "rebound.example:8081"}), 403, 40301)
    _error(await client.get("/subjects", headers={"Sec-Fetch-Site": "cross-site"}), 403, 40301)
    _error(await client.options("/subjects", headers=evil), 403, 40301)
    assert (await client.get("/subjects")).json() == []  # nothing was registered


async def test_cors_for_a_configured_origin_only(client: httpx.AsyncClient) -> None:
    friend = {"Origin": "http://localhost:3000"}
    resp = await client.get("/subjects", headers=friend)
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == "http://localhost:3000"
    preflight = await client.options("/subjects", headers=friend)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "access-control-allow-origin" not in (await client.get("/subjects")).headers


async def test_request_body_limit() -> None:
    app = create_app(SchemaRegistry(MemoryLog()), max_body=4096)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        big = json.dumps({"schema": json.dumps(SCHEMA), "pad": "x" * 5000})
        _error(await c.post("/subjects/a-value/versions", content=big), 413, 413)

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
            for _ in range(10):
                yield b" " * 1000

        _error(await c.post("/subjects/a-value/versions", content=chunks()), 413, 413)
        ok = await c.post("/subjects/a-value/versions", json={"schema": json.dumps(SCHEMA)})
        assert ok.status_code == 200


async def test_an_oversized_schema_is_a_4xx(client: httpx.AsyncClient) -> None:
    doc = "d" * (MAX_RECORD_BYTES + 10)
    schema = {**SCHEMA, "doc": doc}
    resp = await client.post("/subjects/big-value/versions", json={"schema": json.dumps(schema)})
    _error(resp, 422, 42209)
    # just under the raw limit, but its record (JSON-escaped) would not fit one Kafka message
    quotes = {**SCHEMA, "doc": '"' * (MAX_RECORD_BYTES // 3)}
    resp = await client.post("/subjects/big-value/versions", json={"schema": json.dumps(quotes)})
    _error(resp, 422, 42209)


@pytest.mark.parametrize("subject", ["a%0Ab-value", "tab%09", "nul%00x", "%7F", "s" * 256])
async def test_invalid_subject_names(client: httpx.AsyncClient, subject: str) -> None:
    body = {"schema": json.dumps(SCHEMA)}
    _error(await client.post(f"/subjects/{subject}/versions", json=body), 422, 42208)
    _error(await client.get(f"/subjects/{subject}/versions"), 422, 42208)


async def test_longest_subject_is_accepted(client: httpx.AsyncClient) -> None:
    subject = "s" * 255
    resp = await client.post(f"/subjects/{subject}/versions", json={"schema": json.dumps(SCHEMA)})
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("schema_id", ["-1", "0", "abc", "99999999999999999999"])
async def test_unknown_schema_ids_are_40403(client: httpx.AsyncClient, schema_id: str) -> None:
    for suffix in ("", "/schema", "/versions", "/subjects"):
        _error(await client.get(f"/schemas/ids/{schema_id}{suffix}"), 404, 40403)
