"""The registry as its own process on real Kafka, driven by Confluent's own Python client."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.integration.registry.conftest import StartRegistry
from tests.support import eventually, free_port, unique

pytestmark = pytest.mark.integration

QUOTE_V1 = json.dumps(
    {
        "type": "record",
        "name": "Quote",
        "namespace": "tt.md",
        "fields": [
            {"name": "symbol", "type": "string"},
            {"name": "bid", "type": "double"},
            {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        ],
    }
)
QUOTE_V2 = json.dumps(
    {
        "type": "record",
        "name": "Quote",
        "namespace": "tt.md",
        "fields": [
            {"name": "symbol", "type": "string"},
            {"name": "bid", "type": "double"},
            {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "ask", "type": ["null", "double"], "default": None},
        ],
    }
)
QUOTE_BROKEN = json.dumps(
    {
        "type": "record",
        "name": "Quote",
        "namespace": "tt.md",
        "fields": [
            {"name": "symbol", "type": "string"},
            {"name": "venue", "type": "string"},
        ],
    }
)


def test_avro_serializer_round_trip(start_registry: StartRegistry) -> None:
    registry = start_registry()
    client = SchemaRegistryClient({"url": registry.url})
    topic = unique("tt.md.quote")
    serializer = AvroSerializer(client, QUOTE_V1)
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry.url}))
    ctx = SerializationContext(topic, MessageField.VALUE)
    record = {"symbol": "SPY", "bid": 601.25, "ts": 1_764_000_000_123_456}

    payload = serializer(record, ctx)

    assert payload is not None
    registered = client.get_latest_version(f"{topic}-value")
    assert payload[0] == 0
    assert int.from_bytes(payload[1:5], "big") == registered.schema_id
    assert registered.version == 1
    decoded = deserializer(payload, ctx)
    assert decoded["symbol"] == "SPY"
    assert decoded["bid"] == 601.25
    assert decoded["ts"].timestamp() == pytest.approx(1_764_000_000.123456)


def test_incompatible_schema_is_rejected_with_409(start_registry: StartRegistry) -> None:
    registry = start_registry()
    client = SchemaRegistryClient({"url": registry.url})
    subject = f"{unique('tt.md.quote')}-value"
    first = client.register_schema(subject, Schema(QUOTE_V1, "AVRO"))
    second = client.register_schema(subject, Schema(QUOTE_V2, "AVRO"))

    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema(subject, Schema(QUOTE_BROKEN, "AVRO"))

    assert info.value.http_status_code == 409
    assert info.value.error_code == 409
    assert client.get_compatibility() == "BACKWARD"
    assert second == first + 1
    assert client.get_versions(subject) == [1, 2]
    assert not client.test_compatibility(subject, Schema(QUOTE_BROKEN, "AVRO"))


def test_restart_preserves_subjects_ids_and_config(start_registry: StartRegistry) -> None:
    first = start_registry()
    client = SchemaRegistryClient({"url": first.url})
    a, b = f"{unique('a')}-value", f"{unique('b')}-value"
    id_a1 = client.register_schema(a, Schema(QUOTE_V1, "AVRO"))
    id_b1 = client.register_schema(b, Schema(QUOTE_V1, "AVRO"))
    id_a2 = client.register_schema(a, Schema(QUOTE_V2, "AVRO"))
    client.set_compatibility(b, "FULL_TRANSITIVE")
    client.delete_version(a, 2)
    assert id_a1 == id_b1  # one id per schema across subjects
    assert first.stop() == 0, first.log()

    second = start_registry(topic=first.topic)
    again = SchemaRegistryClient({"url": second.url})

    assert sorted(again.get_subjects()) == sorted([a, b])
    assert again.get_versions(a) == [1]
    assert again.get_version(a, 1).schema_id == id_a1
    assert again.get_compatibility(b) == "FULL_TRANSITIVE"
    schema_str = again.get_schema(id_a2).schema_str
    assert schema_str is not None
    assert json.loads(schema_str) == json.loads(QUOTE_V2)
    # a new schema gets max id + 1; re-registering a known one keeps its id
    assert again.register_schema(b, Schema(QUOTE_V2, "AVRO")) == id_a2
    fresh = json.loads(QUOTE_V2)
    fresh["fields"].append({"name": "size", "type": "long", "default": 0})
    assert again.register_schema(b, Schema(json.dumps(fresh), "AVRO")) == id_a2 + 1


async def test_topic_holds_confluent_format_records(
    start_registry: StartRegistry, kafka_bootstrap: str
) -> None:
    registry = start_registry()
    client = SchemaRegistryClient({"url": registry.url})
    subject = f"{unique('fmt')}-value"
    schema_id = client.register_schema(subject, Schema(QUOTE_V1, "AVRO"))
    client.set_compatibility(level="FULL")
    client.delete_subject(subject)

    records = await _read_all(kafka_bootstrap, registry.topic, expected=3)

    pairs = [(json.loads(k), None if v is None else json.loads(v)) for k, v in records]
    schema_key = {"keytype": "SCHEMA", "subject": subject, "version": 1, "magic": 1}
    assert (
        schema_key,
        {
            "subject": subject,
            "version": 1,
            "id": schema_id,
            "schema": json.dumps(json.loads(QUOTE_V1), separators=(",", ":")),
            "deleted": False,
        },
    ) in pairs
    assert (
        {"keytype": "CONFIG", "subject": None, "magic": 0},
        {"compatibilityLevel": "FULL"},
    ) in pairs
    assert (
        {"keytype": "DELETE_SUBJECT", "subject": subject, "magic": 0},
        {"subject": subject, "version": 1},
    ) in pairs
    assert ({"keytype": "NOOP", "magic": 0}, None) in pairs
    raw_keys = [k for k, _ in records]
    expected_key = (
        '{"keytype":"SCHEMA","subject":"' + subject + '","version":1,"magic":1}'
    ).encode()
    assert expected_key in raw_keys

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        [desc] = await admin.describe_topics([registry.topic])
        [config] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, registry.topic)]
        )
    finally:
        await admin.close()
    assert len(desc["partitions"]) == 1
    entries = {c[0]: c[1] for c in config.resources[0][4]}
    assert entries["cleanup.policy"] == "compact"


async def _read_all(bootstrap: str, topic: str, expected: int) -> list[tuple[bytes, bytes | None]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    await consumer.seek_to_beginning(tp)
    records: list[tuple[bytes, bytes | None]] = []

    async def enough() -> bool:
        batch = await consumer.getmany(tp, timeout_ms=200)
        records.extend((m.key, m.value) for m in batch.get(tp, []))
        return sum(1 for k, _ in records if b'"NOOP"' not in k) >= expected

    try:
        await eventually(enough, timeout=30, message=f"{expected} records in {topic}")
    finally:
        await consumer.stop()
    return records


def test_exits_with_a_clear_error_when_kafka_is_unreachable() -> None:
    port = free_port()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tastystream.stack.registry",
            "--port",
            str(port),
            "--bootstrap",
            f"127.0.0.1:{port}",
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert b"failed to start" in done.stderr
    assert b"Unable to bootstrap" in done.stderr
