"""Latency at a controlled rate: event → Kafka ack, and event → visible in ClickHouse.

``python -m bench.latency [--rates 10000,2000] [--seconds 15]``

Kafka, the registry and ClickHouse start on free ports; the sandbox (its own process) serves
REST and a short DXLink recording of ~5,000 symbols; a replay DXLink server (its own process)
then sends that recording at exactly ``--rate`` events/s, every event stamped with its send
time (ms) as its source time. The production ingestor (``QuoteIngestor`` + ``MarketPublisher``)
runs in this process; the ClickHouse sink (``python -m sinks``, default settings) in its own.
Figures (p50/p99 over the window):

* ``ingest_only_event_to_ack``: the ingestor alone, before the sink is started (nothing else
  competing for the 2 cores but the feed and the broker): the event → Kafka path of the target;

* ``event_to_ack``: Kafka ack time − source time (feed send, ms) — wire, decode, queue, normalize,
  encode, batching and the broker's acks=all — while the sink and ClickHouse work on the same
  2 cores (the whole pipeline on one small machine);
* ``ingest_to_ack``: Kafka ack time − ``ts_ingest`` (stamped when the ingestor takes the event);
* ``event_to_clickhouse``: when a sampled quote is first seen in ``quotes`` by a 100 ms poll
  − source time (so it includes up to one poll interval); the poll runs in its own process, so
  the ingestor's process is the ingestor alone, as deployed;
* baseline ``raw_aiokafka``: the same bytes produced at the same rate by a plain aiokafka
  producer (same settings): send → ack, and send → received by a plain aiokafka consumer;
* ``publisher_ack``: the same bytes at the same rate through the production ``MarketPublisher``
  alone (no DXLink, no normalize): publish → ack, next to the raw figure it is judged by.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bench.harness import (
    Figures,
    Recording,
    ReplayFeed,
    VisibleInClickHouse,
    cpu_seconds,
    local_stack,
    percentile,
    proc_status_mb,
    publisher_latency,
    raw_latency,
    read_back,
    record_frames,
    sandbox_process,
    settings_for,
)
from bench.ingest import EVENT_TYPES, UNDERLYINGS
from ingest.publisher import MarketPublisher
from tastystream.stack import StackConfig

REPO = Path(__file__).resolve().parents[1]

TIMED = frozenset({"Quote", "Trade", "Greeks", "TheoPrice"})  # events with a source time
P99_TARGET_MS = 50.0


class AckLatency:
    """The publisher's ``on_ack`` hook: one sample per acked timed record while ``recording``.

    Called by the production publisher when the broker's ack arrives for a record, so the
    figure is exactly the publisher's ack (no wrapping of the producer).
    """

    def __init__(self) -> None:
        self.recording = False
        self.event_to_ack_ms: list[float] = []
        self.ingest_to_ack_ms: list[float] = []

    def __call__(self, event_type: str, ts_event_us: int, ts_ingest_us: int) -> None:
        if not self.recording or event_type not in TIMED:
            return
        now_us = time.time_ns() // 1000
        self.event_to_ack_ms.append((now_us - ts_event_us) / 1000)
        self.ingest_to_ack_ms.append((now_us - ts_ingest_us) / 1000)


@contextlib.asynccontextmanager
async def sink_process(
    stack: StackConfig, database: str, log: Path, extra: tuple[str, ...] = ()
) -> AsyncIterator[int]:
    """``python -m sinks`` (default settings, plus ``extra`` arguments) in its own process, as
    deployed; yields its pid."""
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "CLICKHOUSE_URL": stack.clickhouse_url,
        "CLICKHOUSE_PASSWORD": stack.clickhouse_password,
        "CLICKHOUSE_DATABASE": database,
        "LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sinks", "--group", f"bench-{database}", *extra,
            cwd=REPO, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        yield proc.pid
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


@contextlib.asynccontextmanager
async def _running_ingestor(
    settings: Any, codec: Any, ids: dict[str, int], feed_url: str
) -> AsyncIterator[tuple[AckLatency, MarketPublisher, Any]]:
    """The production ingestor fed by the replay at ``feed_url``, with the ack probe hooked
    into its publisher; yields once the first record is acked, stops and flushes on exit."""
    from adapters.tastytrade.dxlink import DXLinkStreamer
    from adapters.tastytrade.errors import ErrorStream
    from adapters.tastytrade.quote_token import StaticQuoteToken
    from ingest.quotes import QuoteIngestor
    from tastystream.pipeline import ingest_config, tastytrade_session

    errors = ErrorStream()
    tokens = StaticQuoteToken("replay", feed_url)
    probe = AckLatency()

    def factory() -> DXLinkStreamer:
        return DXLinkStreamer(tokens, errors=errors)

    async with (
        tastytrade_session(settings, errors) as (rest, _factory),
        MarketPublisher(settings.kafka, codec, ids, on_ack=probe) as publisher,
    ):
        ingestor = QuoteIngestor(
            ingest_config(settings, "dxlink:bench"), rest, factory, publisher, errors
        )
        stop_ingest = asyncio.Event()
        async with asyncio.TaskGroup() as tg:
            ingest_task = tg.create_task(ingestor.run(stop_ingest))
            deadline = time.monotonic() + 180
            while not publisher.metrics.acked:
                if ingest_task.done() or time.monotonic() > deadline:
                    await ingest_task
                    raise RuntimeError("the ingestor published nothing")
                await asyncio.sleep(0.2)
            try:
                yield probe, publisher, ingestor
            finally:
                stop_ingest.set()
            await ingest_task


async def _pipeline(
    settings: Any,
    codec: Any,
    ids: dict[str, int],
    feed_url: str,
    sink_pid: int,
    args: argparse.Namespace,
) -> tuple[AckLatency, list[float], dict[str, float]]:
    """The ingestor in this process; the sink runs in ``sink_pid``; ClickHouse is polled from
    a child process (:class:`VisibleInClickHouse`)."""
    async with (
        VisibleInClickHouse(
            settings.clickhouse.url,
            settings.clickhouse.database,
            settings.clickhouse.password.get_secret_value(),
        ) as poll,
        _running_ingestor(settings, codec, ids, feed_url) as (probe, publisher, ingestor),
    ):
        deadline = time.monotonic() + 180
        while not poll.pump():  # flowing all the way through
            if time.monotonic() > deadline:
                raise RuntimeError("no event reached ClickHouse")
            await asyncio.sleep(0.2)
        await asyncio.sleep(args.warmup)
        acked0, dropped0 = sum(publisher.metrics.acked.values()), ingestor.metrics.dropped
        cpu0, sink_cpu0 = cpu_seconds(), cpu_seconds(sink_pid)
        since = time.time_ns() // 1000
        poll.since(since)
        probe.recording = True
        started = time.perf_counter()
        while time.perf_counter() < started + args.seconds:
            await asyncio.sleep(min(0.5, started + args.seconds - time.perf_counter()))
            poll.pump()  # keep the pipe drained (the poller's sends must not block it)
        probe.recording = False
        elapsed = time.perf_counter() - started
        extra = {
            "acked_per_s": (sum(publisher.metrics.acked.values()) - acked0) / elapsed,
            "dropped": float(ingestor.metrics.dropped - dropped0),
            "ingestor_cpu": (cpu_seconds() - cpu0) / elapsed,
            "sink_cpu": (cpu_seconds(sink_pid) - sink_cpu0) / elapsed,
        }
        await asyncio.sleep(3.0)  # the last sampled rows become visible
        visible = poll.latencies_since(since)
    return probe, visible, extra


async def _ingest_only(
    settings: Any, codec: Any, ids: dict[str, int], feed_url: str, args: argparse.Namespace
) -> tuple[AckLatency, float]:
    """The ingestor alone (no sink, no ClickHouse poll competing for the 2 cores): the
    event → Kafka ack path the issue's latency target is about. Returns the probe and the
    ingestor's CPU (cores) over the window."""
    async with _running_ingestor(settings, codec, ids, feed_url) as (probe, _publisher, _ingestor):
        await asyncio.sleep(args.warmup)
        cpu0 = cpu_seconds()
        probe.recording = True
        started = time.perf_counter()
        await asyncio.sleep(args.seconds)
        probe.recording = False
        cpu = (cpu_seconds() - cpu0) / (time.perf_counter() - started)
    return probe, cpu


