"""Which topics the sink consumes, where each one goes, and the sink's tunables.

By default the sink consumes every market topic of :data:`schemas.MARKET_TOPICS`; the account
topics of :data:`schemas.ACCOUNT_TOPICS` (``tt.acct.*``, tables ``account_*``) when asked for
(:func:`sink_topics`: the pipeline does when ``TT_ACCOUNTS`` names accounts, which is when those
topics exist). A topic list can be injected (tests, partial deployments); each name must be a
market or account topic name or end with one after a ``.`` (``it-3f9c.tt.md.quote.v1``), which
picks its schema and table, and its dead letters go to ``<name>.dlq``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from schemas import ACCOUNT_TOPICS, MARKET_TOPICS, TopicSpec, dlq_topic
from sinks.batch import BatchPolicy

__all__ = ["Route", "SinkConfig", "routes_for", "sink_topics"]


@dataclass(frozen=True, slots=True)
class Route:
    """One consumed topic: its spec (schema, table) and its dead-letter topic."""

    topic: str
    spec: TopicSpec

    @property
    def table(self) -> str:
        return self.spec.table

    @property
    def dlq(self) -> str:
        return dlq_topic(self.topic)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(str(f["name"]) for f in self.spec.schema()["fields"])


def sink_topics(*, accounts: bool) -> list[str]:
    """The topics the sink consumes: every market topic, and every account topic if
    ``accounts`` (only then do they exist)."""
    specs = [*MARKET_TOPICS.values(), *(ACCOUNT_TOPICS.values() if accounts else ())]
    return [s.name for s in specs]


def routes_for(topics: Sequence[str] | None = None) -> dict[str, Route]:
    """Topic name → route; ``None`` means every market topic. ValueError for an unknown name."""
    if topics is None:
        return {s.name: Route(s.name, s) for s in MARKET_TOPICS.values()}
    specs = [*MARKET_TOPICS.values(), *ACCOUNT_TOPICS.values()]
    routes: dict[str, Route] = {}
    for topic in topics:
        match = next((s for s in specs if topic == s.name or topic.endswith("." + s.name)), None)
        if match is None:
            raise ValueError(f"{topic!r} is not a market or account topic (nor ends with one)")
        routes[topic] = Route(topic, match)
    if not routes:
        raise ValueError("the sink needs at least one topic")
    return routes


@dataclass(frozen=True, slots=True)
class SinkConfig:
    """Tunables of :class:`sinks.clickhouse.ClickHouseSink` (defaults fit a small machine)."""

    group_id: str = "tastystream-sink"
    batch: BatchPolicy = field(default_factory=BatchPolicy)
    fetch_max_records: int = 10_000
    """Records per ``getmany`` call."""
    max_partition_fetch_bytes: int = 1024 * 1024
    fetch_max_bytes: int = 16 * 1024 * 1024
    poll_timeout_ms: int = 200
    insert_concurrency: int = 2
    """Batches decoded and inserted at the same time (and ClickHouse clients in the pool)."""
    retry_initial_s: float = 0.2
    retry_max_s: float = 10.0
    partition_retry_s: float = 60.0
    """How long one batch retries a retriable failure before its partition is set aside (the
    other partitions' batches of the cycle wait at most this long for it)."""
    fast_path_attempts: int = 4
    """Calls of a fast insert failing transiently before the batch takes the Python path."""
    partition_backoff_s: float = 1.0
    """A set-aside partition replays its batch after this, doubling per failure …"""
    partition_backoff_max_s: float = 60.0
    """… up to this."""
    drain_timeout_s: float = 30.0
    """Graceful-shutdown budget for flushing open batches; past it they are abandoned (safe:
    their records were never committed and are read again on restart)."""
    start_timeout_s: float = 60.0
    """How long start-up waits for ClickHouse and the registry to answer."""
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    max_poll_interval_ms: int = 300_000
    migrate: bool = True
    """Apply the ClickHouse migrations (idempotent) at start-up."""
    passthrough: bool = True
    """Let ClickHouse decode the Avro of clean batches (:mod:`sinks.passthrough`); off, every
    batch is decoded in Python (same table contents, ~2-3x the CPU)."""
