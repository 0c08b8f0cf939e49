"""dxFeed event construction for the DXLink server: the field sets of each event type and the
values the simulated market gives them (API reference §5.3–5.5).

An event is a ``dict`` of field name → value, each value of the JSON type the real feed uses
for that field (dxFeed's event model): integer fields (times, ids, sequences, flags, indices,
``Summary.openInterest``, ``Candle.count``) are JSON integers, 0 where the instrument has none;
floating-point fields are numbers, or the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``
exactly as the real feed writes non-finite doubles (only there); strings the instrument has
none of are ``null``. Fields a client asks for that the event does not have are filled with
``"NaN"`` by the encoder.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sandbox.candles import Candle
from sandbox.clock import previous_trading_day
from sandbox.instruments import corporate
from sandbox.instruments.specs import EQUITY_BY_SYMBOL, FUTURE_BY_CODE
from sandbox.market import Market
from sandbox.pricing import smile, uniform
from sandbox.quotes import Model, Tick

SNAPSHOT_BEGIN = 0x4
SNAPSHOT_END = 0x8
REMOVE_EVENT = 0x2
EMPTY_SNAPSHOT = SNAPSHOT_BEGIN | SNAPSHOT_END | REMOVE_EVENT  # 14

_BASE = ["eventType", "eventSymbol", "eventTime"]
FIELDS: dict[str, list[str]] = {
    "Quote": [*_BASE, "sequence", "timeNanoPart", "bidTime", "bidExchangeCode", "bidPrice",
              "bidSize", "askTime", "askExchangeCode", "askPrice", "askSize"],
    "Trade": [*_BASE, "time", "timeNanoPart", "sequence", "exchangeCode", "price", "change",
              "size", "dayId", "dayVolume", "dayTurnover", "tickDirection", "extendedTradingHours"],
    "Summary": [*_BASE, "dayId", "dayOpenPrice", "dayHighPrice", "dayLowPrice", "dayClosePrice",
                "dayClosePriceType", "prevDayId", "prevDayClosePrice", "prevDayClosePriceType",
                "prevDayVolume", "openInterest"],
    "Profile": [*_BASE, "description", "shortSaleRestriction", "tradingStatus", "statusReason",
                "haltStartTime", "haltEndTime", "highLimitPrice", "lowLimitPrice",
                "high52WeekPrice", "low52WeekPrice", "beta", "earningsPerShare",
                "dividendFrequency", "exDividendAmount", "exDividendDayId", "shares", "freeFloat"],
    "Greeks": [*_BASE, "eventFlags", "index", "time", "sequence", "price", "volatility", "delta",
               "gamma", "theta", "rho", "vega"],
    "Candle": [*_BASE, "eventFlags", "index", "time", "sequence", "count", "open", "high", "low",
               "close", "volume", "VWAP", "bidVolume", "askVolume", "impVolatility",
               "openInterest"],
    "TheoPrice": [*_BASE, "eventFlags", "index", "time", "sequence", "price", "underlyingPrice",
                  "delta", "gamma", "dividend", "interest"],
    "TimeAndSale": [*_BASE, "eventFlags", "index", "time", "timeNanoPart", "sequence",
                    "exchangeCode", "price", "size", "bidPrice", "askPrice",
                    "exchangeSaleConditions", "tradeThroughExempt", "aggressorSide", "spreadLeg",
                    "extendedTradingHours", "validTick", "type", "buyer", "seller"],
    "Underlying": [*_BASE, "eventFlags", "index", "time", "sequence", "volatility",
                   "frontVolatility", "backVolatility", "callVolume", "putVolume",
                   "putCallRatio"],
}  # fmt: skip
FIELDS["TradeETH"] = list(FIELDS["Trade"])
"""The spec's field set of each event type (DXL asyncapi ``*Event`` schemas): what a channel
sends, in this order, for a type its client did not choose fields for."""
EVENT_TYPES = frozenset(FIELDS)
INDEXED = frozenset({"Greeks", "TheoPrice", "TimeAndSale", "Underlying", "Candle"})


def num(value: float) -> float | str:
    """A double as DXLink writes it: non-finite values become strings."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


_EPOCH = date(1970, 1, 1)
_EXCHANGE = {"option": "C", "fop": "X", "future": "X", "spot": "Q"}


def _exchange(model: Model) -> str:
    if model.info.is_index:
        return "\u0000"
    return _EXCHANGE.get(model.kind, "Q")


def applies(event_type: str, model: Model) -> bool:
    """Whether the real feed publishes ``event_type`` for this instrument."""
    kind = model.kind
    if event_type in ("Greeks", "TheoPrice"):
        return kind in ("option", "fop")
    if event_type == "Underlying":
        if kind == "spot":
            spec = EQUITY_BY_SYMBOL.get(model.info.symbol)
            return spec is not None and bool(spec.option_roots)
        if kind == "future":
            fspec = FUTURE_BY_CODE.get(model.info.underlying_symbol.lstrip("/"))
            return fspec is not None and bool(fspec.option_products)
        return False
    if event_type == "TradeETH":
        return kind == "spot" and model.collection == "Equity" and not model.info.is_index
    if event_type == "TimeAndSale":
        return not model.info.is_index
    return True


