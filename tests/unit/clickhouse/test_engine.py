"""Engine lifecycle and the SQL the server writes itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tastystream.stack.clickhouse import ClickHouseError, Engine
from tastystream.stack.clickhouse.sql_literal import quote_identifier, quote_string, set_statement


async def test_engine_states_and_calls_outside_its_lifetime(tmp_path: Path) -> None:
    engine = Engine(tmp_path / "ch")
    assert engine.state == "stopped"
    with pytest.raises(ClickHouseError) as before:
        await engine.call(int)
    assert (before.value.code, before.value.http_status) == (439, 503)
    async with engine:
        assert engine.state == "running"
        assert engine.version.count(".") >= 2
        assert await engine.call(int, "7") == 7
    assert engine.state == "stopped"
    with pytest.raises(ClickHouseError):
        await engine.call(int)


def test_set_statement_quotes_values_and_validates_names() -> None:
    assert set_statement({"a": "x'y\\z", "b": None}) == "SET a = 'x\\'y\\\\z', b = DEFAULT"
    for hostile in ("a = 1, readonly", "a;DROP", "", "1a"):
        with pytest.raises(ClickHouseError) as info:
            set_statement({hostile: "1"})
        assert info.value.code == 36


def test_quoting() -> None:
    assert quote_string("it's") == "'it\\'s'"
    assert quote_identifier("we`ird") == "`we\\`ird`"


async def test_failed_start_leaves_nothing_running(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    engine = Engine(blocker / "ch")
    with pytest.raises(OSError):
        await engine.__aenter__()
    assert engine.state == "stopped"
