"""Tastytrade's own JS SDK (``@tastytrade/api`` 7.0.2, pinned in ``js/``), unchanged, run in Node
against the sandbox: it must get a token with its own User-Agent (``tastytrade-sdk-js``), read
REST, and receive Quote, Trade, Summary and Profile through its quote streamer — dxFeed's
``@dxfeed/dxlink-api``, which sends ``FEED_SETUP`` without ``acceptEventFields`` and decodes
COMPACT data only by the fields the server announces in ``FEED_CONFIG``.

dxLink drops a frame it cannot decode with only a console error ("Cannot parse data"); the
script reports every console error/warning as a line, and any of them fails the test.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest

from sandbox.dxlink_events import FIELDS
from sandbox.server import SandboxServer
from tests.integration.third_party.node_sdk import SCRIPT, ensure_sdk, node_executable

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

SYMBOLS = ("SPY", "BTC/USD:CXTALP")
WANTED_TYPES = ("Quote", "Trade", "Summary", "Profile")
RUN_TIMEOUT_S = 60.0


async def run_sdk(sandbox: SandboxServer) -> tuple[int | None, list[dict[str, Any]], str]:
    sdk = await asyncio.to_thread(ensure_sdk)
    no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    env = {
        **os.environ,
        "NO_PROXY": no_proxy,
        "no_proxy": no_proxy,
        "TT_JS_SDK_DIR": str(sdk),
        "TT_BASE_URL": sandbox.base_url,
        "TT_STREAMER_URL": sandbox.streamer_url,
        "TT_CLIENT_SECRET": sandbox.config.client_secret,
        "TT_REFRESH_TOKEN": sandbox.config.refresh_token,
        "TT_SYMBOLS": ",".join(SYMBOLS),
        "TT_WANT_TYPES": ",".join(WANTED_TYPES),
        "TT_TIMEOUT_MS": str(int((RUN_TIMEOUT_S - 15) * 1000)),
    }
    proc = await asyncio.create_subprocess_exec(
        node_executable(),
        str(SCRIPT),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT_S)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    return proc.returncode, lines, err.decode()


async def test_official_js_sdk_gets_a_token_and_quotes_with_default_fields(
    sandbox: SandboxServer,
) -> None:
    code, lines, stderr = await run_sdk(sandbox)
    logs = [line for line in lines if line["kind"] == "log"]
    assert not logs, f"the SDK or dxLink complained: {logs[:5]}"
    done = [line for line in lines if line["kind"] == "done"]
    assert done == [{"kind": "done", "complete": True}], (done, stderr[-2000:])
    assert code == 0, stderr[-2000:]

    (token,) = [line for line in lines if line["kind"] == "token"]
    assert token["expiresIn"] > 0  # the refresh grant, sent with User-Agent tastytrade-sdk-js
    (accounts,) = [line for line in lines if line["kind"] == "accounts"]
    assert accounts["numbers"] == ["5WT00001", "5WT00002", "5WT00003"]

    events = [line["event"] for line in lines if line["kind"] == "event"]
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        first.setdefault((event["eventType"], event["eventSymbol"]), event)
        # decoded by the announced default fields: exactly the spec's field set, no leftovers
        assert set(event) == set(FIELDS[event["eventType"]]), event
    assert {(t, s) for t in WANTED_TYPES for s in SYMBOLS} <= set(first)
    for symbol in SYMBOLS:
        quote = first["Quote", symbol]
        assert 0 < quote["bidPrice"] < quote["askPrice"]
        trade = first["Trade", symbol]
        assert trade["price"] > 0
        assert isinstance(trade["dayId"], int)
        summary = first["Summary", symbol]
        assert summary["openInterest"] == 0  # a long: 0 for an ETF and a coin, never "NaN"
        assert summary["prevDayClosePrice"] > 0
        profile = first["Profile", symbol]
        assert isinstance(profile["description"], str)
        assert profile["description"]
        assert profile["statusReason"] is None
