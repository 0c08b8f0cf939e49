"""What keeps web pages away from the local stack's HTTP services (ClickHouse and the registry).

A service bound to 127.0.0.1 is still reachable from any page the user's browser opens: a
"simple" cross-origin POST needs no preflight, and DNS rebinding makes ``evil.example`` resolve to
127.0.0.1 so the page even reads the answers. :class:`BrowserGuard` refuses both:

* a ``Host`` other than the address the service is bound to (and, on a loopback address, the
  other loopback names) — a rebound name never matches;
* an ``Origin`` that is neither the service's own nor a configured one (``Origin: null`` too);
* a request the browser marks ``Sec-Fetch-Site: cross-site`` / ``same-site`` without such an
  origin (navigations and ``<img>`` loads carry no ``Origin``).

Tools (curl, clickhouse-client, clickhouse-connect, Kafka clients) send no ``Origin`` and a
matching ``Host``, so they pass. CORS headers are sent only to configured origins, never ``*``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = ["BrowserGuard", "BrowserGuardMiddleware", "request_headers"]

_LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})
_WILDCARDS: Final = frozenset({"", "0.0.0.0", "::"})
_FOREIGN_SITES: Final = frozenset({"cross-site", "same-site"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def request_headers(scope: Scope) -> dict[str, str]:
    """An ASGI scope's headers, lower-cased names (the last value of a repeated one wins)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(host_header: str) -> str:
    """``127.0.0.1:8123`` → ``127.0.0.1``; ``[::1]:8123`` → ``::1``; lower-cased."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value[1:]
    if value.count(":") == 1:
        return value.partition(":")[0]
    return value


@dataclass(frozen=True, slots=True)
class BrowserGuard:
    """Host / Origin checks and CORS for one service bound to ``host:port``."""

    host: str
    port: int
    origins: frozenset[str] = field(default_factory=frozenset)  # configured CORS origins
    extra_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def create(
        cls, host: str, port: int, origins: Iterable[str] = (), extra_hosts: Iterable[str] = ()
    ) -> BrowserGuard:
        return cls(
            host,
            port,
            frozenset(o.strip().rstrip("/").lower() for o in origins if o.strip()),
            frozenset(h.strip().lower() for h in extra_hosts if h.strip()),
        )

    def _host_ok(self, name: str) -> bool:
        if self.host in _WILDCARDS:  # bound to every interface: any name may reach it
            return True
        bound = self.host.strip("[]").lower()
        if name == bound or name in self.extra_hosts:
            return True
        return _is_loopback(bound) and name in _LOOPBACK_NAMES

    def _own_origin(self, origin: str) -> bool:
        parts = urlsplit(origin)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return False
        return (
            parts.scheme in ("http", "https")
            and port == self.port
            and self._host_ok((parts.hostname or "").lower())
        )

    def origin_allowed(self, origin: str) -> bool:
        normalized = origin.strip().rstrip("/").lower()
        return normalized in self.origins or self._own_origin(normalized)

    def refusal(self, headers: Mapping[str, str]) -> str | None:
        """Why this request must be refused, or None. ``headers``: lower-cased names."""
        host = headers.get("host")
        if host is not None and not self._host_ok(_hostname(host)):
            return (
                f"Host {host!r} is not this server's address "
                f"(requests through other names are refused: DNS rebinding)"
            )
        origin = headers.get("origin")
        if origin is not None:
            if not self.origin_allowed(origin):
                return (
                    f"Origin {origin!r} is not allowed (requests from web pages are refused "
                    "unless their origin is configured: STACK_ALLOWED_ORIGINS)"
                )
            return None
        if headers.get("sec-fetch-site", "").lower() in _FOREIGN_SITES:
            return "Cross-site browser requests are refused"
        return None

    def cors_origin(self, headers: Mapping[str, str]) -> str | None:
        """The ``Access-Control-Allow-Origin`` value: the request's origin, if configured."""
        origin = headers.get("origin")
        if origin is not None and origin.strip().rstrip("/").lower() in self.origins:
            return origin.strip()
        return None


Refuse = Callable[[str], tuple[int, list[tuple[bytes, bytes]], bytes]]


class BrowserGuardMiddleware:
    """ASGI middleware: refuses what :class:`BrowserGuard` refuses, answers CORS preflights of
    configured origins and adds ``Access-Control-Allow-Origin`` for them."""

    def __init__(self, app: ASGIApp, guard: BrowserGuard, refuse: Refuse) -> None:
        self.app = app
        self.guard = guard
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)
        reason = self.guard.refusal(headers)
        allow = self.guard.cors_origin(headers)
        if reason is not None or (scope.get("method") == "OPTIONS" and allow is None):
            status, extra, body = self.refuse(reason or "CORS is not enabled for this origin")
            await send({"type": "http.response.start", "status": status, "headers": extra})
            await send({"type": "http.response.body", "body": body})
            return
        if allow is None:
            await self.app(scope, receive, send)
            return
        cors = [(b"access-control-allow-origin", allow.encode("latin-1")), (b"vary", b"Origin")]
        if scope.get("method") == "OPTIONS":
            preflight = [
                *cors,
                (b"access-control-allow-methods", b"GET, POST, PUT, DELETE, OPTIONS"),
                (b"access-control-allow-headers", b"content-type, authorization, accept"),
                (b"access-control-max-age", b"600"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": preflight})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *cors]
            await send(message)

        await self.app(scope, receive, send_with_cors)
