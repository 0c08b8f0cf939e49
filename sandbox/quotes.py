"""Per-instrument quoting models: how an instrument's price, spread, sizes, trades and day
statistics are derived from simulated time. Used by :mod:`sandbox.market`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, cast

from sandbox import clock as sessions
from sandbox.catalog import Catalog
from sandbox.instruments.crypto import pair_price
from sandbox.instruments.equities import warrant_price
from sandbox.instruments.info import InstrumentInfo
from sandbox.instruments.specs import CRYPTO_BY_SYMBOL, EQUITY_BY_SYMBOL, FUTURE_BY_CODE
from sandbox.pricing import Greeks, Path, key_of, uniform

if TYPE_CHECKING:
    from sandbox.market import Market

STEP_MS = 100
_YEAR = 365.25 * 86400
_PATHS: dict[tuple[int, str, float], Path] = {}


def path_for(seed: int, name: str, vol: float) -> Path:
    key = (seed, name, vol)
    path = _PATHS.get(key)
    if path is None:
        path = _PATHS[key] = Path(key_of(seed, f"path:{name}"), vol)
    return path


@dataclass(frozen=True)
class DayStats:
    session_date: date
    open: float
    high: float
    low: float
    prev_close: float
    volume: float
    prev_volume: float
    year_high: float
    year_low: float

    @property
    def day_id(self) -> int:
        return (self.session_date - date(1970, 1, 1)).days


class TickResolver(Protocol):
    def trade_of(self, tick: Tick) -> tuple[float, float, int, str]: ...

    def stats_of(self, tick: Tick) -> DayStats: ...


class Tick:
    """Everything known about one instrument at one simulation step (floats).

    Quote fields are computed eagerly; the last trade and the day statistics lazily, on first
    access, because most consumers (a Quote subscription) never need them.
    """

    __slots__ = (
        "_resolver",
        "_stats",
        "_trade",
        "ask",
        "ask_size",
        "bid",
        "bid_size",
        "estep",
        "greeks",
        "mid",
        "model",
        "step",
        "symbol",
        "te",
        "theo",
        "ts_ms",
        "underlying_price",
    )

    def __init__(
        self,
        resolver: TickResolver,
        model: Model,
        step: int,
        te: float,
        bid: float,
        ask: float,
        bid_size: float,
        ask_size: float,
        theo: float,
        greeks: Greeks | None,
        underlying_price: float,
    ) -> None:
        self._resolver = resolver
        self.model = model
        self.symbol = model.info.symbol
        self.step = step
        self.te = te
        self.estep = int(te * 1000) // STEP_MS
        self.ts_ms = int(te * 1000)
        self.bid = bid
        self.ask = ask
        self.bid_size = bid_size
        self.ask_size = ask_size
        self.mid = (bid + ask) / 2 if bid > 0 else theo
        self.theo = theo
        self.greeks = greeks
        self.underlying_price = underlying_price
        self._trade: tuple[float, float, int, str] | None = None
        self._stats: DayStats | None = None

    @property
    def trade(self) -> tuple[float, float, int, str]:
        """(price, size, time ms, tick direction) of the last trade."""
        if self._trade is None:
            self._trade = self._resolver.trade_of(self)
        return self._trade

    @property
    def last(self) -> float:
        return self.trade[0]

    @property
    def last_size(self) -> float:
        return self.trade[1]

    @property
    def last_ms(self) -> int:
        return self.trade[2]

    @property
    def tick_direction(self) -> str:
        return self.trade[3]

    @property
    def stats(self) -> DayStats:
        if self._stats is None:
            self._stats = self._resolver.stats_of(self)
        return self._stats


@dataclass(eq=False)
class Model:
    info: InstrumentInfo
    kind: str  # spot | future | option | fop
    key: int
    collection: str
    regular_only: bool
    ref: float
    vol: float
    tick_size: float
    places: int
    size_places: int
    spread_frac: float
    min_spread_ticks: int
    trade_probability: float
    lot: float
    max_lots: int
    adv: float
    path: Path | None = None
    underlying: str | None = None
    strike: float | None = None
    call: bool = True
    expires_ts: float = math.inf
    div: float = 0.0
    carry: float = 0.0
    tick_schedule: tuple[tuple[float, float], ...] = ()  # (below threshold, tick)
    day: dict[str, object] = field(default_factory=dict)

    def spot(self, t: float) -> float:
        assert self.path is not None
        price = self.ref * math.exp(self.path.value(t))
        if self.kind == "future":
            price *= math.exp(self.carry * max(0.0, self.expires_ts - t) / _YEAR)
        return price

    def tick_at(self, price: float) -> float:
        for threshold, tick in self.tick_schedule:
            if price < threshold:
                return tick
        return self.tick_size

    def round(self, price: float) -> float:
        tick = self.tick_at(price)
        return round(round(price / tick) * tick, self.places)

    def quote(self, mid: float, estep: int) -> tuple[float, float]:
        tick = self.tick_at(mid)
        spread = max(self.min_spread_ticks * tick, mid * self.spread_frac)
        wobble = 1.0 + uniform(self.key, estep, 6)
        half = spread * wobble / 2
        bid = math.floor((mid - half) / tick + 1e-9) * tick
        ask = math.ceil((mid + half) / tick - 1e-9) * tick
        if ask - bid < tick:
            ask = bid + tick
        bid = max(0.0, bid)
        return round(bid, self.places), round(max(ask, tick), self.places)

    def size(self, u: float) -> float:
        if self.info.is_index:
            return math.nan
        if self.size_places:
            return round(u * self.lot * self.max_lots, self.size_places)
        return float((1 + int(u * self.max_lots)) * self.lot)

    def trade_size(self, u: float) -> float:
        if self.info.is_index:
            return math.nan
        if self.size_places:
            return round(u * self.lot, self.size_places)
        return float((1 + int(u * u * 10)) * self.lot)


def _places(tick: float) -> int:
    text = f"{tick:.10f}".rstrip("0")
    return max(2, len(text.split(".")[1]) if "." in text else 0)


def build_model(seed: int, info: InstrumentInfo, catalog: Catalog) -> Model:
    key = key_of(seed, info.symbol)
    kind = info.instrument_type
    tick = float(info.tick_size)
    if kind in ("Equity", "Index"):
        spec = EQUITY_BY_SYMBOL[info.symbol]
        driver = spec.driver or spec.symbol
        dspec = EQUITY_BY_SYMBOL[driver]
        return Model(
            info, "spot", key, sessions.EQUITY, spec.is_index, spec.price, spec.vol, tick, 2, 0,
            0.0004 if spec.is_index else 0.00008, 1, 1.0 if spec.is_index else 0.3, 100.0,
            20, spec.adv, path=path_for(seed, driver, dspec.vol), div=spec.dividend_yield,
        )  # fmt: skip
    if kind == "Warrant":
        return Model(
            info, "spot", key, sessions.EQUITY, False, warrant_price(info.symbol), 0.9, tick, 4,
            0, 0.01, 1, 0.05, 100.0, 20, 200_000.0, path=path_for(seed, info.symbol, 0.9),
        )  # fmt: skip
    if kind == "Cryptocurrency":
        cspec = CRYPTO_BY_SYMBOL[info.symbol]
        return Model(
            info, "spot", key, sessions.CRYPTO, False, cspec.price, cspec.vol, tick,
            _places(tick), 6, 0.002, 1, 0.2, 2.0 if cspec.price > 1000 else 500.0, 1, 0.0,
            path=path_for(seed, info.symbol, cspec.vol),
        )  # fmt: skip
    if kind == "Currency Pair":
        return Model(
            info, "spot", key, sessions.CRYPTO, False, pair_price(info.symbol), 0.08, tick, 5, 0,
            0.00005, 1, 0.3, 100_000.0, 20, 0.0, path=path_for(seed, info.symbol, 0.08),
        )  # fmt: skip
    if kind == "Future":
        fspec = FUTURE_BY_CODE[info.underlying_symbol.lstrip("/")]
        name = fspec.driver or fspec.code
        vol = EQUITY_BY_SYMBOL[fspec.driver].vol if fspec.driver else fspec.vol
        assert info.expires_at is not None
        return Model(
            info, "future", key, sessions.CME, False, fspec.price, vol, tick, _places(tick), 0,
            0.0, 1, 0.4, 1.0, 60, 1_500_000.0 / max(1.0, float(fspec.multiplier)) * 10,
            path=path_for(seed, name, vol), expires_ts=info.expires_at.timestamp(),
            carry=fspec.basis,
        )  # fmt: skip
    assert info.strike is not None
    assert info.expires_at is not None
    if kind == "Future Option":
        fspec = FUTURE_BY_CODE[info.underlying_symbol.lstrip("/")[:-2]]
        vol = EQUITY_BY_SYMBOL[fspec.driver].vol if fspec.driver else fspec.vol
        schedule = tuple((float(t), float(v)) for t, v in fspec.option_tick_sizes if t is not None)
        last_tick = float(fspec.option_tick_sizes[-1][1])
        return Model(
            info, "fop", key, sessions.CME, False, 0.0, vol, last_tick, 2, 0, 0.02, 1, 0.01,
            1.0, 50, 5000.0, underlying=info.underlying_symbol, strike=float(info.strike),
            call=info.option_type == "C", expires_ts=info.expires_at.timestamp(),
            tick_schedule=schedule,
        )  # fmt: skip
    spec = EQUITY_BY_SYMBOL[info.underlying_symbol]
    schedule = ((3.0, 0.05),) if spec.is_index else ((3.0, 0.01),)
    return Model(
        info, "option", key, sessions.EQUITY, True, 0.0, spec.vol,
        0.1 if spec.is_index else 0.05, 2, 0, 0.015, 1, 0.01, 1.0, 200, 2000.0,
        underlying=info.underlying_symbol, strike=float(info.strike),
        call=info.option_type == "C", expires_ts=info.expires_at.timestamp(),
        div=spec.dividend_yield, tick_schedule=schedule,
    )  # fmt: skip


# ----------------------------------------------------------------------------- sessions


@lru_cache(maxsize=65536)
def _window(collection: str, regular_only: bool, minute: int) -> tuple[bool, float]:
    """(is trading, freeze time) for the minute starting at epoch ``minute * 60``."""
    now = datetime.fromtimestamp(minute * 60, UTC)
    day = sessions.trading_date(collection, now)
    session = sessions.session_for(collection, day)

    def bounds(s: sessions.Session) -> tuple[datetime, datetime]:
        if regular_only:
            return s.open_at, s.close_at
        return s.start_at, s.close_at_ext

    if session is not None:
        start, end = bounds(session)
        if start <= now < end:
            return True, 0.0
        if now >= end:
            return False, end.timestamp()
    prev = sessions.previous_session(collection, day)
    return False, bounds(prev)[1].timestamp()


def effective_time(model: Model, t: float) -> float:
    """``t`` while the instrument trades, else the end of its last trading window."""
    if model.collection == sessions.CRYPTO:
        return t
    trading, freeze = _window(model.collection, model.regular_only, int(t // 60))
    return t if trading else freeze - 0.001


def _session_window(model: Model, te: float) -> tuple[date, float, float, float, float]:
    """(session date, window start, regular open, window end, previous close) around ``te``."""
    return _session_window_cached(model.collection, model.regular_only, int(te // 60))


@lru_cache(maxsize=65536)
def _session_window_cached(
    collection: str, regular_only: bool, minute: int
) -> tuple[date, float, float, float, float]:
    now = datetime.fromtimestamp(minute * 60, UTC)
    if collection == sessions.CRYPTO:
        start = datetime(now.year, now.month, now.day, tzinfo=UTC).timestamp()
        return now.date(), start, start, start + 86400, start
    day = sessions.trading_date(collection, now)
    session = sessions.session_for(collection, day) or sessions.previous_session(collection, day)
    prev = sessions.previous_session(collection, session.session_date)
    if regular_only:
        return (
            session.session_date,
            session.open_at.timestamp(),
            session.open_at.timestamp(),
            session.close_at.timestamp(),
            prev.close_at.timestamp(),
        )
    return (
        session.session_date,
        session.start_at.timestamp(),
        session.open_at.timestamp(),
        session.close_at_ext.timestamp(),
        prev.close_at.timestamp(),
    )


def volume_fraction(frac: float) -> float:
    """Cumulative share of the day's volume traded by ``frac`` of the session (U-shaped)."""
    frac = min(1.0, max(0.0, frac))
    # density 1 + 2(2x-1)^2 integrates to x + (2x-1)^3/3 + 1/3, normalised by 5/3
    return (frac + ((2 * frac - 1) ** 3) / 3 + 1 / 3) / (5 / 3)


