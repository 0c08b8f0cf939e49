"""Session fixtures for integration tests: the local stack on free ports in a temp folder.

Services start on first use (Kafka only for a test that needs Kafka only) and all stop at the
end of the session. Nothing assumes fixed ports.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tastystream.stack import LocalStack, StackConfig
from tests.support import free_port


class _StackHandle:
    def __init__(self, root: Path) -> None:
        self.config = StackConfig(
            dir=root,
            kafka_port=free_port(),
            kafka_controller_port=free_port(),
            registry_port=free_port(),
            clickhouse_port=free_port(),
            kafka_heap="512m",
            start_timeout_s=150.0,
        )
        self.stack = LocalStack(self.config)
        self.started: set[str] = set()

    def ensure(self, *names: str) -> StackConfig:
        missing = [n for n in names if n not in self.started]
        if missing:
            statuses = asyncio.run(self.stack.up(missing))
            bad = [s for s in statuses if s.state != "running"]
            assert not bad, f"stack services not running: {bad}"
            self.started.update(missing)
        return self.config


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_StackHandle]:
    handle = _StackHandle(tmp_path_factory.mktemp("stack"))
    try:
        yield handle
    finally:
        handle.stack.down()


@pytest.fixture(scope="session")
def kafka_bootstrap(local_stack: _StackHandle) -> str:
    return local_stack.ensure("kafka").kafka_bootstrap


@pytest.fixture(scope="session")
def registry_url(local_stack: _StackHandle) -> str:
    return local_stack.ensure("kafka", "registry").registry_url


@pytest.fixture(scope="session")
def clickhouse_url(local_stack: _StackHandle) -> str:
    return local_stack.ensure("clickhouse").clickhouse_url


@pytest.fixture(scope="session")
def stack_config(local_stack: _StackHandle) -> StackConfig:
    """All three services up."""
    return local_stack.ensure("kafka", "registry", "clickhouse")
