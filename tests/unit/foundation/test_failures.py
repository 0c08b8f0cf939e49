"""The CLI's one translation point: root causes out of task groups, one line per failure."""

from __future__ import annotations

import asyncio

import pytest

from adapters.tastytrade.errors import AuthError, NotFound, StreamError, Unrecoverable
from schemas.errors import RegistryUnavailable
from tastystream.failures import EXIT_FAILURE, EXIT_USAGE, Failure, explain, root_causes
from tastystream.settings import Settings, SettingsError


def _settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://registry.example:8081")
    monkeypatch.setenv("TT_BASE_URL", "https://tt.example")
    return Settings.load(env_file=None)


def test_root_causes_walk_nested_groups_and_cause_chains() -> None:
    auth = AuthError(401, "invalid_client", "bad secret")
    gave_up = Unrecoverable("dxlink gave up", cause=auth)
    inner = BaseExceptionGroup("inner", [asyncio.CancelledError(), gave_up])
    group = BaseExceptionGroup("outer", [inner])
    assert list(root_causes(group)) == [inner.exceptions[0], gave_up, auth]


def test_the_auth_failure_inside_a_task_group_is_what_is_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auth = AuthError(401, "invalid_client", "bad secret")
    group = BaseExceptionGroup(
        "unhandled errors in a TaskGroup",
        [asyncio.CancelledError(), Unrecoverable("dxlink gave up: 401", cause=auth)],
    )
    failure = explain(group, _settings(monkeypatch))
    assert failure.exit_code == EXIT_FAILURE
    assert failure.message.startswith("Tastytrade at https://tt.example refused the credentials")
    assert "(401 invalid_client)" in failure.message


def test_a_foreign_account_is_told_by_number(monkeypatch: pytest.MonkeyPatch) -> None:
    for exc in (
        AuthError(403, "forbidden", "no", path="/customers/me/accounts/5WT00099"),
        NotFound(404, "not_found", "no", path="/customers/me/accounts/5WT00099"),
    ):
        failure = explain(exc, _settings(monkeypatch))
        assert failure.message.startswith("account 5WT00099 is not accessible"), failure.message
        assert "TT_ACCOUNTS" in failure.message


def test_the_registry_is_named_by_its_url(monkeypatch: pytest.MonkeyPatch) -> None:
    cause = RegistryUnavailable("PUT /config/x: ConnectError")
    failure = explain(RuntimeError("wrapped"), None)
    assert failure.message.startswith("unexpected RuntimeError: wrapped")
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = cause
    failure = explain(wrapped, _settings(monkeypatch))
    assert failure.message == (
        "schema registry http://registry.example:8081 is unreachable — start the local stack"
        " with `tastystream stack up` or set SCHEMA_REGISTRY_URL"
    )


def test_unknown_errors_are_one_line_pointing_at_debug() -> None:
    failure = explain(StreamError("line one\nline two"), None)
    assert (
        failure.message == "unexpected StreamError: line one — rerun with --debug for the traceback"
    )
    assert "\n" not in Failure("a\nb  c").message


def test_settings_errors_are_usage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "yaml")
    with pytest.raises(SettingsError) as caught:
        Settings.load(env_file=None)
    message = str(caught.value)
    assert message.startswith("LOG_FORMAT='yaml' is not valid:")
    assert "'text' or 'json'" in message
    assert explain(caught.value).exit_code == EXIT_USAGE


def test_a_secret_setting_never_shows_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TT_DXLINK_QUEUE_SIZE", "lots")
    with pytest.raises(SettingsError, match=r"TT_DXLINK_QUEUE_SIZE='lots'"):
        Settings.load(env_file=None)
    from tastystream.settings import TastytradeSettings, _describe

    described = _describe(
        TastytradeSettings,
        {"loc": ("client_secret",), "msg": "Input should be a string", "input": 12345678},
    )
    assert described.startswith("TT_CLIENT_SECRET is not valid")
    assert "12345678" not in described
