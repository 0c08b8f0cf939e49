"""The moving market: a deterministic, seeded simulator of every listed instrument.

Every price is a pure function of ``(seed, symbol, simulated time)``: underlyings follow a
random-access :class:`~sandbox.pricing.Path`, options are priced by Black–Scholes off their
underlying (Black-76 for future options), futures track their index with carry. Quotes change
on a 100 ms grid of simulated time; nothing is precomputed, ticks are computed lazily for the
symbols somebody asks about and cached per step. Outside its trading session an instrument is
frozen at its last traded state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import cast

from sandbox import clock as sessions
from sandbox.catalog import Catalog
from sandbox.clock import SimClock
from sandbox.instruments.info import InstrumentInfo
from sandbox.instruments.specs import EQUITY_BY_SYMBOL, FUTURE_BY_CODE
from sandbox.pricing import Greeks, black76, black_scholes, smile, uniform
from sandbox.quotes import (
    STEP_MS,
    DayStats,
    Model,
    Tick,
    build_model,
    day_stats,
    effective_time,
    path_for,
)

log = logging.getLogger(__name__)

RISK_FREE_RATE = 0.04
_WATCH_LIMIT = 4096


@dataclass(frozen=True)
class Book:
    symbol: str
    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal
    last: Decimal
    mark: Decimal
    ts_ms: int


def _decimal(value: float, places: int) -> Decimal:
    if not math.isfinite(value):
        return Decimal(0)
    return Decimal(f"{value:.{places}f}")


class Market:
    """Seeded market simulator; ``run()`` drives listeners while the app is up."""

    def __init__(self, seed: int = 42, clock: SimClock | None = None) -> None:
        self.seed = seed
        self.clock = clock if clock is not None else SimClock()
        self.catalog = Catalog(self.clock, self.reference_price)
        self.rate = RISK_FREE_RATE
        self._models: dict[str, Model] = {}
        self._ticks: dict[str, Tick] = {}
        self._paused: dict[str, Tick | None] = {}
        self._listeners: list[Callable[[str], None]] = []
        self._watched: OrderedDict[str, None] = OrderedDict()
        self._notified: dict[str, Book] = {}
        self._spot_cache: dict[tuple[str, float], float] = {}
        self._states: dict[tuple[str, int], str] = {}
        self._unpriceable: set[str] = set()  # watched symbols whose last step failed (logged)

    # ------------------------------------------------------------------ contract
    def book(self, symbol: str) -> Book:
        model = self.model(symbol)
        if model is None:
            raise KeyError(symbol)
        self._watch(model.info.symbol)
        return self._book(model, self.tick_for(model))

    def session_state(self, market_collection: str) -> str:
        now = self.clock.now()
        key = (market_collection, int(now.timestamp()) // 60)  # boundaries fall on minutes
        state = self._states.get(key)
        if state is None:
            if len(self._states) > 10_000:
                self._states.clear()
            state = self._states[key] = sessions.session_state(market_collection, now)
        return state

    def is_paused(self, symbol: str) -> bool:
        model = self.model(symbol)
        return model is not None and model.info.symbol in self._paused

    def paused_symbols(self) -> Collection[str]:
        """Order symbols currently paused by fault injection."""
        return self._paused.keys()

    def pause(self, symbol: str, paused: bool = True) -> None:
        model = self.model(symbol)
        if model is None:
            raise KeyError(symbol)
        order_symbol = model.info.symbol
        if paused:
            if order_symbol not in self._paused:
                self._paused[order_symbol] = self._compute(model, self.current_step())
        else:
            self._paused.pop(order_symbol, None)

    def add_listener(self, callback: Callable[[str], None]) -> Callable[[], None]:
        self._listeners.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return unsubscribe

    async def run(self) -> None:
        """Notify listeners of book changes of watched symbols, step by step, until cancelled.

        A step that fails is logged (once, until a step succeeds again) and skipped: the task
        keeps running, so DXLink, alerts and the order engine never lose their market."""
        last_step = -1
        failing = False
        log.info("market simulation running (seed=%s, speed=%s)", self.seed, self.clock.speed)
        try:
            while True:
                try:
                    step = self.current_step()
                    if step != last_step:
                        last_step = step
                        self._notify_changes()
                    wait = self.clock.real_seconds(STEP_MS / 1000.0)
                except Exception:
                    if not failing:
                        log.exception("market step failed; skipping it and carrying on")
                    failing, wait = True, STEP_MS / 1000.0
                else:
                    if failing:
                        log.info("market steps succeed again")
                    failing = False
                await asyncio.sleep(min(max(wait, 0.005), 0.1))
        finally:
            log.info("market simulation stopped")

    # ------------------------------------------------------------------ extras
    def model(self, symbol: str) -> Model | None:
        """The quoting model of a listed instrument (order or streamer symbol), else ``None``."""
        model = self._models.get(symbol)
        if model is not None:
            return model
        info = self.catalog.instrument(symbol)
        if info is None:
            return None  # not cached: unknown symbols must not grow memory
        model = self._models.get(info.symbol)
        if model is None:
            model = build_model(self.seed, info, self.catalog)
            self._models[info.symbol] = model
            self._models[info.streamer_symbol] = model
        self._models[symbol] = model
        return model

    def instrument(self, symbol: str) -> InstrumentInfo | None:
        model = self.model(symbol)
        return None if model is None else model.info

    def current_step(self) -> int:
        return self.clock.now_ms() // STEP_MS

    def tick(self, symbol: str) -> Tick | None:
        """The current full state of ``symbol`` (``None`` if unknown or paused)."""
        model = self.model(symbol)
        if model is None or model.info.symbol in self._paused:
            return None
        return self.tick_for(model)

    def tick_for(self, model: Model, step: int | None = None) -> Tick:
        frozen = self._paused.get(model.info.symbol)
        if frozen is not None:
            return frozen
        step = self.current_step() if step is None else step
        cached = self._ticks.get(model.info.symbol)
        if cached is not None and cached.step == step:
            return cached
        tick = self._compute(model, step)
        self._ticks[model.info.symbol] = tick
        return tick

    def mid_at(self, model: Model, t: float) -> float:
        """Theoretical mid price of ``model`` at simulated epoch second ``t`` (no freezing)."""
        if model.kind in ("option", "fop"):
            assert model.underlying is not None
            und = self.model(model.underlying)
            assert und is not None
            spot = self.mid_at(und, effective_time(und, t))
            return self._option(model, spot, t).price
        key = (model.info.symbol, t)
        cached = self._spot_cache.get(key)
        if cached is None:
            if len(self._spot_cache) > 100_000:
                self._spot_cache.clear()
            cached = self._spot_cache[key] = model.spot(t)
        return cached

    def greeks(self, model: Model, spot: float, t: float) -> Greeks:
        return self._option(model, spot, t)

    def reference_price(self, name: str, day: date) -> float:
        """Price of an underlying (or a future product's index) at the start of ``day``."""
        t = datetime(day.year, day.month, day.day, 6, tzinfo=UTC).timestamp()
        spec = FUTURE_BY_CODE.get(name)
        if spec is not None:
            vol = EQUITY_BY_SYMBOL[spec.driver].vol if spec.driver else spec.vol
            return spec.price * math.exp(
                path_for(self.seed, spec.driver or spec.code, vol).value(t)
            )
        equity = EQUITY_BY_SYMBOL[name]
        driver = EQUITY_BY_SYMBOL[equity.driver or name]
        return equity.price * math.exp(path_for(self.seed, driver.symbol, driver.vol).value(t))

    def watch(self, symbol: str) -> None:
        model = self.model(symbol)
        if model is not None:
            self._watch(model.info.symbol)

    # ------------------------------------------------------------------ internals
    def _watch(self, symbol: str) -> None:
        self._watched[symbol] = None
        self._watched.move_to_end(symbol)
        while len(self._watched) > _WATCH_LIMIT:
            self._watched.popitem(last=False)

    def _notify_changes(self) -> None:
        if not self._listeners:
            return
        for symbol in list(self._watched):
            if symbol in self._paused:
                continue
            try:
                model = self.model(symbol)
                book = None if model is None else self._book(model, self.tick_for(model))
            except Exception:  # one symbol that cannot be priced must not starve the others
                if symbol not in self._unpriceable:
                    self._unpriceable.add(symbol)
                    log.warning("cannot price %s; skipping it", symbol, exc_info=True)
                continue
            self._unpriceable.discard(symbol)
            if book is None:
                continue
            previous = self._notified.get(symbol)
            if previous is not None and (previous.bid, previous.ask, previous.last) == (
                book.bid,
                book.ask,
                book.last,
            ):
                continue
            self._notified[symbol] = book
            for callback in list(self._listeners):
                try:
                    callback(symbol)
                except Exception:
                    log.exception("market listener failed for %s", symbol)

    def _option(self, model: Model, spot: float, t: float) -> Greeks:
        assert model.strike is not None
        years = max(0.0, (model.expires_ts - t) / (365.25 * 86400))
        vol = smile(model.vol, spot, model.strike, years)
        if model.kind == "fop":
            return black76(spot, model.strike, years, self.rate, vol, model.call)
        return black_scholes(spot, model.strike, years, self.rate, model.div, vol, model.call)

    def _compute(self, model: Model, step: int) -> Tick:
        t = step * STEP_MS / 1000.0
        te = effective_time(model, t)
        estep = int(te * 1000) // STEP_MS
        greeks: Greeks | None = None
        underlying_price = math.nan
        if model.kind in ("option", "fop"):
            assert model.underlying is not None
            und = self.model(model.underlying)
            assert und is not None
            underlying_price = self.tick_for(und, step).mid
            greeks = self._option(model, underlying_price, te)
            mid = greeks.price
        else:
            mid = model.spot(te)
        bid, ask = model.quote(mid, estep)
        key = model.key
        return Tick(
            self,
            model,
            step,
            te,
            bid,
            ask,
            model.size(uniform(key, estep, 1)),
            model.size(uniform(key, estep, 2)),
            mid,
            greeks,
            underlying_price,
        )

    def trade_of(self, tick: Tick) -> tuple[float, float, int, str]:
        return self._last_trade(tick.model, tick.estep, tick.bid, tick.ask)

    def stats_of(self, tick: Tick) -> DayStats:
        return day_stats(self, tick.model, tick.te, tick.theo)

    def _last_trade(
        self, model: Model, estep: int, bid: float, ask: float
    ) -> tuple[float, float, int, str]:
        if model.trade_probability < 0.05:
            return self._last_trade_sparse(model, estep)
        key = model.key
        for back in range(40):
            s = estep - back
            if uniform(key, s, 3) < model.trade_probability:
                if back == 0:
                    b, a = bid, ask
                else:
                    b, a = model.quote(self._mid_at_step(model, s), s)
                side = uniform(key, s, 4)
                price = a if side < 0.5 else b
                if b <= 0:
                    price = a
                direction = "UP" if side < 0.5 else "DOWN"
                return price, model.trade_size(uniform(key, s, 5)), s * STEP_MS, direction
        return model.round((bid + ask) / 2), 0.0, estep * STEP_MS, "ZERO"

    def _last_trade_sparse(self, model: Model, estep: int) -> tuple[float, float, int, str]:
        """Illiquid instruments (options) trade once a minute at most: cached per minute."""
        minute = (estep * STEP_MS) // 60_000
        cached = model.day.get("trade")
        if isinstance(cached, tuple) and cached[0] == minute:
            return cast(tuple[float, float, int, str], cached[1])
        t = minute * 60.0
        b, a = model.quote(self.mid_at(model, t), minute)
        side = uniform(model.key, minute, 4)
        price = a if side < 0.5 or b <= 0 else b
        result = (
            price,
            model.trade_size(uniform(model.key, minute, 5)),
            int(t * 1000),
            "UP" if side < 0.5 else "DOWN",
        )
        model.day["trade"] = (minute, result)
        return result

    def _mid_at_step(self, model: Model, s: int) -> float:
        return self.mid_at(model, s * STEP_MS / 1000.0)

    def _book(self, model: Model, tick: Tick) -> Book:
        places = model.places
        return Book(
            symbol=model.info.symbol,
            bid=_decimal(tick.bid, places),
            ask=_decimal(tick.ask, places),
            bid_size=_decimal(tick.bid_size, model.size_places),
            ask_size=_decimal(tick.ask_size, model.size_places),
            last=_decimal(tick.last, places),
            mark=_decimal(model.round(tick.mid), places),
            ts_ms=tick.ts_ms,
        )


__all__ = ["RISK_FREE_RATE", "Book", "Market"]
