"""The executor against a stateful fake broker: never two orders for one command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from adapters.tastytrade.backoff import Backoff
from adapters.tastytrade.models import InstrumentType, OrderAction
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from processors.commands import OrderCommand, parse_command
from processors.execution import ExecutionPolicy, OrderExecutor
from processors.records import command_record
from tests.unit.processors.fake_broker import ACCOUNT, FakeBroker, rest_over

NOW_US = 1_800_000_000_000_000


@dataclass
class Clock:
    now: int = NOW_US
    slept: float = 0.0

    def __call__(self) -> int:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += int(seconds * 1_000_000)


@dataclass
class Rig:
    broker: FakeBroker
    executor: OrderExecutor
    clock: Clock


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    broker, clock = FakeBroker(), Clock()
    async with rest_over(broker) as rest:
        policy = ExecutionPolicy(Backoff(base=0.5, cap=2.0), retry_window_s=30.0)
        executor = OrderExecutor(
            rest.orders, source="test", policy=policy, clock=clock, sleep=clock.sleep
        )
        yield Rig(broker, executor, clock)


def _limit() -> NewOrder:
    leg = NewOrderLeg(InstrumentType.EQUITY, "AAPL", OrderAction.BUY_TO_OPEN, Decimal(10))
    return NewOrder.limit([leg], Decimal("-1.5"))


def command(action: str = "place", **fields: Any) -> OrderCommand:
    fields.setdefault("created_at_us", NOW_US)
    if action != "cancel":
        fields.setdefault("order", _limit())
    parsed = parse_command(command_record(ACCOUNT, action, requester="test", **fields))
    assert isinstance(parsed, OrderCommand), parsed
    return parsed


async def test_place_tags_the_order_with_the_command_id(rig: Rig) -> None:
    cmd = command()
    result = await rig.executor.execute(cmd)
    assert result["status"] == "placed"
    assert [o["id"] for o in rig.broker.with_identifier(cmd.command_id)] == [result["order_id"]]
    assert result["correlation_id"] == cmd.command_id
    assert result["causation_id"] == cmd.event_id


@pytest.mark.parametrize("fault", ["lost", "500-after"])
async def test_ambiguous_failure_finds_the_order_instead_of_placing_again(
    rig: Rig, fault: str
) -> None:
    cmd = command()
    rig.broker.faults = [fault]
    result = await rig.executor.execute(cmd)
    assert result["status"] == "placed"
    assert len(rig.broker.with_identifier(cmd.command_id)) == 1
    assert rig.broker.writes == 1


@pytest.mark.parametrize("fault", ["unsent", "429", "500"])
async def test_failure_without_effect_is_retried_once_confirmed_absent(
    rig: Rig, fault: str
) -> None:
    cmd = command()
    rig.broker.faults = [fault]
    result = await rig.executor.execute(cmd)
    assert result["status"] == "placed"
    assert len(rig.broker.with_identifier(cmd.command_id)) == 1
    assert rig.broker.writes == 2
    assert rig.clock.slept > 0 or fault != "429"


async def test_redelivery_publishes_the_same_result_and_places_nothing(rig: Rig) -> None:
    cmd = command()
    first = await rig.executor.execute(cmd)
    second = await rig.executor.execute(cmd)
    assert rig.broker.writes == 1
    assert first["event_id"] == second["event_id"]
    assert (second["status"], second["order_id"]) == (first["status"], first["order_id"])


async def test_stale_command_is_expired_not_placed(rig: Rig) -> None:
    cmd = command(created_at_us=NOW_US - 10_000_000, max_age_ms=5_000)
    result = await rig.executor.execute(cmd)
    assert result["status"] == "expired"
    assert rig.broker.writes == 0
    assert "max_age_ms" in result["reason"]


async def test_stale_but_already_placed_reports_the_order(rig: Rig) -> None:
    cmd = command(created_at_us=NOW_US - 10_000_000, max_age_ms=5_000)
    rig.broker._order({"external-identifier": cmd.command_id})
    result = await rig.executor.execute(cmd)
    assert result["status"] == "placed"


async def test_broker_rejection_carries_its_preflight_errors(rig: Rig) -> None:
    rig.broker.faults = ["422"]
    result = await rig.executor.execute(command())
    assert result["status"] == "rejected"
    assert result["errors"] == [{"code": "invalid_symbol", "message": "unknown symbol"}]
    assert rig.broker.orders == []


async def test_retries_stop_at_the_deadline_as_failed(rig: Rig) -> None:
    rig.broker.faults = ["429"] * 1000
    result = await rig.executor.execute(command(max_age_ms=3_000))
    assert result["status"] == "failed"
    assert "deadline" in result["reason"]
    assert rig.clock.now - NOW_US <= 3_000_000
    assert rig.broker.orders == []


async def test_cancel_and_its_redelivery(rig: Rig) -> None:
    order = rig.broker._order({"external-identifier": "x"})
    cmd = command("cancel", order_id=order["id"])
    rig.broker.faults = ["lost"]
    first = await rig.executor.execute(cmd)
    again = await rig.executor.execute(cmd)
    assert first["status"] == again["status"] == "cancelled"
    assert first["order_status"] == "Cancel Requested"
    assert rig.broker.writes == 1


async def test_cancel_of_unknown_order_is_rejected(rig: Rig) -> None:
    result = await rig.executor.execute(command("cancel", order_id=4242))
    assert result["status"] == "rejected"
    assert result["errors"][0]["code"] == "not_found"


async def test_a_late_redelivery_finds_yesterdays_order_in_the_history(rig: Rig) -> None:
    cmd = command(created_at_us=NOW_US - 30 * 3_600_000_000)  # created yesterday
    old = rig.broker._order({"external-identifier": cmd.command_id})
    rig.broker.orders.remove(old)
    rig.broker.history.append({**old, "id": 77, "status": "Filled"})
    result = await rig.executor.execute(cmd)
    assert (result["status"], result["order_id"]) == ("placed", 77)
    assert rig.broker.writes == 0


async def test_todays_command_does_not_search_the_history(rig: Rig) -> None:
    cmd = command()
    old = rig.broker._order({"external-identifier": cmd.command_id})
    rig.broker.orders.remove(old)
    rig.broker.history.append(old)  # would be found, were the history searched
    result = await rig.executor.execute(cmd)
    assert rig.broker.writes == 1
    assert result["order_id"] != old["id"]


@pytest.mark.parametrize(
    ("faults", "status", "orders"), [([], "placed", 1), (["422"], "rejected", 0)]
)
async def test_dry_run_first_preflights_and_a_failed_preflight_places_nothing(
    rig: Rig, faults: list[str], status: str, orders: int
) -> None:
    rig.broker.faults = faults
    result = await rig.executor.execute(command(dry_run_first=True))
    assert result["status"] == status
    assert len(rig.broker.orders) == orders
    assert rig.broker.writes == 1 + orders  # the dry-run, then the order if it passed
