"""Account records → columns: exact decimals, nested legs and fills, Avro dates, the fast path
refusing cleanly, and the account routes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemas import AvroCodec
from schemas.topics import ACCOUNT_TOPICS, MARKET_TOPICS
from sinks import Column, TableLayout, TableMismatch
from sinks.passthrough import NotPassthrough, new_marker, plan_passthrough
from sinks.routes import routes_for, sink_topics
from tests.unit.sinks.account_records import AT, MINUTE, account_record, dec, leg

DEC = "Nullable(Decimal(38, 10))"
LEGS = (
    "Array(Tuple(instrument_type String, symbol String, action String,"
    " quantity Nullable(Decimal(38, 10)), remaining_quantity Nullable(Decimal(38, 10)),"
    " fills Array(Tuple(fill_id String, quantity Decimal(38, 10), fill_price Decimal(38, 10),"
    " filled_at DateTime64(6, 'UTC'), destination_venue Nullable(String),"
    " ext_exec_id Nullable(String), ext_group_fill_id Nullable(String)))))"
)


def _through_avro(stem: str, records: list[dict[str, object]]) -> list[dict[str, object]]:
    codec = AvroCodec()
    codec.add(7, ACCOUNT_TOPICS[stem].schema())
    out = []
    for d in codec.decode_many(codec.encode_many(7, records)):
        assert not isinstance(d, Exception)
        out.append(d.record)
    return out


def _layout(stem: str, columns: list[Column]) -> TableLayout:
    spec = ACCOUNT_TOPICS[stem]
    route = routes_for([spec.name])[spec.name]
    return TableLayout.build("db", spec.table, columns, route.fields, spec.schema())


def test_decimals_convert_exactly_at_full_precision() -> None:
    layout = _layout(
        "balance",
        [Column("cash_balance", DEC), Column("net_liquidating_value", DEC)],
    )
    big = "9999999999999999999999999999.9999999999"  # 38 digits, scale 10
    records = _through_avro(
        "balance",
        [
            account_record("balance", AT, cash_balance=dec(big), net_liquidating_value=None),
            account_record(
                "balance", AT, cash_balance=dec("-0.0000000001"), net_liquidating_value=dec("0.1")
            ),
        ],
    )
    raw = layout.extract(records)
    assert layout.bad_columns(raw) == []
    cash, nlv = layout.convert(raw)
    assert cash == [Decimal(big), Decimal("-0.0000000001")]
    assert nlv == [None, Decimal("0.1")]
    assert all(isinstance(v, Decimal) for v in cash)  # never a float


def test_a_decimal_past_the_column_precision_is_a_violation() -> None:
    layout = _layout("balance", [Column("cash_balance", "Decimal(20, 10)")])
    too_big = account_record("balance", AT, cash_balance=dec("12345678901.5"))
    fits = account_record("balance", AT, cash_balance=dec("1234567890.5"))
    assert layout.bad_columns(layout.extract([fits])) == []
    assert layout.bad_columns(layout.extract([fits, too_big])) == ["cash_balance"]
    reason = layout.violations(too_big)
    assert reason is not None
    assert "cash_balance" in reason
    assert layout.violations(fits) is None


def test_order_legs_and_fills_become_nested_tuples() -> None:
    layout = _layout("order", [Column("order_id", "Nullable(Int64)"), Column("legs", LEGS)])
    record = account_record(
        "order",
        AT,
        order_id=42,
        legs=[
            leg("SPY", "3", [("f1", "1", "500.25", AT), ("f2", "2", "500.2500000001", AT + 1)]),
            leg("QQQ", "1.5", []),
        ],
    )
    (decoded,) = _through_avro("order", [record])
    raw = layout.extract([decoded])
    assert layout.bad_columns(raw) == []
    ids, legs = layout.convert(raw)
    assert ids == [42]
    (spy, qqq) = legs[0]
    assert spy[:5] == ("Equity", "SPY", "Buy to Open", Decimal(3), None)
    assert spy[5] == [
        ("f1", Decimal(1), Decimal("500.25"), AT, None, None, None),
        ("f2", Decimal(2), Decimal("500.2500000001"), AT + 1, None, None, None),
    ]
    assert (qqq[1], qqq[3], qqq[5]) == ("QQQ", Decimal("1.5"), [])


def test_a_malformed_fill_is_named() -> None:
    layout = _layout("order", [Column("legs", LEGS)])
    bad = account_record("order", AT, legs=[leg("SPY", "1", [("f1", "1", "1", AT)])])
    bad["legs"][0]["fills"][0]["filled_at"] = "yesterday"
    assert layout.bad_columns(layout.extract([bad])) == ["legs"]
    assert layout.violations(bad) is not None


def test_avro_dates_feed_date32_as_days() -> None:
    layout = _layout("transaction", [Column("transaction_date", "Date32")])
    day = AT // 86_400_000_000
    record = account_record("transaction", AT + MINUTE, transaction_date=day)
    (decoded,) = _through_avro("transaction", [record])
    assert layout.convert(layout.extract([decoded])) == [[day]]


def test_a_decimal_column_of_another_scale_stops_start_up() -> None:
    with pytest.raises(TableMismatch, match="scale 2"):
        _layout("balance", [Column("cash_balance", "Nullable(Decimal(38, 2))")])
    with pytest.raises(TableMismatch, match="currency"):
        _layout("balance", [Column("currency", "Decimal(38, 10)")])


@pytest.mark.parametrize("stem", sorted(ACCOUNT_TOPICS))
def test_the_fast_path_refuses_account_schemas_cleanly(stem: str) -> None:
    spec = ACCOUNT_TOPICS[stem]
    layout = _layout(stem, [Column("account_number", "LowCardinality(String)")])
    plan = plan_passthrough(layout, spec.schema(), 3, spec.schema(), new_marker())
    assert isinstance(plan, NotPassthrough)
    assert "not of a primitive type" in plan.reason


def test_account_routes_and_sink_topics() -> None:
    names = {s.name for s in ACCOUNT_TOPICS.values()}
    assert set(sink_topics(accounts=False)) == {s.name for s in MARKET_TOPICS.values()}
    assert set(sink_topics(accounts=True)) == names | {s.name for s in MARKET_TOPICS.values()}
    routes = routes_for(["it-1.tt.acct.order.v1", "tt.acct.transaction.v1"])
    assert routes["it-1.tt.acct.order.v1"].table == "account_orders"
    assert routes["it-1.tt.acct.order.v1"].dlq == "it-1.tt.acct.order.v1.dlq"
    assert routes["tt.acct.transaction.v1"].table == "account_transactions"
    assert set(routes_for(None)) == {s.name for s in MARKET_TOPICS.values()}
    with pytest.raises(ValueError, match="market or account"):
        routes_for(["tt.acct.nope.v1"])
