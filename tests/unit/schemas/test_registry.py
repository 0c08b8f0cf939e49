from __future__ import annotations

import json

import httpx
import pytest

from schemas.catalog import load_schema
from schemas.codec import AvroCodec, wire_header
from schemas.errors import (
    IncompatibleSchema,
    InvalidSchema,
    RegistryError,
    RegistryUnavailable,
    SchemaNotFound,
)
from schemas.registry import COMPATIBILITY, SchemaRegistry, register_all, subjects_of
from schemas.topics import MARKET_TOPICS
from tests.unit.schemas.fake_registry import FakeRegistry


def _registry(fake: FakeRegistry) -> SchemaRegistry:
    return SchemaRegistry("http://registry.test", transport=fake.transport())


async def test_register_all_sets_compatibility_and_registers_every_subject() -> None:
    fake = FakeRegistry()
    async with _registry(fake) as registry:
        ids = await register_all(registry)
        running = registry.state
    assert (running, registry.state) == ("running", "stopped")
    expected = subjects_of()
    assert set(ids) == set(expected)
    assert len(ids) == 2 * len(MARKET_TOPICS)
    assert "tt.md.quote.v1-value" in ids
    assert "tt.md.quote.v1.dlq-value" in ids
    assert all(fake.config[s] == COMPATIBILITY for s in ids)
    # one schema per market topic, one shared dead-letter schema
    assert len(set(ids.values())) == len(MARKET_TOPICS) + 1
    assert json.loads(fake.schemas[ids["tt.md.trade.v1-value"]])["name"] == "Trade"


async def test_register_all_is_idempotent_and_cached() -> None:
    fake = FakeRegistry()
    async with _registry(fake) as registry:
        first = await register_all(registry, [MARKET_TOPICS["Quote"]])
        calls = len(fake.calls)
        assert (
            await registry.register("tt.md.quote.v1-value", load_schema("quote.avsc"))
            == (first["tt.md.quote.v1-value"])
        )
        assert len(fake.calls) == calls, "second register must come from the cache"
    async with _registry(fake) as fresh:
        assert await register_all(fresh, [MARKET_TOPICS["Quote"]]) == first


async def test_compatible_evolution_accepted_incompatible_rejected() -> None:
    fake = FakeRegistry()
    subject = "tt.md.quote.v1-value"
    async with _registry(fake) as registry:
        await register_all(registry, [MARKET_TOPICS["Quote"]], include_dlq=False)
        evolved = load_schema("quote.avsc")
        evolved["fields"].append(
            {"name": "venue", "type": "string", "default": "", "doc": "Venue."}
        )
        assert await registry.is_compatible(subject, evolved)
        new_id = await registry.register(subject, evolved)
        broken = load_schema("quote.avsc")
        broken["fields"].append({"name": "venue2", "type": "string", "doc": "No default."})
        assert not await registry.is_compatible(subject, broken)
        with pytest.raises(IncompatibleSchema) as info:
            await registry.register(subject, broken)
        assert info.value.status == 409
        assert not info.value.retriable
        latest_id, version, _ = await registry.latest(subject)
        assert (latest_id, version) == (new_id, 2)
        assert await registry.compatibility(subject) == COMPATIBILITY


async def test_schema_by_id_is_cached_and_missing_ids_are_typed() -> None:
    fake = FakeRegistry()
    async with _registry(fake) as registry:
        ids = await register_all(registry, [MARKET_TOPICS["Greeks"]], include_dlq=False)
    async with _registry(fake) as reader:
        sid = ids["tt.md.greeks.v1-value"]
        assert json.loads(await reader.schema_by_id(sid))["name"] == "Greeks"
        calls = len(fake.calls)
        await reader.schema_by_id(sid)
        assert len(fake.calls) == calls
        with pytest.raises(SchemaNotFound):
            await reader.schema_by_id(777)
        assert await reader.lookup("tt.md.greeks.v1-value", load_schema("greeks.avsc")) == sid
        assert await reader.lookup("tt.md.greeks.v1-value", load_schema("quote.avsc")) is None


async def test_prime_teaches_the_codec_and_reports_missing_ids() -> None:
    fake = FakeRegistry()
    async with _registry(fake) as registry:
        ids = await register_all(registry, [MARKET_TOPICS["Candle"]], include_dlq=False)
        sid = ids["tt.md.candle.v1-value"]
        codec = AvroCodec()
        missing = await registry.prime(codec, [wire_header(sid), wire_header(404), b"bad", None])
        assert missing == {404}
        assert codec.knows(sid)
        assert codec.schema(sid)["name"] == "Candle"


async def test_retriable_failures_are_retried_then_surface() -> None:
    fake = FakeRegistry()
    fake.fail_next = [503, 503]
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    async with _registry(fake) as registry:
        ids = await register_all(registry, [MARKET_TOPICS["Quote"]], include_dlq=False, sleep=sleep)
        assert ids
        assert delays == [0.5, 1.0]
        fake.fail_next = [500] * 3
        with pytest.raises(RegistryUnavailable) as info:
            await register_all(
                registry, [MARKET_TOPICS["Trade"]], include_dlq=False, attempts=3, sleep=sleep
            )
        assert info.value.retriable


async def test_transport_errors_and_status_mapping() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with SchemaRegistry("http://x", transport=httpx.MockTransport(refuse)) as registry:
        with pytest.raises(RegistryUnavailable):
            await registry.schema_by_id(1)

    def invalid(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"error_code": 42201, "message": "Invalid schema"})

    async with SchemaRegistry("http://x", transport=httpx.MockTransport(invalid)) as registry:
        with pytest.raises(InvalidSchema) as info:
            await registry.register("s", {"type": "string"})
        assert info.value.error_code == 42201

    def teapot(request: httpx.Request) -> httpx.Response:
        return httpx.Response(418, text="no json")

    async with SchemaRegistry("http://x", transport=httpx.MockTransport(teapot)) as registry:
        with pytest.raises(RegistryError) as err:
            await registry.set_compatibility("s")
        assert err.value.status == 418
        assert not err.value.retriable


async def test_not_running_is_an_error() -> None:
    registry = SchemaRegistry("http://x")
    with pytest.raises(RegistryError, match="not running"):
        await registry.schema_by_id(1)
