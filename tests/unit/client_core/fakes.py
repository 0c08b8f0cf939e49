"""A fake Tastytrade REST endpoint for ``httpx.MockTransport``, with a controllable clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeSleep:
    """Records requested delays and returns at once (yielding to the loop)."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeApi:
    """Token endpoint + routes; ``token_responses`` are consumed in order, then tokens are minted."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    token_responses: list[httpx.Response] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)  # as sent (requests may be replayed)
    valid_tokens: set[str] = field(default_factory=set)
    minted: int = 0
    token_delay: float = 0.0
    expires_in: int | None = 900

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.token_requests.append(json.loads(request.content))
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            if self.token_responses:
                return self.token_responses.pop(0)
            self.minted += 1
            token = f"at-{self.minted}"
            self.valid_tokens.add(token)
            body: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return httpx.Response(200, json=body)
        self.requests.append(request)
        self.auth_headers.append(request.headers.get("Authorization", ""))
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.valid_tokens:
            return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "no"}})
        route = self.routes.get((request.method, request.url.path))
        if route is None:
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "nope"}})
        return route(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)
