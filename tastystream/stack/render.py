"""How the stack's status looks on a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from tastystream.stack.manager import LocalStack, ServiceState, ServiceStatus

_STYLE = {
    ServiceState.RUNNING: "green",
    ServiceState.STARTING: "yellow",
    ServiceState.STOPPED: "dim",
    ServiceState.CRASHED: "bold red",
}


def _short(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def status_table(statuses: Sequence[ServiceStatus]) -> Table:
    table = Table(title="local stack", title_justify="left")
    for column in ("service", "state", "address", "pid", "log"):
        table.add_column(column)
    for s in statuses:
        state = f"[{_STYLE[s.state]}]{s.state.value}[/]"
        table.add_row(s.name, state, s.address, str(s.pid or ""), _short(s.log_file))
        if s.detail:
            table.add_row("", "", s.detail, "", "")
    return table


def credentials_note(stack: LocalStack) -> str:
    """Where the ClickHouse password is (never the password itself)."""
    if stack.config.clickhouse_password and not stack.password_file.exists():
        where = "CLICKHOUSE_PASSWORD"
    else:
        where = _short(stack.password_file)
    return (
        f"ClickHouse: user default, password in {where} "
        f'(curl --user "default:$(cat {_short(stack.password_file)})" …; see the README)'
    )


__all__ = ["credentials_note", "status_table"]
