"""``multipart/form-data`` query requests.

ClickHouse accepts the query and its ``param_<name>`` values as form fields; clickhouse-connect
switches to this encoding on its own when bound parameters are too long for a URL (over 4 KiB).
File parts carry external tables, which this server does not provide.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from tastystream.stack.clickhouse.errors import BAD_ARGUMENTS, NOT_IMPLEMENTED, ClickHouseError

__all__ = ["is_form", "parse_form"]


def is_form(content_type: str | None) -> bool:
    return (content_type or "").lower().startswith("multipart/form-data")


def parse_form(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """The text fields of a form, in order; file parts (external data) are refused."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ClickHouseError(BAD_ARGUMENTS, "Malformed multipart/form-data request")
    fields: list[tuple[str, str]] = []
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ClickHouseError(BAD_ARGUMENTS, "Form field without a name")
        if part.get_filename() is not None:
            raise ClickHouseError(
                NOT_IMPLEMENTED,
                f"External data (form file {name!r}) is not supported by this server",
            )
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        charset = part.get_content_charset() or "utf-8"
        fields.append((name, raw.decode(charset, "replace")))
    return fields
