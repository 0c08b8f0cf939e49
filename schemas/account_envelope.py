"""The envelope of every account event (``tt.acct.*``), their ids and their exact decimals.

Account records (namespace ``tastystream.acct``) start with the market envelope's
``event_id``/``ts_event``/``ts_ingest``/``source``, then the fields below
(:data:`ACCOUNT_ENVELOPE_FIELDS`, enforced by :func:`check_account_envelope` whenever a schema
is loaded):

* ``correlation_id``/``causation_id`` — the command an event answers (null until the executor
  sets them);
* ``account_number`` — the Kafka key;
* ``origin`` — :data:`STREAM` (pushed by the account streamer), :data:`SNAPSHOT` (the REST
  reconciliation after a (re)connect: the whole truth as of ``ts_event``) or :data:`REST`
  (fetched from REST to fill a gap, e.g. transactions missed while disconnected);
* ``snapshot_id``/``snapshot_size``/``snapshot_index`` — which snapshot a record belongs to,
  how many records of its topic that snapshot holds, and its place among them.

Money and quantities are Avro ``decimal`` (bytes, precision 38, scale 10): :func:`decimal_bytes`
writes one exactly or raises :class:`~schemas.errors.DecimalOutOfRange`; it never rounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Context, Decimal
from typing import Any, Final

from schemas.envelope import ENVELOPE_FIELDS
from schemas.errors import DecimalOutOfRange, SchemaContractError
from schemas.identity import event_id

__all__ = [
    "ACCOUNT_ENVELOPE_FIELDS",
    "ACCOUNT_ENVELOPE_FIELD_NAMES",
    "ACCOUNT_NAMESPACE",
    "DECIMAL_PRECISION",
    "DECIMAL_SCALE",
    "ORIGINS",
    "REST",
    "SNAPSHOT",
    "STREAM",
    "account_event_id",
    "check_account_envelope",
    "decimal_bytes",
    "decimal_from_bytes",
    "decimal_text",
]

ACCOUNT_NAMESPACE: Final = "tastystream.acct"
STREAM: Final = "stream"
SNAPSHOT: Final = "snapshot"
REST: Final = "rest"
ORIGINS: Final = (STREAM, SNAPSHOT, REST)
DECIMAL_PRECISION: Final = 38
DECIMAL_SCALE: Final = 10
_LIMIT: Final = 10**DECIMAL_PRECISION
#: wide enough that no operation here rounds (the default context keeps 28 digits)
_EXACT: Final = Context(prec=4 * DECIMAL_PRECISION)

ACCOUNT_ENVELOPE_FIELDS: Final[tuple[Mapping[str, Any], ...]] = (
    *ENVELOPE_FIELDS[:4],
    {
        "name": "correlation_id",
        "type": ["null", "string"],
        "default": None,
        "doc": "Id of the command this event is an effect of (its `external-identifier`); null for events nobody commanded.",
    },
    {
        "name": "causation_id",
        "type": ["null", "string"],
        "default": None,
        "doc": "`event_id` of the event that directly caused this one, when known.",
    },
    {
        "name": "account_number",
        "type": "string",
        "doc": "Tastytrade account number; the Kafka record key.",
    },
    {
        "name": "origin",
        "type": "string",
        "doc": "`stream` (pushed by the account streamer), `snapshot` (REST reconciliation after a (re)connect: together with the other records of its `snapshot_id` the whole truth as of `ts_event`) or `rest` (fetched from REST to close a gap, e.g. transactions missed while disconnected).",
    },
    {
        "name": "snapshot_id",
        "type": ["null", "string"],
        "default": None,
        "doc": "Id of the reconciliation snapshot (new for every reconcile); null unless `origin` is `snapshot`.",
    },
    {
        "name": "snapshot_size",
        "type": "int",
        "default": 0,
        "doc": "How many records of this topic the snapshot holds (0 unless `origin` is `snapshot`); an empty set is announced by the snapshot's `tt.acct.status.v1` record.",
    },
    {
        "name": "snapshot_index",
        "type": "int",
        "default": 0,
        "doc": "Place of this record among the snapshot's records of this topic, from 0.",
    },
)

ACCOUNT_ENVELOPE_FIELD_NAMES: Final[tuple[str, ...]] = tuple(
    str(f["name"]) for f in ACCOUNT_ENVELOPE_FIELDS
)


def check_account_envelope(schema: Mapping[str, Any], *, origin: str = "schema") -> None:
    """Raise :class:`SchemaContractError` unless ``schema`` starts with the account envelope."""
    fields = schema.get("fields")
    if not isinstance(fields, list) or len(fields) < len(ACCOUNT_ENVELOPE_FIELDS):
        raise SchemaContractError(f"{origin}: not a record with the account envelope fields")
    for expected, actual in zip(ACCOUNT_ENVELOPE_FIELDS, fields, strict=False):
        if dict(expected) != actual:
            raise SchemaContractError(
                f"{origin}: account envelope field {expected['name']!r} differs: {actual!r}"
            )


def decimal_text(value: Decimal) -> str:
    """One text per value (``100``, ``100.0`` and ``1E+2`` are all ``100``): for identities."""
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(_EXACT), "f")
    return "0" if text in ("-0", "0") else text


def decimal_bytes(value: Decimal, field: str = "") -> bytes:
    """The Avro ``decimal`` bytes (two's complement, big endian, scale 10) of ``value``.

    Raises :class:`DecimalOutOfRange` when ``value`` is not finite, has more than 10 fraction
    digits or more than 38 digits at scale 10: a value that does not fit is never rounded.
    """
    if not value.is_finite():
        raise DecimalOutOfRange(f"{field or 'decimal'}: {value} is not a finite number")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    coefficient = int("".join(map(str, digits))) if digits else 0
    shift = exponent + DECIMAL_SCALE
    if shift >= 0:
        integral = coefficient * int(10**shift)
    else:  # integer arithmetic: exact at any size, unlike the 28-digit default context
        integral, rest = divmod(coefficient, int(10**-shift))
        if rest:
            raise DecimalOutOfRange(
                f"{field or 'decimal'}: {value} has more than {DECIMAL_SCALE} fraction digits"
            )
    if integral >= _LIMIT:
        raise DecimalOutOfRange(
            f"{field or 'decimal'}: {value} needs more than {DECIMAL_PRECISION} digits"
        )
    if sign:
        integral = -integral
    size = max(1, (integral.bit_length() + 8) // 8)
    return integral.to_bytes(size, "big", signed=True)


def decimal_from_bytes(raw: bytes) -> Decimal:
    """The inverse of :func:`decimal_bytes` (for readers that strip logical types)."""
    return Decimal(f"{int.from_bytes(raw, 'big', signed=True)}E-{DECIMAL_SCALE}")


def account_event_id(kind: str, account_number: str, parts: Iterable[object]) -> str:
    """Deterministic UUIDv5 of an account event of ``kind`` (e.g. ``acct.order``)."""
    return event_id(kind, account_number, parts)
