"""The ClickHouse client for a configured endpoint: one factory for the sink and the CLI."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tastystream.settings import ClickHouseSettings

__all__ = ["client_for"]


def client_for(cfg: ClickHouseSettings, *, database: str | None = None) -> Any:
    """A clickhouse-connect client for ``cfg.url`` (``http(s)://host:port``)."""
    import clickhouse_connect

    parts = urlsplit(cfg.url)
    return clickhouse_connect.get_client(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or (8443 if parts.scheme == "https" else 8123),
        secure=parts.scheme == "https",
        username=cfg.user,
        password=cfg.password.get_secret_value(),
        database=database or "",
    )
