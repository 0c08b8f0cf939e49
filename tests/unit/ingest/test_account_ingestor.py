"""The account ingestor's decisions with fakes: bad input, snapshots, the transaction catch-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import pytest

from adapters.tastytrade.account_stream import AccountStreamer, Notification, Reconciliation
from adapters.tastytrade.errors import ErrorStream, ParseWarning, TransportError
from adapters.tastytrade.models import (
    AccountBalance,
    CurrentPosition,
    Order,
    TradingStatus,
    Transaction,
)
from adapters.tastytrade.rest import Rest
from ingest.account import AccountIngestConfig, AccountIngestor
from ingest.account_records import AccountRecord, Rejected

ACCOUNT = "5WT00001"
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


class Sink:
    def __init__(self) -> None:
        self.items: list[AccountRecord | Rejected] = []

    async def publish(self, item: AccountRecord | Rejected) -> None:
        self.items.append(item)

    async def flush(self) -> None:
        return None

    def records(self, stem: str) -> list[dict[str, Any]]:
        return [
            i.record for i in self.items if isinstance(i, AccountRecord) and i.spec.stem == stem
        ]


def tx(tx_id: int, minutes: int) -> Transaction:
    return Transaction(
        id=tx_id,
        account_number=ACCOUNT,
        transaction_type="Trade",
        executed_at=NOW + timedelta(minutes=minutes),
        transaction_date=NOW.date(),
        value=Decimal("10.5"),
    )


class FakeRest:
    def __init__(self) -> None:
        self.ledger: list[Transaction] = []
        self.calls: list[datetime | None] = []
        self.fail = 0
        self.status_down = False
        self.accounts = SimpleNamespace(trading_status=self.trading_status)
        self.transactions = SimpleNamespace(iterate=self.iterate)

    async def trading_status(self, account: str) -> TradingStatus:
        if self.status_down:
            raise TransportError("status down")
        return TradingStatus(account_number=account, is_frozen=False)

    def iterate(
        self, account: str, *, start_at: datetime | None = None, sort: str | None = None
    ) -> AsyncIterator[Transaction]:
        self.calls.append(start_at)

        async def items() -> AsyncIterator[Transaction]:
            if self.fail:
                self.fail -= 1
                raise TransportError("REST down")
            for t in sorted(self.ledger, key=lambda t: (t.executed_at, t.id)):
                if start_at is None or t.executed_at >= start_at:
                    yield t

        return items()


def make(errors: ErrorStream | None = None) -> tuple[AccountIngestor, FakeRest, Sink]:
    rest, sink = FakeRest(), Sink()

    def no_streamer() -> AccountStreamer:
        raise AssertionError("not used here")

    ingestor = AccountIngestor(
        AccountIngestConfig((ACCOUNT,), source="account:test", overlap_s=60),
        cast(Rest, rest),
        no_streamer,
        sink,
        errors if errors is not None else ErrorStream(),
        now_ms=lambda: int(NOW.timestamp() * 1000),
    )
    return ingestor, rest, sink


def reconciliation(generation: int) -> Reconciliation:
    balance = AccountBalance(account_number=ACCOUNT, currency="USD", cash_balance=Decimal(5))
    return Reconciliation(ACCOUNT, (), balance, (), NOW + timedelta(seconds=generation), generation)


async def test_unparsable_account_notifications_are_dead_lettered_and_counted() -> None:
    ingestor, _rest, sink = make()
    raw = {"type": "Order", "data": {"account-number": ACCOUNT, "id": "x"}, "timestamp": 1}
    await ingestor.on_notification(Notification("Order", raw["data"], 1, False, raw))
    (dead,) = sink.items
    assert isinstance(dead, Rejected)
    assert (dead.spec.stem, dead.key, dead.error_class) == (
        "order",
        ACCOUNT.encode(),
        "ParseFailure",
    )
    assert b'"id":"x"' in dead.raw
    # unknown types: counted (the adapter already put a ParseWarning on the error stream)
    await ingestor.on_notification(Notification("Mystery", {}, 1, False, {"type": "Mystery"}))
    # known types that are no account events here: counted as skipped
    await ingestor.on_notification(Notification("QuoteAlert", object(), 1, True, {}))
    assert len(sink.items) == 1
    assert ingestor.metrics.unparsed == {"Order": 1, "Mystery": 1}
    assert ingestor.metrics.skipped == {"QuoteAlert": 1}


async def test_a_snapshot_then_the_missed_transactions_once_each() -> None:
    ingestor, rest, sink = make()
    rest.ledger = [tx(1, -30), tx(2, -20)]
    await ingestor.on_reconciliation(reconciliation(1))
    assert [r["origin"] for r in sink.records("balance")] == ["snapshot"]
    (status,) = sink.records("status")
    assert status["snapshot_id"] == ingestor.metrics.last_snapshot[ACCOUNT]
    assert (status["snapshot_balances"], status["is_frozen"]) == (1, False)
    assert rest.calls == [NOW - timedelta(days=1)]  # the first run looks back a day
    assert [r["transaction_id"] for r in sink.records("transaction")] == [1, 2]

    # disconnected: two more transactions happen; the reconnect's snapshot fetches them
    rest.ledger += [tx(3, -10), tx(4, -5)]
    await ingestor.on_reconciliation(reconciliation(2))
    assert rest.calls[-1] == NOW - timedelta(minutes=20) - timedelta(seconds=60)
    assert [r["transaction_id"] for r in sink.records("transaction")] == [1, 2, 3, 4]
    assert {r["origin"] for r in sink.records("transaction")} == {"rest"}
    first, second = (s["snapshot_id"] for s in sink.records("status"))
    assert first != second
    # a streamed copy of a transaction already fetched is not published twice
    await ingestor.on_notification(Notification("Transaction", tx(4, -5), 1, True, {}))
    assert len(sink.records("transaction")) == 4
    assert ingestor.metrics.snapshots == 2


async def test_rest_failures_are_counted_and_retried_not_fatal() -> None:
    ingestor, rest, sink = make()
    rest.ledger = [tx(1, -1)]
    rest.status_down, rest.fail = True, 1
    await ingestor.on_reconciliation(reconciliation(1))
    # the snapshot still goes out, its status record says why the status is missing
    (status,) = sink.records("status")
    assert status["status_error"] is not None
    assert "TransportError" in status["status_error"]
    assert status["is_frozen"] is None
    assert ingestor.metrics.transaction_fetch_failures == 1
    assert sink.records("transaction") == []
    assert ingestor.pending_catch_up == {ACCOUNT}  # retried at the next trigger or poll
    assert await ingestor.catch_up(ACCOUNT) == 1
    assert [r["transaction_id"] for r in sink.records("transaction")] == [1]


@pytest.mark.parametrize("kind", ["AccountBalance", "Order"])
async def test_fills_and_balance_changes_wake_the_transaction_catch_up(kind: str) -> None:
    ingestor, _rest, _sink = make()
    data: Any
    if kind == "AccountBalance":
        data = AccountBalance(account_number=ACCOUNT, currency="USD")
    else:
        data = Order.model_validate(
            {
                "id": 1,
                "account-number": ACCOUNT,
                "time-in-force": "Day",
                "order-type": "Market",
                "status": "Filled",
                "legs": [
                    {
                        "instrument-type": "Equity",
                        "symbol": "AAPL",
                        "action": "Buy to Open",
                        "quantity": "1",
                        "fills": [
                            {
                                "fill-id": "f1",
                                "quantity": "1",
                                "fill-price": "1.5",
                                "filled-at": NOW.isoformat(),
                            }
                        ],
                    }
                ],
            }
        )
    await ingestor.on_notification(Notification(kind, data, 1, True, {}))
    assert ingestor.pending_catch_up == {ACCOUNT}


async def test_rounded_valuations_are_counted_and_warned_about() -> None:
    errors = ErrorStream()
    ingestor, _rest, sink = make(errors)
    data = CurrentPosition(
        account_number=ACCOUNT,
        symbol="AAPL",
        instrument_type="Equity",
        quantity=Decimal(3),
        quantity_direction="Long",
        average_open_price=Decimal(910) / Decimal(3),
    )
    await ingestor.on_notification(Notification("CurrentPosition", data, 1, True, {}))
    assert len(sink.records("position")) == 1
    assert ingestor.metrics.rounded == {"position.average_open_price": 1}
    (warning,) = errors.drain()
    assert isinstance(warning, ParseWarning)
    assert warning.field_name == "average_open_price"
