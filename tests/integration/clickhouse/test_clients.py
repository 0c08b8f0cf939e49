"""Real clients against the real server process: clickhouse-connect (sync and async) and raw HTTP."""

from __future__ import annotations

import base64
import gzip
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import clickhouse_connect
import httpx
import pytest
import zstandard
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.integration.clickhouse.conftest import RunningServer, ping
from tests.support import eventually_sync

pytestmark = pytest.mark.integration
ROWS = 1_000_000


def test_million_rows_while_another_client_queries(server: RunningServer) -> None:
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=server.port, password=server.password
    )
    client.command(
        "CREATE TABLE ticks (id UInt64, symbol LowCardinality(String), px Float64, ts DateTime64(6)) "
        "ENGINE = MergeTree ORDER BY id"
    )
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:
        other = clickhouse_connect.get_client(
            host="127.0.0.1", port=server.port, password=server.password
        )
        try:
            while not stop.is_set():
                seen.append(int(other.command("SELECT count() FROM ticks")))  # type: ignore[arg-type]
                assert other.query("SELECT 1 + 1").result_rows == [(2,)]
        except BaseException as exc:
            errors.append(exc)
        finally:
            other.close()

    thread = threading.Thread(target=reader, name="concurrent-reader")
    thread.start()
    try:
        ids = list(range(ROWS))
        columns: list[list[Any]] = [
            ids,
            ["SPY", "QQQ", "AAPL", "MSFT"] * (ROWS // 4),
            [i * 0.5 for i in ids],
            [1_700_000_000 + i for i in ids],
        ]
        summary = client.insert(
            "ticks", columns, column_names=["id", "symbol", "px", "ts"], column_oriented=True
        )
        assert summary.written_rows == ROWS
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert seen, "the concurrent reader never got an answer"
    assert all(0 <= n <= ROWS for n in seen)
    count, total, px = client.query("SELECT count(), sum(id), sum(px) FROM ticks").result_rows[0]
    assert (count, total, px) == (ROWS, sum(range(ROWS)), sum(range(ROWS)) * 0.5)
    result = client.query("SELECT id, symbol FROM ticks ORDER BY id")
    assert len(result.result_rows) == ROWS
    assert result.result_rows[5] == (5, "QQQ")
    assert sum(row[0] for row in result.result_rows) == sum(range(ROWS))
    client.close()


def test_streaming_reads_and_late_errors(server: RunningServer) -> None:
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=server.port, password=server.password
    )
    total = 0
    with client.query_row_block_stream("SELECT number FROM numbers(500000)") as stream:
        for block in stream:
            total += sum(row[0] for row in block)
    assert total == sum(range(500000))
    late = "SELECT throwIf(number = 400000) FROM numbers(500000) SETTINGS max_block_size = 65536"
    with pytest.raises(DatabaseError) as info, client.query_row_block_stream(late) as stream:
        for _ in stream:
            pass
    assert "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO" in str(info.value)
    client.close()


def test_errors_come_back_typed(server: RunningServer) -> None:
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=server.port, password=server.password
    )
    with pytest.raises(DatabaseError) as missing:
        client.query("SELECT * FROM no_such_table")
    assert missing.value.code == 60
    with pytest.raises(DatabaseError) as syntax:
        client.command("SELEC 1")
    assert syntax.value.code == 62
    with pytest.raises(DatabaseError) as auth:
        clickhouse_connect.get_client(host="127.0.0.1", port=server.port, password="wrong")
    assert auth.value.code == 516
    client.close()


def test_parameters_settings_and_formats(server: RunningServer) -> None:
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=server.port, password=server.password
    )
    row = client.query(
        "SELECT {s:String} AS s, {d:DateTime} AS d, {xs:Array(Int32)} AS xs",
        parameters={"s": "it's\t'quoted'", "d": "2024-01-02 03:04:05", "xs": [1, -2, 3]},
    ).result_rows[0]
    assert row[0] == "it's\t'quoted'"
    assert str(row[1]) == "2024-01-02 03:04:05"
    assert row[2] == [1, -2, 3]
    many = list(range(5000))  # bound parameters past 4 KiB go as multipart/form-data
    assert client.query(
        "SELECT length({xs:Array(UInt32)})", parameters={"xs": many}
    ).result_rows == [(5000,)]
    client.command("CREATE TABLE arrow_t (a UInt32, b String) ENGINE = MergeTree ORDER BY a")
    table = client.query_arrow(
        "SELECT toUInt32(number) AS a, toString(number) AS b FROM numbers(1000)"
    )
    client.insert_arrow("arrow_t", table)
    assert client.command("SELECT sum(a) FROM arrow_t") == sum(range(1000))
    client.raw_insert("arrow_t", ["a", "b"], insert_block=b"5000,x\n5001,y\n", fmt="CSV")
    assert client.command("SELECT count() FROM arrow_t") == 1002
    csv = client.raw_query("SELECT a FROM arrow_t ORDER BY a DESC LIMIT 2", fmt="CSVWithNames")
    assert csv == b'"a"\n5001\n5000\n'
    client.close()


