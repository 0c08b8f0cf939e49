"""`tastystream sql` output and one-line errors; `tastystream topics` declared rows."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from rich.console import Console

from tastystream.sql import QueryResult, one_line, render
from tastystream.topics_view import declared_rows


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=200, force_terminal=False, color_system=None), buf


RESULT = QueryResult(
    ["symbol", "ts", "price"],
    ["String", "DateTime64(6, 'UTC')", "Float64"],
    [
        ("SPY", datetime(2026, 1, 2, 15, 30, 0, 125000, tzinfo=UTC), 601.25),
        ("QQQ", datetime(2026, 1, 2, tzinfo=UTC), float("nan")),
    ],
)


def test_table_csv_and_json_renderings() -> None:
    console, buf = _console()
    render(RESULT, "table", console)
    table = buf.getvalue()
    assert "SPY" in table
    assert "2026-01-02 15:30:00.125" in table
    assert "2 rows" in table

    console, buf = _console()
    render(RESULT, "csv", console)
    lines = buf.getvalue().splitlines()
    assert lines[0] == "symbol,ts,price"
    assert lines[1].startswith("SPY,2026-01-02 15:30:00.125")

    console, buf = _console()
    render(RESULT, "json", console)
    rows = json.loads(buf.getvalue())
    assert rows[0]["symbol"] == "SPY"
    assert rows[1]["price"] is None  # NaN is not JSON


def test_clickhouse_exceptions_become_one_line() -> None:
    raw = (
        "HTTPDriver for http://127.0.0.1:8123 received ClickHouse error code 62\n"
        " Code: 62. DB::Exception: Syntax error: failed at position 1 ('SELEC'): SELEC 1. "
        "(SYNTAX_ERROR) (version 25.8.1.1)\n"
    )
    assert one_line(Exception(raw)) == (
        "ClickHouse error 62: Syntax error: failed at position 1 ('SELEC'): SELEC 1. (SYNTAX_ERROR)"
    )
    assert one_line(Exception("connection refused\nmore")) == "connection refused"


def test_topics_view_lists_every_market_topic_and_its_dead_letters() -> None:
    rows = declared_rows()
    names = [r.name for r in rows]
    assert "tt.md.quote.v1" in names
    assert "tt.md.quote.v1.dlq" in names
    quote = next(r for r in rows if r.name == "tt.md.quote.v1")
    assert quote.subject == "tt.md.quote.v1-value"
    assert quote.key == "streamer_symbol"
    assert len(names) == 30
    order = next(r for r in rows if r.name == "tt.acct.order.v1")
    assert (order.key, order.producer) == ("account_number", "ingest.account")
    assert "tt.acct.transaction.v1.dlq" in names
