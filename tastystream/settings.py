"""Settings: parsed once at the entry point from env vars and `.env` into frozen objects.

Nothing below the entry point reads ``os.environ``; components receive the settings object
(or the part of it they need). Secrets are ``SecretStr`` and only ever shown masked.

The local ClickHouse's password: ``CLICKHOUSE_PASSWORD`` when set (non-empty), otherwise the one
``tastystream stack up`` generated into ``<STACK_DIR>/clickhouse.password`` (owner-only), if present.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PRODUCTION_BASE_URL = "https://api.tastyworks.com"
PRODUCTION_STREAMER_URL = "wss://streamer.tastyworks.com"
CERT_BASE_URL = "https://api.cert.tastyworks.com"
CERT_STREAMER_URL = "wss://streamer.cert.tastyworks.com"
CLICKHOUSE_PASSWORD_FILE = "clickhouse.password"  # in the stack folder, mode 0600

_COMMON = SettingsConfigDict(
    env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
)


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


CsvTuple = Annotated[tuple[str, ...], NoDecode]
_S = TypeVar("_S", bound=BaseSettings)
Port = Annotated[int, Field(ge=1, le=65535)]
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting cannot be used: one line naming the environment variable, the value it has
    (never a secret's) and what it accepts."""


def _describe(model: type[BaseSettings], error: Any) -> str:
    prefix = str(model.model_config.get("env_prefix", ""))
    loc = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if not loc:  # a check across settings: its message names the variables
        return message
    field = loc[0]
    variable = f"{prefix}{field}".upper()
    info = model.model_fields.get(field)
    secret = info is not None and info.annotation is SecretStr
    value = "" if secret else f"={error.get('input')!r}"
    expected = message[0].lower() + message[1:] if message else message
    return f"{variable}{value} is not valid: {expected} — fix or unset {variable}"


def _load_part(model: type[_S], **kwargs: Any) -> _S:
    try:
        return model(**kwargs)
    except ValidationError as exc:
        raise SettingsError(_describe(model, exc.errors()[0])) from exc


class TastytradeSettings(BaseSettings):
    """Where Tastytrade is and how to authenticate (env prefix ``TT_``)."""

    model_config = SettingsConfigDict(**_COMMON, env_prefix="TT_")

    base_url: str = PRODUCTION_BASE_URL
    streamer_url: str = PRODUCTION_STREAMER_URL
    client_secret: SecretStr = SecretStr("")
    refresh_token: SecretStr = SecretStr("")
    client_id: str = ""
    accounts: CsvTuple = ()
    symbols: CsvTuple = ("SPY", "AAPL", "QQQ")
    option_chains: CsvTuple = ()
    event_types: CsvTuple = (
        "Quote",
        "Trade",
        "TradeETH",
        "Summary",
        "Profile",
        "Greeks",
        "Candle",
        "TheoPrice",
        "TimeAndSale",
        "Underlying",
    )
    candle_backfill: str = "1d@1m"
    watchlist_file: Path | None = None
    dxlink_queue_size: int = 100_000
    api_version: str | None = None
    """``Accept-Version`` header: unset = the client's ``API_VERSION`` (omitted against cert),
    empty = never sent."""
    request_timeout_s: float = 30.0
    account_lookback_s: float = 86_400.0
    account_poll_s: float = 60.0

    _split = field_validator("accounts", "symbols", "option_chains", "event_types", mode="before")(
        _split_csv
    )


class KafkaSettings(BaseSettings):
    """Kafka connection (``KAFKA_`` prefix)."""

    model_config = SettingsConfigDict(**_COMMON, env_prefix="KAFKA_")

    bootstrap: str = "127.0.0.1:9092"
    client_id: str = "tastystream"
    replication_factor: int = Field(default=1, ge=1)
    """Copies of every partition of the topics we create (1 for the local single-node stack)."""
    min_insync_replicas: int = Field(default=1, ge=1)
    """``min.insync.replicas`` of the topics we create: replicas that must have a write (acks=all)."""

    @model_validator(mode="after")
    def _insync_fits(self) -> KafkaSettings:
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"KAFKA_MIN_INSYNC_REPLICAS={self.min_insync_replicas} exceeds"
                f" KAFKA_REPLICATION_FACTOR={self.replication_factor}"
            )
        return self


