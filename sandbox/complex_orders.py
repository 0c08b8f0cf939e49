"""Complex orders: OTO, OCO and OTOCO groups of ordinary orders.

* OTO — a trigger order plus 1–3 orders that sit ``Contingent`` (``contingent-status``
  "Pending Order") and route when the trigger fills; they do not cancel each other.
* OCO — two orders working at once; a fill of one cancels the other.
* OTOCO — a trigger plus an OCO pair that routes when the trigger fills.

Children carry ``complex-order-id`` and ``complex-order-tag`` (``OTOCO::trigger-order``,
``OTOCO::oco-1-order``, ``OTOCO::oco-2-order``, ``OTO::trigger-order``, ``OTO::order``,
``OCO::order``) and ``preflight-id`` 0..n. Deleting the complex order cancels every
non-terminal component.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.orders import Order, OrderError
from sandbox.preflight import refused_by_dry_run
from sandbox.wire import iso

if TYPE_CHECKING:
    from sandbox.engine import OrderEngine

COMPLEX_TYPES = ("OTO", "OCO", "OTOCO")


@dataclass
class ComplexOrder:
    account_number: str
    type: str
    order_ids: list[int] = field(default_factory=list)
    trigger_order_id: int | None = None
    id: int | None = None
    terminal_at: datetime | None = None
    external_identifier: str | None = None

    def component_ids(self) -> list[int]:
        ids = list(self.order_ids)
        if self.trigger_order_id is not None:
            ids.insert(0, self.trigger_order_id)
        return ids

    def to_wire(self, orders: Mapping[int, Order]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["account-number"] = self.account_number
        out["type"] = self.type
        if self.trigger_order_id is not None and self.trigger_order_id in orders:
            out["trigger-order"] = orders[self.trigger_order_id].to_wire()
        out["orders"] = [orders[i].to_wire() for i in self.order_ids if i in orders]
        out["related-orders"] = [
            {
                "id": str(orders[i].id),
                "complex-order-id": str(self.id),
                "complex-order-tag": orders[i].complex_order_tag or "",
                "replaces-order-id": "",
                "replacing-order-id": "",
                "status": orders[i].status,
            }
            for i in self.component_ids()
            if i in orders
        ]
        if self.terminal_at is not None:
            out["terminal-at"] = iso(self.terminal_at)
        if self.external_identifier is not None:
            out["external-identifier"] = self.external_identifier
        return out


def dry_run_wire(
    complex_type: str, account_number: str, trigger: Order | None, children: list[Order]
) -> dict[str, Any]:
    """A complex order that was not placed: no ids, children shown ``Contingent``."""
    out: dict[str, Any] = {"account-number": account_number, "type": complex_type}
    if trigger is not None:
        out["trigger-order"] = trigger.to_wire()
    out["orders"] = [child.to_wire() for child in children]
    return out


def structure_errors(complex_type: str, has_trigger: bool, child_count: int) -> list[str]:
    """Shape rules of each complex type (messages for ``invalid_complex_order``)."""
    if complex_type not in COMPLEX_TYPES:
        return [f"type must be one of {', '.join(COMPLEX_TYPES)}"]
    if complex_type == "OCO":
        if has_trigger:
            return ["OCO orders have no trigger-order"]
        if child_count != 2:
            return ["OCO needs exactly 2 orders"]
    elif complex_type == "OTO":
        if not has_trigger:
            return ["OTO needs a trigger-order"]
        if not 1 <= child_count <= 3:
            return ["OTO needs 1 to 3 orders"]
    elif complex_type == "OTOCO":
        if not has_trigger:
            return ["OTOCO needs a trigger-order"]
        if child_count != 2:
            return ["OTOCO needs exactly 2 orders"]
    return []


def tags(complex_type: str, child_count: int) -> tuple[str | None, list[str]]:
    """``(trigger tag, child tags)`` for a complex type."""
    if complex_type == "OTOCO":
        return "OTOCO::trigger-order", [f"OTOCO::oco-{i + 1}-order" for i in range(child_count)]
    if complex_type == "OTO":
        return "OTO::trigger-order", ["OTO::order"] * child_count
    return None, ["OCO::order"] * child_count


def effects_direction_errors(children: list[Order]) -> list[str]:
    """OTOCO/OCO closing orders must share one price-effect direction (tastyware#177)."""
    effects = {c.price_effect for c in children if c.price_effect}
    if len(effects) > 1:
        return ["both orders of an OCO pair must have the same price effect"]
    return []


def _invalid(messages: list[str]) -> OrderError:
    return OrderError(
        422,
        "preflight_check_failure",
        "One or more preflight checks failed",
        [{"code": "invalid_complex_order", "message": m} for m in messages],
    )


def place_complex(
    engine: OrderEngine, account_number: str, body: Any, *, dry_run: bool
) -> dict[str, Any]:
    """POST ``/accounts/{n}/complex-orders`` (and ``/dry-run``)."""
    if not isinstance(body, dict):
        raise OrderError(400, "invalid_request", "complex order body must be a JSON object")
    complex_type = str(body.get("type", ""))
    trigger_body = body.get("trigger-order")
    child_bodies = body.get("orders") or []
    if not isinstance(child_bodies, list):
        raise OrderError(400, "invalid_request", "orders must be an array")
    problems = structure_errors(complex_type, trigger_body is not None, len(child_bodies))
    if problems:
        raise _invalid(problems)
    ledger = engine.ledger(account_number)
    trigger = None
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    bpe: dict[str, Any] = {}
    fees: dict[str, Any] = {}
    if trigger_body is not None:
        trigger, pf, bpe, fees = engine.evaluate(account_number, trigger_body)
        errors += [{**e.to_wire(), "preflight-id": 0} for e in pf.errors]
        warnings += [{**w.to_wire(), "preflight-id": 0} for w in pf.warnings]
        trigger_pf = pf
        if not pf.errors:
            ledger = engine.simulate_fill(ledger, trigger)
    children = []
    child_pfs = []
    offset = 1 if trigger is not None else 0
    for index, child_body in enumerate(child_bodies):
        child, pf, child_bpe, child_fees = engine.evaluate(account_number, child_body, ledger)
        errors += [{**e.to_wire(), "preflight-id": index + offset} for e in pf.errors]
        warnings += [{**w.to_wire(), "preflight-id": index + offset} for w in pf.warnings]
        bpe = bpe or child_bpe
        fees = fees or child_fees
        children.append(child)
        child_pfs.append(pf)
    problems = effects_direction_errors(children)
    if problems:
        errors += [{"code": "invalid_complex_order", "message": m} for m in problems]
    trigger_tag, child_tags = tags(complex_type, len(children))
    for index, child in enumerate(children):
        child.complex_order_tag = child_tags[index]
        child.preflight_id = index + offset
        if trigger is not None:
            child.status = "Contingent"
            child.contingent_status = "Pending Order"
    if trigger is not None:
        trigger.complex_order_tag = trigger_tag
        trigger.preflight_id = 0
    # a dry-run refuses an order that cannot be formed like its placement does, and reports the
    # account's and market's checks in its preview (§7.2)
    if errors and (not dry_run or refused_by_dry_run([str(e["code"]) for e in errors])):
        raise OrderError(
            422, "preflight_check_failure", "One or more preflight checks failed", errors
        )
    if dry_run:
        data: dict[str, Any] = {
            "complex-order": dry_run_wire(complex_type, account_number, trigger, children),
            "warnings": warnings,
            "buying-power-effect": bpe,
            "fee-calculation": fees,
        }
        if errors:
            data["errors"] = errors
        return data
    complex_order = ComplexOrder(
        account_number=account_number,
        type=complex_type,
        id=engine.state.next_id("complex-order", 9_001),
        external_identifier=body.get("external-identifier"),
    )
    if trigger is not None:
        trigger.complex_order_id = complex_order.id
        engine.admit(trigger, trigger_pf)
        complex_order.trigger_order_id = trigger.id
    for child, pf in zip(children, child_pfs, strict=True):
        child.complex_order_id = complex_order.id
        pf.conversions = {} if trigger is not None else pf.conversions
        engine.admit(child, pf, status="Contingent" if trigger is not None else None)
        if child.id is not None:
            complex_order.order_ids.append(child.id)
    assert complex_order.id is not None
    engine.state.complex_orders[complex_order.id] = complex_order
    engine.notifier.publish(
        account_number, "ComplexOrder", complex_order.to_wire(engine.state.orders)
    )
    return {
        "complex-order": complex_order.to_wire(engine.state.orders),
        "warnings": warnings,
        "buying-power-effect": bpe,
        "fee-calculation": fees,
    }


def get_complex(engine: OrderEngine, account_number: str, complex_id: int) -> ComplexOrder:
    found = engine.state.complex_orders.get(complex_id)
    if found is None or found.account_number != account_number:
        raise OrderError(404, "complex_order_not_found", f"Complex order {complex_id} not found")
    return found


def cancel_complex(engine: OrderEngine, account_number: str, complex_id: int) -> ComplexOrder:
    """DELETE: cancel every non-terminal component."""
    complex_order = get_complex(engine, account_number, complex_id)
    orders = engine.state.orders
    live = [orders[i] for i in complex_order.component_ids() if not orders[i].is_terminal]
    if not live:
        raise OrderError(422, "cannot_update_order", "the order could not be cancelled")
    for order in live:
        if order.status == "Contingent":
            engine.cancel_now(order)
        elif order.status != "Cancel Requested":
            engine.cancel(account_number, order.id or 0)
    return complex_order


def _parent(engine: OrderEngine, order: Order) -> ComplexOrder | None:
    if order.complex_order_id is None:
        return None
    return engine.state.complex_orders.get(order.complex_order_id)


def publish_parent(engine: OrderEngine, order: Order) -> None:
    parent = _parent(engine, order)
    if parent is not None:
        engine.notifier.publish(
            order.account_number, "ComplexOrder", parent.to_wire(engine.state.orders)
        )


def on_fill(engine: OrderEngine, order: Order) -> None:
    """Trigger filled → release the contingent orders; OCO member filled → cancel the other."""
    parent = _parent(engine, order)
    if parent is None or order.status != "Filled":
        return
    orders = engine.state.orders
    if order.id == parent.trigger_order_id:
        for child_id in parent.order_ids:
            if orders[child_id].status == "Contingent":
                engine.route_contingent(orders[child_id])
        return
    if parent.type in ("OCO", "OTOCO"):
        for sibling_id in parent.order_ids:
            sibling = orders[sibling_id]
            if sibling_id != order.id and not sibling.is_terminal:
                engine.cancel_now(sibling)


def on_terminal(engine: OrderEngine, order: Order) -> None:
    """A trigger that dies takes its contingent orders with it; stamp the group when done."""
    parent = _parent(engine, order)
    if parent is None:
        return
    orders = engine.state.orders
    if order.id == parent.trigger_order_id and order.status != "Filled":
        for child_id in parent.order_ids:
            if orders[child_id].status == "Contingent":
                engine.cancel_now(orders[child_id])
    if parent.terminal_at is None and all(
        orders[i].is_terminal for i in parent.component_ids() if i in orders
    ):
        parent.terminal_at = engine.market.clock.now()


__all__ = [
    "COMPLEX_TYPES",
    "ComplexOrder",
    "cancel_complex",
    "dry_run_wire",
    "effects_direction_errors",
    "get_complex",
    "on_fill",
    "on_terminal",
    "place_complex",
    "publish_parent",
    "structure_errors",
    "tags",
]