async def run(args: argparse.Namespace) -> None:
    from schemas.topics import MARKET_TOPICS
    from tastystream.pipeline import prepare_contract

    out = Figures()
    # the 2 cores are shared: how busy the machine was explains the wall-clock figures
    out.add("machine_load_1m_at_start", os.getloadavg()[0], "runnable")
    chains = tuple(c for c in args.chains.split(",") if c)
    database = f"bench_{uuid.uuid4().hex[:8]}"
    async with (
        local_stack(["kafka", "registry", "clickhouse"]) as stack,
        sandbox_process(speed=10.0) as (sandbox, _stats),
    ):
        settings = settings_for(
            stack,
            sandbox,
            symbols=UNDERLYINGS,
            option_chains=chains,
            event_types=EVENT_TYPES,
            database=database,
        )
        codec, ids = await prepare_contract(settings)
        rec = await record_frames(settings, EVENT_TYPES, seconds=args.record_seconds)
        topics = {spec.name: spec.partitions for spec in MARKET_TOPICS.values()}
        for rate in args.rates:
            tag = f"{rate / 1000:g}k"
            out.note(f"the ingestor alone (no sink running), paced at {rate:,.0f} events/s")
            async with ReplayFeed(rec, rate=rate) as feed:
                alone_probe, alone_cpu = await _ingest_only(settings, codec, ids, feed.url, args)
            ack = alone_probe.event_to_ack_ms
            out.add(f"ingest_only_cpu_{tag}", alone_cpu, "cores")
            out.add(f"ingest_only_event_to_ack_samples_{tag}", len(ack), "events")
            out.add(f"ingest_only_event_to_ack_p50_{tag}", percentile(ack, 50), "ms")
            out.add(f"ingest_only_event_to_ack_p99_{tag}", percentile(ack, 99), "ms")
            out.ratio(
                f"ingest_only_event_to_ack_p99_vs_target_50ms_{tag}",
                percentile(ack, 99),
                P99_TARGET_MS,
            )
        sink_log = stack.dir / "bench-sink.log"
        sink_args = ("--max-age", str(args.sink_max_age)) if args.sink_max_age else ()
        async with sink_process(stack, database, sink_log, sink_args) as sink_pid:
            await _rates(args, out, stack, settings, codec, ids, rec, topics, sink_pid)
            out.add("sink_rss_peak_mb", proc_status_mb("VmHWM", sink_pid), "MB")
        out.add("machine_load_1m_at_end", os.getloadavg()[0], "runnable")


