"""A small in-process account-streamer server on 127.0.0.1 port 0."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed


@dataclass
class AccountConn:
    ws: ServerConnection
    received: list[dict[str, Any]] = field(default_factory=list)
    connected: bool = False
    silent: bool = False

    def actions(self) -> list[str]:
        return [m["action"] for m in self.received]


@dataclass
class FakeAccountStreamer:
    valid_tokens: set[str] = field(default_factory=lambda: {"Bearer at-1"})
    echo_request_id: bool = True
    silent_connections: set[int] = field(default_factory=set)
    connections: list[AccountConn] = field(default_factory=list)
    server: Server | None = None
    url: str = ""

    async def __aenter__(self) -> FakeAccountStreamer:
        self.server = await serve(self._handle, "127.0.0.1", 0)
        port = next(iter(self.server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def last(self) -> AccountConn:
        return self.connections[-1]

    async def _handle(self, ws: ServerConnection) -> None:
        conn = AccountConn(ws, silent=len(self.connections) in self.silent_connections)
        self.connections.append(conn)
        try:
            async for raw in ws:
                message = json.loads(raw)
                conn.received.append(message)
                if not conn.silent:
                    await self._answer(conn, message)
        except ConnectionClosed:
            return

    async def _answer(self, conn: AccountConn, m: dict[str, Any]) -> None:
        ack: dict[str, Any] = {"action": m["action"], "web-socket-session-id": "5b6e2799"}
        if m.get("auth-token") not in self.valid_tokens:
            ack.update(status="error", message="failed")
        elif m["action"] != "connect" and not conn.connected:
            ack.update(status="error", message="connect-not-completed")
        else:
            ack["status"] = "ok"
            if m["action"] == "connect":
                conn.connected = True
                ack["value"] = m["value"]
        if self.echo_request_id and "request-id" in m:
            ack["request-id"] = m["request-id"]
        await conn.ws.send(json.dumps(ack))

    async def push(self, frame: dict[str, Any] | str) -> None:
        await self.last.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def drop(self, code: int = 1011) -> None:
        await self.last.ws.close(code, "going away")
