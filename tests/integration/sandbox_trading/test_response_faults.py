"""Ambiguous outcomes: ``rest/delay-response`` and ``rest/lose-response``.

Both let the request take effect at once; the first holds the answer, the second closes the
connection without one. Either way the order exists at the sandbox, findable by its
``external-identifier``.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.integration.sandbox_trading.conftest import ACCOUNT, ADMIN, Session, limit_order
from tests.support import eventually

ORDERS = f"/accounts/{ACCOUNT}/orders"


def _tagged(external_id: str) -> dict[str, object]:
    body = limit_order("1.00", "Debit", "Buy to Open")
    body["external-identifier"] = external_id
    return body


async def _with_external_id(session: Session, external_id: str) -> list[dict[str, object]]:
    response = await session.get(f"{ORDERS}/live")
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["data"]["items"]
    return [o for o in items if o.get("external-identifier") == external_id]


async def test_delayed_response_takes_effect_before_it_is_answered(session: Session) -> None:
    await session.admin("rest/delay-response", {"seconds": 3, "count": 1, "path": ORDERS})
    started = time.monotonic()
    place = asyncio.create_task(session.post(ORDERS, _tagged("cmd-delay")))
    found = await eventually(lambda: _with_external_id(session, "cmd-delay"), timeout=2.5)
    assert not place.done(), "the order must exist while its response is still held"
    assert len(found) == 1
    response = await place
    assert time.monotonic() - started >= 2.9
    assert response.status_code == 201, response.text
    assert response.json()["data"]["order"]["id"] == found[0]["id"]


async def test_delay_only_hits_its_path_and_count(session: Session) -> None:
    await session.admin("rest/delay-response", {"seconds": 30, "count": 1, "path": ORDERS})
    quick = await session.get("/customers/me")  # other path: not held
    assert quick.status_code == 200
    status = (await session.client.get("/_sandbox/status", headers=ADMIN)).json()["data"]
    assert status["faults"]["pending-response-faults"] == ["delay"]


async def test_lost_response_closes_the_connection_but_the_order_exists(session: Session) -> None:
    await session.admin("rest/lose-response", {"count": 1, "path": ORDERS})
    with pytest.raises(httpx.TransportError):
        await session.post(ORDERS, _tagged("cmd-lost"))
    found = await _with_external_id(session, "cmd-lost")
    assert len(found) == 1
    again = await session.post(ORDERS, _tagged("cmd-next"))  # the fault fired once only
    assert again.status_code == 201, again.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("rest/delay-response", {"seconds": -1}),
        ("rest/delay-response", {"seconds": 1e9}),
        ("rest/delay-response", {"seconds": 1, "count": -2}),
        ("rest/delay-response", {}),
        ("rest/lose-response", {"count": 10**9}),
        ("rest/lose-response", {"path": "no-slash"}),
        ("rest/lose-response", {"path": 5}),
    ],
)
async def test_response_fault_inputs_are_bounded(
    session: Session, path: str, body: dict[str, object]
) -> None:
    response = await session.client.post(f"/_sandbox/{path}", json=body, headers=ADMIN)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
