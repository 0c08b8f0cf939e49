"""``Client``: one OAuth2 session, one HTTP session, one error stream, and the streamer factories.

::

    async with Client(client_secret=..., refresh_token=...) as client:
        accounts = await client.rest.accounts.list()
        async with client.dxlink() as quotes:
            await quotes.subscribe("Quote", ["SPY"])
            async for event in quotes.events():
                ...

``environment`` picks the production or certification URLs (``tastystream.settings``
constants); ``"custom"`` takes any ``base_url``/``streamer_url`` (the sandbox).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Final, Literal, Self

import httpx

from adapters.tastytrade.account_stream import AccountStreamer, rest_reconciler
from adapters.tastytrade.auth import OAuth2Auth
from adapters.tastytrade.backoff import RetryPolicy
from adapters.tastytrade.dxlink import DXLinkStreamer
from adapters.tastytrade.errors import ErrorStream, TastytradeError
from adapters.tastytrade.http import DEFAULT_RETRY, HttpSession, MetricsHook
from adapters.tastytrade.quote_token import ApiQuoteTokens
from adapters.tastytrade.rest import Rest
from tastystream.settings import (
    CERT_BASE_URL,
    CERT_STREAMER_URL,
    PRODUCTION_BASE_URL,
    PRODUCTION_STREAMER_URL,
    TastytradeSettings,
)

logger = logging.getLogger(__name__)

Environment = Literal["production", "cert", "custom"]
API_VERSION: Final = "20251101"
_URLS: Final[dict[str, tuple[str, str]]] = {
    "production": (PRODUCTION_BASE_URL, PRODUCTION_STREAMER_URL),
    "cert": (CERT_BASE_URL, CERT_STREAMER_URL),
}


class _Unset:
    pass


_UNSET: Final = _Unset()


def resolve_urls(
    environment: Environment, base_url: str | None, streamer_url: str | None
) -> tuple[str, str]:
    """The REST and account-streamer URLs of an environment (explicit URLs win)."""
    if environment == "custom":
        if not base_url or not streamer_url:
            raise ValueError("environment 'custom' needs both base_url and streamer_url")
        return base_url, streamer_url
    if environment not in _URLS:
        raise ValueError(f"unknown environment {environment!r}")
    default_base, default_streamer = _URLS[environment]
    return base_url or default_base, streamer_url or default_streamer


class Client:
    """The Tastytrade client; use it as an async context manager."""

    def __init__(
        self,
        *,
        client_secret: str,
        refresh_token: str,
        base_url: str | None = None,
        streamer_url: str | None = None,
        environment: Environment = "production",
        client_id: str | None = None,
        api_version: str | _Unset | None = _UNSET,
        errors: ErrorStream | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        retry_policy: RetryPolicy = DEFAULT_RETRY,
        metrics: MetricsHook | None = None,
        dxlink_url: str | None = None,
    ) -> None:
        self.environment = environment
        self.base_url, self.streamer_url = resolve_urls(environment, base_url, streamer_url)
        if isinstance(api_version, _Unset):
            # tastyware omits Accept-Version against cert ("not accepted in sandbox", §1)
            api_version = None if environment == "cert" else API_VERSION
        self.errors = errors if errors is not None else ErrorStream()
        self.auth = OAuth2Auth(
            client_secret=client_secret, refresh_token=refresh_token, client_id=client_id
        )
        self.http = HttpSession(
            self.base_url,
            self.auth,
            errors=self.errors,
            api_version=api_version,
            timeout=timeout,
            transport=transport,
            retry_policy=retry_policy,
            metrics=metrics,
        )
        self.quote_tokens = ApiQuoteTokens(self.http, dxlink_url=dxlink_url)
        self._rest: Rest | None = None
        self._open = False

    @classmethod
    def from_settings(cls, settings: TastytradeSettings, **overrides: Any) -> Client:
        """Build from the ``TT_*`` settings (secrets unwrapped here, never logged)."""
        environment: Environment = "custom"
        for name, (base, streamer) in _URLS.items():
            if (
                settings.base_url.rstrip("/") == base
                and settings.streamer_url.rstrip("/") == streamer
            ):
                environment = "production" if name == "production" else "cert"
        options: dict[str, Any] = {
            "client_secret": settings.client_secret.get_secret_value(),
            "refresh_token": settings.refresh_token.get_secret_value(),
            "base_url": settings.base_url,
            "streamer_url": settings.streamer_url,
            "environment": environment,
            "client_id": settings.client_id or None,
            "timeout": settings.request_timeout_s,
        }
        if settings.api_version is not None:  # else the client's API_VERSION (the one owner)
            options["api_version"] = settings.api_version or None
        options.update(overrides)
        return cls(**options)

    def __repr__(self) -> str:
        return f"Client(environment={self.environment!r}, base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        await self.http.__aenter__()
        self._open = True
        logger.info("tastytrade client open (%s, %s)", self.environment, self.base_url)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        await self.http.__aexit__(exc_type, exc, tb)
        logger.info("tastytrade client closed")

    @property
    def rest(self) -> Rest:
        """Every REST area over this client's session (``adapters.tastytrade.rest.Rest``)."""
        if self._rest is None:
            self._rest = Rest(self.http)
        return self._rest

    def dxlink(self, **options: Any) -> DXLinkStreamer:
        """A DXLink quote streamer using this client's quote tokens and error stream."""
        self._require_open()
        return DXLinkStreamer(self.quote_tokens, errors=self.errors, **options)

    def account_stream(
        self, accounts: Sequence[str], *, reconcile: bool = True, **options: Any
    ) -> AccountStreamer:
        """An account streamer; with ``reconcile`` each (re)connect emits a REST snapshot."""
        self._require_open()
        reconciler = rest_reconciler(self.rest) if reconcile else None
        return AccountStreamer(
            self.streamer_url,
            accounts,
            self.auth,
            errors=self.errors,
            reconcile=reconciler,
            **options,
        )

    def _require_open(self) -> None:
        if not self._open:
            raise TastytradeError("Client is not open (use `async with Client(...)`)")


__all__ = ["API_VERSION", "Client", "Environment", "resolve_urls"]
