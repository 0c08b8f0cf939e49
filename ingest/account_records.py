"""Pure normalization of account data: streamer notifications and REST models → ``tt.acct.*``.

No I/O, no clocks (ingest time and snapshot facts are arguments): the same input always gives
the same records and the same ids.

* A streamed update's ``event_id`` hashes its whole content (canonical JSON of the parsed
  model), so a re-sent update gets the id it had the first time.
* A snapshot item's id comes from ``(snapshot id, item identity)``: order id, position symbol,
  balance currency; the snapshot id itself is new for every reconcile.
* A transaction's id comes from ``(account, transaction id)`` only: streamed, fetched after a
  reconnect or re-fetched later, it is one event.

Records are built from each topic's schema: decimals become the Avro ``decimal`` bytes
(exactly, or :class:`~schemas.errors.DecimalOutOfRange`), times epoch microseconds, dates days
since the epoch, enums their text. A value that does not fit comes back as a :class:`Rejected`
item (for the dead-letter topic), never rounded and never raised past the caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from functools import cache
from typing import Any, Final, NamedTuple

import orjson

from adapters.tastytrade.account_stream import Notification, Reconciliation
from adapters.tastytrade.models import (
    AccountBalance,
    ComplexOrder,
    CurrentPosition,
    Order,
    TastytradeModel,
    TradingStatus,
    Transaction,
)
from schemas.account_envelope import (
    ACCOUNT_ENVELOPE_FIELD_NAMES,
    DECIMAL_SCALE,
    SNAPSHOT,
    STREAM,
    account_event_id,
    decimal_bytes,
)
from schemas.errors import CodecError, UnencodableRecord
from schemas.topics import ACCOUNT_TOPICS, TopicSpec

__all__ = [
    "NOTIFICATION_TOPICS",
    "ROUNDED_FIELDS",
    "AccountRecord",
    "Rejected",
    "notification_records",
    "snapshot_id",
    "snapshot_records",
    "transaction_record",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY: Final = date(1970, 1, 1)
_MICRO: Final = timedelta(microseconds=1)
_SNAPSHOT_NS: Final = uuid.UUID("2c7f6f0e-2d7e-5b8c-8f51-1f4c8a9d3e70")

#: Notification type → the topic its records go to (``ComplexOrder`` carries orders).
NOTIFICATION_TOPICS: Final[Mapping[str, TopicSpec]] = {
    "Order": ACCOUNT_TOPICS["order"],
    "ComplexOrder": ACCOUNT_TOPICS["order"],
    "CurrentPosition": ACCOUNT_TOPICS["position"],
    "AccountBalance": ACCOUNT_TOPICS["balance"],
    "Transaction": ACCOUNT_TOPICS["transaction"],
    "TradingStatus": ACCOUNT_TOPICS["status"],
}
#: Record field → model attribute where the names differ.
_RENAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "order": {"order_id": "id"},
    "transaction": {"transaction_id": "id"},
}


#: Valuations the API derives (averages, marks): a value with more fraction digits than the
#: schema holds (the sandbox's averages carry 28 significant digits) is rounded half-even to
#: the schema's scale and *reported* (``AccountRecord.rounded``: the ingestor counts it and puts
#: a ParseWarning on the error stream). Every other money or quantity field is refused instead.
ROUNDED_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "position": ("average_open_price", "close_price", "mark", "mark_price"),
}
_SCALE_QUANTUM: Final = Decimal(1).scaleb(-DECIMAL_SCALE)
_WIDE: Final = Context(prec=200)


class AccountRecord(NamedTuple):
    """One record to publish: its topic, Kafka key (the account number) and Avro record;
    ``rounded`` names the :data:`ROUNDED_FIELDS` whose value had to be rounded."""

    spec: TopicSpec
    key: bytes
    record: dict[str, Any]
    rounded: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item that cannot become a record of its topic: it goes to ``<topic>.dlq``."""

    spec: TopicSpec
    key: bytes
    reason: str
    error_class: str
    raw: bytes


Item = AccountRecord | Rejected


# ------------------------------------------------------------------------ schema coercion
def _nullable(avro_type: Any) -> tuple[bool, Any]:
    if isinstance(avro_type, list):
        rest = [t for t in avro_type if t != "null"]
        return len(rest) < len(avro_type), rest[0]
    return False, avro_type


def _coercer(name: str, avro_type: Any) -> Callable[[Any], Any]:
    nullable, inner = _nullable(avro_type)
    convert = _converter(name, inner)

    def coerce(value: Any) -> Any:
        if value is None or (isinstance(value, Decimal) and value.is_nan() and nullable):
            if nullable:
                return None
            raise UnencodableRecord(f"{name}: required value missing")
        return convert(value)

    return coerce


