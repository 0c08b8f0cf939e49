"""The one error tree of the Tastytrade adapter, and the one error stream.

Every failure the adapter meets becomes a :class:`TastytradeError` subclass that knows
whether retrying can help (``retriable``). Foreign exceptions (httpx, websockets, JSON) are
translated at the boundary. Non-fatal problems (unknown fields, reconnects) are published as
values on an :class:`ErrorStream` that the caller consumes; nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One entry of the API's nested ``errors`` list."""

    code: str
    message: str
    preflight_id: str | None = None

    @classmethod
    def from_wire(cls, raw: Mapping[str, Any]) -> ErrorDetail:
        pid = raw.get("preflight-id")
        return cls(
            code=str(raw.get("code") or raw.get("reason") or ""),
            message=str(raw.get("message") or raw.get("description") or ""),
            preflight_id=None if pid is None else str(pid),
        )


class TastytradeError(Exception):
    """Root of everything the adapter raises or reports."""

    retriable: ClassVar[bool] = False
    #: the failed call's own request never reached the server (a token refresh failed first,
    #: or no connection was made): retrying it cannot execute it twice, whatever its method
    unsent: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiError(TastytradeError):
    """A non-2xx REST answer: HTTP status, the API's code and message, and nested errors.

    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one: a retry
    waits at least that long (:func:`adapters.tastytrade.backoff.retry`).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: Sequence[ErrorDetail] = (),
        *,
        path: str = "",
        retry_after: float | None = None,
    ) -> None:
        detail = f"{status} {code}: {message}" if code else f"{status}: {message}"
        if path:
            detail = f"{detail} ({path})"
        super().__init__(detail)
        self.status = status
        self.code = code
        self.api_message = message
        self.errors: tuple[ErrorDetail, ...] = tuple(errors)
        self.path = path
        self.retry_after = retry_after

    @property
    def retriable(self) -> bool:  # type: ignore[override]
        return self.status >= 500 or self.status in (408, 425)


class AuthError(ApiError):
    """Authentication failed: bad/expired refresh token (``invalid_grant``), 401 after a refresh, 403."""

    @property
    def retriable(self) -> bool:  # type: ignore[override]
        return False


class RateLimited(ApiError):
    """HTTP 429. Tastytrade sends no rate-limit headers; back off with jitter."""

    @property
    def retriable(self) -> bool:  # type: ignore[override]
        return True


class NotFound(ApiError):
    """HTTP 404: unknown resource or endpoint."""

    @property
    def retriable(self) -> bool:  # type: ignore[override]
        return False


class PreflightFailed(ApiError):
    """HTTP 422 ``preflight_check_failure`` (or another 422 business-rule failure)."""

    @property
    def retriable(self) -> bool:  # type: ignore[override]
        return False


class TransportError(TastytradeError):
    """The request never got an HTTP answer (connect error, timeout, reset)."""

    retriable = True


class StreamError(TastytradeError):
    """A websocket protocol problem: an ``ERROR`` message, a malformed frame, a refused action."""

    retriable = True

    def __init__(self, message: str, *, stream: str = "", raw: str | None = None) -> None:
        super().__init__(message)
        self.stream = stream
        self.raw = raw


class StreamDisconnected(StreamError):
    """A websocket closed or went silent; the owner reconnects and reports this."""

    retriable = True

    def __init__(
        self,
        message: str,
        *,
        stream: str = "",
        attempt: int = 0,
        code: int | None = None,
        raw: str | None = None,
    ) -> None:
        super().__init__(message, stream=stream, raw=raw)
        self.attempt = attempt
        self.code = code


class ParseFailure(TastytradeError):
    """A payload could not be turned into its model at all (missing required data, bad types)."""

    retriable = False

    def __init__(self, message: str, *, model: str = "", raw: Any = None) -> None:
        super().__init__(message)
        self.model = model
        self.raw = raw


class ParseWarning(TastytradeError):
    """A payload parsed, but carried something we do not know (a new field or enum value)."""

    retriable = False

    def __init__(self, message: str, *, model: str = "", field_name: str = "", value: Any = None):
        super().__init__(message)
        self.model = model
        self.field_name = field_name
        self.value = value


class Unrecoverable(TastytradeError):
    """Giving up: retries exhausted or a state the adapter cannot repair by itself."""

    retriable = False

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


def is_retriable(exc: BaseException) -> bool:
    """The single retry decision: from the error class, never from call sites."""
    return isinstance(exc, TastytradeError) and bool(exc.retriable)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; ``None`` if absent
    or unreadable (the caller's own backoff applies then)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def api_error_from(
    status: int, body: bytes, *, path: str = "", retry_after: float | None = None
) -> ApiError:
    """Map a non-2xx REST answer to the error class of its status.

    Understands the API's envelope ``{"error": {"code", "message", "errors"?}}``, the
    ``domain``/``reason`` variant, numeric codes (the 406 version error), the OAuth shapes
    ``{"error_code", "error_description"}`` and ``{"error": "...", "error_description"}``,
    and bodies that are not JSON at all (nginx HTML pages).
    """
    code, message, details = _parse_error_body(body)
    if not message:
        message = _snippet(body) or f"HTTP {status}"
    cls: type[ApiError]
    if status in (401, 403):
        cls = AuthError
    elif status == 404:
        cls = NotFound
    elif status == 422:
        cls = PreflightFailed
    elif status == 429:
        cls = RateLimited
    else:
        cls = ApiError
    return cls(status, code, message, details, path=path, retry_after=retry_after)


def _parse_error_body(body: bytes) -> tuple[str, str, list[ErrorDetail]]:
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return "", "", []
    if not isinstance(parsed, dict):
        return "", "", []
    error = parsed.get("error")
    if isinstance(error, dict):
        code = _text(error.get("code") if error.get("code") is not None else error.get("reason"))
        message = _text(error.get("message") or error.get("description") or error.get("domain"))
        if error.get("domain") and error.get("reason") and not error.get("message"):
            message = f"{error['domain']}: {error['reason']}"
        raw_details = error.get("errors")
        details = [
            ErrorDetail.from_wire(item)
            for item in (raw_details if isinstance(raw_details, list) else [])
            if isinstance(item, dict)
        ]
        return code, message, details
    if isinstance(error, str):  # OAuth {"error": "invalid_grant", "error_description": ...}
        return error, _text(parsed.get("error_description")), []
    if "error_code" in parsed:  # OAuth {"error_code": "invalid_grant", "error_description": ...}
        return _text(parsed.get("error_code")), _text(parsed.get("error_description")), []
    return "", _text(parsed.get("message")), []


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", errors="replace")
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(text.split())[:limit]


@dataclass
class ErrorStream:
    """One bounded channel for every failure and warning of a client.

    Producers never block: when the consumer lags and the queue is full the oldest entry
    is discarded and counted in :attr:`dropped` (and logged), so memory stays bounded and
    the loss is visible. ``ParseWarning`` for the same (model, field) is published once.
    """

    maxsize: int = 10_000
    dropped: int = 0
    published: int = 0
    _queue: asyncio.Queue[TastytradeError] = field(init=False)
    _seen_warnings: set[tuple[str, str]] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue(self.maxsize)

    def publish(self, error: TastytradeError) -> None:
        if isinstance(error, ParseWarning):
            key = (error.model, error.field_name)
            if key in self._seen_warnings:
                return
            self._seen_warnings.add(key)
        # a disconnect is logged by its stream's reconnect loop, once per outage
        level = (
            logging.DEBUG
            if isinstance(error, StreamDisconnected)
            else logging.INFO
            if isinstance(error, ParseWarning)
            else logging.WARNING
        )
        logger.log(level, "%s: %s", type(error).__name__, error.message)
        if self._queue.full():
            try:
                self._queue.get_nowait()
            except asyncio.QueueEmpty:  # pragma: no cover - raced by a consumer
                pass
            self.dropped += 1
            logger.warning(
                "error stream full; dropped oldest entry (total dropped %d)", self.dropped
            )
        self._queue.put_nowait(error)
        self.published += 1

    def get_nowait(self) -> TastytradeError:
        return self._queue.get_nowait()

    async def get(self) -> TastytradeError:
        return await self._queue.get()

    def drain(self) -> list[TastytradeError]:
        """Everything currently queued, without waiting."""
        out: list[TastytradeError] = []
        while not self._queue.empty():
            out.append(self._queue.get_nowait())
        return out

    def __aiter__(self) -> AsyncIterator[TastytradeError]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[TastytradeError]:
        while True:
            yield await self._queue.get()


__all__ = [
    "ApiError",
    "AuthError",
    "ErrorDetail",
    "ErrorStream",
    "NotFound",
    "ParseFailure",
    "ParseWarning",
    "PreflightFailed",
    "RateLimited",
    "StreamDisconnected",
    "StreamError",
    "TastytradeError",
    "TransportError",
    "Unrecoverable",
    "api_error_from",
    "is_retriable",
    "parse_retry_after",
]
