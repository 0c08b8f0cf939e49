"""The server process's long-lived object: engine + HTTP listener, with an explicit lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from tastystream.stack.browser_guard import BrowserGuard
from tastystream.stack.clickhouse.engine import AccessRules, Engine, EngineLimits
from tastystream.stack.clickhouse.http_app import ClickHouseApp, HttpLimits
from tastystream.stack.clickhouse.query_request import Credentials

__all__ = ["ClickHouseServer", "ServerConfig"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    path: Path
    host: str = "127.0.0.1"
    port: int = 8123
    credentials: Credentials = field(default_factory=Credentials)
    engine: EngineLimits = field(default_factory=EngineLimits)
    http: HttpLimits = field(default_factory=HttpLimits)
    access: AccessRules = field(default_factory=AccessRules)
    allowed_origins: tuple[str, ...] = ()  # web origins that may call it (CORS); none by default
    graceful_timeout: float = 30.0
    max_connections: int = 1024  # beyond this, new connections get 503


class _Listener(uvicorn.Server):
    """uvicorn without its signal handling: the entry point owns signals and shutdown order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(host: str, port: int) -> socket.socket:
    """Bind here, not in uvicorn, so a taken port is an OSError for the caller, not an exit."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except BaseException:
        sock.close()
        raise
    return sock


class ClickHouseServer:
    """``async with ClickHouseServer(cfg) as srv: await srv.wait_closed()``.

    States: stopped → starting → running → stopping → stopped. Stopping first drains HTTP
    requests, then closes the engine, which flushes data to the directory.
    """

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.engine = Engine(config.path, config.engine, config.access)
        self.app = ClickHouseApp(self.engine, config.credentials, config.http)
        self.state = "stopped"
        self.port = config.port  # the bound port once running (config.port may be 0)
        self._listener: _Listener | None = None
        self._serving: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = self.config.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    async def __aenter__(self) -> ClickHouseServer:
        self.state = "starting"
        await self.engine.__aenter__()
        try:
            sock = _listen(self.config.host, self.config.port)
            self.port = sock.getsockname()[1]
            self.app.guard = BrowserGuard.create(
                self.config.host, self.port, self.config.allowed_origins
            )
            uv = uvicorn.Config(
                self.app,
                lifespan="off",
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=int(self.config.graceful_timeout),
                timeout_keep_alive=30,  # ClickHouse's keep_alive_timeout; pooled clients reuse
                limit_concurrency=self.config.max_connections,
                h11_max_incomplete_event_size=1 << 20,
            )
            self._listener = _Listener(uv)
            self._serving = asyncio.create_task(
                self._listener.serve(sockets=[sock]), name="clickhouse-http"
            )
            while not self._listener.started:
                if self._serving.done():
                    await self._serving
                    raise RuntimeError(f"HTTP listener on {self.url} did not start")
                await asyncio.sleep(0.01)
        except BaseException:
            await self.engine.__aexit__(None, None, None)
            self.state = "stopped"
            raise
        self.state = "running"
        log.info("clickhouse http interface listening on %s", self.url)
        return self

    def request_stop(self) -> None:
        if self._listener is not None:
            self._listener.should_exit = True

    async def wait_closed(self) -> None:
        if self._serving is not None:
            await asyncio.shield(self._serving)

    async def __aexit__(self, *exc: object) -> None:
        self.state = "stopping"
        self.request_stop()
        if self._serving is not None:
            with contextlib.suppress(Exception):
                await self._serving
        await self.engine.__aexit__(None, None, None)
        self.state = "stopped"
        log.info("clickhouse server stopped")
