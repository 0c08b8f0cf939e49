"""``python -m tastystream.stack.clickhouse --host H --port P --path DIR``: the local ClickHouse."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from pathlib import Path

from tastystream.logs import configure_logging
from tastystream.stack.clickhouse.engine import AccessRules, EngineLimits
from tastystream.stack.clickhouse.http_app import HttpLimits
from tastystream.stack.clickhouse.query_request import Credentials
from tastystream.stack.clickhouse.server import ClickHouseServer, ServerConfig


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m tastystream.stack.clickhouse",
        description="Embedded ClickHouse (chdb) served over the ClickHouse HTTP interface.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8123)
    p.add_argument("--path", type=Path, required=True, help="data directory")
    p.add_argument("--user", default="default")
    p.add_argument(
        "--password-env",
        default="CLICKHOUSE_PASSWORD",
        help="environment variable holding the user's password (required unless --no-password)",
    )
    p.add_argument(
        "--no-password",
        action="store_true",
        help="serve without a password (anything that can reach the port can query)",
    )
    p.add_argument(
        "--user-files-path",
        type=Path,
        default=None,
        help="the only folder file() may read and write (default PATH/user_files); "
        "the process works there, so relative paths resolve inside it",
    )
    p.add_argument(
        "--allow",
        default="",
        help="comma-separated table functions/engines to allow although they reach outside "
        "(url, remote, s3 …); none by default",
    )
    p.add_argument(
        "--allowed-origins",
        default="",
        help="comma-separated web origins allowed to call the server (CORS); none by default",
    )
    p.add_argument("--max-concurrent-queries", type=int, default=16)
    p.add_argument("--query-timeout", type=float, default=300.0, help="seconds, 0 = none")
    p.add_argument("--max-body-size", type=int, default=256 << 20, help="bytes of query text")
    p.add_argument("--max-insert-size", type=int, default=0, help="bytes, 0 = unlimited")
    p.add_argument("--log-level", default="INFO")
    return p.parse_args(argv)


async def _serve(config: ServerConfig) -> None:
    loop = asyncio.get_running_loop()
    async with ClickHouseServer(config) as server:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server.request_stop)
        await server.wait_closed()


def _names(csv: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in csv.split(",") if part.strip())


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    password = os.environ.get(args.password_env, "")
    configure_logging(args.log_level, secrets=[password] if password else ())
    logger = logging.getLogger(__name__)
    if not password and not args.no_password:
        logger.error("no password: set %s (or pass --no-password)", args.password_env)
        raise SystemExit(2)
    path = args.path.resolve()
    files = (args.user_files_path or path / "user_files").resolve()
    files.mkdir(parents=True, exist_ok=True)
    os.chdir(files)  # chdb resolves file()'s relative paths against the working directory
    config = ServerConfig(
        path=path,
        host=args.host,
        port=args.port,
        credentials=Credentials(args.user, password),
        access=AccessRules(files_dir=files, allow=_names(args.allow)),
        allowed_origins=_names(args.allowed_origins),
        engine=EngineLimits(
            max_concurrent_queries=args.max_concurrent_queries, query_timeout=args.query_timeout
        ),
        http=HttpLimits(max_body_size=args.max_body_size, max_insert_size=args.max_insert_size),
    )
    try:
        asyncio.run(_serve(config))
    except OSError as exc:  # typically: the port is taken
        logger.error("cannot serve on %s:%s: %s", args.host, args.port, exc)
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
