"""Bad settings and arguments: one line naming the variable and what it accepts, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli.console import tastystream
from tests.support import free_port

pytestmark = pytest.mark.integration


def test_an_unknown_log_level_names_the_variable_and_the_levels(tmp_path: Path) -> None:
    outcome = tastystream(tmp_path, "sql", "SELECT 1", LOG_LEVEL="LOUD")
    line = outcome.assert_failed(2, "LOG_LEVEL='LOUD'")
    for level in ("DEBUG", "INFO", "WARNING", "ERROR"):
        assert level in line


def test_a_port_that_is_not_a_number_names_the_variable_not_the_field(tmp_path: Path) -> None:
    outcome = tastystream(tmp_path, "stack", "status", STACK_KAFKA_PORT="abc")
    outcome.assert_failed(2, "STACK_KAFKA_PORT='abc'", "integer")
    assert "kafka_port" not in outcome.stderr
    assert "pydantic" not in outcome.stderr


def test_a_port_out_of_range_says_the_limit(tmp_path: Path) -> None:
    outcome = tastystream(tmp_path, "stack", "status", STACK_REGISTRY_PORT="70000")
    outcome.assert_failed(2, "STACK_REGISTRY_PORT='70000'", "65535")


def test_settings_that_disagree_name_both_variables(tmp_path: Path) -> None:
    outcome = tastystream(
        tmp_path, "topics", KAFKA_REPLICATION_FACTOR="1", KAFKA_MIN_INSYNC_REPLICAS="2"
    )
    outcome.assert_failed(2, "KAFKA_MIN_INSYNC_REPLICAS=2", "KAFKA_REPLICATION_FACTOR=1")


def test_a_bad_option_value_is_a_usage_error(tmp_path: Path) -> None:
    outcome = tastystream(tmp_path, "sql", "--format", "xml", "SELECT 1")
    outcome.assert_failed(2, "--format", "'xml'", "tastystream sql --help")


def test_an_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    tastystream(tmp_path, "frobnicate").assert_failed(2, "frobnicate", "tastystream --help")


def test_help_documents_the_exit_codes(tmp_path: Path) -> None:
    outcome = tastystream(tmp_path, "--help")
    assert outcome.code == 0
    text = " ".join(outcome.stdout.split())
    assert "Exit codes: 0 success, 1 failure while running" in text
    assert "2 usage or configuration error" in text
    assert "--debug" in text


def test_tracebacks_only_when_asked(tmp_path: Path) -> None:
    """The same failure: one line by default; with --debug or LOG_LEVEL=DEBUG the traceback
    first, and still the one line last."""
    url = f"http://127.0.0.1:{free_port()}"
    quiet = tastystream(tmp_path, "sql", "SELECT 1", CLICKHOUSE_URL=url)
    quiet.assert_failed(1, f"ClickHouse at {url} is unreachable")
    assert len(quiet.stderr.strip().splitlines()) == 1, quiet.stderr
    for args, level in ((("--debug", "sql", "SELECT 1"), "INFO"), (("sql", "SELECT 1"), "DEBUG")):
        loud = tastystream(tmp_path, *args, CLICKHOUSE_URL=url, LOG_LEVEL=level)
        assert loud.code == 1
        assert "Traceback (most recent call last)" in loud.stderr
        assert loud.last_line == quiet.last_line
