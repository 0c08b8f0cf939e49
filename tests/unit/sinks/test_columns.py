"""Record → column conversion: against every real market table (embedded chdb) and edge types."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import chdb.session
import pytest

from schemas import MARKET_TOPICS, AvroCodec
from sinks import Column, TableLayout, TableMismatch
from sinks.columns import parse_column_type
from sinks.migrate import ChdbTarget, migrate
from sinks.routes import routes_for
from tests.unit.sinks.records import T0, records

DB = "tastystream"


@pytest.fixture(scope="module")
def table_columns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[Column]]]:
    session = chdb.session.Session(str(tmp_path_factory.mktemp("chdb-sink")))  # type: ignore[no-untyped-call]
    try:
        migrate(ChdbTarget(session), DB)
        text = session.query(  # type: ignore[no-untyped-call]
            f"SELECT table, name, type, default_kind FROM system.columns WHERE database = '{DB}'"
            " ORDER BY table, position",
            "JSONCompact",
        ).bytes()
        out: dict[str, list[Column]] = {}
        for table, name, type_, kind in json.loads(text)["data"]:
            out.setdefault(table, []).append(Column(name, type_, kind))
        yield out
    finally:
        session.close()  # type: ignore[no-untyped-call]


def _decoded(event_type: str, n: int) -> list[dict[str, Any]]:
    """Records as the sink gets them: through Avro and back (timestamps stay micros)."""
    spec = MARKET_TOPICS[event_type]
    codec = AvroCodec()
    codec.add(1, spec.schema())
    return [d.record for d in codec.decode_many(codec.encode_many(1, records(event_type, n)))]  # type: ignore[union-attr]


@pytest.mark.parametrize("event_type", sorted(MARKET_TOPICS))
def test_every_market_table_is_fed_column_for_column(
    table_columns: dict[str, list[Column]], event_type: str
) -> None:
    route = routes_for(None)[MARKET_TOPICS[event_type].name]
    columns = table_columns[route.table]
    layout = TableLayout.build(DB, route.table, columns, route.fields)
    # every stored column is fed; nothing computed is sent
    assert layout.column_names == [c.name for c in columns if c.default_kind == ""]
    values = _decoded(event_type, 50)
    raw = layout.extract(values)
    assert layout.bad_columns(raw) == []
    data = layout.convert(raw)
    assert all(len(col) == 50 for col in data)
    by_name = dict(zip(layout.column_names, data, strict=True))
    assert by_name["ts"] == [T0 + i * 1_000_000 for i in range(50)]  # ts_event micros = ticks
    assert by_name["event_id"] == [v["event_id"] for v in values]
    for plan, column in zip(layout.plans, data, strict=True):
        assert column == [v[plan.field] for v in values], plan.column.name
    assert all(layout.violations(v) is None for v in values)


def test_datetime_precisions_dates_and_ints_convert_and_check() -> None:
    columns = [
        Column("ts", "DateTime64(3, 'UTC')"),
        Column("t9", "DateTime64(9)"),
        Column("sec", "DateTime('UTC')"),
        Column("day", "Date"),
        Column("n", "UInt8"),
        Column("side", "Enum8('BUY' = 1, 'SELL' = 2)"),
        Column("code", "FixedString(1)"),
        Column("maybe", "Nullable(Float64)"),
        Column("sym", "LowCardinality(String)"),
        Column("date", "Date", "MATERIALIZED"),
        Column("extra", "String", "DEFAULT"),
    ]
    fields = ["ts_event", "t9", "sec", "day", "n", "side", "code", "maybe", "sym"]
    layout = TableLayout.build("db", "t", columns, fields)
    assert layout.column_names == ["ts", "t9", "sec", "day", "n", "side", "code", "maybe", "sym"]
    micros = 1_700_000_000_123_456
    good = {
        "ts_event": micros,
        "t9": micros,
        "sec": micros,
        "day": micros,
        "n": 255,
        "side": "SELL",
        "code": "Q",
        "maybe": None,
        "sym": "SPY",
    }
    raw = layout.extract([good])
    assert layout.bad_columns(raw) == []
    assert layout.convert(raw) == [
        [1_700_000_000_123],
        [micros * 1000],
        [1_700_000_000],
        [19_675],
        [255],
        ["SELL"],
        ["Q"],
        [None],
        ["SPY"],
    ]
    for field, bad in (
        ("n", 256),
        ("n", -1),
        ("side", "HOLD"),
        ("code", "QQ"),
        ("ts_event", 10**19),
    ):
        record = {**good, field: bad}
        if field != "code":  # FixedString length is only checked row-wise
            assert layout.bad_columns(layout.extract([good, record])) == [
                field if field != "ts_event" else "ts"
            ]
        reason = layout.violations(record)
        assert reason is not None
        assert field in reason


def test_uuid_and_missing_values_are_violations() -> None:
    layout = TableLayout.build(
        "db", "t", [Column("event_id", "UUID"), Column("x", "Int32")], ["event_id", "x"]
    )
    assert layout.violations({"event_id": "6f1c1c2e-6d0b-5b8e-9a57-7a5f0d3c2b11", "x": 1}) is None
    assert "event_id" in (layout.violations({"event_id": "nope", "x": 1}) or "")
    assert "x" in (layout.violations({"event_id": "6f1c1c2e-6d0b-5b8e-9a57-7a5f0d3c2b11"}) or "")
    assert layout.bad_columns(layout.extract([{"event_id": "x"}])) == ["x"]


def test_a_column_nothing_feeds_is_a_mismatch_at_build_time() -> None:
    with pytest.raises(TableMismatch, match="strike"):
        TableLayout.build("db", "t", [Column("strike", "Float64")], ["price"])
    with pytest.raises(TableMismatch, match="does not exist"):
        TableLayout.build("db", "t", [], ["price"])
    with pytest.raises(TableMismatch, match="cannot feed"):
        TableLayout.build("db", "t", [Column("m", "Map(String, String)")], ["m"])


def test_parse_column_type_unwraps() -> None:
    assert parse_column_type("LowCardinality(Nullable(String))") == ("String", True)
    assert parse_column_type("DateTime64(6, 'UTC')") == ("DateTime64(6, 'UTC')", False)
