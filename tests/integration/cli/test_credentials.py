"""`tastystream run` against the local stack and the sandbox with a setting that is wrong:
credentials refused, a foreign account, Tastytrade or Kafka away, a wrong ClickHouse password."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.config import DEFAULT_CLIENT_SECRET, DEFAULT_OTHER_ACCOUNT, DEFAULT_REFRESH_TOKEN
from tastystream.stack import StackConfig
from tests.integration.cli.console import Outcome, clean_env, tastystream
from tests.support import free_port

pytestmark = pytest.mark.integration

WRONG_SECRET = "not-the-sandbox-secret-1234"


def _run(cwd: Path, stack: StackConfig, sandbox_url: str, **overrides: str) -> Outcome:
    settings = {
        "KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "CLICKHOUSE_URL": stack.clickhouse_url,
        "CLICKHOUSE_PASSWORD": stack.clickhouse_password,
        "TT_BASE_URL": sandbox_url,
        "TT_STREAMER_URL": sandbox_url.replace("http", "ws") + "/streamer",
        "TT_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "TT_REFRESH_TOKEN": DEFAULT_REFRESH_TOKEN,
        "TT_SYMBOLS": "SPY",
        "TT_REQUEST_TIMEOUT_S": "5",
        "KAFKA_CLIENT_ID": f"cli-{free_port()}",
    }
    return tastystream(cwd, "run", timeout=90, env=clean_env(cwd, **{**settings, **overrides}))


def test_refused_credentials_are_told_as_such(
    tmp_path: Path, stack_config: StackConfig, sandbox_url: str
) -> None:
    outcome = _run(tmp_path, stack_config, sandbox_url, TT_CLIENT_SECRET=WRONG_SECRET)
    outcome.assert_failed(
        1,
        f"Tastytrade at {sandbox_url} refused the credentials (401",
        "TT_CLIENT_SECRET",
        "TT_REFRESH_TOKEN",
    )
    assert "unknown symbol" not in outcome.stderr  # the symbol is fine; the login is not
    assert "ExceptionGroup" not in outcome.stderr
    assert WRONG_SECRET not in outcome.stderr + outcome.stdout


def test_an_account_that_is_not_theirs(
    tmp_path: Path, stack_config: StackConfig, sandbox_url: str
) -> None:
    outcome = _run(tmp_path, stack_config, sandbox_url, TT_ACCOUNTS=DEFAULT_OTHER_ACCOUNT)
    outcome.assert_failed(1, f"account {DEFAULT_OTHER_ACCOUNT} is not accessible", "TT_ACCOUNTS")


def test_tastytrade_unreachable(tmp_path: Path, stack_config: StackConfig) -> None:
    away = f"http://127.0.0.1:{free_port()}"
    outcome = _run(tmp_path, stack_config, away)
    outcome.assert_failed(1, f"Tastytrade at {away} is unreachable", "TT_BASE_URL")


def test_kafka_unreachable(tmp_path: Path, stack_config: StackConfig, sandbox_url: str) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    outcome = _run(tmp_path, stack_config, sandbox_url, KAFKA_BOOTSTRAP=bootstrap)
    outcome.assert_failed(1, f"Kafka at {bootstrap} is unreachable", "KAFKA_BOOTSTRAP")


def test_clickhouse_unreachable(
    tmp_path: Path, stack_config: StackConfig, sandbox_url: str
) -> None:
    away = f"http://127.0.0.1:{free_port()}"
    outcome = _run(tmp_path, stack_config, sandbox_url, CLICKHOUSE_URL=away)
    outcome.assert_failed(1, f"ClickHouse at {away} is unreachable", "CLICKHOUSE_URL")


def test_a_wrong_clickhouse_password(
    tmp_path: Path, stack_config: StackConfig, sandbox_url: str
) -> None:
    wrong = "not-the-clickhouse-password"
    expected = (
        f"ClickHouse at {stack_config.clickhouse_url} refused the credentials of user 'default'",
        "CLICKHOUSE_PASSWORD",
    )
    outcome = _run(tmp_path, stack_config, sandbox_url, CLICKHOUSE_PASSWORD=wrong)
    outcome.assert_failed(1, *expected)
    query = tastystream(
        tmp_path,
        "sql",
        "SELECT 1",
        CLICKHOUSE_URL=stack_config.clickhouse_url,
        CLICKHOUSE_PASSWORD=wrong,
    )
    query.assert_failed(1, *expected)
    assert wrong not in outcome.stderr + query.stderr
