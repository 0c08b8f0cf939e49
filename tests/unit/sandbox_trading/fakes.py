"""A tiny market that satisfies ``sandbox.venue.MarketLike``: fixed, settable books."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.clock import SimClock

OPEN_TIME = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # a Wednesday, mid-session


class FakeClock(SimClock):
    """The sandbox's own clock (with its range checks), frozen at ``OPEN_TIME`` by default."""

    def __init__(self, start: datetime | None = None, speed: float = 0.0) -> None:
        super().__init__(start or OPEN_TIME, speed)


@dataclass(frozen=True)
class FakeInstrument:
    symbol: str
    instrument_type: str
    underlying_symbol: str
    streamer_symbol: str
    multiplier: Decimal
    tick_size: Decimal
    expires_at: datetime | None
    is_fractional: bool
    is_index: bool
    description: str
    market_collection: str


@dataclass(frozen=True)
class FakeBook:
    symbol: str
    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal
    last: Decimal
    mark: Decimal
    ts_ms: int


def _inst(
    symbol: str, itype: str, und: str, mult: str, coll: str = "Equity", **kw: Any
) -> FakeInstrument:
    return FakeInstrument(
        symbol=symbol,
        instrument_type=itype,
        underlying_symbol=und,
        streamer_symbol=kw.get("streamer", symbol),
        multiplier=Decimal(mult),
        tick_size=Decimal(kw.get("tick", "0.01")),
        expires_at=kw.get("expires_at"),
        is_fractional=kw.get("fractional", False),
        is_index=False,
        description=f"{symbol} (fake)",
        market_collection=coll,
    )


SPY_CALL = "SPY   261218C00600000"
SPY_CALL_2 = "SPY   261218C00610000"
EXPIRED_CALL = "SPY   250117C00500000"
INSTRUMENTS = {
    i.symbol: i
    for i in (
        _inst("AAPL", "Equity", "AAPL", "1", fractional=True),
        _inst("SPY", "Equity", "SPY", "1"),
        _inst(
            SPY_CALL,
            "Equity Option",
            "SPY",
            "100",
            streamer=".SPY261218C600",
            expires_at=datetime(2026, 12, 18, 21, 15, tzinfo=UTC),
        ),
        _inst(
            SPY_CALL_2,
            "Equity Option",
            "SPY",
            "100",
            streamer=".SPY261218C610",
            expires_at=datetime(2026, 12, 18, 21, 15, tzinfo=UTC),
        ),
        _inst(
            EXPIRED_CALL,
            "Equity Option",
            "SPY",
            "100",
            streamer=".SPY250117C500",
            expires_at=datetime(2025, 1, 17, 21, 15, tzinfo=UTC),
        ),
        _inst("/ESZ6", "Future", "/ES", "50", coll="CME", tick="0.25", streamer="/ESZ26:XCME"),
        _inst(
            "BTC/USD",
            "Cryptocurrency",
            "BTC/USD",
            "1",
            coll="Cryptocurrency",
            streamer="BTC/USD:CXTALP",
            fractional=True,
        ),
    )
}
PRICES = {
    "AAPL": ("199.99", "200.01"),
    "SPY": ("599.98", "600.02"),
    SPY_CALL: ("10.10", "10.30"),
    SPY_CALL_2: ("6.00", "6.20"),
    EXPIRED_CALL: ("0.00", "0.05"),
    "/ESZ6": ("6000.00", "6000.25"),
    "BTC/USD": ("90000.00", "90010.00"),
}


class FakeCatalog:
    def instrument(self, symbol: str) -> FakeInstrument | None:
        if symbol in INSTRUMENTS:
            return INSTRUMENTS[symbol]
        return next((i for i in INSTRUMENTS.values() if i.streamer_symbol == symbol), None)

    def wire(self, symbol: str) -> dict[str, Any] | None:
        inst = self.instrument(symbol)
        if inst is None:
            return None
        return {"symbol": inst.symbol, "instrument-type": inst.instrument_type}

    def symbols(self, instrument_type: str | None = None) -> list[str]:
        return [s for s, i in INSTRUMENTS.items() if instrument_type in (None, i.instrument_type)]


class FakeMarket:
    def __init__(self, seed: int = 42, clock: FakeClock | None = None, size: str = "500") -> None:
        self.clock = clock or FakeClock()
        self.catalog = FakeCatalog()
        self.session = "Open"
        self._paused: set[str] = set()
        self._listeners: list[Callable[[str], None]] = []
        self._books: dict[str, FakeBook] = {}
        for symbol, (bid, ask) in PRICES.items():
            b, a = Decimal(bid), Decimal(ask)
            self._books[symbol] = FakeBook(
                symbol, b, a, Decimal(size), Decimal(size), a, (a + b) / 2, 0
            )

    def book(self, symbol: str) -> FakeBook:
        inst = self.catalog.instrument(symbol)
        if inst is None:
            raise KeyError(symbol)
        return self._books[inst.symbol]

    def set_book(
        self, symbol: str, bid: str, ask: str, size: str | None = None, last: str | None = None
    ) -> None:
        old = self._books[symbol]
        b, a = Decimal(bid), Decimal(ask)
        sz = Decimal(size) if size is not None else old.ask_size
        self._books[symbol] = replace(
            old,
            bid=b,
            ask=a,
            bid_size=sz,
            ask_size=sz,
            last=Decimal(last) if last else a,
            mark=(a + b) / 2,
        )
        for listener in list(self._listeners):
            listener(symbol)

    def session_state(self, market_collection: str) -> str:
        return "Open" if market_collection == "Cryptocurrency" else self.session

    def is_paused(self, symbol: str) -> bool:
        return symbol in self._paused

    def pause(self, symbol: str, paused: bool = True) -> None:
        (self._paused.add if paused else self._paused.discard)(symbol)

    def add_listener(self, callback: Callable[[str], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    async def run(self) -> None:
        await asyncio.Event().wait()
