"""What the sink reports in-process: lifecycle state and counters for progress displays."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["SinkMetrics", "SinkState"]


class SinkState(StrEnum):
    """Lifecycle of a :class:`sinks.clickhouse.ClickHouseSink`."""

    CREATED = "created"
    STARTING = "starting"
    RUNNING = "running"
    DEGRADED = "degraded"
    """Running, but ClickHouse (or the checkpoint table) is failing: retrying, not committing."""
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SinkMetrics:
    """A snapshot of the sink's counters (cheap to take; safe to keep)."""

    state: SinkState
    rows_inserted: dict[str, int] = field(default_factory=dict)
    """Rows inserted per table (a replayed batch that ClickHouse dropped as a duplicate counts)."""
    batches: int = 0
    replayed_batches: int = 0
    """Pending intents re-inserted after a restart or rebalance."""
    dead_letters: dict[str, int] = field(default_factory=dict)
    """Dead-lettered records per source topic."""
    dead_letter_reasons: dict[str, int] = field(default_factory=dict)
    """Dead-lettered records per error class."""
    lag: dict[str, int] = field(default_factory=dict)
    """Per ``topic[partition]``: records in Kafka not yet in ClickHouse (high watermark − next)."""
    last_insert_latency_s: float | None = None
    insert_retries: int = 0
    buffered_rows: int = 0
    assigned: tuple[str, ...] = ()
    rows_by_path: dict[str, int] = field(default_factory=dict)
    """Rows inserted per path: ``fast`` (ClickHouse decoded the Avro) or ``python``."""
    fast_path_fallbacks: dict[str, int] = field(default_factory=dict)
    """Batches that took the Python path, per :class:`sinks.passthrough.FallbackReason`."""
    partition_errors: dict[str, int] = field(default_factory=dict)
    """Per ``topic[partition]``: batches that failed and were set aside (the others went on)."""
    stalled: dict[str, str] = field(default_factory=dict)
    """Partitions set aside now, with the error; each replays its batch after a backoff."""

    @property
    def fast_path_share(self) -> float:
        """Fraction of inserted rows that took the fast path (0 before any insert)."""
        total = sum(self.rows_by_path.values())
        return self.rows_by_path.get("fast", 0) / total if total else 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows_inserted.values())

    @property
    def total_dead_letters(self) -> int:
        return sum(self.dead_letters.values())

    @property
    def total_lag(self) -> int:
        return sum(self.lag.values())


@dataclass(slots=True)
class MetricsRecorder:
    """The mutable counters behind :class:`SinkMetrics` (owned by one sink)."""

    rows: Counter[str] = field(default_factory=Counter)
    dead: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    paths: Counter[str] = field(default_factory=Counter)
    fallbacks: Counter[str] = field(default_factory=Counter)
    partition_errors: Counter[str] = field(default_factory=Counter)
    stalled: dict[str, str] = field(default_factory=dict)
    batches: int = 0
    replayed: int = 0
    retries: int = 0
    last_latency: float | None = None
