"""Order commands: the decoded Avro record → a validated :class:`OrderCommand` (pure).

A command that is schema-valid but makes no sense (negative or zero quantity, a limit order
without a price, an unknown account, an unknown order type, a cancel without an order id …)
becomes :class:`Invalid` with every reason, never an exception: the executor answers it with a
``rejected`` result. The order itself is validated by the adapter's :class:`NewOrder`
(the rules the API would apply in preflight), so the rules live in one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final, TypeVar

from adapters.tastytrade.models.enums import (
    InstrumentType,
    OrderAction,
    OrderType,
    PriceEffect,
    TimeInForce,
)
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg, OrderValidationError
from schemas.account_envelope import decimal_from_bytes, decimal_text

__all__ = [
    "ACTIONS",
    "CANCEL",
    "PLACE",
    "REPLACE",
    "Invalid",
    "OrderCommand",
    "Problem",
    "parse_command",
]

PLACE: Final = "place"
REPLACE: Final = "replace"
CANCEL: Final = "cancel"
ACTIONS: Final = (PLACE, REPLACE, CANCEL)
E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a command cannot be executed (``code`` machine-readable)."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class OrderCommand:
    """A command the executor can act on: ids, target and a validated order."""

    event_id: str
    account_number: str
    command_id: str
    action: str
    requester: str
    created_at_us: int
    order: NewOrder | None = None
    """Carries ``external_identifier = command_id`` (place / replace)."""
    order_id: int | None = None
    max_age_ms: int | None = None
    dry_run_first: bool = False

    def age_ms(self, now_us: int) -> float:
        return (now_us - self.created_at_us) / 1000

    def is_stale(self, now_us: int) -> bool:
        """Older than its ``max_age_ms`` at ``now_us`` (never, without a max age)."""
        return self.max_age_ms is not None and self.age_ms(now_us) > self.max_age_ms

    def deadline_us(self, default_window_s: float) -> int:
        """Until when the executor may keep retrying: its max age, else a default window."""
        window_ms = self.max_age_ms if self.max_age_ms is not None else default_window_s * 1000
        return self.created_at_us + int(window_ms * 1000)


@dataclass(frozen=True, slots=True)
class Invalid:
    """A command that is rejected before anything is sent, with every reason."""

    account_number: str
    command_id: str
    action: str
    event_id: str
    problems: tuple[Problem, ...]

    @property
    def reason(self) -> str:
        return "; ".join(f"{p.code}: {p.message}" for p in self.problems)


def _decimal(raw: Any) -> Decimal | None:
    """A record's decimal (Avro bytes at scale 10) in its shortest form: ``1.5``, not
    ``1.5000000000`` — that is what goes out on the wire."""
    if raw is None:
        return None
    if isinstance(raw, bytes | bytearray):
        value = decimal_from_bytes(bytes(raw))
    else:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw))
    return Decimal(decimal_text(value)) if value.is_finite() else value


def _enum(kind: type[E], raw: Any, field: str, problems: list[Problem]) -> E | None:
    if raw is None:
        return None
    try:
        return kind(raw)  # type: ignore[call-arg]
    except ValueError:
        problems.append(Problem(f"{field}_unknown", f"unknown {field} {raw!r}"))
        return None


def _legs(raw: Sequence[Mapping[str, Any]], problems: list[Problem]) -> list[NewOrderLeg]:
    legs: list[NewOrderLeg] = []
    for item in raw:
        instrument = _enum(InstrumentType, item.get("instrument_type"), "instrument_type", problems)
        action = _enum(OrderAction, item.get("action"), "leg_action", problems)
        if instrument is None or action is None:
            continue
        try:
            quantity = _decimal(item.get("quantity"))
            legs.append(NewOrderLeg(instrument, str(item.get("symbol", "")), action, quantity))
        except OrderValidationError as exc:
            problems.append(Problem(exc.rule, exc.message))
    return legs


def _order(raw: Mapping[str, Any], command_id: str, problems: list[Problem]) -> NewOrder | None:
    before = len(problems)
    order_type = _enum(OrderType, raw.get("order_type"), "order_type", problems)
    tif = _enum(TimeInForce, raw.get("time_in_force"), "time_in_force", problems)
    price_effect = _enum(PriceEffect, raw.get("price_effect"), "price_effect", problems)
    value_effect = _enum(PriceEffect, raw.get("value_effect"), "value_effect", problems)
    legs = _legs(raw.get("legs") or [], problems)
    gtc_text = raw.get("gtc_date")
    gtc: date | None = None
    if gtc_text is not None:
        try:
            gtc = date.fromisoformat(str(gtc_text))
        except ValueError:
            problems.append(Problem("gtc_date_invalid", f"gtc_date {gtc_text!r} is not a date"))
    if len(problems) > before or order_type is None or tif is None:
        return None
    try:
        return NewOrder(
            tif,
            order_type,
            tuple(legs),
            price=_decimal(raw.get("price")),
            price_effect=price_effect,
            stop_trigger=_decimal(raw.get("stop_trigger")),
            value=_decimal(raw.get("value")),
            value_effect=value_effect,
            gtc_date=gtc,
            external_identifier=command_id,
        )
    except OrderValidationError as exc:
        problems.append(Problem(exc.rule, exc.message))
        return None


def _target(record: Mapping[str, Any], action: str, problems: list[Problem]) -> int | None:
    order_id = record.get("order_id")
    if action in (REPLACE, CANCEL) and order_id is None:
        problems.append(Problem("order_id_required", f"a {action} command needs order_id"))
    if order_id is not None and (not isinstance(order_id, int) or order_id <= 0):
        problems.append(Problem("order_id_invalid", f"order_id must be positive: {order_id!r}"))
        return None
    return order_id


def parse_command(
    record: Mapping[str, Any], accounts: frozenset[str] = frozenset()
) -> OrderCommand | Invalid:
    """Validate a decoded ``OrderCommand`` record; ``accounts`` (if not empty) are the known
    account numbers. Never raises for a schema-valid record."""
    problems: list[Problem] = []
    account = str(record.get("account_number", ""))
    command_id = str(record.get("command_id", ""))
    action = str(record.get("action", ""))
    try:
        command_id = str(uuid.UUID(command_id))
    except ValueError:
        problems.append(Problem("command_id_invalid", f"command_id {command_id!r} is no UUID"))
    if accounts and account not in accounts:
        problems.append(Problem("account_unknown", f"unknown account {account!r}"))
    if action not in ACTIONS:
        problems.append(Problem("action_unknown", f"action must be one of {ACTIONS}"))
    order_id = _target(record, action, problems)
    raw_order = record.get("order")
    order: NewOrder | None = None
    if action in (PLACE, REPLACE):
        if raw_order is None:
            problems.append(Problem("order_required", f"a {action} command needs an order"))
        else:
            order = _order(raw_order, command_id, problems)
    max_age = record.get("max_age_ms")
    if max_age is not None and max_age <= 0:
        problems.append(Problem("max_age_invalid", f"max_age_ms must be positive: {max_age}"))
    created_at = record.get("created_at")
    if not isinstance(created_at, int):
        problems.append(Problem("created_at_required", "created_at must be a timestamp"))
    event_id = str(record.get("event_id", ""))
    if problems or not isinstance(created_at, int):
        return Invalid(account, command_id, action, event_id, tuple(problems))
    return OrderCommand(
        event_id=event_id,
        account_number=account,
        command_id=command_id,
        action=action,
        requester=str(record.get("requester", "")),
        created_at_us=created_at,
        order=order,
        order_id=order_id,
        max_age_ms=max_age,
        dry_run_first=bool(record.get("dry_run_first", False)),
    )
