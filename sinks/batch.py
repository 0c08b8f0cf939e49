"""Per-partition batches of raw Kafka records, closed by size, bytes or age.

A batch holds the records of one partition with consecutive offsets (as the consumer returned
them, read_committed), still as bytes: decoding happens once, when the batch is flushed, and a
batch replayed after a crash goes through exactly the same path. Raw bytes are also ~10× smaller
than decoded dicts, which keeps the sink's memory proportional to its limits.

A *replay* batch re-collects a pending intent after a restart: its bounds are fixed (the
intent's ``start``..``end``), it is never split, and it closes as soon as the partition reaches
``end`` (or jumps past it, when retention deleted records).
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["BatchPolicy", "Batcher", "PartitionBatch", "RawRecord", "TopicPartitionKey"]

TopicPartitionKey = tuple[str, int]


class RawRecord(Protocol):
    """What the sink needs of a consumed record (aiokafka's ``ConsumerRecord`` fits)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """Bounds of the sink's batching; the defaults keep RSS well under 500 MB."""

    max_rows: int = 50_000
    """A partition's batch is flushed when it holds this many records."""
    max_bytes: int = 32 * 1024 * 1024
    """… or this many key+value bytes."""
    max_age_s: float = 1.0
    """… or when its first record has waited this long."""
    max_buffered_rows: int = 150_000
    """Across all open batches: above this, fetching waits until a flush frees room."""
    max_buffered_bytes: int = 64 * 1024 * 1024
    """Across all open batches, in key+value bytes."""

    def __post_init__(self) -> None:
        if self.max_rows < 1 or self.max_bytes < 1 or self.max_age_s <= 0:
            raise ValueError("batch bounds must be positive")
        if self.max_buffered_rows < self.max_rows:
            raise ValueError("max_buffered_rows must be at least max_rows")


def _size(record: RawRecord) -> int:
    return len(record.value or b"") + len(record.key or b"")


def _offset(record: RawRecord) -> int:
    return record.offset


@dataclass(slots=True)
class PartitionBatch:
    """Consecutive records of one partition, flushed together under one dedup token."""

    topic: str
    partition: int
    opened_at: float
    records: list[Any] = field(default_factory=list)
    nbytes: int = 0
    replay: tuple[int, int] | None = None
    """Fixed ``(start, end)`` when this batch re-collects a pending intent."""

    @property
    def key(self) -> TopicPartitionKey:
        return (self.topic, self.partition)

    @property
    def start(self) -> int:
        if self.replay is not None:
            return self.replay[0]
        return int(self.records[0].offset)

    @property
    def end(self) -> int:
        """Last offset covered (inclusive)."""
        if self.replay is not None:
            return self.replay[1]
        return int(self.records[-1].offset)

    @property
    def token(self) -> str:
        """The ClickHouse ``insert_deduplication_token`` of this batch."""
        return f"{self.topic}/{self.partition}/{self.start}-{self.end}"

    def __len__(self) -> int:
        return len(self.records)


class Batcher:
    """Open batches per partition plus the queue of closed ones, in offset order."""

    def __init__(self, policy: BatchPolicy) -> None:
        self.policy = policy
        self._open: dict[TopicPartitionKey, PartitionBatch] = {}
        self._closed: deque[PartitionBatch] = deque()
        self.buffered_rows = 0
        self.buffered_bytes = 0

    def expect_replay(self, topic: str, partition: int, start: int, end: int, now: float) -> None:
        """The next records of the partition re-collect the pending intent ``start..end``."""
        self.drop([(topic, partition)])
        self._open[(topic, partition)] = PartitionBatch(topic, partition, now, replay=(start, end))

    def close_replay(self, key: TopicPartitionKey) -> bool:
        """Close the open replay of ``key`` as it is (its remaining records are gone)."""
        batch = self._open.get(key)
        if batch is None or batch.replay is None:
            return False
        self._close(batch)
        return True

    def open_batches(self) -> list[PartitionBatch]:
        return list(self._open.values())

    def replaying(self, key: TopicPartitionKey) -> bool:
        batch = self._open.get(key)
        return batch is not None and batch.replay is not None

    def add(self, records: Iterable[RawRecord], now: float) -> None:
        """Append records (in offset order per partition) to their partitions' open batches."""
        runs: dict[TopicPartitionKey, list[RawRecord]] = {}
        for record in records:
            runs.setdefault((record.topic, record.partition), []).append(record)
        for key, run in runs.items():
            self.add_partition(key, run, now)

    def add_partition(
        self, key: TopicPartitionKey, records: Sequence[RawRecord], now: float
    ) -> None:
        """Append consecutive records of one partition (what ``getmany`` returns per partition)."""
        policy = self.policy
        pos, total = 0, len(records)
        while pos < total:
            batch = self._open.get(key)
            if batch is None:
                batch = self._open[key] = PartitionBatch(key[0], key[1], now)
            if batch.replay is not None:
                end = batch.replay[1]
                cut = bisect.bisect_right(records, end, lo=pos, key=_offset)
                run = records[pos:cut]
                self._append(batch, run, sum(map(_size, run)))
                if cut < total or (batch.records and batch.records[-1].offset >= end):
                    self._close(batch)
                pos = cut
                continue
            chunk = records[pos : pos + policy.max_rows - len(batch.records)]
            size = sum(map(_size, chunk))
            if batch.nbytes + size > policy.max_bytes:
                # cut exactly at the byte bound
                room, taken = policy.max_bytes - batch.nbytes, 0
                for n, record in enumerate(chunk):
                    taken += _size(record)
                    if taken >= room:
                        chunk, size = chunk[: n + 1], taken
                        break
            self._append(batch, chunk, size)
            if len(batch.records) >= policy.max_rows or batch.nbytes >= policy.max_bytes:
                self._close(batch)
            pos += len(chunk)

    def _append(self, batch: PartitionBatch, chunk: Sequence[RawRecord], size: int) -> None:
        batch.records.extend(chunk)
        batch.nbytes += size
        self.buffered_rows += len(chunk)
        self.buffered_bytes += size

    def _close(self, batch: PartitionBatch) -> None:
        del self._open[batch.key]
        self._closed.append(batch)

    def flushable(self) -> bool:
        """Whether anything could be flushed now (closed, or open with records, not a replay)."""
        return bool(self._closed) or any(
            b.records and b.replay is None for b in self._open.values()
        )

    def ready(self, now: float, *, force: bool = False) -> list[PartitionBatch]:
        """Close open batches older than ``max_age_s`` (all of them with ``force``: the buffer
        is full); take the oldest closed batch of each partition (the others wait)."""
        for batch in list(self._open.values()):
            if (
                batch.replay is None
                and batch.records
                and (force or now - batch.opened_at >= self.policy.max_age_s)
            ):
                self._close(batch)
        return self._take_closed(lambda _: True)

    def over_limit(self) -> bool:
        return (
            self.buffered_rows >= self.policy.max_buffered_rows
            or self.buffered_bytes >= self.policy.max_buffered_bytes
        )

    def take_all(self) -> list[PartitionBatch]:
        """Close everything that holds records and take the oldest batch of each partition;
        call again until it returns nothing (shutdown)."""
        for batch in list(self._open.values()):
            if batch.records and batch.replay is None:
                self._close(batch)
        return self._take_closed(lambda _: True)

    def take(self, keys: Sequence[TopicPartitionKey]) -> list[PartitionBatch]:
        """Like :meth:`take_all` for ``keys`` only (unfinished replays are never taken)."""
        wanted = set(keys)
        for key in wanted:
            batch = self._open.get(key)
            if batch is not None and batch.records and batch.replay is None:
                self._close(batch)
        return self._take_closed(lambda b: b.key in wanted)

    def drop(self, keys: Sequence[TopicPartitionKey]) -> None:
        """Forget the partitions' records without flushing (they will be read again)."""
        wanted = set(keys)
        for key in wanted:
            batch = self._open.pop(key, None)
            if batch is not None:
                self._release(batch)
        kept = deque(b for b in self._closed if b.key not in wanted)
        for batch in self._closed:
            if batch.key in wanted:
                self._release(batch)
        self._closed = kept

    def released(self, batch: PartitionBatch) -> None:
        """A taken batch has been flushed: its rows no longer count against the limits."""
        self._release(batch)

    def _release(self, batch: PartitionBatch) -> None:
        self.buffered_rows -= len(batch.records)
        self.buffered_bytes -= batch.nbytes

    def _take_closed(self, wanted: Any) -> list[PartitionBatch]:
        """The oldest closed batch of each wanted partition (one per partition: a partition
        never has two batches in flight, so at most one intent of it is ever pending)."""
        taken: list[PartitionBatch] = []
        seen: set[TopicPartitionKey] = set()
        kept: deque[PartitionBatch] = deque()
        for batch in self._closed:
            if batch.key not in seen and wanted(batch):
                seen.add(batch.key)
                taken.append(batch)
            else:
                kept.append(batch)
        self._closed = kept
        return taken

    def has_closed(self) -> bool:
        return bool(self._closed)

    def open_partitions(self) -> list[TopicPartitionKey]:
        return list(self._open)