def _day_factor(model: Model, day: date) -> float:
    return 0.6 + 0.8 * uniform(model.key, day.toordinal(), 11)


def cumulative_volume(model: Model, te: float) -> float:
    """Volume traded in the session containing ``te`` up to ``te``."""
    if model.adv <= 0:
        return 0.0
    day, start, _, end, _ = _session_window(model, te)
    total = model.adv * _day_factor(model, day)
    return math.floor(total * volume_fraction((te - start) / max(1.0, end - start)))


def day_stats(market: Market, model: Model, te: float, current: float) -> DayStats:
    """Day statistics at ``te``; ``current`` is the mid price at ``te``."""
    day, start, open_ts, end, prev_close_ts = _session_window_cached(
        model.collection, model.regular_only, int(te // 60)
    )
    cache = model.day
    if cache.get("date") != day:
        cache.clear()
        first = market.mid_at(model, start + 0.001)
        prev_day = sessions.previous_trading_day(day)
        cache.update(
            date=day,
            sampled=start,
            high=first,
            low=first,
            open=None,
            prev_close=market.mid_at(model, prev_close_ts - 0.001),
            prev_volume=math.floor(model.adv * _day_factor(model, prev_day)),
            total=model.adv * _day_factor(model, day),
            year=_year_range(market, model, day),
        )
    sampled = float(cache["sampled"])  # type: ignore[arg-type]
    high = float(cache["high"])  # type: ignore[arg-type]
    low = float(cache["low"])  # type: ignore[arg-type]
    step = 300.0 if model.kind in ("option", "fop") else 60.0
    if sampled + step <= te:
        while sampled + step <= te:
            sampled += step
            price = market.mid_at(model, sampled)
            high, low = max(high, price), min(low, price)
        cache.update(sampled=sampled, high=high, low=low)
    open_price = cache["open"]
    if open_price is None:
        open_price = market.mid_at(model, (open_ts if te >= open_ts else start) + 0.001)
        if te >= open_ts:
            cache["open"] = open_price
    open_f = float(open_price)  # type: ignore[arg-type]
    year_low, year_high = cast(tuple[float, float], cache["year"])
    total = float(cache["total"])  # type: ignore[arg-type]
    volume = (
        math.floor(total * volume_fraction((te - start) / max(1.0, end - start)))
        if model.adv > 0
        else 0.0
    )
    return DayStats(
        session_date=day,
        open=open_f,
        high=max(high, current, open_f),
        low=min(low, current, open_f),
        prev_close=float(cache["prev_close"]),  # type: ignore[arg-type]
        volume=volume,
        prev_volume=float(cache["prev_volume"]),  # type: ignore[arg-type]
        year_high=max(float(year_high), high),
        year_low=min(float(year_low), low),
    )


def _year_range(market: Market, model: Model, day: date) -> tuple[float, float]:
    if model.kind in ("option", "fop"):
        return math.inf, -math.inf
    base = datetime(day.year, day.month, day.day, 20, tzinfo=UTC)
    samples = [model.spot((base - timedelta(days=7 * w)).timestamp()) for w in range(1, 53)]
    return min(samples), max(samples)


__all__ = [
    "STEP_MS",
    "DayStats",
    "Model",
    "Tick",
    "TickResolver",
    "build_model",
    "cumulative_volume",
    "day_stats",
    "effective_time",
    "path_for",
    "volume_fraction",
]
