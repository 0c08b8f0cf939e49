"""The local stack's ClickHouse: the real engine (chdb) behind the standard HTTP interface.

Run it as the stack manager does::

    CLICKHOUSE_PASSWORD=… python -m tastystream.stack.clickhouse --host 127.0.0.1 --port 8123 \
        --path .stack/clickhouse

and talk to it like to any ClickHouse server over HTTP
(``clickhouse_connect.get_client(host=..., port=..., password=...)``,
``curl --user default:… 'http://127.0.0.1:8123/?query=SELECT+1'``). ``GET /ping`` answers ``Ok.``
without credentials; SIGTERM/SIGINT drain in-flight requests, then close the engine, which flushes
the data directory. What the server refuses is in :mod:`access_policy` (SQL) and
:mod:`tastystream.stack.browser_guard` (web pages).

Embedding: ``async with ClickHouseServer(ServerConfig(path=..., port=0)) as srv: ...`` (``srv.url``),
or mount :class:`ClickHouseApp` (ASGI) over an :class:`Engine`. chdb hosts one data directory per
process.
"""

from tastystream.stack.clickhouse.access_policy import AccessPolicy
from tastystream.stack.clickhouse.engine import AccessRules, Engine, EngineLimits
from tastystream.stack.clickhouse.errors import ClickHouseError
from tastystream.stack.clickhouse.http_app import ClickHouseApp, HttpLimits
from tastystream.stack.clickhouse.query_request import Credentials
from tastystream.stack.clickhouse.server import ClickHouseServer, ServerConfig

__all__ = [
    "AccessPolicy",
    "AccessRules",
    "ClickHouseApp",
    "ClickHouseError",
    "ClickHouseServer",
    "Credentials",
    "Engine",
    "EngineLimits",
    "HttpLimits",
    "ServerConfig",
]
