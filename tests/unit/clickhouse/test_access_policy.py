"""The access policy on SQL text alone: what the ordinary user may not run, and what stays allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tastystream.stack.clickhouse.access_policy import AccessPolicy, Catalog
from tastystream.stack.clickhouse.errors import ACCESS_DENIED, ClickHouseError

FILES = Path("/srv/stack/clickhouse/user_files")
CATALOG = Catalog(
    table_functions=frozenset({"url", "remote", "s3", "file", "numbers", "python", "format"}),
    table_engines=frozenset(
        {"URL", "MergeTree", "Memory", "File", "Kafka", "Distributed", "EmbeddedRocksDB"}
    ),
    database_engines=frozenset({"Atomic", "Filesystem", "MySQL"}),
)


@pytest.fixture
def policy() -> AccessPolicy:
    return AccessPolicy(CATALOG, FILES)


REFUSED = [
    # reproductions from the issue
    "SELECT * FROM file('/etc/passwd','LineAsString')",
    "SELECT * FROM file('../.env','LineAsString')",
    "INSERT INTO FUNCTION file('/home/u/.bashrc','LineAsString') SELECT 'x'",
    "SELECT * FROM url('http://127.0.0.1:9/','LineAsString')",
    "SYSTEM SHUTDOWN",
    "KILL QUERY WHERE 1",
    # the same through the lexer's blind spots
    "SELECT * FROM url/* c */('http://x', 'CSV')",
    "SELECT * FROM `url`('http://x', 'CSV')",
    "SELECT * FROM \"Remote\"('h:9000', system.one)",
    "SELECT * FROM python(x)",
    "SELECT * FROM `u\\x72l`('http://x', 'CSV')",
    "SELECT * FROM \"re\\mote\"('h:9000', system.one)",
    "SELECT 1 SETTINGS `input_format_values_interp\\x72et_expressions` = 1",
    "system shutdown",
    "  -- hello\n  SYSTEM DROP DNS CACHE",
    "(KILL MUTATION WHERE 1)",
    # file(): paths out of the folder, or computed paths
    "SELECT file('/etc/hostname')",
    "SELECT * FROM file(concat(char(47), 'etc/passwd'), 'LineAsString')",
    "SELECT * FROM file({p:String}, 'LineAsString')",
    "SELECT * FROM file('{a,../x}.txt', 'LineAsString')",
    "SELECT * FROM file('.{.,}/x', 'LineAsString')",
    "SELECT * FROM file('a/\\x2e\\x2e/x', 'LineAsString')",
    "SELECT * FROM file('/srv/stack/clickhouse/user_files/../../.env', 'LineAsString')",
    "SELECT * FROM file('/srv/stack/clickhouse/user_files_evil/x', 'LineAsString')",
    "CREATE TABLE t (s String) ENGINE = File(LineAsString, '/etc/passwd')",
    # engines, databases, dictionary sources, disks
    "CREATE TABLE t (s String) ENGINE = URL('http://x/', CSV)",
    "CREATE TABLE t (s String) ENGINE = Kafka SETTINGS kafka_broker_list = 'h:9092'",
    "CREATE DATABASE d ENGINE = Filesystem('/')",
    "CREATE TABLE t (k UInt8) ENGINE = EmbeddedRocksDB(0, '/tmp/anywhere') PRIMARY KEY k",
    "CREATE DATABASE d ENGINE = MySQL('h:3306', 'db', 'u', 'p')",
    "CREATE DICTIONARY d (k UInt64, v String) PRIMARY KEY k "
    "SOURCE(HTTP(url 'http://x/' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)",
    "CREATE DICTIONARY d (k UInt64) PRIMARY KEY k "
    "SOURCE(CLICKHOUSE(host 'h' port 9000 table 't')) LAYOUT(FLAT()) LIFETIME(0)",
    "CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a "
    "SETTINGS disk = disk(type = local, path = '/tmp/d/')",
    # statements
    "BACKUP DATABASE tastystream TO File('/tmp/b')",
    "CREATE USER u IDENTIFIED BY 'p'",
    "CREATE OR REPLACE NAMED COLLECTION c AS url = 'http://x'",
    "GRANT ALL ON *.* TO u",
    "ATTACH TABLE t FROM '/var/lib/other' (a UInt8) ENGINE = MergeTree ORDER BY a",
    # locked settings: Values expressions can call file() from inside a string literal
    "SET input_format_values_interpret_expressions = 1",
    "SELECT 1 SETTINGS input_format_values_deduce_templates_of_expressions = 1",
    "SELECT 1 SETTINGS format_schema = '/etc/passwd:M'",
]

ALLOWED = [
    "SELECT 1",
    "SELECT * FROM numbers(10)",
    "SELECT * FROM file('data.csv', 'CSV', 'a UInt8, s String')",
    "SELECT * FROM file('logs/*.tsv.gz', 'TSV', 'a UInt8', 'gzip')",
    "SELECT * FROM file('day_{1..31}.csv', 'CSV')",
    "SELECT * FROM file('x.{csv,tsv}')",
    "SELECT * FROM file('/srv/stack/clickhouse/user_files/a.txt', 'LineAsString')",
    "SELECT file('notes.txt')",
    "INSERT INTO FUNCTION file('out.csv', 'CSV') SELECT 1",
    "CREATE TABLE t (s String) ENGINE = File(CSV)",
    "CREATE TABLE user (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS index_granularity = 8192",
    "CREATE TABLE t (a UInt8) ENGINE = Memory",
    "SELECT 'url(http://x)', \"url\" FROM t -- url('x')",
    "SELECT format('{} {}', 'a', 'b')",
    "SELECT * FROM system.processes",
    "CREATE DATABASE d ENGINE = Atomic",
    "ATTACH TABLE t",
    "SHOW GRANTS",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused(policy: AccessPolicy, sql: str) -> None:
    with pytest.raises(ClickHouseError) as caught:
        policy.check(sql)
    assert caught.value.code == ACCESS_DENIED
    assert caught.value.http_status == 403
    assert caught.value.name == "ACCESS_DENIED"


@pytest.mark.parametrize("sql", ALLOWED)
def test_allowed(policy: AccessPolicy, sql: str) -> None:
    policy.check(sql)


def test_configuration_allows_a_refused_function() -> None:
    policy = AccessPolicy(CATALOG, FILES, allow=["url", "Kafka"])
    policy.check("SELECT * FROM url('http://x/', 'CSV')")
    policy.check("CREATE TABLE t (s String) ENGINE = Kafka SETTINGS kafka_broker_list = 'h'")
    with pytest.raises(ClickHouseError):
        policy.check("SELECT * FROM remote('h', system.one)")


def test_values_data_is_checked_for_calls_only(policy: AccessPolicy) -> None:
    policy.check("(now(), 'a'), (1, toDate('2024-01-01'))", data=True)
    with pytest.raises(ClickHouseError):
        policy.check("(1, file('/etc/passwd'))", data=True)


def test_locked_url_settings(policy: AccessPolicy) -> None:
    policy.check_settings(["max_threads", "wait_end_of_query"])
    for name in ("input_format_values_interpret_expressions", "log_comment", "format_schema"):
        with pytest.raises(ClickHouseError):
            policy.check_settings([name])
