"""The flush cycle: the intent protocol over one closed batch per partition.

A cycle (see :mod:`sinks.checkpoint` for why this is exactly-once in effect):

1. writes a ``pending`` intent per fresh batch (one insert into ``sink_intents``; a replayed
   batch already has one),
2. writes the batches, ``concurrency`` at a time, through the injected inserter
   (:class:`sinks.inserts.BatchInserter`),
3. writes ``done`` intents for the batches that landed.

A batch that fails is *set aside*, not fatal: its intent stays ``pending`` (so the partition
replays exactly that batch later, under the same token) and the cycle goes on with the other
partitions. The caller commits the done batches and parks the failed partitions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sinks.batch import PartitionBatch
from sinks.checkpoint import CheckpointStore, Intent, IntentState
from sinks.prepare import Prepared
from sinks.retry import Retrier

__all__ = ["BatchWriter", "CycleResult", "FlushCycle"]

logger = logging.getLogger(__name__)


class BatchWriter(Protocol):
    """Writes one batch (rows and dead letters); raises when it cannot."""

    async def write(self, batch: PartitionBatch) -> Prepared: ...  # pragma: no cover


@dataclass(slots=True)
class CycleResult:
    """What a cycle achieved: the done intents and the batches set aside, with their error."""

    done: list[Intent] = field(default_factory=list)
    failed: list[tuple[PartitionBatch, Exception]] = field(default_factory=list)


class FlushCycle:
    """Runs cycles one at a time (a lock: a partition never has two intents in flight)."""

    def __init__(
        self,
        *,
        store: CheckpointStore,
        writer: BatchWriter,
        retrier: Retrier,
        table_of: Callable[[str], str],
        concurrency: int = 2,
    ) -> None:
        self._store = store
        self._writer = writer
        self._retry = retrier
        self._table_of = table_of
        self._concurrency = concurrency
        self._lock = asyncio.Lock()

    async def run(self, batches: Sequence[PartitionBatch]) -> CycleResult:
        async with self._lock:
            return await self._run(batches)

    async def _run(self, batches: Sequence[PartitionBatch]) -> CycleResult:
        intents = {
            b.key: Intent(
                b.topic, b.partition, b.start, b.end, IntentState.PENDING, self._table_of(b.topic)
            )
            for b in batches
        }
        fresh = [intents[b.key] for b in batches if b.replay is None]
        started = time.perf_counter()
        await self._retry.call("write intents", self._store.write, fresh)
        written = time.perf_counter()
        gate = asyncio.Semaphore(self._concurrency)
        result = CycleResult()

        async def one(batch: PartitionBatch) -> None:
            async with gate:
                try:
                    prepared = await self._writer.write(batch)
                except Exception as exc:  # this partition's trouble, never the others'
                    result.failed.append((batch, exc))
                    return
            result.done.append(intents[batch.key].done(prepared.rows, len(prepared.letters)))

        try:
            async with asyncio.TaskGroup() as group:
                for batch in batches:
                    group.create_task(one(batch))
        except BaseExceptionGroup as eg:
            raise _surfaced(eg) from None
        inserted = time.perf_counter()
        await self._retry.call("write done intents", self._store.write, result.done)
        logger.debug(
            "cycle batches=%d rows=%d failed=%d intents=%.3fs batches=%.3fs done=%.3fs",
            len(batches),
            sum(i.rows for i in result.done),
            len(result.failed),
            written - started,
            inserted - written,
            time.perf_counter() - inserted,
        )
        return result


def _surfaced(eg: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to raise for a failed task group: the only one, or the group with every one
    of them (each also logged), never just the first."""
    errors = list(eg.exceptions)
    if len(errors) == 1:
        return errors[0]
    for error in errors:
        logger.error("flush task failed: %r", error, exc_info=error)
    return eg
