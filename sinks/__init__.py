"""Kafka → ClickHouse: the exactly-once (in effect) sink of the market topics, and its DDL.

``run_sink(settings)`` (or ``python -m sinks``) runs :class:`ClickHouseSink`; its
``metrics()`` feed progress displays and ``drain()`` lets a shutdown wait until it caught up.
Its parts, each with one job: :class:`FlushCycle` (the intent protocol), :class:`BatchInserter`
(one batch into its table), :class:`Partitions` (assignment, lag, set-aside partitions),
:class:`Retrier`, :class:`DeadLetterPublisher`. See :mod:`sinks.clickhouse` for the protocol and
:mod:`sinks.passthrough` for the fast path (ClickHouse decodes the Avro of clean batches).
"""

from sinks.assignment import Partitions
from sinks.batch import Batcher, BatchPolicy, PartitionBatch
from sinks.checkpoint import CheckpointStore, Intent, IntentState, Resume, resume_from
from sinks.clickhouse import ClickHouseSink
from sinks.columns import Column, TableLayout
from sinks.dlq import (
    DeadLetter,
    DeadLetterPublisher,
    DeadLetterRejected,
    DeadLetterUnavailable,
    dead_letter_record,
)
from sinks.errors import (
    AccessRefused,
    CheckpointError,
    ClickHouseUnavailable,
    PassthroughRejected,
    RegistryUnreachable,
    RowsRejected,
    SinkError,
    TableMismatch,
)
from sinks.flush import CycleResult, FlushCycle
from sinks.inserts import BatchInserter
from sinks.metrics import SinkMetrics, SinkState
from sinks.passthrough import FallbackReason
from sinks.prepare import RecordViolatesTable, WrongRecordType
from sinks.retry import Retrier
from sinks.routes import Route, SinkConfig, routes_for, sink_topics
from sinks.runner import main, run_sink

__all__ = [
    "AccessRefused",
    "BatchInserter",
    "BatchPolicy",
    "Batcher",
    "CheckpointError",
    "CheckpointStore",
    "ClickHouseSink",
    "ClickHouseUnavailable",
    "Column",
    "CycleResult",
    "DeadLetter",
    "DeadLetterPublisher",
    "DeadLetterRejected",
    "DeadLetterUnavailable",
    "FallbackReason",
    "FlushCycle",
    "Intent",
    "IntentState",
    "PartitionBatch",
    "Partitions",
    "PassthroughRejected",
    "RecordViolatesTable",
    "RegistryUnreachable",
    "Resume",
    "Retrier",
    "Route",
    "RowsRejected",
    "SinkConfig",
    "SinkError",
    "SinkMetrics",
    "SinkState",
    "TableLayout",
    "TableMismatch",
    "WrongRecordType",
    "dead_letter_record",
    "main",
    "resume_from",
    "routes_for",
    "run_sink",
    "sink_topics",
]
