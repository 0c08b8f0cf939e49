"""Test streams for the sink: per-test topics, a per-test database, Avro producing, reading back."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import clickhouse_connect
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from clickhouse_connect.driver.exceptions import DatabaseError
from pydantic import SecretStr

from schemas import MARKET_TOPICS, AvroCodec, SchemaRegistry, TopicSpec, value_subject
from tastystream.settings import ClickHouseSettings, KafkaSettings, RegistrySettings, Settings
from tastystream.stack import StackConfig
from tests.support import unique


@dataclass(frozen=True)
class SinkWorld:
    """One test's topics (``<prefix>.tt.md.<name>.v1``), database and group."""

    stack: StackConfig
    prefix: str
    database: str
    group: str

    def topic(self, event_type: str) -> str:
        return f"{self.prefix}.{MARKET_TOPICS[event_type].name}"

    def settings(self) -> Settings:
        return Settings(
            kafka=KafkaSettings(bootstrap=self.stack.kafka_bootstrap),
            registry=RegistrySettings(url=self.stack.registry_url),
            clickhouse=ClickHouseSettings(
                url=self.stack.clickhouse_url,
                database=self.database,
                password=SecretStr(self.stack.clickhouse_password),
            ),
        )

    def env(self) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP": self.stack.kafka_bootstrap,
            "SCHEMA_REGISTRY_URL": self.stack.registry_url,
            "CLICKHOUSE_URL": self.stack.clickhouse_url,
            "CLICKHOUSE_DATABASE": self.database,
            "CLICKHOUSE_PASSWORD": self.stack.clickhouse_password,
            "LOG_LEVEL": "INFO",
        }


def new_world(stack: StackConfig) -> SinkWorld:
    name = unique("sk").replace("-", "_")
    return SinkWorld(stack, name, name, f"{name}-group")


async def create_topics(bootstrap: str, topics: dict[str, int]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, p, 1) for t, p in topics.items()])
    finally:
        await admin.close()


class Publisher:
    """Encodes records with the registry (subject ``<topic>-value``) and produces them."""

    def __init__(self, world: SinkWorld) -> None:
        self.world = world
        self.codec = AvroCodec()
        self.ids: dict[str, int] = {}
        self.producer = AIOKafkaProducer(
            bootstrap_servers=world.stack.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
        )
        self.registry = SchemaRegistry(world.stack.registry_url)

    async def __aenter__(self) -> Publisher:
        await self.registry.__aenter__()
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()
        await self.registry.__aexit__(None, None, None)

    async def schema_id(self, topic: str, spec: TopicSpec) -> int:
        if topic not in self.ids:
            sid = await self.registry.register(value_subject(topic), spec.schema_text())
            self.codec.add(sid, spec.schema_text())
            self.ids[topic] = sid
        return self.ids[topic]

    async def send(self, event_type: str, records: Sequence[dict[str, Any]]) -> None:
        spec = MARKET_TOPICS[event_type]
        topic = self.world.topic(event_type)
        sid = await self.schema_id(topic, spec)
        futures = [
            await self.producer.send(topic, value=v, key=spec.key_of(r))
            for r, v in zip(records, self.codec.encode_many(sid, records), strict=True)
        ]
        await asyncio.gather(*futures)

    async def send_raw(self, topic: str, value: bytes | None, key: bytes = b"BAD") -> None:
        await (await self.producer.send(topic, value=value, key=key))


def ch_client(world: SinkWorld) -> Any:
    return clickhouse_connect.get_client(
        dsn=world.stack.clickhouse_url,
        database=world.database,
        password=world.stack.clickhouse_password,
        autogenerate_session_id=False,
    )


async def query(world: SinkWorld, sql: str) -> list[tuple[Any, ...]]:
    def run() -> list[tuple[Any, ...]]:
        client = ch_client(world)
        try:
            return [tuple(r) for r in client.query(sql).result_rows]
        finally:
            client.close()

    return await asyncio.to_thread(run)


async def counts(world: SinkWorld, table: str) -> tuple[int, int]:
    """``(count(), uniqExact(event_id))`` of ``table`` (without FINAL: duplicates would show)."""
    sql = f"SELECT count(), uniqExact(event_id) FROM {world.database}.{table}"
    try:
        rows = await query(world, sql)
    except DatabaseError as exc:
        if "UNKNOWN_DATABASE" in str(exc) or "UNKNOWN_TABLE" in str(exc):
            return 0, 0  # the sink has not migrated this test's database yet
        raise
    return int(rows[0][0]), int(rows[0][1])


async def drop_database(world: SinkWorld) -> None:
    def run() -> None:
        client = clickhouse_connect.get_client(
            dsn=world.stack.clickhouse_url,
            password=world.stack.clickhouse_password,
            autogenerate_session_id=False,
        )
        try:
            client.command(f"DROP DATABASE IF EXISTS {world.database}")
        finally:
            client.close()

    await asyncio.to_thread(run)


async def read_topic(bootstrap: str, topic: str, partitions: int = 1) -> list[Any]:
    """Every record currently in ``topic`` (read_committed)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        out: list[Any] = []
        for _ in range(100):
            if all([await consumer.position(tp) >= end[tp] for tp in tps]):
                break
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                out.extend(records)
        return out
    finally:
        await consumer.stop()
