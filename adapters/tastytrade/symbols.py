"""Symbology: order (OCC) symbols, DXLink streamer symbols, candle symbols, path encoding.

§5.4 of the wire reference. Equity options: OCC ``SPY   250117C00500000`` ↔ streamer
``.SPY250117C500``. Futures: ``/ESZ4`` ↔ ``/ESZ24:XCME``. Future options: order symbol
``./ESZ5 ESZ5  251219C800`` ↔ streamer ``./ESZ25C800:XCME`` (the streamer form has no
expiration date and no underlying future, so going back needs both). Crypto: ``BTC/USD`` ↔
``BTC/USD:CXTALP``. Candles: ``SPY{=5m}``, ``AAPL{=1d,tho=true}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import quote

CRYPTO_EXCHANGE = "CXTALP"
MONTH_CODES = "FGHJKMNQUVXZ"
CANDLE_UNITS = ("t", "s", "m", "h", "d", "w", "mo", "o", "y", "v", "p")

_OCC = re.compile(r"^(?P<root>[A-Z0-9./]{1,6}) *(?P<date>\d{6})(?P<cp>[CP])(?P<strike>\d{8})$")
_STREAMER_OPTION = re.compile(
    r"^\.(?P<root>[A-Z0-9/]+?)(?P<date>\d{6})(?P<cp>[CP])(?P<strike>\d+(?:\.\d+)?)$"
)
_FUTURE = re.compile(r"^/(?P<product>[A-Z0-9]+?)(?P<month>[FGHJKMNQUVXZ])(?P<year>\d{1,2})$")
_STREAMER_FUTURE = re.compile(
    r"^/(?P<product>[A-Z0-9]+?)(?P<month>[FGHJKMNQUVXZ])(?P<year>\d{2}):(?P<exchange>[A-Z0-9]+)$"
)
_FUTURE_OPTION = re.compile(
    r"^\./(?P<future>[A-Z0-9]+) +(?P<code>[A-Z0-9]+?)(?P<month>[FGHJKMNQUVXZ])(?P<year>\d) *"
    r"(?P<date>\d{6})(?P<cp>[CP])(?P<strike>\d+(?:\.\d+)?)$"
)
_STREAMER_FUTURE_OPTION = re.compile(
    r"^\./(?P<code>[A-Z0-9]+?)(?P<month>[FGHJKMNQUVXZ])(?P<year>\d{2})(?P<cp>[CP])"
    r"(?P<strike>\d+(?:\.\d+)?):(?P<exchange>[A-Z0-9]+)$"
)
_CANDLE = re.compile(
    r"^(?P<base>[^{}]+)\{=(?P<period>\d+(?:\.\d+)?)?(?P<unit>[a-z]+)(?P<attrs>(?:,[^{}]*)?)\}$"
)


class SymbolError(ValueError):
    """A symbol that does not follow the expected grammar."""


def format_strike(strike: Decimal) -> str:
    """Strike without padding: integer when whole, else decimal without trailing zeros."""
    if strike == strike.to_integral_value():
        return str(int(strike))
    return format(strike.normalize(), "f")


def _expand_year(digit: int, near: int, *, back: int = 5) -> int:
    """The year ending in ``digit`` within ``[near - back, near + 9 - back]``."""
    low = near - back
    return low + (digit - low) % 10


@dataclass(frozen=True, slots=True)
class OptionSymbol:
    """An equity option: root, expiration, C/P and strike."""

    root: str
    expiration: date
    option_type: str  # "C" or "P"
    strike: Decimal

    @property
    def occ(self) -> str:
        millis = int(self.strike * 1000)
        return f"{self.root:<6}{self.expiration:%y%m%d}{self.option_type}{millis:08d}"

    @property
    def streamer(self) -> str:
        return f".{self.root}{self.expiration:%y%m%d}{self.option_type}{format_strike(self.strike)}"

    @classmethod
    def parse_occ(cls, symbol: str) -> OptionSymbol:
        match = _OCC.match(symbol)
        if match is None:
            raise SymbolError(f"not an OCC option symbol: {symbol!r}")
        strike = Decimal(match["strike"]) / 1000
        return cls(match["root"], _yymmdd(match["date"]), match["cp"], strike)

    @classmethod
    def parse_streamer(cls, symbol: str) -> OptionSymbol:
        match = _STREAMER_OPTION.match(symbol)
        if match is None:
            raise SymbolError(f"not an option streamer symbol: {symbol!r}")
        return cls(match["root"], _yymmdd(match["date"]), match["cp"], Decimal(match["strike"]))


def _yymmdd(text: str) -> date:
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError as exc:
        raise SymbolError(f"bad date {text!r}") from exc


def occ_to_streamer(occ: str) -> str:
    """``SPY   250117C00500000`` → ``.SPY250117C500``."""
    return OptionSymbol.parse_occ(occ).streamer


def streamer_to_occ(streamer: str) -> str:
    """``.SPY240324P480.5`` → ``SPY   240324P00480500``."""
    return OptionSymbol.parse_streamer(streamer).occ


def future_to_streamer(symbol: str, exchange_code: str, *, near_year: int | None = None) -> str:
    """``/ESZ4`` + ``XCME`` → ``/ESZ24:XCME``.

    A one-digit year becomes the year ending in that digit within ``near_year - 2`` …
    ``near_year + 7`` (default: this year; futures are listed years ahead, rarely
    streamed long after expiry); two-digit years are kept.
    """
    match = _FUTURE.match(symbol)
    if match is None:
        raise SymbolError(f"not a future symbol: {symbol!r}")
    year = match["year"]
    if len(year) == 1:
        year = f"{_expand_year(int(year), near_year or date.today().year, back=2) % 100:02d}"
    return f"/{match['product']}{match['month']}{year}:{exchange_code}"


def streamer_to_future(streamer: str) -> tuple[str, str]:
    """``/ESZ24:XCME`` → (``/ESZ4``, ``XCME``)."""
    match = _STREAMER_FUTURE.match(streamer)
    if match is None:
        raise SymbolError(f"not a future streamer symbol: {streamer!r}")
    return f"/{match['product']}{match['month']}{match['year'][1]}", match["exchange"]


@dataclass(frozen=True, slots=True)
class FutureOptionSymbol:
    """A future option: underlying future, option contract code, expiration, C/P, strike."""

    future: str  # e.g. "/ESZ5"
    option_code: str  # e.g. "ESZ5" or "LO1X2" (one-digit year, as in order symbols)
    expiration: date
    option_type: str
    strike: Decimal
    exchange: str  # streamer exchange code, e.g. "XCME"

    @property
    def order_symbol(self) -> str:
        """``./ESZ5 ESZ5  251219C800``."""
        return (
            f"./{self.future.lstrip('/')} {self.option_code:<6}{self.expiration:%y%m%d}"
            f"{self.option_type}{format_strike(self.strike)}"
        )

    @property
    def streamer(self) -> str:
        """``./ESZ25C800:XCME``: the option code with a two-digit year."""
        code = self.option_code
        year = _expand_year(int(code[-1]), self.expiration.year) % 100
        return (
            f"./{code[:-1]}{year:02d}{self.option_type}{format_strike(self.strike)}:{self.exchange}"
        )

    @classmethod
    def parse_order_symbol(cls, symbol: str, exchange: str) -> FutureOptionSymbol:
        match = _FUTURE_OPTION.match(symbol)
        if match is None:
            raise SymbolError(f"not a future option symbol: {symbol!r}")
        code = f"{match['code']}{match['month']}{match['year']}"
        return cls(
            future=f"/{match['future']}",
            option_code=code,
            expiration=_yymmdd(match["date"]),
            option_type=match["cp"],
            strike=Decimal(match["strike"]),
            exchange=exchange,
        )

    @classmethod
    def parse_streamer(cls, streamer: str, *, future: str, expiration: date) -> FutureOptionSymbol:
        """The streamer symbol lacks the future and the expiration: the caller supplies them."""
        match = _STREAMER_FUTURE_OPTION.match(streamer)
        if match is None:
            raise SymbolError(f"not a future option streamer symbol: {streamer!r}")
        return cls(
            future=future,
            option_code=f"{match['code']}{match['month']}{match['year'][1]}",
            expiration=expiration,
            option_type=match["cp"],
            strike=Decimal(match["strike"]),
            exchange=match["exchange"],
        )


def future_option_to_streamer(symbol: str, exchange_code: str) -> str:
    """``./ESZ5 ESZ5  251219C800`` + ``XCME`` → ``./ESZ25C800:XCME``."""
    return FutureOptionSymbol.parse_order_symbol(symbol, exchange_code).streamer


def crypto_to_streamer(symbol: str) -> str:
    """``BTC/USD`` → ``BTC/USD:CXTALP``."""
    if "/" not in symbol or ":" in symbol:
        raise SymbolError(f"not a crypto pair: {symbol!r}")
    return f"{symbol}:{CRYPTO_EXCHANGE}"


def streamer_to_crypto(streamer: str) -> str:
    """``BTC/USD:CXTALP`` → ``BTC/USD``."""
    pair, sep, exchange = streamer.rpartition(":")
    if not sep or "/" not in pair or not exchange:
        raise SymbolError(f"not a crypto streamer symbol: {streamer!r}")
    return pair


@dataclass(frozen=True, slots=True)
class CandleSymbol:
    """``<streamer symbol>{=<period><unit>[,tho=true][,k=v…]}``."""

    symbol: str
    period: Decimal = Decimal(1)
    unit: str = "d"
    tho: bool = False
    attributes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.unit not in CANDLE_UNITS:
            raise SymbolError(f"unknown candle unit {self.unit!r}")
        if self.period <= 0:
            raise SymbolError("candle period must be positive")

    def __str__(self) -> str:
        parts = [f"={format_strike(self.period)}{self.unit}"]
        if self.tho:
            parts.append("tho=true")
        parts.extend(f"{key}={value}" for key, value in self.attributes)
        return f"{self.symbol}{{{','.join(parts)}}}"

    @classmethod
    def parse(cls, text: str) -> CandleSymbol:
        match = _CANDLE.match(text)
        if match is None or match["unit"] not in CANDLE_UNITS:
            raise SymbolError(f"not a candle symbol: {text!r}")
        tho = False
        attributes: list[tuple[str, str]] = []
        for item in filter(None, match["attrs"].split(",")):
            key, sep, value = item.partition("=")
            if not sep:
                raise SymbolError(f"bad candle attribute {item!r} in {text!r}")
            if key == "tho":
                tho = value == "true"
            else:
                attributes.append((key, value))
        period = Decimal(match["period"]) if match["period"] else Decimal(1)
        return cls(match["base"], period, match["unit"], tho, tuple(attributes))


def candle_symbol(symbol: str, period: str = "1d", *, extended_hours: bool = True) -> str:
    """``candle_symbol("SPY", "5m")`` → ``SPY{=5m}``; ``extended_hours=False`` adds ``tho=true``."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)?([a-z]+)", period)
    if match is None:
        raise SymbolError(f"bad candle period {period!r}")
    amount = Decimal(match[1]) if match[1] else Decimal(1)
    return str(CandleSymbol(symbol, amount, match[2], tho=not extended_hours))


