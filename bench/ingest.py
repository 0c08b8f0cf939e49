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
  ingestor wrote (read back from the topics): the same-run baseline of the ratios;
* ``ingestor_rss``: RSS of this process (the ingestor) with the symbols subscribed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import orjson
import websockets
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from bench.harness import (
    Figures,
    RssSampler,
    cpu_seconds,
    local_stack,
    sandbox_process,
    settings_for,
)

TARGET = 50_000.0
EVENT_TYPES = ("Quote", "Trade", "Summary", "Greeks", "TheoPrice")
UNDERLYINGS = ("SPY", "QQQ", "IWM", "AAPL", "MSFT", "NVDA", "SPX", "/ES", "BTC/USD", "ETH/USD")


# ------------------------------------------------------------------ recorded DXLink feed
@dataclass
class Recording:
    """FEED_DATA frames as the sandbox sent them, and the field layout of each channel."""

    fields: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    frames: list[str] = field(default_factory=list)
    events: int = 0


async def record_frames(
    settings: Any, event_types: tuple[str, ...], *, seconds: float
) -> Recording:
    """Subscribe like the ingestor (same channels, fields, symbols) and keep the raw frames."""
    from adapters.tastytrade.auth import OAuth2Auth
    from adapters.tastytrade.compact import CompactDecoder
    from adapters.tastytrade.dxlink import CHANNELS
    from adapters.tastytrade.http import HttpSession
    from adapters.tastytrade.quote_token import ApiQuoteTokens
    from adapters.tastytrade.rest import Rest
    from ingest.watchlist import OPTION_EVENTS, UNDERLYING_ONLY, parse_entries, resolve

    tt = settings.tastytrade
    auth = OAuth2Auth(
        client_secret=tt.client_secret.get_secret_value(),
        refresh_token=tt.refresh_token.get_secret_value(),
    )
    async with HttpSession(tt.base_url, auth, api_version=tt.api_version) as http:
        token = await ApiQuoteTokens(http).get()
        plain, chains = parse_entries(tt.symbols, tt.option_chains)
        resolved = await resolve(Rest(http), plain, chains)
    rec = Recording()
    decoder = CompactDecoder()
    async with websockets.connect(token.dxlink_url, max_size=2**24) as ws:

        async def send(message: dict[str, Any]) -> None:
            await ws.send(orjson.dumps(message).decode())

        await send({"type": "SETUP", "channel": 0, "keepaliveTimeout": 60,
                    "acceptKeepaliveTimeout": 60, "version": "bench-recorder"})  # fmt: skip
        await send({"type": "AUTH", "channel": 0, "token": token.token})
        for event_type in event_types:
            number = CHANNELS[event_type]
            await send({"type": "CHANNEL_REQUEST", "channel": number, "service": "FEED",
                        "parameters": {"contract": "AUTO"}})  # fmt: skip
            await send({"type": "FEED_SETUP", "channel": number, "acceptAggregationPeriod": 0.1,
                        "acceptDataFormat": "COMPACT",
                        "acceptEventFields": {event_type: decoder.request(event_type)}})  # fmt: skip
            symbols: set[str] = set()
            if event_type not in UNDERLYING_ONLY:
                symbols |= set(resolved.underlyings)
            if event_type in OPTION_EVENTS:
                symbols |= set(resolved.options)
            add = [{"type": event_type, "symbol": s} for s in sorted(symbols)]
            for start in range(0, len(add), 400):
                await send({"type": "FEED_SUBSCRIPTION", "channel": number,
                            "add": add[start : start + 400]})  # fmt: skip
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                text = await asyncio.wait_for(ws.recv(), left)
            except TimeoutError:
                break
            assert isinstance(text, str)
            msg = orjson.loads(text)
            if msg.get("type") == "FEED_CONFIG":
                rec.fields[msg["channel"]] = msg["eventFields"]
            elif msg.get("type") == "FEED_DATA":
                data, layout = msg["data"], rec.fields.get(msg["channel"], {})
                rec.events += sum(
                    len(v) // len(layout[t]) for t, v in zip(data[0::2], data[1::2], strict=True)
                )
                rec.frames.append(text)
    return rec


TIME_FIELDS = frozenset({"time", "bidTime", "askTime", "eventTime"})


