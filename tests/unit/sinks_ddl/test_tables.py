from __future__ import annotations

import pytest

from schemas.topics import MARKET_TOPICS, TopicSpec
from sinks.ddl import column_names, columns_for, row_of
from sinks.migrate import ChdbTarget, migrate
from tests.unit.sinks_ddl.records import T0, trade

DB = "ddl_tables"
SPECS = list(MARKET_TOPICS.values())


@pytest.fixture(scope="module")
def target(chdb_target: ChdbTarget) -> ChdbTarget:
    migrate(chdb_target, DB)
    return chdb_target


def _columns(target: ChdbTarget, table: str) -> list[tuple[str, str, str, str]]:
    return [
        (str(n), str(t), str(codec), str(comment))
        for n, t, codec, comment in target.rows(
            "SELECT name, type, compression_codec, comment FROM system.columns "
            f"WHERE database = '{DB}' AND table = '{table}' ORDER BY position"
        )
    ]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.table)
def test_table_columns_mirror_the_avro_record(target: ChdbTarget, spec: TopicSpec) -> None:
    columns = _columns(target, spec.table)
    assert tuple(c[0] for c in columns) == column_names(spec)
    types = {name: typ for name, typ, _, _ in columns}
    assert types["symbol"] == "LowCardinality(String)"
    assert types["streamer_symbol"] == "LowCardinality(String)"
    assert types["ts"] == "DateTime64(6, 'UTC')"
    assert types["ts_ingest"] == "DateTime64(6, 'UTC')"
    assert types["event_id"] == "UUID"
    assert all(comment for _, _, _, comment in columns), "every column documented"
    codecs = {name: codec for name, _, codec, _ in columns}
    assert "DoubleDelta" in codecs["ts"]
    for field in spec.schema()["fields"]:
        if field["type"] == "double":
            assert types[field["name"]] == "Float64"
            assert "Gorilla" in codecs[field["name"]], field["name"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.table)
def test_engines_keys_and_dedup_window(target: ChdbTarget, spec: TopicSpec) -> None:
    [(engine, partition_key, sorting_key, create)] = target.rows(
        "SELECT engine, partition_key, sorting_key, create_table_query FROM system.tables "
        f"WHERE database = '{DB}' AND name = '{spec.table}'"
    )
    assert engine == "ReplacingMergeTree"
    assert "non_replicated_deduplication_window = 10000" in create
    if spec.event_type == "Candle":
        assert sorting_key == "symbol, period, trading_hours_only, time"
        assert partition_key == "toYear(time)"
    else:
        assert sorting_key == "symbol, ts, event_id"
        assert partition_key == "toDate(ts)"


def test_row_of_follows_the_column_order() -> None:
    spec = MARKET_TOPICS["Trade"]
    record = trade("SPY", T0, 100.0, 5.0, sequence=3)
    row = row_of(spec, record)
    assert len(row) == len(column_names(spec))
    by_column = dict(zip(column_names(spec), row, strict=True))
    assert by_column["ts"] == T0
    assert by_column["price"] == 100.0
    assert by_column["sequence"] == 3
    assert ("ts", "ts_event") in columns_for(spec)


def test_support_tables_exist(target: ChdbTarget) -> None:
    names = {
        str(n) for (n,) in target.rows(f"SELECT name FROM system.tables WHERE database = '{DB}'")
    }
    expected = {
        "sink_intents",
        "schema_migrations",
        *(f"bars_{w}{s}" for w in ("1m", "5m", "1h", "1d") for s in ("", "_agg", "_mv")),
        "quote_mids",
        "latest_quotes",
        "latest_trades",
    }
    assert expected <= names
    assert "sink_offsets" not in names  # never written; dropped by 0901


def test_view_targets_keep_a_dedup_window_too(target: ChdbTarget) -> None:
    rows = target.rows(
        "SELECT name, create_table_query FROM system.tables "
        f"WHERE database = '{DB}' AND engine = 'AggregatingMergeTree'"
    )
    assert len(rows) == 7
    for name, create in rows:
        assert "non_replicated_deduplication_window = 10000" in create, name