def _converter(name: str, avro_type: Any) -> Callable[[Any], Any]:
    if isinstance(avro_type, dict):
        logical = avro_type.get("logicalType")
        if logical == "decimal":
            return lambda v: decimal_bytes(v if isinstance(v, Decimal) else Decimal(str(v)), name)
        if logical == "timestamp-micros":
            return lambda v: (v - _EPOCH) // _MICRO
        if logical == "date":
            return lambda v: (v - _EPOCH_DAY).days
        if avro_type.get("type") == "array":
            item = _plan(avro_type["items"])
            return lambda v: [_build(item, element, {}) for element in v]
        return _converter(name, avro_type.get("type"))
    if avro_type == "string":
        return str
    if avro_type in ("int", "long"):
        return int
    if avro_type == "boolean":
        return bool
    raise UnencodableRecord(f"{name}: no coercion for Avro type {avro_type!r}")


Plan = tuple[tuple[str, Callable[[Any], Any]], ...]


def _plan(schema: Mapping[str, Any], skip: Iterable[str] = ()) -> Plan:
    skipped = set(skip)
    return tuple(
        (str(f["name"]), _coercer(str(f["name"]), f["type"]))
        for f in schema["fields"]
        if f["name"] not in skipped
    )


@cache
def _topic_plan(stem: str) -> Plan:
    return _plan(ACCOUNT_TOPICS[stem].schema(), ACCOUNT_ENVELOPE_FIELD_NAMES)


def _build(
    plan: Plan, source: Any, extra: Mapping[str, Any], renames: Mapping[str, str] | None = None
) -> dict[str, Any]:
    renames = renames or {}
    out: dict[str, Any] = {}
    for name, coerce in plan:
        value = extra[name] if name in extra else getattr(source, renames.get(name, name), None)
        out[name] = coerce(value)
    return out


# ------------------------------------------------------------------------------ helpers
def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICRO


def _canonical(model: TastytradeModel) -> str:
    dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return orjson.dumps(dumped, option=orjson.OPT_SORT_KEYS).decode()


def _raw(model: Any) -> bytes:
    if isinstance(model, TastytradeModel):
        return _canonical(model).encode()
    return orjson.dumps(model, default=str)


def snapshot_id(reconciliation: Reconciliation) -> str:
    """A new id per reconcile (account, generation, fetch time), stable for the same input."""
    name = "|".join(
        (
            reconciliation.account_number,
            str(reconciliation.generation),
            reconciliation.fetched_at.isoformat(),
        )
    )
    return str(uuid.uuid5(_SNAPSHOT_NS, name))


@dataclass(frozen=True, slots=True)
class _Envelope:
    source: str
    ts_ingest_us: int
    origin: str = STREAM
    snapshot_id: str | None = None
    snapshot_size: int = 0

    def fields(
        self, event_id: str, account: str, ts_event_us: int, index: int = 0
    ) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "ts_event": ts_event_us,
            "ts_ingest": self.ts_ingest_us,
            "source": self.source,
            "correlation_id": None,
            "causation_id": None,
            "account_number": account,
            "origin": self.origin,
            "snapshot_id": self.snapshot_id,
            "snapshot_size": self.snapshot_size,
            "snapshot_index": index,
        }


