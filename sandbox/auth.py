"""OAuth2 like the real service: refresh grant → short-lived Bearer tokens, quote tokens.

* ``POST /oauth/token`` (JSON body, form-encoded also accepted): ``grant_type=refresh_token``,
  ``refresh_token``, ``client_secret`` (``client_id`` optional, must match when configured) →
  ``{"access_token","token_type":"Bearer","expires_in"}`` (+ ``id_token`` with scope
  ``openid``). Unknown refresh token → 400 ``{"error_code":"invalid_grant",
  "error_description":"Invalid JWT"}``; wrong client secret → 401 ``invalid_client``.
* ``GET /api-quote-tokens`` → ``{token, dxlink-url, websocket-url, level:"api", issued-at,
  expires-at}``; quote tokens live 24 h (configurable).
* ``POST /sessions`` (legacy, decommissioned 2026-02-11) → 401 ``invalid_credentials`` telling
  the caller to use OAuth2. ``POST /sessions/validate`` (still called by tastyware's
  ``Session.validate()``) answers 201 with the user for a valid Bearer token, 401 otherwise.

Lifetimes run on the wall clock (the simulated market clock may be accelerated or set).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.config import SandboxConfig
from sandbox.wire import data_response, error_response, iso, json_response


@dataclass
class Grant:
    customer_id: str
    expires_at: float  # time.monotonic()


class TokenStore:
    """Every access and quote token the sandbox issued, with its expiry."""

    def __init__(self, config: SandboxConfig, now: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._now = now
        self._access: dict[str, Grant] = {}
        self._quote: dict[str, Grant] = {}
        self._refresh = {
            config.refresh_token: config.customer.customer_id,
            config.other_refresh_token: config.other_customer.customer_id,
        }

    def customer_for_refresh(self, refresh_token: str) -> str | None:
        return self._refresh.get(refresh_token)

    def issue_access(self, customer_id: str) -> str:
        token = f"sbx-at-{secrets.token_urlsafe(24)}"
        self._access[token] = Grant(customer_id, self._now() + self._config.access_token_ttl)
        self._prune()
        return token

    def access_status(self, token: str) -> tuple[str, str | None]:
        """``("valid", customer)``, ``("expired", customer)`` or ``("invalid", None)``."""
        grant = self._access.get(token)
        if grant is None:
            return "invalid", None
        if self._now() >= grant.expires_at:
            return "expired", grant.customer_id
        return "valid", grant.customer_id

    def customer_for_bearer(self, header: str) -> str | None:
        """Customer of a valid ``Bearer <at>`` (a bare token is accepted too), else None."""
        token = header.removeprefix("Bearer ").strip()
        status, customer = self.access_status(token)
        return customer if status == "valid" else None

    def issue_quote(self, customer_id: str) -> tuple[str, float]:
        token = f"sbx-qt-{secrets.token_urlsafe(24)}"
        ttl = self._config.quote_token_ttl
        self._quote[token] = Grant(customer_id, self._now() + ttl)
        return token, ttl

    def validate_quote(self, token: str) -> bool:
        grant = self._quote.get(token)
        return grant is not None and self._now() < grant.expires_at

    def expire_all(self) -> int:
        """Fault injection: every access and quote token expires now."""
        past = self._now() - 1
        for grant in (*self._access.values(), *self._quote.values()):
            grant.expires_at = past
        return len(self._access) + len(self._quote)

    def _prune(self) -> None:
        horizon = self._now() - 3600
        for token in [t for t, g in self._access.items() if g.expires_at < horizon]:
            del self._access[token]


def _oauth_error(status: int, code: str, description: str) -> Response:
    return json_response({"error_code": code, "error_description": description}, status)


async def _read_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode("utf-8", errors="replace")))
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        body = dict(parse_qsl(raw.decode("utf-8", errors="replace")))
    return body if isinstance(body, dict) else {}


def dxlink_url_for(request: Request) -> str:
    """``ws://HOST:PORT/dxlink`` as the client addressed this server."""
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"ws://{host}/dxlink"


def auth_routes(config: SandboxConfig, tokens: TokenStore) -> list[BaseRoute]:
    async def oauth_token(request: Request) -> Response:
        body = await _read_body(request)
        grant_type = body.get("grant_type")
        if grant_type != "refresh_token":
            return _oauth_error(
                400, "unsupported_grant_type", f"Unsupported grant type {grant_type!r}"
            )
        if body.get("client_secret") != config.client_secret:
            return _oauth_error(401, "invalid_client", "Invalid client credentials")
        client_id = body.get("client_id")
        if config.client_id and client_id not in (None, "", config.client_id):
            return _oauth_error(401, "invalid_client", "Invalid client credentials")
        customer = tokens.customer_for_refresh(str(body.get("refresh_token", "")))
        if customer is None:
            return _oauth_error(400, "invalid_grant", "Invalid JWT")
        ttl = config.access_token_ttl
        payload: dict[str, Any] = {
            "access_token": tokens.issue_access(customer),
            "token_type": "Bearer",
            "expires_in": int(ttl) if ttl == int(ttl) else ttl,
        }
        if "openid" in str(body.get("scope", "")).split():
            payload["id_token"] = f"sbx-id-{secrets.token_urlsafe(24)}"
        return json_response(payload, headers={"Cache-Control": "no-store"})

    async def quote_token(request: Request) -> Response:
        customer = request.scope["state"]["customer_id"]
        token, ttl = tokens.issue_quote(customer)
        issued = datetime.now(UTC)
        url = dxlink_url_for(request)
        return data_response(
            request,
            {
                "token": token,
                "dxlink-url": url,
                "websocket-url": url,
                "level": "api",
                "issued-at": iso(issued),
                "expires-at": iso(issued + timedelta(seconds=ttl)),
            },
        )

    async def legacy_sessions(request: Request) -> Response:
        return error_response(
            401,
            "invalid_credentials",
            "Session login was decommissioned on 2026-02-11; use OAuth2 (POST /oauth/token).",
        )

    async def validate_session(request: Request) -> Response:
        customer_id = request.scope["state"]["customer_id"]
        who = (
            config.customer if customer_id == config.customer.customer_id else config.other_customer
        )
        user = {
            "email": who.email,
            "username": who.username,
            "name": f"{who.first_name} {who.last_name}",
            "external-id": who.user_external_id,
            "is-confirmed": True,
        }
        return data_response(request, user, 201)

    return [
        Route("/oauth/token", oauth_token, methods=["POST"]),
        Route("/api-quote-tokens", quote_token, methods=["GET"]),
        Route("/sessions", legacy_sessions, methods=["POST", "DELETE"]),
        Route("/sessions/validate", validate_session, methods=["POST"]),
    ]


__all__ = ["Grant", "TokenStore", "auth_routes", "dxlink_url_for"]
