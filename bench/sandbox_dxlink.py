"""DXLink events/s served by the sandbox to one raw ``websockets`` client.

Run: ``python -m bench.sandbox_dxlink [--seconds 5] [--speed 20] [--options 1200]``

Starts the market and the DXLink service under uvicorn on a free port, subscribes one client
(COMPACT, aggregation period 0) to Quote/Trade/Greeks/TheoPrice for every SPY option of the
nearest expirations plus the equities and crypto, and counts the events it receives. Also
measures a 1-minute candle history snapshot. Prints the figures and two ratios: served rate
against the 50,000 events/s target, and against how fast the same client can merely
``json.loads`` the very frames it received (the client-side ceiling on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import orjson
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from sandbox.clock import SimClock
from sandbox.dxlink import DxlinkService
from sandbox.dxlink_events import FIELDS
from sandbox.instruments.symbology import occ_symbol
from sandbox.market import Market

TARGET = 50_000.0
TOKEN = "bench"
START = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # a Tuesday, regular session
TYPES = ("Quote", "Trade", "Greeks", "TheoPrice")


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        return


def _symbols(market: Market, options: int) -> list[str]:
    out = list(market.catalog.symbols("Equity")) + [
        s + ":CXTALP" for s in market.catalog.symbols("Cryptocurrency")
    ]
    for exp in market.catalog.option_chain("SPY"):
        for strike in exp.strikes:
            for option_type in ("C", "P"):
                info = market.catalog.instrument(
                    occ_symbol(exp.root, exp.expiration_date, option_type, strike)
                )
                if info is not None:
                    out.append(info.streamer_symbol)
        if len(out) >= options:
            break
    return out[:options]


async def _client(
    url: str, symbols: list[str], seconds: float, mark: Connection
) -> tuple[int, int, int, list[str], tuple[int, float]]:
    async with websockets.connect(url, max_size=2**24, compression=None) as ws:
        await ws.send(json.dumps({"type": "SETUP", "channel": 0, "keepaliveTimeout": 60,
                                  "acceptKeepaliveTimeout": 60, "version": "bench"}))  # fmt: skip
        await ws.send(json.dumps({"type": "AUTH", "channel": 0, "token": TOKEN}))
        await ws.send(json.dumps({"type": "CHANNEL_REQUEST", "channel": 1, "service": "FEED",
                                  "parameters": {"contract": "AUTO"}}))  # fmt: skip
        await ws.send(json.dumps({"type": "FEED_SETUP", "channel": 1, "acceptAggregationPeriod": 0,
                                  "acceptDataFormat": "COMPACT",
                                  "acceptEventFields": {t: FIELDS[t] for t in TYPES}}))  # fmt: skip
        add = [{"type": t, "symbol": s} for s in symbols for t in TYPES]
        for start in range(0, len(add), 500):
            await ws.send(json.dumps({"type": "FEED_SUBSCRIPTION", "channel": 1,
                                      "add": add[start : start + 500]}))  # fmt: skip
        sizes = {t: len(FIELDS[t]) for t in TYPES}
        warm_until = time.perf_counter() + 1.0
        events = frames = nbytes = 0
        kept: list[str] = []
        marked: tuple[int, float] | None = None
        end = warm_until + seconds
        while (now := time.perf_counter()) < end:
            try:
                text = await asyncio.wait_for(ws.recv(), end - now)
            except TimeoutError:
                break
            assert isinstance(text, str)
            if now < warm_until:
                continue
            if marked is None:
                mark.send("mark")
                marked = await asyncio.to_thread(mark.recv)
            msg = orjson.loads(text)
            if msg.get("type") != "FEED_DATA":
                continue
            data = msg["data"]
            for event_type, values in zip(data[0::2], data[1::2], strict=True):
                events += len(values) // sizes[event_type]
            frames += 1
            nbytes += len(text)
            if len(kept) < 400:
                kept.append(text)
        return events, frames, nbytes, kept, marked or (0, 0.0)


async def _candles(url: str, symbol: str, from_ms: int) -> tuple[int, float]:
    fields = FIELDS["Candle"]
    async with websockets.connect(url, max_size=2**24) as ws:
        for msg in (
            {"type": "SETUP", "channel": 0, "keepaliveTimeout": 60, "acceptKeepaliveTimeout": 60,
             "version": "bench"},
            {"type": "AUTH", "channel": 0, "token": TOKEN},
            {"type": "CHANNEL_REQUEST", "channel": 3, "service": "FEED",
             "parameters": {"contract": "HISTORY"}},
            {"type": "FEED_SETUP", "channel": 3, "acceptAggregationPeriod": 0,
             "acceptDataFormat": "COMPACT", "acceptEventFields": {"Candle": fields}},
        ):  # fmt: skip
            await ws.send(json.dumps(msg))
        started = time.perf_counter()
        await ws.send(json.dumps({"type": "FEED_SUBSCRIPTION", "channel": 3,
                                  "add": [{"type": "Candle", "symbol": symbol, "fromTime": from_ms}]}))  # fmt: skip
        count = 0
        flags_at = fields.index("eventFlags")
        while True:
            frame: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 60))
            if frame.get("type") != "FEED_DATA":
                continue
            values = frame["data"][1]
            for i in range(0, len(values), len(fields)):
                count += 1
                if values[i + flags_at] & 8:
                    return count, time.perf_counter() - started


async def _serve_async(pipe: Connection, speed: float) -> None:
    market = Market(seed=42, clock=SimClock(START, speed=speed))
    service = DxlinkService(market, lambda token: token == TOKEN)
    app = Starlette(routes=[WebSocketRoute("/dxlink", service.endpoint)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_config=None, access_log=False, ws="websockets-sansio", lifespan="off"
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(3000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    pipe.send(f"ws://127.0.0.1:{sock.getsockname()[1]}/dxlink")

    def control() -> None:
        # "mark" / "stop": report (events sent so far, CPU seconds this process used)
        while True:
            command = pipe.recv()
            pipe.send((service.events_sent, time.process_time()))
            if command == "stop":
                return

    await asyncio.to_thread(control)
    server.should_exit = True
    await asyncio.wait_for(task, 10)
    sock.close()


def _serve(pipe: Connection, speed: float) -> None:
    """Server process: the sandbox DXLink service on its own core."""
    asyncio.run(_serve_async(pipe, speed))


async def run(seconds: float, speed: float, options: int) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(child, speed), daemon=True)
    process.start()
    try:
        url = await asyncio.to_thread(parent.recv)
        symbols = _symbols(Market(seed=42, clock=SimClock(START, speed=0)), options)
        events, frames, nbytes, kept, (events_at_mark, cpu_at_mark) = await _client(
            url, symbols, seconds, parent
        )
        parent.send("mark")
        events_at_end, cpu_at_end = await asyncio.to_thread(parent.recv)
        decode_started = time.perf_counter()
        decoded = 0
        for _ in range(5):
            for text in kept:
                msg = json.loads(text)
                data = msg["data"]
                decoded += sum(
                    len(v) // len(FIELDS[t]) for t, v in zip(data[0::2], data[1::2], strict=True)
                )
        decode_rate = decoded / max(1e-9, time.perf_counter() - decode_started)
        now_ms = int(START.timestamp() * 1000)
        candle_count, candle_secs = await _candles(
            url, "BTC/USD:CXTALP{=1m}", now_ms - 5 * 86_400_000
        )
        parent.send("stop")
        served, _ = await asyncio.to_thread(parent.recv)
    finally:
        process.join(15)
        if process.is_alive():
            process.terminate()
            process.join(5)
    rate = events / seconds
    return {
        "symbols": float(len(symbols)),
        "subscriptions": float(len(symbols) * len(TYPES)),
        "events_per_s": rate,
        "frames_per_s": frames / seconds,
        "mbytes_per_s": nbytes / seconds / 1e6,
        "events_per_frame": events / max(1, frames),
        "events_served_total": float(served),
        "server_cpu_seconds": cpu_at_end - cpu_at_mark,
        "events_per_server_cpu_s": (events_at_end - events_at_mark)
        / max(1e-9, cpu_at_end - cpu_at_mark),
        "json_loads_events_per_s": decode_rate,
        "ratio_vs_target": rate / TARGET,
        "ratio_vs_json_loads": rate / max(1e-9, decode_rate),
        "candle_snapshot_events": float(candle_count),
        "candle_snapshot_events_per_s": candle_count / max(1e-9, candle_secs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--speed", type=float, default=20.0, help="simulated clock speed")
    parser.add_argument("--options", type=int, default=1200, help="symbols to subscribe")
    args = parser.parse_args()
    figures = asyncio.run(run(args.seconds, args.speed, args.options))
    print("sandbox DXLink → one raw websockets client (COMPACT, aggregation 0)")
    for key, value in figures.items():
        print(f"  {key:30s} {value:14,.2f}")
    verdict = "meets" if figures["events_per_s"] >= TARGET else "below"
    print(f"  {verdict} the {TARGET:,.0f} events/s target (ratio {figures['ratio_vs_target']:.2f})")
    per_cpu = figures["events_per_server_cpu_s"]
    print(
        f"  per server CPU-second: {per_cpu:,.0f} events (ratio {per_cpu / TARGET:.2f}); "
        "the wall-clock rate is lower when other processes compete for the cores"
    )


if __name__ == "__main__":
    main()
