"""Property: every record the Avro schema allows (within ClickHouse's time range) survives
wire bytes → decode → clickhouse-connect insert → SELECT unchanged, NaN included."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import clickhouse_connect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.codec import AvroCodec, Decoded
from schemas.topics import MARKET_TOPICS, TopicSpec
from sinks.ddl import column_names, columns_for, row_of
from sinks.migrate import migrate_url
from tests.support import unique
from tests.unit.schemas.avro_strategies import for_type, same

pytestmark = pytest.mark.integration

_MAX_TS = 4_102_444_800_000_000  # 2100-01-01, inside DateTime64(6)'s range


def _strategy(spec: TopicSpec) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in spec.schema()["fields"]:
        avro_type = field["type"]
        if isinstance(avro_type, dict) and avro_type.get("logicalType") == "timestamp-micros":
            fields[field["name"]] = st.integers(0, _MAX_TS)
        else:
            fields[field["name"]] = for_type(avro_type)
    fields["event_id"] = st.uuids().map(str)
    return st.fixed_dictionaries(fields)


def _micros(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # clickhouse-connect hands back naive UTC datetimes
            value = value.replace(tzinfo=dt.UTC)
        return (value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


@pytest.fixture(scope="module")
def client(clickhouse_url: str, clickhouse_password: str) -> Iterator[Any]:
    database = unique("rt").replace("-", "_")
    migrate_url(clickhouse_url, password=clickhouse_password, database=database)
    ch = clickhouse_connect.get_client(
        dsn=clickhouse_url, password=clickhouse_password, database=database
    )
    try:
        yield ch
    finally:
        ch.command(f"DROP DATABASE IF EXISTS {database}")
        ch.close()


@pytest.mark.parametrize("spec", list(MARKET_TOPICS.values()), ids=lambda s: s.table)
def test_records_survive_the_table(client: Any, spec: TopicSpec) -> None:
    codec = AvroCodec()
    codec.add(1, spec.schema())
    fields = [f for _, f in columns_for(spec)]

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_strategy(spec))
    def check(record: dict[str, Any]) -> None:
        record["symbol"] = uuid.uuid4().hex  # one row per key, whatever the engine merges
        decoded = codec.decode(codec.encode(1, record))
        assert isinstance(decoded, Decoded)
        client.insert(
            spec.table, [row_of(spec, decoded.record)], column_names=list(column_names(spec))
        )
        [row] = client.query(
            f"SELECT * FROM {spec.table} WHERE symbol = {{s:String}}",
            parameters={"s": record["symbol"]},
        ).result_rows
        back = {f: _micros(v) for f, v in zip(fields, row, strict=True)}
        assert same(back, record), spec.table

    check()
