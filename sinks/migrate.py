"""Apply the ClickHouse migrations of :mod:`sinks.ddl` at start-up: ordered, idempotent, pinned.

``migrate(target, database)`` creates the database and a ``schema_migrations`` table, then
runs every migration not yet recorded, in version order, and records it with the checksum of
its file. Statements are ``IF NOT EXISTS``, so a run interrupted half-way (or two sinks
starting together) simply re-runs; an applied migration whose file changed afterwards stops
start-up (:class:`MigrationChecksumMismatch`): ship a new migration instead of editing one.

Targets: a ``clickhouse-connect`` client (HTTP, what the services use) or an embedded chdb
session; both behind the small :class:`SqlTarget` protocol.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

from sinks.ddl.migrations import Migration, load_migrations, valid_identifier

__all__ = [
    "ChdbTarget",
    "ClickHouseConnectTarget",
    "MigrationChecksumMismatch",
    "MigrationError",
    "SqlTarget",
    "applied_migrations",
    "migrate",
    "migrate_async",
    "migrate_url",
]

logger = logging.getLogger(__name__)


class MigrationError(Exception):
    """A migration could not be applied (the statement and the server's message say why)."""

    retriable: ClassVar[bool] = False


class MigrationChecksumMismatch(MigrationError):
    """An applied migration's file changed since it was applied."""


class SqlTarget(Protocol):
    """What migrations need from a ClickHouse connection."""

    def command(self, sql: str) -> None: ...

    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...


class ClickHouseConnectTarget:
    """A ``clickhouse_connect`` client (its ``command``/``query``) as a :class:`SqlTarget`."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def command(self, sql: str) -> None:
        self._client.command(sql)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._client.query(sql).result_rows]


class ChdbTarget:
    """An embedded ``chdb.session.Session`` as a :class:`SqlTarget`."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def command(self, sql: str) -> None:
        self._session.query(sql)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        result = self._session.query(sql, "JSONCompact")
        text = result.bytes().decode() if hasattr(result, "bytes") else str(result)
        if not text.strip():
            return []
        return [tuple(r) for r in json.loads(text)["data"]]


def _bootstrap(target: SqlTarget, db: str) -> None:
    target.command(f"CREATE DATABASE IF NOT EXISTS {db}")
    target.command(
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations ("
        " `version` UInt32 COMMENT 'Migration number (file prefix).',"
        " `name` String COMMENT 'Migration name (file stem).',"
        " `checksum` String COMMENT 'SHA-256 of the migration file when applied.',"
        " `applied_at` DateTime64(6, 'UTC') DEFAULT now64(6) COMMENT 'When it was applied.'"
        ") ENGINE = ReplacingMergeTree(applied_at) ORDER BY version"
        " COMMENT 'Applied ClickHouse migrations (sinks/ddl).'"
    )


def applied_migrations(target: SqlTarget, database: str = "tastystream") -> dict[int, str]:
    """Version → checksum of every migration recorded in ``database``."""
    db = valid_identifier(database)
    rows = target.rows(
        f"SELECT version, argMax(checksum, applied_at) FROM {db}.schema_migrations GROUP BY version"
    )
    return {int(version): str(checksum) for version, checksum in rows}


def migrate(
    target: SqlTarget,
    database: str = "tastystream",
    migrations: Sequence[Migration] | None = None,
) -> list[int]:
    """Apply every pending migration to ``database``; returns the versions applied now."""
    db = valid_identifier(database)
    todo = load_migrations() if migrations is None else tuple(migrations)
    try:
        _bootstrap(target, db)
        applied = applied_migrations(target, db)
    except Exception as exc:  # the client's own error types vary by target
        raise MigrationError(f"cannot prepare database {db}: {exc}") from exc
    done: list[int] = []
    for migration in sorted(todo, key=lambda m: m.version):
        recorded = applied.get(migration.version)
        if recorded is not None:
            if recorded != migration.checksum:
                raise MigrationChecksumMismatch(
                    f"migration {migration.version:04d}_{migration.name} changed after it was "
                    f"applied to {db} (recorded {recorded[:12]}, file {migration.checksum[:12]})"
                )
            continue
        for statement in migration.statements(db):
            try:
                target.command(statement)
            except Exception as exc:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} failed: {exc}\n{statement}"
                ) from exc
        target.command(
            f"INSERT INTO {db}.schema_migrations (version, name, checksum) VALUES "
            f"({migration.version}, '{migration.name}', '{migration.checksum}')"
        )
        done.append(migration.version)
        logger.info("applied migration %04d_%s to %s", migration.version, migration.name, db)
    logger.info("clickhouse schema up to date database=%s applied_now=%s", db, done)
    return done


async def migrate_async(
    target: SqlTarget,
    database: str = "tastystream",
    migrations: Sequence[Migration] | None = None,
) -> list[int]:
    """:func:`migrate` in a worker thread (the clients are blocking)."""
    return await asyncio.to_thread(migrate, target, database, migrations)


def migrate_url(
    url: str, *, username: str = "default", password: str = "", database: str = "tastystream"
) -> list[int]:
    """Connect to ClickHouse over HTTP at ``url``, migrate ``database``, disconnect."""
    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn=url, username=username, password=password)
    try:
        return migrate(ClickHouseConnectTarget(client), database)
    finally:
        client.close()
