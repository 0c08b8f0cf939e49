"""Exception text and status exactly as a ClickHouse server reports them."""

from __future__ import annotations

import re

import pytest
from clickhouse_connect.driver.exceptions import error_name_from_body

from tastystream.stack.clickhouse.errors import ClickHouseError


def test_engine_message_is_parsed_to_code_and_name() -> None:
    exc = RuntimeError(
        "Code: 60. DB::Exception: Unknown table expression identifier 'x'. "
        "In scope SELECT * FROM x. (UNKNOWN_TABLE)"
    )
    err = ClickHouseError.from_engine(exc)
    assert (err.code, err.name, err.http_status) == (60, "UNKNOWN_TABLE", 404)
    assert err.render("26.9.2.1") == (
        "Code: 60. DB::Exception: Unknown table expression identifier 'x'. "
        "In scope SELECT * FROM x. (UNKNOWN_TABLE) (version 26.9.2.1)\n"
    )


def test_engine_version_trailer_is_not_duplicated() -> None:
    exc = RuntimeError(
        "Streaming insert finish failed: Code: 33. DB::Exception: Cannot read all data. "
        "(CANNOT_READ_ALL_DATA) (version 26.9.2.1)"
    )
    err = ClickHouseError.from_engine(exc)
    assert err.code == 33
    assert err.render("1.2.3").count("(version") == 1
    assert err.render("1.2.3").endswith("(CANNOT_READ_ALL_DATA) (version 1.2.3)\n")


def test_foreign_exception_is_unknown_exception() -> None:
    err = ClickHouseError.from_engine(ValueError("boom"))
    assert (err.code, err.name, err.http_status) == (1002, "UNKNOWN_EXCEPTION", 500)


@pytest.mark.parametrize(
    ("code", "name", "status"),
    [
        (62, "SYNTAX_ERROR", 400),
        (516, "AUTHENTICATION_FAILED", 401),
        (164, "READONLY", 403),
        (115, "UNKNOWN_SETTING", 404),
        (159, "TIMEOUT_EXCEEDED", 408),
        (229, "QUERY_IS_TOO_LARGE", 413),
        (395, "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO", 500),
    ],
)
def test_status_follows_the_error_class(code: int, name: str, status: int) -> None:
    assert ClickHouseError(code, "x", name).http_status == status


def test_rendered_text_is_what_clients_parse() -> None:
    body = ClickHouseError(62, "Syntax error: failed at position 1").render("26.9.2.1")
    assert re.match(
        r"^Code: 62\. DB::Exception: .+\. \(SYNTAX_ERROR\) \(version 26\.9\.2\.1\)\n$", body
    )
    assert error_name_from_body(body) == "SYNTAX_ERROR"
