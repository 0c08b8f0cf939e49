"""ClickHouseServer as an async context manager in the caller's event loop."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from tastystream.stack.clickhouse import ClickHouseServer, ServerConfig

pytestmark = pytest.mark.integration


async def test_lifecycle_states_and_queries(tmp_path: Path) -> None:
    server = ClickHouseServer(ServerConfig(path=tmp_path / "ch", port=0))
    assert server.state == "stopped"
    async with server:
        assert server.port != 0
        assert (server.state, server.engine.state) == ("running", "running")
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/ping")).text == "Ok.\n"
            resp = await http.post("/", content="SELECT version()")
            assert resp.text == f"{server.engine.version}\n"
    assert (server.state, server.engine.state) == ("stopped", "stopped")
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"{server.url}/ping")


async def test_port_in_use_fails_startup_and_releases_the_engine(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ClickHouseServer(ServerConfig(path=tmp_path / "ch", port=port))
        with pytest.raises(OSError):
            await server.__aenter__()
    assert (server.state, server.engine.state) == ("stopped", "stopped")
