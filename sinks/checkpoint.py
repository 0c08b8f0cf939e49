"""Batch intents: the sink's source of truth for what is in ClickHouse, per topic partition.

The protocol for every batch ``start..end`` of a partition (see :mod:`sinks.clickhouse`):

1. write the intent ``pending(start, end)``;
2. insert the rows with ``insert_deduplication_token = "<topic>/<partition>/<start>-<end>"``;
3. write ``done(start, end)``; then commit ``end + 1`` to Kafka (for lag monitoring only).

On assignment the sink reads the latest intent of each partition (:func:`resume_from`): after
``done`` it seeks to ``end + 1``; after ``pending`` it re-reads exactly ``start..end`` and runs
steps 2–3 again with the same token, so ClickHouse drops the insert if it had landed before the
crash. A crash anywhere therefore leaves neither a duplicate nor a gap. The tables keep a
deduplication window (``non_replicated_deduplication_window``), which only has to cover the few
inserts between a pending intent and its replay, because a done batch is never replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from sinks.batch import TopicPartitionKey

__all__ = [
    "INTENTS_TABLE",
    "CheckpointStore",
    "Intent",
    "IntentState",
    "Resume",
    "intent_rows",
    "latest_intents_query",
    "parse_intent_rows",
    "resume_from",
]

INTENTS_TABLE = "sink_intents"
INTENT_COLUMNS = (
    "topic",
    "partition",
    "start_offset",
    "end_offset",
    "state",
    "version",
    "token",
    "table_name",
    "rows",
    "dead_letters",
    "consumer_group",
)
INTENT_TYPES = (
    "LowCardinality(String)",
    "Int32",
    "Int64",
    "Int64",
    "Enum8('pending' = 1, 'done' = 2)",
    "UInt64",
    "String",
    "LowCardinality(String)",
    "UInt32",
    "UInt32",
    "LowCardinality(String)",
)


class IntentState(StrEnum):
    PENDING = "pending"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Intent:
    """One batch of one partition and how far it got."""

    topic: str
    partition: int
    start: int
    end: int
    state: IntentState
    table: str
    rows: int = 0
    dead_letters: int = 0

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad intent range {self.start}..{self.end}")

    @property
    def key(self) -> TopicPartitionKey:
        return (self.topic, self.partition)

    @property
    def token(self) -> str:
        return f"{self.topic}/{self.partition}/{self.start}-{self.end}"

    @property
    def version(self) -> int:
        return 2 * self.end + (1 if self.state is IntentState.DONE else 0)

    @property
    def next_offset(self) -> int:
        return self.end + 1

    def done(self, rows: int, dead_letters: int) -> Intent:
        return replace(self, state=IntentState.DONE, rows=rows, dead_letters=dead_letters)


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a newly assigned partition continues."""

    seek_to: int | None
    """Offset to seek to; None keeps Kafka's committed offset (or the reset policy)."""
    replay: Intent | None = None
    """A pending intent to re-collect and re-insert first (``seek_to`` is its start)."""


def resume_from(intent: Intent | None) -> Resume:
    """The resume decision for a partition whose latest intent is ``intent``."""
    if intent is None:
        return Resume(None)
    if intent.state is IntentState.DONE:
        return Resume(intent.next_offset)
    return Resume(intent.start, intent)


class CheckpointStore(Protocol):
    """Durable intents (the ClickHouse table in production, a dict in unit tests)."""

    async def load(self, topics: Sequence[str]) -> dict[TopicPartitionKey, Intent]:
        """The latest intent of every partition of ``topics`` that has one."""
        ...

    async def write(self, intents: Sequence[Intent]) -> None:
        """Persist ``intents`` durably before returning (one round trip for all)."""
        ...


def intent_rows(intents: Sequence[Intent], consumer_group: str) -> list[list[Any]]:
    """Rows for :data:`INTENT_COLUMNS`."""
    return [
        [
            i.topic,
            i.partition,
            i.start,
            i.end,
            str(i.state),
            i.version,
            i.token,
            i.table,
            i.rows,
            i.dead_letters,
            consumer_group,
        ]
        for i in intents
    ]


def latest_intents_query(database: str) -> str:
    """The latest intent per partition of the topics in parameter ``topics``."""
    return (
        "SELECT topic, partition, argMax(start_offset, version), argMax(end_offset, version),"
        " toString(argMax(state, version)), argMax(table_name, version), argMax(rows, version),"
        f" argMax(dead_letters, version) FROM {database}.{INTENTS_TABLE}"
        " WHERE has({topics:Array(String)}, topic) GROUP BY topic, partition"
    )


def parse_intent_rows(rows: Sequence[Sequence[Any]]) -> dict[TopicPartitionKey, Intent]:
    """Rows of :func:`latest_intents_query` → intents by partition."""
    out: dict[TopicPartitionKey, Intent] = {}
    for topic, partition, start, end, state, table, n_rows, dead in rows:
        intent = Intent(
            str(topic),
            int(partition),
            int(start),
            int(end),
            IntentState(str(state)),
            str(table),
            int(n_rows),
            int(dead),
        )
        out[intent.key] = intent
    return out
