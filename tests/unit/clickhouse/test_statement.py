"""Routing a query: INSERT data offsets and output FORMAT clauses, as ClickHouse's parser sees them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tastystream.stack.clickhouse.statement import analyze


@pytest.mark.parametrize(
    ("head", "fmt", "sql", "data"),
    [
        (b"INSERT INTO t FORMAT CSV\n1,2\n", "CSV", b"INSERT INTO t ", b"1,2\n"),
        (b"insert into db.t (a, `format`) FORMAT Native\n\x00\x01", "Native", None, b"\x00\x01"),
        (b'INSERT INTO format FORMAT JSONEachRow {"a":1}', "JSONEachRow", None, b'{"a":1}'),
        (b"INSERT INTO t SETTINGS x = 'FORMAT' FORMAT TSV\r\n1\n", "TSV", None, b"1\n"),
        (b"INSERT INTO t VALUES (1), (2)", "Values", b"INSERT INTO t ", b"(1), (2)"),
        (b"INSERT INTO FUNCTION file('f', 'CSV') FORMAT CSV\n1", "CSV", None, b"1"),
        (
            b"/* FORMAT x */ INSERT INTO t -- FORMAT y\n FORMAT RowBinary\n\n",
            "RowBinary",
            None,
            b"\n",
        ),
        (b"INSERT INTO t FORMAT CSV   \n\n1", "CSV", None, b"\n1"),
    ],
)
def test_insert_with_inline_data(head: bytes, fmt: str, sql: bytes | None, data: bytes) -> None:
    statement = analyze(head)
    assert statement is not None
    assert statement.kind == "INSERT"
    assert statement.insert_format == fmt
    assert head[statement.data_start :] == data
    if sql is not None:
        assert head[: statement.sql_end] == sql


@pytest.mark.parametrize("head", [b"INSERT INTO t SELECT 1", b"INSERT INTO t WITH 1 AS x SELECT x"])
def test_insert_select_has_no_inline_data(head: bytes) -> None:
    statement = analyze(head)
    assert statement is not None
    assert statement.kind == "INSERT"
    assert not statement.has_inline_data


@pytest.mark.parametrize("head", [b"INSERT INTO t (a", b"INSERT INTO t FORMAT", b"INSERT INTO t '"])
def test_truncated_insert_asks_for_more(head: bytes) -> None:
    assert analyze(head) is None


@pytest.mark.parametrize(
    ("sql", "fmt"),
    [
        ("SELECT 1 FORMAT JSON", "JSON"),
        ("select 1 format JSONEachRow;", "JSONEachRow"),
        ("SELECT 1 FORMAT CSV SETTINGS max_threads = 1", "CSV"),
        ("(SELECT 1) FORMAT TSV", "TSV"),
        ("SELECT format FROM t", None),
        ("SELECT 'FORMAT JSON'", None),
        ("SELECT 1 -- FORMAT JSON\n", None),
        ("SELECT (SELECT 1 FORMAT JSON)", None),
        ('SELECT "FORMAT" FROM t', None),
        ("SELECT 1", None),
    ],
)
def test_output_format(sql: str, fmt: str | None) -> None:
    statement = analyze(sql.encode())
    assert statement is not None
    assert statement.kind == sql.lstrip("(").split()[0].upper().rstrip(")")
    assert statement.output_format == fmt


@given(st.binary(max_size=200), st.sampled_from(["Native", "RowBinary", "CSV"]))
def test_binary_data_after_format_is_never_lexed(data: bytes, fmt: str) -> None:
    head = f"INSERT INTO t (a, b) FORMAT {fmt}\n".encode() + data
    statement = analyze(head)
    assert statement is not None
    assert statement.insert_format == fmt
    assert head[statement.data_start :] == data


@pytest.mark.parametrize(
    ("sql", "client_side"),
    [
        ("SELECT 1 INTO OUTFILE '/tmp/x'", "INTO OUTFILE"),
        ("select 1 into  outfile 'x' FORMAT CSV", "INTO OUTFILE"),
        ("INSERT INTO t FROM INFILE '/etc/passwd' FORMAT LineAsString", "FROM INFILE"),
        ("SELECT 'INTO OUTFILE'", None),
        ("INSERT INTO t SELECT 1", None),
    ],
)
def test_client_side_clauses_are_flagged(sql: str, client_side: str | None) -> None:
    statement = analyze(sql.encode())
    assert statement is not None
    assert statement.client_side == client_side
