"""Account rows through the sink's column layout into embedded ClickHouse: latest orders,
positions as of a time (a snapshot replaces what it covers), balances, fills, the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import ACCOUNT_TOPICS
from sinks.columns import Column, TableLayout
from sinks.ddl import ACCOUNT_EXAMPLES
from sinks.ddl.examples import DAY_NET_CASH, ORDER_AUDIT_TRAIL, POSITIONS_AS_OF
from sinks.migrate import ChdbTarget, migrate
from tests.support import unique
from tests.unit.sinks.account_records import AT, MINUTE, account_record, dec, leg


@pytest.fixture
def db(chdb_target: ChdbTarget) -> str:
    name = unique("acct").replace("-", "_")
    migrate(chdb_target, name)
    return name


def _literal(value: Any, type_name: str) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int) and "DateTime64" in type_name and "Array" not in type_name:
        return f"fromUnixTimestamp64Micro({value}, 'UTC')"
    if isinstance(value, int) and "DateTime64" in type_name:  # nested: text
        when = datetime.fromtimestamp(value / 1e6, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return f"'{when}'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v, type_name) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v, type_name) for v in value) + ")"
    raise TypeError(type(value))


def _insert(target: ChdbTarget, db: str, stem: str, records: list[dict[str, Any]]) -> None:
    """Convert as the sink does (TableLayout) and insert the converted values."""
    spec = ACCOUNT_TOPICS[stem]
    columns = [
        Column(n, t, k)
        for n, t, k in target.rows(
            f"SELECT name, type, default_kind FROM system.columns WHERE database = '{db}'"
            f" AND table = '{spec.table}' ORDER BY position"
        )
    ]
    fields = [str(f["name"]) for f in spec.schema()["fields"]]
    layout = TableLayout.build(db, spec.table, columns, fields, spec.schema())
    assert layout.column_names == [c.name for c in columns]  # every column fed
    raw = layout.extract(records)
    assert layout.bad_columns(raw) == []
    data = layout.convert(raw)
    rows = [
        "("
        + ", ".join(_literal(col[i], t) for col, t in zip(data, layout.column_types, strict=True))
        + ")"
        for i in range(len(records))
    ]
    names = ", ".join(f"`{n}`" for n in layout.column_names)
    target.command(f"INSERT INTO {db}.{spec.table} ({names}) VALUES {', '.join(rows)}")


def _position(ts: int, symbol: str, qty: str, **kw: Any) -> dict[str, Any]:
    signed = qty if kw.get("quantity_direction", "Long") != "Short" else f"-{qty}"
    return account_record(
        "position",
        ts,
        symbol=symbol,
        instrument_type="Equity",
        quantity=dec(qty),
        signed_quantity=dec(signed),
        quantity_direction="Long" if qty != "0" else "Zero",
        average_open_price=dec("100.1234567891"),
        **kw,
    )


def _snapshot(ts: int, sid: str, positions: int, orders: int) -> dict[str, Any]:
    return account_record(
        "status",
        ts,
        origin="snapshot",
        snapshot_id=sid,
        snapshot_positions=positions,
        snapshot_orders=orders,
        snapshot_balances=1,
    )


def _as_text(target: ChdbTarget, sql: str) -> list[tuple[Any, ...]]:
    """``sql``'s rows with every value as ClickHouse prints it (decimals exact)."""
    return target.rows(f"SELECT * APPLY(toString) FROM ({sql})")


