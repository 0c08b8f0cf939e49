"""Server lifecycle: ``--state`` persistence across restarts, the CLI banner, determinism,
quote alerts pushed on the streamer."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from sandbox.server import SandboxServer
from tests.integration.sandbox_trading.conftest import (
    ACCOUNT,
    UA,
    Session,
    Streamer,
    config,
    login,
    market_order,
)
from tests.support import eventually


async def _fill_one(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    order = (await client.post(f"/accounts/{ACCOUNT}/orders", json=body, headers=headers)).json()[
        "data"
    ]["order"]

    async def filled() -> dict[str, Any]:
        data: dict[str, Any] = (
            await client.get(f"/accounts/{ACCOUNT}/orders/{order['id']}", headers=headers)
        ).json()["data"]
        return data if data["status"] == "Filled" else {}

    return await eventually(filled, timeout=10)


async def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox-state.json"
    async with (
        SandboxServer(config(state_file=state_file)) as server,
        httpx.AsyncClient(base_url=server.base_url, headers=UA) as client,
    ):
        headers = {"Authorization": f"Bearer {await login(client)}"}
        order = await _fill_one(client, headers, market_order(quantity=7))
        await client.post(
            "/watchlists",
            json={"name": "keep", "watchlist-entries": [{"symbol": "AAPL"}]},
            headers=headers,
        )
        balance = (await client.get(f"/accounts/{ACCOUNT}/balances", headers=headers)).json()[
            "data"
        ]
    assert state_file.exists()
    async with (
        SandboxServer(config(state_file=state_file)) as server,
        httpx.AsyncClient(base_url=server.base_url, headers=UA) as client,
    ):
        headers = {"Authorization": f"Bearer {await login(client)}"}
        again = (
            await client.get(f"/accounts/{ACCOUNT}/orders/{order['id']}", headers=headers)
        ).json()["data"]
        assert again["legs"] == order["legs"]
        positions = (await client.get(f"/accounts/{ACCOUNT}/positions", headers=headers)).json()[
            "data"
        ]["items"]
        assert [(p["symbol"], p["quantity"]) for p in positions] == [("AAPL", "7")]
        restored = (await client.get(f"/accounts/{ACCOUNT}/balances", headers=headers)).json()[
            "data"
        ]
        assert restored["cash-balance"] == balance["cash-balance"]
        txs = (await client.get(f"/accounts/{ACCOUNT}/transactions", headers=headers)).json()[
            "data"
        ]["items"]
        assert len(txs) == 1
        names = [
            w["name"]
            for w in (await client.get("/watchlists", headers=headers)).json()["data"]["items"]
        ]
        assert names == ["keep"]
        new = (
            await client.post(f"/accounts/{ACCOUNT}/orders", json=market_order(), headers=headers)
        ).json()
        assert new["data"]["order"]["id"] > order["id"]


async def test_cli_prints_urls_and_credentials_and_flushes_state_on_sigterm(tmp_path: Path) -> None:
    state_file = tmp_path / "cli-state.json"
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        "--seed",
        "7",
        "--state",
        str(state_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any("admin secret" in line for line in lines):
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, "sandbox exited before printing its banner"
            lines.append(line.decode())
        print(f"sandbox CLI banner after {time.monotonic() - started:.2f}s")
        text = "".join(lines)
        for needle in (
            "http://127.0.0.1:",
            "/streamer",
            "/dxlink",
            "sandbox-client-secret",
            "sandbox-refresh-token",
            "5WT00001",
        ):
            assert needle in text
        base = next(line.split()[-1] for line in lines if "base URL" in line)
        async with httpx.AsyncClient(base_url=base, headers=UA) as client:
            assert (await client.get("/customers/me")).status_code == 401
            headers = {"Authorization": f"Bearer {await login(client)}"}
            await client.post("/watchlists", json={"name": "cli"}, headers=headers)
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 15) == 0
        assert b'"cli"' in state_file.read_bytes()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _fills_for(seed: int) -> list[Decimal]:
    async with (
        SandboxServer(config(seed=seed, clock_speed=0.0)) as server,
        httpx.AsyncClient(base_url=server.base_url, headers=UA) as client,
    ):
        headers = {"Authorization": f"Bearer {await login(client)}"}
        prices = []
        for symbol in ("AAPL", "SPY", "QQQ"):
            order = await _fill_one(client, headers, market_order(symbol=symbol, quantity=3))
            prices.append(Decimal(order["legs"][0]["fills"][0]["fill-price"]))
        return prices


async def test_same_seed_gives_the_same_prices_and_fills() -> None:
    first = await _fills_for(11)
    second = await _fills_for(11)
    other = await _fills_for(12)
    assert first == second
    assert first != other


async def test_quote_alert_triggers_and_is_pushed(session: Session, streamer: Streamer) -> None:
    ack = await streamer.send("quote-alerts-subscribe")
    assert ack["status"] == "ok"
    mark = session.server.market.book("AAPL").mark
    created = await session.post(
        "/quote-alerts",
        {"symbol": "AAPL", "field": "Last", "operator": ">", "threshold": str(mark / 2)},
    )
    assert created.status_code == 201
    alert_id = created.json()["data"]["alert-external-id"]
    await streamer.until(lambda _: bool(streamer.of("QuoteAlert")))
    pushed = streamer.of("QuoteAlert")[0]
    assert pushed["alert-external-id"] == alert_id
    assert pushed["triggered-at"]
    deleted = await session.client.delete(f"/quote-alerts/{alert_id}", headers=session.auth)
    assert deleted.status_code == 204
    assert (await session.get("/quote-alerts")).json()["data"]["items"] == []


async def test_private_watchlist_crud(session: Session) -> None:
    body = {
        "name": "tech",
        "group-name": "main",
        "watchlist-entries": [{"symbol": "AAPL", "instrument-type": "Equity"}],
    }
    assert (await session.post("/watchlists", body)).status_code == 201
    assert (await session.post("/watchlists", body)).status_code == 422
    updated = await session.client.put(
        "/watchlists/tech", json={"watchlist-entries": [{"symbol": "SPY"}]}, headers=session.auth
    )
    assert updated.json()["data"]["watchlist-entries"] == [{"symbol": "SPY"}]
    deleted = await session.client.delete("/watchlists/tech", headers=session.auth)
    assert deleted.status_code == 200
    assert (await session.get("/watchlists/tech")).status_code == 404
    public = (await session.get("/public-watchlists")).json()["data"]["items"]
    assert public
    assert all(w["watchlist-entries"] for w in public)


async def test_public_watchlists_subscription_pushes_the_current_lists(
    session: Session, streamer: Streamer
) -> None:
    ack = await streamer.send("public-watchlists-subscribe")
    assert ack["status"] == "ok"
    await streamer.until(lambda _: len(streamer.of("PublicWatchlists")) >= 3)
    rest = (await session.get("/public-watchlists")).json()["data"]["items"]
    assert streamer.of("PublicWatchlists") == rest


async def test_serve_forever_reports_ready_and_stops_on_cancel() -> None:
    from sandbox.server import serve_forever

    ready: list[SandboxServer] = []
    task = asyncio.create_task(serve_forever(config(), on_ready=ready.append))

    async def started() -> bool:
        return bool(ready)

    await eventually(started, timeout=10)
    server = ready[0]
    assert "5WT00001 (margin)" in server.banner()
    async with httpx.AsyncClient(base_url=server.base_url, headers=UA) as client:
        assert (await client.get("/customers/me")).status_code == 401
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert server.state == "stopped"
