"""What the in-process DXLink and account-streamer fakes share: a JSON websocket server.

It listens on 127.0.0.1 port 0, records every client message per connection, and lets the
subclass answer it — unless the connection's index is in ``silent_connections`` (a server
that accepts and then never answers, for watchdog and ack-timeout tests).
"""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Self, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed


@dataclass
class FakeConn:
    ws: ServerConnection
    received: list[dict[str, Any]] = field(default_factory=list)
    silent: bool = False


C = TypeVar("C", bound=FakeConn)


@dataclass
class FakeServer(abc.ABC, Generic[C]):
    silent_connections: set[int] = field(default_factory=set)  # indexes that never answer
    connections: list[C] = field(default_factory=list)
    server: Server | None = None
    url: str = ""

    path: ClassVar[str] = ""  # appended to ws://127.0.0.1:<port>

    async def __aenter__(self) -> Self:
        self.server = await serve(self._handle, "127.0.0.1", 0)
        port = next(iter(self.server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}{self.path}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def last(self) -> C:
        return self.connections[-1]

    async def send(self, frame: dict[str, Any] | str) -> None:
        """Push one frame (a dict is JSON-encoded) on the newest connection."""
        await self.last.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def _handle(self, ws: ServerConnection) -> None:
        conn = self._connection(ws, silent=len(self.connections) in self.silent_connections)
        self.connections.append(conn)
        try:
            async for raw in ws:
                message = json.loads(raw)
                conn.received.append(message)
                if not conn.silent:
                    await self._answer(conn, message)
        except ConnectionClosed:
            return

    @abc.abstractmethod
    def _connection(self, ws: ServerConnection, *, silent: bool) -> C:
        """The record of one new client connection."""

    @abc.abstractmethod
    async def _answer(self, conn: C, m: dict[str, Any]) -> None:
        """React to one client message (the protocol of the fake)."""
