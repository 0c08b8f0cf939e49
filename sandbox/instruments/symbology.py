"""Symbol grammars of the real venue: OCC option symbols, futures and future options, and the
dxFeed streamer symbols derived from them (see the API reference §5.4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sandbox.instruments.specs import MONTH_CODES

_OCC = re.compile(r"^(?P<root>[A-Z0-9]{1,6}) *(?P<d>\d{6})(?P<cp>[CP])(?P<strike>\d{8})$")
_OPT_STREAMER = re.compile(r"^\.(?P<root>[A-Z0-9]+?)(?P<d>\d{6})(?P<cp>[CP])(?P<strike>[\d.]+)$")
_FOP = re.compile(
    r"^\./(?P<fut>[A-Z0-9]+[FGHJKMNQUVXZ]\d) +(?P<code>[A-Z0-9]+?)(?P<m>[FGHJKMNQUVXZ])(?P<y>\d)"
    r" +(?P<d>\d{6})(?P<cp>[CP])(?P<strike>[\d.]+)$"
)


def strike_text(strike: Decimal) -> str:
    """Strike as streamer symbols write it: integer when whole, else trimmed decimal."""
    if strike == strike.to_integral_value():
        return str(int(strike))
    return f"{strike.normalize():f}"


def occ_symbol(root: str, expiry: date, option_type: str, strike: Decimal) -> str:
    return f"{root:<6}{expiry:%y%m%d}{option_type}{int(strike * 1000):08d}"


def option_streamer_symbol(root: str, expiry: date, option_type: str, strike: Decimal) -> str:
    return f".{root}{expiry:%y%m%d}{option_type}{strike_text(strike)}"


@dataclass(frozen=True)
class OptionKey:
    root: str
    expiry: date
    option_type: str  # C | P
    strike: Decimal


def _yymmdd(text: str) -> date | None:
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None


def parse_occ(symbol: str) -> OptionKey | None:
    match = _OCC.match(symbol)
    if not match:
        return None
    expiry = _yymmdd(match["d"])
    if expiry is None:
        return None
    strike = Decimal(match["strike"]) / 1000
    return OptionKey(match["root"], expiry, match["cp"], strike)


def parse_option_streamer(symbol: str) -> OptionKey | None:
    match = _OPT_STREAMER.match(symbol)
    if not match:
        return None
    expiry = _yymmdd(match["d"])
    if expiry is None:
        return None
    try:
        strike = Decimal(match["strike"])
    except ArithmeticError:
        return None
    return OptionKey(match["root"], expiry, match["cp"], strike)


def month_code(month: int) -> str:
    return MONTH_CODES[month - 1]


def future_symbol(code: str, month: int, year: int) -> str:
    """``/ESZ6``: product, month code, one-digit year."""
    return f"/{code}{month_code(month)}{year % 10}"


def future_streamer_symbol(code: str, month: int, year: int, exchange: str) -> str:
    """``/ESZ26:XCME``: two-digit year and the streamer exchange code."""
    return f"/{code}{month_code(month)}{year % 100:02d}:{exchange}"


def option_contract_code(code: str, month: int, year: int) -> str:
    """``EW4Z5``: option product code, month code, one-digit year."""
    return f"{code}{month_code(month)}{year % 10}"


def fop_symbol(future: str, contract: str, expiry: date, option_type: str, strike: Decimal) -> str:
    """``./ESZ5 EW4Z5 251219C6800`` (future without slash, option contract padded to 6)."""
    return f"./{future.lstrip('/')} {contract:<6}{expiry:%y%m%d}{option_type}{strike_text(strike)}"


def fop_streamer_symbol(
    code: str, month: int, year: int, option_type: str, strike: Decimal, exchange: str
) -> str:
    """``./EW4Z25C6800:XCME``."""
    return (
        f"./{code}{month_code(month)}{year % 100:02d}{option_type}{strike_text(strike)}:{exchange}"
    )


@dataclass(frozen=True)
class FutureOptionKey:
    future: str  # /ESZ6
    code: str  # EW4
    month: str  # option contract month code
    year_digit: int
    expiry: date
    option_type: str
    strike: Decimal


def parse_fop(symbol: str) -> FutureOptionKey | None:
    match = _FOP.match(symbol)
    if not match:
        return None
    expiry = _yymmdd(match["d"])
    if expiry is None:
        return None
    return FutureOptionKey(
        "/" + match["fut"],
        match["code"],
        match["m"],
        int(match["y"]),
        expiry,
        match["cp"],
        Decimal(match["strike"]),
    )


def normalize_path_symbol(raw: str) -> str:
    """Symbols as they arrive in paths (already %-decoded): futures may lack their ``/``."""
    return raw.strip()


__all__ = [
    "FutureOptionKey",
    "OptionKey",
    "fop_streamer_symbol",
    "fop_symbol",
    "future_streamer_symbol",
    "future_symbol",
    "month_code",
    "normalize_path_symbol",
    "occ_symbol",
    "option_contract_code",
    "option_streamer_symbol",
    "parse_fop",
    "parse_occ",
    "parse_option_streamer",
    "strike_text",
]
