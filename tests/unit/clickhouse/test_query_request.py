"""URL parameters and headers of a query request, split the way ClickHouse's HTTP handler does."""

from __future__ import annotations

import base64

import pytest

from tastystream.stack.clickhouse.errors import ClickHouseError
from tastystream.stack.clickhouse.query_request import Credentials, parse_request

OPEN = Credentials()


def test_params_settings_and_transport_are_split() -> None:
    req = parse_request(
        "post",
        [
            ("query", "SELECT {x:String}"),
            ("database", "db"),
            ("default_format", "JSON"),
            ("query_id", "q1"),
            ("session_id", "s1"),
            ("session_timeout", "120"),
            ("param_x", "a\\tb"),
            ("max_result_rows", "5"),
            ("date_time_input_format", "best_effort"),
            ("send_progress_in_http_headers", "1"),
            ("enable_http_compression", "1"),
            ("wait_end_of_query", "1"),
            ("client_protocol_version", "54405"),
        ],
        {"accept-encoding": "gzip"},
        OPEN,
    )
    assert req.method == "POST"
    assert req.query == "SELECT {x:String}"
    assert (req.database, req.default_format, req.query_id) == ("db", "JSON", "q1")
    assert (req.session_id, req.session_timeout) == ("s1", 120.0)
    assert req.params == {"x": "a\\tb"}
    assert req.settings == {"max_result_rows": "5", "date_time_input_format": "best_effort"}
    assert req.response_encoding == "gzip"
    assert req.wait_end_of_query
    assert not req.readonly


def test_defaults_and_generated_query_id() -> None:
    a = parse_request("GET", [("query", "SELECT 1")], {}, OPEN)
    b = parse_request("GET", [("query", "SELECT 1")], {}, OPEN)
    assert a.readonly
    assert a.default_format == "TabSeparated"
    assert a.query_id != b.query_id
    assert a.response_encoding is None  # Accept-Encoding alone does not enable compression


def test_compression_needs_both_setting_and_accept_encoding() -> None:
    req = parse_request("POST", [("enable_http_compression", "1")], {}, OPEN)
    assert req.response_encoding is None


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ([("user", "app"), ("password", "s3cret")], {}),
        ([], {"x-clickhouse-user": "app", "x-clickhouse-key": "s3cret"}),
        ([], {"authorization": "Basic " + base64.b64encode(b"app:s3cret").decode()}),
    ],
)
def test_every_credential_style_is_accepted(
    params: list[tuple[str, str]], headers: dict[str, str]
) -> None:
    req = parse_request("POST", params, headers, Credentials("app", "s3cret"))
    assert req.user == "app"


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ([("user", "app"), ("password", "wrong")], {}),
        ([], {}),  # default user does not exist here
        ([], {"authorization": "Basic !!!"}),
    ],
)
def test_bad_credentials_fail_with_516(
    params: list[tuple[str, str]], headers: dict[str, str]
) -> None:
    with pytest.raises(ClickHouseError) as info:
        parse_request("POST", params, headers, Credentials("app", "s3cret"))
    assert info.value.code == 516
    assert info.value.http_status == 401


@pytest.mark.parametrize("timeout", ["0", "-1", "99999", "abc"])
def test_session_timeout_is_validated(timeout: str) -> None:
    with pytest.raises(ClickHouseError) as info:
        parse_request("POST", [("session_timeout", timeout)], {}, OPEN)
    assert info.value.name == "BAD_ARGUMENTS"


@pytest.mark.parametrize("param", ["compress", "decompress"])
def test_native_block_compression_is_refused_not_ignored(param: str) -> None:
    with pytest.raises(ClickHouseError) as info:
        parse_request("POST", [(param, "1")], {}, OPEN)
    assert (info.value.name, info.value.http_status) == ("NOT_IMPLEMENTED", 501)
    assert parse_request("POST", [(param, "0")], {}, OPEN).settings == {}
