"""Candle history computed on demand from the deterministic price paths.

A candle symbol is ``<streamer symbol>{=<n><unit>[,tho=true]}`` (units s, m, h, d, w, mo).
Because prices are a pure function of time, the candle covering ``[t0, t1)`` is the same whether
it is computed as history or as the live last candle, so history is continuous with the live
stream. Intraday candles exist only while the instrument trades (regular hours with
``tho=true``); daily and longer candles are stamped at 00:00 UTC of their first day.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sandbox import clock as sessions
from sandbox.quotes import Model, _window, cumulative_volume, effective_time

if TYPE_CHECKING:
    from sandbox.market import Market

MAX_CANDLES = 8000
_PERIOD = re.compile(r"^(?P<n>\d*\.?\d*)(?P<unit>mo|s|m|h|d|w|y)$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
_SAMPLES = 5


@dataclass(frozen=True)
class CandleSymbol:
    base: str  # streamer symbol of the instrument
    unit: str  # s m h d w mo
    count: int
    tho: bool

    @property
    def intraday(self) -> bool:
        return self.unit in ("s", "m", "h")

    @property
    def period_ms(self) -> int:
        return self.count * _UNIT_MS.get(self.unit, 30 * 86_400_000)


@dataclass(frozen=True)
class Candle:
    time: int  # candle start, epoch ms
    open: float
    high: float
    low: float
    close: float
    volume: float
    vwap: float
    count: int

    @property
    def index(self) -> int:
        return (self.time // 1000) << 32


def parse_candle_symbol(symbol: str) -> CandleSymbol | None:
    """``SPY{=5m,tho=true}`` → CandleSymbol; ``None`` when not a supported candle symbol."""
    if not symbol.endswith("}") or "{" not in symbol:
        return None
    base, _, attrs = symbol[:-1].partition("{")
    period = ""
    tho = False
    for part in attrs.split(","):
        key, _, value = part.partition("=")
        if key == "":
            period = value
        elif key == "tho":
            tho = value.lower() == "true"
    match = _PERIOD.match(period)
    if not base or match is None:
        return None
    count_text = match["n"]
    try:
        count = int(float(count_text)) if count_text else 1
    except ValueError:
        return None
    if count <= 0 or match["unit"] == "y":
        return None
    return CandleSymbol(base, match["unit"], count, tho)


def _trading(model: Model, t_ms: int, tho: bool) -> bool:
    if model.collection == sessions.CRYPTO:
        return True
    regular = model.regular_only or (tho and model.collection == sessions.EQUITY)
    return _window(model.collection, regular, t_ms // 60_000)[0]


def _price(market: Market, model: Model, t: float) -> float:
    return market.mid_at(model, effective_time(model, t))


def _build(market: Market, model: Model, start_ms: int, end_ms: int, samples: int) -> Candle:
    t0, t1 = start_ms / 1000.0, max(start_ms + 1, end_ms) / 1000.0 - 0.001
    points = [_price(market, model, t0 + (t1 - t0) * i / samples) for i in range(samples + 1)]
    open_, close = points[0], points[-1]
    volume = max(
        0.0,
        cumulative_volume(model, effective_time(model, t1))
        - cumulative_volume(model, effective_time(model, t0)),
    )
    if not math.isfinite(volume) or model.adv <= 0:
        volume = math.nan
    trades = 0 if math.isnan(volume) else max(1, int(volume / max(1.0, model.lot * 2)))
    return Candle(
        time=start_ms,
        open=model.round(open_),
        high=model.round(max(points)),
        low=model.round(min(points)),
        close=model.round(close),
        volume=volume,
        vwap=round(sum(points) / len(points), model.places + 2),
        count=trades,
    )


def _day_candle(
    market: Market, model: Model, day: date, now_ms: int, tho: bool, samples: int
) -> Candle | None:
    if model.collection == sessions.CRYPTO:
        start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
        end = start + 86_400_000
    else:
        session = sessions.session_for(model.collection, day)
        if session is None:
            return None
        regular = tho or model.regular_only
        start = int((session.open_at if regular else session.start_at).timestamp() * 1000)
        end = int((session.close_at if regular else session.close_at_ext).timestamp() * 1000)
    if start >= now_ms:
        return None
    candle = _build(market, model, start, min(end, now_ms), samples)
    stamp = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    return Candle(
        stamp,
        candle.open,
        candle.high,
        candle.low,
        candle.close,
        candle.volume,
        candle.vwap,
        candle.count,
    )


def _merge(time_ms: int, parts: list[Candle]) -> Candle:
    volume = sum(c.volume for c in parts)
    return Candle(
        time_ms,
        parts[0].open,
        max(c.high for c in parts),
        min(c.low for c in parts),
        parts[-1].close,
        volume,
        sum(c.vwap for c in parts) / len(parts),
        sum(c.count for c in parts),
    )


def _bucket_start(day: date, unit: str, count: int) -> date:
    if unit == "w":
        monday = day - timedelta(days=day.weekday())
        epoch_monday = date(1970, 1, 5)
        weeks = (monday - epoch_monday).days // 7
        return epoch_monday + timedelta(days=7 * (weeks - weeks % count))
    if unit == "mo":
        idx = day.year * 12 + day.month - 1
        idx -= idx % count
        return date(idx // 12, idx % 12 + 1, 1)
    if count > 1:
        ordinal = day.toordinal()
        return date.fromordinal(ordinal - ordinal % count)
    return day


def history(
    market: Market, model: Model, spec: CandleSymbol, from_ms: int, now_ms: int
) -> list[Candle]:
    """Candles from the one containing ``from_ms`` up to the live one, oldest first."""
    return list(iter_history(market, model, spec, from_ms, now_ms))[-MAX_CANDLES:]


def iter_history(
    market: Market, model: Model, spec: CandleSymbol, from_ms: int, now_ms: int
) -> Iterator[Candle]:
    """Like :func:`history`, lazily (callers can yield to the event loop between candles)."""
    if spec.intraday:
        period = spec.period_ms
        first = max(from_ms - from_ms % period, now_ms - now_ms % period - period * MAX_CANDLES)
        t = first
        while t <= now_ms:
            end = min(t + period, now_ms)
            if _trading(model, t, spec.tho) or _trading(model, max(t, end - 1), spec.tho):
                yield _build(market, model, t, end, _SAMPLES)
            t += period
        return
    start_day = datetime.fromtimestamp(max(from_ms, 0) / 1000, UTC).date()
    end_day = datetime.fromtimestamp(now_ms / 1000, UTC).date()
    span = {"d": 1, "w": 7, "mo": 31}[spec.unit] * spec.count
    start_day = max(start_day, end_day - timedelta(days=span * MAX_CANDLES))
    samples = 12 if spec.unit == "d" and spec.count == 1 else 4
    day = _bucket_start(start_day, spec.unit, spec.count)
    bucket: date | None = None
    parts: list[Candle] = []
    while day <= end_day:
        candle = _day_candle(market, model, day, now_ms, spec.tho, samples)
        key = _bucket_start(day, spec.unit, spec.count)
        if bucket is not None and key != bucket and parts:
            yield _merge(_midnight(bucket), parts)
            parts = []
        bucket = key
        if candle is not None:
            parts.append(candle)
        day += timedelta(days=1)
    if bucket is not None and parts:
        yield _merge(_midnight(bucket), parts)


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def live(market: Market, model: Model, spec: CandleSymbol, now_ms: int) -> Candle | None:
    """The candle containing ``now_ms`` (``None`` while the instrument does not trade)."""
    if spec.intraday:
        period = spec.period_ms
        start = now_ms - now_ms % period
        if not _trading(model, now_ms, spec.tho):
            return None
        return _build(market, model, start, now_ms, _SAMPLES)
    candles = history(market, model, spec, now_ms - spec.period_ms, now_ms)
    return candles[-1] if candles else None


__all__ = [
    "MAX_CANDLES",
    "Candle",
    "CandleSymbol",
    "history",
    "iter_history",
    "live",
    "parse_candle_symbol",
]
