"""The account-streamer protocol handler and fan-out, without sockets."""

from __future__ import annotations

import orjson

from sandbox.account_stream import QUEUE_LIMIT, AccountStreamHub, StreamSession

TOKENS = {"Bearer good": "C1", "Bearer other": "C2"}


def hub() -> AccountStreamHub:
    return AccountStreamHub(
        TOKENS.get,
        lambda cid: ("5WT00001", "5WT00002") if cid == "C1" else ("5WT00099",),
        lambda cid: f"user-{cid}",
        lambda: 1_700_000_000_000,
    )


def msg(action: str, token: str = "Bearer good", **extra: object) -> str:
    body = {"action": action, "auth-token": token, **extra}
    if "request_id" in body:
        body["request-id"] = body.pop("request_id")
    return orjson.dumps(body).decode()


def test_connect_ack_echoes_value_and_request_id() -> None:
    h, s = hub(), StreamSession("abcd1234")
    ack = h.handle(s, msg("connect", value=["5WT00001"], request_id=3))
    assert ack == {
        "status": "ok",
        "action": "connect",
        "web-socket-session-id": "abcd1234",
        "value": ["5WT00001"],
        "request-id": 3,
    }
    assert h.handle(s, msg("connect", value="5WT00002")) == {
        "status": "ok",
        "action": "connect",
        "web-socket-session-id": "abcd1234",
        "value": ["5WT00002"],
    }


def test_errors() -> None:
    h, s = hub(), StreamSession("abcd1234")
    assert h.handle(s, msg("heartbeat", token="Bearer Bearer good"))["message"] == "failed"  # type: ignore[index]
    assert h.handle(s, msg("public-watchlists-subscribe"))["message"] == "connect-not-completed"  # type: ignore[index]
    assert h.handle(s, msg("connect", value=["5WT00099"]))["status"] == "error"  # type: ignore[index]
    assert h.handle(s, "{not json")["status"] == "error"  # type: ignore[index]
    h.handle(s, msg("connect", value=["5WT00001"]))
    assert h.handle(s, msg("heartbeat", token="Bearer other"))["message"] == "failed"  # type: ignore[index]
    assert h.handle(s, msg("dance"))["message"] == "not implemented"  # type: ignore[index]


def test_notifications_reach_only_sessions_of_that_account() -> None:
    h = hub()
    a, b = StreamSession("aaaaaaaa"), StreamSession("bbbbbbbb")
    h._sessions = {"a": a, "b": b}
    h.handle(a, msg("connect", value=["5WT00001"]))
    h.handle(b, msg("connect", value=["5WT00002"]))
    h.publish("5WT00001", "Order", {"id": 1})
    assert a.queue.qsize() == 1
    assert b.queue.qsize() == 0
    assert orjson.loads(a.queue.get_nowait()) == {
        "type": "Order",
        "data": {"id": 1},
        "timestamp": 1_700_000_000_000,
    }


def test_a_slow_consumer_is_dropped_not_waited_for() -> None:
    h, s = hub(), StreamSession("aaaaaaaa")
    h._sessions = {"a": s}
    h.handle(s, msg("connect", value=["5WT00001"]))
    for i in range(QUEUE_LIMIT + 1):
        h.publish("5WT00001", "Order", {"id": i})
    assert s.closing == 1008
