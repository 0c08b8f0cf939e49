"""Kafka → ClickHouse: the exactly-once (in effect) sink of the market topics, and its DDL.

``run_sink(settings)`` (or ``python -m sinks``) runs :class:`ClickHouseSink`; its
``metrics()`` feed progress displays. See :mod:`sinks.clickhouse` for the protocol and
:mod:`sinks.passthrough` for the fast path (ClickHouse decodes the Avro of clean batches).
"""

from sinks.batch import Batcher, BatchPolicy, PartitionBatch
from sinks.checkpoint import CheckpointStore, Intent, IntentState, Resume, resume_from
from sinks.clickhouse import ClickHouseSink
from sinks.columns import Column, TableLayout
from sinks.dlq import DeadLetter, dead_letter_record
from sinks.errors import (
    CheckpointError,
    ClickHouseUnavailable,
    PassthroughRejected,
    RowsRejected,
    SinkError,
    TableMismatch,
)
from sinks.metrics import SinkMetrics, SinkState
from sinks.passthrough import FallbackReason
from sinks.prepare import RecordViolatesTable, WrongRecordType
from sinks.routes import Route, SinkConfig, routes_for
from sinks.runner import main, run_sink

__all__ = [
    "BatchPolicy",
    "Batcher",
    "CheckpointError",
    "CheckpointStore",
    "ClickHouseSink",
    "ClickHouseUnavailable",
    "Column",
    "DeadLetter",
    "FallbackReason",
    "Intent",
    "IntentState",
    "PartitionBatch",
    "PassthroughRejected",
    "RecordViolatesTable",
    "Resume",
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
]
