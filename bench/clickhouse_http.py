"""The local ClickHouse over HTTP vs the same engine in-process (chdb), in one run.

Starts ``python -m tastystream.stack.clickhouse`` on a free port over a temp directory, then for
N rows of a tick-like table measures:

* insert: the same Native payload POSTed over HTTP (lz4 as clickhouse-connect sends it) vs
  ``send_insert`` straight into chdb; plus clickhouse-connect's ``insert`` end to end;
* query: ``SELECT *`` as Native over HTTP (lz4 response) vs chdb's in-process query; plus
  clickhouse-connect's ``query`` end to end.

The judged ratios are HTTP rows/s over in-process rows/s (1.0 = the HTTP layer costs nothing).
Run: ``python -m bench.clickhouse_http [--rows N]``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import clickhouse_connect
import httpx
import lz4.frame
from chdb import _chdb

DDL = (
    "CREATE TABLE {name} (id UInt64, symbol LowCardinality(String), px Float64, "
    "ts DateTime64(6)) ENGINE = MergeTree ORDER BY id"
)
SOURCE = (
    "SELECT number AS id, ['SPY','QQQ','AAPL','MSFT'][number % 4 + 1] AS symbol, "
    "number * 0.5 AS px, toDateTime64(1700000000 + number, 6) AS ts FROM numbers({rows})"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _best(runs: int, fn: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _wait_ping(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited during startup")
        try:
            if httpx.get(f"{url}/ping", timeout=1).text == "Ok.\n":
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not answer /ping")


def _lz4_blocks(payload: bytes, block: int = 1 << 20) -> bytes:
    return b"".join(
        lz4.frame.compress(payload[i : i + block]) for i in range(0, len(payload), block)
    )


def run(rows: int, runs: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-ch-"))
    direct = _chdb.connect(str(workdir / "direct"))  # type: ignore[attr-defined]
    native: bytes = bytes(direct.query(SOURCE.format(rows=rows), "Native").bytes())
    port = _free_port()
    password = secrets.token_urlsafe(16)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tastystream.stack.clickhouse",
            "--port",
            str(port),
            "--path",
            str(workdir / "server"),
            "--log-level",
            "WARNING",
        ],
        env={**os.environ, "CLICKHOUSE_PASSWORD": password},
    )
    url = f"http://127.0.0.1:{port}"
    counter = iter(range(1_000_000))
    try:
        _wait_ping(url, proc)
        http = httpx.Client(base_url=url, timeout=300, auth=("default", password))
        client = clickhouse_connect.get_client(host="127.0.0.1", port=port, password=password)
        packed = _lz4_blocks(native)  # compressed once, outside the timings

        def http_insert() -> None:
            name = f"h{next(counter)}"
            http.post("/", content=DDL.format(name=name)).raise_for_status()
            http.post(
                "/",
                params={"query": f"INSERT INTO {name} FORMAT Native"},
                content=packed,
                headers={"Content-Encoding": "lz4"},
            ).raise_for_status()

        def direct_insert() -> None:
            name = f"d{next(counter)}"
            direct.query(DDL.format(name=name), "TSV")
            ins = direct.send_insert(f"INSERT INTO {name}", "Native")
            for i in range(0, len(native), 1 << 20):
                direct.insert_append(ins, native[i : i + (1 << 20)])
            direct.insert_done(ins)

        data = client.query(SOURCE.format(rows=rows)).result_columns

        def connect_insert() -> None:
            name = f"c{next(counter)}"
            client.command(DDL.format(name=name))
            client.insert(
                name, data, column_names=["id", "symbol", "px", "ts"], column_oriented=True
            )

        http.post("/", content=DDL.format(name="q")).raise_for_status()
        http.post("/", content=f"INSERT INTO q {SOURCE.format(rows=rows)}").raise_for_status()
        direct.query(DDL.format(name="q"), "TSV")
        direct.query(f"INSERT INTO q {SOURCE.format(rows=rows)}", "TSV")

        def http_query() -> None:
            resp = http.post(
                "/",
                params={"enable_http_compression": "1"},
                content="SELECT * FROM q FORMAT Native",
                headers={"Accept-Encoding": "lz4"},
            )
            resp.raise_for_status()
            assert len(lz4.frame.decompress(resp.content)) > 0

        def direct_query() -> None:
            assert len(bytes(direct.query("SELECT * FROM q", "Native").bytes())) > 0

        def connect_query() -> None:
            assert len(client.query("SELECT * FROM q").result_columns[0]) == rows

        timings = {
            "insert_http": _best(runs, http_insert),
            "insert_direct": _best(runs, direct_insert),
            "insert_clickhouse_connect": _best(runs, connect_insert),
            "query_http": _best(runs, http_query),
            "query_direct": _best(runs, direct_query),
            "query_clickhouse_connect": _best(runs, connect_query),
        }
        client.close()
        http.close()
        return {name: rows / seconds for name, seconds in timings.items()}
    finally:
        direct.close()
        proc.terminate()
        proc.wait(timeout=60)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.clickhouse_http")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    rates = run(args.rows, args.runs)
    print(f"clickhouse http vs chdb in-process, {args.rows:,} rows (best of {args.runs})")
    for name, rate in rates.items():
        print(f"  {name:<28} {rate:>14,.0f} rows/s")
    print(f"  ratio insert http/direct     {rates['insert_http'] / rates['insert_direct']:.2f}")
    print(f"  ratio query  http/direct     {rates['query_http'] / rates['query_direct']:.2f}")


if __name__ == "__main__":
    main()
