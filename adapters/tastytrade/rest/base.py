"""What every REST area builds on: the ``HttpSession`` contract, parsing and call logging.

Areas never touch httpx themselves: they call the session (which maps errors, retries and
paginates) and turn ``data`` into models with :func:`parse_model`, reporting unknown fields
and enum values on the session's error stream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import quote

import httpx

from adapters.tastytrade.errors import ErrorStream
from adapters.tastytrade.models.base import TastytradeModel, parse_model, parse_models
from adapters.tastytrade.symbols import encode_path_symbol

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=TastytradeModel)
T = TypeVar("T")

Params = Mapping[str, str | int | float | bool | Decimal | date | datetime | Sequence[str] | None]
MAX_SYMBOLS_PER_REQUEST = 100
"""Tastytrade asks for batches of at most 100 symbols (market data, metrics)."""


class HttpSession(Protocol):
    """The contract of ``adapters.tastytrade.http.HttpSession`` the areas rely on."""

    errors: ErrorStream

    async def request(
        self, method: str, path: str, *, params: Params | None = None, json: Any = None
    ) -> httpx.Response: ...

    async def get_data(self, path: str, params: Params | None = None) -> Any: ...

    async def send(
        self, method: str, path: str, *, params: Params | None = None, json: Any = None
    ) -> Any: ...

    def paginate(
        self, path: str, params: Params | None = None, *, per_page: int | None = None
    ) -> AsyncIterator[dict[str, Any]]: ...


@runtime_checkable
class SupportsWire(Protocol):
    """A request object that knows its kebab-case JSON body (``NewOrder``, models, …)."""

    def to_wire(self) -> dict[str, Any]: ...


Body = SupportsWire | Mapping[str, Any]


def wire(body: Body) -> dict[str, Any]:
    """The JSON body of a request object or mapping (copied, never mutated)."""
    if isinstance(body, SupportsWire):
        return body.to_wire()
    return dict(body)


def seg(value: str | int) -> str:
    """One URL path segment, fully percent-encoded (account numbers, names, ids)."""
    return quote(str(value), safe="")


def sym(symbol: str, kind: str) -> str:
    """A symbol as a path segment per §3 (futures drop the ``/``, others ``%2F``/``%20``)."""
    return encode_path_symbol(symbol, kind)


def chunks(items: Sequence[T], size: int = MAX_SYMBOLS_PER_REQUEST) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique(items: Iterable[str]) -> list[str]:
    """De-duplicated, order kept (so chunking never sends a symbol twice)."""
    return list(dict.fromkeys(items))


def fmt_datetime(value: datetime | None) -> str | None:
    """``%Y-%m-%dT%H:%M:%SZ`` in UTC (the format the net-liq history endpoint accepts)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class Area:
    """Base of a REST area: holds the session and parses/logs every call."""

    def __init__(self, http: HttpSession) -> None:
        self._http = http

    @property
    def errors(self) -> ErrorStream:
        return self._http.errors

    async def _one(self, cls: type[M], path: str, params: Params | None = None) -> M:
        started = _enter("GET", path)
        try:
            model = parse_model(cls, await self._http.get_data(path, params), self._http.errors)
        except Exception as exc:
            _fail("GET", path, started, exc)
            raise
        _exit("GET", path, started, cls.__name__)
        return model

    async def _many(self, cls: type[M], path: str, params: Params | None = None) -> list[M]:
        started = _enter("GET", path)
        try:
            models = parse_models(cls, await self._http.get_data(path, params), self._http.errors)
        except Exception as exc:
            _fail("GET", path, started, exc)
            raise
        _exit("GET", path, started, f"{len(models)} {cls.__name__}")
        return models

    async def _iter(
        self, cls: type[M], path: str, params: Params | None = None, per_page: int | None = None
    ) -> AsyncIterator[M]:
        """Every item across all pages, parsed as it arrives."""
        started = _enter("GET*", path)
        count = 0
        try:
            async for item in self._http.paginate(path, params, per_page=per_page):
                yield parse_model(cls, item, self._http.errors)
                count += 1
        except Exception as exc:
            _fail("GET*", path, started, exc)
            raise
        _exit("GET*", path, started, f"{count} {cls.__name__}")

    async def _all(
        self, cls: type[M], path: str, params: Params | None = None, per_page: int | None = None
    ) -> list[M]:
        return [item async for item in self._iter(cls, path, params, per_page)]

    async def _send(
        self,
        cls: type[M],
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Params | None = None,
    ) -> M:
        started = _enter(method, path)
        try:
            data = await self._http.send(method, path, params=params, json=json)
            model = parse_model(cls, data, self._http.errors)
        except Exception as exc:
            _fail(method, path, started, exc)
            raise
        _exit(method, path, started, cls.__name__)
        return model

    async def _send_no_content(
        self, method: str, path: str, *, json: Any = None, params: Params | None = None
    ) -> Any:
        started = _enter(method, path)
        try:
            data = await self._http.send(method, path, params=params, json=json)
        except Exception as exc:
            _fail(method, path, started, exc)
            raise
        _exit(method, path, started, "no content" if data is None else "data")
        return data


def _enter(method: str, path: str) -> float:
    logger.debug("-> %s %s", method, path)
    return time.perf_counter()


def _exit(method: str, path: str, started: float, outcome: str) -> None:
    logger.debug(
        "<- %s %s ok: %s (%.1fms)", method, path, outcome, (time.perf_counter() - started) * 1e3
    )


def _fail(method: str, path: str, started: float, exc: BaseException) -> None:
    logger.debug(
        "<- %s %s failed: %s (%.1fms)",
        method,
        path,
        type(exc).__name__,
        (time.perf_counter() - started) * 1e3,
    )


__all__ = [
    "MAX_SYMBOLS_PER_REQUEST",
    "Area",
    "Body",
    "HttpSession",
    "Params",
    "SupportsWire",
    "chunks",
    "fmt_datetime",
    "seg",
    "sym",
    "unique",
    "wire",
]
