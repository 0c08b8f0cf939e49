"""Migrations, inserts and views through clickhouse-connect against the stack's ClickHouse."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import clickhouse_connect
import pytest

from schemas.codec import AvroCodec
from schemas.topics import MARKET_TOPICS, TopicSpec
from sinks.ddl import EXAMPLES, column_names, load_migrations, row_of
from sinks.ddl.examples import BARS_5M_FOR_A_DAY, LATEST_QUOTES
from sinks.migrate import ClickHouseConnectTarget, applied_migrations, migrate_url
from tests.support import unique
from tests.unit.sinks_ddl.records import T0, make, quote, trade

pytestmark = pytest.mark.integration

S = 1_000_000


@pytest.fixture
def database(clickhouse_url: str, clickhouse_password: str) -> Iterator[str]:
    name = unique("it").replace("-", "_")
    yield name
    client = clickhouse_connect.get_client(dsn=clickhouse_url, password=clickhouse_password)
    try:
        client.command(f"DROP DATABASE IF EXISTS {name}")
    finally:
        client.close()


@pytest.fixture
def client(clickhouse_url: str, clickhouse_password: str, database: str) -> Iterator[Any]:
    migrate_url(clickhouse_url, password=clickhouse_password, database=database)
    ch = clickhouse_connect.get_client(
        dsn=clickhouse_url, password=clickhouse_password, database=database
    )
    try:
        yield ch
    finally:
        ch.close()


def _through_avro(spec: TopicSpec, records: list[dict[str, Any]]) -> list[list[Any]]:
    """What the sink does: wire bytes → decoded records → rows in column order."""
    codec = AvroCodec()
    codec.add(1, spec.schema())
    decoded = codec.decode_many(codec.encode_many(1, records))
    return [row_of(spec, d.record) for d in decoded if not isinstance(d, Exception)]


def _insert(client: Any, spec: TopicSpec, records: list[dict[str, Any]], token: str) -> None:
    client.insert(
        spec.table,
        _through_avro(spec, records),
        column_names=list(column_names(spec)),
        settings={"insert_deduplication_token": token},
    )


def test_migrations_apply_twice_over_http(
    clickhouse_url: str, clickhouse_password: str, database: str
) -> None:
    versions = [m.version for m in load_migrations()]
    pw = clickhouse_password
    assert migrate_url(clickhouse_url, password=pw, database=database) == versions
    assert migrate_url(clickhouse_url, password=pw, database=database) == []
    ch = clickhouse_connect.get_client(dsn=clickhouse_url, password=pw)
    try:
        assert set(applied_migrations(ClickHouseConnectTarget(ch), database)) == set(versions)
        tables = {r[0] for r in ch.query(f"SHOW TABLES FROM {database}").result_rows}
        assert {s.table for s in MARKET_TOPICS.values()} <= tables
    finally:
        ch.close()


def test_every_market_table_takes_decoded_records(client: Any) -> None:
    for event_type, spec in MARKET_TOPICS.items():
        extra: dict[str, Any] = {"period": "1m"} if event_type == "Candle" else {}
        records = [make(event_type, "SPY", T0 + i * S, **extra) for i in range(3)]
        for r in records:
            if "time" in r:  # indexed events (candles: the candle start, part of the key)
                r["time"] = r["ts_event"]
        _insert(client, spec, records, token=f"{spec.name}:0:0-2")
        _insert(client, spec, records, token=f"{spec.name}:0:0-2")  # replayed batch
        [(count, first_ts)] = client.query(
            f"SELECT count(), toUnixTimestamp64Micro(min(ts)) FROM {spec.table}"
        ).result_rows
        assert (count, first_ts) == (3, T0), spec.table


def test_bars_latest_and_examples_over_http(client: Any) -> None:
    trades = [
        trade("SPY", T0 + 10 * S, 100.0, 10.0),
        trade("SPY", T0 + 30 * S, 101.0, 5.0),
        trade("SPY", T0 + 70 * S, 99.0, 20.0),
        trade("SPY", T0 + 400 * S, 102.0, 1.0),
    ]
    quotes = [quote("SPY", T0, 99.9, 100.1), quote("QQQ", T0, 499.0, 501.0)]
    _insert(client, MARKET_TOPICS["Trade"], trades, token="t:0:0-3")
    _insert(client, MARKET_TOPICS["Trade"], trades, token="t:0:0-3")
    _insert(client, MARKET_TOPICS["Quote"], quotes, token="q:0:0-1")
    bars = client.query(BARS_5M_FOR_A_DAY).result_rows
    assert [(b[1], b[2], b[3], b[4], b[5], b[7]) for b in bars] == [
        (100.0, 101.0, 99.0, 99.0, 35.0, 3),
        (102.0, 102.0, 102.0, 102.0, 1.0, 1),
    ]
    latest = client.query(LATEST_QUOTES).result_rows
    assert [(r[0], r[2], r[3], round(r[4], 3)) for r in latest] == [
        ("QQQ", 499.0, 501.0, 500.0),
        ("SPY", 99.9, 100.1, 100.0),
    ]
    for example in EXAMPLES:
        rows = client.query(example.sql).result_rows
        assert rows, example.title
        assert not any(isinstance(v, float) and math.isnan(v) for v in rows[0][1:3])


def test_insert_select_from_input_takes_the_request_body(client: Any, database: str) -> None:
    """``INSERT … SELECT … FROM input('…') FORMAT x`` + inline data, as the sink's fast path
    sends it (query in the URL, data in the body); a failing row lands nothing."""
    client.command(f"CREATE TABLE {database}.io (n Int64, s String) ENGINE = MergeTree ORDER BY n")
    sql = (
        f"INSERT INTO {database}.io (n, s) SELECT n * 2, upper(s) FROM input('n Int64, s String')"
        " WHERE throwIf(n < 0, 'negative') = 0 FORMAT CSV"
    )
    client.command(sql, data=b"1,a\n2,\xc3\xa9\n3,c\n")
    assert client.query(f"SELECT n, s FROM {database}.io ORDER BY n").result_rows == [
        (2, "A"),
        (4, "é"),  # upper() is ASCII-only: the bytes pass through untouched
        (6, "C"),
    ]
    with pytest.raises(Exception, match="Code: 395"):
        client.command(sql, data=b"7,x\n-1,y\n")
    assert client.command(f"SELECT count() FROM {database}.io") == 3