def signature(event_type: str, tick: Tick) -> object:
    """Changes whenever the event would carry new information."""
    if event_type == "Quote":
        return (tick.bid, tick.ask, tick.bid_size, tick.ask_size)
    if event_type in ("Trade", "TradeETH", "TimeAndSale"):
        if tick.model.trade_probability < 0.05:
            return tick.estep // 600  # illiquid: at most one trade a minute (see Market)
        return tick.last_ms
    if event_type == "Summary":
        s = tick.stats
        return (s.session_date, round(s.open, 6), round(s.high, 6), round(s.low, 6))
    if event_type == "Profile":
        return tick.stats.session_date
    if event_type in ("Greeks", "TheoPrice"):
        return tick.estep // 10
    if event_type == "Underlying":
        return tick.estep // 100
    return tick.step


def build(
    event_type: str, market: Market, tick: Tick, symbol: str, flags: int = 0
) -> dict[str, Any]:
    """The event ``event_type`` for ``tick`` under the subscribed ``symbol``."""
    model = tick.model
    index_sizes = model.info.is_index
    ev: dict[str, Any] = {"eventType": event_type, "eventSymbol": symbol, "eventTime": 0}
    if event_type == "Quote":
        code = _EXCHANGE[model.kind] if not index_sizes else "\u0000"
        ts = tick.ts_ms
        return {
            "eventType": "Quote",
            "eventSymbol": symbol,
            "eventTime": 0,
            "sequence": 0,
            "timeNanoPart": 0,
            "bidTime": ts,
            "bidExchangeCode": code,
            "bidPrice": num(tick.bid),
            "bidSize": "NaN" if index_sizes else num(tick.bid_size),
            "askTime": ts,
            "askExchangeCode": code,
            "askPrice": num(tick.ask),
            "askSize": "NaN" if index_sizes else num(tick.ask_size),
        }
    if event_type in ("Trade", "TradeETH"):
        price, size, when, direction = tick.trade
        stats = tick.stats
        no_volume = index_sizes or model.adv <= 0
        ev.update(
            time=when,
            timeNanoPart=0,
            sequence=0,
            exchangeCode=_exchange(model),
            price=num(price),
            change=num(price - stats.prev_close),
            size="NaN" if no_volume else num(size),
            dayId=stats.day_id,
            dayVolume="NaN" if no_volume else num(stats.volume),
            dayTurnover="NaN" if no_volume else num(round(stats.volume * tick.mid, 2)),
            tickDirection=direction,
            extendedTradingHours=market.session_state(model.collection) != "Open",
        )
    elif event_type == "Summary":
        stats = tick.stats
        closed = market.session_state(model.collection) == "Closed"
        ev.update(
            dayId=stats.day_id,
            dayOpenPrice=num(model.round(stats.open)),
            dayHighPrice=num(model.round(stats.high)),
            dayLowPrice=num(model.round(stats.low)),
            dayClosePrice=num(model.round(tick.mid)) if closed else "NaN",
            dayClosePriceType="FINAL" if closed else "REGULAR",
            prevDayId=(previous_trading_day(stats.session_date) - _EPOCH).days,
            prevDayClosePrice=num(model.round(stats.prev_close)),
            prevDayClosePriceType="FINAL",
            prevDayVolume="NaN" if model.adv <= 0 else num(stats.prev_volume),
            openInterest=open_interest(model) if has_open_interest(model) else 0,  # a long
        )
    elif event_type == "Profile":
        ev.update(_profile(model, tick))
    elif event_type in ("Greeks", "TheoPrice"):
        g = tick.greeks
        assert g is not None
        ev.update(eventFlags=flags, index=(tick.ts_ms // 1000) << 32, time=tick.ts_ms, sequence=0)
        if event_type == "Greeks":
            ev.update(
                price=num(round(g.price, 4)),
                volatility=num(round(g.volatility, 6)),
                delta=num(g.delta),
                gamma=num(g.gamma),
                theta=num(g.theta),
                rho=num(g.rho),
                vega=num(g.vega),
            )
        else:
            ev.update(
                price=num(round(g.price, 4)),
                underlyingPrice=num(tick.underlying_price),
                delta=num(g.delta),
                gamma=num(g.gamma),
                dividend=0.0,
                interest=num(market.rate),
            )
    elif event_type == "TimeAndSale":
        price, size, when, direction = tick.trade
        ev.update(
            eventFlags=flags,
            index=((when // 1000) << 32) | (when % 1000),
            time=when,
            timeNanoPart=0,
            sequence=0,
            exchangeCode=_exchange(model),
            price=num(price),
            size="NaN" if model.adv <= 0 else num(size),
            bidPrice=num(tick.bid),
            askPrice=num(tick.ask),
            exchangeSaleConditions=None,
            tradeThroughExempt="\u0000",  # a char; the real feed sends NUL when not exempt
            aggressorSide="BUY" if direction == "UP" else "SELL",
            spreadLeg=False,
            extendedTradingHours=market.session_state(model.collection) != "Open",
            validTick=True,
            type="NEW",
            buyer=None,
            seller=None,
        )
    elif event_type == "Underlying":
        ev.update(_underlying(model, tick, flags))
    return ev


def candle_event(
    candle: Candle | None, symbol: str, flags: int, model: Model | None
) -> dict[str, Any]:
    ev: dict[str, Any] = {"eventType": "Candle", "eventSymbol": symbol, "eventTime": 0}
    if candle is None:
        ev.update(eventFlags=flags, index=0, time=0, sequence=0, count=0, open="NaN", high="NaN",
                  low="NaN", close="NaN", volume="NaN", vwap="NaN", VWAP="NaN", bidVolume="NaN",
                  askVolume="NaN", impVolatility="NaN", openInterest="NaN")  # fmt: skip
        return ev
    ev.update(
        eventFlags=flags,
        index=candle.index,
        time=candle.time,
        sequence=0,
        count=candle.count,
        open=num(candle.open),
        high=num(candle.high),
        low=num(candle.low),
        close=num(candle.close),
        volume=num(candle.volume),
        vwap=num(candle.vwap),
        VWAP=num(candle.vwap),
        bidVolume="NaN",
        askVolume="NaN",
        impVolatility="NaN",
        # a double on Candle (unlike Summary's long)
        openInterest=float(open_interest(model)) if model and has_open_interest(model) else "NaN",
    )
    return ev


def has_open_interest(model: Model) -> bool:
    """Options and futures carry open interest; equities, indices and crypto have none."""
    return model.kind in ("option", "fop", "future")


def open_interest(model: Model) -> int:
    return int(50 + 20_000 * uniform(model.key, 0, 99) ** 3)


def _profile(model: Model, tick: Tick) -> dict[str, Any]:
    spec = EQUITY_BY_SYMBOL.get(model.info.symbol)
    stats = tick.stats
    out: dict[str, Any] = {
        "description": model.info.description,
        "shortSaleRestriction": "INACTIVE",
        "tradingStatus": "ACTIVE",
        "statusReason": None,
        "haltStartTime": 0,
        "haltEndTime": 0,
        "highLimitPrice": "NaN",
        "lowLimitPrice": "NaN",
        "high52WeekPrice": num(model.round(stats.year_high))
        if math.isfinite(stats.year_high)
        else "NaN",
        "low52WeekPrice": num(model.round(stats.year_low))
        if math.isfinite(stats.year_low)
        else "NaN",
        "beta": "NaN",
        "earningsPerShare": "NaN",
        "dividendFrequency": "NaN",
        "exDividendAmount": "NaN",
        "exDividendDayId": 0,
        "shares": "NaN",
        "freeFloat": "NaN",
    }
    if spec is not None:
        amount = corporate.dividend_amount(spec)
        out["beta"] = num(spec.beta)
        if not spec.is_index:
            out["highLimitPrice"] = num(model.round(stats.prev_close * 1.1))
            out["lowLimitPrice"] = num(model.round(stats.prev_close * 0.9))
            if spec.market_cap:
                out["shares"] = float(round(spec.market_cap / spec.price))
                out["freeFloat"] = float(round(spec.market_cap / spec.price * 0.98))
        if amount > 0:
            out["dividendFrequency"] = float(spec.dividend_frequency)
            out["exDividendAmount"] = num(amount)
    return out


_INDEX_OPTION_BASE = 50_000_000.0


def _underlying(model: Model, tick: Tick, flags: int) -> dict[str, Any]:
    spot = tick.mid
    vol = model.vol
    day = tick.stats.session_date.toordinal()
    # an index has no volume of its own, but its options trade like a liquid ETF's
    base = model.adv if model.adv > 0 else _INDEX_OPTION_BASE
    calls = math.floor(base * 0.02 * (0.5 + uniform(model.key, day, 21)))
    puts = math.floor(base * 0.02 * (0.4 + uniform(model.key, day, 22)))
    return {
        "eventFlags": flags,
        "index": (tick.ts_ms // 1000) << 32,
        "time": tick.ts_ms,
        "sequence": 0,
        "volatility": num(round(smile(vol, spot, spot, 30 / 365), 6)),
        "frontVolatility": num(round(smile(vol, spot, spot, 7 / 365), 6)),
        "backVolatility": num(round(smile(vol, spot, spot, 60 / 365), 6)),
        "callVolume": float(calls),
        "putVolume": float(puts),
        "optionVolume": float(calls + puts),
        "putCallRatio": round(puts / calls, 6) if calls else "NaN",
    }


__all__ = [
    "EMPTY_SNAPSHOT",
    "EVENT_TYPES",
    "FIELDS",
    "INDEXED",
    "SNAPSHOT_BEGIN",
    "SNAPSHOT_END",
    "applies",
    "build",
    "candle_event",
    "has_open_interest",
    "num",
    "open_interest",
    "signature",
]
