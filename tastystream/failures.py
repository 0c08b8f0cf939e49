"""What the CLI says when something fails: one line with the cause, the value and the fix.

Every failure a user can cause ends as a :class:`Failure` — a one-line message and an exit
code — at one place, the console script's edge (:func:`explain`). Task-group errors are
unwrapped to their root cause (:func:`root_causes`), so the line names the service or the
setting at fault, never the ``ExceptionGroup`` around it. Secrets never appear: messages name
the variables, not their values.

Exit codes: ``0`` success, ``1`` a failure while running (a service unreachable, credentials
refused, a port in use, a missing tool), ``2`` a usage or configuration error (a bad argument
or setting, found before anything runs), ``130`` interrupted.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Final

from tastystream.settings import ClickHouseSettings, Settings, SettingsError

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130

EXIT_CODES_HELP: Final = (
    "Exit codes: 0 success, 1 failure while running (service unreachable, credentials"
    " refused, port in use, missing tool), 2 usage or configuration error."
    " Add --debug (or LOG_LEVEL=DEBUG) for tracebacks."
)

STACK_HINT: Final = "start the local stack with `tastystream stack up`"
_ACCOUNT_PATH: Final = re.compile(r"/accounts/([^/\s)]+)")
_CH_CODE: Final = re.compile(r"Code:\s*(\d+)")


class Failure(Exception):
    """A failure told to the user: one line (``message``) and the process's ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())  # one line, whatever it was built from
        self.exit_code = exit_code


def usage(message: str) -> Failure:
    return Failure(message, EXIT_USAGE)


def root_causes(exc: BaseException) -> Iterator[BaseException]:
    """The leaves of nested exception groups, each followed by its chain of causes."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from root_causes(inner)
        return
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        nxt = getattr(current, "cause", None)
        current = nxt if isinstance(nxt, BaseException) else current.__cause__


def explain(exc: BaseException, settings: Settings | None = None) -> Failure:
    """The one line for ``exc``: the first cause some rule recognises, else a generic line."""
    chain = [e for e in root_causes(exc) if not isinstance(e, asyncio.CancelledError)]
    for candidate in chain:
        known = _known(candidate, settings)
        if known is not None:
            return known
    first = chain[0] if chain else exc
    if isinstance(first, KeyboardInterrupt):
        return Failure("interrupted", EXIT_INTERRUPTED)
    text = str(first).strip().splitlines()
    detail = f": {text[0]}" if text else ""
    return Failure(
        f"unexpected {type(first).__name__}{detail} — rerun with --debug for the traceback"
    )


def _known(exc: BaseException, settings: Settings | None) -> Failure | None:
    from adapters.tastytrade.errors import AuthError, NotFound, TransportError
    from schemas.errors import RegistryError, RegistryUnavailable
    from sinks.errors import ClickHouseUnavailable
    from tastystream.stack import StackError

    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, SettingsError):
        return usage(str(exc))
    if isinstance(exc, KeyboardInterrupt):
        return Failure("interrupted", EXIT_INTERRUPTED)
    if isinstance(exc, StackError):
        return Failure(str(exc).strip().splitlines()[0])
    tt_url = settings.tastytrade.base_url if settings else "the configured Tastytrade"
    if isinstance(exc, (AuthError, NotFound)):
        account = _ACCOUNT_PATH.search(exc.path or "")
        if account and (exc.status in (403, 404)):
            return Failure(
                f"account {account.group(1)} is not accessible with these Tastytrade credentials"
                f" ({exc.status}) — check TT_ACCOUNTS (the accounts your login can see)"
            )
        if isinstance(exc, AuthError):
            code = f" {exc.code}" if exc.code else ""
            return Failure(
                f"Tastytrade at {tt_url} refused the credentials ({exc.status}{code})"
                " — check TT_CLIENT_SECRET and TT_REFRESH_TOKEN"
                " (and TT_BASE_URL: production and cert have separate logins)"
            )
    if isinstance(exc, TransportError):
        return Failure(f"Tastytrade at {tt_url} is unreachable — check TT_BASE_URL and the network")
    if isinstance(exc, RegistryUnavailable):
        url = settings.registry.url if settings else "the configured schema registry"
        return Failure(
            f"schema registry {url} is unreachable — {STACK_HINT} or set SCHEMA_REGISTRY_URL"
        )
    if isinstance(exc, RegistryError):
        url = settings.registry.url if settings else "the schema registry"
        return Failure(f"schema registry {url} refused a request: {exc.message}")
    clickhouse = clickhouse_failure(exc, settings.clickhouse if settings else None)
    if clickhouse is not None:
        return clickhouse
    if isinstance(exc, ClickHouseUnavailable):
        return _clickhouse_unreachable(settings.clickhouse.url if settings else "the ClickHouse")
    if _is_kafka_unreachable(exc):
        where = settings.kafka.bootstrap if settings else "the configured bootstrap"
        return Failure(f"Kafka at {where} is unreachable — {STACK_HINT} or set KAFKA_BOOTSTRAP")
    return None


def clickhouse_failure(exc: BaseException, cfg: ClickHouseSettings | None) -> Failure | None:
    """ClickHouse's own errors, told by what to do: refused credentials (516) and connection
    failures; ``None`` for anything else (a query's own error, say)."""
    module = type(exc).__module__
    text = str(exc)
    if not module.startswith("clickhouse_connect") and "ClickHouse" not in type(exc).__name__:
        return None
    url = cfg.url if cfg else "the configured ClickHouse"
    code = _CH_CODE.search(text)
    if (code and code.group(1) == "516") or "AUTHENTICATION_FAILED" in text:
        user = cfg.user if cfg else "default"
        return Failure(
            f"ClickHouse at {url} refused the credentials of user {user!r} — set"
            " CLICKHOUSE_PASSWORD (or unset it to use the local stack's"
            " <STACK_DIR>/clickhouse.password) and CLICKHOUSE_USER"
        )
    if type(exc).__name__ == "OperationalError" or "Failed to establish" in text:
        return _clickhouse_unreachable(url)
    return None


def _clickhouse_unreachable(url: str) -> Failure:
    return Failure(f"ClickHouse at {url} is unreachable — {STACK_HINT} or set CLICKHOUSE_URL")


def _is_kafka_unreachable(exc: BaseException) -> bool:
    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError

    if isinstance(exc, (KafkaConnectionError, KafkaTimeoutError)):
        return True
    return type(exc).__module__.startswith(("aiokafka", "kafka")) and "bootstrap" in str(exc)


__all__ = [
    "EXIT_CODES_HELP",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Failure",
    "clickhouse_failure",
    "explain",
    "root_causes",
    "usage",
]
