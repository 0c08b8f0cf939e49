"""Runs the registry: the Kafka-backed store, then the HTTP API on uvicorn, until SIGTERM.

The port is bound only after the store has read ``_schemas`` to its end, so the first
``GET /subjects`` that answers 200 already sees every registered schema. SIGTERM/SIGINT stop
accepting requests, let in-flight ones finish, then close the Kafka clients; the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator

import uvicorn

from tastystream.stack.browser_guard import BrowserGuard
from tastystream.stack.registry.api import create_app
from tastystream.stack.registry.kafka_log import KafkaLog
from tastystream.stack.registry.service import SchemaRegistry

__all__ = ["serve"]

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            log.info(
                "schema registry listening on http://%s:%d", self.config.host, self.config.port
            )

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Handle signals on the loop and do not re-raise them afterwards (uvicorn's default),
        # so the caller can still close the Kafka clients and exit normally.
        loop = asyncio.get_running_loop()
        signals = (signal.SIGTERM, signal.SIGINT)
        for sig in signals:
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)


async def serve(
    host: str,
    port: int,
    bootstrap: str,
    topic: str = "_schemas",
    allowed_origins: tuple[str, ...] = (),
) -> None:
    async with KafkaLog(bootstrap, topic) as store:
        guard = BrowserGuard.create(host, port, allowed_origins)
        app = create_app(SchemaRegistry(store), guard=guard)
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="off"
        )
        server = _Server(config)
        await server.serve()
    log.info("schema registry stopped")
