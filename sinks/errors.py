"""The sink's error tree: every failure knows whether retrying can help.

ClickHouse failures are translated at the boundary (:func:`classify_clickhouse_error`): a
transport failure or an overloaded server is retriable (the batch is retried with backoff and
nothing is committed meanwhile); a rejected row is a :class:`RowsRejected` (the offending
records are dead-lettered); a missing table or column is a :class:`TableMismatch` (fatal: the
schema and the DDL disagree, so writing on would lose data).
"""

from __future__ import annotations

import re
import struct
from typing import ClassVar, Final

__all__ = [
    "AccessRefused",
    "CheckpointError",
    "ClickHouseUnavailable",
    "PassthroughRejected",
    "RegistryUnreachable",
    "RowsRejected",
    "SinkError",
    "TableMismatch",
    "classify_clickhouse_error",
    "classify_passthrough_error",
]


class SinkError(Exception):
    """Root of everything the ``sinks`` package raises."""

    retriable: ClassVar[bool] = False


class ClickHouseUnavailable(SinkError):
    """ClickHouse could not be reached, timed out, or answered with a transient error."""

    retriable: ClassVar[bool] = True


class AccessRefused(SinkError):
    """ClickHouse refused the credentials or the statement (wrong password, unknown user,
    access denied): retrying with the same settings cannot help."""


class RowsRejected(SinkError):
    """ClickHouse (or the client's serializer) refused the data of a batch."""


class PassthroughRejected(SinkError):
    """ClickHouse refused a fast-path insert for a reason retrying cannot fix (a row failed a
    check, a body did not parse, or anything else deterministic): the batch takes the Python
    path, which names the culprits. Nothing of the refused insert landed (one block)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TableMismatch(SinkError):
    """The table does not take what the topic carries (missing table, unmappable column)."""


class RegistryUnreachable(SinkError):
    """The schema registry could not be asked for a writer schema now."""

    retriable: ClassVar[bool] = True


class CheckpointError(SinkError):
    """The checkpoint table could not be read or written."""

    retriable: ClassVar[bool] = True


# ClickHouse error codes that mean "this data does not fit" (the rows are at fault).
_DATA_CODES: Final = frozenset(
    {
        6,  # CANNOT_PARSE_TEXT
        27,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
        32,  # ATTEMPT_TO_READ_AFTER_EOF
        33,  # CANNOT_READ_ALL_DATA
        36,  # BAD_ARGUMENTS
        41,  # CANNOT_PARSE_DATETIME
        43,  # ILLEGAL_TYPE_OF_ARGUMENT
        53,  # TYPE_MISMATCH
        69,  # ARGUMENT_OUT_OF_BOUND
        70,  # CANNOT_CONVERT_TYPE
        72,  # CANNOT_PARSE_NUMBER
        117,  # INCORRECT_DATA
        321,  # VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
        349,  # CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
        376,  # CANNOT_PARSE_UUID
        691,  # UNKNOWN_ELEMENT_OF_ENUM
    }
)
# Codes that mean the table is not what we expect: retrying or dropping rows cannot help.
_SCHEMA_CODES: Final = frozenset(
    {
        16,  # NO_SUCH_COLUMN_IN_TABLE
        47,  # UNKNOWN_IDENTIFIER
        60,  # UNKNOWN_TABLE
        81,  # UNKNOWN_DATABASE
        10,  # NOT_FOUND_COLUMN_IN_BLOCK
    }
)
# Codes that mean the credentials or the user's rights are refused: fatal, with a clear cause.
_ACCESS_CODES: Final = frozenset(
    {
        192,  # UNKNOWN_USER
        193,  # WRONG_PASSWORD
        194,  # REQUIRED_PASSWORD
        497,  # ACCESS_DENIED
        516,  # AUTHENTICATION_FAILED
    }
)
_CODE = re.compile(r"Code:\s*(\d+)")


def _code_and_message(exc: BaseException, context: str, limit: int) -> tuple[int | None, str]:
    """The ClickHouse error code in ``exc`` (None without one) and a one-line message: the
    context, the exception type and the first line of its text (at most ``limit`` chars)."""
    text = str(exc)
    match = _CODE.search(text)
    summary = text.strip().splitlines()[0][:limit] if text.strip() else type(exc).__name__
    message = f"{context}: {type(exc).__name__}: {summary}"
    return (int(match.group(1)) if match is not None else None), message


def classify_clickhouse_error(exc: BaseException, context: str) -> SinkError:
    """Translate a clickhouse-connect (or transport) exception into the sink's error tree."""
    if isinstance(exc, SinkError):
        return exc
    code, message = _code_and_message(exc, context, 500)
    if code is not None:
        if code in _DATA_CODES:
            return RowsRejected(message)
        if code in _SCHEMA_CODES:
            return TableMismatch(message)
        if code in _ACCESS_CODES:
            return AccessRefused(message)
        return ClickHouseUnavailable(message)
    if isinstance(exc, (ValueError, TypeError, OverflowError, KeyError, struct.error)):
        # raised by clickhouse-connect while serializing a column: the data is at fault
        return RowsRejected(message)
    return ClickHouseUnavailable(message)


# Codes of a fast-path insert that mean "try again later", not "this data": the server or the
# link is busy, short of something, or gone. Everything else that carries a code falls back to
# the Python path (a wrong fallback costs CPU; a wrong retry would stall the partition forever).
_TRANSIENT_CODES: Final = frozenset(
    {
        3,  # UNEXPECTED_END_OF_FILE (request cut short in transit)
        23,  # CANNOT_READ_FROM_ISTREAM
        24,  # CANNOT_WRITE_TO_OSTREAM
        159,  # TIMEOUT_EXCEEDED
        160,  # TOO_SLOW
        173,  # CANNOT_ALLOCATE_MEMORY
        198,  # DNS_ERROR
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        203,  # NO_FREE_CONNECTION
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        236,  # ABORTED
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        243,  # NOT_ENOUGH_SPACE
        252,  # TOO_MANY_PARTS
        285,  # TOO_FEW_LIVE_REPLICAS
        319,  # UNKNOWN_STATUS_OF_INSERT
        373,  # SESSION_IS_LOCKED
        394,  # QUERY_WAS_CANCELLED
        425,  # SYSTEM_ERROR
        439,  # CANNOT_SCHEDULE_TASK
        999,  # KEEPER_EXCEPTION
        1000,  # POCO_EXCEPTION
    }
)


def classify_passthrough_error(exc: BaseException, context: str) -> SinkError:
    """Translate a failed fast-path insert: transient (retried like any insert) or
    :class:`PassthroughRejected` (the Python path takes the batch).

    Without an error code the server gave no verdict (connection refused or reset, timeout):
    transient. With one, only the known transient codes are; the data codes
    (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO, AVRO_EXCEPTION, CANNOT_PARSE_*, INCORRECT_DATA,
    TYPE_MISMATCH, …) and unknown codes fall back.
    """
    if isinstance(exc, SinkError):
        return exc
    code, message = _code_and_message(exc, context, 300)
    if code is None:
        return ClickHouseUnavailable(message)
    if code in _TRANSIENT_CODES:
        return ClickHouseUnavailable(message)
    return PassthroughRejected(message, code)
