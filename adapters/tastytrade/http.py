"""The REST transport: one ``httpx.AsyncClient``, error mapping, bounded retries, pagination.

Every request carries ``User-Agent: tastystream/<version>`` and ``Accept-Version``. Non-2xx
answers become typed errors (:func:`~adapters.tastytrade.errors.api_error_from`); httpx
exceptions become :class:`TransportError`. 429, 5xx and transport failures are retried with
full-jitter backoff, bounded, for idempotent methods only; other methods (POST, PUT, PATCH)
are retried only when the request was never sent (:class:`ConnectFailed`, or the token
refresh before it failed: ``unsent``), because Tastytrade does not deduplicate submissions. Each retry is also published on the error stream.

The backoff is the session's :class:`~adapters.tastytrade.backoff.Cooldown`: consecutive
retriable failures of any request (a failed token refresh inside one too) grow one schedule
to its cap, honouring ``Retry-After``; a success resets it. A rate-limit storm therefore
slows every caller down together instead of restarting a short backoff per request.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import httpx

from adapters.tastytrade.backoff import Clock, Cooldown, Random, RetryPolicy, Sleep, retry
from adapters.tastytrade.errors import (
    ErrorStream,
    ParseFailure,
    TastytradeError,
    TransportError,
    api_error_from,
    is_retriable,
    parse_retry_after,
)
from adapters.tastytrade.symbols import encode_path_symbol
from tastystream import __version__
from tastystream.logs import TRACE

logger = logging.getLogger(__name__)

Scalar = str | int | float | bool | Decimal | date | datetime
Params = Mapping[str, Scalar | Sequence[str] | None]
USER_AGENT = f"tastystream/{__version__}"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
DEFAULT_RETRY = RetryPolicy(attempts=4)
_SECRET_PATHS = ("/oauth/token", "/api-quote-tokens")  # bodies carry tokens: never traced


class ConnectFailed(TransportError):
    """The connection was never established, so the request certainly never reached the server."""

    unsent = True


@dataclass(frozen=True, slots=True)
class RequestMetric:
    """One finished HTTP attempt, for an optional metrics hook."""

    method: str
    path: str
    status: int | None
    duration_s: float
    attempt: int
    error: str | None = None


MetricsHook = Callable[[RequestMetric], None]


def _scalar(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    return str(value)


def encode_params(params: Params | None) -> list[tuple[str, str]]:
    """Query pairs: ``None`` dropped, bools ``true``/``false``, dates ISO, sequences repeated."""
    pairs: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, Sequence) and not isinstance(value, str):
            pairs.extend((key, _scalar(item)) for item in value if item is not None)
        else:
            pairs.append((key, _scalar(value)))
    return pairs


class HttpSession:
    """Async context manager owning the ``httpx.AsyncClient`` every REST call goes through."""

    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth | None,
        *,
        errors: ErrorStream | None = None,
        api_version: str | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy = DEFAULT_RETRY,
        retry_methods: frozenset[str] = IDEMPOTENT_METHODS,
        metrics: MetricsHook | None = None,
        user_agent: str = USER_AGENT,
        sleep: Sleep = asyncio.sleep,
        rand: Random = random.random,
        clock: Clock = time.perf_counter,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.errors = errors if errors is not None else ErrorStream()
        self.api_version = api_version
        self._timeout = timeout
        self._transport = transport
        self._policy = retry_policy
        self._retry_methods = retry_methods
        self._metrics = metrics
        self._user_agent = user_agent
        self._sleep = sleep
        self._rand = rand
        self._clock = clock
        self.cooldown = Cooldown(retry_policy.backoff, clock, sleep, rand)
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Self:
        headers = {"User-Agent": self._user_agent, "Accept": "application/json"}
        if self.api_version:
            headers["Accept-Version"] = self.api_version
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            auth=self.auth,
            headers=headers,
            timeout=self._timeout,
            transport=self._transport,
        )
        bind = getattr(self.auth, "bind", None)
        if callable(bind):
            bind(self._client)
        logger.debug("http session open: %s", self.base_url)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        bind = getattr(self.auth, "bind", None)
        if callable(bind):
            bind(None)
        if client is not None:
            await client.aclose()
        logger.debug("http session closed: %s", self.base_url)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise TastytradeError("HttpSession is not open (use `async with`)")
        return self._client

    async def request(
        self, method: str, path: str, *, params: Params | None = None, json: Any = None
    ) -> httpx.Response:
        """Send one request (with bounded retries); a non-2xx answer raises its typed error."""
        method = method.upper()
        idempotent = method in self._retry_methods
        attempt = 0

        async def once() -> httpx.Response:
            nonlocal attempt
            attempt += 1
            return await self._attempt(method, path, encode_params(params), json, attempt)

        def may_retry(exc: BaseException) -> bool:
            unsent = isinstance(exc, TastytradeError) and exc.unsent
            return is_retriable(exc) and (idempotent or unsent)

        def report(number: int, exc: BaseException, delay: float) -> None:
            if isinstance(exc, TastytradeError):
                self.errors.publish(exc)

        return await retry(
            once,
            self._policy,
            should_retry=may_retry,
            sleep=self._sleep,
            rand=self._rand,
            on_retry=report,
            what=f"{method} {path}",
            cooldown=self.cooldown,
        )

    async def _attempt(
        self, method: str, path: str, params: list[tuple[str, str]], body: Any, attempt: int
    ) -> httpx.Response:
        client = self.client
        started = self._clock()
        traced = logger.isEnabledFor(TRACE) and not path.startswith(_SECRET_PATHS)
        if traced and body is not None:
            logger.log(TRACE, "%s %s request body: %s", method, path, body)
        try:
            query = httpx.QueryParams(tuple(params)) if params else None
            response = await client.request(method, path, params=query, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            self._record(method, path, None, started, attempt, type(exc).__name__)
            raise ConnectFailed(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:
            self._record(method, path, None, started, attempt, type(exc).__name__)
            raise TransportError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        self._record(method, path, response.status_code, started, attempt, None)
        if traced:
            logger.log(TRACE, "%s %s response body: %s", method, path, response.text[:4000])
        if response.status_code >= 400:
            raise api_error_from(
                response.status_code,
                response.content,
                path=path,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        return response

    def _record(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        attempt: int,
        error: str | None,
    ) -> None:
        duration = self._clock() - started
        logger.debug(
            "%s %s -> %s in %.1fms (attempt %d)",
            method,
            path,
            status if status is not None else error,
            duration * 1000,
            attempt,
        )
        if self._metrics is not None:
            self._metrics(RequestMetric(method, path, status, duration, attempt, error))

    async def get_json(self, path: str, params: Params | None = None) -> dict[str, Any]:
        """The whole JSON body of a GET (for callers that need ``pagination`` or ``context``)."""
        return _body(await self.request("GET", path, params=params), path)

    async def get_data(self, path: str, params: Params | None = None) -> Any:
        """The ``data`` member of a GET answer."""
        return (await self.get_json(path, params)).get("data")

    async def send(
        self, method: str, path: str, *, params: Params | None = None, json: Any = None
    ) -> Any:
        """Any method; returns ``data`` (``None`` for 204 or an empty body)."""
        response = await self.request(method, path, params=params, json=json)
        if response.status_code == 204 or not response.content.strip():
            return None
        return _body(response, path).get("data")

    def paginate(
        self, path: str, params: Params | None = None, *, per_page: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every ``data.items`` entry across all pages (``per-page``/``page-offset``)."""
        return self._pages(path, dict(params or {}), per_page)

    async def _pages(
        self, path: str, params: dict[str, Any], per_page: int | None
    ) -> AsyncIterator[dict[str, Any]]:
        offset = int(params.pop("page-offset", 0) or 0)
        if per_page is not None:
            params["per-page"] = per_page
        while True:
            body = await self.get_json(path, {**params, "page-offset": offset})
            data = body.get("data")
            items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise ParseFailure(f"{path}: page without data.items", model="Page", raw=body)
            for item in items:
                yield item
            pagination = body.get("pagination")
            if not isinstance(pagination, dict):
                return
            current = _int(pagination.get("page-offset"), offset)
            total = _int(pagination.get("total-pages"), 0)
            if current >= total - 1:
                return
            offset = current + 1


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _body(response: httpx.Response, path: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise ParseFailure(f"{path}: response is not JSON", model="Envelope") from exc
    if not isinstance(body, dict):
        raise ParseFailure(f"{path}: response is not a JSON object", model="Envelope", raw=body)
    return body


__all__ = [
    "DEFAULT_RETRY",
    "IDEMPOTENT_METHODS",
    "USER_AGENT",
    "ConnectFailed",
    "HttpSession",
    "MetricsHook",
    "Params",
    "RequestMetric",
    "encode_params",
    "encode_path_symbol",
]
