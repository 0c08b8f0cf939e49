"""Deterministic event ids: the same source event always gets the same id.

``event_id`` is a UUIDv5 over the event type, the streamer symbol and the event's identity
fields (:data:`IDENTITY_FIELDS`: its *source* fields, frozen per event type), so a quote resent
after a DXLink reconnect, or a candle backfilled twice, gets the id it had the first time and
every consumer can dedupe on it. Fields the ingestor adds (ingest time, source label, our
symbol) are not part of the identity.

This is on the per-event hot path, so it is written for speed without changing a single id:
values are encoded by an exact-type table (subclasses take the general ``isinstance`` path),
the per-type prefix and field tuple are computed once, and the UUIDv5 string is formatted
straight from the SHA-1 hex digest (``uuid.uuid5`` + ``str`` cost more than the hash). When the
exact types of the parts are known in advance (the normalizer's coerced values),
:func:`compile_event_id` generates one function whose name is a single f-string. The
original implementation is kept as the oracle of a property test
(``tests/unit/schemas/reference_identity.py``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from hashlib import sha1
from operator import itemgetter
from types import MappingProxyType
from typing import Any, Final

from schemas.errors import SchemaContractError

__all__ = [
    "EVENT_ID_NAMESPACE",
    "IDENTITY_FIELDS",
    "PART_KINDS",
    "canonical",
    "compile_event_id",
    "event_id",
    "event_id_for",
]

#: The source fields that identify an event, per DXLink event type: frozen with v1 of each
#: schema, so fields added later never change the id of a replayed event. Envelope fields and
#: derived fields (``ts_event`` may fall back to the ingest time; candle ``period``) are not in it.
IDENTITY_FIELDS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "Quote": (
            "sequence",
            "time_nano_part",
            "bid_time",
            "bid_exchange_code",
            "bid_price",
            "bid_size",
            "ask_time",
            "ask_exchange_code",
            "ask_price",
            "ask_size",
        ),
        "Trade": (
            "time",
            "time_nano_part",
            "sequence",
            "exchange_code",
            "price",
            "change",
            "size",
            "day_id",
            "day_volume",
            "day_turnover",
            "tick_direction",
            "extended_trading_hours",
        ),
        "TradeETH": (
            "time",
            "time_nano_part",
            "sequence",
            "exchange_code",
            "price",
            "change",
            "size",
            "day_id",
            "day_volume",
            "day_turnover",
            "tick_direction",
            "extended_trading_hours",
        ),
        "Summary": (
            "day_id",
            "day_open_price",
            "day_high_price",
            "day_low_price",
            "day_close_price",
            "day_close_price_type",
            "prev_day_id",
            "prev_day_close_price",
            "prev_day_close_price_type",
            "prev_day_volume",
            "open_interest",
        ),
        "Profile": (
            "description",
            "short_sale_restriction",
            "trading_status",
            "status_reason",
            "halt_start_time",
            "halt_end_time",
            "high_limit_price",
            "low_limit_price",
            "high_52_week_price",
            "low_52_week_price",
            "beta",
            "earnings_per_share",
            "dividend_frequency",
            "ex_dividend_amount",
            "ex_dividend_day_id",
            "shares",
            "free_float",
        ),
        "Greeks": (
            "event_flags",
            "index",
            "time",
            "sequence",
            "price",
            "volatility",
            "delta",
            "gamma",
            "theta",
            "rho",
            "vega",
        ),
        "Candle": (
            "event_flags",
            "index",
            "time",
            "sequence",
            "count",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "vwap",
            "bid_volume",
            "ask_volume",
            "imp_volatility",
            "open_interest",
        ),
        "TheoPrice": (
            "event_flags",
            "index",
            "time",
            "sequence",
            "price",
            "underlying_price",
            "delta",
            "gamma",
            "dividend",
            "interest",
        ),
        "TimeAndSale": (
            "event_flags",
            "index",
            "time",
            "time_nano_part",
            "sequence",
            "exchange_code",
            "price",
            "size",
            "bid_price",
            "ask_price",
            "exchange_sale_conditions",
            "trade_through_exempt",
            "aggressor_side",
            "spread_leg",
            "extended_trading_hours",
            "valid_tick",
            "type",
            "buyer",
            "seller",
        ),
        "Underlying": (
            "event_flags",
            "index",
            "time",
            "sequence",
            "volatility",
            "front_volatility",
            "back_volatility",
            "call_volume",
            "put_volume",
            "option_volume",
            "put_call_ratio",
        ),
    }
)

#: Fixed namespace of all event ids (never change it: ids would change on replay).
EVENT_ID_NAMESPACE: Final = uuid.UUID("6f1c1c2e-6d0b-5b8e-9a57-7a5f0d3c2b11")
_NAMESPACE_BYTES: Final = EVENT_ID_NAMESPACE.bytes
#: RFC 4122 variant: the top two bits of byte 8 are ``10`` (first hex digit of group 4).
_VARIANT_DIGIT: Final = {f"{n:x}": "89ab"[n & 3] for n in range(16)}


def _canonical_general(value: object) -> str:
    # bool before int (bool is an int); floats in hex so the encoding is exact; NaN is one value.
    if value is None:
        return "n"
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        if math.isnan(value):
            return "fnan"
        if value == 0.0:
            return "f0"
        return f"f{value.hex()}"
    if isinstance(value, str):
        return f"s{len(value)}:{value}"
    if isinstance(value, bytes):
        return f"b{value.hex()}"
    raise TypeError(f"event identity cannot hold {type(value).__name__}")


def _none(value: None) -> str:
    return "n"


def _bool(value: bool) -> str:
    return "T" if value else "F"


def _int(value: int) -> str:
    return f"i{value}"


def _float(value: float) -> str:
    if value != value:  # NaN: every NaN is one value
        return "fnan"
    if value == 0.0:  # -0.0 and 0.0 are the same price
        return "f0"
    return f"f{value.hex()}"


def _str(value: str) -> str:
    return f"s{len(value)}:{value}"


def _bytes(value: bytes) -> str:
    return f"b{value.hex()}"


#: Exact type → encoder; anything else (subclasses, foreign types) goes the general way.
_ENCODERS: Final[dict[type, Callable[[Any], str]]] = {
    float: _float,
    int: _int,
    str: _str,
    type(None): _none,
    bool: _bool,
    bytes: _bytes,
}


def canonical(value: object) -> str:
    """The unambiguous text of one identity part (typed, exact, one NaN, one zero)."""
    return _ENCODERS.get(type(value), _canonical_general)(value)


def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(EVENT_ID_NAMESPACE, name))``, formatted from the digest directly."""
    h = sha1(_NAMESPACE_BYTES + name.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:32]}"