class RegistrySettings(BaseSettings):
    """Schema registry (``SCHEMA_REGISTRY_`` prefix)."""

    model_config = SettingsConfigDict(**_COMMON, env_prefix="SCHEMA_REGISTRY_")

    url: str = "http://127.0.0.1:8081"


class ClickHouseSettings(BaseSettings):
    """ClickHouse HTTP endpoint (``CLICKHOUSE_`` prefix)."""

    model_config = SettingsConfigDict(**_COMMON, env_prefix="CLICKHOUSE_")

    url: str = "http://127.0.0.1:8123"
    user: str = "default"
    password: SecretStr = SecretStr("")
    database: str = "tastystream"


class StackSettings(BaseSettings):
    """The embedded local stack (``STACK_`` prefix)."""

    model_config = SettingsConfigDict(**_COMMON, env_prefix="STACK_")

    dir: Path = Path(".stack")
    kafka_port: Port = 9092
    kafka_controller_port: Port = 9093
    registry_port: Port = 8081
    clickhouse_port: Port = 8123
    kafka_heap: str = "512m"
    start_timeout_s: float = 120.0
    clickhouse_allow: CsvTuple = ()  # table functions/engines reaching outside, e.g. "url,remote"
    allowed_origins: CsvTuple = ()  # web origins the stack's HTTP services accept (CORS)

    _split = field_validator("clickhouse_allow", "allowed_origins", mode="before")(_split_csv)

    @property
    def clickhouse_password_file(self) -> Path:
        return self.dir / CLICKHOUSE_PASSWORD_FILE


class LogSettings(BaseSettings):
    """Logging (``LOG_`` prefix)."""

    model_config = SettingsConfigDict(**_COMMON, env_prefix="LOG_")

    level: str = "INFO"
    format: Literal["text", "json"] = "text"

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"use one of {', '.join(LOG_LEVELS)}")
        return value.upper()


class Settings(BaseSettings):
    """Everything, composed. Build it once with :meth:`load` at the entry point."""

    model_config = SettingsConfigDict(**_COMMON)

    tastytrade: TastytradeSettings = Field(default_factory=TastytradeSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    stack: StackSettings = Field(default_factory=StackSettings)
    log: LogSettings = Field(default_factory=LogSettings)

    @classmethod
    def load(cls, env_file: str | Path | None = ".env") -> Settings:
        """Parse env vars (and ``env_file`` if it exists) into one frozen object.

        Raises :class:`SettingsError` (one line, naming the variable) for a value it cannot use."""
        kwargs: dict[str, Any] = {"_env_file": env_file}
        stack = _load_part(StackSettings, **kwargs)
        clickhouse = _load_part(ClickHouseSettings, **kwargs)
        if not clickhouse.password.get_secret_value():
            stored = read_password_file(stack.clickhouse_password_file)
            if stored:
                clickhouse = clickhouse.model_copy(update={"password": SecretStr(stored)})
        return cls(
            tastytrade=_load_part(TastytradeSettings, **kwargs),
            kafka=_load_part(KafkaSettings, **kwargs),
            registry=_load_part(RegistrySettings, **kwargs),
            clickhouse=clickhouse,
            stack=stack,
            log=_load_part(LogSettings, **kwargs),
        )

    def masked_dump(self) -> dict[str, Any]:
        """A dump safe to log: every ``SecretStr`` shows as ``**********`` (or empty)."""
        masked: dict[str, Any] = _mask(self.model_dump())
        return masked


def read_password_file(path: Path) -> str:
    """A password file's content (first line, stripped), or "" when there is none."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return ""
    return lines[0].strip() if lines else ""


def _mask(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "**********" if value.get_secret_value() else ""
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


__all__ = [
    "CERT_BASE_URL",
    "CERT_STREAMER_URL",
    "CLICKHOUSE_PASSWORD_FILE",
    "LOG_LEVELS",
    "PRODUCTION_BASE_URL",
    "PRODUCTION_STREAMER_URL",
    "ClickHouseSettings",
    "KafkaSettings",
    "LogSettings",
    "RegistrySettings",
    "Settings",
    "SettingsError",
    "StackSettings",
    "TastytradeSettings",
    "read_password_file",
]
