"""In-process sandbox server: uvicorn on a real socket, started and stopped explicitly.

::

    async with SandboxServer(SandboxConfig(port=0)) as sandbox:
        sandbox.base_url      # http://127.0.0.1:PORT
        sandbox.streamer_url  # ws://127.0.0.1:PORT/streamer
        sandbox.dxlink_url    # ws://127.0.0.1:PORT/dxlink
        sandbox.admin.expire_tokens()

Port 0 binds a free port (the real one is read back from the socket).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from types import TracebackType

import uvicorn

from sandbox.admin import SandboxAdmin
from sandbox.app import SandboxRuntime, create_app
from sandbox.config import SandboxConfig
from sandbox.venue import MarketLike

log = logging.getLogger(__name__)

START_TIMEOUT = 10.0


def default_market(config: SandboxConfig) -> MarketLike:
    from sandbox.clock import SimClock
    from sandbox.market import Market

    return Market(seed=config.seed, clock=SimClock(config.clock_start, config.clock_speed))


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without signal capture: the host application owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class SandboxServer:
    """Async context manager around one uvicorn server (states: new → running → stopped)."""

    def __init__(
        self, config: SandboxConfig | None = None, *, market: MarketLike | None = None
    ) -> None:
        self.config = config or SandboxConfig()
        self.market: MarketLike = market if market is not None else default_market(self.config)
        self.state = "new"
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self._runtime: SandboxRuntime | None = None

    # ----- addresses ------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.config.port

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def streamer_url(self) -> str:
        return f"ws://{self.config.host}:{self.port}/streamer"

    @property
    def dxlink_url(self) -> str:
        return f"ws://{self.config.host}:{self.port}/dxlink"

    @property
    def runtime(self) -> SandboxRuntime:
        if self._runtime is None:
            raise RuntimeError("sandbox server not started")
        return self._runtime

    @property
    def admin(self) -> SandboxAdmin:
        return self.runtime.admin

    # ----- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        if self.state != "new":
            raise RuntimeError(f"cannot start a sandbox server that is {self.state}")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.config.host, self.config.port))
        sock.set_inheritable(True)
        self._socket = sock
        self.config = replace(self.config, port=sock.getsockname()[1])
        app = create_app(self.config, self.market)
        self._runtime = app.state.sandbox
        uv_config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            ws="websockets-sansio",
            lifespan="on",
            timeout_graceful_shutdown=2,
            ws_ping_interval=20.0,
            ws_ping_timeout=20.0,
        )
        self._server = _EmbeddedServer(uv_config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="sandbox-uvicorn")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("sandbox server exited during start-up")
            if loop.time() > deadline:
                raise TimeoutError("sandbox server did not start in time")
            await asyncio.sleep(0.01)
        self.state = "running"
        log.info("sandbox listening on %s", self.base_url)

    async def stop(self) -> None:
        if self.state != "running":
            self.state = "stopped"
            return
        self.state = "stopping"
        assert self._server is not None
        assert self._task is not None
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=10.0)
        except TimeoutError:
            self._server.force_exit = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        finally:
            if self._socket is not None:
                self._socket.close()
            self.state = "stopped"
            log.info("sandbox stopped")

    def banner(self) -> str:
        """What to print at start: URLs and credentials (all of them are sandbox defaults)."""
        c = self.config
        accounts = ", ".join(f"{n} ({c.margin_or_cash(n).lower()})" for n in c.accounts)
        return "\n".join(
            [
                "tastystream sandbox — a simulated Tastytrade",
                f"  base URL       {self.base_url}",
                f"  streamer URL   {self.streamer_url}",
                f"  DXLink URL     {self.dxlink_url}",
                f"  client secret  {c.client_secret}",
                f"  refresh token  {c.refresh_token}",
                f"  accounts       {accounts}",
                f"  admin secret   {c.admin_secret} (header X-Sandbox-Admin on /_sandbox/*)",
                f"  seed           {c.seed}   clock speed {c.clock_speed}",
                f"  state file     {c.state_file or '(in memory)'}",
            ]
        )

    async def serve_until_cancelled(
        self, on_ready: Callable[[SandboxServer], None] | None = None
    ) -> None:
        """Start, call ``on_ready``, run until cancelled or uvicorn exits, then stop cleanly."""
        await self.start()
        try:
            if on_ready is not None:
                on_ready(self)
            assert self._task is not None
            await asyncio.shield(self._task)
        finally:
            await self.stop()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def serve_forever(
    config: SandboxConfig, on_ready: Callable[[SandboxServer], None] | None = None
) -> None:
    """Run the sandbox until cancelled (CLI entry points); ``on_ready`` e.g. prints
    ``server.banner()``. Cancelling (Ctrl-C under ``asyncio.run``) stops it cleanly, which also
    flushes ``--state``."""
    await SandboxServer(config).serve_until_cancelled(on_ready)


__all__ = ["SandboxServer", "default_market", "serve_forever"]