def event_id(event_type: str, streamer_symbol: str, parts: Iterable[object]) -> str:
    """UUIDv5 (as a string) over ``event_type``, ``streamer_symbol`` and identity ``parts``.

    Parts are encoded unambiguously (typed, length-prefixed strings, exact float hex, one
    NaN, one zero), so two different part lists never produce the same name.
    """
    get = _ENCODERS.get
    general = _canonical_general
    return _uuid5(
        "|".join(
            [
                canonical(event_type),
                canonical(streamer_symbol),
                *[get(type(p), general)(p) for p in parts],
            ]
        )
    )


#: Per event type: its identity fields (the record values to read, symbol first).
_IDENTITY_GETTERS: Final[Mapping[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]]] = (
    MappingProxyType(
        {name: itemgetter("streamer_symbol", *fields) for name, fields in IDENTITY_FIELDS.items()}
    )
)
#: (event type, exact types of the symbol and parts) → its compiled id; bounded.
_COMPILED: dict[tuple[str, tuple[type, ...]], Callable[..., str]] = {}
_COMPILED_MAX: Final = 256


def event_id_for(event_type: str, record: Mapping[str, Any]) -> str:
    """The event id of a normalized record of ``event_type`` (a key of :data:`IDENTITY_FIELDS`).

    Uses the record's ``streamer_symbol`` and its identity fields, in their frozen order.
    """
    getter = _IDENTITY_GETTERS.get(event_type)
    if getter is None:
        raise SchemaContractError(f"no identity defined for event type {event_type!r}")
    values = getter(record)
    kinds = tuple(map(type, values))
    compiled = _COMPILED.get((event_type, kinds))
    if compiled is None:
        if kinds[0] is not str or not all(k in PART_KINDS for k in kinds[1:]):
            symbol = values[0]
            return event_id(event_type, str(symbol), values[1:])
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        compiled = _COMPILED[event_type, kinds] = compile_event_id(event_type, kinds[1:])
    return compiled(*values)


#: Exact part types :func:`compile_event_id` takes, and the f-string field writing each one
#: like :func:`canonical` (``float.hex`` writes every NaN as ``nan``; both zeros are falsy).
PART_KINDS: Final[Mapping[type, str]] = MappingProxyType(
    {
        float: "f{{{0}.hex() if {0} else '0'}}",
        int: "i{{{0}}}",
        str: "s{{len({0})}}:{{{0}}}",
        bool: "{{'T' if {0} else 'F'}}",
    }
)


def compile_event_id(event_type: str, kinds: tuple[type, ...]) -> Callable[..., str]:
    """``f(streamer_symbol, *parts)`` → ``event_id(event_type, streamer_symbol, parts)`` for
    parts of exactly the types ``kinds`` (keys of :data:`PART_KINDS`; ``bool`` is not an
    ``int`` here, subclasses are not allowed) and a ``str`` symbol. The caller guarantees the
    types: that is what makes one f-string instead of a dispatch per part safe."""
    args = [f"p{i}" for i in range(len(kinds))]
    try:
        fields = [PART_KINDS[kind].format(arg) for kind, arg in zip(kinds, args, strict=True)]
    except KeyError as exc:
        raise TypeError(f"no compiled identity encoding for {exc.args[0]!r}") from None
    name = "|".join(["{_HEAD}", "s{len(symbol)}:{symbol}", *fields])
    source = (
        f"def event_id(symbol, {', '.join(args)}):\n"
        f'    h = _sha1(_NS + f"{name}".encode()).hexdigest()\n'
        '    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"\n'
    )
    namespace: dict[str, Any] = {
        "_sha1": sha1,
        "_NS": _NAMESPACE_BYTES,
        "_VARIANT": _VARIANT_DIGIT,
        "_HEAD": _str(event_type),  # a constant, so any type name is safe in the source
    }
    exec(compile(source, f"<event id {event_type!r}>", "exec"), namespace)
    compiled: Callable[..., str] = namespace["event_id"]
    compiled.__doc__ = source
    return compiled
