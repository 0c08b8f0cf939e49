"""The envelope of order commands and their results (``tt.cmd.*``) and their ids.

Command records (namespace ``tastystream.cmd``) start with the account envelope's first fields
(:data:`COMMAND_ENVELOPE_FIELDS`: ``event_id``/``ts_event``/``ts_ingest``/``source``,
``correlation_id``/``causation_id`` and ``account_number``, the Kafka key), enforced by
:func:`check_command_envelope` whenever a schema is loaded. A command's ``correlation_id`` is
its ``command_id``; a result's ``causation_id`` is the command's ``event_id``.

A result's ``event_id`` is a function of the command id alone (:func:`result_event_id`): one
command has exactly one result, and publishing it again (after a crash, a re-delivery) gives
the same id, so consumers dedupe it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from schemas.account_envelope import ACCOUNT_ENVELOPE_FIELDS
from schemas.errors import SchemaContractError
from schemas.identity import event_id

__all__ = [
    "COMMAND_ENVELOPE_FIELDS",
    "COMMAND_NAMESPACE",
    "check_command_envelope",
    "command_event_id",
    "result_event_id",
]

COMMAND_NAMESPACE: Final = "tastystream.cmd"
COMMAND_ENVELOPE_FIELDS: Final[tuple[Mapping[str, Any], ...]] = ACCOUNT_ENVELOPE_FIELDS[:7]


def check_command_envelope(schema: Mapping[str, Any], *, origin: str = "schema") -> None:
    """Raise :class:`SchemaContractError` unless ``schema`` starts with the command envelope."""
    fields = schema.get("fields")
    if not isinstance(fields, list) or len(fields) < len(COMMAND_ENVELOPE_FIELDS):
        raise SchemaContractError(f"{origin}: not a record with the command envelope fields")
    for expected, actual in zip(COMMAND_ENVELOPE_FIELDS, fields, strict=False):
        if dict(expected) != actual:
            raise SchemaContractError(
                f"{origin}: command envelope field {expected['name']!r} differs: {actual!r}"
            )


def command_event_id(account_number: str, command_id: str) -> str:
    """Deterministic ``event_id`` of the command ``command_id`` (UUIDv5)."""
    return event_id("cmd.order", account_number, [command_id])


def result_event_id(account_number: str, command_id: str) -> str:
    """Deterministic ``event_id`` of the one result of ``command_id`` (UUIDv5)."""
    return event_id("cmd.result", account_number, [command_id])
