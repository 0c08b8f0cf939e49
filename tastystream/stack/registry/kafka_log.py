"""The registry's store in Kafka: the compacted single-partition ``_schemas`` topic.

Start-up creates the topic if missing (1 partition, ``cleanup.policy=compact``), reads it to its
end offset and only then reports ``running``. A reader task keeps applying records; a write is
produced with ``acks=all`` and idempotence, then waits until the reader has consumed that offset
(Confluent's "write, then wait for the reader"). :meth:`KafkaLog.sync` appends a NOOP record and
waits for it, so a decision is taken on a view that includes everything written before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from enum import StrEnum
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from tastystream.stack.registry.errors import StoreError, StoreTimeout
from tastystream.stack.registry.records import (
    Key,
    NoopKey,
    OtherKey,
    RecordFormatError,
    Value,
    decode_key,
    decode_value,
    encode_key,
    encode_value,
)
from tastystream.stack.registry.state import RegistryState

__all__ = ["KafkaLog", "LogStatus"]

log = logging.getLogger(__name__)

_TOPIC_EXISTS = 36


class LogStatus(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    DEGRADED = "degraded"
    STOPPING = "stopping"


class KafkaLog:
    """An async context manager: ``async with KafkaLog(bootstrap) as store: ...``."""

    def __init__(
        self,
        bootstrap: str,
        topic: str = "_schemas",
        *,
        timeout_s: float = 10.0,
        startup_timeout_s: float = 60.0,
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.timeout_s = timeout_s
        self.startup_timeout_s = startup_timeout_s
        self.status = LogStatus.STOPPED
        self._state = RegistryState()
        self._tp = TopicPartition(topic, 0)
        self._position = 0  # next offset the reader will apply
        self._progress = asyncio.Condition()
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def state(self) -> RegistryState:
        return self._state

    @property
    def position(self) -> int:
        return self._position

    # ------------------------------------------------------------- lifecycle
    async def __aenter__(self) -> Self:
        self._transition(LogStatus.STARTING)
        try:
            await asyncio.wait_for(self._start(), self.startup_timeout_s)
        except BaseException:
            await self._stop()
            raise
        self._reader = asyncio.create_task(self._read_forever(), name=f"{self.topic}-reader")
        self._transition(LogStatus.RUNNING)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    async def _start(self) -> None:
        await self._ensure_topic()
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=0,
        )
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await self._consumer.start()
        self._consumer.assign([self._tp])
        await self._consumer.seek_to_beginning(self._tp)
        end = (await self._consumer.end_offsets([self._tp]))[self._tp]
        while self._position < end:
            await self._read_batch()
        log.info(
            "read %s to offset %d: %d subjects, %d schemas, max id %d",
            self.topic,
            end,
            len(self._state.subjects),
            len(self._state.schemas),
            self._state.max_id,
        )

    async def _ensure_topic(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            if self.topic not in await admin.list_topics():
                cluster = await admin.describe_cluster()
                replicas = max(1, min(3, len(cluster.get("brokers", []))))
                topic = NewTopic(
                    self.topic, 1, replicas, topic_configs={"cleanup.policy": "compact"}
                )
                response = await admin.create_topics([topic])
                for error in getattr(response, "topic_errors", []):
                    if error[1] not in (0, _TOPIC_EXISTS):
                        raise StoreError(f"cannot create topic {self.topic}: {error}")
                log.info("created topic %s (compacted, replicas=%d)", self.topic, replicas)
            for desc in await admin.describe_topics([self.topic]):
                partitions = len(desc.get("partitions", []))
                if partitions > 1:
                    raise StoreError(f"topic {self.topic} must have 1 partition, has {partitions}")
        finally:
            await admin.close()

    async def _stop(self) -> None:
        if self.status is LogStatus.STOPPED:
            return
        self._transition(LogStatus.STOPPING)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._reader, 5)
            self._reader = None
        for client in (self._producer, self._consumer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.stop(), 10)
        self._producer = self._consumer = None
        self._transition(LogStatus.STOPPED)

    def _transition(self, status: LogStatus) -> None:
        if status is not self.status:
            log.info("schema log %s: %s -> %s", self.topic, self.status.value, status.value)
            self.status = status

    # ---------------------------------------------------------------- reader
    async def _read_forever(self) -> None:
        while True:
            try:
                await self._read_batch()
                if self.status is LogStatus.DEGRADED:
                    self._transition(LogStatus.RUNNING)
            except Exception as exc:  # aiokafka reconnects itself; keep the reader alive
                log.warning("reading %s failed (%r); retrying", self.topic, exc)
                self._transition(LogStatus.DEGRADED)
                await asyncio.sleep(1.0)

    async def _read_batch(self) -> None:
        assert self._consumer is not None
        batches = await self._consumer.getmany(self._tp, timeout_ms=500)
        for message in batches.get(self._tp, []):
            self._apply(message.offset, message.key, message.value)
        position = await self._consumer.position(self._tp)
        async with self._progress:
            self._position = max(self._position, position)
            self._progress.notify_all()

    def _apply(self, offset: int, raw_key: bytes | None, raw_value: bytes | None) -> None:
        if raw_key is None:
            log.warning("skipping record without key at %s@%d", self.topic, offset)
            return
        try:
            key = decode_key(raw_key)
            value = decode_value(key, raw_value)
        except RecordFormatError as exc:
            log.warning("skipping malformed record at %s@%d: %s", self.topic, offset, exc)
            return
        if isinstance(key, OtherKey):
            log.debug("ignoring %s record at %s@%d", key.keytype, self.topic, offset)
            return
        try:
            self._state.apply(key, value)
        except Exception:  # one bad record must not stop the reader (and every write with it)
            log.exception("skipping record at %s@%d that could not be applied", self.topic, offset)

    # ----------------------------------------------------------------- store
    async def write(self, key: Key, value: Value | None) -> None:
        if self._producer is None or self.status is LogStatus.STOPPING:
            raise StoreError("the schema log is not running")
        try:
            metadata: Any = await asyncio.wait_for(
                self._producer.send_and_wait(
                    self.topic, encode_value(value), key=encode_key(key), partition=0
                ),
                self.timeout_s,
            )
        except TimeoutError as exc:
            raise StoreTimeout(f"write to {self.topic} timed out") from exc
        except KafkaError as exc:
            raise StoreError(f"write to {self.topic} failed: {exc}") from exc
        await self._wait_for(int(metadata.offset))

    async def sync(self) -> None:
        await self.write(NoopKey(), None)

    async def _wait_for(self, offset: int) -> None:
        try:
            async with self._progress:
                await asyncio.wait_for(
                    self._progress.wait_for(lambda: self._position > offset), self.timeout_s
                )
        except TimeoutError as exc:
            raise StoreTimeout(
                f"the reader did not reach offset {offset} of {self.topic} in {self.timeout_s}s"
            ) from exc