def _round_derived(
    stem: str, model: Any, extra: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    out = dict(extra)
    rounded: list[str] = []
    for name in ROUNDED_FIELDS.get(stem, ()):
        value = out[name] if name in out else getattr(model, name, None)
        if not isinstance(value, Decimal) or not value.is_finite():
            continue
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -DECIMAL_SCALE:
            exact = value.quantize(_SCALE_QUANTUM, rounding=ROUND_HALF_EVEN, context=_WIDE)
            if exact != value:
                rounded.append(name)
            out[name] = exact
    return out, tuple(rounded)


def _item(
    stem: str,
    model: Any,
    account: str,
    envelope: _Envelope,
    event_id: str,
    ts_event_us: int,
    *,
    index: int = 0,
    extra: Mapping[str, Any] | None = None,
) -> Item:
    spec = ACCOUNT_TOPICS[stem]
    key = account.encode()
    try:
        values, rounded = _round_derived(stem, model, extra or {})
        record = envelope.fields(event_id, account, ts_event_us, index)
        record.update(_build(_topic_plan(stem), model, values, _RENAMES.get(stem)))
        if isinstance(model, Order) and model.external_identifier:
            record["correlation_id"] = model.external_identifier  # the command it answers
    except CodecError as exc:
        return Rejected(spec, key, exc.message, type(exc).__name__, _raw(model))
    except (TypeError, ValueError, ArithmeticError) as exc:
        return Rejected(spec, key, f"{stem}: {exc}", type(exc).__name__, _raw(model))
    return AccountRecord(spec, key, record, rounded)


def _position_extra(position: CurrentPosition) -> dict[str, Any]:
    return {"signed_quantity": position.signed_quantity}


# ---------------------------------------------------------------------------- streamed
def transaction_record(
    tx: Transaction, *, source: str, ts_ingest_us: int, origin: str = STREAM
) -> Item:
    """A transaction (streamed, or fetched from REST with ``origin=REST``)."""
    event_id = account_event_id("acct.transaction", tx.account_number, [int(tx.id)])
    envelope = _Envelope(source, ts_ingest_us, origin)
    return _item("transaction", tx, tx.account_number, envelope, event_id, _micros(tx.executed_at))


def _stream_item(
    stem: str, model: TastytradeModel, account: str, ts_event_us: int, envelope: _Envelope
) -> Item:
    event_id = account_event_id(f"acct.{stem}", account, [STREAM, _canonical(model)])
    extra = _position_extra(model) if isinstance(model, CurrentPosition) else None
    return _item(stem, model, account, envelope, event_id, ts_event_us, extra=extra)


def notification_records(note: Notification, *, source: str, ts_ingest_us: int) -> list[Item]:
    """The records of one parsed notification (none for types that are not account events).

    ``ts_event`` is the notification's ``timestamp`` (the ingest time when it has none).
    """
    data = note.data
    ts_event_us = note.timestamp * 1000 if note.timestamp else ts_ingest_us
    envelope = _Envelope(source, ts_ingest_us)
    if isinstance(data, Transaction):
        return [transaction_record(data, source=source, ts_ingest_us=ts_ingest_us)]
    if isinstance(data, ComplexOrder):
        orders = [*data.orders, *([data.trigger_order] if data.trigger_order else [])]
        return [_stream_item("order", o, o.account_number, ts_event_us, envelope) for o in orders]
    if isinstance(data, Order):
        return [_stream_item("order", data, data.account_number, ts_event_us, envelope)]
    if isinstance(data, CurrentPosition):
        return [_stream_item("position", data, data.account_number, ts_event_us, envelope)]
    if isinstance(data, AccountBalance):
        return [_stream_item("balance", data, data.account_number, ts_event_us, envelope)]
    if isinstance(data, TradingStatus):
        return [_stream_item("status", data, data.account_number, ts_event_us, envelope)]
    return []


# ---------------------------------------------------------------------------- snapshots
def snapshot_records(
    reconciliation: Reconciliation,
    status: TradingStatus | None,
    *,
    source: str,
    ts_ingest_us: int,
    status_error: str | None = None,
) -> list[Item]:
    """The reconciliation as ``origin=snapshot`` records: positions, live orders, balance, and
    last the status record that counts them (the snapshot's manifest)."""
    account = reconciliation.account_number
    sid = snapshot_id(reconciliation)
    ts_event_us = _micros(reconciliation.fetched_at)
    out: list[Item] = []

    def envelope(size: int) -> _Envelope:
        return _Envelope(source, ts_ingest_us, SNAPSHOT, sid, size)

    def item_id(stem: str, identity: object) -> str:
        return account_event_id(f"acct.{stem}", account, [SNAPSHOT, sid, identity])

    positions = reconciliation.positions
    env = envelope(len(positions))
    for index, position in enumerate(positions):
        identity = f"{position.instrument_type}|{position.symbol}"
        out.append(
            _item(
                "position",
                position,
                account,
                env,
                item_id("position", identity),
                ts_event_us,
                index=index,
                extra=_position_extra(position),
            )
        )
    orders = reconciliation.live_orders
    env = envelope(len(orders))
    for index, order in enumerate(orders):
        identity = order.id if order.id is not None else _canonical(order)
        out.append(
            _item(
                "order", order, account, env, item_id("order", identity), ts_event_us, index=index
            )
        )
    balances = () if reconciliation.balance is None else (reconciliation.balance,)
    env = envelope(len(balances))
    for index, balance in enumerate(balances):
        identity = str(balance.currency or "")
        out.append(
            _item(
                "balance",
                balance,
                account,
                env,
                item_id("balance", identity),
                ts_event_us,
                index=index,
            )
        )
    manifest = {
        "snapshot_positions": len(positions),
        "snapshot_orders": len(orders),
        "snapshot_balances": len(balances),
        "status_error": status_error,
    }
    out.append(
        _item(
            "status",
            status,
            account,
            envelope(1),
            item_id("status", "status"),
            ts_event_us,
            extra=manifest,
        )
    )
    return out
