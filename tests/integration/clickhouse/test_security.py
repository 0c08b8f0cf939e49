"""The issue's reproductions against the real server process (as ``stack up`` runs it)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import httpx
import pytest

from tests.integration.clickhouse.conftest import RunningServer, ping
from tests.support import eventually_sync

SLOW = "SELECT count() FROM numbers(100000000000000) WHERE NOT ignore(sipHash64(number))"


@pytest.fixture
def http(server: RunningServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, auth=server.auth, timeout=30)


def _denied(resp: httpx.Response) -> None:
    assert resp.status_code == 403, resp.text
    assert resp.headers["x-clickhouse-exception-code"] == "497"


def _running(http: httpx.Client, query_id: str) -> int:
    sql = f"SELECT count() FROM system.processes WHERE Settings['log_comment'] = '{query_id}'"
    return int(http.get("/", params={"query": sql}).text)


def test_a_password_is_required(server: RunningServer) -> None:
    anon = httpx.get(server.url, params={"query": "SELECT 1"})
    assert anon.status_code == 401
    assert anon.headers["x-clickhouse-exception-code"] == "516"
    assert ping(server.url)  # health checks stay open


def test_file_reads_only_its_folder(server: RunningServer, http: httpx.Client) -> None:
    (server.path.parent / ".env").write_text("TT_REFRESH_TOKEN=abc\n")
    for path in ("/etc/passwd", "../.env", "../../.env", str(server.path.parent / ".env")):
        resp = http.get("/", params={"query": f"SELECT * FROM file('{path}','LineAsString')"})
        _denied(resp)
        assert "TT_REFRESH_TOKEN" not in resp.text
    # relative paths resolve inside the files folder, for reads and writes
    (server.path / "user_files" / "note.txt").write_text("hello\n")
    read = http.get("/", params={"query": "SELECT * FROM file('note.txt','LineAsString')"})
    assert read.text == "hello\n"
    write = http.post("/", content="INSERT INTO FUNCTION file('out.csv','CSV') SELECT 42")
    assert write.status_code == 200, write.text
    assert (server.path / "user_files" / "out.csv").read_text() == "42\n"


def test_a_web_page_cannot_overwrite_files(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    sql = f"INSERT INTO FUNCTION file('{victim}','LineAsString') SELECT 'pwned'"
    page = httpx.post(
        server.url,
        params={"engine_file_truncate_on_insert": "1", "add_http_cors_header": "1"},
        content=sql,
        headers={"Origin": "http://evil.example", "Content-Type": "text/plain"},
    )
    _denied(page)
    assert "access-control-allow-origin" not in page.headers
    _denied(http.post("/", params={"engine_file_truncate_on_insert": "1"}, content=sql))
    assert victim.read_text() == "keep me\n"


def test_dns_rebinding_is_refused(server: RunningServer, http: httpx.Client) -> None:
    _denied(
        http.get("/", params={"query": "SELECT 1"}, headers={"Host": f"evil.example:{server.port}"})
    )
    assert http.get("/", params={"query": "SELECT 1"}, headers={"Host": "localhost"}).text == "1\n"


def test_url_cannot_reach_local_services(http: httpx.Client) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        resp = http.get(
            "/", params={"query": f"SELECT * FROM url('http://127.0.0.1:{port}/', 'LineAsString')"}
        )
        _denied(resp)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected


def test_system_and_kill_are_refused(server: RunningServer, http: httpx.Client) -> None:
    for sql in ("SYSTEM SHUTDOWN", "KILL QUERY WHERE 1"):
        _denied(http.post("/", content=sql, headers={"Content-Type": "text/plain"}))
    assert ping(server.url)
    assert server.proc.poll() is None


def test_a_disconnect_cancels_the_query(http: httpx.Client, server: RunningServer) -> None:
    def give_up() -> None:
        try:
            httpx.post(
                server.url,
                params={"query_id": "q-left"},
                content=SLOW,
                auth=server.auth,
                timeout=httpx.Timeout(30, read=1.0),
            )
        except httpx.ReadTimeout:
            pass  # the client leaves; the server must notice and stop the query

    client = threading.Thread(target=give_up)
    client.start()
    eventually_sync(lambda: _running(http, "q-left") == 1, message="query did not start")
    client.join(timeout=30)
    eventually_sync(
        lambda: _running(http, "q-left") == 0,
        timeout=15,
        message="the query kept running after its client left",
    )


def test_kill_by_the_clients_query_id(http: httpx.Client, server: RunningServer) -> None:
    answers: list[httpx.Response] = []
    slow = threading.Thread(
        target=lambda: answers.append(
            httpx.post(
                server.url,
                params={"query_id": "q-kill"},
                content=SLOW,
                auth=server.auth,
                timeout=60,
            )
        )
    )
    slow.start()
    eventually_sync(lambda: _running(http, "q-kill") == 1, message="query did not start")
    kill = http.post("/", content="KILL QUERY WHERE query_id = 'q-kill'")
    assert kill.status_code == 200, kill.text
    assert kill.text.startswith("waiting\tq-kill\tdefault\t")
    slow.join(timeout=60)
    assert answers
    assert "QUERY_WAS_CANCELLED" in answers[0].text
    assert _running(http, "q-kill") == 0
