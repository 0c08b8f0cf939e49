"""OAuth2 refresh-token grant as an ``httpx.Auth`` flow.

``POST /oauth/token`` with a JSON body mints a 15-minute access token (§2.1 of the wire
reference). :class:`OAuth2Auth` keeps one token per client, refreshes it ``margin`` seconds
before it expires under an asyncio lock with a double check (single flight: any number of
concurrent callers cause one refresh), replays a request once after a 401, and turns
``invalid_grant`` into a non-retriable :class:`AuthError`. Tokens are never logged.

A failed refresh raises its typed error (429 → :class:`RateLimited` with ``Retry-After``)
and is retried by whoever needed the token: the HTTP session retries the request on its one
growing schedule, a streamer reconnects with its backoff. Retrying here as well (pass a
``refresh_policy``) would nest two schedules, the inner one restarting at ``base`` on every
outer retry.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.tastytrade.backoff import NO_RETRY, Clock, Random, RetryPolicy, Sleep, retry
from adapters.tastytrade.errors import (
    ApiError,
    AuthError,
    ParseFailure,
    TastytradeError,
    TransportError,
    api_error_from,
    parse_retry_after,
)

logger = logging.getLogger(__name__)

TOKEN_PATH = "/oauth/token"
DEFAULT_EXPIRES_IN = 900.0
DEFAULT_MARGIN = 60.0
DEFAULT_REFRESH_POLICY = NO_RETRY  # the caller retries (see the module docstring)
_NO_AUTH = httpx.Auth()  # the token request itself carries no bearer


@dataclass(frozen=True, slots=True)
class AccessToken:
    """One minted access token and the monotonic time it stops being valid."""

    value: str
    expires_at: float
    lifetime: float = DEFAULT_EXPIRES_IN

    def __repr__(self) -> str:  # never show the token itself
        return f"AccessToken(expires_at={self.expires_at:.1f})"


class OAuth2Auth(httpx.Auth):
    """Bearer auth backed by the refresh-token grant.

    The token endpoint is reached through the ``httpx.AsyncClient`` given to :meth:`bind`
    (the :class:`~adapters.tastytrade.http.HttpSession` does that on entry), so it shares the
    session's base URL, User-Agent, ``Accept-Version`` and transport.
    """

    requires_request_body = True

    def __init__(
        self,
        *,
        client_secret: str,
        refresh_token: str,
        client_id: str | None = None,
        token_path: str = TOKEN_PATH,
        margin: float = DEFAULT_MARGIN,
        refresh_policy: RetryPolicy = DEFAULT_REFRESH_POLICY,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rand: Random = random.random,
    ) -> None:
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._client_id = client_id or None
        self._token_path = token_path
        self._margin = margin
        self._policy = refresh_policy
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None
        self.refreshes = 0
        self.refresh_failures = 0

    def __repr__(self) -> str:
        return f"OAuth2Auth(client_id={self._client_id!r}, token={self._token!r})"

    def bind(self, client: httpx.AsyncClient | None) -> None:
        """Send token requests through ``client`` (``None`` unbinds)."""
        self._client = client

    @property
    def token(self) -> AccessToken | None:
        """The current token, if any (for health reporting; do not log its value)."""
        return self._token

    def _fresh(self, token: AccessToken | None) -> bool:
        if token is None:
            return False
        # a token shorter-lived than twice the margin is renewed at half its life instead
        margin = min(self._margin, token.lifetime / 2)
        return self._clock() < token.expires_at - margin

    async def access_token(self) -> str:
        """A valid access token, refreshing first when it expires within the margin."""
        token = self._token
        if self._fresh(token):
            assert token is not None
            return token.value
        async with self._lock:
            token = self._token  # double check: another caller may have refreshed meanwhile
            if not self._fresh(token):
                token = await self._refresh()
            assert token is not None
            return token.value

    async def bearer(self) -> str:
        """``"Bearer <access token>"``, as the account streamer wants it in every message."""
        return f"Bearer {await self.access_token()}"

    async def invalidate(self, rejected: str) -> None:
        """Forget ``rejected`` (a token the server refused) unless it was already replaced."""
        async with self._lock:
            if self._token is not None and self._token.value == rejected:
                self._token = None

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise TastytradeError("OAuth2Auth works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            logger.debug("401 on %s %s: refresh and replay once", request.method, request.url.path)
            await self.invalidate(token)
            token = await self.access_token()
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    async def _refresh(self) -> AccessToken:
        def count_retry(attempt: int, exc: BaseException, delay: float) -> None:
            self.refresh_failures += 1
            logger.warning(
                "access token refresh failed (%s), retry %d in %.2fs",
                type(exc).__name__,
                attempt,
                delay,
            )

        try:
            token = await retry(
                self._request_token,
                self._policy,
                sleep=self._sleep,
                rand=self._rand,
                on_retry=count_retry,
                what="token refresh",
            )
        except TastytradeError as exc:
            exc.unsent = True  # the request that needed the token was not sent
            raise
        self._token = token
        self.refreshes += 1
        logger.debug("access token refreshed (valid %.0fs)", token.expires_at - self._clock())
        return token

    async def _request_token(self) -> AccessToken:
        client = self._client
        if client is None:
            raise TastytradeError("OAuth2Auth is not bound to an HTTP session")
        body: dict[str, str] = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_secret": self._client_secret,
        }
        if self._client_id:
            body["client_id"] = self._client_id
        started = self._clock()
        try:
            response = await client.post(self._token_path, json=body, auth=_NO_AUTH)
        except httpx.HTTPError as exc:
            raise TransportError(f"token request failed: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _token_error(response, self._token_path)
        return _parse_token(response, started)


def _token_error(response: httpx.Response, path: str) -> ApiError:
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    error = api_error_from(status, response.content, path=path, retry_after=retry_after)
    if error.code == "invalid_grant" or (400 <= status < 500 and status not in (408, 429)):
        if isinstance(error, AuthError):
            return error
        return AuthError(status, error.code, error.api_message, error.errors, path=path)
    return error


def _parse_token(response: httpx.Response, started: float) -> AccessToken:
    try:
        payload: Any = response.json()
    except ValueError as exc:
        raise ParseFailure("token response is not JSON", model="AccessToken") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("access_token"), str):
        keys = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise ParseFailure(
            f"token response without access_token (keys: {keys})", model="AccessToken"
        )
    expires_in = payload.get("expires_in", DEFAULT_EXPIRES_IN)
    try:
        lifetime = float(expires_in)
    except (TypeError, ValueError):
        lifetime = DEFAULT_EXPIRES_IN
    return AccessToken(payload["access_token"], started + lifetime, lifetime)


__all__ = ["DEFAULT_MARGIN", "TOKEN_PATH", "AccessToken", "OAuth2Auth"]
