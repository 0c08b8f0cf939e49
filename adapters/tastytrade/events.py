"""DXLink market events: one immutable, slotted, fast class per event type (§5.3).

Each event is a ``typing.NamedTuple``: immutable, ``__slots__ = ()``, attribute access by
name, and built from a decoded COMPACT chunk with one C-level ``_make`` call, which keeps
decoding within a small factor of the bare JSON parse (see ``bench/dxlink_decode.py``; a
frozen dataclass costs ~6x more per event). Fields are the DXL specification's fields in
snake_case, always starting with ``event_symbol`` and ``event_time``; each field has the type
of the feed's field (dxFeed's event model): ``int`` for times, ids, sequences, flags, indices,
``Summary.open_interest`` (a long) and ``Candle.count``; ``float`` for doubles (the feed's
``"NaN"``/``"Infinity"``/``"-Infinity"`` arrive as float NaN/±inf; the same strings in an
integer field arrive as 0); ``str | None`` for text (``None`` where the feed sends ``null``). Because these are tuples,
compare events of one type only (``type(a) is type(b) and a == b``).
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple, get_type_hints

TX_PENDING: Final = 0x1
REMOVE_EVENT: Final = 0x2
SNAPSHOT_BEGIN: Final = 0x4
SNAPSHOT_END: Final = 0x8
SNAPSHOT_SNIP: Final = 0x10
SNAPSHOT_MODE: Final = 0x40


def is_tx_pending(flags: int) -> bool:
    return bool(flags & TX_PENDING)


def is_remove(flags: int) -> bool:
    return bool(flags & REMOVE_EVENT)


def is_snapshot_begin(flags: int) -> bool:
    return bool(flags & SNAPSHOT_BEGIN)


def is_snapshot_end(flags: int) -> bool:
    """End of a snapshot (``SNAPSHOT_END`` or ``SNAPSHOT_SNIP``): the history is complete."""
    return bool(flags & (SNAPSHOT_END | SNAPSHOT_SNIP))


def is_empty_snapshot(flags: int) -> bool:
    """BEGIN+END+REMOVE (14): the server has no history for this subscription."""
    want = SNAPSHOT_BEGIN | SNAPSHOT_END | REMOVE_EVENT
    return flags & want == want


class Quote(NamedTuple):
    event_symbol: str
    event_time: int
    sequence: int
    time_nano_part: int
    bid_time: int
    bid_exchange_code: str | None
    bid_price: float
    bid_size: float
    ask_time: int
    ask_exchange_code: str | None
    ask_price: float
    ask_size: float


class Trade(NamedTuple):
    event_symbol: str
    event_time: int
    time: int
    time_nano_part: int
    sequence: int
    exchange_code: str | None
    price: float
    change: float
    size: float
    day_id: int
    day_volume: float
    day_turnover: float
    tick_direction: str | None
    extended_trading_hours: bool | None


class TradeETH(NamedTuple):
    event_symbol: str
    event_time: int
    time: int
    time_nano_part: int
    sequence: int
    exchange_code: str | None
    price: float
    change: float
    size: float
    day_id: int
    day_volume: float
    day_turnover: float
    tick_direction: str | None
    extended_trading_hours: bool | None


class Summary(NamedTuple):
    event_symbol: str
    event_time: int
    day_id: int
    day_open_price: float
    day_high_price: float
    day_low_price: float
    day_close_price: float
    day_close_price_type: str | None
    prev_day_id: int
    prev_day_close_price: float
    prev_day_close_price_type: str | None
    prev_day_volume: float
    open_interest: int  # a long on the feed: 0 where the instrument has none


class Profile(NamedTuple):
    event_symbol: str
    event_time: int
    description: str | None
    short_sale_restriction: str | None
    trading_status: str | None
    status_reason: str | None
    halt_start_time: int
    halt_end_time: int
    high_limit_price: float
    low_limit_price: float
    high_52_week_price: float
    low_52_week_price: float
    beta: float
    earnings_per_share: float
    dividend_frequency: float
    ex_dividend_amount: float
    ex_dividend_day_id: int
    shares: float
    free_float: float


class Greeks(NamedTuple):
    event_symbol: str
    event_time: int
    event_flags: int
    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose
    time: int
    sequence: int
    price: float
    volatility: float
    delta: float
    gamma: float
    theta: float
    rho: float
    vega: float


class Candle(NamedTuple):
    event_symbol: str
    event_time: int
    event_flags: int
    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose
    time: int
    sequence: int
    count: int  # type: ignore[assignment]  # shadows tuple.count on purpose
    open: float
    high: float
    low: float
    close: float
    volume: float
    vwap: float
    bid_volume: float
    ask_volume: float
    imp_volatility: float
    open_interest: float


class TheoPrice(NamedTuple):
    event_symbol: str
    event_time: int
    event_flags: int
    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose
    time: int
    sequence: int
    price: float
    underlying_price: float
    delta: float
    gamma: float
    dividend: float
    interest: float


class TimeAndSale(NamedTuple):
    event_symbol: str
    event_time: int
    event_flags: int
    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose
    time: int
    time_nano_part: int
    sequence: int
    exchange_code: str | None
    price: float
    size: float
    bid_price: float
    ask_price: float
    exchange_sale_conditions: str | None
    trade_through_exempt: str | None
    aggressor_side: str | None
    spread_leg: bool | None
    extended_trading_hours: bool | None
    valid_tick: bool | None
    type: str | None
    buyer: str | None
    seller: str | None


class Underlying(NamedTuple):
    event_symbol: str
    event_time: int
    event_flags: int
    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose
    time: int
    sequence: int
    volatility: float
    front_volatility: float
    back_volatility: float
    call_volume: float
    put_volume: float
    put_call_ratio: float


MarketEvent = (
    Quote
    | Trade
    | TradeETH
    | Summary
    | Profile
    | Greeks
    | Candle
    | TheoPrice
    | TimeAndSale
    | Underlying
)
EventClass = (
    type[Quote]
    | type[Trade]
    | type[TradeETH]
    | type[Summary]
    | type[Profile]
    | type[Greeks]
    | type[Candle]
    | type[TheoPrice]
    | type[TimeAndSale]
    | type[Underlying]
)

EVENT_CLASSES: Final[dict[str, EventClass]] = {
    cls.__name__: cls
    for cls in (
        Quote,
        Trade,
        TradeETH,
        Summary,
        Profile,
        Greeks,
        Candle,
        TheoPrice,
        TimeAndSale,
        Underlying,
    )
}
INDEXED_EVENTS: Final = frozenset({"Greeks", "Candle", "TheoPrice", "TimeAndSale", "Underlying"})
_WIRE_OVERRIDES: Final = {"vwap": "VWAP"}


def wire_name(field: str) -> str:
    """``bid_exchange_code`` → ``bidExchangeCode``; ``high_52_week_price`` → ``high52WeekPrice``."""
    if field in _WIRE_OVERRIDES:
        return _WIRE_OVERRIDES[field]
    head, *rest = field.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_fields(event_type: str) -> list[str]:
    """The field list we ask for in ``FEED_SETUP``: ``eventType`` is implied by COMPACT."""
    return [wire_name(name) for name in EVENT_CLASSES[event_type]._fields]


def event_type_of(event: MarketEvent) -> str:
    return type(event).__name__


def _kinds(cls: EventClass) -> dict[str, type]:
    hints = get_type_hints(cls)
    return {name: hints[name] for name in cls._fields}


FIELD_TYPES: Final[dict[str, dict[str, type]]] = {
    name: _kinds(cls) for name, cls in EVENT_CLASSES.items()
}


def is_numeric(cls: EventClass, field: str) -> bool:
    """Whether a field is a number (and may arrive as ``"NaN"``/``"Infinity"``)."""
    return FIELD_TYPES[cls.__name__][field] in (float, int)


def is_integral(cls: EventClass, field: str) -> bool:
    """Whether a field is an integer on the feed (a non-finite value there reads as 0)."""
    return FIELD_TYPES[cls.__name__][field] is int


def field_default(cls: EventClass, field: str) -> object:
    """What a field holds when the server does not send it: NaN, 0 or None by its type."""
    kind = FIELD_TYPES[cls.__name__][field]
    if kind is float:
        return math.nan
    if kind is int:
        return 0
    return None


__all__ = [
    "EVENT_CLASSES",
    "FIELD_TYPES",
    "INDEXED_EVENTS",
    "REMOVE_EVENT",
    "SNAPSHOT_BEGIN",
    "SNAPSHOT_END",
    "SNAPSHOT_MODE",
    "SNAPSHOT_SNIP",
    "TX_PENDING",
    "Candle",
    "EventClass",
    "Greeks",
    "MarketEvent",
    "Profile",
    "Quote",
    "Summary",
    "TheoPrice",
    "TimeAndSale",
    "Trade",
    "TradeETH",
    "Underlying",
    "event_type_of",
    "field_default",
    "is_empty_snapshot",
    "is_integral",
    "is_numeric",
    "is_remove",
    "is_snapshot_begin",
    "is_snapshot_end",
    "is_tx_pending",
    "wire_fields",
    "wire_name",
]