def _chunks(rec: Recording, max_events: int) -> list[tuple[int, str, list[Any], int, list[int]]]:
    """The recording cut into (channel, type, flat values, field count, time positions)."""
    out: list[tuple[int, str, list[Any], int, list[int]]] = []
    for text in rec.frames:
        msg = orjson.loads(text)
        channel, data = msg["channel"], msg["data"]
        for event_type, values in zip(data[0::2], data[1::2], strict=True):
            names = rec.fields[channel][event_type]
            width = len(names)
            times = [i for i, name in enumerate(names) if name in TIME_FIELDS]
            step = width * max_events
            for start in range(0, len(values), step):
                out.append((channel, event_type, values[start : start + step], width, times))
    return out


async def _paced(ws: ServerConnection, rec: Recording, rate: float) -> None:
    """Send ``rate`` events/s, every event stamped with the send time (ms) as its source time."""
    chunks = _chunks(rec, max_events=max(1, int(rate // 200)))
    sent, started = 0, time.perf_counter()
    while True:
        for channel, event_type, values, width, times in chunks:
            now_ms = int(time.time() * 1000)
            for base in range(0, len(values), width):
                for i in times:
                    values[base + i] = now_ms
            frame = {"type": "FEED_DATA", "channel": channel, "data": [event_type, values]}
            await ws.send(orjson.dumps(frame).decode())
            sent += len(values) // width
            delay = started + sent / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)


async def _replay(ws: ServerConnection, rec: Recording, rate: float) -> None:
    """A minimal DXLink server: handshake, channels, then the recording in a loop — as fast
    as the socket takes it (``rate`` 0) or paced to ``rate`` events/s with fresh times."""

    async def send(message: dict[str, Any]) -> None:
        await ws.send(orjson.dumps(message).decode())

    subscribed: set[int] = set()
    pump: asyncio.Task[None] | None = None

    async def loop() -> None:
        if rate > 0:
            await _paced(ws, rec, rate)
        while True:
            for frame in rec.frames:
                await ws.send(frame)

    try:
        async for raw in ws:
            msg = orjson.loads(raw)
            kind, channel = msg.get("type"), msg.get("channel", 0)
            if kind == "SETUP":
                await send({"type": "SETUP", "channel": 0, "keepaliveTimeout": 60,
                            "acceptKeepaliveTimeout": 60, "version": "bench-replay"})  # fmt: skip
                await send({"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"})
            elif kind == "AUTH":
                await send({"type": "AUTH_STATE", "channel": 0, "state": "AUTHORIZED",
                            "userId": "bench"})  # fmt: skip
            elif kind == "CHANNEL_REQUEST":
                await send({"type": "CHANNEL_OPENED", "channel": channel, "service": "FEED",
                            "parameters": msg.get("parameters", {})})  # fmt: skip
            elif kind == "FEED_SETUP" and channel in rec.fields:
                await send({"type": "FEED_CONFIG", "channel": channel, "dataFormat": "COMPACT",
                            "aggregationPeriod": 0.1, "eventFields": rec.fields[channel]})  # fmt: skip
            elif kind == "FEED_SUBSCRIPTION":
                subscribed.add(channel)
                if pump is None and set(rec.fields) <= subscribed:
                    pump = asyncio.create_task(loop())
    except ConnectionClosed:
        pass
    finally:
        if pump is not None:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)


async def _replay_serve(pipe: Connection, rec: Recording, rate: float) -> None:
    async with serve(lambda ws: _replay(ws, rec, rate), "127.0.0.1", 0, max_size=2**24) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        pipe.send(f"ws://127.0.0.1:{port}/dxlink")
        await asyncio.to_thread(pipe.recv)


def _replay_process(pipe: Connection, rec: Recording, rate: float) -> None:
    asyncio.run(_replay_serve(pipe, rec, rate))


class ReplayFeed:
    """The replay DXLink server in its own process: ``async with ReplayFeed(rec) as feed``;
    ``rate`` > 0 paces it to that many events/s, each stamped with its send time."""

    def __init__(self, rec: Recording, *, rate: float = 0.0) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._pipe, child = ctx.Pipe()
        self._process = ctx.Process(target=_replay_process, args=(child, rec, rate), daemon=True)
        self.url = ""
        self.pid = 0

    async def __aenter__(self) -> ReplayFeed:
        self._process.start()
        if not await asyncio.to_thread(self._pipe.poll, 60):
            raise RuntimeError("replay feed did not start")
        self.url = self._pipe.recv()
        self.pid = self._process.pid or 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._pipe.send("stop")
        await asyncio.to_thread(self._process.join, 10)
        if self._process.is_alive():
            self._process.terminate()
            await asyncio.to_thread(self._process.join, 5)


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
) -> dict[str, float]:
    """Run the ingestor; figures over a ``seconds`` window after ``warmup``."""
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


