"""``python -m sandbox``: run the simulated Tastytrade and print where it is and how to log in.

Flags: ``--host --port --seed --client-secret --refresh-token --account`` (repeatable)
``--state FILE --clock-speed --clock-start ISO --admin-secret --access-token-ttl``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sandbox.clock import SimClock
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer


def parse_args(argv: list[str] | None = None) -> SandboxConfig:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--client-secret", default=defaults.client_secret)
    parser.add_argument("--refresh-token", default=defaults.refresh_token)
    parser.add_argument("--account", action="append", dest="accounts", metavar="NUMBER")
    parser.add_argument("--state", type=Path, default=None, metavar="FILE")
    parser.add_argument("--clock-speed", type=float, default=defaults.clock_speed)
    parser.add_argument("--clock-start", type=datetime.fromisoformat, default=None)
    parser.add_argument("--admin-secret", default=defaults.admin_secret)
    parser.add_argument("--access-token-ttl", type=float, default=defaults.access_token_ttl)
    args = parser.parse_args(argv)
    try:  # the clock's own range and speed checks, as a usage error rather than a traceback
        SimClock(args.clock_start, args.clock_speed)
    except ValueError as exc:
        parser.error(str(exc))
    return replace(
        defaults,
        host=args.host,
        port=args.port,
        seed=args.seed,
        client_secret=args.client_secret,
        refresh_token=args.refresh_token,
        accounts=tuple(args.accounts) if args.accounts else defaults.accounts,
        state_file=args.state,
        clock_speed=args.clock_speed,
        clock_start=args.clock_start,
        admin_secret=args.admin_secret,
        access_token_ttl=args.access_token_ttl,
    )


async def main(config: SandboxConfig) -> None:
    """Serve until SIGINT/SIGTERM, then stop cleanly (which also flushes ``--state``)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = SandboxServer(config)
    await server.start()
    print(server.banner(), flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def run(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(config))
    return 0


if __name__ == "__main__":
    sys.exit(run())
