"""Edges only a hand-driven ASGI exchange reaches: stalled bodies and disconnects."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from tastystream.stack.clickhouse import ClickHouseApp, Engine, HttpLimits

Message = MutableMapping[str, Any]


def _scope(query: bytes = b"") -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": query,
        "headers": [(b"content-type", b"text/plain")],
    }


async def _exchange(
    app: ClickHouseApp, scope: dict[str, Any], messages: list[Message]
) -> list[Message]:
    sent: list[Message] = []
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        await asyncio.Event().wait()  # the client stalls forever
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), timeout=20)
    return sent


async def test_stalled_insert_body_times_out_and_frees_the_slot(engine: Engine) -> None:
    app = ClickHouseApp(engine, limits=HttpLimits(receive_timeout=0.3))
    await _exchange(
        app,
        _scope(),
        [{"type": "http.request", "body": b"CREATE TABLE s (a UInt8) ENGINE = Memory"}],
    )
    sent = await _exchange(
        app,
        _scope(b"query=INSERT+INTO+s+FORMAT+TSV"),
        [{"type": "http.request", "body": b"1\n", "more_body": True}],
    )
    start = sent[0]
    assert start["status"] == 503
    assert (b"X-ClickHouse-Exception-Code", b"209") in start["headers"]
    assert b"(SOCKET_TIMEOUT)" in sent[1]["body"]
    # the aborted insert wrote nothing, and the engine still serves queries
    sent = await _exchange(
        app, _scope(), [{"type": "http.request", "body": b"SELECT count() FROM s"}]
    )
    assert sent[1]["body"] == b"0\n"


async def test_disconnect_mid_body_sends_nothing(engine: Engine) -> None:
    app = ClickHouseApp(engine)
    sent = await _exchange(
        app,
        _scope(b"query=SELECT+1"),
        [{"type": "http.request", "body": b"x", "more_body": True}, {"type": "http.disconnect"}],
    )
    assert sent == []


async def test_lifespan_is_acknowledged(engine: Engine) -> None:
    app = ClickHouseApp(engine)
    sent = await _exchange(
        app, {"type": "lifespan"}, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    )
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
