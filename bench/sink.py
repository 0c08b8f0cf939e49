"""Sink throughput: Kafka → ClickHouse rows/s against a pre-filled topic, with a same-run baseline.

``python -m bench.sink [--records 500000] [--partitions 6]`` starts a private local stack
(Kafka, registry, ClickHouse on free ports in a temp folder), fills a quote topic with Avro
records through the registry, then measures

* baseline: a plain aiokafka consumer reading the same records (read_committed), records/s;
* the sink: ``python -m sinks`` (default settings) in its own process, from its first inserted
  row until every row is in ClickHouse, rows/s, and its peak RSS (``VmHWM``);
* the share of rows that took the fast path (ClickHouse decoding the Avro, see
  :mod:`sinks.passthrough`), from the sink's "rows by path" line at shutdown.

It prints ``name: value unit`` figures (``python -m bench`` collects them), the sink/baseline
ratio, and stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import clickhouse_connect
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.harness import Figures, cpu_seconds, local_stack, proc_status_mb
from bench.harness.kafka import raw_producer
from schemas import MARKET_TOPICS, AvroCodec, SchemaRegistry, event_id_for, value_subject
from tastystream.stack import LocalStack, StackConfig
from tastystream.stack.process import PidRecord

REPO = Path(__file__).resolve().parents[1]
T0 = 1_772_461_800_000_000


def _quote(i: int) -> dict[str, Any]:
    sym = f"SYM{i % 500}"
    record: dict[str, Any] = {
        "ts_event": T0 + i * 1000,
        "ts_ingest": T0 + i * 1000 + 50,
        "source": "bench:sink",
        "symbol": sym,
        "streamer_symbol": sym,
        "instrument_type": "Equity",
        "sequence": i % 1_000_000,
        "time_nano_part": 0,
        "bid_time": T0 + i * 1000,
        "bid_exchange_code": "Q",
        "bid_price": 100.0 + (i % 1000) / 100,
        "bid_size": float(100 + i % 7),
        "ask_time": T0 + i * 1000,
        "ask_exchange_code": "Q",
        "ask_price": 100.01 + (i % 1000) / 100,
        "ask_size": float(200 + i % 5),
    }
    record["event_id"] = event_id_for("Quote", record)
    return record


async def _fill(cfg: StackConfig, topic: str, n: int, partitions: int) -> float:
    admin = AIOKafkaAdminClient(bootstrap_servers=cfg.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()
    spec = MARKET_TOPICS["Quote"]
    async with SchemaRegistry(cfg.registry_url) as registry:
        sid = await registry.register(value_subject(topic), spec.schema_text())
    codec = AvroCodec()
    codec.add(sid, spec.schema_text())
    producer = raw_producer(cfg.kafka_bootstrap, linger_ms=20)
    await producer.start()
    started = time.perf_counter()
    try:
        chunk = 20_000
        for start in range(0, n, chunk):
            records = [_quote(i) for i in range(start, min(n, start + chunk))]
            values = codec.encode_many(sid, records)
            futures = [
                await producer.send(topic, value=v, key=spec.key_of(r))
                for r, v in zip(records, values, strict=True)
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def _baseline(cfg: StackConfig, topic: str, n: int, partitions: int) -> float:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=cfg.kafka_bootstrap,
        isolation_level="read_committed",
        enable_auto_commit=False,
        max_partition_fetch_bytes=1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        seen = 0
        started = time.perf_counter()
        while seen < n:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            seen += sum(len(records) for records in batch.values())
        return n / (time.perf_counter() - started)
    finally:
        await consumer.stop()


_PATHS = re.compile(r"rows by path: fast=(\d+) python=(\d+); fallbacks: (.*)")


def _fast_share(log: Path) -> tuple[float, str]:
    """From the sink's shutdown line: the fast-path share of rows and the fallbacks."""
    match = _PATHS.search(log.read_text(errors="replace"))
    if match is None:
        return float("nan"), "no 'rows by path' line in the sink log"
    fast, python = int(match.group(1)), int(match.group(2))
    return (fast / (fast + python) if fast + python else 0.0), match.group(3)


def _count(client: Any, database: str) -> int:
    try:
        return int(client.command(f"SELECT count() FROM {database}.quotes"))
    except Exception:  # database not migrated yet
        return 0


