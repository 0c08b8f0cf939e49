"""The issue's reproductions against the ASGI app: each was accepted before, each is refused now."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from tastystream.stack.browser_guard import BrowserGuard
from tastystream.stack.clickhouse import ClickHouseApp, Credentials, Engine, HttpLimits
from tests.support import eventually

Message = MutableMapping[str, Any]
PASSWORD = "s3cret-pw"
BASE = "http://127.0.0.1:8123"
SLOW = "SELECT count() FROM numbers(100000000000000) WHERE NOT ignore(sipHash64(number))"


@pytest.fixture
def app(engine: Engine) -> ClickHouseApp:
    """The app as the stack runs it: a password, bound to 127.0.0.1:8123, one origin allowed."""
    return ClickHouseApp(
        engine,
        Credentials("default", PASSWORD),
        HttpLimits(cancel_retry=0.05),
        BrowserGuard.create("127.0.0.1", 8123, origins=["http://localhost:3000"]),
    )


@pytest.fixture
async def guarded(app: ClickHouseApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    auth = ("default", PASSWORD)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, auth=auth) as client:
        yield client


@pytest.fixture
async def anon(app: ClickHouseApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def _denied(resp: httpx.Response) -> None:
    assert resp.status_code == 403, resp.text
    assert resp.headers["x-clickhouse-exception-code"] == "497"
    assert "(ACCESS_DENIED)" in resp.text


# --------------------------------------------------------------------------- password
async def test_no_or_wrong_password_is_refused(anon: httpx.AsyncClient) -> None:
    tries = [anon.get("/", params={"query": "SELECT 1"})] + [
        anon.get("/", params={"query": "SELECT 1"}, auth=auth)
        for auth in (("default", "wrong"), ("other", PASSWORD))
    ]
    for attempt in tries:
        resp = await attempt
        assert resp.status_code == 401
        assert resp.headers["x-clickhouse-exception-code"] == "516"
        assert "(AUTHENTICATION_FAILED)" in resp.text
        assert "www-authenticate" not in resp.headers  # no browser login prompt


async def test_every_clickhouse_way_of_passing_the_password(anon: httpx.AsyncClient) -> None:
    basic = base64.b64encode(f"default:{PASSWORD}".encode()).decode()
    ways: list[dict[str, Any]] = [
        {"headers": {"Authorization": f"Basic {basic}"}},
        {"headers": {"X-ClickHouse-User": "default", "X-ClickHouse-Key": PASSWORD}},
        {"params": {"user": "default", "password": PASSWORD}},
    ]
    for way in ways:
        params = {"query": "SELECT 7", **way.pop("params", {})}
        resp = await anon.get("/", params=params, **way)
        assert resp.status_code == 200, resp.text
        assert resp.text == "7\n"


# ------------------------------------------------------------------------------- files
async def test_file_outside_the_files_folder_is_refused(
    guarded: httpx.AsyncClient, tmp_path: Path
) -> None:
    secret = tmp_path / ".env"
    secret.write_text("TT_REFRESH_TOKEN=abc\n")
    for path in ("/etc/passwd", str(secret), "../.env", "../../.env"):
        resp = await guarded.get(
            "/", params={"query": f"SELECT * FROM file('{path}','LineAsString')"}
        )
        _denied(resp)
        assert "TT_REFRESH_TOKEN" not in resp.text


async def test_file_inside_the_files_folder_works(
    guarded: httpx.AsyncClient, engine: Engine
) -> None:
    (engine.files_dir / "a.txt").write_text("hello\n")
    inside = engine.files_dir.resolve() / "a.txt"
    resp = await guarded.get(
        "/", params={"query": f"SELECT * FROM file('{inside}','LineAsString')"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.text == "hello\n"


async def test_cross_origin_file_overwrite_is_refused(
    guarded: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    sql = f"INSERT INTO FUNCTION file('{victim}','LineAsString') SELECT 'pwned'"
    params = {"engine_file_truncate_on_insert": "1"}
    # a "simple" cross-origin POST from a page: refused for its origin, before the password
    page = await anon.post(
        "/",
        params=params,
        content=sql,
        headers={"Origin": "http://evil.example", "Content-Type": "text/plain"},
    )
    _denied(page)
    # and refused for what it does, even with the password and no origin
    _denied(await guarded.post("/", params=params, content=sql))
    assert victim.read_text() == "keep me\n"


async def test_values_expressions_cannot_smuggle_file(guarded: httpx.AsyncClient) -> None:
    sql = "SELECT * FROM format(Values, 'x String', '(file(''/etc/hostname''))')"
    resp = await guarded.post("/", content=sql)
    assert resp.status_code != 200
    assert "SUPPORT_IS_DISABLED" in resp.text
    _denied(
        await guarded.post(
            "/", params={"input_format_values_interpret_expressions": "1"}, content=sql
        )
    )
    _denied(await guarded.post("/", content="INSERT INTO t VALUES (file('/etc/hostname'))"))


async def test_small_values_inserts_keep_their_expressions(guarded: httpx.AsyncClient) -> None:
    ok = await guarded.post("/", content="CREATE TABLE v (d Date, s String) ENGINE = Memory")
    assert ok.status_code == 200, ok.text
    ins = await guarded.post("/", content="INSERT INTO v VALUES (toDate('2024-01-02'), 'a')")
    assert ins.status_code == 200, ins.text
    assert (await guarded.get("/", params={"query": "SELECT * FROM v"})).text == "2024-01-02\ta\n"


# ----------------------------------------------------------------------------- network
async def test_url_and_remote_are_off(guarded: httpx.AsyncClient) -> None:
    for sql in (
        "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
        "SELECT * FROM remote('127.0.0.1:9000', system.one)",
        "CREATE TABLE u (s String) ENGINE = URL('http://127.0.0.1:1/', LineAsString)",
    ):
        resp = await guarded.get("/", params={"query": sql})
        _denied(resp)
        assert "STACK_CLICKHOUSE_ALLOW" in resp.text


# ------------------------------------------------------------------------------ browser
async def test_cors_only_for_configured_origins(guarded: httpx.AsyncClient) -> None:
    params = {"query": "SELECT 1", "add_http_cors_header": "1"}
    evil = await guarded.get("/", params=params, headers={"Origin": "http://evil.example"})
    _denied(evil)
    assert "access-control-allow-origin" not in evil.headers
    plain = await guarded.get("/", params=params)
    assert plain.status_code == 200
    assert "access-control-allow-origin" not in plain.headers
    friend = await guarded.get("/", params=params, headers={"Origin": "http://localhost:3000"})
    assert friend.status_code == 200
    assert friend.headers["access-control-allow-origin"] == "http://localhost:3000"
    preflight = await guarded.options("/", headers={"Origin": "http://evil.example"})
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    for origin in ("null", "http://127.0.0.1:9999"):
        _denied(await guarded.get("/", params=params, headers={"Origin": origin}))
    same = await guarded.get("/", params=params, headers={"Origin": "http://127.0.0.1:8123"})
    assert same.status_code == 200


async def test_dns_rebinding_and_cross_site_navigation_are_refused(
    guarded: httpx.AsyncClient,
) -> None:
    params = {"query": "SELECT 1"}
    _denied(await guarded.get("/", params=params, headers={"Host": "evil.example:8123"}))
    _denied(await guarded.get("/ping", headers={"Host": "evil.example"}))
    _denied(await guarded.get("/", params=params, headers={"Sec-Fetch-Site": "cross-site"}))
    for host in ("localhost:8123", "127.0.0.1", "[::1]:8123"):
        assert (await guarded.get("/", params=params, headers={"Host": host})).text == "1\n"


# ------------------------------------------------------------------------- SYSTEM / KILL
async def test_system_and_kill_are_refused(guarded: httpx.AsyncClient) -> None:
    for sql in ("SYSTEM SHUTDOWN", "KILL QUERY WHERE 1", "SYSTEM DROP MARK CACHE"):
        _denied(await guarded.post("/", content=sql, headers={"Content-Type": "text/plain"}))
    assert (await guarded.get("/", params={"query": "SELECT 1"})).text == "1\n"


async def test_kill_by_the_clients_query_id(guarded: httpx.AsyncClient, engine: Engine) -> None:
    slow = asyncio.create_task(guarded.post("/", params={"query_id": "q-slow"}, content=SLOW))

    async def started() -> bool:
        return bool(engine.running("q-slow"))

    await eventually(started, message="the slow query did not start")
    seen = await guarded.get(
        "/",
        params={
            "query": "SELECT count() FROM system.processes WHERE Settings['log_comment'] = 'q-slow'"
        },
    )
    assert seen.text == "1\n"  # the client's id is on the engine's query
    kill = await guarded.post("/", content="KILL QUERY WHERE query_id = 'q-slow' FORMAT TSV")
    assert kill.status_code == 200, kill.text
    assert kill.text.startswith("waiting\tq-slow\tdefault\tSELECT count() FROM numbers(")
    resp = await asyncio.wait_for(slow, timeout=60)
    assert "QUERY_WAS_CANCELLED" in resp.text
    none = await guarded.post("/", content="KILL QUERY WHERE query_id = 'q-slow'")
    assert none.status_code == 200
    assert none.text == ""


async def test_disconnect_cancels_the_query(engine: Engine) -> None:
    app = ClickHouseApp(engine, limits=HttpLimits(cancel_retry=0.05))
    gone = asyncio.Event()
    messages: list[Message] = [{"type": "http.request", "body": SLOW.encode()}]
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": b"query_id=q-gone",
        "headers": [(b"host", b"127.0.0.1:8123")],
    }
    serving = asyncio.create_task(app(scope, receive, send))

    async def started() -> bool:
        return bool(engine.running("q-gone"))

    await eventually(started, message="the query did not start")
    gone.set()
    await asyncio.wait_for(serving, timeout=60)  # without the cancel: hours of work
    assert engine.running("q-gone") is None
    assert sent == []  # nobody to answer
