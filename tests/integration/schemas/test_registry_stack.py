"""The registry client against the stack's Confluent-compatible registry, and interop with
confluent-kafka's own Avro serializer/deserializer (an independent consumer)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from schemas.catalog import load_schema
from schemas.codec import AvroCodec, schema_id_of
from schemas.errors import IncompatibleSchema
from schemas.registry import COMPATIBILITY, SchemaRegistry, register_all
from schemas.topics import MARKET_TOPICS
from tests.support import unique
from tests.unit.sinks_ddl.records import T0, make

pytestmark = pytest.mark.integration


async def test_register_all_against_the_registry(registry_url: str) -> None:
    async with SchemaRegistry(registry_url) as registry:
        ids = await register_all(registry)
        assert len(ids) == 2 * len(MARKET_TOPICS)
        for spec in MARKET_TOPICS.values():
            assert await registry.compatibility(spec.value_subject) == COMPATIBILITY
            latest_id, _, text = await registry.latest(spec.value_subject)
            assert latest_id == ids[spec.value_subject]
            codec = AvroCodec()
            codec.add(latest_id, text)
            assert codec.schema(latest_id)["name"] == spec.event_type
    async with SchemaRegistry(registry_url) as again:
        assert await register_all(again) == ids  # idempotent across processes


async def test_compatible_evolution_accepted_incompatible_rejected(registry_url: str) -> None:
    subject = f"{unique('tt.md.evolve')}-value"
    async with SchemaRegistry(registry_url) as registry:
        await registry.set_compatibility(subject)
        v1 = await registry.register(subject, load_schema("quote.avsc"))
        evolved = load_schema("quote.avsc")
        evolved["fields"].append(
            {"name": "venue", "type": "string", "default": "", "doc": "Added in v2."}
        )
        assert await registry.is_compatible(subject, evolved)
        v2 = await registry.register(subject, evolved)
        assert v2 != v1
        broken = load_schema("quote.avsc")
        broken["fields"].append({"name": "venue", "type": "string", "doc": "No default."})
        # readable against v2 (it has `venue`) but not against v1: only the transitive check sees it
        assert await registry.is_compatible(subject, broken, version="latest")
        assert not await registry.is_compatible(subject, broken)
        with pytest.raises(IncompatibleSchema) as info:
            await registry.register(subject, broken)
        assert info.value.status == 409
        retyped = load_schema("quote.avsc")
        for field in retyped["fields"]:
            if field["name"] == "bid_price":
                field["type"] = "string"
        with pytest.raises(IncompatibleSchema):
            await registry.register(subject, retyped)
        _, version, _ = await registry.latest(subject)
        assert version == 2


def _sample(event_type: str) -> dict[str, Any]:
    extra: dict[str, Any] = {"period": "5m"} if event_type == "Candle" else {}
    record = make(event_type, "SPY", T0, **extra)
    for name in ("price", "bid_price", "ask_price", "open", "close"):
        if name in record:
            record[name] = 601.25
    return record


async def test_independent_confluent_consumer_decodes_every_market_topic(
    registry_url: str,
) -> None:
    async with SchemaRegistry(registry_url) as registry:
        ids = await register_all(registry, include_dlq=False)
    client = SchemaRegistryClient({"url": registry_url})
    deserializer = AvroDeserializer(client)
    for event_type, spec in MARKET_TOPICS.items():
        codec = AvroCodec()
        schema_id = ids[spec.value_subject]
        codec.add(schema_id, spec.schema())
        record = _sample(event_type)
        value = codec.encode(schema_id, record)
        ctx = SerializationContext(spec.name, MessageField.VALUE)
        decoded = deserializer(value, ctx)
        assert decoded is not None
        assert decoded["event_id"] == record["event_id"], spec.name
        assert decoded["streamer_symbol"] == "SPY"
        assert decoded["ts_event"].timestamp() * 1_000_000 == pytest.approx(T0)
        nan_fields = [k for k, v in record.items() if isinstance(v, float) and math.isnan(v)]
        assert nan_fields
        assert all(math.isnan(decoded[k]) for k in nan_fields)

        # and the other way: confluent's serializer, our codec
        serializer = AvroSerializer(
            client,
            spec.schema_text(),
            conf={"auto.register.schemas": False, "use.latest.version": True},
        )
        theirs = serializer(record, ctx)
        assert theirs is not None
        assert schema_id_of(theirs) == schema_id
        ours = codec.decode(theirs).record
        assert ours["event_id"] == record["event_id"]
        assert ours["ts_event"] == T0
