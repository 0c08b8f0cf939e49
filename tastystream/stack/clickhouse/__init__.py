"""The local stack's ClickHouse: the real engine (chdb) behind the standard HTTP interface.

Run it as the stack manager does::

    python -m tastystream.stack.clickhouse --host 127.0.0.1 --port 8123 --path .stack/clickhouse

and talk to it like to any ClickHouse server (``clickhouse_connect.get_client(host=..., port=...)``,
``curl 'http://127.0.0.1:8123/?query=SELECT+1'``). ``GET /ping`` answers ``Ok.``; SIGTERM/SIGINT
drain in-flight requests, then close the engine, which flushes the data directory.

Embedding: ``async with ClickHouseServer(ServerConfig(path=..., port=0)) as srv: ...`` (``srv.url``),
or mount :class:`ClickHouseApp` (ASGI) over an :class:`Engine`. chdb hosts one data directory per
process.
"""

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
