"""The Kafka-backed store in-process: start-up replay, read-your-writes, interop with Confluent."""

from __future__ import annotations

import json

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tastystream.stack.registry import KafkaLog, LogStatus, SchemaRegistry, SchemaRequest
from tastystream.stack.registry.records import ConfigKey, ConfigValue, SchemaKey, SchemaValue
from tests.support import unique

pytestmark = pytest.mark.integration

STRING = '"string"'
RECORD = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "long"}]})


async def _produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes | None]]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"})]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value, key=key, partition=0)
    finally:
        await producer.stop()


async def test_reads_a_log_written_by_confluent_and_skips_junk(kafka_bootstrap: str) -> None:
    topic = unique("_schemas")
    await _produce(
        kafka_bootstrap,
        topic,
        [
            (b'{"keytype":"NOOP","magic":0}', None),
            (
                b'{"keytype":"SCHEMA","subject":"legacy-value","version":1,"magic":1}',
                b'{"subject":"legacy-value","version":1,"id":7,"schema":"\\"string\\"",'
                b'"deleted":false}',
            ),
            (b'{"keytype":"MODE","subject":null,"magic":0}', b'{"mode":"READWRITE"}'),
            (b"garbage", b"more garbage"),
            (
                b'{"keytype":"SCHEMA","subject":"proto-value","version":1,"magic":1}',
                b'{"subject":"proto-value","version":1,"id":9,"schemaType":"PROTOBUF",'
                b'"schema":"syntax = \\"proto3\\";","deleted":false}',
            ),
            (b'{"keytype":"CONFIG","subject":null,"magic":0}', b'{"compatibilityLevel":"FULL"}'),
            (
                b'{"keytype":"DELETE_SUBJECT","subject":"proto-value","magic":0}',
                b'{"subject":"proto-value","version":1}',
            ),
        ],
    )

    async with KafkaLog(kafka_bootstrap, topic) as store:
        assert store.status is LogStatus.RUNNING
        registry = SchemaRegistry(store)
        assert registry.subjects() == ["legacy-value"]
        assert registry.subjects(deleted=True) == ["legacy-value", "proto-value"]
        assert registry.schema(7).text == STRING
        assert registry.schema(9).schema_type == "PROTOBUF"
        assert registry.level().value == "FULL"
        # the same schema keeps Confluent's id; a new one gets max id + 1
        assert await registry.register("mine-value", SchemaRequest(STRING)) == 7
        assert await registry.register("other-value", SchemaRequest('"long"')) == 10
    assert store.status.value == "stopped"


async def test_writes_are_visible_on_return_and_to_other_instances(kafka_bootstrap: str) -> None:
    topic = unique("_schemas")
    async with KafkaLog(kafka_bootstrap, topic) as one, KafkaLog(kafka_bootstrap, topic) as two:
        await one.write(SchemaKey("s", 1), SchemaValue("s", 1, 1, RECORD))
        assert one.state.versions("s")[0].id == 1  # read-your-write, no sync needed
        await two.sync()
        assert two.state.schemas[1].text == RECORD
        await two.write(ConfigKey("s"), ConfigValue("NONE"))
        await one.sync()
        assert one.state.configs == {"s": "NONE"}
        await two.sync()  # after its own NOOP, two has read everything one wrote
        assert two.position >= one.position

    async with KafkaLog(kafka_bootstrap, topic) as again:
        assert again.state.configs == {"s": "NONE"}
        assert again.state.max_id == 1
