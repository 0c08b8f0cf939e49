"""ClickHouseServer as an async context manager in the caller's event loop.

chdb hosts one engine (one data directory) per process, and other suites keep their own engine
open for the whole test session, so the in-process API is exercised in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

LIFECYCLE = textwrap.dedent(
    """
    import asyncio, socket, sys
    from pathlib import Path
    import httpx
    from tastystream.stack.clickhouse import ClickHouseServer, ServerConfig

    async def main(base: Path) -> None:
        server = ClickHouseServer(ServerConfig(path=base / "ch", port=0))
        assert server.state == "stopped"
        async with server:
            assert server.port != 0
            assert (server.state, server.engine.state) == ("running", "running")
            async with httpx.AsyncClient(base_url=server.url) as http:
                assert (await http.get("/ping")).text == "Ok.\\n"
                resp = await http.post("/", content="SELECT version()")
                assert resp.text == f"{server.engine.version}\\n", resp.text
        assert (server.state, server.engine.state) == ("stopped", "stopped")
        async with httpx.AsyncClient() as http:
            try:
                await http.get(f"{server.url}/ping")
            except httpx.ConnectError:
                pass
            else:
                raise AssertionError("still listening after exit")

        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            busy = ClickHouseServer(ServerConfig(path=base / "ch", port=taken.getsockname()[1]))
            try:
                await busy.__aenter__()
            except OSError:
                pass
            else:
                raise AssertionError("started on a taken port")
        assert (busy.state, busy.engine.state) == ("stopped", "stopped")
        print("lifecycle ok")

    asyncio.run(main(Path(sys.argv[1])))
    """
)


def test_in_process_server_lifecycle(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", LIFECYCLE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("lifecycle ok")
