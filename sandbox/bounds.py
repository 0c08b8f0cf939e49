"""The one place request numbers are parsed and bounded before the sandbox computes with them.

Every decimal, duration, count and close code that arrives in a request body (orders, the
admin API) goes through these functions, so a value the simulator cannot compute with — NaN,
infinity, ``1e999999999``, 400 digits, ``True`` — is refused at the boundary as
:class:`InputError` (an HTTP 400) instead of failing deep inside fees, ledgers or the clock.

The limits are far beyond anything a real order or test needs (a billion shares, a price of a
billion dollars, ten decimal places — crypto quantities use eight), and small enough that
``quantity × price × multiplier`` stays exact inside :mod:`decimal`'s default 28 digits.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from starlette.requests import Request

MAX_MAGNITUDE = Decimal(10) ** 9
MAX_PLACES = 10
MAX_TEXT = 64  # longer number texts are refused before parsing

MAX_TEXT_FIELD = 255  # free text echoed back (external-identifier, source, …)
MAX_FAULT_SECONDS = 86_400.0  # freezes, fill delays, hangs: at most a simulated day
MAX_FAULT_COUNT = 10_000  # REST failures, order rejections armed at once
CLOSE_CODES = (1000, 4999)  # websocket close codes a server may send

_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class InputError(ValueError):
    """A request value out of bounds; ``field`` names it, the message says why (HTTP 400)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


async def json_body(request: Request) -> Any:
    """The request body as strict JSON (no ``NaN``/``Infinity`` literals, no number that is
    infinite as a double, no lone surrogates, nesting at most 1024 deep), else
    :class:`InputError` — never a ``RecursionError`` from a body of ten thousand ``[``."""
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError("body", f"must be JSON ({exc})") from None


def _number_text(raw: Any, field: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise InputError(field, "must be a number")
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise InputError(field, f"must be at most {MAX_TEXT} characters")
    return text


def decimal(
    raw: Any,
    field: str,
    *,
    maximum: Decimal = MAX_MAGNITUDE,
    places: int = MAX_PLACES,
    signed: bool = True,
) -> Decimal:
    """``raw`` (JSON number or numeric string) as a finite :class:`Decimal` with
    ``|value| <= maximum`` and at most ``places`` decimal places; ``signed=False`` also
    refuses negatives."""
    text = _number_text(raw, field)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(field, "must be a decimal number") from None
    if not value.is_finite():
        raise InputError(field, "must be finite")
    if not _DECIMAL_TEXT.match(text):  # Decimal() also takes "1_000"; JSON and the API do not
        raise InputError(field, "must be a decimal number")
    # context-free from here on: abs(), normalize() and arithmetic would round or overflow
    if value.copy_abs() > maximum:
        raise InputError(field, f"must be at most {maximum:f} in magnitude")
    if not signed and value < 0:
        raise InputError(field, "must not be negative")
    if _places(value) > places:
        raise InputError(field, f"must have at most {places} decimal places")
    return value if value else Decimal(0)  # no negative zero


def _places(value: Decimal) -> int:
    """Decimal places ``value`` needs (``1.50`` needs 1), computed without a context."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    text = "".join(map(str, digits))
    significant = text.rstrip("0")
    if not significant:
        return 0
    return max(0, -(exponent + len(text) - len(significant)))


def real(raw: Any, field: str, *, minimum: float, maximum: float) -> float:
    """``raw`` as a finite float in ``[minimum, maximum]``."""
    text = _number_text(raw, field)
    try:
        value = float(text)
    except ValueError:
        raise InputError(field, "must be a number") from None
    if not math.isfinite(value):
        raise InputError(field, "must be finite")
    if not _DECIMAL_TEXT.match(text):
        raise InputError(field, "must be a number")
    if not minimum <= value <= maximum:
        raise InputError(field, f"must be between {minimum:g} and {maximum:g}")
    return value


def finite(raw: Any, field: str) -> float:
    """``raw`` as a finite float; the range is the consumer's to check (e.g. the clock's)."""
    return real(raw, field, minimum=-math.inf, maximum=math.inf)


def integer(raw: Any, field: str, *, minimum: int, maximum: int) -> int:
    """``raw`` as a whole number in ``[minimum, maximum]`` (``3.0`` counts, ``3.5`` does not)."""
    value = decimal(raw, field, maximum=Decimal(max(abs(minimum), abs(maximum))), places=0)
    if not minimum <= value <= maximum:
        raise InputError(field, f"must be between {minimum} and {maximum}")
    return int(value)


def fault_seconds(raw: Any, field: str = "seconds") -> float:
    """A duration for a fault (freeze, fill delay, hang): finite, ``0 … MAX_FAULT_SECONDS``."""
    return real(raw, field, minimum=0.0, maximum=MAX_FAULT_SECONDS)


def fault_count(raw: Any, field: str = "count") -> int:
    """How many times a fault fires: ``0 … MAX_FAULT_COUNT``."""
    return integer(raw, field, minimum=0, maximum=MAX_FAULT_COUNT)


def text(raw: Any, field: str, *, max_length: int = MAX_TEXT_FIELD) -> str | None:
    """``raw`` as text the sandbox can store and echo back: ``None`` stays ``None``; otherwise
    a string of at most ``max_length`` characters that encodes as UTF-8 (no lone surrogates)."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InputError(field, "must be a string")
    if len(raw) > max_length:
        raise InputError(field, f"must be at most {max_length} characters")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(field, "must be valid UTF-8 text") from None
    return raw


def close_code(raw: Any, field: str = "code") -> int:
    return integer(raw, field, minimum=CLOSE_CODES[0], maximum=CLOSE_CODES[1])


__all__ = [
    "CLOSE_CODES",
    "MAX_FAULT_COUNT",
    "MAX_FAULT_SECONDS",
    "MAX_MAGNITUDE",
    "MAX_PLACES",
    "MAX_TEXT_FIELD",
    "InputError",
    "close_code",
    "decimal",
    "fault_count",
    "fault_seconds",
    "finite",
    "integer",
    "json_body",
    "real",
    "text",
]
