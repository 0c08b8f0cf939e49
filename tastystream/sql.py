"""`tastystream sql`: run a query on the configured ClickHouse and print it for people."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from sinks.connection import client_for
from tastystream.failures import clickhouse_failure
from tastystream.settings import ClickHouseSettings

_CODE = re.compile(r"Code:\s*(\d+)\.\s*(?:DB::Exception:\s*)?(.*)", re.S)
_NOISE = re.compile(r"\s*\(version [^)]*\)\s*$|\s*Stack trace:.*$", re.S)


class QueryFailed(Exception):
    """A query failed; the message is one line, fit for a terminal."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


def one_line(exc: BaseException) -> str:
    """ClickHouse's multi-line exception text, reduced to ``Code N: message``."""
    text = str(exc)
    match = _CODE.search(text)
    if match:
        message = _NOISE.sub("", match.group(2)).strip().splitlines()[0]
        return f"ClickHouse error {match.group(1)}: {message}"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first


def run_query(cfg: ClickHouseSettings, query: str) -> QueryResult:
    try:
        client = client_for(cfg)
    except Exception as exc:
        known = clickhouse_failure(exc, cfg)
        reason = (
            known.message if known else f"cannot reach ClickHouse at {cfg.url}: {one_line(exc)}"
        )
        raise QueryFailed(reason) from None
    try:
        try:
            result = client.query(query, settings={"database": cfg.database})
        except Exception as exc:
            if "UNKNOWN_DATABASE" in str(exc) or "Code: 81." in str(exc):
                result = client.query(query)
            else:
                raise
    except Exception as exc:
        raise QueryFailed(one_line(exc)) from None
    finally:
        client.close()
    return QueryResult(
        list(result.column_names),
        [t.name for t in result.column_types],
        [tuple(r) for r in result.result_rows],
    )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="milliseconds" if value.microsecond else "seconds")
    if value is None:
        return "NULL"
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def render(result: QueryResult, fmt: str, console: Console) -> None:
    if fmt == "json":
        rows = [dict(zip(result.columns, map(_jsonable, row), strict=True)) for row in result.rows]
        console.print_json(json.dumps(rows))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(result.columns)
        writer.writerows([[_cell(v) for v in row] for row in result.rows])
        console.out(buf.getvalue().rstrip("\n"), highlight=False)
    else:
        table = Table(show_lines=False)
        for name, type_ in zip(result.columns, result.types, strict=True):
            numeric = any(t in type_ for t in ("Int", "Float", "Decimal"))
            table.add_column(name, justify="right" if numeric else "left")
        for row in result.rows:
            table.add_row(*(_cell(v) for v in row))
        console.print(table)
        console.print(f"[dim]{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}[/]")


__all__ = ["QueryFailed", "QueryResult", "client_for", "one_line", "render", "run_query"]
