"""Market REST routes: instruments and chains, market data, metrics, corporate events and
market-time sessions/holidays (API reference §4.6–4.7). Authentication is enforced by the
app's middleware, not here."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox import clock as sessions
from sandbox.dxlink_events import open_interest
from sandbox.instruments import corporate
from sandbox.instruments.routes import InstrumentRoutes, future_path_symbol, not_found
from sandbox.instruments.specs import EQUITY_BY_SYMBOL
from sandbox.market import Market
from sandbox.pricing import smile
from sandbox.quotes import Model, Tick
from sandbox.wire import data_response, error_response, iso, items_response

MAX_BY_TYPE = 100
BY_TYPE_KEYS = {
    "index": "Index",
    "equity": "Equity",
    "equity-option": "Equity Option",
    "future": "Future",
    "future-option": "Future Option",
    "cryptocurrency": "Cryptocurrency",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PATH_TYPES = {
    "index": "Index",
    "equity": "Equity",
    "equity-option": "Equity Option",
    "equity option": "Equity Option",
    "future": "Future",
    "future-option": "Future Option",
    "future option": "Future Option",
    "cryptocurrency": "Cryptocurrency",
}


def _num(value: float, places: int) -> str | None:
    if value is None or not math.isfinite(value):
        return None
    text = f"{Decimal(f'{value:.{places}f}').normalize():f}"
    return text if "." in text else f"{text}.0"


def market_data_wire(market: Market, model: Model, tick: Tick) -> dict[str, Any]:
    """A ``MarketData`` snapshot with the fields of the real ``/market-data/by-type``."""
    info = model.info
    p = model.places
    stats = tick.stats
    state = market.session_state(model.collection)
    closed = state in ("Extended", "Closed")  # the regular session of summary-date is over
    prev_day = sessions.previous_trading_day(stats.session_date)
    wire: dict[str, Any] = {
        "symbol": info.symbol,
        "instrument-type": info.instrument_type,
        "updated-at": iso(datetime.fromtimestamp(tick.ts_ms / 1000, UTC)),
        "bid": _num(tick.bid, p),
        "bid-size": _num(0.0 if info.is_index else tick.bid_size, 6),
        "ask": _num(tick.ask, p),
        "ask-size": _num(0.0 if info.is_index else tick.ask_size, 6),
        "mid": _num((tick.bid + tick.ask) / 2, p + 1),
        "mark": _num(model.round(tick.mid), p),
        "last": _num(tick.last, p),
        "last-mkt": _num(tick.last, p),
        "open": _num(model.round(stats.open), p),
        "day-high-price": _num(model.round(stats.high), p),
        "day-low-price": _num(model.round(stats.low), p),
        "close-price-type": "Final" if closed else "Regular",
        "prev-close": _num(model.round(stats.prev_close), p),
        "prev-close-price-type": "Final",
        "summary-date": stats.session_date.isoformat(),
        "prev-close-date": prev_day.isoformat(),
        "is-trading-halted": market.is_paused(info.symbol),
        "halt-start-time": -1,
        "halt-end-time": -1,
    }
    if closed:
        wire["close"] = _num(model.round(tick.mid), p)
    if math.isfinite(stats.year_high):
        wire["year-low-price"] = _num(model.round(stats.year_low), p)
        wire["year-high-price"] = _num(model.round(stats.year_high), p)
    if model.adv > 0 and not info.is_index:
        wire["volume"] = _num(stats.volume, 1)
        if model.collection == sessions.EQUITY and model.kind == "spot":
            wire["volume-ext"] = _num(math.floor(stats.volume * 0.02), 1)
    spec = EQUITY_BY_SYMBOL.get(info.symbol)
    if spec is not None:
        wire["beta"] = _num(spec.beta, 9)
        amount = corporate.dividend_amount(spec)
        if amount > 0:
            wire["dividend-amount"] = _num(amount, 4)
            wire["dividend-frequency"] = _num(float(spec.dividend_frequency), 1)
        if not spec.is_index:
            wire["low-limit-price"] = _num(model.round(stats.prev_close * 0.9), p)
            wire["high-limit-price"] = _num(model.round(stats.prev_close * 1.1), p)
    if tick.greeks is not None:
        g = tick.greeks
        wire.update(
            {
                "implied-volatility": _num(g.volatility, 6),
                "delta": _num(g.delta, 6),
                "gamma": _num(g.gamma, 6),
                "theta": _num(g.theta, 6),
                "vega": _num(g.vega, 6),
                "rho": _num(g.rho, 6),
                "theo-price": _num(g.price, 4),
                "open-interest": _num(float(open_interest(model)), 1),
            }
        )
    return {k: v for k, v in wire.items() if v is not None}


class MarketRoutes:
    def __init__(self, market: Market) -> None:
        self.market = market

    def _snapshot(self, symbol: str, kind: str | None = None) -> dict[str, Any] | None:
        model = self.market.model(symbol)
        if model is None or (kind is not None and model.info.instrument_type != kind):
            return None
        tick = self.market.tick_for(model)
        return market_data_wire(self.market, model, tick)

    async def by_type(self, request: Request) -> Response:
        wanted: list[tuple[str, str]] = []
        for key, kind in BY_TYPE_KEYS.items():
            for value in request.query_params.getlist(key) + request.query_params.getlist(
                f"{key}[]"
            ):
                wanted.extend((kind, s) for s in value.split(",") if s)
        if not wanted:
            return error_response(400, "invalid_parameter", "at least one symbol is required")
        if len(wanted) > MAX_BY_TYPE:
            return error_response(
                400,
                "too_many_symbols",
                f"A maximum of {MAX_BY_TYPE} symbols may be requested at once",
            )
        items = []
        for kind, symbol in wanted:
            if kind == "Future":
                symbol = future_path_symbol(symbol)
            snapshot = self._snapshot(symbol, kind if kind != "Index" else None)
            if snapshot is not None:
                items.append(snapshot)
        return items_response(request, items)

    async def by_symbol(self, request: Request) -> Response:
        kind = _PATH_TYPES.get(request.path_params["kind"].lower())
        symbol = request.path_params["symbol"]
        if kind == "Future":
            symbol = future_path_symbol(symbol)
        snapshot = None if kind is None else self._snapshot(symbol, kind)
        return not_found("Market data") if snapshot is None else data_response(request, snapshot)

    async def metrics(self, request: Request) -> Response:
        raw = request.query_params.get("symbols", "") or ",".join(
            request.query_params.getlist("symbols[]")
        )
        symbols = [s for s in raw.split(",") if s]
        if not symbols:
            return error_response(400, "invalid_parameter", "symbols is required")
        items = []
        now = self.market.clock.now()
        today = self.market.catalog.today
        for symbol in symbols:
            spec = EQUITY_BY_SYMBOL.get(symbol)
            model = self.market.model(symbol)
            if spec is None or model is None:
                continue
            tick = self.market.tick_for(model)
            ivs = self._expiration_ivs(symbol, tick.mid)
            items.append(corporate.metrics(spec, today, now, tick.mid, ivs))
        return items_response(request, items)

    def _expiration_ivs(self, symbol: str, spot: float) -> list[tuple[date, str, float]]:
        out: list[tuple[date, str, float]] = []
        spec = EQUITY_BY_SYMBOL[symbol]
        now = self.market.clock.now().timestamp()
        for exp in self.market.catalog.option_chain(symbol):
            years = max(0.0, (exp.expires_at.timestamp() - now) / (365.25 * 86400))
            out.append(
                (exp.expiration_date, exp.settlement_type, smile(spec.vol, spot, spot, years))
            )
        return out

    async def dividends(self, request: Request) -> Response:
        spec = EQUITY_BY_SYMBOL.get(request.path_params["symbol"])
        if spec is None:
            return not_found("Symbol")
        return items_response(request, corporate.dividends(spec, self.market.catalog.today))

    async def earnings(self, request: Request) -> Response:
        spec = EQUITY_BY_SYMBOL.get(request.path_params["symbol"])
        if spec is None:
            return not_found("Symbol")
        today = self.market.catalog.today
        try:
            start = date.fromisoformat(request.query_params["start-date"])
            end_text = request.query_params.get("end-date")
            end = date.fromisoformat(end_text) if end_text else today
        except KeyError:
            return error_response(400, "invalid_parameter", "start-date is required")
        except ValueError:
            return error_response(400, "invalid_parameter", "dates must be YYYY-MM-DD")
        return items_response(request, corporate.earnings(spec, start, min(end, today)))

    # ------------------------------------------------------------------ sessions
    def _session_wire(self, collection: str, at: datetime | None = None) -> dict[str, Any]:
        now = at or self.market.clock.now()
        current = sessions.current_session(collection, now)
        nxt = sessions.next_session(collection, current.session_date)
        prev = sessions.previous_session(collection, current.session_date)
        wire = _session_info(current)
        wire["state"] = sessions.session_state(collection, now)
        wire["next-session"] = _session_info(nxt)
        wire["previous-session"] = _session_info(prev)
        return wire

    async def sessions_current(self, request: Request) -> Response:
        wanted = request.query_params.getlist(
            "instrument-collections[]"
        ) or request.query_params.getlist("instrument-collections")
        collections = [c for c in wanted if c in sessions.COLLECTIONS] or [
            sessions.EQUITY,
            sessions.CME,
        ]
        return items_response(request, [self._session_wire(c) for c in collections])

    async def sessions_range(self, request: Request) -> Response:
        collection = request.query_params.get("instrument-collection", sessions.EQUITY)
        if collection not in sessions.COLLECTIONS:
            return error_response(400, "invalid_parameter", "unknown instrument-collection")
        today = self.market.catalog.today
        try:
            start = date.fromisoformat(request.query_params.get("from-date", today.isoformat()))
            end = date.fromisoformat(request.query_params.get("to-date", start.isoformat()))
        except ValueError:
            return error_response(400, "invalid_parameter", "dates must be YYYY-MM-DD")
        items: list[dict[str, Any]] = []
        day = start
        while day <= end and len(items) < 400:
            session = sessions.session_for(collection, day)
            if session is not None:
                items.append(_session_info(session))
            day += timedelta(days=1)
        return items_response(request, items)

    async def equity_session(self, request: Request) -> Response:
        which = request.path_params["which"]
        return self._relative_session(request, sessions.EQUITY, which, timed=True)

    async def futures_session(self, request: Request) -> Response:
        which = request.path_params["which"]
        collection = request.path_params.get("collection", sessions.CME)
        if collection not in (sessions.CME, "CFE", "Smalls"):
            return not_found("Instrument collection")
        return self._relative_session(request, sessions.CME, which, timed=False)

    def _relative_session(
        self, request: Request, collection: str, which: str, *, timed: bool
    ) -> Response:
        """``current`` (at ``current-time`` where the route takes it, else the clock's now),
        ``next`` (the first session after ``date``) and ``previous`` (the last one before it);
        without ``date`` both are relative to the current session."""
        if which not in ("current", "next", "previous"):
            return not_found("Session")
        try:
            if which == "current":
                at = _query_time(request, "current-time") if timed else None
                return data_response(request, self._session_wire(collection, at))
            day = _query_date(request, "date")
        except ValueError as exc:
            return error_response(400, "invalid_parameter", str(exc))
        if day is None:
            day = sessions.current_session(collection, self.market.clock.now()).session_date
        if which == "next":
            return data_response(request, _session_info(sessions.next_session(collection, day)))
        return data_response(request, _session_info(sessions.previous_session(collection, day)))

    async def holidays(self, request: Request) -> Response:
        year = self.market.catalog.today.year
        holidays = sorted(sessions.market_holidays(year) | sessions.market_holidays(year + 1))
        halves = sorted(sessions.market_half_days(year) | sessions.market_half_days(year + 1))
        data: dict[str, Any] = {
            "market-half-days": [d.isoformat() for d in halves],
            "market-holidays": [d.isoformat() for d in holidays],
        }
        if "collection" in request.path_params:
            data["instrument-collection"] = request.path_params["collection"]
        return data_response(request, data)

    def routes(self) -> list[BaseRoute]:
        r = self
        return [
            Route("/market-data/by-type", r.by_type),
            Route("/market-data/{kind}/{symbol:path}", r.by_symbol),
            Route("/market-metrics", r.metrics),
            Route("/market-metrics/historic-corporate-events/dividends/{symbol:path}", r.dividends),
            Route(
                "/market-metrics/historic-corporate-events/earnings-reports/{symbol:path}",
                r.earnings,
            ),
            Route("/market-time/sessions/current", r.sessions_current),
            Route("/market-time/sessions", r.sessions_range),
            Route("/market-time/equities/sessions/{which}", r.equity_session),
            Route("/market-time/equities/holidays", r.holidays),
            Route("/market-time/futures/sessions/{which}", r.futures_session),
            Route("/market-time/futures/sessions/{which}/{collection}", r.futures_session),
            Route("/market-time/futures/holidays/{collection}", r.holidays),
        ]


def _session_info(session: sessions.Session) -> dict[str, Any]:
    return {
        "instrument-collection": session.collection,
        "session-date": session.session_date.isoformat(),
        "start-at": iso(session.start_at),
        "open-at": iso(session.open_at),
        "close-at": iso(session.close_at),
        "close-at-ext": iso(session.close_at_ext),
    }


def _query_date(request: Request, name: str) -> date | None:
    """An optional ``YYYY-MM-DD`` query parameter; ``ValueError`` names it when malformed."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} must be a date (YYYY-MM-DD), got {text!r}") from None


def _query_time(request: Request, name: str) -> datetime | None:
    """An optional ISO-8601 date-time query parameter (``Z`` or an offset; none means UTC).

    A ``+`` offset sent unencoded arrives as a space; it is read back as the ``+`` it was."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    candidate = text.strip()
    if " " in candidate and "T" in candidate:
        candidate = candidate.replace(" ", "+")
    try:
        if not _ISO_DATE.match(candidate) or len(candidate) < 16 or candidate[10] not in "T ":
            raise ValueError(candidate)
        value = datetime.fromisoformat(candidate)
    except ValueError:
        raise ValueError(f"{name} must be an ISO-8601 date-time, got {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def market_routes(market: Market) -> list[BaseRoute]:
    """Every market-side REST route (mount at the app root)."""
    return [*InstrumentRoutes(market.catalog).routes(), *MarketRoutes(market).routes()]


__all__ = ["MAX_BY_TYPE", "MarketRoutes", "market_data_wire", "market_routes"]