_PATH_KINDS = {
    "equity": "plain",
    "equity-option": "plain",
    "option": "plain",
    "crypto": "plain",
    "cryptocurrency": "plain",
    "warrant": "plain",
    "future": "future",
    "future-option": "plain",
}


def encode_path_symbol(symbol: str, kind: str) -> str:
    """Encode a symbol for a URL path segment (§3): ``/`` → ``%2F``, space → ``%20``.

    Futures drop their leading ``/`` (``/ESZ9`` → ``ESZ9``). ``kind`` accepts the API's
    instrument types too (``"Equity Option"``, ``"Future"``, ``"Cryptocurrency"``).
    """
    normalized = kind.strip().lower().replace(" ", "-").replace("_", "-")
    mode = _PATH_KINDS.get(normalized)
    if mode is None:
        raise ValueError(f"unknown instrument kind {kind!r}")
    if mode == "future":
        symbol = symbol.removeprefix("/")
    return quote(symbol, safe="")


__all__ = [
    "CANDLE_UNITS",
    "CRYPTO_EXCHANGE",
    "CandleSymbol",
    "FutureOptionSymbol",
    "OptionSymbol",
    "SymbolError",
    "candle_symbol",
    "crypto_to_streamer",
    "encode_path_symbol",
    "format_strike",
    "future_option_to_streamer",
    "future_to_streamer",
    "occ_to_streamer",
    "streamer_to_crypto",
    "streamer_to_future",
    "streamer_to_occ",
]
