"""The DXLink quote token: ``GET /api-quote-tokens`` (§1.1), cached below its 24 h lifetime."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from adapters.tastytrade.backoff import Clock
from adapters.tastytrade.errors import ParseFailure
from adapters.tastytrade.http import HttpSession

logger = logging.getLogger(__name__)

QUOTE_TOKEN_PATH = "/api-quote-tokens"
DEFAULT_MAX_AGE = 23 * 3600.0  # tokens live 24 h; refresh an hour early


@dataclass(frozen=True, slots=True)
class QuoteToken:
    token: str
    dxlink_url: str
    fetched_at: float
    level: str | None = None
    valid_for: float = DEFAULT_MAX_AGE  # seconds after fetched_at to stop using it

    def __repr__(self) -> str:  # never show the token itself
        return f"QuoteToken(dxlink_url={self.dxlink_url!r}, level={self.level!r})"


class QuoteTokenSource(Protocol):
    """Where a streamer gets its token; ``force`` skips the cache."""

    max_age: float

    async def get(self, *, force: bool = False) -> QuoteToken: ...


class ApiQuoteTokens:
    """Fetches the token over REST, single flight, and reuses it for ``max_age`` seconds."""

    def __init__(
        self,
        http: HttpSession,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        clock: Clock = time.monotonic,
        dxlink_url: str | None = None,
        wall_clock: Clock = time.time,
    ) -> None:
        self._http = http
        self._wall = wall_clock
        self.max_age = max_age
        self._clock = clock
        self._url_override = dxlink_url
        self._token: QuoteToken | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    def _fresh(self, token: QuoteToken | None) -> bool:
        return token is not None and self._clock() - token.fetched_at < token.valid_for

    async def get(self, *, force: bool = False) -> QuoteToken:
        seen = self._token
        if not force and self._fresh(seen):
            assert seen is not None
            return seen
        async with self._lock:
            current = self._token
            if current is not None and current is not seen and self._fresh(current):
                return current  # someone refreshed while we waited
            if not force and self._fresh(current):
                assert current is not None
                return current
            data = await self._http.get_data(QUOTE_TOKEN_PATH)
            if not isinstance(data, dict) or not isinstance(data.get("token"), str):
                raise ParseFailure("quote token response without token", model="QuoteToken")
            url = self._url_override or data.get("dxlink-url") or data.get("websocket-url")
            if not isinstance(url, str) or not url:
                raise ParseFailure("quote token response without dxlink-url", model="QuoteToken")
            level = data.get("level")
            token = QuoteToken(
                data["token"],
                url,
                self._clock(),
                level if isinstance(level, str) else None,
                _valid_for(data.get("expires-at"), self.max_age, self._wall()),
            )
            self._token = token
            self.fetches += 1
            logger.info("quote token fetched (level %s, url %s)", token.level, token.dxlink_url)
            return token


def _valid_for(expires_at: object, max_age: float, now: float) -> float:
    """Use a token until ``max_age`` or 90% of the way to its ``expires-at``, whichever is first."""
    if not isinstance(expires_at, str):
        return max_age
    try:
        expiry = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    except ValueError:
        return max_age
    if expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=UTC)
    remaining = expiry.timestamp() - now
    return max(0.0, min(max_age, remaining * 0.9))


@dataclass
class StaticQuoteToken:
    """A fixed token and URL (tests, or a token obtained elsewhere)."""

    token: str
    dxlink_url: str
    max_age: float = DEFAULT_MAX_AGE
    fetches: int = 0

    async def get(self, *, force: bool = False) -> QuoteToken:
        self.fetches += 1
        return QuoteToken(self.token, self.dxlink_url, time.monotonic(), valid_for=self.max_age)


__all__ = [
    "DEFAULT_MAX_AGE",
    "QUOTE_TOKEN_PATH",
    "ApiQuoteTokens",
    "QuoteToken",
    "QuoteTokenSource",
    "StaticQuoteToken",
]
