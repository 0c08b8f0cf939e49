"""``KILL QUERY WHERE query_id = '…'``: the one KILL the server answers itself.

The engine runs each query under an id of its own, so the engine's ``KILL`` cannot find a query by
the id its client chose; and a general ``KILL QUERY WHERE 1`` would let anyone stop every query.
The server keeps the client's id (:meth:`Engine.cancel`), so this exact form — what clients send to
cancel their own query — is honoured: the answer has ClickHouse's columns (``kill_status``,
``query_id``, ``user``, ``query``), one row if such a query was running, none otherwise. Every
other ``KILL`` is refused by the access policy.
"""

from __future__ import annotations

import re
from typing import Final

from tastystream.stack.clickhouse.sql_literal import quote_string

__all__ = ["kill_answer", "parse_kill"]

_KILL: Final = re.compile(
    r"""^\s*KILL\s+QUERY\s+WHERE\s+query_id\s*=\s*'((?:[^'\\]|\\.|'')*)'
        \s*(?:SYNC|ASYNC|TEST)?\s*(?P<fmt>FORMAT\s+\w+)?\s*;?\s*$""",
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)
_ESCAPE: Final = re.compile(r"\\(.)|''", re.DOTALL)


def parse_kill(sql: str) -> tuple[str, str] | None:
    """The query id and the ``FORMAT …`` clause (or "") of a by-id KILL, else None."""
    match = _KILL.match(sql)
    if match is None:
        return None
    query_id = _ESCAPE.sub(lambda m: m.group(1) if m.group(1) is not None else "'", match.group(1))
    return query_id, match.group("fmt") or ""


def kill_answer(query_id: str, user: str, sql: str | None, fmt: str) -> str:
    """A SELECT producing KILL's answer: one ``waiting`` row when the query was running."""
    return (
        f"SELECT 'waiting' AS kill_status, {quote_string(query_id)} AS query_id, "
        f"{quote_string(user)} AS user, {quote_string(sql or '')} AS query "
        f"WHERE {1 if sql is not None else 0} {fmt}"
    )
