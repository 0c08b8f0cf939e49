"""The Avro records of order commands and their results (``order_command.avsc`` /
``order_result.avsc``): built here, so producers (CLI, tests, the executor) agree on them.

Decimals go out as Avro ``decimal`` bytes (:func:`schemas.account_envelope.decimal_bytes`,
exact or an error); ids are deterministic (:mod:`schemas.command_envelope`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from adapters.tastytrade.order_builder import NewOrder
from processors.commands import Invalid, OrderCommand, Problem
from schemas.account_envelope import decimal_bytes
from schemas.command_envelope import command_event_id, result_event_id
from schemas.envelope import ts_ingest

__all__ = [
    "CANCELLED",
    "EXPIRED",
    "FAILED",
    "PLACED",
    "REJECTED",
    "REPLACED",
    "STATUSES",
    "command_record",
    "order_record",
    "result_record",
]

PLACED: Final = "placed"
REPLACED: Final = "replaced"
CANCELLED: Final = "cancelled"
REJECTED: Final = "rejected"
FAILED: Final = "failed"
EXPIRED: Final = "expired"
STATUSES: Final = (PLACED, REPLACED, CANCELLED, REJECTED, FAILED, EXPIRED)


def _dec(value: Decimal | None, field: str) -> bytes | None:
    return None if value is None else decimal_bytes(value, field)


def order_record(order: NewOrder) -> dict[str, Any]:
    """The ``OrderSpec`` record of ``order``."""
    return {
        "order_type": str(order.order_type),
        "time_in_force": str(order.time_in_force),
        "price": _dec(order.price, "price"),
        "price_effect": None if order.price_effect is None else str(order.price_effect),
        "stop_trigger": _dec(order.stop_trigger, "stop_trigger"),
        "value": _dec(order.value, "value"),
        "value_effect": None if order.value_effect is None else str(order.value_effect),
        "gtc_date": None if order.gtc_date is None else order.gtc_date.isoformat(),
        "legs": [
            {
                "instrument_type": str(leg.instrument_type),
                "symbol": leg.symbol,
                "action": str(leg.action),
                "quantity": _dec(leg.quantity, "quantity"),
            }
            for leg in order.legs
        ],
    }


def command_record(
    account_number: str,
    action: str,
    *,
    requester: str,
    created_at_us: int,
    order: NewOrder | dict[str, Any] | None = None,
    order_id: int | None = None,
    max_age_ms: int | None = None,
    dry_run_first: bool = False,
    command_id: str | None = None,
    source: str = "tastystream",
) -> dict[str, Any]:
    """A new ``OrderCommand`` record (a fresh UUID unless ``command_id``); ``order`` may be an
    ``OrderSpec`` record already (to send one ``NewOrder`` would refuse, e.g. in tests)."""
    command_id = command_id or str(uuid.uuid4())
    return {
        "event_id": command_event_id(account_number, command_id),
        "ts_event": created_at_us,
        "ts_ingest": ts_ingest(),
        "source": source,
        "correlation_id": command_id,
        "causation_id": None,
        "account_number": account_number,
        "command_id": command_id,
        "action": action,
        "order_id": order_id,
        "order": order_record(order) if isinstance(order, NewOrder) else order,
        "requester": requester,
        "created_at": created_at_us,
        "max_age_ms": max_age_ms,
        "dry_run_first": dry_run_first,
    }


def result_record(
    command: OrderCommand | Invalid,
    status: str,
    *,
    source: str,
    ts_event: int,
    order_id: int | None = None,
    order_status: str | None = None,
    reason: str | None = None,
    errors: Sequence[Problem] = (),
) -> dict[str, Any]:
    """The one ``OrderResult`` record of ``command`` (its ``event_id`` depends on the command
    id only, so publishing it twice dedupes)."""
    if status not in STATUSES:
        raise ValueError(f"unknown result status {status!r}")
    if isinstance(command, Invalid):
        errors = command.problems
        reason = reason or command.reason
    return {
        "event_id": result_event_id(command.account_number, command.command_id),
        "ts_event": ts_event,
        "ts_ingest": ts_ingest(),
        "source": source,
        "correlation_id": command.command_id,
        "causation_id": command.event_id or None,
        "account_number": command.account_number,
        "command_id": command.command_id,
        "action": command.action,
        "status": status,
        "order_id": order_id,
        "order_status": order_status,
        "reason": reason,
        "errors": [{"code": p.code, "message": p.message} for p in errors],
    }
