"""One HTTP query request, parsed the way ClickHouse's HTTPHandler reads it.

URL parameters are split into the query (``query``), transport parameters (``database``,
``default_format``, ``query_id``, ``session_id`` …), credentials, ``param_<name>`` values for
``{name:Type}`` substitution, HTTP-only knobs real clients send (``enable_http_compression``,
``send_progress_in_http_headers`` …) and everything else, which is a query setting applied with
``SET`` before the query (the engine rejects unknown ones with UNKNOWN_SETTING, as a server does).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from tastystream.stack.clickhouse.content_encoding import choose_encoding
from tastystream.stack.clickhouse.errors import (
    AUTHENTICATION_FAILED,
    BAD_ARGUMENTS,
    NOT_IMPLEMENTED,
    ClickHouseError,
)

__all__ = ["Credentials", "QueryRequest", "parse_request"]

# Parameters the HTTP interface consumes itself; never forwarded as settings.
_TRANSPORT: Final = frozenset(
    {
        "query",
        "database",
        "default_format",
        "query_id",
        "session_id",
        "session_timeout",
        "session_check",
        "user",
        "password",
        "quota_key",
        "buffer_size",
        "wait_end_of_query",
        "compress",
        "decompress",
        "stacktrace",
        "close_session",
        "client_protocol_version",
        "role",
        "enable_http_compression",
        "http_zlib_compression_level",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "cancel_http_readonly_queries_on_client_close",
        "http_response_buffer_size",
        "http_wait_end_of_query",
        "http_native_compression_disable_checksumming_on_decompress",
    }
)
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
DEFAULT_SESSION_TIMEOUT: Final = 60.0
MAX_SESSION_TIMEOUT: Final = 3600.0


@dataclass(frozen=True, slots=True)
class Credentials:
    """The one user this server knows (ClickHouse's ``default`` unless configured)."""

    user: str = "default"
    password: str = ""

    def check(self, user: str, password: str) -> None:
        ok_user = hmac.compare_digest(user.encode(), self.user.encode())
        ok_password = hmac.compare_digest(password.encode(), self.password.encode())
        if not (ok_user and ok_password):
            raise ClickHouseError(
                AUTHENTICATION_FAILED,
                f"{user}: Authentication failed: password is incorrect, "
                "or there is no user with such name",
            )


@dataclass(frozen=True, slots=True)
class QueryRequest:
    method: str
    query: str
    query_id: str
    default_format: str = "TabSeparated"
    database: str | None = None
    session_id: str | None = None
    session_timeout: float = DEFAULT_SESSION_TIMEOUT
    session_check: bool = False
    close_session: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    response_encoding: str | None = None
    wait_end_of_query: bool = False
    user: str = "default"

    @property
    def readonly(self) -> bool:
        """GET requests run read-only (``readonly=2``), as on a real server."""
        return self.method in ("GET", "HEAD")


def _is_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in _TRUE


def _credentials(params: Mapping[str, str], headers: Mapping[str, str]) -> tuple[str, str]:
    user = headers.get("x-clickhouse-user") or params.get("user")
    password = headers.get("x-clickhouse-key") or params.get("password")
    auth = headers.get("authorization", "")
    if auth[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ClickHouseError(AUTHENTICATION_FAILED, "Invalid Basic authorization") from exc
        basic_user, _, basic_password = decoded.partition(":")
        user = user or basic_user
        password = password if password is not None else basic_password
    return user or "default", password or ""


def _float_param(params: Mapping[str, str], name: str, default: float) -> float:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ClickHouseError(BAD_ARGUMENTS, f"Invalid value of {name}: {raw}") from exc


def parse_request(
    method: str,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    credentials: Credentials,
) -> QueryRequest:
    """Parse URL parameters and headers (lower-cased names); checks the credentials."""
    flat: dict[str, str] = {}
    settings: dict[str, str] = {}
    query_params: dict[str, str] = {}
    for key, value in params:
        if key.startswith("param_"):
            query_params[key[len("param_") :]] = value
        elif key in _TRANSPORT:
            flat[key] = value
        else:
            settings[key] = value
    user, password = _credentials(flat, headers)
    credentials.check(user, password)
    for native in ("compress", "decompress"):
        if _is_true(flat.get(native)):
            raise ClickHouseError(
                NOT_IMPLEMENTED,
                f"{native}=1 (ClickHouse native block compression) is not supported by this "
                "server; use HTTP compression (Content-Encoding, enable_http_compression=1)",
            )
    encoding = None
    if _is_true(flat.get("enable_http_compression")):
        encoding = choose_encoding(headers.get("accept-encoding"))
    timeout = _float_param(flat, "session_timeout", DEFAULT_SESSION_TIMEOUT)
    if not 0 < timeout <= MAX_SESSION_TIMEOUT:
        raise ClickHouseError(
            BAD_ARGUMENTS,
            f"Session timeout must be in range (0, {MAX_SESSION_TIMEOUT:g}], got: {timeout:g}",
        )
    return QueryRequest(
        method=method.upper(),
        query=flat.get("query", ""),
        query_id=flat.get("query_id") or headers.get("x-clickhouse-query-id") or str(uuid.uuid4()),
        default_format=flat.get("default_format")
        or headers.get("x-clickhouse-format")
        or "TabSeparated",
        database=flat.get("database") or headers.get("x-clickhouse-database") or None,
        session_id=flat.get("session_id") or None,
        session_timeout=timeout,
        session_check=_is_true(flat.get("session_check")),
        close_session=_is_true(flat.get("close_session")),
        settings=settings,
        params=query_params,
        response_encoding=encoding,
        wait_end_of_query=_is_true(flat.get("wait_end_of_query")),
        user=user,
    )
