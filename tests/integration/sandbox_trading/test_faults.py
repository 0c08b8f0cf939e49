"""Each fault-injection kind, armed through ``/_sandbox/`` and observed by a plain client."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.integration.sandbox_trading.conftest import (
    ACCOUNT,
    ADMIN,
    Session,
    Streamer,
    limit_order,
    market_order,
)
from tests.support import eventually


async def _drain_until_closed(streamer: Streamer, timeout: float) -> None:
    """Read (and drop) frames until the server closes the socket; bounded."""
    for _ in range(100):
        await asyncio.wait_for(streamer.ws.recv(), timeout)


async def test_admin_api_needs_its_secret(session: Session) -> None:
    response = await session.client.post(
        "/_sandbox/tokens/expire", headers={"X-Sandbox-Admin": "wrong"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "admin_unauthorized"
    assert (await session.get("/customers/me")).status_code == 200


async def test_fail_next_rest_calls_with_429_then_500(session: Session) -> None:
    await session.admin("rest/fail", {"count": 1, "kind": "429"})
    await session.admin("rest/fail", {"count": 1, "kind": "500"})
    first = await session.get("/customers/me")
    second = await session.get("/customers/me")
    third = await session.get("/customers/me")
    assert [first.status_code, second.status_code, third.status_code] == [429, 500, 200]
    assert first.json()["error"]["code"] == "too_many_requests"


async def test_timeout_fault_hangs_past_the_client_timeout(session: Session) -> None:
    await session.admin("rest/fail", {"count": 1, "kind": "timeout", "hang-seconds": 2})
    with pytest.raises(httpx.ReadTimeout):
        await session.client.get("/customers/me", headers=session.auth, timeout=0.3)
    assert (await session.get("/customers/me")).status_code == 200


async def test_expire_tokens_now(session: Session) -> None:
    await session.admin("tokens/expire")
    response = await session.get("/customers/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


async def test_drop_account_streamer(session: Session, streamer: Streamer) -> None:
    dropped = (await session.admin("streams/drop", {"stream": "account"})).json()["data"]
    assert dropped["account"] == 1
    with pytest.raises(ConnectionClosed) as info:
        await _drain_until_closed(streamer, 2)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1012


async def test_freeze_account_streamer_holds_frames_then_delivers(
    session: Session, streamer: Streamer
) -> None:
    await session.admin("streams/freeze", {"stream": "account", "seconds": 1.0})
    await session.post(f"/accounts/{ACCOUNT}/orders", limit_order("1.00", "Debit", "Buy to Open"))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(streamer.ws.recv(), 0.5)
    await streamer.until(lambda received: len(received) >= 3)


async def test_malformed_and_truncated_frames_on_the_account_streamer(
    session: Session, streamer: Streamer
) -> None:
    await session.admin("streams/malformed", {"stream": "account", "kind": "truncated"})
    raw = await asyncio.wait_for(streamer.ws.recv(), 5)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw)
    await session.admin("streams/malformed", {"stream": "account", "kind": "garbage"})
    raw = await asyncio.wait_for(streamer.ws.recv(), 5)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw)


async def test_reject_next_order_and_by_symbol(session: Session) -> None:
    await session.admin("orders/reject", {"count": 1, "reason": "chaos"})
    first = (await session.post(f"/accounts/{ACCOUNT}/orders", market_order())).json()["data"][
        "order"
    ]
    second = (await session.post(f"/accounts/{ACCOUNT}/orders", market_order())).json()["data"][
        "order"
    ]

    async def settled() -> bool:
        a = (await session.get(f"/accounts/{ACCOUNT}/orders/{first['id']}")).json()["data"]
        b = (await session.get(f"/accounts/{ACCOUNT}/orders/{second['id']}")).json()["data"]
        return (a["status"], a.get("reject-reason"), b["status"]) == ("Rejected", "chaos", "Filled")

    await eventually(settled, timeout=5)


async def test_delay_fills_and_pause_symbol(session: Session) -> None:
    await session.admin("fills/delay", {"seconds": 1.0})
    order = (await session.post(f"/accounts/{ACCOUNT}/orders", market_order())).json()["data"][
        "order"
    ]

    async def status_is(wanted: str) -> bool:
        data = (await session.get(f"/accounts/{ACCOUNT}/orders/{order['id']}")).json()["data"]
        return bool(data["status"] == wanted)

    await eventually(lambda: status_is("Live"), timeout=5)
    await eventually(lambda: status_is("Filled"), timeout=5)
    await session.admin("fills/delay", {"seconds": 0})
    await session.admin("symbols/pause", {"symbol": "AAPL"})
    paused = (await session.post(f"/accounts/{ACCOUNT}/orders", market_order())).json()["data"][
        "order"
    ]
    await asyncio.sleep(0)

    async def paused_live() -> bool:
        data = (await session.get(f"/accounts/{ACCOUNT}/orders/{paused['id']}")).json()["data"]
        return bool(data["status"] == "Live")

    await eventually(paused_live, timeout=5)
    await session.admin("symbols/pause", {"symbol": "AAPL", "paused": False})

    async def filled() -> bool:
        data = (await session.get(f"/accounts/{ACCOUNT}/orders/{paused['id']}")).json()["data"]
        return bool(data["status"] == "Filled")

    await eventually(filled, timeout=5)


async def test_clock_set_and_reset(session: Session) -> None:
    clock = (await session.admin("clock", {"set": "2026-11-28T03:00:00+00:00"})).json()["data"]
    assert clock["now"].startswith("2026-11-28T03:00")
    await session.admin("clock", {"set": "2026-11-25T16:00:00+00:00"})
    await session.post(f"/accounts/{ACCOUNT}/orders", market_order())
    await session.admin("reset")
    assert (await session.get(f"/accounts/{ACCOUNT}/orders/live")).json()["data"]["items"] == []
    balance = (await session.get(f"/accounts/{ACCOUNT}/balances")).json()["data"]
    assert balance["cash-balance"] == "100000.0"


async def test_streamer_rejects_subscriptions_before_connect_and_bad_tokens(
    session: Session,
) -> None:
    async with connect(session.server.streamer_url) as ws:
        await ws.send(
            orjson.dumps(
                {"action": "quote-alerts-subscribe", "auth-token": f"Bearer {session.token}"}
            ).decode()
        )
        reply = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (reply["status"], reply["message"]) == ("error", "connect-not-completed")
        await ws.send(
            orjson.dumps(
                {
                    "action": "connect",
                    "value": ACCOUNT,
                    "auth-token": "Bearer nope",
                    "request-id": 7,
                }
            ).decode()
        )
        reply = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (reply["status"], reply["action"], reply["request-id"]) == ("error", "connect", 7)
        await ws.send(
            orjson.dumps(
                {"action": "connect", "value": ACCOUNT, "auth-token": f"Bearer {session.token}"}
            ).decode()
        )
        reply = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (reply["status"], reply["value"]) == ("ok", [ACCOUNT])
        assert "request-id" not in reply
        assert len(reply["web-socket-session-id"]) == 8


async def test_heartbeating_sessions_are_closed_when_idle(
    session: Session, streamer: Streamer
) -> None:
    ack = await streamer.send("heartbeat")
    assert (ack["status"], ack["action"]) == ("ok", "heartbeat")
    with pytest.raises(ConnectionClosed):
        await _drain_until_closed(streamer, 10)


async def _dxlink_authorized(session: Session) -> ClientConnection:
    token = (await session.get("/api-quote-tokens")).json()["data"]
    ws = await connect(token["dxlink-url"])
    setup = {
        "type": "SETUP",
        "channel": 0,
        "version": "0.1-sandbox-test",
        "keepaliveTimeout": 60,
        "acceptKeepaliveTimeout": 60,
    }
    await ws.send(orjson.dumps(setup).decode())
    await ws.send(orjson.dumps({"type": "AUTH", "channel": 0, "token": token["token"]}).decode())
    for _ in range(10):
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        if message.get("type") == "AUTH_STATE" and message.get("state") == "AUTHORIZED":
            return ws
    raise AssertionError("DXLink never authorized")


async def test_dxlink_drop_freeze_and_malformed_through_the_admin_api(session: Session) -> None:
    ws = await _dxlink_authorized(session)
    try:
        status = (await session.client.get("/_sandbox/status", headers=ADMIN)).json()["data"]
        assert status["connections"]["dxlink"] == 1
        sent = (
            await session.admin("streams/malformed", {"stream": "dxlink", "kind": "garbage"})
        ).json()["data"]
        assert sent["dxlink"] == 1
        raw = await asyncio.wait_for(ws.recv(), 5)
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(raw)
        await session.admin("streams/freeze", {"stream": "dxlink", "seconds": 0.5})
        dropped = (await session.admin("streams/drop", {"stream": "dxlink"})).json()["data"]
        assert dropped["dxlink"] == 1
        with pytest.raises(ConnectionClosed) as info:
            await _drain_socket(ws)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1012
    finally:
        await ws.close()


async def _drain_socket(ws: ClientConnection) -> None:
    for _ in range(100):
        await asyncio.wait_for(ws.recv(), 5)


async def test_expired_tokens_also_fail_dxlink_auth(session: Session) -> None:
    token = (await session.get("/api-quote-tokens")).json()["data"]
    await session.admin("tokens/expire")
    assert not session.server.runtime.tokens.validate_quote(token["token"])


async def test_account_standing_and_deposits(session: Session, streamer: Streamer) -> None:
    status = (await session.admin(f"accounts/{ACCOUNT}/status", {"is-closing-only": True})).json()[
        "data"
    ]
    assert status["is-closing-only"] is True
    await streamer.until(lambda _: bool(streamer.of("TradingStatus")))
    assert streamer.of("TradingStatus")[-1]["is-closing-only"] is True
    rest = (await session.get(f"/accounts/{ACCOUNT}/trading-status")).json()["data"]
    assert rest["is-closing-only"] is True
    refused = await session.post(f"/accounts/{ACCOUNT}/orders", market_order())
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["error"]["errors"]] == ["account_closing_only"]
    await session.admin(f"accounts/{ACCOUNT}/status", {"is-closing-only": False})
    tx = (await session.admin(f"accounts/{ACCOUNT}/deposit", {"amount": "2500"})).json()["data"]
    assert (tx["transaction-type"], tx["transaction-sub-type"], tx["value"]) == (
        "Money Movement",
        "Deposit",
        "2500.0",
    )
    await streamer.until(lambda _: bool(streamer.of("AccountBalance")))
    assert streamer.of("AccountBalance")[-1]["cash-balance"] == "102500.0"


async def test_sessions_validate_accepts_a_bearer_token(session: Session) -> None:
    ok = await session.client.post("/sessions/validate", headers=session.auth)
    assert ok.status_code == 201
    assert ok.json()["data"]["username"] == "sandbox-user"
    assert (await session.client.post("/sessions/validate")).status_code == 401


async def test_binary_and_garbage_client_frames_get_errors_not_disconnects(
    session: Session, streamer: Streamer
) -> None:
    await streamer.ws.send(b'{"action":"heartbeat","auth-token":"Bearer x"}')
    reply = orjson.loads(await asyncio.wait_for(streamer.ws.recv(), 5))
    assert (reply["status"], reply["message"]) == ("error", "failed")
    await streamer.ws.send("not json")
    reply = orjson.loads(await asyncio.wait_for(streamer.ws.recv(), 5))
    assert reply["status"] == "error"
    ack = await streamer.send("heartbeat")
    assert ack["status"] == "ok"
