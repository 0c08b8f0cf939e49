from __future__ import annotations

from pathlib import Path

import pytest

from sinks.ddl import DDL_DIR, Migration, load_migrations
from sinks.migrate import (
    ChdbTarget,
    MigrationChecksumMismatch,
    MigrationError,
    applied_migrations,
    migrate,
)
from tests.support import unique


def _db() -> str:
    return unique("ddl").replace("-", "_")


def test_migration_files_are_ordered_and_named() -> None:
    migrations = load_migrations()
    versions = [m.version for m in migrations]
    assert versions == sorted(versions)
    # the market schema; later migrations (e.g. the sink's own tables) follow
    assert [(m.version, m.name) for m in migrations[:4]] == [
        (1, "market_tables"),
        (2, "sink_offsets"),
        (3, "bars"),
        (4, "quote_views"),
    ]
    assert all(len(m.checksum) == 64 for m in migrations)
    assert (DDL_DIR / "0001_market_tables.sql").is_file()


def test_statements_split_on_line_ending_semicolons() -> None:
    migration = Migration(
        9,
        "x",
        "-- header; not a statement\nCREATE TABLE ${database}.a (x String COMMENT 'a; b')\n"
        "ENGINE = Memory;\n\n-- only a comment;\nSELECT 1;\n-- trailing\n",
    )
    assert migration.statements("db1") == [
        "-- header; not a statement\nCREATE TABLE db1.a (x String COMMENT 'a; b')\nENGINE = Memory",
        "-- only a comment;\nSELECT 1",
    ]
    with pytest.raises(ValueError, match="identifier"):
        migration.statements("db; DROP DATABASE x")


def test_every_statement_is_idempotent() -> None:
    """Re-running an interrupted migration is safe: CREATE … IF NOT EXISTS, DROP … IF EXISTS."""
    for migration in load_migrations():
        for statement in migration.statements("tastystream"):
            code = " ".join(
                ln for ln in statement.splitlines() if not ln.strip().startswith("--")
            ).upper()
            if code.lstrip().startswith("DROP"):
                assert "IF EXISTS" in code, statement[:80]
            else:
                assert "IF NOT EXISTS" in code, statement[:80]


def test_migrate_twice_is_idempotent(chdb_target: ChdbTarget) -> None:
    db = _db()
    assert migrate(chdb_target, db) == [m.version for m in load_migrations()]
    tables_before = chdb_target.rows(f"SELECT name FROM system.tables WHERE database = '{db}'")
    assert migrate(chdb_target, db) == []
    tables_after = chdb_target.rows(f"SELECT name FROM system.tables WHERE database = '{db}'")
    assert sorted(tables_before) == sorted(tables_after)
    assert len(tables_after) >= 33
    recorded = applied_migrations(chdb_target, db)
    assert recorded == {m.version: m.checksum for m in load_migrations()}


def test_changed_migration_stops_start_up(chdb_target: ChdbTarget) -> None:
    db = _db()
    first = Migration(
        1, "one", "CREATE TABLE IF NOT EXISTS ${database}.one (x UInt8) ENGINE = Memory;\n"
    )
    assert migrate(chdb_target, db, [first]) == [1]
    edited = Migration(1, "one", first.template + "-- edited\n")
    with pytest.raises(MigrationChecksumMismatch, match="0001_one"):
        migrate(chdb_target, db, [edited])


def test_failed_migration_is_not_recorded_and_reruns(chdb_target: ChdbTarget) -> None:
    db = _db()
    good = Migration(
        1, "good", "CREATE TABLE IF NOT EXISTS ${database}.g (x UInt8) ENGINE = Memory;\n"
    )
    bad = Migration(
        2,
        "later",
        "CREATE TABLE IF NOT EXISTS ${database}.h (x UInt8) ENGINE = Memory;\n"
        "CREATE TABLE IF NOT EXISTS ${database}.i (x NoSuchType) ENGINE = Memory;\n",
    )
    with pytest.raises(MigrationError, match="0002_later"):
        migrate(chdb_target, db, [good, bad])
    assert set(applied_migrations(chdb_target, db)) == {1}
    fixed = Migration(2, "later", bad.template.replace("NoSuchType", "UInt16"))
    assert migrate(chdb_target, db, [good, fixed]) == [2]
    assert chdb_target.rows(f"SELECT count() FROM system.tables WHERE database = '{db}'") == [(4,)]


def test_load_migrations_rejects_bad_folders(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;\n")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;\n")
    with pytest.raises(ValueError, match="duplicate"):
        load_migrations(tmp_path)
    (tmp_path / "0001_b.sql").unlink()
    (tmp_path / "2_bad.sql").write_text("SELECT 1;\n")
    with pytest.raises(ValueError, match="NNNN_name"):
        load_migrations(tmp_path)
