"""Shared benchmark plumbing: figures and percentiles, /proc figures, the local stack and the
sandbox on free ports, a recorded and replayable DXLink feed, the raw Kafka baselines, and a
ClickHouse visibility poller in its own process."""

from bench.harness.feed import TIME_FIELDS, Recording, ReplayFeed, record_frames
from bench.harness.figures import FIGURE, Figure, Figures, parse_figures, percentile
from bench.harness.kafka import (
    confluent_produce_rate,
    publisher_latency,
    raw_batch_produce_rate,
    raw_latency,
    raw_produce_rate,
    read_back,
)
from bench.harness.services import (
    SandboxInfo,
    local_stack,
    sandbox_process,
    session_start,
    settings_for,
)
from bench.harness.system import RssSampler, cpu_seconds, free_port, proc_status_mb
from bench.harness.visible import VisibleInClickHouse

__all__ = [
    "FIGURE",
    "TIME_FIELDS",
    "Figure",
    "Figures",
    "Recording",
    "ReplayFeed",
    "RssSampler",
    "SandboxInfo",
    "VisibleInClickHouse",
    "confluent_produce_rate",
    "cpu_seconds",
    "free_port",
    "local_stack",
    "parse_figures",
    "percentile",
    "proc_status_mb",
    "publisher_latency",
    "raw_batch_produce_rate",
    "raw_latency",
    "raw_produce_rate",
    "read_back",
    "record_frames",
    "sandbox_process",
    "session_start",
    "settings_for",
]
