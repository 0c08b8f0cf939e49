"""Candle backfill: the configured look-back (``TT_CANDLE_BACKFILL=1d@1m``) and, after every
DXLink reconnect, the gap since the last candle seen (so history is continuous).

The gap fill hangs on the streamer's ``on_reconnect`` hook (:meth:`CandleGapFill.attach`): the
hook runs once the new connection is up and before the streamer replays its subscriptions, so
moving each candle subscription's ``fromTime`` to the last candle seen makes the replay ask for
exactly the gap (not the whole look-back again).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

from adapters.tastytrade.events import Candle, is_remove
from adapters.tastytrade.fanout import Reconnected

_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_SPEC = re.compile(r"^\s*(\d+(?:\.\d+)?)([smhdw])\s*@\s*(\d*[a-z]+)\s*$")


class BadBackfill(ValueError):
    """``TT_CANDLE_BACKFILL`` is not ``<lookback>@<period>`` (e.g. ``1d@1m``, ``6h@5m``)."""


@dataclass(frozen=True)
class BackfillSpec:
    lookback_s: float
    period: str

    def start_ms(self, now_ms: int) -> int:
        return now_ms - int(self.lookback_s * 1000)


def parse_backfill(text: str) -> BackfillSpec | None:
    """``"1d@1m"`` → 1 day of 1-minute candles; empty or ``none`` → no candles."""
    if not text.strip() or text.strip().lower() in ("none", "off", "0"):
        return None
    match = _SPEC.match(text)
    if match is None:
        raise BadBackfill(f"TT_CANDLE_BACKFILL={text!r}: expected <lookback>@<period>, e.g. 1d@1m")
    return BackfillSpec(float(match[1]) * _UNITS[match[2]], match[3])


@dataclass
class CandleTracker:
    """The newest candle start time seen per candle symbol: where a gap fill resumes."""

    last_ms: dict[str, int] = field(default_factory=dict)

    def observe(self, candle: Candle) -> None:
        if is_remove(candle.event_flags) or candle.time <= 0:
            return
        if candle.time > self.last_ms.get(candle.event_symbol, 0):
            self.last_ms[candle.event_symbol] = candle.time

    def resume_from(self, symbol: str, default_ms: int) -> int:
        """Re-request from the last candle seen (it may have been still open), else ``default_ms``."""
        return self.last_ms.get(symbol, default_ms)


class HistoryStreamer(Protocol):
    """What the gap fill needs of :class:`adapters.tastytrade.dxlink.DXLinkStreamer`."""

    @property
    def subscriptions(self) -> dict[str, dict[str, int | None]]: ...

    def resume_history(self, event_type: str, starts: Mapping[str, int]) -> None: ...

    def on_reconnect(self, hook: Callable[[Reconnected], object]) -> None: ...


@dataclass
class CandleGapFill:
    """After every reconnect, each candle subscription resumes at the last candle seen."""

    tracker: CandleTracker
    fills: int = 0
    """Reconnects whose gap was filled (for metrics)."""

    def attach(self, streamer: HistoryStreamer) -> None:
        streamer.on_reconnect(lambda _info: self.fill(streamer))

    def fill(self, streamer: HistoryStreamer) -> dict[str, int]:
        """Move the candle subscriptions to their gaps; returns symbol → new ``fromTime``."""
        candles = streamer.subscriptions.get("Candle", {})
        moved = {
            symbol: resume
            for symbol, from_time in candles.items()
            if (resume := self.tracker.resume_from(symbol, from_time or 0)) and resume != from_time
        }
        if moved:
            streamer.resume_history("Candle", moved)
        self.fills += 1
        return moved


__all__ = [
    "BackfillSpec",
    "BadBackfill",
    "CandleGapFill",
    "CandleTracker",
    "HistoryStreamer",
    "parse_backfill",
]
