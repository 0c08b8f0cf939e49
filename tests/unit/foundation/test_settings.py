from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tastystream.settings import PRODUCTION_BASE_URL, Settings


def test_defaults_point_at_production_and_local_stack(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("TT_BASE_URL", "KAFKA_BOOTSTRAP", "TT_SYMBOLS"):
        monkeypatch.delenv(var, raising=False)
    settings = Settings.load()
    assert settings.tastytrade.base_url == PRODUCTION_BASE_URL
    assert settings.kafka.bootstrap == "127.0.0.1:9092"


def test_env_and_dotenv_parse_once_into_frozen_objects(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "TT_SYMBOLS=SPY, AAPL ,/ESZ5\nTT_CLIENT_SECRET=shh-very-secret\nKAFKA_BOOTSTRAP=h:1\n"
    )
    monkeypatch.setenv("TT_ACCOUNTS", "5WT00001,5WT00002")
    settings = Settings.load(env)
    assert settings.tastytrade.symbols == ("SPY", "AAPL", "/ESZ5")
    assert settings.tastytrade.accounts == ("5WT00001", "5WT00002")
    assert settings.kafka.bootstrap == "h:1"
    with pytest.raises(ValidationError):
        settings.kafka.bootstrap = "other"


def test_masked_dump_hides_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TT_CLIENT_SECRET", "shh-very-secret")
    monkeypatch.setenv("TT_REFRESH_TOKEN", "rt-very-secret")
    settings = Settings.load(tmp_path / "missing.env")
    dump = repr(settings.masked_dump())
    assert "shh-very-secret" not in dump
    assert "rt-very-secret" not in dump
    assert settings.masked_dump()["tastytrade"]["client_secret"] == "**********"
    assert "shh-very-secret" not in repr(settings)
