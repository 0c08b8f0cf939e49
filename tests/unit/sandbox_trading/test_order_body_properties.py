"""Property: whatever JSON arrives as an order, dry-run and placement answer 2xx or 4xx — never
500 — and agree: the dry-run accepts exactly what placement accepts; what placement refuses, the
dry-run refuses with the same status and error body when the order cannot be formed, and reports
with the same nested errors inside its 201 preview otherwise (§7.2)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.orders import ACTIONS, ORDER_TYPES, TIME_IN_FORCE
from sandbox.preflight import refused_by_dry_run
from tests.unit.sandbox_trading.conftest import open_api
from tests.unit.sandbox_trading.fakes import INSTRUMENTS, SPY_CALL

ACCOUNT = "5WT00001"
ORDERS = f"/accounts/{ACCOUNT}/orders"

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.text(st.characters(exclude_categories=()), max_size=4),  # lone surrogates too
    st.text(min_size=256, max_size=300),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
numbers = st.one_of(
    st.integers(min_value=-1000, max_value=1000),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        [
            "1e30",
            "9" * 400,
            "1e999999999",
            "1e-999999999",
            "-1",
            "0",
            "0.5",
            "1.25",
            "150.00",
            "NaN",
            "Infinity",
            "-Infinity",
            "sNaN",
            "1_000",
            "",
            "abc",
            "0.00000001",
            "5",
        ]
    ),
    junk,
)


def mostly(options: list[Any]) -> st.SearchStrategy[Any]:
    """One of ``options`` nine times in ten, else junk."""
    return st.integers(0, 9).flatmap(lambda i: junk if i == 0 else st.sampled_from(options))


TRADABLE = ["AAPL", "SPY", SPY_CALL, "/ESZ6", "BTC/USD"]
TOP_LEVEL = {
    "order-type": mostly([*ORDER_TYPES, ""]),
    "time-in-force": mostly([*TIME_IN_FORCE, "Forever"]),
    "price": numbers,
    "price-effect": mostly(["Debit", "Credit", "None"]),
    "stop-trigger": numbers,
    "value": numbers,
    "value-effect": mostly(["Debit", "Credit"]),
    "gtc-date": mostly(["2026-12-31", "2026-11-01", "tomorrow"]),
    "behavior": mostly(["immediate", "delayed", "never", "reject", "partial"]),
    "delay": st.one_of(numbers, st.sampled_from(["PT5S", "P1D", "P99999999D"])),
    "advanced-instructions": st.one_of(
        st.fixed_dictionaries({"strict-position-effect-validation": junk}), junk
    ),
    "external-identifier": junk,
    "source": junk,
    "preflight-id": junk,
    "rules": junk,
    "legs": st.one_of(junk, st.lists(junk, max_size=2)),
}
LEG = {
    "symbol": mostly([*INSTRUMENTS, "ZZZZNOPE", ""]),
    "action": mostly(list(ACTIONS)),
    "quantity": numbers,
    "instrument-type": mostly(["Equity", "Equity Option", "Future", "Bond"]),
}


@st.composite
def order_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed order of some kind, then zero to three fields changed or removed."""
    symbol = draw(st.sampled_from(TRADABLE))
    inst = INSTRUMENTS[symbol]
    kind = draw(st.sampled_from(["Market", "Limit", "Stop", "Stop Limit", "Notional Market"]))
    buy = draw(st.booleans())
    leg: dict[str, Any] = {
        "instrument-type": inst.instrument_type,
        "symbol": symbol,
        "action": draw(st.sampled_from(ACTIONS[0:4:2] if buy else ACTIONS[1:4:2])),
        "quantity": draw(st.sampled_from(["0.01", "0.5"]))
        if inst.instrument_type == "Cryptocurrency"
        else draw(st.integers(min_value=1, max_value=20)),
    }
    body: dict[str, Any] = {"order-type": kind, "time-in-force": "Day", "legs": [leg]}
    effect = "Debit" if buy else "Credit"
    if kind in ("Limit", "Stop Limit"):
        cents = draw(st.integers(min_value=1, max_value=100_000))
        body |= {"price": f"{cents / 100:.2f}", "price-effect": effect}
    if kind in ("Stop", "Stop Limit"):
        body["stop-trigger"] = f"{draw(st.integers(min_value=1, max_value=100_000)) / 100:.2f}"
    if kind == "Notional Market":
        del leg["quantity"]
        body |= {
            "value": str(draw(st.integers(min_value=1, max_value=5000))),
            "value-effect": effect,
        }
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        on_leg = draw(st.booleans())
        target, fields = (leg, LEG) if on_leg else (body, TOP_LEVEL)
        key = draw(st.sampled_from(sorted(fields)))
        if draw(st.integers(0, 4)) == 0:
            target.pop(key, None)
        else:
            target[key] = draw(fields[key])
    return body


bodies = st.integers(0, 9).flatmap(lambda i: junk if i == 0 else order_bodies())


async def post(client: httpx.AsyncClient, path: str, body: Any) -> httpx.Response:
    text = json.dumps(body, allow_nan=True)  # NaN / Infinity as Python's JSON writes them
    return await client.post(path, content=text, headers={"Content-Type": "application/json"})


async def dry_run_then_place(body: Any) -> tuple[httpx.Response, httpx.Response, int]:
    async with open_api(raise_app_exceptions=False) as api:
        dry = await post(api.client, f"{ORDERS}/dry-run", body)
        placed_before = len(api.runtime.state.orders)
        placed = await post(api.client, ORDERS, body)
        return dry, placed, len(api.runtime.state.orders) - placed_before


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_dry_run_and_placement_never_500_and_agree(body: Any) -> None:
    dry, placed, new_orders = asyncio.run(dry_run_then_place(body))
    assert dry.status_code < 500, dry.text
    assert placed.status_code < 500, placed.text
    if placed.status_code == 422 and dry.status_code == 201:
        # the account's or market's checks: reported in the preview, refused by placement
        reported = dry.json()["data"]["errors"]
        assert reported == placed.json()["error"]["errors"]
        assert not refused_by_dry_run([e["code"] for e in reported])
        assert new_orders == 0
        return
    assert dry.status_code == placed.status_code, (dry.text, placed.text)
    if placed.status_code == 201:
        assert new_orders == 1
        preview, result = dry.json()["data"], placed.json()["data"]
        assert "id" not in preview["order"]
        assert "errors" not in preview
        assert result["order"]["id"]
        for key in ("warnings", "buying-power-effect", "fee-calculation"):
            assert preview[key] == result[key], key
    else:
        assert placed.status_code in (400, 422), placed.text
        assert dry.json() == placed.json()
        assert new_orders == 0
