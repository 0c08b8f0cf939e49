"""Ingest throughput: DXLink frames → quote ingestor → Kafka acked, events/s, and its memory.

``python -m bench.ingest [--seconds 20] [--speed 10] [--chains SPY:27,QQQ:20]``

Starts Kafka and the registry on free ports, the sandbox in its own process (accelerated clock,
a fixed open-market time) and runs the real ingestor (``QuoteIngestor`` + ``MarketPublisher``,
production settings) in this process against ~5,000 symbols (whole option chains). Figures:

* ``ingest_sandbox``: events acked by Kafka per second over the window, its worst 1-s second,
  CPU use of the ingestor and the sandbox processes (who is the bottleneck), listener drops;
* ``ingest_replay``: the same ingestor fed by a local replay of recorded sandbox FEED_DATA
  frames (a fake DXLink server in its own process, sending as fast as the socket takes them),
  so the figure is about our code rather than the sandbox's emission rate;
* ``raw_aiokafka``: a plain aiokafka producer (same settings) sending the very bytes the
  ingestor wrote (read back from the topics) one ``send`` per record: the same-run baseline of
  the ratios; ``raw_aiokafka_batch``: the same bytes on aiokafka's batch API (a builder per
  partition, ``send_batch``), the best aiokafka usage and what the publisher is built on; also
  ``raw_confluent_kafka`` (librdkafka) for what the producer side could cost;
* ``stage_*``: CPU µs per event of each stage (decode, normalize, event id, Avro encode) on the
  recorded frames, and the resulting one-core ceiling — figures that do not depend on how busy
  the machine is;
* ``ingestor_rss``: RSS of this process (the ingestor) with the symbols subscribed.

``--profile FILE`` adds a replay run under cProfile and prints where the CPU goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import math
import os
import pstats
import time
from typing import Any

import orjson

from bench.harness import (
    Figures,
    Recording,
    ReplayFeed,
    RssSampler,
    confluent_produce_rate,
    cpu_seconds,
    local_stack,
    raw_batch_produce_rate,
    raw_produce_rate,
    read_back,
    record_frames,
    sandbox_process,
    settings_for,
)

TARGET = 50_000.0
EVENT_TYPES = ("Quote", "Trade", "Summary", "Greeks", "TheoPrice")
UNDERLYINGS = ("SPY", "QQQ", "IWM", "AAPL", "MSFT", "NVDA", "SPX", "/ES", "BTC/USD", "ETH/USD")


def stage_costs(rec: Recording, codec: Any, ids: dict[str, int]) -> dict[str, float]:
    """CPU µs per event of each stage of the ingest path, on the recorded frames, one core:
    JSON parse + COMPACT decode, normalize (of which the event id), Avro encode."""
    from adapters.tastytrade.compact import CompactDecoder
    from ingest.normalize import normalize
    from schemas.identity import event_id_for

    decoders: dict[int, CompactDecoder] = {}
    for channel, layout in rec.fields.items():
        decoder = decoders[channel] = CompactDecoder()
        for event_type, names in layout.items():
            decoder.configure(event_type, names)
    t0 = time.process_time()
    events = []
    for text in rec.frames:
        msg = orjson.loads(text)
        events.extend(decoders[msg["channel"]].decode(msg["data"], text))
    t1 = time.process_time()
    items = [normalize(e, info=None, ts_ingest_us=1, source="dxlink:bench") for e in events]
    t2 = time.process_time()
    for item in items:
        event_id_for(item.spec.event_type, item.record)
    t3 = time.process_time()
    for item in items:
        codec.encode(ids[item.spec.value_subject], item.record)
    t4 = time.process_time()
    n = max(1, len(events)) / 1e6
    return {
        "decode": (t1 - t0) / n,
        "normalize": (t2 - t1) / n,
        "event_id": (t3 - t2) / n,
        "avro_encode": (t4 - t3) / n,
    }


async def _measure_ingestor(
    settings: Any,
    codec: Any,
    ids: dict[str, int],
    *,
    seconds: float,
    warmup: float,
    replay_url: str | None = None,
    other_pid: int | None = None,
    profile: cProfile.Profile | None = None,
) -> dict[str, float]:
    """Run the ingestor; figures over a ``seconds`` window after ``warmup`` (profiled by
    ``profile`` when given: then the figures are the profiler's, not ours)."""
    from adapters.tastytrade.dxlink import DXLinkStreamer
    from adapters.tastytrade.errors import ErrorStream
    from adapters.tastytrade.quote_token import StaticQuoteToken
    from ingest.publisher import MarketPublisher
    from ingest.quotes import QuoteIngestor
    from tastystream.pipeline import ingest_config, tastytrade_session

    errors = ErrorStream()
    rss = RssSampler()
    rss_before = rss.sample()
    async with (
        tastytrade_session(settings, errors) as (rest, factory),
        MarketPublisher(settings.kafka, codec, ids) as publisher,
    ):
        if replay_url is not None:
            tokens = StaticQuoteToken("replay", replay_url)

            def factory() -> DXLinkStreamer:
                return DXLinkStreamer(tokens, errors=errors)

        ingestor = QuoteIngestor(
            ingest_config(settings, "dxlink:bench"), rest, factory, publisher, errors
        )
        stop, sampling = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(ingestor.run(stop), name="bench-ingestor")
        sampler = asyncio.create_task(rss.run(sampling))
        try:
            deadline = time.monotonic() + 120
            while sum(publisher.metrics.acked.values()) == 0:
                if task.done() or time.monotonic() > deadline:
                    await task
                    raise RuntimeError("ingestor produced nothing")
                await asyncio.sleep(0.1)
            await asyncio.sleep(warmup)

            def acked() -> int:
                return sum(publisher.metrics.acked.values())

            start_acked, start_received = acked(), sum(ingestor.metrics.received.values())
            start_drop = ingestor.metrics.dropped
            cpu0 = cpu_seconds()
            other0 = cpu_seconds(other_pid) if other_pid else 0.0
            if profile is not None:
                profile.enable()
            t0 = time.perf_counter()
            per_second: list[float] = []
            last, last_t = start_acked, t0
            while (now := time.perf_counter()) < t0 + seconds:
                await asyncio.sleep(min(1.0, t0 + seconds - now))
                count, at = acked(), time.perf_counter()
                if at - last_t >= 0.5:
                    per_second.append((count - last) / (at - last_t))
                last, last_t = count, at
            elapsed = time.perf_counter() - t0
            if profile is not None:
                profile.disable()
            figures = {
                "events_per_s": (acked() - start_acked) / elapsed,
                "received_per_s": (sum(ingestor.metrics.received.values()) - start_received)
                / elapsed,
                "worst_second": min(per_second) if per_second else math.nan,
                "cpu": (cpu_seconds() - cpu0) / elapsed,
                # CPU per event handled end to end (decoded events dropped on overflow excluded)
                "cpu_us_per_event": (cpu_seconds() - cpu0) / max(1, acked() - start_acked) * 1e6,
                "other_cpu": (cpu_seconds(other_pid) - other0) / elapsed if other_pid else math.nan,
                "dropped": float(ingestor.metrics.dropped - start_drop),
                "failed": float(sum(publisher.metrics.failed.values())),
                "symbols": float(ingestor.metrics.symbols),
                "subscriptions": float(ingestor.metrics.subscriptions),
                "rss_before_mb": rss_before,
            }
        finally:
            stop.set()
            await asyncio.wait_for(task, 60)
            sampling.set()
            await sampler
    figures["rss_peak_mb"] = rss.peak_mb
    figures["rss_last_mb"] = rss.last_mb
    return figures


async def _profile_replay(
    settings: Any, codec: Any, ids: dict[str, int], rec: Recording, args: argparse.Namespace
) -> None:
    """One more replay run under cProfile: where the ingestor's CPU per event goes (printed as
    ``#`` notes, no figures: the profiler slows the run down), stats saved to ``--profile``."""
    profile = cProfile.Profile()
    async with ReplayFeed(rec) as feed:
        await _measure_ingestor(
            settings, codec, ids, seconds=args.seconds, warmup=args.warmup,
            replay_url=feed.url, other_pid=feed.pid, profile=profile,
        )  # fmt: skip
    profile.dump_stats(args.profile)
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text).sort_stats("tottime")
    stats.print_stats(args.profile_top)
    print(f"# cProfile of the replay run (by own time), saved to {args.profile}")
    for line in text.getvalue().splitlines():
        if line.strip():
            print(f"#   {line}")


