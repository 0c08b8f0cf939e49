"""``python -m tastystream.stack.registry --host H --port P --bootstrap B [--topic _schemas]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiokafka.errors import KafkaError

from tastystream.logs import configure_logging
from tastystream.stack.registry.errors import RegistryError
from tastystream.stack.registry.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tastystream.stack.registry",
        description="Confluent-compatible schema registry storing schemas in Kafka",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    parser.add_argument("--topic", default="_schemas")
    parser.add_argument(
        "--allowed-origins",
        default="",
        help="comma-separated web origins allowed to call the registry (CORS); none by default",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    # our own lines cover uvicorn's lifecycle messages (which carry terminal colour extras)
    logging.getLogger("uvicorn.error").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        origins = tuple(o.strip() for o in args.allowed_origins.split(",") if o.strip())
        asyncio.run(serve(args.host, args.port, args.bootstrap, args.topic, origins))
    except (KafkaError, RegistryError, OSError, TimeoutError) as exc:
        logging.getLogger("tastystream.stack.registry").critical(
            "schema registry failed to start or crashed: %r", exc
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
