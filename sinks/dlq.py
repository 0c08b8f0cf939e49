"""Dead letters: records the sink cannot write go to ``<topic>.dlq``, never silently away.

A dead letter (``schemas/dead_letter.avsc``) keeps the original coordinates, the untouched key
and value bytes, the reason and the error class, so the record can be inspected, fixed and
replayed. Letters are produced with acks=all and idempotence and awaited before the batch they
came from is marked done; after a crash mid-batch the replay may send a letter twice (the
coordinates identify duplicates), but never zero times.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas import (
    DLQ_SCHEMA_FILE,
    AvroCodec,
    SchemaRegistry,
    dlq_topic,
    schema_text,
    value_subject,
)
from sinks.batch import RawRecord

__all__ = [
    "DeadLetter",
    "DeadLetterPublisher",
    "dead_letter_record",
    "dlq_topic_spec",
    "ensure_topics",
]

logger = logging.getLogger(__name__)

_MAX_REASON = 2000
DLQ_PARTITIONS = 1
DLQ_RETENTION_MS = 30 * 24 * 3_600_000


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record to dead-letter, with the reason, ready to encode."""

    dlq: str
    key: bytes | None
    record: dict[str, Any]

    @property
    def error_class(self) -> str:
        return str(self.record["error_class"])


def dead_letter_record(
    record: RawRecord,
    error: BaseException,
    *,
    consumer: str,
    reason: str | None = None,
    now_us: int | None = None,
) -> DeadLetter:
    """The dead letter of ``record`` that failed with ``error`` (``reason`` overrides its text)."""
    text = reason if reason is not None else (str(error) or type(error).__name__)
    timestamp = record.timestamp if record.timestamp is not None and record.timestamp >= 0 else 0
    key = None if record.key is None else bytes(record.key)
    value: dict[str, Any] = {
        "topic": record.topic,
        "partition": int(record.partition),
        "offset": int(record.offset),
        "key": key,
        "value": None if record.value is None else bytes(record.value),
        "reason": text[:_MAX_REASON],
        "error_class": type(error).__name__,
        "ts": now_us if now_us is not None else time.time_ns() // 1000,
        "ts_original": int(timestamp) * 1000,
        "consumer": consumer,
    }
    return DeadLetter(dlq_topic(record.topic), key, value)


def dlq_topic_spec(name: str) -> NewTopic:
    """How a dead-letter topic is created: one partition, 30 days."""
    return NewTopic(name, DLQ_PARTITIONS, 1, topic_configs={"retention.ms": str(DLQ_RETENTION_MS)})


async def ensure_topics(bootstrap: str, topics: Iterable[NewTopic], *, client_id: str) -> None:
    """Create the topics that do not exist yet (idempotent; existing ones are left alone)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        if not missing:
            return
        try:
            await admin.create_topics(missing)
        except TopicAlreadyExistsError:
            pass  # another process created them meanwhile
        logger.info("created topics %s", sorted(t.name for t in missing))
    finally:
        await admin.close()


class DeadLetterPublisher:
    """Encodes letters with the registered dead-letter schema and produces them (acks=all)."""

    def __init__(self, producer: Any, registry: SchemaRegistry) -> None:
        self._producer = producer
        self._registry = registry
        self._codec = AvroCodec()
        self._ids: dict[str, int] = {}

    async def _schema_id(self, dlq: str) -> int:
        schema_id = self._ids.get(dlq)
        if schema_id is None:
            text = schema_text(DLQ_SCHEMA_FILE)
            schema_id = await self._registry.register(value_subject(dlq), text)
            self._codec.add(schema_id, text)
            self._ids[dlq] = schema_id
        return schema_id

    async def publish(self, letters: Sequence[DeadLetter]) -> None:
        """Produce every letter and wait until the broker acknowledged all of them."""
        if not letters:
            return
        futures = []
        for letter in letters:
            schema_id = await self._schema_id(letter.dlq)
            value = self._codec.encode(schema_id, letter.record)
            futures.append(await self._producer.send(letter.dlq, value=value, key=letter.key))
        for future in futures:
            await future
