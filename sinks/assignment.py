"""The partitions a sink owns: where each one resumes, how far it is, and which are set aside.

On assignment every partition is positioned explicitly from its latest intent
(:func:`sinks.checkpoint.resume_from`): after ``done`` it continues at ``end + 1``; after
``pending`` it re-collects exactly ``start..end`` (a replay). A replay whose records are gone
(retention, ``delete_records``) closes at once, empty, instead of waiting for records that
will never come: the log start is past its end.

A partition whose batch failed is *set aside*: paused, reported (log, ``stalled`` and
``partition_errors`` in the metrics), and after a backoff (doubling per failure, reset by a
success) it replays that batch, whose intent stayed pending. The other partitions go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from sinks.batch import Batcher, PartitionBatch, TopicPartitionKey
from sinks.checkpoint import CheckpointStore, Intent, resume_from
from sinks.errors import SinkError
from sinks.metrics import MetricsRecorder
from sinks.retry import Retrier

__all__ = ["Partitions", "partition_name"]

logger = logging.getLogger(__name__)


def partition_name(key: TopicPartitionKey) -> str:
    return f"{key[0]}[{key[1]}]"


@dataclass(frozen=True, slots=True)
class _SetAside:
    start: int
    end: int
    resume_at: float
    error: str


class Partitions:
    """Assignment state of one sink's consumer (``consumer`` is set once it is started)."""

    def __init__(
        self,
        *,
        store: CheckpointStore,
        batcher: Batcher,
        retrier: Retrier,
        recorder: MetricsRecorder,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.consumer: Any = None
        self.assigned: set[TopicPartitionKey] = set()
        self.next: dict[TopicPartitionKey, int] = {}
        """Next offset to write per partition (everything below it is in ClickHouse)."""
        self._store = store
        self._batcher = batcher
        self._retry = retrier
        self._rec = recorder
        self._backoff_initial = backoff_initial_s
        self._backoff_max = backoff_max_s
        self._clock = clock
        self._floor: dict[TopicPartitionKey, int] = {}
        self._aside: dict[TopicPartitionKey, _SetAside] = {}
        self._backoff: dict[TopicPartitionKey, float] = {}

    def accepts(self, key: TopicPartitionKey) -> bool:
        """Whether fetched records of ``key`` go into batches now."""
        return key in self.assigned and key not in self._aside

    # assignment ----------------------------------------------------------------------

    async def assign(self, assigned: Sequence[TopicPartition]) -> None:
        """Position every new partition explicitly, then accept its records.

        aiokafka may already fetch (and ``getmany`` return) records of a new partition while
        this awaits the checkpoint table; the sink ignores them until the partition is in
        ``assigned``, and the seek below (done for *every* partition, in one synchronous pass
        with the ``assigned`` update) makes the consumer read them again.
        """
        keys = [(tp.topic, tp.partition) for tp in assigned]
        if not keys:
            return
        topics = sorted({k[0] for k in keys})
        latest = await self._retry.call("load intents", self._store.load, topics)
        resumes = {key: resume_from(latest.get(key)) for key in keys}
        beginnings = await self.consumer.beginning_offsets(list(assigned))
        starts: dict[TopicPartitionKey, int] = {}
        for tp in assigned:
            if resumes[(tp.topic, tp.partition)].seek_to is None:
                committed = await self.consumer.committed(tp)
                starts[(tp.topic, tp.partition)] = (
                    committed if committed is not None else beginnings[tp]
                )
        now = self._clock()
        for tp in assigned:  # no await from here on: seek and accept atomically
            key = (tp.topic, tp.partition)
            resume = resumes[key]
            begin = int(beginnings[tp])
            offset = resume.seek_to if resume.seek_to is not None else starts[key]
            self._floor[key] = begin
            self._aside.pop(key, None)
            self._rec_stalled_clear(key)
            if resume.replay is not None:
                self._replay(tp, resume.replay, begin, now)
            else:
                self._batcher.drop([key])
                self.consumer.seek(tp, max(offset, begin))
                self.next[key] = max(offset, begin)
            self.assigned.add(key)
        logger.info("partitions assigned: %s", ", ".join(map(partition_name, keys)))

    def _replay(self, tp: TopicPartition, intent: Intent, begin: int, now: float) -> None:
        key = (tp.topic, tp.partition)
        self._batcher.expect_replay(tp.topic, tp.partition, intent.start, intent.end, now)
        self.next[key] = intent.start
        if begin > intent.end:
            self._batcher.close_replay(key)
            self.consumer.seek(tp, begin)
            logger.warning(
                "pending batch %s: its records are gone (log starts at %d): closed empty",
                intent.token,
                begin,
            )
        else:
            self.consumer.seek(tp, max(intent.start, begin))
            logger.info(
                "partition %s resumes by replaying pending %s", partition_name(key), intent.token
            )

    async def close_vanished(self, older_than_s: float) -> None:
        """Close the replays waiting longer than ``older_than_s`` whose records are gone."""
        now = self._clock()
        waiting = [
            b
            for b in self._batcher.open_batches()
            if b.replay is not None and now - b.opened_at >= older_than_s and self.accepts(b.key)
        ]
        if not waiting or self.consumer is None:
            return
        tps = [TopicPartition(b.topic, b.partition) for b in waiting]
        beginnings = await self.consumer.beginning_offsets(tps)
        for batch, tp in zip(waiting, tps, strict=True):
            begin = int(beginnings[tp])
            self._floor[batch.key] = begin
            if begin > batch.end and self._batcher.close_replay(batch.key):
                logger.warning(
                    "pending batch %s: its records are gone (log starts at %d): closed",
                    batch.token,
                    begin,
                )

    def revoke(self, keys: Iterable[TopicPartitionKey]) -> None:
        keys = list(keys)
        self._batcher.drop(keys)
        for key in keys:
            self.assigned.discard(key)
            self.next.pop(key, None)
            self._floor.pop(key, None)
            self._aside.pop(key, None)
            self._rec_stalled_clear(key)

    # progress ------------------------------------------------------------------------

    def advanced(self, done: Iterable[Intent]) -> dict[TopicPartition, int]:
        """Record written intents; returns the offsets to commit (owned partitions only)."""
        offsets: dict[TopicPartition, int] = {}
        for intent in done:
            key = intent.key
            self._backoff.pop(key, None)
            if key not in self.assigned:
                continue
            self.next[key] = max(intent.next_offset, self._floor.get(key, 0))
            offsets[TopicPartition(*key)] = intent.next_offset
        return offsets

    def set_aside(self, batch: PartitionBatch, error: Exception) -> None:
        """``batch`` failed: pause its partition, report it, replay the batch after a backoff."""
        key = batch.key
        name = partition_name(key)
        self._rec.partition_errors[name] += 1
        if key not in self.assigned:
            return
        delay = min(self._backoff_max, self._backoff.get(key, self._backoff_initial / 2) * 2)
        self._backoff[key] = delay
        text = f"{type(error).__name__}: {error}"
        self._aside[key] = _SetAside(batch.start, batch.end, self._clock() + delay, text)
        self._rec.stalled[name] = text
        self._batcher.drop([key])
        tp = TopicPartition(*key)
        if self.consumer is not None:
            self.consumer.pause(tp)
        logger.error(
            "partition %s set aside for %.1fs (the others go on): batch %s failed: %s",
            name,
            delay,
            batch.token,
            text,
            exc_info=None if isinstance(error, SinkError) else error,
        )

    def resume_due(self) -> None:
        """Replay the batch of every set-aside partition whose backoff is over."""
        now = self._clock()
        for key, aside in list(self._aside.items()):
            if aside.resume_at > now:
                continue
            del self._aside[key]
            self._rec_stalled_clear(key)
            tp = TopicPartition(*key)
            self._batcher.expect_replay(key[0], key[1], aside.start, aside.end, now)
            self.consumer.seek(tp, max(aside.start, self._floor.get(key, 0)))
            self.consumer.resume(tp)
            logger.info(
                "partition %s retries batch %d-%d", partition_name(key), aside.start, aside.end
            )

    def _rec_stalled_clear(self, key: TopicPartitionKey) -> None:
        self._rec.stalled.pop(partition_name(key), None)

    @property
    def set_aside_keys(self) -> list[TopicPartitionKey]:
        return sorted(self._aside)

    def lag(self) -> dict[str, int]:
        """Per owned partition: records in Kafka not yet in ClickHouse (high watermark − next)."""
        lag: dict[str, int] = {}
        if self.consumer is None:
            return lag
        for key in sorted(self.assigned):
            high = self.consumer.highwater(TopicPartition(*key))
            if high is not None and key in self.next:
                lag[partition_name(key)] = max(0, high - self.next[key])
        return lag