async def _sink(
    cfg: StackConfig, topic: str, n: int, log: Path, server_pid: int, extra: list[str]
) -> tuple[float, float, float, float, float]:
    suffix = "_python" if extra else ""
    database = f"bench_{os.getpid()}{suffix}"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP": cfg.kafka_bootstrap,
        "SCHEMA_REGISTRY_URL": cfg.registry_url,
        "CLICKHOUSE_URL": cfg.clickhouse_url,
        "CLICKHOUSE_PASSWORD": cfg.clickhouse_password,
        "CLICKHOUSE_DATABASE": database,
        "LOG_LEVEL": "INFO",
    }
    group = f"bench-{os.getpid()}{suffix}"
    args = [sys.executable, "-m", "sinks", "--group", group, "--topic", topic]
    args += extra
    client = clickhouse_connect.get_client(
        dsn=cfg.clickhouse_url, password=cfg.clickhouse_password, autogenerate_session_id=False
    )
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *args, cwd=REPO, env=env, stdout=out, stderr=out
        )
    launched = time.perf_counter()
    try:
        first_at, first_rows, first_cpu, first_server = 0.0, 0, 0.0, 0.0
        deadline = launched + 600
        while time.perf_counter() < deadline:
            rows = await asyncio.to_thread(_count, client, database)
            now = time.perf_counter()
            if rows and not first_at:
                first_at, first_rows, first_cpu = now, rows, cpu_seconds(proc.pid)
                first_server = cpu_seconds(server_pid)
            if rows >= n:
                rss, cpu = proc_status_mb("VmHWM", proc.pid), cpu_seconds(proc.pid) - first_cpu
                span = now - first_at
                server = cpu_seconds(server_pid) - first_server
                return (n - first_rows) / span, now - launched, rss, cpu / span, server / span
            if proc.returncode is not None:
                raise RuntimeError(f"sink exited early; see {log}")
            await asyncio.sleep(0.25)
        raise RuntimeError(f"sink did not finish in time; see {log}")
    finally:
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 60)
        client.close()


async def _main(n: int, partitions: int, keep_log: bool, python_path: bool) -> None:
    out = Figures()
    async with local_stack(["kafka", "registry", "clickhouse"]) as cfg:
        topic = f"bench{os.getpid()}.{MARKET_TOPICS['Quote'].name}"
        fill_s = await _fill(cfg, topic, n, partitions)
        out.note(f"pre-filled {n:,} quote records in {partitions} partitions")
        out.add("sink_prefill_produce", n / fill_s, "records/s")
        base = out.add(
            "sink_baseline_raw_aiokafka_consume",
            await _baseline(cfg, topic, n, partitions),
            "records/s",
        )
        log = cfg.dir / "sink.log"
        record = PidRecord.read(LocalStack(cfg).pid_file("clickhouse"))
        if record is None:
            raise RuntimeError("no clickhouse pid file")
        rate, wall, rss, cores, server = await _sink(cfg, topic, n, log, record.pid, [])
        out.add("sink_kafka_to_clickhouse", rate, "rows/s")
        out.add("sink_wall_incl_start", wall, "s")
        out.ratio("sink_vs_raw_aiokafka_consume", rate, base)
        out.add("sink_rss_peak_mb", rss, "MB")
        out.add("sink_cpu", cores, "cores")
        out.add("sink_clickhouse_cpu", server, "cores")
        share, fallbacks = _fast_share(log)
        out.add("sink_fast_path_share", share, "")
        out.note(f"fast-path fallbacks: {fallbacks}")
        out.add("sink_machine_load_1m", os.getloadavg()[0], "")
        out.note(f"target: >= 100k rows/s and < 500 MB RSS on {os.cpu_count()} cores")
        if keep_log:
            print(log.read_text()[-4000:])
        if python_path:  # the same records again, all decoded in Python: the A/B in one run
            log = cfg.dir / "sink-python.log"
            extra = ["--no-passthrough"]
            rate, _, rss, cores, server = await _sink(cfg, topic, n, log, record.pid, extra)
            out.add("sink_python_path_kafka_to_clickhouse", rate, "rows/s")
            out.add("sink_python_path_rss_peak_mb", rss, "MB")
            out.add("sink_python_path_cpu", cores, "cores")
            out.add("sink_python_path_clickhouse_cpu", server, "cores")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sink", description=__doc__)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--show-log", action="store_true", help="print the tail of the sink log")
    parser.add_argument(
        "--python-path",
        action="store_true",
        help="also run the sink with --no-passthrough (every batch decoded in Python)",
    )
    args = parser.parse_args(argv)
    asyncio.run(_main(args.records, args.partitions, args.show_log, args.python_path))


if __name__ == "__main__":
    main()
