"""ClickHouse exceptions as the HTTP interface reports them.

A real server answers a failed query with a status chosen from the error class, the header
``X-ClickHouse-Exception-Code`` and a body like
``Code: 62. DB::Exception: Syntax error: ... (SYNTAX_ERROR) (version 24.8.1.1)``. Clients parse
the code from the header and the symbolic name from the body, so both must be exact.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "ACCESS_DENIED",
    "AUTHENTICATION_FAILED",
    "BAD_ARGUMENTS",
    "CANNOT_DECOMPRESS",
    "CANNOT_SCHEDULE_TASK",
    "HTTP_LENGTH_REQUIRED",
    "INTO_OUTFILE_NOT_ALLOWED",
    "NOT_IMPLEMENTED",
    "QUERY_IS_TOO_LARGE",
    "QUERY_WAS_CANCELLED",
    "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING",
    "READONLY",
    "SESSION_IS_LOCKED",
    "SESSION_NOT_FOUND",
    "SOCKET_TIMEOUT",
    "SYNTAX_ERROR",
    "TIMEOUT_EXCEEDED",
    "TOO_MANY_SIMULTANEOUS_QUERIES",
    "UNKNOWN_EXCEPTION",
    "UNKNOWN_TYPE_OF_QUERY",
    "ClickHouseError",
]

# Error codes (name -> number) as in ClickHouse's src/Common/ErrorCodes.cpp.
UNKNOWN_EXCEPTION: Final = 1002
SYNTAX_ERROR: Final = 62
BAD_ARGUMENTS: Final = 36
TIMEOUT_EXCEEDED: Final = 159
READONLY: Final = 164
TOO_MANY_SIMULTANEOUS_QUERIES: Final = 202
QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING: Final = 216
CANNOT_DECOMPRESS: Final = 271
QUERY_IS_TOO_LARGE: Final = 229
SESSION_NOT_FOUND: Final = 372
SESSION_IS_LOCKED: Final = 373
HTTP_LENGTH_REQUIRED: Final = 381
SOCKET_TIMEOUT: Final = 209
NOT_IMPLEMENTED: Final = 48
UNKNOWN_TYPE_OF_QUERY: Final = 78
INTO_OUTFILE_NOT_ALLOWED: Final = 358
CANNOT_SCHEDULE_TASK: Final = 439
AUTHENTICATION_FAILED: Final = 516
ACCESS_DENIED: Final = 497
QUERY_WAS_CANCELLED: Final = 394

_NAMES: Final[dict[int, str]] = {
    UNKNOWN_EXCEPTION: "UNKNOWN_EXCEPTION",
    SYNTAX_ERROR: "SYNTAX_ERROR",
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    TIMEOUT_EXCEEDED: "TIMEOUT_EXCEEDED",
    READONLY: "READONLY",
    TOO_MANY_SIMULTANEOUS_QUERIES: "TOO_MANY_SIMULTANEOUS_QUERIES",
    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING: "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING",
    CANNOT_DECOMPRESS: "CANNOT_DECOMPRESS",
    QUERY_IS_TOO_LARGE: "QUERY_IS_TOO_LARGE",
    SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
    SESSION_IS_LOCKED: "SESSION_IS_LOCKED",
    HTTP_LENGTH_REQUIRED: "HTTP_LENGTH_REQUIRED",
    SOCKET_TIMEOUT: "SOCKET_TIMEOUT",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    UNKNOWN_TYPE_OF_QUERY: "UNKNOWN_TYPE_OF_QUERY",
    INTO_OUTFILE_NOT_ALLOWED: "INTO_OUTFILE_NOT_ALLOWED",
    CANNOT_SCHEDULE_TASK: "CANNOT_SCHEDULE_TASK",
    AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED",
    ACCESS_DENIED: "ACCESS_DENIED",
    QUERY_WAS_CANCELLED: "QUERY_WAS_CANCELLED",
}

# HTTP status by error name, after HTTPHandler's exceptionCodeToHTTPStatus.
_STATUS_BY_NAME: Final[dict[str, int]] = {
    "REQUIRED_PASSWORD": 401,
    "UNKNOWN_USER": 401,
    "WRONG_PASSWORD": 401,
    "AUTHENTICATION_FAILED": 401,
    "SET_NON_GRANTED_ROLE": 403,
    "ACCESS_DENIED": 403,
    "READONLY": 403,
    **dict.fromkeys(
        (
            "CANNOT_PARSE_TEXT",
            "CANNOT_PARSE_ESCAPE_SEQUENCE",
            "CANNOT_PARSE_QUOTED_STRING",
            "CANNOT_PARSE_DATE",
            "CANNOT_PARSE_DATETIME",
            "CANNOT_PARSE_NUMBER",
            "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING",
            "CANNOT_PARSE_IPV4",
            "CANNOT_PARSE_IPV6",
            "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
            "CANNOT_PARSE_UUID",
            "CANNOT_PARSE_BOOL",
            "CANNOT_READ_ALL_DATA",
            "DUPLICATE_COLUMN",
            "ILLEGAL_COLUMN",
            "UNKNOWN_ELEMENT_IN_AST",
            "UNKNOWN_TYPE_OF_AST_NODE",
            "TOO_DEEP_AST",
            "TOO_BIG_AST",
            "UNEXPECTED_AST_STRUCTURE",
            "SYNTAX_ERROR",
            "INCORRECT_DATA",
            "TYPE_MISMATCH",
            "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
            "BAD_QUERY_PARAMETER",
            "UNKNOWN_QUERY_PARAMETER",
            "CANNOT_DECOMPRESS",
            "BAD_ARGUMENTS",
        ),
        400,
    ),
    **dict.fromkeys(
        (
            "UNKNOWN_TABLE",
            "UNKNOWN_FUNCTION",
            "UNKNOWN_IDENTIFIER",
            "UNKNOWN_TYPE",
            "UNKNOWN_STORAGE",
            "UNKNOWN_DATABASE",
            "UNKNOWN_SETTING",
            "UNKNOWN_DIRECTION_OF_SORTING",
            "UNKNOWN_AGGREGATE_FUNCTION",
            "UNKNOWN_FORMAT",
            "UNKNOWN_DATABASE_ENGINE",
            "UNKNOWN_TYPE_OF_QUERY",
            "UNKNOWN_ROLE",
            "SESSION_NOT_FOUND",
        ),
        404,
    ),
    "TIMEOUT_EXCEEDED": 408,
    "HTTP_LENGTH_REQUIRED": 411,
    "QUERY_IS_TOO_LARGE": 413,
    "NOT_IMPLEMENTED": 501,
    "TOO_MANY_SIMULTANEOUS_QUERIES": 503,
    "CANNOT_SCHEDULE_TASK": 503,
    "SOCKET_TIMEOUT": 503,
}

_ENGINE_MESSAGE = re.compile(r"Code:\s*(\d+)\.\s*(?:DB::Exception:\s*)?(.*)", re.DOTALL)
_NAME_SUFFIX = re.compile(r"\(([A-Z][A-Z0-9_]+)\)\s*$")
_VERSION_TRAILER = re.compile(r"\s*\(version\s+(?:[^()]|\([^()]*\))*\)\s*$")


class ClickHouseError(Exception):
    """A ClickHouse exception with its numeric code and symbolic name."""

    def __init__(self, code: int, message: str, name: str | None = None) -> None:
        self.code = code
        self.name = name or _NAMES.get(code, "UNKNOWN_EXCEPTION")
        self.message = message.strip()
        super().__init__(f"Code: {code}. {self.message} ({self.name})")

    @property
    def http_status(self) -> int:
        return _STATUS_BY_NAME.get(self.name, 500)

    def render(self, version: str) -> str:
        """The body a real server sends: one line, code, text, name and version."""
        text = self.message.rstrip(".")
        return f"Code: {self.code}. DB::Exception: {text}. ({self.name}) (version {version})\n"

    @classmethod
    def from_engine(cls, exc: BaseException) -> ClickHouseError:
        """Translate a chdb error (its text carries ``Code: N. DB::Exception: ... (NAME)``)."""
        if isinstance(exc, ClickHouseError):
            return exc
        text = str(exc)
        match = _ENGINE_MESSAGE.search(text)
        if match is None:
            return cls(UNKNOWN_EXCEPTION, text or type(exc).__name__)
        body = _VERSION_TRAILER.sub("", match.group(2)).strip()
        name_match = _NAME_SUFFIX.search(body)
        name = name_match.group(1) if name_match else None
        if name_match is not None:
            body = body[: name_match.start()].rstrip()
        return cls(int(match.group(1)), body.rstrip("."), name)
