"""Running the real ``tastystream`` console script in a subprocess, the way a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# settings a test must not inherit from the developer's shell
_OURS = ("TT_", "KAFKA_", "SCHEMA_REGISTRY_", "CLICKHOUSE_", "STACK_", "LOG_")


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""

    def assert_failed(self, code: int, *fragments: str) -> str:
        """Exit ``code``, no traceback, and a last stderr line ``error: …`` with ``fragments``."""
        assert self.code == code, (self.code, self.stderr[-3000:])
        assert "Traceback" not in self.stderr, self.stderr[-3000:]
        line = self.last_line
        assert line.startswith("error: "), self.stderr[-3000:]
        for fragment in fragments:
            assert fragment in line, (fragment, line)
        return line


def clean_env(cwd: Path, **settings: str) -> dict[str, str]:
    """The process environment without any tastystream setting, then ``settings``; the stack
    folder defaults into ``cwd`` (a temp dir, so no ``.env`` and no real stack leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env["STACK_DIR"] = str(cwd / "stack")
    env.update(settings)
    return env


def tastystream(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
    **settings: str,
) -> Outcome:
    """``python -m tastystream ARGS`` in ``cwd`` with ``settings`` as its only settings."""
    proc = subprocess.run(
        [sys.executable, "-m", "tastystream", *args],
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(cwd, **settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)