def _at(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_positions_as_of_a_time_follow_snapshots_and_closes(
    chdb_target: ChdbTarget, db: str
) -> None:
    snap = {"origin": "snapshot", "snapshot_id": "s1", "snapshot_size": 1}
    spy1 = _position(AT - 30 * MINUTE, "SPY", "10")
    _insert(chdb_target, db, "position", [spy1, _position(AT - 20 * MINUTE, "AAPL", "5")])
    # the snapshot at AT lists SPY only: AAPL closed while the stream was down
    _insert(chdb_target, db, "status", [_snapshot(AT, "s1", 1, 0)])
    _insert(chdb_target, db, "position", [_position(AT, "SPY", "12", **snap)])
    _insert(chdb_target, db, "position", [spy1])  # a replay collapses on its event_id
    _insert(chdb_target, db, "position", [_position(AT + MINUTE, "MSFT", "3")])
    _insert(chdb_target, db, "position", [_position(AT + 2 * MINUTE, "SPY", "0")])

    def held(at: int) -> dict[str, str]:
        rows = chdb_target.rows(
            f"SELECT symbol, toString(signed_quantity) FROM {db}.positions_as_of(at = '{_at(at)}')"
        )
        return dict(rows)

    assert held(AT - 25 * MINUTE) == {"SPY": "10"}
    assert held(AT - MINUTE) == {"SPY": "10", "AAPL": "5"}
    assert held(AT) == {"SPY": "12"}
    assert held(AT + MINUTE) == {"SPY": "12", "MSFT": "3"}
    latest = chdb_target.rows(
        f"SELECT symbol, toString(average_open_price) FROM {db}.latest_positions"
    )
    assert latest == [("MSFT", "100.1234567891")]
    # the README example runs as written and asks about AT
    rows = _as_text(
        chdb_target, POSITIONS_AS_OF.replace("positions_as_of", f"{db}.positions_as_of")
    )
    assert [(r[1], r[3]) for r in rows] == [("SPY", "12")]


def test_latest_orders_fills_and_stale_orders(chdb_target: ChdbTarget, db: str) -> None:
    live = account_record(
        "order",
        AT - 10 * MINUTE,
        order_id=1001,
        status="Live",
        size=dec("3"),
        price=dec("500.25"),
        legs=[leg("SPY", "3", [("f1", "1", "500.25", AT - 10 * MINUTE)])],
    )
    filled = account_record(
        "order",
        AT - 5 * MINUTE,
        order_id=1001,
        status="Filled",
        size=dec("3"),
        price=dec("500.25"),
        legs=[
            leg(
                "SPY",
                "3",
                [("f1", "1", "500.25", AT - 10 * MINUTE), ("f2", "2", "500.2", AT - 5 * MINUTE)],
            )
        ],
    )
    gone = account_record("order", AT - 8 * MINUTE, order_id=1002, status="Live")
    _insert(chdb_target, db, "order", [live, gone])
    _insert(chdb_target, db, "order", [filled])
    _insert(chdb_target, db, "status", [_snapshot(AT, "s1", 0, 0)])  # 1002 not live any more

    latest = chdb_target.rows(
        f"SELECT order_id, status, toString(price), stale FROM {db}.latest_orders ORDER BY order_id"
    )
    assert latest == [(1001, "Filled", "500.25", False), (1002, "Live", None, True)]
    fills = chdb_target.rows(
        f"SELECT fill_id, toString(quantity), toString(fill_price), leg"
        f" FROM {db}.account_order_fills FINAL ORDER BY fill_id"
    )
    assert fills == [("f1", "1", "500.25", 1), ("f2", "2", "500.2", 1)]
    trail = chdb_target.rows(ORDER_AUDIT_TRAIL.replace("account_orders", f"{db}.account_orders"))
    assert [r[2] for r in trail] == ["Live", "Filled"]


def test_latest_balances_and_the_ledger(chdb_target: ChdbTarget, db: str) -> None:
    old = account_record("balance", AT - MINUTE, currency="USD", cash_balance=dec("1000.5"))
    new = account_record("balance", AT, currency="USD", cash_balance=dec("-0.0000000001"))
    _insert(chdb_target, db, "balance", [new, old])
    assert chdb_target.rows(f"SELECT toString(cash_balance) FROM {db}.latest_balances") == [
        ("-0.0000000001",)
    ]
    day = AT // 86_400_000_000

    def tx(tid: int, value: str, effect: str, origin: str) -> dict[str, Any]:
        return account_record(
            "transaction",
            AT + tid,
            transaction_id=tid,
            transaction_type="Trade",
            transaction_date=day,
            value=dec(value),
            value_effect=effect,
            net_value=dec(value),
            net_value_effect=effect,
            commission=dec("1.0000000001"),
            commission_effect="Debit",
            origin=origin,
        )

    _insert(chdb_target, db, "transaction", [tx(1, "1500.75", "Debit", "stream")])
    # delivered again by the REST gap fill (another event id): still one row per transaction
    _insert(
        chdb_target,
        db,
        "transaction",
        [tx(1, "1500.75", "Debit", "rest"), tx(2, "1600.8", "Credit", "rest")],
    )
    count = chdb_target.rows(f"SELECT count() FROM {db}.account_transactions FINAL")
    assert count == [(2,)]
    rows = _as_text(
        chdb_target, DAY_NET_CASH.replace("account_transactions", f"{db}.account_transactions")
    )
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        ("5WT00001", "2026-01-02", "100.05", "-2.0000000002", "2")
    ]
    assert len(ACCOUNT_EXAMPLES) == 3


def test_the_readme_shows_the_account_examples_as_tested() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    for example in ACCOUNT_EXAMPLES:
        assert example.sql + ";" in readme, example.title
