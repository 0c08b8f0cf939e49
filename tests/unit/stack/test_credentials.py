"""The local ClickHouse's password: generated once, stored owner-only, found by the settings."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tastystream.settings import CLICKHOUSE_PASSWORD_FILE, Settings
from tastystream.stack import LocalStack, StackConfig, StackError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generated_once_and_owner_only(tmp_path: Path) -> None:
    stack = LocalStack(StackConfig(dir=tmp_path / "stack"))
    assert stack.clickhouse_password() == ""  # nothing before the first up
    first = stack.ensure_clickhouse_password()
    assert len(first) >= 24
    path = tmp_path / "stack" / CLICKHOUSE_PASSWORD_FILE
    assert path.read_text() == first + "\n"
    assert _mode(path) == 0o600
    assert stack.ensure_clickhouse_password() == first  # kept across ups
    assert stack.clickhouse_password() == first
    other = LocalStack(StackConfig(dir=tmp_path / "other")).ensure_clickhouse_password()
    assert other != first


def test_a_loose_file_is_tightened_and_an_empty_one_refused(tmp_path: Path) -> None:
    stack = LocalStack(StackConfig(dir=tmp_path))
    path = tmp_path / CLICKHOUSE_PASSWORD_FILE
    path.write_text("hand-made\n")
    path.chmod(0o644)
    assert stack.ensure_clickhouse_password() == "hand-made"
    assert _mode(path) == 0o600
    path.write_text("")
    with pytest.raises(StackError, match="is empty"):
        stack.ensure_clickhouse_password()


def test_a_fixed_password_wins_and_is_not_stored(tmp_path: Path) -> None:
    stack = LocalStack(StackConfig(dir=tmp_path, clickhouse_password="from-env"))
    assert stack.ensure_clickhouse_password() == "from-env"
    assert stack.clickhouse_password() == "from-env"
    assert not (tmp_path / CLICKHOUSE_PASSWORD_FILE).exists()
    assert "from-env" not in repr(stack.config)


def test_the_command_line_never_carries_it(tmp_path: Path) -> None:
    stack = LocalStack(StackConfig(dir=tmp_path))
    service = stack._services()["clickhouse"]
    assert service.env is not None
    password = service.env()["CLICKHOUSE_PASSWORD"]
    assert password == stack.clickhouse_password()
    assert password not in " ".join(service.command())


def test_settings_read_the_stack_folder_unless_the_env_sets_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLICKHOUSE_PASSWORD", raising=False)
    monkeypatch.setenv("STACK_DIR", str(tmp_path / "s"))
    assert Settings.load(None).clickhouse.password.get_secret_value() == ""
    generated = LocalStack(StackConfig(dir=tmp_path / "s")).ensure_clickhouse_password()
    assert Settings.load(None).clickhouse.password.get_secret_value() == generated
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", "override")
    assert Settings.load(None).clickhouse.password.get_secret_value() == "override"
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", "")  # empty = unset: the folder's again
    assert Settings.load(None).clickhouse.password.get_secret_value() == generated
    assert generated not in str(Settings.load(None).masked_dump())


def test_stack_settings_lists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STACK_CLICKHOUSE_ALLOW", "url, remote")
    monkeypatch.setenv("STACK_ALLOWED_ORIGINS", "http://localhost:3000")
    settings = Settings.load(None)
    config = StackConfig.from_settings(settings.stack, clickhouse_password="x")
    assert config.clickhouse_allow == ("url", "remote")
    assert config.allowed_origins == ("http://localhost:3000",)
    command = " ".join(LocalStack(config)._services()["clickhouse"].command())
    assert "--allow url,remote" in command
    assert "--allowed-origins http://localhost:3000" in command


def test_stack_up_says_where_the_password_is_never_what(tmp_path: Path) -> None:
    from tastystream.stack.render import credentials_note

    stack = LocalStack(StackConfig(dir=tmp_path))
    password = stack.ensure_clickhouse_password()
    note = credentials_note(stack)
    assert str(tmp_path / CLICKHOUSE_PASSWORD_FILE) in note
    assert password not in note
    fixed = credentials_note(LocalStack(StackConfig(dir=tmp_path / "x", clickhouse_password="p")))
    assert "CLICKHOUSE_PASSWORD" in fixed
