"""The HTTP interface in-process: routes, queries, inserts, encodings, errors, sessions."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import lz4.frame
import zstandard

from tastystream.stack.clickhouse import Engine, errors


async def _ok(http: httpx.AsyncClient, sql: str, **params: str) -> str:
    resp = await http.post("/", params=params, content=sql.encode())
    assert resp.status_code == 200, resp.text
    return resp.text


async def test_ping_and_root(http: httpx.AsyncClient) -> None:
    assert (await http.get("/ping")).text == "Ok.\n"
    assert (await http.get("/")).text == "Ok.\n"
    missing = await http.get("/nope")
    assert missing.status_code == 404
    assert "There is no handle /nope" in missing.text


async def test_select_headers(http: httpx.AsyncClient, engine: Engine) -> None:
    resp = await http.get(
        "/", params={"query": "SELECT 1 AS x FORMAT JSONEachRow", "query_id": "q-1"}
    )
    assert resp.status_code == 200
    assert resp.text == '{"x":1}\n'
    assert resp.headers["x-clickhouse-query-id"] == "q-1"
    assert resp.headers["x-clickhouse-format"] == "JSONEachRow"
    assert resp.headers["content-type"] == "application/x-ndjson; charset=UTF-8"
    assert resp.headers["x-clickhouse-timezone"] == engine.timezone
    assert resp.headers["x-clickhouse-server-display-name"] == engine.display_name
    summary = json.loads(resp.headers["x-clickhouse-summary"])
    assert summary["result_rows"] == "1"


async def test_default_format_and_version_query(http: httpx.AsyncClient, engine: Engine) -> None:
    resp = await http.get("/", params={"query": "SELECT version(), timezone()"})
    assert resp.headers["x-clickhouse-format"] == "TabSeparated"
    assert resp.text == f"{engine.version}\t{engine.timezone}\n"
    csv = await http.get("/", params={"query": "SELECT 1 AS a", "default_format": "CSVWithNames"})
    assert csv.text == '"a"\n1\n'


async def test_body_is_appended_to_query_param(http: httpx.AsyncClient) -> None:
    await _ok(http, "CREATE TABLE t (a UInt32, s String) ENGINE = MergeTree ORDER BY a")
    await _ok(http, "1,one\n2,two\n", query="INSERT INTO t FORMAT CSV")
    await _ok(http, "INSERT INTO t VALUES (3, 'three')")
    await _ok(http, 'INSERT INTO t FORMAT JSONEachRow\n{"a": 4, "s": "four"}')
    assert await _ok(http, "SELECT count(), sum(a) FROM t") == "4\t10\n"


async def test_streamed_insert_of_many_rows(http: httpx.AsyncClient) -> None:
    await _ok(http, "CREATE TABLE big (a UInt64) ENGINE = MergeTree ORDER BY a")
    rows = b"".join(b"%d\n" % i for i in range(200_000))  # larger than max_body_size
    wire = gzip.compress(b"INSERT INTO big FORMAT TSV\n" + rows)
    resp = await http.post("/", content=wire, headers={"Content-Encoding": "gzip"})
    assert resp.status_code == 200, resp.text
    assert json.loads(resp.headers["x-clickhouse-summary"])["written_rows"] == "200000"
    assert await _ok(http, "SELECT count(), sum(a) FROM big") == f"200000\t{sum(range(200_000))}\n"


async def test_compressed_request_bodies(http: httpx.AsyncClient) -> None:
    await _ok(http, "CREATE TABLE c (a UInt8) ENGINE = Memory")
    bodies = {
        "gzip": gzip.compress(b"1\n"),
        "zstd": zstandard.ZstdCompressor().compress(b"2\n"),
        "lz4": lz4.frame.compress(b"3\n") + lz4.frame.compress(b"4\n"),
    }
    for encoding, body in bodies.items():
        resp = await http.post(
            "/",
            params={"query": "INSERT INTO c FORMAT TSV"},
            content=body,
            headers={"Content-Encoding": encoding},
        )
        assert resp.status_code == 200, (encoding, resp.text)
    assert (
        await _ok(http, "SELECT groupArray(a) FROM (SELECT a FROM c ORDER BY a)") == "[1,2,3,4]\n"
    )


async def test_compressed_response_only_when_enabled(http: httpx.AsyncClient) -> None:
    sql = "SELECT number FROM numbers(100000) FORMAT TSV"
    plain = await http.post("/", content=sql, headers={"Accept-Encoding": "zstd"})
    assert "content-encoding" not in plain.headers
    packed = await http.post(
        "/",
        params={"enable_http_compression": "1"},
        content=sql,
        headers={"Accept-Encoding": "zstd"},
    )
    assert packed.headers["content-encoding"] == "zstd"
    assert len(packed.content) == len(plain.content)  # httpx decodes zstd transparently
    assert packed.content == plain.content


async def test_query_parameters_are_typed_and_escaped(http: httpx.AsyncClient) -> None:
    text = await _ok(
        http,
        "SELECT {s:String} AS s, {n:Int16} AS n, {a:Array(String)} AS a, toTypeName({n:Int16}) FORMAT TSV",
        param_s="it's a\\ttab; DROP TABLE x",
        param_n="-7",
        param_a="['x''y']",
    )
    assert text == "it\\'s a\\ttab; DROP TABLE x\t-7\t['x\\'y']\tInt16\n"
    bad = await http.post("/", params={"param_n": "seven"}, content="SELECT {n:UInt8}")
    assert bad.status_code == 400
    assert bad.headers["x-clickhouse-exception-code"] == "457"


async def test_settings_pass_through_and_unknown_settings_fail(http: httpx.AsyncClient) -> None:
    resp = await http.post(
        "/",
        params={"max_result_rows": "5", "result_overflow_mode": "throw"},
        content="SELECT number FROM numbers(10)",
    )
    assert resp.status_code == 500
    assert "(TOO_MANY_ROWS_OR_BYTES)" in resp.text
    ignored = await http.post(
        "/",
        params={
            "send_progress_in_http_headers": "1",
            "http_headers_progress_interval_ms": "100",
            "cancel_http_readonly_queries_on_client_close": "1",
        },
        content="SELECT 1",
    )
    assert ignored.text == "1\n"
    unknown = await http.post("/", params={"no_such_setting": "1"}, content="SELECT 1")
    assert (unknown.status_code, unknown.headers["x-clickhouse-exception-code"]) == (404, "115")
    hostile = await http.post("/", params={"x=1, readonly": "0"}, content="SELECT 1")
    assert hostile.status_code == 400


async def test_errors_are_typed(http: httpx.AsyncClient, engine: Engine) -> None:
    resp = await http.post("/", content="SELEC 1")
    assert resp.status_code == 400
    assert resp.headers["x-clickhouse-exception-code"] == "62"
    assert resp.text.startswith("Code: 62. DB::Exception: Syntax error")
    assert resp.text.endswith(f"(SYNTAX_ERROR) (version {engine.version})\n")
    missing = await http.post("/", content="SELECT * FROM nowhere")
    assert (missing.status_code, missing.headers["x-clickhouse-exception-code"]) == (404, "60")
    multi = await http.post("/", content="SELECT 1; SELECT 2")
    assert multi.headers["x-clickhouse-exception-code"] == "62"
    empty = await http.post("/", content=b"")
    assert empty.status_code == 400


async def test_get_is_readonly(http: httpx.AsyncClient) -> None:
    for sql in ("CREATE TABLE r (a UInt8) ENGINE = Memory", "INSERT INTO r VALUES (1)"):
        resp = await http.get("/", params={"query": sql})
        assert (resp.status_code, resp.headers["x-clickhouse-exception-code"]) == (403, "164")
    ok = await http.get("/", params={"query": "SELECT 1", "max_threads": "1"})
    assert ok.text == "1\n"


async def test_body_size_limit_is_413(http: httpx.AsyncClient) -> None:
    resp = await http.post("/", content=b"SELECT '" + b"x" * (2 << 20) + b"'")
    assert resp.status_code == 413
    assert resp.headers["x-clickhouse-exception-code"] == "229"


async def test_sessions_keep_state_and_isolate(http: httpx.AsyncClient) -> None:
    await _ok(http, "CREATE TEMPORARY TABLE tmp (a UInt8)", session_id="s1")
    await _ok(http, "INSERT INTO tmp VALUES (7)", session_id="s1")
    await _ok(http, "SET max_threads = 3", session_id="s1")
    assert await _ok(http, "SELECT a FROM tmp", session_id="s1") == "7\n"
    got = await _ok(
        http, "SELECT value FROM system.settings WHERE name = 'max_threads'", session_id="s1"
    )
    assert got == "3\n"
    other = await http.post("/", params={"session_id": "s2"}, content="SELECT a FROM tmp")
    assert other.status_code == 404
    gone = await http.post(
        "/", params={"session_id": "s3", "session_check": "1"}, content="SELECT 1"
    )
    assert gone.headers["x-clickhouse-exception-code"] == "372"
    write = await http.get("/", params={"session_id": "s1", "query": "INSERT INTO tmp VALUES (1)"})
    assert write.status_code == 403


async def test_database_param(http: httpx.AsyncClient) -> None:
    await _ok(http, "CREATE DATABASE d2")
    await _ok(http, "CREATE TABLE d2.t (a UInt8) ENGINE = Memory")
    await _ok(http, "INSERT INTO t VALUES (5)", database="d2")
    assert await _ok(http, "SELECT a FROM t", database="d2") == "5\n"
    assert await _ok(http, "SELECT currentDatabase()") == "default\n"


async def test_streamed_result_with_names_is_one_document(http: httpx.AsyncClient) -> None:
    text = await _ok(http, "SELECT number AS n FROM numbers(300000) FORMAT TSVWithNames")
    lines = text.splitlines()
    assert lines[0] == "n"
    assert lines[1:] == [str(i) for i in range(300000)]


async def test_error_after_streaming_started_is_tagged(http: httpx.AsyncClient) -> None:
    resp = await http.post(
        "/",
        content="SELECT throwIf(number = 2000000) FROM numbers(3000000) SETTINGS max_block_size = 65536",
    )
    assert resp.status_code == 200  # the failure comes after the first blocks were sent
    tag = resp.headers["x-clickhouse-exception-tag"]
    assert resp.content.startswith(b"0\n0\n")
    assert resp.content.endswith(b" " + tag.encode() + b"\r\n__exception__\r\n")
    assert b"__exception__\r\n" + tag.encode() + b"\r\nCode: 395." in resp.content


async def test_wait_end_of_query_reports_late_errors_as_status(http: httpx.AsyncClient) -> None:
    resp = await http.post(
        "/",
        params={"wait_end_of_query": "1"},
        content="SELECT throwIf(number = 2000000) FROM numbers(3000000) SETTINGS max_block_size = 65536",
    )
    assert resp.status_code == 500
    assert resp.headers["x-clickhouse-exception-code"] == "395"


async def test_document_formats(http: httpx.AsyncClient) -> None:
    doc = json.loads(await _ok(http, "SELECT number AS n FROM numbers(3) FORMAT JSON"))
    assert [row["n"] for row in doc["data"]] == ["0", "1", "2"] or [
        r["n"] for r in doc["data"]
    ] == [0, 1, 2]
    parquet = await http.post("/", content="SELECT 1 AS a FORMAT Parquet")
    assert parquet.content.startswith(b"PAR1")
    assert parquet.headers["content-type"] == "application/octet-stream"


async def test_form_encoded_query_and_long_parameters(http: httpx.AsyncClient) -> None:
    long_list = "[" + ",".join(str(i) for i in range(3000)) + "]"
    resp = await http.post(
        "/",
        files={
            "query": (None, "SELECT length({xs:Array(UInt32)}), {s:String}"),
            "param_xs": (None, long_list),
            "param_s": (None, "ok"),
        },
    )
    assert resp.status_code == 200, resp.text
    assert resp.text == "3000\tok\n"
    external = await http.post(
        "/",
        params={"query": "SELECT * FROM ext", "ext_structure": "a UInt8"},
        files={"ext": ("ext.tsv", b"1\n")},
    )
    assert external.status_code == 501
    assert external.headers["x-clickhouse-exception-code"] == "48"


async def test_client_side_file_clauses_are_refused(
    http: httpx.AsyncClient, tmp_path: Path
) -> None:
    target = tmp_path / "out.txt"
    out = await http.post("/", content=f"SELECT 1 INTO OUTFILE '{target}'")
    assert (out.status_code, out.headers["x-clickhouse-exception-code"]) == (500, "358")
    assert not target.exists()
    await _ok(http, "CREATE TABLE f (line String) ENGINE = Memory")
    infile = await http.post(
        "/", content="INSERT INTO f FROM INFILE '/etc/hostname' FORMAT LineAsString"
    )
    assert infile.headers["x-clickhouse-exception-code"] == "78"
    assert await _ok(http, "SELECT count() FROM f") == "0\n"


async def test_error_codes_match_the_engine(http: httpx.AsyncClient) -> None:
    names = errors._NAMES
    sql = "SELECT " + ", ".join(f"errorCodeToName({code})" for code in names) + " FORMAT TSV"
    assert (await _ok(http, sql)).rstrip("\n").split("\t") == list(names.values())


async def test_url_settings_apply_to_one_request_of_a_session(http: httpx.AsyncClient) -> None:
    probe = "SELECT getSetting('max_result_rows'), getSetting('max_threads') FORMAT TSV"
    baseline = await _ok(http, probe, session_id="scoped")
    assert await _ok(http, probe, session_id="scoped", max_result_rows="7") == (
        "7\t" + baseline.split("\t")[1]
    )
    assert await _ok(http, probe, session_id="scoped") == baseline  # not leaked
    await _ok(http, "SET max_threads = 3", session_id="scoped", max_result_rows="9")
    assert await _ok(http, probe, session_id="scoped") == "0\t3\n"  # SET persists, URL did not
    assert await _ok(http, probe, session_id="scoped", max_threads="1") == "0\t1\n"
    assert await _ok(http, probe, session_id="scoped") == "0\t3\n"


async def test_dedup_token_does_not_leak_into_the_next_insert(http: httpx.AsyncClient) -> None:
    await _ok(
        http,
        "CREATE TABLE dd (a UInt8) ENGINE = MergeTree ORDER BY a "
        "SETTINGS non_replicated_deduplication_window = 100",
    )
    token = {"session_id": "sink", "insert_deduplication_token": "batch-1"}
    await _ok(http, "INSERT INTO dd VALUES (1)", **token)
    await _ok(http, "INSERT INTO dd VALUES (2)", **token)  # a replay: deduplicated
    await _ok(http, "INSERT INTO dd VALUES (3)", session_id="sink")  # no token: must land
    assert await _ok(http, "SELECT groupArray(a) FROM (SELECT a FROM dd ORDER BY a)") == "[1,3]\n"


async def test_database_param_applies_to_one_request_of_a_session(http: httpx.AsyncClient) -> None:
    await _ok(http, "CREATE DATABASE d3")
    assert await _ok(http, "SELECT currentDatabase()", session_id="db", database="d3") == "d3\n"
    assert await _ok(http, "SELECT currentDatabase()", session_id="db") == "default\n"
    await _ok(http, "USE d3", session_id="db", database="system")
    assert await _ok(http, "SELECT currentDatabase()", session_id="db") == "d3\n"
    assert (
        await _ok(http, "SELECT currentDatabase()", session_id="db", database="system")
        == "system\n"
    )
    assert await _ok(http, "SELECT currentDatabase()", session_id="db") == "d3\n"
