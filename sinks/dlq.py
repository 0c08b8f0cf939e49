"""Dead letters: records the sink cannot write go to ``<topic>.dlq``, never silently away.

A dead letter (``schemas/dead_letter.avsc``) keeps the original coordinates, the key and value
bytes, their size and SHA-256, the reason and the error class, so the record can be inspected,
fixed and replayed. A record too large to dead-letter whole (Kafka takes at most 1 MiB per
record by default) keeps a bounded prefix of its bytes (``truncated``); the size and the digest
still identify it, and the coordinates find the original while retention keeps it.

Letters are produced with acks=all and idempotence and awaited before the batch they came from
is marked done; after a crash mid-batch the replay may send a letter twice (the coordinates
identify duplicates), but never zero times. A refused letter is never retried as if the broker
were down: a size refusal resends it as a bare letter (no key or value bytes), any other
refusal that retrying cannot fix is a :class:`DeadLetterRejected`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from aiokafka.errors import KafkaError, MessageSizeTooLargeError, RecordTooLargeError

from schemas import DLQ_SCHEMA_FILE, AvroCodec, SchemaRegistry, dlq_topic, schema_text
from schemas import value_subject as subject_of
from schemas.errors import RegistryError
from sinks.batch import RawRecord
from sinks.errors import SinkError

__all__ = [
    "MAX_LETTER_PAYLOAD",
    "PREFIX_BYTES",
    "DeadLetter",
    "DeadLetterPublisher",
    "DeadLetterRejected",
    "DeadLetterUnavailable",
    "dead_letter_record",
]

logger = logging.getLogger(__name__)

_MAX_REASON: Final = 2000
MAX_LETTER_PAYLOAD: Final = 512 * 1024
"""Key + value bytes a letter carries whole; above it, only prefixes (far below 1 MiB)."""
PREFIX_BYTES: Final = 64 * 1024
"""Bytes of the value (and of the key) a truncated letter keeps."""


class DeadLetterUnavailable(SinkError):
    """Kafka (or the registry) could not take the letters now: retrying can help."""

    retriable = True


class DeadLetterRejected(SinkError):
    """Kafka refused a letter for a reason retrying cannot fix (authorization, config)."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record to dead-letter, with the reason, ready to encode."""

    dlq: str
    key: bytes | None
    record: dict[str, Any]

    @property
    def error_class(self) -> str:
        return str(self.record["error_class"])

    @property
    def offset(self) -> int:
        return int(self.record["offset"])

    def bare(self) -> DeadLetter:
        """This letter without key or value bytes (coordinates, size and digest only)."""
        record = {**self.record, "key": None, "value": None, "truncated": True}
        return replace(self, key=None, record=record)


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
    value = None if record.value is None else bytes(record.value)
    truncated = len(key or b"") + len(value or b"") > MAX_LETTER_PAYLOAD
    if truncated:
        key = None if key is None else key[:PREFIX_BYTES]
    letter: dict[str, Any] = {
        "topic": record.topic,
        "partition": int(record.partition),
        "offset": int(record.offset),
        "key": key,
        "value": None if value is None else (value[:PREFIX_BYTES] if truncated else value),
        "reason": text[:_MAX_REASON],
        "error_class": type(error).__name__,
        "ts": now_us if now_us is not None else time.time_ns() // 1000,
        "ts_original": int(timestamp) * 1000,
        "consumer": consumer,
        "truncated": truncated,
        "value_size": -1 if value is None else len(value),
        "value_sha256": "" if value is None else hashlib.sha256(value).hexdigest(),
    }
    return DeadLetter(dlq_topic(record.topic), key, letter)


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
            try:
                schema_id = await self._registry.register(subject_of(dlq), text)
            except RegistryError as exc:
                error = DeadLetterUnavailable if exc.retriable else DeadLetterRejected
                raise error(f"registering the dead-letter schema of {dlq}: {exc}") from exc
            self._codec.add(schema_id, text)
            self._ids[dlq] = schema_id
        return schema_id

    async def publish(self, letters: Sequence[DeadLetter]) -> None:
        """Produce every letter and wait until the broker acknowledged all of them."""
        if not letters:
            return
        futures = [await self._send(letter) for letter in letters]
        for letter, future in zip(letters, futures, strict=True):
            try:
                await future
            except (MessageSizeTooLargeError, RecordTooLargeError):
                await self._resend_bare(letter)
            except KafkaError as exc:
                raise _translate(exc, letter) from exc

    async def _send(self, letter: DeadLetter) -> Any:
        value = self._codec.encode(await self._schema_id(letter.dlq), letter.record)
        try:
            return await self._producer.send(letter.dlq, value=value, key=letter.key)
        except (MessageSizeTooLargeError, RecordTooLargeError):
            return await self._send_bare(letter)
        except KafkaError as exc:
            raise _translate(exc, letter) from exc

    async def _send_bare(self, letter: DeadLetter) -> Any:
        logger.warning(
            "dead letter of %s[%s]@%s is too large for Kafka: sent without its bytes",
            letter.record["topic"],
            letter.record["partition"],
            letter.offset,
        )
        bare = letter.bare()
        value = self._codec.encode(await self._schema_id(bare.dlq), bare.record)
        try:
            return await self._producer.send(bare.dlq, value=value, key=None)
        except KafkaError as exc:
            raise DeadLetterRejected(f"{_where(letter)}: even a bare letter: {exc!r}") from exc

    async def _resend_bare(self, letter: DeadLetter) -> None:
        future = await self._send_bare(letter)
        try:
            await future
        except KafkaError as exc:
            if isinstance(exc, (MessageSizeTooLargeError, RecordTooLargeError)):
                raise DeadLetterRejected(f"{_where(letter)}: even a bare letter: {exc!r}") from exc
            raise _translate(exc, letter) from exc


def _where(letter: DeadLetter) -> str:
    r = letter.record
    return f"dead letter of {r['topic']}[{r['partition']}]@{r['offset']} to {letter.dlq}"


def _translate(exc: KafkaError, letter: DeadLetter) -> SinkError:
    """A failed produce as the sink's error: retriable only when Kafka says retrying helps (or
    gave no verdict: a timeout, a lost connection)."""
    retriable = bool(getattr(exc, "retriable", False)) or not getattr(exc, "errno", None)
    error = DeadLetterUnavailable if retriable else DeadLetterRejected
    return error(f"{_where(letter)}: {exc!r}")