async def read_back(
    bootstrap: str, topics: dict[str, int], limit: int
) -> list[tuple[str, bytes | None, bytes]]:
    """Up to ``limit`` (topic, key, value) records exactly as the ingestor wrote them."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t, n in topics.items() for p in range(n)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        total = sum(ends.values())
        out: list[tuple[str, bytes | None, bytes]] = []
        while len(out) < min(limit, total):
            batch = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            if not batch:
                break
            for tp, records in batch.items():
                out.extend((tp.topic, r.key, r.value) for r in records if r.value is not None)
        return out[:limit]
    finally:
        await consumer.stop()


async def raw_produce_rate(
    bootstrap: str, records: list[tuple[str, bytes | None, bytes]]
) -> tuple[float, float]:
    """Events/s and CPU µs per event of a plain aiokafka producer (the publisher's settings)
    sending ``records``."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        compression_type="lz4",
        linger_ms=10,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    slots = asyncio.Semaphore(20_000)
    try:
        started, cpu0 = time.perf_counter(), cpu_seconds()
        futures = []
        for topic, key, value in records:
            await slots.acquire()
            future = await producer.send(topic, value, key=key)
            future.add_done_callback(lambda _f: slots.release())
            futures.append(future)
        await asyncio.gather(*futures)
        n = max(1, len(records))
        return n / (time.perf_counter() - started), (cpu_seconds() - cpu0) / n * 1e6
    finally:
        await producer.stop()


async def run(args: argparse.Namespace) -> None:
    from schemas.topics import MARKET_TOPICS
    from tastystream.pipeline import prepare_contract

    out = Figures()
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
        out.add("sandbox_events_sent", sandbox_stats.get("events_sent", math.nan), "events")
        out.note("baseline: plain aiokafka producer, same settings, the bytes the ingestor wrote")
        topics = {spec.name: spec.partitions for spec in MARKET_TOPICS.values()}
        records = await read_back(stack.kafka_bootstrap, topics, args.baseline_records)
        base, base_cpu = await raw_produce_rate(stack.kafka_bootstrap, records)
        out.add("raw_aiokafka_records", len(records), "records")
        out.add("raw_aiokafka_events_per_s", base, "events/s")
        out.add("raw_aiokafka_cpu_us_per_event", base_cpu, "us")
        out.ratio("ingest_sandbox_vs_raw_aiokafka", live["events_per_s"], base)
        out.ratio("ingest_replay_vs_raw_aiokafka", replay, base)
        best = max(live["events_per_s"], 0.0 if math.isnan(replay) else replay)
        out.ratio("ingest_best_vs_target_50k", best, TARGET)
        out.ratio("ingest_replay_cpu_per_event_vs_raw_aiokafka", replay_cpu, base_cpu)
        if rec.frames:
            # one core's ceiling: our stages plus a plain producer's own cost per event
            ceiling = 1e6 / (sum(costs.values()) - costs["event_id"] + base_cpu)
            out.add("ingest_one_core_ceiling_events_per_s", ceiling, "events/s")
            out.ratio("ingest_one_core_ceiling_vs_target_50k", ceiling, TARGET)
        out.ratio("ingestor_rss_vs_limit_250mb", live["rss_peak_mb"], 250.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--speed", type=float, default=10.0, help="sandbox clock speed")
    parser.add_argument("--chains", default="SPY:27,QQQ:20", help="option chains to subscribe")
    parser.add_argument("--record-seconds", type=float, default=3.0)
    parser.add_argument("--baseline-records", type=int, default=300_000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "EVENT_TYPES",
    "UNDERLYINGS",
    "Recording",
    "ReplayFeed",
    "main",
    "raw_produce_rate",
    "read_back",
    "record_frames",
    "run",
]
