"""The local stack's ClickHouse: the real engine (chdb) behind the standard HTTP interface."""

from tastystream.stack.clickhouse.engine import Engine, EngineLimits
from tastystream.stack.clickhouse.errors import ClickHouseError
from tastystream.stack.clickhouse.http_app import ClickHouseApp, HttpLimits
from tastystream.stack.clickhouse.query_request import Credentials
from tastystream.stack.clickhouse.server import ClickHouseServer, ServerConfig

__all__ = [
    "ClickHouseApp",
    "ClickHouseError",
    "ClickHouseServer",
    "Credentials",
    "Engine",
    "EngineLimits",
    "HttpLimits",
    "ServerConfig",
]