async def _rates(
    args: argparse.Namespace,
    out: Figures,
    stack: StackConfig,
    settings: Any,
    codec: Any,
    ids: dict[str, int],
    rec: Recording,
    topics: dict[str, int],
    sink_pid: int,
) -> None:
    for rate in args.rates:
        tag = f"{rate / 1000:g}k"
        out.note(f"replay of {rec.events:,} recorded events paced at {rate:,.0f} events/s")
        async with ReplayFeed(rec, rate=rate) as feed:
            probe, visible, extra = await _pipeline(settings, codec, ids, feed.url, sink_pid, args)
        ack, ing = probe.event_to_ack_ms, probe.ingest_to_ack_ms
        out.add(f"acked_per_s_{tag}", extra["acked_per_s"], "events/s")
        out.add(f"ingest_dropped_{tag}", extra["dropped"], "events")
        out.add(f"ingestor_cpu_{tag}", extra["ingestor_cpu"], "cores")
        out.add(f"sink_cpu_{tag}", extra["sink_cpu"], "cores")
        out.add(f"event_to_ack_samples_{tag}", len(ack), "events")
        out.add(f"event_to_ack_p50_{tag}", percentile(ack, 50), "ms")
        out.add(f"event_to_ack_p99_{tag}", percentile(ack, 99), "ms")
        out.add(f"ingest_to_ack_p50_{tag}", percentile(ing, 50), "ms")
        out.add(f"ingest_to_ack_p99_{tag}", percentile(ing, 99), "ms")
        out.add(f"event_to_clickhouse_samples_{tag}", len(visible), "events")
        out.add(f"event_to_clickhouse_p50_{tag}", percentile(visible, 50), "ms")
        out.add(f"event_to_clickhouse_p99_{tag}", percentile(visible, 99), "ms")
        records = await read_back(stack.kafka_bootstrap, topics, 100_000)
        out.note(f"baseline: plain aiokafka producer/consumer, same bytes, {rate:,.0f}/s")
        raw_ack, raw_consumed = await raw_latency(
            stack.kafka_bootstrap, records, rate, args.baseline_seconds
        )
        out.add(f"raw_aiokafka_ack_p50_{tag}", percentile(raw_ack, 50), "ms")
        out.add(f"raw_aiokafka_ack_p99_{tag}", percentile(raw_ack, 99), "ms")
        out.add(f"raw_aiokafka_consume_p50_{tag}", percentile(raw_consumed, 50), "ms")
        out.add(f"raw_aiokafka_consume_p99_{tag}", percentile(raw_consumed, 99), "ms")
        out.note(f"the publisher alone (MarketPublisher, defaults), same bytes, {rate:,.0f}/s")
        alone = await publisher_latency(stack.kafka_bootstrap, records, rate, args.baseline_seconds)
        out.add(f"publisher_ack_p50_{tag}", percentile(alone, 50), "ms")
        out.add(f"publisher_ack_p99_{tag}", percentile(alone, 99), "ms")
        p99, raw_p99 = percentile(ack, 99), percentile(raw_ack, 99)
        out.ratio(f"publisher_ack_p99_vs_raw_aiokafka_{tag}", percentile(alone, 99), raw_p99)
        out.ratio(f"event_to_ack_p99_vs_raw_aiokafka_{tag}", p99, raw_p99)
        out.ratio(f"event_to_ack_p99_vs_target_50ms_{tag}", p99, P99_TARGET_MS)
        out.ratio(
            f"event_to_clickhouse_p99_vs_raw_consume_{tag}",
            percentile(visible, 99),
            percentile(raw_consumed, 99),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument(
        "--rates", default="10000,2000", help="events/s sent, one run per rate (comma-separated)"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window per rate")
    parser.add_argument(
        "--sink-max-age", type=float, default=0.0, help="the sink's --max-age (0: its default)"
    )
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--chains", default="SPY:27,QQQ:20")
    parser.add_argument("--record-seconds", type=float, default=3.0)
    parser.add_argument("--baseline-seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    args.rates = [float(r) for r in args.rates.split(",") if r]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["AckLatency", "main", "run"]
