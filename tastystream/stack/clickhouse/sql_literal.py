"""SQL literals the server writes itself: quoted strings and identifiers, SET statements."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from tastystream.stack.clickhouse.errors import BAD_ARGUMENTS, ClickHouseError

__all__ = ["quote_identifier", "quote_string", "set_statement"]

_SETTING_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def set_statement(settings: Mapping[str, str | None]) -> str:
    """``SET a = 'x', b = DEFAULT``: names validated, values as string literals, None = DEFAULT."""
    for name in settings:
        if not _SETTING_NAME.match(name):
            raise ClickHouseError(BAD_ARGUMENTS, f"Invalid setting name: {name!r}")
    return "SET " + ", ".join(
        f"{k} = {'DEFAULT' if v is None else quote_string(v)}" for k, v in settings.items()
    )
