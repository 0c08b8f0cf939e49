"""The front door every REST request passes, in the order the real service applies it:

1. A ``User-Agent`` must be present and non-blank — else nginx's HTML "401 Authorization
   Required" page. The documented ``<product>/<version>`` form is what clients should send,
   but the service evidently accepts what Tastytrade's own SDKs send (``tastytrade-sdk-js``,
   ``tastytrade-sdk-python``, no version), so only a missing or empty one is refused.
2. Injected REST faults (429 / 500 / hang then 504), when armed by the admin API. Response
   faults (``delay`` / ``lose``) act after the request passed every check below and was
   processed: its answer is held, or the connection is closed with no answer at all.
3. ``Accept-Version: YYYYMMDD`` older than the oldest supported (or not a date) → 406
   ``{"error":{"code":406,"message":"The requested version is not supported."}}``.
4. ``Authorization: Bearer <access token>`` on everything except ``/oauth/token``,
   ``/margin-requirements-public-configuration``, legacy ``/sessions`` and ``/_sandbox/*``:
   missing/invalid/expired → 401 with the error envelope.
5. Account paths (``/accounts/{n}/…``, ``/margin/accounts/{n}/…``,
   ``/customers/me/accounts/{n}``) of another customer → 403 ``not_permitted``.

Websocket scopes pass straight through (the streamers authenticate in-band).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.auth import TokenStore
from sandbox.config import SandboxConfig
from sandbox.faults import Faults, ResponseFault
from sandbox.wire import error_response, json_response

log = logging.getLogger(__name__)

VERSION = re.compile(r"^\d{8}$")
PUBLIC_PATHS = ("/oauth/token", "/margin-requirements-public-configuration", "/sessions")
ACCOUNT_PATH = re.compile(r"^/(?:margin/)?accounts/([^/]+)|^/customers/[^/]+/accounts/([^/]+)")
NGINX_401 = (
    "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
    "<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class Gateway:
    """Pure ASGI middleware (keeps streaming and websockets untouched)."""

    def __init__(
        self, app: ASGIApp, *, config: SandboxConfig, tokens: TokenStore, faults: Faults
    ) -> None:
        self.app = app
        self.config = config
        self.tokens = tokens
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        response = await self._screen(scope)
        if response is not None:
            await response(scope, receive, send)
            return
        fault = self.faults.take_response_fault(scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        await self._faulty_answer(fault, scope, receive, send)

    async def _faulty_answer(
        self, fault: ResponseFault, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Process the request at once; then hold its answer, or drop the connection."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        if fault.kind == "delay":
            log.info("holding the response to %s for %.1fs", scope["path"], fault.seconds)
            await asyncio.sleep(fault.seconds)
            for message in held:
                await send(message)
            return
        log.info("losing the response to %s: closing the connection", scope["path"])
        await _close_connection(send)

    async def _screen(self, scope: Scope) -> Response | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope["path"]
        if not headers.get("user-agent", "").strip():
            return HTMLResponse(NGINX_401, status_code=401)
        fault = self.faults.take_rest_fault()
        if fault is not None:
            return await self._fault_response(fault.kind, fault.hang_seconds)
        version = headers.get("accept-version")
        if version is not None and (
            not VERSION.match(version) or version < self.config.oldest_api_version
        ):
            return json_response(
                {"error": {"code": 406, "message": "The requested version is not supported."}},
                406,
            )
        if path in PUBLIC_PATHS:
            return None
        auth = headers.get("authorization", "")
        if not auth:
            return error_response(401, "unauthorized", "Missing Authorization header")
        token = auth.removeprefix("Bearer ").strip()
        status, customer = self.tokens.access_status(token)
        if status == "expired":
            return error_response(401, "token_expired", "The access token has expired")
        if status != "valid" or customer is None:
            return error_response(401, "token_invalid", "The access token is invalid")
        state: dict[str, Any] = scope.setdefault("state", {})
        state["customer_id"] = customer
        match = ACCOUNT_PATH.match(path)
        if match:
            account = match.group(1) or match.group(2)
            if account not in self.config.accounts_of(customer):
                return error_response(403, "not_permitted", "User not permitted access")
        return None

    @staticmethod
    async def _fault_response(kind: str, hang_seconds: float) -> Response:
        if kind == "429":
            return error_response(429, "too_many_requests", "Too many requests")
        if kind == "500":
            return error_response(
                500, "internal_server_error", "Internal server error (support id sbx-fault)"
            )
        await asyncio.sleep(hang_seconds)
        return error_response(504, "gateway_timeout", "The upstream service timed out")


def _cycle_of(send: Any, depth: int = 0) -> Any:
    """The uvicorn request cycle (it owns the socket) behind ``send``, through the wrappers
    Starlette's middleware put around it (closures over the inner ``send``)."""
    owner = getattr(send, "__self__", None)
    if owner is not None and hasattr(owner, "transport"):
        return owner
    if depth >= 6:
        return None
    for cell in getattr(send, "__closure__", None) or ():
        inner = cell.cell_contents
        if callable(inner):
            found = _cycle_of(inner, depth + 1)
            if found is not None:
                return found
    return None


async def _close_connection(send: Send) -> None:
    """Abort the socket under this request and send nothing (no status line, no body)."""
    cycle = _cycle_of(send)
    if cycle is None:
        raise RuntimeError("lose-response needs uvicorn's request cycle (no transport found)")
    cycle.transport.abort()
    for _ in range(3):  # let connection_lost mark the cycle disconnected: no 500 is attempted
        await asyncio.sleep(0)
    if hasattr(cycle, "disconnected"):
        cycle.disconnected = True


__all__ = ["Gateway"]
