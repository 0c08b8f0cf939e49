"""Column types fed from Avro values that need more than a scalar identity: exact decimals and
arrays of named tuples (the account topics' money, order legs and fills).

An Avro ``decimal`` (bytes, two's complement unscaled integer, big endian) feeds a
``Decimal(P, S)`` column of the same scale ``S`` (the sink checks the scales match at start-up,
see :func:`decimal_scales`): the value becomes the exact :class:`~decimal.Decimal` it encodes,
never a float. An Avro array of records feeds ``Array(Tuple(name Type, ...))``: each record
becomes a tuple in the tuple's element order, converted element by element (nested decimals,
``DateTime64(6)`` microseconds, nested arrays).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

__all__ = ["Composite", "column_scale", "composite_for", "decimal_scales", "split_top_level"]

_DECIMAL = re.compile(r"^Decimal\((\d+),\s*(\d+)\)$")
_WRAPPER = re.compile(r"^(LowCardinality|Nullable)\((.*)\)$")
_DT64 = re.compile(r"^DateTime64\(6(?:,\s*'[^']*')?\)$")
_INT = re.compile(r"^(U?)Int(8|16|32|64)$")
_SCALAR_CHECKS: Final[Mapping[str, Callable[[Any], bool]]] = {
    "String": lambda v: isinstance(v, (str, bytes)),
    "Bool": lambda v: isinstance(v, bool),
}
_DT64_RANGE: Final = (-2_208_988_800_000_000, 10_413_791_999_999_999)


@dataclass(frozen=True, slots=True)
class Composite:
    """How one value of a column type converts and whether it fits."""

    convert: Callable[[Any], Any]
    check: Callable[[Any], bool]


def split_top_level(text: str) -> list[str]:
    """``a, Tuple(b, c), d`` → ``['a', 'Tuple(b, c)', 'd']`` (commas outside parentheses and quotes)."""
    parts: list[str] = []
    depth, start, quoted = 0, 0, False
    for i, ch in enumerate(text):
        if ch == "'" and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _decimal(precision: int, scale: int) -> Composite:
    limit = 10**precision
    exponent = f"E-{scale}"

    def convert(v: Any) -> Decimal:
        return Decimal(f"{int.from_bytes(v, 'big', signed=True)}{exponent}")

    def check(v: Any) -> bool:
        return isinstance(v, bytes) and abs(int.from_bytes(v, "big", signed=True)) < limit

    return Composite(convert, check)


def _array(inner: Composite) -> Composite:
    return Composite(
        lambda v: [inner.convert(x) for x in v],
        lambda v: isinstance(v, list) and all(inner.check(x) for x in v),
    )


def _tuple(elements: list[tuple[str, Composite]]) -> Composite:
    names = [n for n, _ in elements]

    def convert(v: Any) -> tuple[Any, ...]:
        return tuple(c.convert(v.get(n)) for n, c in elements)

    def check(v: Any) -> bool:
        return (
            isinstance(v, Mapping)
            and set(v) <= set(names)
            and all(c.check(v.get(n)) for n, c in elements)
        )

    return Composite(convert, check)


def _identity(check: Callable[[Any], bool]) -> Composite:
    return Composite(lambda v: v, check)


def _nullable(inner: Composite) -> Composite:
    return Composite(
        lambda v: None if v is None else inner.convert(v),
        lambda v: v is None or inner.check(v),
    )


def composite_for(type_name: str, *, nested: bool = False) -> Composite | None:
    """The conversion of ``type_name`` when it needs this module (a decimal or an array; any
    type inside them), else None (a scalar column :mod:`sinks.columns` plans itself)."""
    base = type_name.strip()
    if match := _WRAPPER.match(base):
        inner = composite_for(match.group(2), nested=nested)
        if inner is None or match.group(1) == "LowCardinality":
            return inner
        return _nullable(inner)
    if match := _DECIMAL.match(base):
        return _decimal(int(match.group(1)), int(match.group(2)))
    if base.startswith("Array(") and base.endswith(")"):
        inner = composite_for(base[6:-1], nested=True)
        return None if inner is None else _array(inner)
    if not nested:
        return None
    if base.startswith("Tuple(") and base.endswith(")"):
        elements: list[tuple[str, Composite]] = []
        for part in split_top_level(base[6:-1]):
            name, _, element_type = part.partition(" ")
            element = composite_for(element_type, nested=True)
            if element is None or not element_type:
                return None
            elements.append((name.strip("`"), element))
        return _tuple(elements)
    if _DT64.match(base):
        lo, hi = _DT64_RANGE
        return _identity(lambda v: isinstance(v, int) and lo <= v <= hi)
    if match := _INT.match(base):
        bits = int(match.group(2))
        lo, hi = (0, 2**bits - 1) if match.group(1) else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        return _identity(lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi)
    if base in _SCALAR_CHECKS:
        return _identity(_SCALAR_CHECKS[base])
    return None


def _decimal_scale(avro_type: Any) -> int | None:
    if isinstance(avro_type, list):
        scales = {_decimal_scale(t) for t in avro_type} - {None}
        return scales.pop() if len(scales) == 1 else None
    if isinstance(avro_type, Mapping) and avro_type.get("logicalType") == "decimal":
        return int(avro_type.get("scale", 0))
    return None


def decimal_scales(schema: Mapping[str, Any]) -> dict[str, int]:
    """Top-level field → the scale of its Avro decimal (fields that are decimals only)."""
    out: dict[str, int] = {}
    for f in schema.get("fields", []):
        scale = _decimal_scale(f.get("type"))
        if scale is not None:
            out[str(f["name"])] = scale
    return out


def column_scale(type_name: str) -> int | None:
    """The scale of a (possibly nullable) ``Decimal(P, S)`` column type, else None."""
    base = type_name.strip()
    while match := _WRAPPER.match(base):
        base = match.group(2).strip()
    match = _DECIMAL.match(base)
    return int(match.group(2)) if match else None
