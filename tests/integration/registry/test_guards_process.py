"""The registry process refuses web pages and rebound names, and limits bodies (real Kafka)."""

from __future__ import annotations

import json

import httpx

from tests.integration.registry.conftest import StartRegistry

SCHEMA = json.dumps({"type": "record", "name": "G", "fields": [{"name": "a", "type": "long"}]})


def test_browser_requests_are_refused(start_registry: StartRegistry) -> None:
    registry = start_registry()
    port = registry.url.rsplit(":", 1)[1]
    evil = httpx.post(
        f"{registry.url}/subjects/g-value/versions",
        content=json.dumps({"schema": SCHEMA}),
        headers={"Origin": "http://evil.example", "Content-Type": "text/plain"},
    )
    assert evil.status_code == 403
    assert evil.json()["error_code"] == 40301
    assert "access-control-allow-origin" not in evil.headers
    rebound = httpx.get(f"{registry.url}/subjects", headers={"Host": f"evil.example:{port}"})
    assert rebound.status_code == 403
    assert httpx.get(f"{registry.url}/subjects").json() == []


def test_limits_are_4xx(start_registry: StartRegistry) -> None:
    registry = start_registry()
    big = json.dumps({"schema": SCHEMA, "pad": "x" * (3 << 20)})
    too_big = httpx.post(f"{registry.url}/subjects/g-value/versions", content=big, timeout=30)
    assert too_big.status_code == 413
    doc = json.loads(SCHEMA) | {"doc": '"' * 350_000}  # escaped twice in its record: > 1 MB
    schema = httpx.post(
        f"{registry.url}/subjects/g-value/versions", json={"schema": json.dumps(doc)}, timeout=30
    )
    assert schema.status_code == 422
    assert schema.json()["error_code"] == 42209
    assert httpx.get(f"{registry.url}/schemas/ids/-1").json()["error_code"] == 40403
    bad = httpx.get(f"{registry.url}/subjects/a%0Ab/versions")
    assert bad.json()["error_code"] == 42208
