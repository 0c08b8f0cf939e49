"""`stack up` is idempotent, `status` reports crashes, `down` leaves no process behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tastystream.stack import LocalStack, ServiceState, StackConfig
from tastystream.stack.process import PidRecord, is_alive
from tests.support import eventually, free_port


def _stack(tmp_path: Path) -> LocalStack:
    return LocalStack(
        StackConfig(
            dir=tmp_path / "stack",
            kafka_port=free_port(),
            kafka_controller_port=free_port(),
            registry_port=free_port(),
            clickhouse_port=free_port(),
            start_timeout_s=90,
        )
    )


async def test_up_is_idempotent_status_sees_a_crash_and_down_stops_by_pid(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    try:
        first = await stack.up(["clickhouse"])
        assert [(s.name, s.state) for s in first] == [("clickhouse", ServiceState.RUNNING)]
        second = await stack.up(["clickhouse"])
        assert second[0].pid == first[0].pid  # nothing restarted

        record = PidRecord.read(stack.pid_file("clickhouse"))
        assert record is not None
        assert is_alive(record)
        os.kill(record.pid, signal.SIGKILL)

        async def crashed() -> bool:
            status = await stack.status(["clickhouse"])
            return status[0].state is ServiceState.CRASHED

        await eventually(crashed, timeout=10)
        detail = (await stack.status(["clickhouse"]))[0].detail
        assert f"process {record.pid} is gone" in detail

        restarted = await stack.up(["clickhouse"])
        assert restarted[0].state is ServiceState.RUNNING
        assert restarted[0].pid != record.pid
        new_record = PidRecord.read(stack.pid_file("clickhouse"))
        assert new_record is not None
    finally:
        stopped = stack.down()
    assert stopped == ["clickhouse"]
    assert not is_alive(new_record)
    assert not stack.pid_file("clickhouse").exists()
    after = await stack.status(["clickhouse"])
    assert after[0].state is ServiceState.STOPPED
    assert stack.down() == []  # nothing left to stop


async def test_a_service_whose_port_is_taken_is_refused_in_one_line(tmp_path: Path) -> None:
    from tastystream.stack import StackError

    stack = _stack(tmp_path)
    # occupy the port so the server fails to bind and exits
    import socket

    blocker = socket.socket()
    blocker.bind(("127.0.0.1", stack.config.clickhouse_port))
    blocker.listen()
    try:
        try:
            await stack.up(["clickhouse"])
        except StackError as exc:
            message = str(exc)
        else:
            raise AssertionError("a service that cannot bind must not be reported healthy")
    finally:
        blocker.close()
        stack.down()
    # the taken port is found before anything starts: one line naming it and its setting
    assert f"port {stack.config.clickhouse_port} (STACK_CLICKHOUSE_PORT)" in message
    assert "\n" not in message
    assert not stack.pid_file("clickhouse").exists()
