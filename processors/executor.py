"""The order executor: ``tt.cmd.approved.v1`` → REST → ``tt.cmd.result.v1``.

Run it with ``python -m processors.executor`` (reads the ``TT_*``, ``KAFKA_*``,
``SCHEMA_REGISTRY_*`` and ``EXECUTOR_*`` settings). Each poll returns a batch; its commands are
grouped by account (the Kafka key): one task per account runs that account's commands in
order, accounts run in parallel. Only when every result of the batch is acknowledged by Kafka
are the batch's offsets committed (at-least-once): a crash before that re-delivers the
commands, and :class:`~processors.execution.OrderExecutor` finds their orders by
``external-identifier`` instead of placing them again; the re-published result has the same
``event_id``.

Bytes that do not decode go to ``tt.cmd.approved.v1.dlq`` with the reason; schema-valid
nonsense is answered with a ``rejected`` result. Neither stops the executor.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from adapters.tastytrade import Backoff, Client
from processors.commands import Invalid, parse_command
from processors.execution import ExecutionPolicy, OrderExecutor
from processors.executor_config import ExecutorSettings
from schemas.codec import AvroCodec
from schemas.envelope import ts_ingest
from schemas.errors import CodecError
from schemas.registry import SchemaRegistry, register_all, subjects_of
from schemas.topic_admin import Replication, ensure_topics, topics_for
from schemas.topics import COMMAND_TOPICS, TopicSpec
from tastystream.logs import configure_logging
from tastystream.settings import KafkaSettings, Settings

__all__ = ["CONSUMER_LABEL", "ExecutorService", "ExecutorTopics", "main"]

logger = logging.getLogger(__name__)

CONSUMER_LABEL = "processors.executor"


@dataclass(frozen=True, slots=True)
class ExecutorTopics:
    """The executor's topics (contract names, optionally prefixed) and their specs."""

    prefix: str = ""

    @property
    def approved_spec(self) -> TopicSpec:
        return COMMAND_TOPICS["approved"]

    @property
    def result_spec(self) -> TopicSpec:
        return COMMAND_TOPICS["result"]

    @property
    def approved(self) -> str:
        return self.prefix + self.approved_spec.name

    @property
    def result(self) -> str:
        return self.prefix + self.result_spec.name

    @property
    def dlq(self) -> str:
        return self.prefix + self.approved_spec.dlq


