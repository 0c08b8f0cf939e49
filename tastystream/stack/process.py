"""Supervised background processes identified by pid *and* start time (pid reuse safe)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PidRecord:
    pid: int
    start_ticks: int
    command: str

    def to_json(self) -> str:
        return json.dumps(
            {"pid": self.pid, "start_ticks": self.start_ticks, "command": self.command}
        )

    @classmethod
    def read(cls, path: Path) -> PidRecord | None:
        try:
            raw = json.loads(path.read_text("utf-8"))
            return cls(int(raw["pid"]), int(raw["start_ticks"]), str(raw["command"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def start_ticks(pid: int) -> int | None:
    """The process start time from /proc (clock ticks since boot), or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name may contain spaces/parens: fields after the last ')'
    fields = stat[stat.rfind(")") + 2 :].split()
    state = fields[0]
    if state in ("Z", "X"):
        return None
    return int(fields[19])


def is_alive(record: PidRecord) -> bool:
    return start_ticks(record.pid) == record.start_ticks


def spawn(
    command: Sequence[str],
    *,
    log_file: Path,
    pid_file: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> PidRecord:
    """Start ``command`` in its own session (so it outlives us), logging to ``log_file``.

    ``env`` replaces the environment; ``extra_env`` is added to it (to ours when ``env`` is None),
    which is how secrets reach a service without appearing in its command line."""
    if extra_env:
        env = {**(os.environ if env is None else env), **extra_env}
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    ticks = None
    for _ in range(100):
        ticks = start_ticks(proc.pid)
        if ticks is not None or proc.poll() is not None:
            break
        time.sleep(0.01)
    record = PidRecord(proc.pid, ticks or -1, " ".join(command)[:500])
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(record.to_json(), "utf-8")
    tmp.replace(pid_file)
    return record


def stop(record: PidRecord, *, timeout: float = 20.0) -> bool:
    """SIGTERM the process group, then SIGKILL after ``timeout``. True if it was running."""
    if not is_alive(record):
        return False
    _signal_group(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(record):
            _reap(record.pid)
            return True
        time.sleep(0.05)
    _signal_group(record.pid, signal.SIGKILL)
    for _ in range(100):
        if not is_alive(record):
            break
        time.sleep(0.05)
    _reap(record.pid)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def tail(path: Path, lines: int = 20) -> str:
    try:
        data = path.read_bytes()[-16_384:]
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


__all__ = ["PidRecord", "is_alive", "spawn", "start_ticks", "stop", "tail"]
