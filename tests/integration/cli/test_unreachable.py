"""Services that are not there: one line naming the address and the way out, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli.console import tastystream
from tests.support import free_port

pytestmark = pytest.mark.integration


def test_run_without_the_local_stack(tmp_path: Path) -> None:
    registry = f"http://127.0.0.1:{free_port()}"
    outcome = tastystream(
        tmp_path,
        "run",
        SCHEMA_REGISTRY_URL=registry,
        KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}",
        CLICKHOUSE_URL=f"http://127.0.0.1:{free_port()}",
    )
    outcome.assert_failed(
        1,
        f"schema registry {registry} is unreachable",
        "`tastystream stack up`",
        "SCHEMA_REGISTRY_URL",
    )
    assert "ExceptionGroup" not in outcome.stderr


def test_sql_without_clickhouse(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    outcome = tastystream(tmp_path, "sql", "SELECT 1", CLICKHOUSE_URL=url)
    outcome.assert_failed(1, f"ClickHouse at {url} is unreachable", "CLICKHOUSE_URL")
    assert "urllib3" not in outcome.stderr  # the driver's own retry warnings stay out


def test_topics_without_kafka_still_lists_the_contract(tmp_path: Path) -> None:
    """``topics`` describes the contract; Kafka away is a note under the table, not a failure."""
    bootstrap = f"127.0.0.1:{free_port()}"
    outcome = tastystream(tmp_path, "topics", KAFKA_BOOTSTRAP=bootstrap)
    assert outcome.code == 0, outcome.stderr
    assert "tt.md.quote.v1" in outcome.stdout
    assert f"kafka {bootstrap} unreachable" in outcome.stdout
    assert "Traceback" not in outcome.stderr
