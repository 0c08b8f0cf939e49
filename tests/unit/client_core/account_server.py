"""A small in-process account-streamer server on 127.0.0.1 port 0."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection

from tests.unit.client_core.ws_server import FakeConn, FakeServer


@dataclass
class AccountConn(FakeConn):
    connected: bool = False

    def actions(self) -> list[str]:
        return [m["action"] for m in self.received]


@dataclass
class FakeAccountStreamer(FakeServer[AccountConn]):
    valid_tokens: set[str] = field(default_factory=lambda: {"Bearer at-1"})
    echo_request_id: bool = True

    def _connection(self, ws: ServerConnection, *, silent: bool) -> AccountConn:
        return AccountConn(ws, silent=silent)

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
        await self.send(frame)

    async def drop(self, code: int = 1011) -> None:
        await self.last.ws.close(code, "going away")
