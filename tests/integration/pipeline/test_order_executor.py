"""The order executor as a real process: SIGKILLed while the sandbox holds the place response,
restarted, and still exactly one order per command and exactly one result event.

Each test gets its own sandbox (in this process, on a free port, clock inside regular hours),
its own topic prefix and consumer group; the executor runs as ``python -m processors.executor``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from adapters.tastytrade import Client
from adapters.tastytrade.models import InstrumentType, Order, OrderAction
from adapters.tastytrade.order_builder import NewOrder, NewOrderLeg
from processors.executor import ExecutorTopics, prepare
from processors.records import command_record
from sandbox.config import DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN
from sandbox.server import SandboxServer
from schemas.account_envelope import decimal_bytes
from schemas.codec import AvroCodec
from tastystream.settings import KafkaSettings, RegistrySettings, Settings
from tests.integration.client_sandbox.conftest import ACCOUNT, open_client, open_sandbox
from tests.support import eventually, unique

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[3]
ADMIN = {"X-Sandbox-Admin": "sandbox-admin"}
ORDERS_PATH = f"/accounts/{ACCOUNT}/orders"


def now_us() -> int:
    return time.time_ns() // 1000


def far_limit(symbol: str = "AAPL") -> NewOrder:
    """A buy far below the market: it stays Live (nothing fills during the test)."""
    leg = NewOrderLeg(InstrumentType.EQUITY, symbol, OrderAction.BUY_TO_OPEN, Decimal(1))
    return NewOrder.limit([leg], Decimal("-1.00"))


@dataclass
class Rig:
    server: SandboxServer
    client: Client
    settings: Settings
    topics: ExecutorTopics
    codec: AvroCodec
    ids: dict[str, int]
    tmp: Path
    group: str = field(default_factory=lambda: unique("executor"))
    procs: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def admin(self, path: str, body: dict[str, Any]) -> None:
        async with httpx.AsyncClient(base_url=self.server.base_url, headers=ADMIN) as http:
            response = await http.post(f"/_sandbox/{path}", json=body)
            response.raise_for_status()

    async def send(self, *values: tuple[bytes, bytes]) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka.bootstrap, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:
            for key, value in values:
                await producer.send_and_wait(self.topics.approved, value=value, key=key)
        finally:
            await producer.stop()

    def encode(self, record: dict[str, Any]) -> tuple[bytes, bytes]:
        subject = self.topics.approved_spec.value_subject
        return record["account_number"].encode(), self.codec.encode(self.ids[subject], record)

    async def start_executor(self, timeout_s: float = 30.0) -> asyncio.subprocess.Process:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TT_", "EXECUTOR_"))},
            "PYTHONPATH": str(ROOT),
            "TT_BASE_URL": self.server.base_url,
            "TT_STREAMER_URL": self.server.streamer_url,
            "TT_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "TT_REFRESH_TOKEN": DEFAULT_REFRESH_TOKEN,
            "TT_ACCOUNTS": ACCOUNT,
            "TT_REQUEST_TIMEOUT_S": str(timeout_s),
            "KAFKA_BOOTSTRAP": self.settings.kafka.bootstrap,
            "SCHEMA_REGISTRY_URL": self.settings.registry.url,
            "EXECUTOR_TOPIC_PREFIX": self.topics.prefix,
            "EXECUTOR_GROUP_ID": self.group,
            "EXECUTOR_BACKOFF_BASE_S": "0.1",
            "EXECUTOR_BACKOFF_CAP_S": "0.5",
        }
        log = (self.tmp / f"executor-{len(self.procs)}.log").open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "processors.executor",
            cwd=self.tmp,
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("*.log")))

    async def orders_tagged(self, command_id: str) -> list[Order]:
        live = await self.client.rest.orders.get_live_orders(ACCOUNT)
        return [o for o in live if o.external_identifier == command_id]

    async def read(self, topic: str) -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=self.settings.kafka.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=unique("read"),
        )
        await consumer.start()
        out: list[dict[str, Any]] = []
        try:
            while batch := await consumer.getmany(timeout_ms=1000):
                for messages in batch.values():
                    out.extend(self.codec.decode(m.value).record for m in messages)
        finally:
            await consumer.stop()
        return out

    async def results(self, command_id: str) -> list[dict[str, Any]]:
        return [r for r in await self.read(self.topics.result) if r["command_id"] == command_id]


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()


@pytest.fixture
async def rig(kafka_bootstrap: str, registry_url: str, tmp_path: Path) -> AsyncIterator[Rig]:
    settings = Settings(
        kafka=KafkaSettings(bootstrap=kafka_bootstrap), registry=RegistrySettings(url=registry_url)
    )
    topics = ExecutorTopics(prefix=unique("t").replace("-", "_") + ".")
    codec, ids = await prepare(settings, topics)
    async with open_sandbox() as server, open_client(server) as client:
        rig = Rig(server, client, settings, topics, codec, ids, tmp_path)
        try:
            yield rig
        finally:
            for proc in rig.procs:
                await _stop(proc)


async def _one_result(rig: Rig, command_id: str) -> dict[str, Any]:
    async def found() -> list[dict[str, Any]]:
        return await rig.results(command_id)

    try:
        results = await eventually(found, timeout=60, interval=0.5, message="no result")
    except AssertionError:
        raise AssertionError(f"no result; executor logs:\n{rig.logs()[-4000:]}") from None
    assert len({r["event_id"] for r in results}) == 1, results
    return results[0]


async def test_sigkill_while_the_place_response_is_held(rig: Rig) -> None:
    await rig.admin("rest/delay-response", {"seconds": 30, "count": 1, "path": ORDERS_PATH})
    record = command_record(
        ACCOUNT, "place", requester="t", created_at_us=now_us(), order=far_limit()
    )
    command_id = record["command_id"]
    await rig.send(rig.encode(record))
    first = await rig.start_executor(timeout_s=60)

    async def placed_at_sandbox() -> list[Order]:
        return await rig.orders_tagged(command_id)

    await eventually(placed_at_sandbox, timeout=60, interval=0.2, message="order not placed")
    first.kill()  # SIGKILL while the sandbox still holds the response
    await first.wait()
    assert first.returncode == -signal.SIGKILL
    assert await rig.results(command_id) == []

    await rig.start_executor(timeout_s=60)
    result = await _one_result(rig, command_id)
    orders = await rig.orders_tagged(command_id)
    assert len(orders) == 1
    assert (result["status"], result["order_id"]) == ("placed", orders[0].id)
    assert result["correlation_id"] == command_id
    assert result["causation_id"] == record["event_id"]


@pytest.mark.parametrize(
    ("fault", "body", "timeout_s"),
    [
        ("rest/lose-response", {"count": 1, "path": ORDERS_PATH}, 30.0),
        ("rest/delay-response", {"seconds": 6, "count": 1, "path": ORDERS_PATH}, 1.5),
    ],
    ids=["lost-response", "client-timeout"],
)
async def test_ambiguous_outcome_is_looked_up_not_resent(
    rig: Rig, fault: str, body: dict[str, Any], timeout_s: float
) -> None:
    await rig.admin(fault, body)
    record = command_record(
        ACCOUNT, "place", requester="t", created_at_us=now_us(), order=far_limit()
    )
    await rig.send(rig.encode(record))
    await rig.start_executor(timeout_s=timeout_s)
    result = await _one_result(rig, record["command_id"])
    orders = await rig.orders_tagged(record["command_id"])
    assert len(orders) == 1
    assert (result["status"], result["order_id"]) == ("placed", orders[0].id)


def _raw(quantity: str, price: str | None, symbol: str = "AAPL") -> dict[str, Any]:
    return {
        "order_type": "Limit",
        "time_in_force": "Day",
        "price": None if price is None else decimal_bytes(Decimal(price)),
        "price_effect": None if price is None else "Debit",
        "stop_trigger": None,
        "value": None,
        "value_effect": None,
        "gtc_date": None,
        "legs": [
            {
                "instrument_type": "Equity",
                "symbol": symbol,
                "action": "Buy to Open",
                "quantity": decimal_bytes(Decimal(quantity)),
            }
        ],
    }


async def test_stale_nonsense_and_garbage_then_keeps_running(rig: Rig) -> None:
    now = now_us()

    def cmd(account: str = ACCOUNT, **fields: Any) -> dict[str, Any]:
        fields.setdefault("created_at_us", now)
        return command_record(account, "place", requester="t", **fields)

    stale = cmd(created_at_us=now - 60_000_000, max_age_ms=1_000, order=far_limit())
    zero = cmd(order=_raw("0", "1.00"))
    negative = cmd(order=_raw("-3", "1.00"))
    no_price = cmd(order=_raw("1", None))
    stranger = cmd(account="9ZZ99999", order=far_limit())
    unknown_symbol = cmd(order=_raw("1", "1.00", symbol="NOSUCHSYM"))
    good = cmd(order=far_limit())
    garbage = [
        (ACCOUNT.encode(), b"not avro at all"),
        (ACCOUNT.encode(), b"\x00\x00\x0f\xff\xffjunk"),
    ]
    await rig.send(
        rig.encode(stale),
        rig.encode(zero),
        *garbage,
        rig.encode(negative),
        rig.encode(no_price),
        rig.encode(stranger),
        rig.encode(unknown_symbol),
        rig.encode(good),
    )
    await rig.start_executor()
    assert (await _one_result(rig, good["command_id"]))["status"] == "placed"
    expected = {
        stale["command_id"]: ("expired", None),
        zero["command_id"]: ("rejected", "quantity_positive"),
        negative["command_id"]: ("rejected", "quantity_positive"),
        no_price["command_id"]: ("rejected", "price_required"),
        stranger["command_id"]: ("rejected", "account_unknown"),
        unknown_symbol["command_id"]: ("rejected", "invalid_symbol"),
    }
    results = {r["command_id"]: r for r in await rig.read(rig.topics.result)}
    for command_id, (status, code) in expected.items():
        result = results[command_id]
        assert result["status"] == status, result
        assert result["reason"], result
        if code is not None:
            assert code in {e["code"] for e in result["errors"]}, result
    assert len(await rig.orders_tagged(stale["command_id"])) == 0
    assert len(await rig.orders_tagged(unknown_symbol["command_id"])) == 0
    dead = await rig.read(rig.topics.dlq)
    assert sorted(d["value"] for d in dead) == sorted(v for _, v in garbage)
    assert all(d["topic"] == rig.topics.approved and d["reason"] for d in dead)


async def test_place_replace_cancel_and_a_redelivered_cancel(rig: Rig) -> None:
    await rig.start_executor()
    place = command_record(
        ACCOUNT, "place", requester="t", created_at_us=now_us(), order=far_limit()
    )
    await rig.send(rig.encode(place))
    placed = await _one_result(rig, place["command_id"])
    assert placed["status"] == "placed"

    cheaper = NewOrder.limit(far_limit().legs, Decimal("-0.50"))
    replace = command_record(
        ACCOUNT,
        "replace",
        requester="t",
        created_at_us=now_us(),
        order=cheaper,
        order_id=placed["order_id"],
    )
    await rig.send(rig.encode(replace))
    replaced = await _one_result(rig, replace["command_id"])
    assert replaced["status"] == "replaced"
    assert replaced["order_id"] != placed["order_id"]
    [replacement] = await rig.orders_tagged(replace["command_id"])
    assert replacement.id == replaced["order_id"]
    assert replacement.price == Decimal("0.50")

    cancel = command_record(
        ACCOUNT, "cancel", requester="t", created_at_us=now_us(), order_id=replaced["order_id"]
    )
    await rig.send(rig.encode(cancel), rig.encode(cancel))  # delivered twice
    cancelled = await _one_result(rig, cancel["command_id"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["order_status"] in ("Cancel Requested", "Cancelled")