async def run(args: argparse.Namespace) -> None:
    from schemas.topics import MARKET_TOPICS
    from tastystream.pipeline import prepare_contract

    out = Figures()
    # the 2 cores are shared: how busy the machine was explains the wall-clock figures
    out.add("machine_load_1m_at_start", os.getloadavg()[0], "runnable")
    chains = tuple(c for c in args.chains.split(",") if c)
    async with local_stack(["kafka", "registry"]) as stack:
        async with sandbox_process(speed=args.speed) as (sandbox, sandbox_stats):
            settings = settings_for(
                stack, sandbox, symbols=UNDERLYINGS, option_chains=chains, event_types=EVENT_TYPES
            )
            codec, ids = await prepare_contract(settings)
            out.note(f"ingest from the sandbox DXLink (clock x{args.speed:g}), {args.seconds:g} s")
            live = await _measure_ingestor(
                settings, codec, ids, seconds=args.seconds, warmup=args.warmup,
                other_pid=sandbox.pid,
            )  # fmt: skip
            out.add("symbols_subscribed", live["symbols"], "symbols")
            out.add("subscriptions", live["subscriptions"], "subscriptions")
            out.add("ingest_sandbox_events_per_s", live["events_per_s"], "events/s")
            out.add("ingest_sandbox_worst_second", live["worst_second"], "events/s")
            out.add("ingest_sandbox_received_per_s", live["received_per_s"], "events/s")
            out.add("ingest_sandbox_dropped", live["dropped"], "events")
            out.add("ingest_sandbox_ingestor_cpu", live["cpu"], "cores")
            out.add("ingest_sandbox_sandbox_cpu", live["other_cpu"], "cores")
            out.add("ingest_sandbox_cpu_us_per_event", live["cpu_us_per_event"], "us")
            bound = "the ingestor (its queue overflowed)" if live["dropped"] else "the source"
            out.note(f"sandbox run bottleneck: {bound}")
            out.add("ingestor_rss_before_mb", live["rss_before_mb"], "MB")
            out.add("ingestor_rss_peak_mb", live["rss_peak_mb"], "MB")
            out.add("ingestor_rss_last_mb", live["rss_last_mb"], "MB")
            rec = await record_frames(settings, EVENT_TYPES, seconds=args.record_seconds)
            out.add("replay_recorded_frames", len(rec.frames), "frames")
            out.add("replay_recorded_events", rec.events, "events")
            if rec.frames:
                costs = stage_costs(rec, codec, ids)
                for stage, micros in costs.items():
                    out.add(f"stage_{stage}_cpu_us_per_event", micros, "us")
            replay = replay_cpu = math.nan
            if rec.frames:
                out.note("ingest from a local replay of the recorded frames (as fast as taken)")
                async with ReplayFeed(rec) as feed:
                    rep = await _measure_ingestor(
                        settings, codec, ids, seconds=args.seconds, warmup=args.warmup,
                        replay_url=feed.url, other_pid=feed.pid,
                    )  # fmt: skip
                replay = rep["events_per_s"]
                out.add("ingest_replay_events_per_s", replay, "events/s")
                out.add("ingest_replay_worst_second", rep["worst_second"], "events/s")
                out.add("ingest_replay_received_per_s", rep["received_per_s"], "events/s")
                out.add("ingest_replay_dropped", rep["dropped"], "events")
                out.add("ingest_replay_ingestor_cpu", rep["cpu"], "cores")
                out.add("ingest_replay_feed_cpu", rep["other_cpu"], "cores")
                replay_cpu = rep["cpu_us_per_event"]
                out.add("ingest_replay_cpu_us_per_event", replay_cpu, "us")
                out.add("ingest_replay_events_per_cpu_s", 1e6 / replay_cpu, "events/s")
                if args.profile:
                    await _profile_replay(settings, codec, ids, rec, args)
        out.add("sandbox_events_sent", sandbox_stats.get("events_sent", math.nan), "events")
        out.note("baseline: plain aiokafka producer, same settings, the bytes the ingestor wrote")
        topics = {spec.name: spec.partitions for spec in MARKET_TOPICS.values()}
        records = await read_back(stack.kafka_bootstrap, topics, args.baseline_records)
        base, base_cpu = await raw_produce_rate(stack.kafka_bootstrap, records)
        out.add("raw_aiokafka_records", len(records), "records")
        out.add("raw_aiokafka_events_per_s", base, "events/s")
        out.add("raw_aiokafka_cpu_us_per_event", base_cpu, "us")
        out.note("baseline: plain aiokafka batch API (a builder per partition), the same bytes")
        batch_base, batch_cpu = await raw_batch_produce_rate(stack.kafka_bootstrap, records)
        out.add("raw_aiokafka_batch_events_per_s", batch_base, "events/s")
        out.add("raw_aiokafka_batch_cpu_us_per_event", batch_cpu, "us")
        confluent, confluent_cpu = await asyncio.to_thread(
            confluent_produce_rate, stack.kafka_bootstrap, records
        )
        out.add("raw_confluent_kafka_events_per_s", confluent, "events/s")
        out.add("raw_confluent_kafka_cpu_us_per_event", confluent_cpu, "us")
        out.ratio("ingest_sandbox_vs_raw_aiokafka", live["events_per_s"], base)
        out.ratio("ingest_replay_vs_raw_aiokafka", replay, base)
        best = max(live["events_per_s"], 0.0 if math.isnan(replay) else replay)
        out.ratio("ingest_best_vs_target_50k", best, TARGET)
        out.ratio("ingest_replay_cpu_per_event_vs_raw_aiokafka", replay_cpu, base_cpu)
        out.ratio("ingest_replay_vs_raw_aiokafka_batch", replay, batch_base)
        out.ratio("ingest_replay_cpu_per_event_vs_raw_aiokafka_batch", replay_cpu, batch_cpu)
        if rec.frames:
            # one core's ceiling: our stages plus a plain producer's own cost per event
            ceiling = 1e6 / (sum(costs.values()) - costs["event_id"] + base_cpu)
            out.add("ingest_one_core_ceiling_events_per_s", ceiling, "events/s")
            out.ratio("ingest_one_core_ceiling_vs_target_50k", ceiling, TARGET)
            # the same with the batch API's cost per event (what the publisher uses now)
            on_batches = 1e6 / (sum(costs.values()) - costs["event_id"] + batch_cpu)
            out.add("ingest_one_core_ceiling_batch_events_per_s", on_batches, "events/s")
            # the same with a librdkafka producer instead of aiokafka
            with_confluent = 1e6 / (sum(costs.values()) - costs["event_id"] + confluent_cpu)
            out.add("ingest_one_core_ceiling_confluent_events_per_s", with_confluent, "events/s")
        out.ratio("ingestor_rss_vs_limit_250mb", live["rss_peak_mb"], 250.0)
        out.add("machine_load_1m_at_end", os.getloadavg()[0], "runnable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--speed", type=float, default=10.0, help="sandbox clock speed")
    parser.add_argument("--chains", default="SPY:27,QQQ:20", help="option chains to subscribe")
    parser.add_argument("--record-seconds", type=float, default=3.0)
    parser.add_argument("--baseline-records", type=int, default=300_000)
    parser.add_argument(
        "--profile", default="", help="also profile a replay run (cProfile stats to this file)"
    )
    parser.add_argument("--profile-top", type=int, default=30, help="functions printed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["EVENT_TYPES", "UNDERLYINGS", "main", "run", "stage_costs"]