class ExecutorService:
    """Consume approved commands, execute them, publish results, then commit."""

    def __init__(
        self,
        executor: OrderExecutor,
        *,
        kafka: KafkaSettings,
        codec: AvroCodec,
        schema_ids: Mapping[str, int],
        topics: ExecutorTopics,
        group_id: str,
        accounts: frozenset[str] = frozenset(),
        batch_max_records: int = 100,
        consumer_factory: Callable[..., AIOKafkaConsumer] = AIOKafkaConsumer,
        producer_factory: Callable[..., AIOKafkaProducer] = AIOKafkaProducer,
    ) -> None:
        self._executor = executor
        self._kafka = kafka
        self._codec = codec
        self._ids = dict(schema_ids)
        self._topics = topics
        self._group_id = group_id
        self._accounts = accounts
        self._max_records = batch_max_records
        self._consumer_factory = consumer_factory
        self._producer_factory = producer_factory
        self.results = 0
        self.dead_letters = 0

    async def run(self, stop: asyncio.Event) -> None:
        consumer = self._consumer_factory(
            self._topics.approved,
            bootstrap_servers=self._kafka.bootstrap,
            client_id=f"{self._kafka.client_id}-executor",
            group_id=self._group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        producer = self._producer_factory(
            bootstrap_servers=self._kafka.bootstrap,
            client_id=f"{self._kafka.client_id}-executor",
            acks="all",
            enable_idempotence=True,
        )
        await producer.start()
        await consumer.start()
        logger.info("executor running topic=%s group=%s", self._topics.approved, self._group_id)
        try:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500, max_records=self._max_records)
                if not batch:
                    continue
                await self._handle(producer, [m for ms in batch.values() for m in ms])
                await consumer.commit({tp: ms[-1].offset + 1 for tp, ms in batch.items() if ms})
        finally:
            await consumer.stop()
            await producer.stop()
            logger.info(
                "executor stopped results=%d dead_letters=%d", self.results, self.dead_letters
            )

    async def _handle(self, producer: AIOKafkaProducer, messages: Sequence[ConsumerRecord]) -> None:
        by_account: dict[bytes, list[ConsumerRecord]] = defaultdict(list)
        for message in messages:
            by_account[message.key or b""].append(message)
        async with asyncio.TaskGroup() as group:
            for account_messages in by_account.values():
                group.create_task(self._run_account(producer, account_messages))

    async def _run_account(
        self, producer: AIOKafkaProducer, messages: Sequence[ConsumerRecord]
    ) -> None:
        for message in messages:  # one account's commands strictly in order
            await self._one(producer, message)

    async def _one(self, producer: AIOKafkaProducer, message: ConsumerRecord) -> None:
        try:
            record = self._codec.decode(message.value).record
        except CodecError as exc:
            await self._dead_letter(producer, message, exc.message, type(exc).__name__)
            return
        command = parse_command(record, self._accounts)
        if isinstance(command, Invalid):
            logger.warning("rejecting command %s: %s", command.command_id, command.reason)
            result = self._executor.reject(command)
        else:
            result = await self._executor.execute(command)
        logger.info(
            "command %s account=%s → %s order=%s",
            result["command_id"],
            result["account_number"],
            result["status"],
            result["order_id"],
        )
        value = self._codec.encode(self._ids[self._topics.result_spec.value_subject], result)
        await producer.send_and_wait(
            self._topics.result, value=value, key=result["account_number"].encode()
        )
        self.results += 1

    async def _dead_letter(
        self, producer: AIOKafkaProducer, message: ConsumerRecord, reason: str, error: str
    ) -> None:
        logger.warning(
            "dead-lettering %s[%d]@%d: %s", message.topic, message.partition, message.offset, reason
        )
        record = {
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "key": message.key,
            "value": message.value,
            "reason": reason,
            "error_class": error,
            "ts": ts_ingest(),
            "ts_original": message.timestamp * 1000,
            "consumer": CONSUMER_LABEL,
        }
        value = self._codec.encode(self._ids[self._topics.approved_spec.dlq_subject], record)
        await producer.send_and_wait(self._topics.dlq, value=value, key=message.key)
        self.dead_letters += 1


async def prepare(settings: Settings, topics: ExecutorTopics) -> tuple[AvroCodec, dict[str, int]]:
    """Register the executor's schemas and create its topics; the codec that knows them."""
    specs = [topics.approved_spec, topics.result_spec]
    async with SchemaRegistry(settings.registry.url) as registry:
        ids = await register_all(registry, specs)
    replication = Replication(settings.kafka.replication_factor, settings.kafka.min_insync_replicas)
    await ensure_topics(
        settings.kafka.bootstrap,
        topics_for({topics.prefix + s.name: s for s in specs}, replication),
        client_id=f"{settings.kafka.client_id}-executor-admin",
    )
    codec = AvroCodec()
    for subject, text in subjects_of(specs).items():
        codec.add(ids[subject], text)
    return codec, ids


async def main(settings: Settings, config: ExecutorSettings) -> None:
    topics = ExecutorTopics(config.topic_prefix)
    codec, ids = await prepare(settings, topics)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    policy = ExecutionPolicy(
        Backoff(base=config.backoff_base_s, cap=config.backoff_cap_s), config.retry_window_s
    )
    async with Client.from_settings(settings.tastytrade) as client:
        executor = OrderExecutor(client.rest.orders, source=config.source, policy=policy)
        service = ExecutorService(
            executor,
            kafka=settings.kafka,
            codec=codec,
            schema_ids=ids,
            topics=topics,
            group_id=config.group_id,
            accounts=frozenset(settings.tastytrade.accounts),
            batch_max_records=config.batch_max_records,
        )
        await service.run(stop)


def _entry() -> None:
    settings = Settings.load()
    secrets: list[Any] = [
        settings.tastytrade.client_secret.get_secret_value(),
        settings.tastytrade.refresh_token.get_secret_value(),
    ]
    configure_logging(settings.log.level, settings.log.format, [s for s in secrets if s])
    asyncio.run(main(settings, ExecutorSettings()))


if __name__ == "__main__":
    _entry()
