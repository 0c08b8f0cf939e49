"""Issue 9 §4: the sandbox answers 4xx, never 500, and a dry-run is as strict as placement.

Each reproduction from the issue is one case here, sent over HTTP to the in-process app."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from sandbox.bounds import InputError
from tests.unit.sandbox_trading.conftest import Api, equity_order

ACCOUNT = "5WT00001"
ADMIN = {"X-Sandbox-Admin": "sandbox-admin"}
ORDERS = f"/accounts/{ACCOUNT}/orders"


async def post_raw(api: Api, path: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    """POST ``body`` as written (JSON numbers like ``1e400`` survive, unlike ``json=``)."""
    return await api.client.post(
        path, content=body, headers={"Content-Type": "application/json", **(headers or {})}
    )


def limit(price: Any) -> dict[str, Any]:
    return equity_order(order_type="Limit", price=price, **{"price-effect": "Debit"})


async def resting_order(api: Api) -> str:
    """A limit buy below the market, walked to ``Live``; returns its path."""
    order_id = (await api.post(ORDERS, limit("150.00")))["order"]["id"]
    for _ in range(5):
        api.runtime.engine.step()
    assert api.runtime.state.orders[order_id].status == "Live"
    return f"{ORDERS}/{order_id}"


# ----- numbers the fee and ledger code cannot compute with: 400 at the boundary ------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (equity_order(quantity="1e30"), "legs[0].quantity"),
        (equity_order(quantity="9" * 400), "legs[0].quantity"),
        (limit("1e999999999"), "price"),
        (limit("NaN"), "price"),
        (limit("0.000000000001"), "price"),
        (equity_order(order_type="Stop", **{"stop-trigger": "-Infinity"}), "stop-trigger"),
        (equity_order(order_type="Notional Market", value="1e40"), "value"),
        (equity_order(behavior="delayed", delay=1e300), "delay"),
    ],
    ids=["qty-1e30", "qty-400-digits", "price-1e999999999", "price-nan", "price-12-places",
         "stop-infinity", "value-1e40", "delay-1e300"],
)  # fmt: skip
@pytest.mark.parametrize("path", ["/dry-run", ""], ids=["dry-run", "place"])
async def test_unusable_numbers_are_400_naming_the_field(
    api: Api, body: dict[str, Any], field: str, path: str
) -> None:
    response = await api.client.post(ORDERS + path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith(field)
    assert api.runtime.state.orders == {}


@pytest.mark.parametrize(
    "body",
    [
        orjson.dumps(equity_order()).replace(b'"quantity":10', b'"quantity":1e400'),
        orjson.dumps(equity_order()).replace(b'"quantity":10', b'"quantity":NaN'),
        orjson.dumps(equity_order()).replace(b'"AAPL"', b'"\\ud800"'),
        b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser's recursion
    ],
    ids=["number-1e400", "nan-literal", "lone-surrogate", "nested-100000-deep"],
)
@pytest.mark.parametrize(
    "path", [f"{ORDERS}/dry-run", ORDERS, f"/margin/accounts/{ACCOUNT}/dry-run", "/quote-alerts"]
)
async def test_a_body_that_is_not_strict_json_is_400(api: Api, body: bytes, path: str) -> None:
    response = await post_raw(api, path, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("body must be JSON (")


# ----- orders placement refuses: the dry-run refuses them the same way ---------------------------
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (equity_order(order_type=""), "invalid_order_type"),
        (equity_order(quantity=0), "invalid_quantity"),
        (equity_order(quantity=-5), "invalid_quantity"),
        (equity_order(symbol="ZZZZNOPE"), "invalid_symbol"),
        (limit("-1"), "invalid_price"),
        (limit(-1), "invalid_price"),
        (equity_order(order_type="Stop", **{"stop-trigger": "0"}), "invalid_stop_trigger"),
    ],
    ids=["empty-type", "qty-0", "qty-minus-5", "unknown-symbol", "price-minus-1",
         "price-minus-1-number", "stop-trigger-0"],
)  # fmt: skip
async def test_dry_run_refuses_what_placement_refuses(
    api: Api, body: dict[str, Any], code: str
) -> None:
    dry = await api.client.post(f"{ORDERS}/dry-run", json=body)
    placed = await api.client.post(ORDERS, json=body)
    assert (dry.status_code, placed.status_code) == (422, 422), (dry.text, placed.text)
    assert dry.json() == placed.json()
    error = dry.json()["error"]
    assert error["code"] == "preflight_check_failure"
    assert code in [e["code"] for e in error["errors"]]
    assert api.runtime.state.orders == {}


async def test_a_replace_dry_run_is_checked_like_the_replacement(api: Api) -> None:
    path = await resting_order(api)
    bad = {"order-type": "Limit", "price": "-2", "price-effect": "Debit"}
    dry = await api.client.post(f"{path}/dry-run", json=bad)
    real = await api.client.put(path, json=bad)
    assert (dry.status_code, real.status_code) == (422, 422), (dry.text, real.text)
    assert dry.json() == real.json()
    assert [e["code"] for e in dry.json()["error"]["errors"]] == ["invalid_price"]
    good = {"order-type": "Limit", "price": "151.00", "price-effect": "Debit"}
    preview = await api.post(f"{path}/dry-run", good)
    assert preview["order"]["price"] == "151.0"
    assert "id" not in preview["order"]


async def test_a_complex_dry_run_is_checked_like_the_placement(api: Api) -> None:
    body = {
        "type": "OCO",
        "orders": [limit("250.00"), equity_order(symbol="ZZZZNOPE", order_type="Stop")],
    }
    dry = await api.client.post(f"/accounts/{ACCOUNT}/complex-orders/dry-run", json=body)
    placed = await api.client.post(f"/accounts/{ACCOUNT}/complex-orders", json=body)
    assert (dry.status_code, placed.status_code) == (422, 422), (dry.text, placed.text)
    assert dry.json() == placed.json()
    errors = dry.json()["error"]["errors"]
    assert ("invalid_symbol", 1) in [(e["code"], e.get("preflight-id")) for e in errors]
    assert api.runtime.state.orders == {}


async def test_an_edit_with_an_unusable_price_is_400(api: Api) -> None:
    response = await api.client.patch(await resting_order(api), json={"price": "1e999999999"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith("price ")


# ----- the admin API -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"accounts/{ACCOUNT}/deposit", b'{"amount": "NaN"}'),
        (f"accounts/{ACCOUNT}/deposit", b'{"amount": "Infinity"}'),
        (f"accounts/{ACCOUNT}/deposit", b'{"amount": 1e400}'),
        (f"accounts/{ACCOUNT}/deposit", b'{"amount": "1e999999999"}'),
        ("clock", b'{"advance": 1e300}'),
        ("clock", b'{"advance": NaN}'),
        ("clock", b"[" * 100_000 + b"]" * 100_000),
        ("clock", b'{"set": "9999-12-31T23:59:59Z"}'),
        ("clock", b'{"set": "9999-12-31T23:59:59-05:00"}'),
        ("clock", b'{"set": "1969-07-20T20:17:40Z"}'),
        ("clock", b'{"set": 20261125}'),
        ("clock", b'{"speed": -1}'),
        ("clock", b'{"speed": 1e300}'),
        ("streams/freeze", b'{"stream": "all", "seconds": NaN}'),
        ("streams/freeze", b'{"stream": "all", "seconds": "NaN"}'),
        ("streams/freeze", b'{"stream": "all"}'),
        ("streams/drop", b'{"stream": "all", "code": 1e400}'),
        ("streams/drop", b'{"stream": "all", "code": 99}'),
        ("fills/delay", b'{"seconds": 1e400}'),
        ("fills/delay", b'{"seconds": -1}'),
        ("rest/fail", b'{"count": -5, "kind": "500"}'),
        ("rest/fail", b'{"count": 2.5, "kind": "500"}'),
        ("rest/fail", b'{"count": true, "kind": "500"}'),
        ("rest/fail", b'{"count": 1, "kind": "timeout", "hang-seconds": Infinity}'),
        ("orders/reject", b'{"count": -1}'),
    ],
)
async def test_admin_numbers_out_of_bounds_are_400(api: Api, path: str, body: bytes) -> None:
    before = api.runtime.admin.status()
    cash = api.runtime.engine.ledger(ACCOUNT).cash
    response = await post_raw(api, f"/_sandbox/{path}", body, ADMIN)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["message"]
    assert api.runtime.admin.status() == before  # nothing armed, the clock where it was
    assert api.runtime.engine.ledger(ACCOUNT).cash == cash


async def test_admin_numbers_in_bounds_still_work(api: Api) -> None:
    admin = api.runtime.admin
    await post_raw(api, "/_sandbox/rest/fail", b'{"count": 0, "kind": "500"}', ADMIN)
    assert admin.status()["faults"]["pending-rest-faults"] == []
    response = await post_raw(api, "/_sandbox/fills/delay", b'{"seconds": "2.5"}', ADMIN)
    assert response.status_code == 200, response.text
    assert admin.faults.fill_delay == 2.5
    response = await post_raw(api, "/_sandbox/clock", b'{"set": "2199-12-31T23:59:59Z"}', ADMIN)
    assert response.json()["data"]["now"] == "2199-12-31T23:59:59.000+00:00"
    response = await post_raw(api, "/_sandbox/clock", b'{"advance": 1}', ADMIN)
    assert response.status_code == 400  # one second past the last supported instant
    response = await post_raw(api, "/_sandbox/clock", b'{"advance": -86400}', ADMIN)
    assert response.json()["data"]["now"] == "2199-12-30T23:59:59.000+00:00"
    response = await post_raw(
        api, f"/_sandbox/accounts/{ACCOUNT}/deposit", b'{"amount": "-250.50"}', ADMIN
    )
    assert response.status_code == 200, response.text
    assert (response.json()["data"]["value"], response.json()["data"]["value-effect"]) == (
        "250.5",
        "Debit",
    )


async def test_the_python_twin_refuses_the_same_values(api: Api) -> None:
    admin = api.runtime.admin
    with pytest.raises(InputError):
        admin.delay_fills(float("nan"))
    with pytest.raises(InputError):
        admin.fail_rest(-5, "500")
    with pytest.raises(InputError):
        admin.deposit(ACCOUNT, "Infinity")
    with pytest.raises(ValueError, match="2199"):
        admin.set_clock(datetime(9999, 12, 31, tzinfo=UTC))
    assert admin.faults.status()["pending-rest-faults"] == []


# ----- quote alerts: the same bounds --------------------------------------------------------
@pytest.mark.parametrize(
    "extra",
    [
        b'"threshold": "NaN"',
        b'"threshold": 1e400',
        b'"threshold": "1e999999999"',
        b'"threshold": "200", "expires-at": 100000000000000000000000',
        b'"threshold": "200", "dx-symbol": "\\ud800"',
    ],
)
async def test_quote_alert_numbers_and_text_out_of_bounds_are_400(api: Api, extra: bytes) -> None:
    body = b'{"symbol": "AAPL", "field": "Last", "operator": ">", ' + extra + b"}"
    response = await post_raw(api, "/quote-alerts", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert api.runtime.state.alerts == {}