async def test_async_client(server: RunningServer) -> None:
    client = await clickhouse_connect.get_async_client(
        host="127.0.0.1", port=server.port, password=server.password
    )
    await client.command("CREATE TABLE async_t (a UInt64) ENGINE = MergeTree ORDER BY a")
    await client.insert("async_t", [[i] for i in range(10000)], column_names=["a"])
    result = await client.query("SELECT count(), sum(a) FROM async_t")
    assert result.result_rows == [(10000, sum(range(10000)))]
    with pytest.raises(DatabaseError) as info:
        await client.query("SELECT * FROM missing_async")
    assert info.value.code == 60
    await client.close()


def test_raw_http_with_compressed_bodies(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url, auth=server.auth, timeout=30) as http:
        assert (
            http.post("/", content="CREATE TABLE raw_t (a UInt32) ENGINE = Memory").status_code
            == 200
        )
        gz = http.post(
            "/",
            params={"query": "INSERT INTO raw_t FORMAT TSV"},
            content=gzip.compress(b"1\n2\n"),
            headers={"Content-Encoding": "gzip"},
        )
        assert gz.status_code == 200, gz.text
        zs = http.post(
            "/",
            content=zstandard.ZstdCompressor().compress(b"INSERT INTO raw_t VALUES (3)"),
            headers={"Content-Encoding": "zstd"},
        )
        assert zs.status_code == 200, zs.text
        resp = http.get(
            "/",
            params={"query": "SELECT sum(a) FROM raw_t", "enable_http_compression": "1"},
            headers={"Accept-Encoding": "gzip"},
        )
        assert resp.headers["content-encoding"] == "gzip"
        assert resp.text == "6\n"
        err = http.get("/", params={"query": "SELECT * FROM nope"})
        assert (err.status_code, err.headers["x-clickhouse-exception-code"]) == (404, "60")


def test_data_survives_a_restart(start_server: Callable[[Path | None], RunningServer]) -> None:
    first = start_server(None)
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=first.port, password=first.password
    )
    client.command("CREATE TABLE kept (a UInt64) ENGINE = MergeTree ORDER BY a")
    client.insert("kept", [[i] for i in range(1000)], column_names=["a"])
    client.close()
    assert first.stop() == 0
    second = start_server(first.path)
    again = clickhouse_connect.get_client(
        host="127.0.0.1", port=second.port, password=second.password
    )
    assert again.query("SELECT count(), sum(a) FROM kept").result_rows == [(1000, sum(range(1000)))]
    again.close()


def test_abandoned_stream_is_cancelled(server: RunningServer) -> None:
    sql = b"SELECT number FROM system.numbers FORMAT TSV /* endless */"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        basic = base64.b64encode(f"default:{server.password}".encode()).decode()
        head = (
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {basic}\r\n"
            f"Content-Length: {len(sql)}\r\n\r\n"
        ).encode()
        sock.sendall(head + sql)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    probe = (
        "SELECT count() FROM system.processes "
        "WHERE query LIKE '%endless%' AND query NOT LIKE '%processes%'"
    )
    with httpx.Client(base_url=server.url, auth=server.auth, timeout=10) as http:
        eventually_sync(
            lambda: http.post("/", content=probe).text == "0\n",
            message="the abandoned query kept running",
        )
        assert http.get("/ping").text == "Ok.\n"


def test_sigterm_lets_an_inflight_insert_finish(
    start_server: Callable[[Path | None], RunningServer],
) -> None:
    first = start_server(None)
    with httpx.Client(base_url=first.url, auth=first.auth, timeout=60) as http:
        http.post("/", content="CREATE TABLE t (a UInt64) ENGINE = MergeTree ORDER BY a")

        def body() -> Iterator[bytes]:
            yield b"INSERT INTO t FORMAT TSV\n"
            for k in range(20):
                if k == 5:  # stop the server in the middle of the upload …
                    first.proc.send_signal(signal.SIGTERM)
                    eventually_sync(  # … and go on once it no longer accepts new requests
                        lambda: not ping(first.url), message="server kept accepting requests"
                    )
                yield b"".join(b"%d\n" % i for i in range(k * 1000, (k + 1) * 1000))

        resp = http.post("/", content=body())
    assert resp.status_code == 200, resp.text
    assert first.proc.wait(timeout=60) == 0
    second = start_server(first.path)
    with httpx.Client(base_url=second.url, auth=second.auth, timeout=30) as http:
        assert (
            http.post("/", content="SELECT count(), sum(a) FROM t").text
            == f"20000\t{sum(range(20000))}\n"
        )


def test_more_clients_than_query_slots(server: RunningServer) -> None:
    """24 clients (the server runs 16 queries at once, the rest queue) insert and read exactly."""
    admin = clickhouse_connect.get_client(
        host="127.0.0.1", port=server.port, password=server.password
    )
    admin.command("CREATE TABLE busy (w UInt32, i UInt64) ENGINE = MergeTree ORDER BY (w, i)")
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        client = clickhouse_connect.get_client(
            host="127.0.0.1", port=server.port, password=server.password
        )
        try:
            for k in range(5):
                rows = [[w, k * 500 + i] for i in range(500)]
                client.insert("busy", rows, column_names=["w", "i"])
                got = client.command(
                    "SELECT count() FROM busy WHERE w = {w:UInt32}", parameters={"w": w}
                )
                assert got == (k + 1) * 500
        except BaseException as exc:
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    assert admin.query("SELECT count(), uniqExact(w) FROM busy").result_rows == [(24 * 2500, 24)]
    admin.close()
