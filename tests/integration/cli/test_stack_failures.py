"""`tastystream stack up` that cannot start: a taken port, a missing Java/Maven — one line."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tastystream.stack.kafka import _STAMP, KAFKA_VERSION
from tests.integration.cli.console import clean_env, tastystream
from tests.support import free_port

pytestmark = pytest.mark.integration


def _ports() -> dict[str, str]:
    return {
        "STACK_KAFKA_PORT": str(free_port()),
        "STACK_KAFKA_CONTROLLER_PORT": str(free_port()),
        "STACK_REGISTRY_PORT": str(free_port()),
        "STACK_CLICKHOUSE_PORT": str(free_port()),
    }


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process (this test) listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_taken_port_names_the_port_and_its_variable(tmp_path: Path, taken_port: int) -> None:
    env = clean_env(tmp_path, **{**_ports(), "STACK_KAFKA_PORT": str(taken_port)})
    outcome = tastystream(tmp_path, "stack", "up", env=env)
    outcome.assert_failed(
        1, f"port {taken_port} (STACK_KAFKA_PORT)", "in use", "set STACK_KAFKA_PORT"
    )
    run = tmp_path / "stack" / "run"
    assert not run.exists() or not list(run.glob("*.pid")), "nothing may start"


@pytest.mark.parametrize(
    ("jars_cached", "expected"),
    [(False, "Maven (mvn) is required"), (True, "Java 17+ is required")],
)
def test_a_missing_java_or_maven_says_what_to_install(
    tmp_path: Path, jars_cached: bool, expected: str
) -> None:
    bare = tmp_path / "bin"  # a PATH with neither java nor mvn
    bare.mkdir()
    env = clean_env(tmp_path, **_ports(), PATH=str(bare))
    home = tmp_path / "home"  # Kafka's jar cache lives under HOME: Maven is needed to fill it
    env["HOME"] = str(home)
    if jars_cached:
        lib = home / ".cache" / "tastystream" / f"kafka-{KAFKA_VERSION}" / "lib"
        lib.mkdir(parents=True)
        (lib / _STAMP).write_text(KAFKA_VERSION, "utf-8")
    try:
        outcome = tastystream(tmp_path, "stack", "up", env=env)
        outcome.assert_failed(1, "kafka: cannot prepare:", expected, "install")
    finally:
        down = tastystream(tmp_path, "stack", "down", env=env)
        assert down.code == 0, down.stderr


def test_a_sandbox_on_a_taken_port(tmp_path: Path, taken_port: int) -> None:
    outcome = tastystream(tmp_path, "sandbox", "--port", str(taken_port))
    outcome.assert_failed(1, f"port {taken_port} on 127.0.0.1 is in use", "--port")
