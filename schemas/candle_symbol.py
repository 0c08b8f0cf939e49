"""Candle streamer symbols: ``<symbol>{=<period>[,attr=value…]}`` → base symbol, period, attributes.

DXLink candle symbols name the aggregation period inside braces (``SPY{=5m}``,
``AAPL{=1d,tho=true}``, ``/ESZ24:XCME{=15m}``). The period is a count (default 1) followed by
a unit: ``t`` ticks, ``s`` ``m`` ``h`` ``d`` ``w`` ``mo`` ``o`` (option expiration) ``y``,
``v`` volume, ``p`` price. Periods are normalized to ``<count><unit>`` (``=m`` → ``1m``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType

from schemas.errors import SchemaContractError

__all__ = ["CandleSymbol", "parse_candle_symbol"]

_PERIOD = re.compile(r"^(?P<count>\d+(?:\.\d+)?)?(?P<unit>mo|[tsmhdwoyvp])$")


@dataclass(frozen=True, slots=True)
class CandleSymbol:
    """A parsed candle symbol."""

    streamer_symbol: str
    base: str
    period: str
    attributes: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def trading_hours_only(self) -> bool:
        """``tho=true``: regular trading hours only."""
        return self.attributes.get("tho", "false").lower() == "true"


def _normalize_period(raw: str, symbol: str) -> str:
    match = _PERIOD.match(raw)
    if match is None:
        raise SchemaContractError(f"bad candle period {raw!r} in {symbol!r}")
    count = match["count"] or "1"
    if "." in count:
        count = count.rstrip("0").rstrip(".")
    return f"{count}{match['unit']}"


def parse_candle_symbol(streamer_symbol: str) -> CandleSymbol:
    """Parse ``SPY{=5m,tho=true}``; a symbol without braces is a 1-tick (``1t``) candle."""
    brace = streamer_symbol.find("{")
    if brace < 0:
        return CandleSymbol(streamer_symbol, streamer_symbol, "1t")
    if not streamer_symbol.endswith("}") or brace == 0:
        raise SchemaContractError(f"bad candle symbol {streamer_symbol!r}")
    base = streamer_symbol[:brace]
    period = "1t"
    attributes: dict[str, str] = {}
    for item in streamer_symbol[brace + 1 : -1].split(","):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise SchemaContractError(f"bad candle attribute {item!r} in {streamer_symbol!r}")
        if key == "":
            period = _normalize_period(value, streamer_symbol)
        else:
            attributes[key] = value
    return CandleSymbol(streamer_symbol, base, period, MappingProxyType(attributes))
