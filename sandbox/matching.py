"""Matching an order against the market's books: pure functions, no state.

* Market (and triggered Stop): fills at the touch — buys at the ask, sells at the bid.
* Limit (and triggered Stop Limit): fills when marketable, at the touch (price improvement):
  the natural net price ``Σ ratio × (ask for buys, −bid for sells)`` must be ≤ a debit limit,
  or its negation ≥ a credit limit.
* Size: a fill never exceeds the displayed size on any leg's side of the book, so orders larger
  than the book fill partially over successive book updates.
* Stops trigger on the last price: buy stops at ``last ≥ stop-trigger``, sell stops at
  ``last ≤ stop-trigger``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from sandbox.orders import Order
from sandbox.venue import BookLike

ZERO = Decimal(0)
CRYPTO_PRECISION = Decimal("0.00000001")
FRACTIONAL_PRECISION = Decimal("0.00001")


@dataclass(frozen=True)
class FillPlan:
    units: Decimal
    prices: dict[str, Decimal]  # leg symbol -> fill price
    quantities: dict[str, Decimal]  # leg symbol -> quantity filled


@dataclass(frozen=True)
class DepletedBook:
    """A book whose displayed size was (partly) taken by earlier fills."""

    symbol: str
    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal
    last: Decimal
    mark: Decimal
    ts_ms: int


def signature(book: BookLike) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal, int]:
    return (book.bid, book.ask, book.bid_size, book.ask_size, book.last, book.ts_ms)


def deplete(book: BookLike, bid_taken: Decimal, ask_taken: Decimal) -> DepletedBook:
    return DepletedBook(
        book.symbol,
        book.bid,
        book.ask,
        max(ZERO, book.bid_size - bid_taken),
        max(ZERO, book.ask_size - ask_taken),
        book.last,
        book.mark,
        book.ts_ms,
    )


def usable(book: BookLike) -> bool:
    return book.bid.is_finite() and book.ask.is_finite() and book.ask > 0 and book.bid >= 0


def stop_triggered(order: Order, book: BookLike) -> bool:
    if order.stop_trigger is None:
        return True
    last = book.last if book.last.is_finite() and book.last > 0 else book.mark
    if order.legs[0].is_buy:
        return last >= order.stop_trigger
    return last <= order.stop_trigger


def natural_debit(order: Order, books: dict[str, BookLike]) -> Decimal:
    """Net price per unit if every leg crossed the spread (positive = you pay)."""
    total = ZERO
    for leg in order.legs:
        book = books[leg.symbol]
        ratio = order.ratio(leg)
        total += ratio * book.ask if leg.is_buy else -ratio * book.bid
    return total


def marketable(order: Order, books: dict[str, BookLike]) -> bool:
    if order.order_type in ("Market", "Stop", "Notional Market"):
        return True
    if order.price is None:
        return False
    debit = natural_debit(order, books)
    if order.price_effect == "Credit":
        return -debit >= order.price
    return debit <= order.price


def plan_fill(
    order: Order, books: dict[str, BookLike], *, fractional: bool, cap_units: Decimal | None = None
) -> FillPlan | None:
    """What fills now, or ``None``. ``cap_units`` limits the units (partial-fill behaviour)."""
    if any(not usable(books[leg.symbol]) for leg in order.legs):
        return None
    if not marketable(order, books):
        return None
    prices = {
        leg.symbol: books[leg.symbol].ask if leg.is_buy else books[leg.symbol].bid
        for leg in order.legs
    }
    if order.order_type == "Notional Market":
        leg = order.legs[0]
        price = prices[leg.symbol]
        if order.value is None or price <= 0:
            return None
        qty = (order.value / price).quantize(CRYPTO_PRECISION, rounding=ROUND_DOWN)
        return FillPlan(Decimal(1), prices, {leg.symbol: qty}) if qty > 0 else None
    units = order.remaining_units
    for leg in order.legs:
        book = books[leg.symbol]
        size = book.ask_size if leg.is_buy else book.bid_size
        units = min(units, size / order.ratio(leg))
    if cap_units is not None:
        units = min(units, cap_units)
    units = units.quantize(CRYPTO_PRECISION if fractional else Decimal(1), rounding=ROUND_DOWN)
    if units <= 0:
        return None
    quantities = {leg.symbol: units * order.ratio(leg) for leg in order.legs}
    return FillPlan(units, prices, quantities)


def estimate_prices(order: Order, books: dict[str, BookLike]) -> dict[str, Decimal]:
    """Prices used for buying-power estimates: the limit for single legs, else the touch."""
    out: dict[str, Decimal] = {}
    for leg in order.legs:
        book = books.get(leg.symbol)
        if book is None or not usable(book):
            price = order.price or ZERO
        else:
            price = book.ask if leg.is_buy else book.bid
        if len(order.legs) == 1 and order.price is not None:
            price = order.price
        out[leg.symbol] = price
    return out


__all__ = [
    "DepletedBook",
    "FillPlan",
    "deplete",
    "estimate_prices",
    "marketable",
    "natural_debit",
    "plan_fill",
    "signature",
    "stop_triggered",
    "usable",
]
