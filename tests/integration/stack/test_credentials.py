"""`stack up` generates ClickHouse's password, the server demands it, and the CLI finds it."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from tastystream.settings import CLICKHOUSE_PASSWORD_FILE
from tastystream.stack import LocalStack, StackConfig
from tests.support import free_port


async def test_stack_up_generates_a_password_the_cli_reads(tmp_path: Path) -> None:
    folder = tmp_path / "stack"
    stack = LocalStack(StackConfig(dir=folder, clickhouse_port=free_port(), start_timeout_s=90))
    try:
        await stack.up(["clickhouse"])
        password_file = folder / CLICKHOUSE_PASSWORD_FILE
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        password = password_file.read_text().strip()
        url = stack.config.clickhouse_url
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            anon = await http.get("/", params={"query": "SELECT 1"})
            assert anon.status_code == 401
            ok = await http.get("/", params={"query": "SELECT 1"}, auth=("default", password))
            assert ok.text == "1\n"
        assert password not in (folder / "logs" / "clickhouse.log").read_text()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLICKHOUSE_", "STACK_"))}
        env.update({"STACK_DIR": str(folder), "CLICKHOUSE_URL": url})
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "tastystream", "sql", "SELECT 40 + 2 AS answer", "-f", "csv"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "42"
    finally:
        stack.down()
