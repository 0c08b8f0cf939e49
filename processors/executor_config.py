"""The executor's own settings (env prefix ``EXECUTOR_``), next to the shared ``Settings``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ExecutorSettings"]


class ExecutorSettings(BaseSettings):
    """How the order executor consumes and retries (``EXECUTOR_`` prefix)."""

    model_config = SettingsConfigDict(
        env_prefix="EXECUTOR_", env_file=".env", extra="ignore", frozen=True
    )

    group_id: str = "tastystream-executor"
    """Kafka consumer group of ``tt.cmd.approved.v1``."""
    topic_prefix: str = ""
    """Prepended to every topic the executor reads and writes (isolates test runs)."""
    source: str = "executor"
    """``source`` of the result events."""
    retry_window_s: float = Field(default=60.0, gt=0)
    """How long a command without ``max_age_ms`` may be retried (429 / 5xx / timeouts)."""
    backoff_base_s: float = Field(default=0.25, ge=0)
    backoff_cap_s: float = Field(default=5.0, ge=0)
    batch_max_records: int = Field(default=100, ge=1)
