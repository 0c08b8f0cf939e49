"""A small in-process DXLink server on 127.0.0.1 port 0 for protocol tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from websockets.asyncio.server import ServerConnection

from tests.unit.client_core.ws_server import FakeConn, FakeServer


@dataclass
class Conn(FakeConn):
    subs: dict[int, dict[tuple[str, str], int | None]] = field(default_factory=dict)

    def types(self) -> list[str]:
        return [m["type"] for m in self.received]


@dataclass
class FakeDXLink(FakeServer[Conn]):
    token: str = "quote-token-1"
    accepted_tokens: set[str] = field(default_factory=lambda: {"quote-token-1"})
    event_fields: dict[str, list[str]] | None = None  # FEED_CONFIG override
    drop_after_auth: bool = False  # a flapping server: authorize, then hang up

    path: ClassVar[str] = "/realtime"

    def _connection(self, ws: ServerConnection, *, silent: bool) -> Conn:
        return Conn(ws, silent=silent)

    async def _answer(self, conn: Conn, m: dict[str, Any]) -> None:
        send = conn.ws.send
        kind = m["type"]
        if kind == "SETUP":
            await send(
                json.dumps(
                    {
                        "type": "SETUP",
                        "channel": 0,
                        "keepaliveTimeout": 60,
                        "acceptKeepaliveTimeout": 60,
                        "version": "fake",
                    }
                )
            )
            await send(json.dumps({"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"}))
        elif kind == "AUTH":
            if m["token"] in self.accepted_tokens:
                await send(
                    json.dumps(
                        {"type": "AUTH_STATE", "channel": 0, "state": "AUTHORIZED", "userId": "U1"}
                    )
                )
                if self.drop_after_auth:
                    await conn.ws.close(1011, "flapping")
            else:
                await send(
                    json.dumps(
                        {
                            "type": "ERROR",
                            "channel": 0,
                            "error": "UNAUTHORIZED",
                            "message": "bad token",
                        }
                    )
                )
                await conn.ws.close(1008, "unauthorized")
        elif kind == "CHANNEL_REQUEST":
            conn.subs.setdefault(m["channel"], {})
            await send(
                json.dumps(
                    {
                        "type": "CHANNEL_OPENED",
                        "channel": m["channel"],
                        "service": "FEED",
                        "parameters": {**m["parameters"], "subFormat": "LIST"},
                    }
                )
            )
        elif kind == "FEED_SETUP":
            config: dict[str, Any] = {
                "type": "FEED_CONFIG",
                "channel": m["channel"],
                "dataFormat": "COMPACT",
                "aggregationPeriod": 0.1,
            }
            if self.event_fields is not None:
                config["eventFields"] = self.event_fields
            await send(json.dumps(config))
        elif kind == "FEED_SUBSCRIPTION":
            subs = conn.subs.setdefault(m["channel"], {})
            if m.get("reset"):
                subs.clear()
            for entry in m.get("remove", []):
                subs.pop((entry["type"], entry["symbol"]), None)
            for entry in m.get("add", []):
                subs[(entry["type"], entry["symbol"])] = entry.get("fromTime")
        elif kind == "CHANNEL_CANCEL":
            await send(json.dumps({"type": "CHANNEL_CLOSED", "channel": m["channel"]}))
        elif kind == "KEEPALIVE":
            await send(json.dumps({"type": "KEEPALIVE", "channel": 0}))

    async def feed(self, channel: int, data: list[Any], *, raw: str | None = None) -> None:
        await self.send(
            raw if raw is not None else {"type": "FEED_DATA", "channel": channel, "data": data}
        )

    async def drop(self, code: int = 1012, reason: str = "Reconnection is required") -> None:
        await self.last.ws.close(code, reason)

    def all_subs(self, conn: Conn | None = None) -> dict[tuple[str, str], int | None]:
        merged: dict[tuple[str, str], int | None] = {}
        for subs in (conn or self.last).subs.values():
            merged.update(subs)
        return merged
