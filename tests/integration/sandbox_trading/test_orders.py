"""Orders end to end over sockets: place → fill → position/balance, notifications in order,
cancel, replace, an OTOCO and an OCO flow, external-identifier search."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.integration.sandbox_trading.conftest import (
    ACCOUNT,
    Session,
    Streamer,
    limit_order,
    market_order,
)
from tests.support import eventually


def statuses(stream: Streamer, order_id: int) -> list[str]:
    return [o["status"] for o in stream.of("Order") if o.get("id") == order_id]


async def test_market_order_fills_and_streams_every_change_in_order(
    session: Session, streamer: Streamer
) -> None:
    before = (await session.get(f"/accounts/{ACCOUNT}/balances")).json()["data"]
    placed = await session.post(
        f"/accounts/{ACCOUNT}/orders", market_order() | {"external-identifier": "cmd-1"}
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["data"]["order"]["id"]
    await streamer.until(
        lambda _: any(f.get("type") == "AccountBalance" for f in streamer.received)
    )
    kinds = [f["type"] for f in streamer.received if "type" in f]
    assert statuses(streamer, order_id) == ["Routed", "In Flight", "Live", "Filled"]
    assert kinds[-2:] == ["CurrentPosition", "AccountBalance"]
    for frame in streamer.received:
        assert set(frame) == {"type", "data", "timestamp"}
    filled = streamer.of("Order")[-1]
    fill = filled["legs"][0]["fills"][0]
    price = Decimal(fill["fill-price"])
    positions = (await session.get(f"/accounts/{ACCOUNT}/positions")).json()["data"]["items"]
    (aapl,) = [p for p in positions if p["symbol"] == "AAPL"]
    assert (aapl["quantity"], aapl["quantity-direction"]) == ("10", "Long")
    assert Decimal(aapl["average-open-price"]) == price
    assert streamer.of("CurrentPosition")[-1] == {**aapl}
    after = (await session.get(f"/accounts/{ACCOUNT}/balances")).json()["data"]
    (tx,) = (await session.get(f"/accounts/{ACCOUNT}/transactions")).json()["data"]["items"]
    fees = Decimal(tx["clearing-fees"])
    assert Decimal(after["cash-balance"]) == Decimal(before["cash-balance"]) - price * 10 - fees
    assert streamer.of("AccountBalance")[-1]["cash-balance"] == after["cash-balance"]
    found = (
        await session.get(f"/accounts/{ACCOUNT}/orders", **{"external-identifier": "cmd-1"})
    ).json()
    assert [o["id"] for o in found["data"]["items"]] == [order_id]
    assert found["pagination"]["total-items"] == 1


async def test_cancel_flow(session: Session, streamer: Streamer) -> None:
    placed = await session.post(
        f"/accounts/{ACCOUNT}/orders", limit_order("1.00", "Debit", "Buy to Open")
    )
    order_id = placed.json()["data"]["order"]["id"]
    await streamer.until(lambda _: "Live" in statuses(streamer, order_id))
    cancelled = await session.client.delete(
        f"/accounts/{ACCOUNT}/orders/{order_id}", headers=session.auth
    )
    assert cancelled.json()["data"]["status"] == "Cancel Requested"
    await streamer.until(lambda _: "Cancelled" in statuses(streamer, order_id))
    assert statuses(streamer, order_id)[-2:] == ["Cancel Requested", "Cancelled"]
    again = await session.client.delete(
        f"/accounts/{ACCOUNT}/orders/{order_id}", headers=session.auth
    )
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "cannot_update_order"


async def test_replace_flow(session: Session, streamer: Streamer) -> None:
    placed = await session.post(
        f"/accounts/{ACCOUNT}/orders", limit_order("1.00", "Debit", "Buy to Open")
    )
    old_id = placed.json()["data"]["order"]["id"]
    await streamer.until(lambda _: "Live" in statuses(streamer, old_id))
    replaced = await session.client.put(
        f"/accounts/{ACCOUNT}/orders/{old_id}",
        json={
            "time-in-force": "Day",
            "order-type": "Limit",
            "price": "2.00",
            "price-effect": "Debit",
        },
        headers=session.auth,
    )
    assert replaced.status_code == 200, replaced.text
    new = replaced.json()["data"]
    assert new["replaces-order-id"] == old_id
    await streamer.until(lambda _: "Live" in statuses(streamer, new["id"]))
    old = (await session.get(f"/accounts/{ACCOUNT}/orders/{old_id}")).json()["data"]
    assert (old["status"], old["replacing-order-id"], old["edited"]) == (
        "Cancelled",
        new["id"],
        True,
    )
    assert statuses(streamer, old_id)[-2:] == ["Replace Requested", "Cancelled"]
    current = (await session.get(f"/accounts/{ACCOUNT}/orders/{new['id']}")).json()["data"]
    assert current["price"] == "2.0"


def otoco(trigger_price: str) -> dict[str, Any]:
    return {
        "type": "OTOCO",
        "trigger-order": limit_order(trigger_price, "Debit", "Buy to Open"),
        "orders": [
            limit_order("100000", "Credit", "Sell to Close"),
            {
                "time-in-force": "Day",
                "order-type": "Stop",
                "stop-trigger": "1.00",
                "legs": [
                    {
                        "instrument-type": "Equity",
                        "symbol": "AAPL",
                        "action": "Sell to Close",
                        "quantity": 10,
                    }
                ],
            },
        ],
    }


async def test_otoco_trigger_fill_releases_the_oco_pair_and_delete_cancels_it(
    session: Session, streamer: Streamer
) -> None:
    marketable = str(session.server.market.book("AAPL").ask + 5)
    placed = await session.post(f"/accounts/{ACCOUNT}/complex-orders", otoco(marketable))
    assert placed.status_code == 201, placed.text
    complex_order = placed.json()["data"]["complex-order"]
    trigger = complex_order["trigger-order"]
    children = complex_order["orders"]
    assert trigger["complex-order-tag"] == "OTOCO::trigger-order"
    assert [c["status"] for c in children] == ["Contingent", "Contingent"]
    assert all(c["contingent-status"] == "Pending Order" for c in children)
    assert all(c["complex-order-id"] == complex_order["id"] for c in children)
    await streamer.until(lambda _: "Filled" in statuses(streamer, trigger["id"]))
    for child in children:
        await streamer.until(lambda _, cid=child["id"]: "Live" in statuses(streamer, cid))
    assert any(f["type"] == "ComplexOrder" for f in streamer.received if "type" in f)
    deleted = await session.client.delete(
        f"/accounts/{ACCOUNT}/complex-orders/{complex_order['id']}", headers=session.auth
    )
    assert deleted.status_code == 200
    for child in children:
        await streamer.until(lambda _, cid=child["id"]: "Cancelled" in statuses(streamer, cid))


async def test_oco_fill_cancels_the_other_order(session: Session, streamer: Streamer) -> None:
    await session.post(f"/accounts/{ACCOUNT}/orders", market_order())
    await streamer.until(lambda _: bool(streamer.of("CurrentPosition")))
    body = {
        "type": "OCO",
        "orders": [
            limit_order("100000", "Credit", "Sell to Close"),
            limit_order("1.00", "Credit", "Sell to Close"),  # marketable: fills at the bid
        ],
    }
    placed = (await session.post(f"/accounts/{ACCOUNT}/complex-orders", body)).json()["data"]
    far, near = (o["id"] for o in placed["complex-order"]["orders"])
    await streamer.until(
        lambda _: "Filled" in statuses(streamer, near) and "Cancelled" in statuses(streamer, far)
    )
    positions = (await session.get(f"/accounts/{ACCOUNT}/positions")).json()["data"]["items"]
    assert [p for p in positions if p["symbol"] == "AAPL"] == []


async def test_dry_run_has_no_id_and_does_not_place(session: Session) -> None:
    response = await session.post(f"/accounts/{ACCOUNT}/orders/dry-run", market_order())
    assert response.status_code == 201
    data = response.json()["data"]
    assert "id" not in data["order"]
    assert (data["order"]["status"], data["order"]["updated-at"]) == ("Received", 0)
    assert data["buying-power-effect"]["effect"] == "Debit"
    live = (await session.get(f"/accounts/{ACCOUNT}/orders/live")).json()["data"]["items"]
    assert live == []


async def test_preflight_failure_is_422_with_nested_errors(session: Session) -> None:
    response = await session.post(
        f"/accounts/{ACCOUNT}/orders", limit_order("5", "Credit", "Buy to Open")
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "preflight_check_failure"
    assert {"code": "cant_buy_for_credit", "message": "You cannot buy for a credit."} in error[
        "errors"
    ]


async def test_live_orders_and_history_pagination(session: Session) -> None:
    for _ in range(3):
        await session.post(
            f"/accounts/{ACCOUNT}/orders", limit_order("1.00", "Debit", "Buy to Open")
        )
    page = (
        await session.get(f"/accounts/{ACCOUNT}/orders", **{"per-page": 2, "page-offset": 1})
    ).json()
    assert page["pagination"]["total-pages"] == 2
    assert len(page["data"]["items"]) == 1
    live = (await session.get(f"/accounts/{ACCOUNT}/orders/live")).json()["data"]["items"]
    assert len(live) == 3

    async def all_live() -> bool:
        items = (await session.get(f"/accounts/{ACCOUNT}/orders/live")).json()["data"]["items"]
        return all(o["status"] == "Live" for o in items)

    await eventually(all_live, timeout=5)


async def test_day_orders_expire_at_the_close_and_gtc_survive(
    session: Session, streamer: Streamer
) -> None:
    day = (
        await session.post(
            f"/accounts/{ACCOUNT}/orders", limit_order("1.00", "Debit", "Buy to Open")
        )
    ).json()
    gtc_body = limit_order("1.00", "Debit", "Buy to Open") | {"time-in-force": "GTC"}
    gtc = (await session.post(f"/accounts/{ACCOUNT}/orders", gtc_body)).json()
    day_id, gtc_id = day["data"]["order"]["id"], gtc["data"]["order"]["id"]
    await streamer.until(
        lambda _: "Live" in statuses(streamer, day_id) and "Live" in statuses(streamer, gtc_id)
    )
    await session.admin("clock", {"set": "2026-11-25T21:30:00+00:00"})  # 15:30 CT, after the close
    await streamer.until(lambda _: "Expired" in statuses(streamer, day_id))
    still = (await session.get(f"/accounts/{ACCOUNT}/orders/{gtc_id}")).json()["data"]
    assert still["status"] == "Live"
    closed = await session.post(
        f"/accounts/{ACCOUNT}/orders", limit_order("1.00", "Debit", "Buy to Open")
    )
    assert closed.json()["data"]["order"]["status"] == "Received"
    assert [w["code"] for w in closed.json()["data"]["warnings"]] == ["tif.next_valid_session"]
    market = await session.post(f"/accounts/{ACCOUNT}/orders", market_order())
    assert market.status_code == 422
