"""The ``tastystream`` console script: thin subcommands over settings + components.

Each command parses settings once, configures logging once, builds what it needs, runs it
with ``asyncio.run`` and tears it down in ``finally``. Failures are told at one place,
:func:`run_cli`: one line on stderr and an exit code (:mod:`tastystream.failures`); the
traceback only with ``--debug`` or ``LOG_LEVEL=DEBUG``.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from tastystream import __version__
from tastystream.failures import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    Failure,
    explain,
    usage,
)
from tastystream.logs import configure_logging
from tastystream.settings import Settings

if TYPE_CHECKING:
    from tastystream.stack import LocalStack

app = typer.Typer(
    name="tastystream",
    help="Event-sourced streaming pipeline around the Tastytrade API.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stack_app = typer.Typer(
    help="The embedded local stack: Kafka, schema registry, ClickHouse.", no_args_is_help=True
)
app.add_typer(stack_app, name="stack")

# wide output when piped (rich would otherwise wrap tables at 80 columns)
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
logger = logging.getLogger("tastystream")


@dataclass
class _Invocation:
    """What the error edge needs to know about this run: tracebacks wanted, and the settings
    (for the addresses its messages name)."""

    debug: bool = False
    settings: Settings | None = None


_invocation = _Invocation()


def bootstrap(quiet: bool = False) -> Settings:
    """Parse settings once and configure logging once (secrets registered for redaction)."""
    settings = Settings.load()
    _invocation.settings = settings
    _invocation.debug = _invocation.debug or settings.log.level in ("DEBUG", "TRACE")
    secrets = [
        settings.tastytrade.client_secret.get_secret_value(),
        settings.tastytrade.refresh_token.get_secret_value(),
        settings.clickhouse.password.get_secret_value(),
    ]
    level = "WARNING" if quiet and settings.log.level.upper() == "INFO" else settings.log.level
    configure_logging(level, settings.log.format, secrets)
    logger.debug("tastystream %s settings: %s", __version__, settings.masked_dump())
    return settings


def fail(message: str, code: int = EXIT_FAILURE) -> Failure:
    return Failure(message, code)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback when a command fails.")
    ] = False,
) -> None:
    _invocation.debug = _invocation.debug or debug
    if version:
        console.print(f"tastystream {__version__}")
        raise typer.Exit(0)


# ---------------------------------------------------------------------------- stack
def _stack_from(settings: Settings, directory: Path | None) -> LocalStack:
    from tastystream.stack import LocalStack, StackConfig

    return LocalStack(
        StackConfig.from_settings(
            settings.stack,
            directory=directory,
            clickhouse_password=settings.clickhouse.password.get_secret_value(),
        )
    )


DirOption = Annotated[
    Path | None, typer.Option("--dir", help="Stack data folder (default STACK_DIR or .stack).")
]


@stack_app.command("up")
def stack_up(directory: DirOption = None) -> None:
    """Start Kafka, the schema registry and ClickHouse (idempotent; waits until healthy)."""
    from tastystream.stack import StackError
    from tastystream.stack.render import credentials_note, status_table

    settings = bootstrap()
    stack = _stack_from(settings, directory)
    try:
        statuses = asyncio.run(stack.up())
    except StackError as exc:
        raise fail(str(exc)) from None
    console.print(status_table(statuses))
    console.print(credentials_note(stack), highlight=False)


@stack_app.command("down")
def stack_down(directory: DirOption = None) -> None:
    """Stop the services this stack folder started (by pid); the data stays."""
    settings = bootstrap()
    stack = _stack_from(settings, directory)
    stopped = stack.down()
    console.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")


@stack_app.command("status")
def stack_status(directory: DirOption = None) -> None:
    """Show each service with its address and state."""
    from tastystream.stack import ServiceState
    from tastystream.stack.render import status_table

    settings = bootstrap(quiet=True)
    stack = _stack_from(settings, directory)
    statuses = asyncio.run(stack.status())
    console.print(status_table(statuses))
    if any(s.state is ServiceState.CRASHED for s in statuses):
        raise typer.Exit(EXIT_FAILURE)


# ------------------------------------------------------------------------------ sql
class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("sql")
def sql(
    query: Annotated[str, typer.Argument(help='SQL to run, e.g. "SELECT 1"')],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, csv or json")
    ] = OutputFormat.table,
) -> None:
    """Run a query on the configured ClickHouse and print the result."""
    from tastystream.sql import QueryFailed, render, run_query

    settings = bootstrap(quiet=True)
    try:
        result = run_query(settings.clickhouse, query)
    except QueryFailed as exc:
        raise fail(str(exc)) from None
    render(result, fmt.value, console)


# --------------------------------------------------------------------------- topics
@app.command("topics")
def topics() -> None:
    """List every topic: name, key, value subject, producer, consumers (and partitions if it exists)."""
    from tastystream.topics_view import topics_table

    settings = bootstrap(quiet=True)
    console.print(asyncio.run(topics_table(settings)))


# -------------------------------------------------------------------------- sandbox
@app.command("sandbox")
def sandbox(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 = any free port).")] = 8765,
    seed: Annotated[int, typer.Option(help="Market simulator seed (same seed, same prices).")] = 42,
    client_secret: Annotated[
        str | None, typer.Option(help="OAuth client secret to accept.")
    ] = None,
    refresh_token: Annotated[str | None, typer.Option(help="Refresh token to accept.")] = None,
    account: Annotated[list[str] | None, typer.Option(help="Account number (repeatable).")] = None,
    state: Annotated[
        Path | None, typer.Option(help="Persist accounts/orders/positions in this file.")
    ] = None,
    clock_speed: Annotated[
        float, typer.Option(help="Simulated clock speed (1 = real time).")
    ] = 1.0,
) -> None:
    """Run the simulated Tastytrade (REST + OAuth + DXLink + account streamer)."""
    import contextlib
    from dataclasses import replace

    from sandbox.__main__ import main as sandbox_main
    from sandbox.config import SandboxConfig

    bootstrap()
    defaults = SandboxConfig()
    config = replace(
        defaults,
        host=host,
        port=port,
        seed=seed,
        client_secret=client_secret or defaults.client_secret,
        refresh_token=refresh_token or defaults.refresh_token,
        accounts=tuple(account) if account else defaults.accounts,
        state_file=state,
        clock_speed=clock_speed,
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(sandbox_main(config))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise fail(
            f"port {port} on {host} is in use by another process — stop it or choose another"
            " with --port (0 = any free port)"
        ) from exc


# ------------------------------------------------------------------------- run/demo
@app.command("run")
def run() -> None:
    """Run the pipeline (ingestors, processors, executor, sink) against the configured Tastytrade."""
    from tastystream.pipeline import run_pipeline

    settings = bootstrap()
    asyncio.run(run_pipeline(settings))


@app.command("demo")
def demo(
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: Ctrl+C).")
    ] = None,
) -> None:
    """Stack + sandbox + pipeline with live progress; then example SQL and its results."""
    from tastystream.demo import run_demo

    settings = bootstrap(quiet=True)
    raise typer.Exit(asyncio.run(run_demo(settings, duration=duration, console=console)))


def _report(failure: Failure, exc: BaseException | None) -> int:
    if exc is not None and _invocation.debug:
        traceback.print_exception(exc)
    sys.stderr.write(f"error: {failure.message}\n")
    sys.stderr.flush()
    return failure.exit_code


def run_cli(args: Sequence[str] | None = None) -> int:
    """Run one command line; every failure ends as one line on stderr and an exit code."""
    try:
        result = app(args=args, prog_name="tastystream", standalone_mode=False)
    except NoArgsIsHelpError as exc:  # a bare group: its help, as `--help` would show it
        exc.show()
        return exc.exit_code
    except UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "tastystream"
        return _report(usage(f"{exc.format_message()} — see `{where} --help`"), None)
    except ClickException as exc:
        return _report(Failure(exc.format_message(), exc.exit_code), None)
    except typer.Abort:
        return _report(Failure("interrupted", EXIT_INTERRUPTED), None)
    except SystemExit:
        raise
    except BaseException as exc:
        return _report(explain(exc, _invocation.settings), exc)
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run_cli())


__all__ = ["app", "main", "run_cli"]
