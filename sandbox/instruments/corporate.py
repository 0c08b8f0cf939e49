"""Deterministic corporate data: dividend and earnings history, market metrics per symbol."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.instruments.options import third_friday
from sandbox.instruments.specs import EquitySpec
from sandbox.pricing import key_of, uniform


def _q(value: float, places: int = 4) -> str:
    return f"{Decimal(f'{value:.{places}f}').normalize():f}" if math.isfinite(value) else "0"


def dividend_amount(spec: EquitySpec) -> float:
    if spec.dividend_yield <= 0 or spec.is_index:
        return 0.0
    return round(spec.price * spec.dividend_yield / spec.dividend_frequency, 4)


def dividends(spec: EquitySpec, today: date, years: int = 5) -> list[dict[str, str]]:
    """Ex-dividend history, newest first (``occurred-date``, ``amount``)."""
    amount = dividend_amount(spec)
    if amount <= 0:
        return []
    every = 12 // spec.dividend_frequency
    out: list[dict[str, str]] = []
    key = key_of(0, f"div:{spec.symbol}")
    for n in range(spec.dividend_frequency * years):
        idx = today.year * 12 + today.month - 1 - n * every
        year, month = idx // 12, idx % 12 + 1
        day = third_friday(year, month) - timedelta(days=7)
        if day >= today:
            continue
        growth = (1.0 + 0.06) ** (-(n // spec.dividend_frequency))
        value = amount * growth * (0.98 + 0.04 * uniform(key, n))
        out.append({"occurred-date": day.isoformat(), "amount": _q(value)})
    return out


def next_dividend(spec: EquitySpec, today: date) -> tuple[date, date] | None:
    """(next ex-date, pay date) for dividend payers."""
    if dividend_amount(spec) <= 0:
        return None
    every = 12 // spec.dividend_frequency
    for n in range(13):
        idx = today.year * 12 + today.month - 1 + n
        year, month = idx // 12, idx % 12 + 1
        if month % every:
            continue
        ex = third_friday(year, month) - timedelta(days=7)
        if ex >= today:
            return ex, ex + timedelta(days=14)
    return None


def _eps(spec: EquitySpec, quarter: int) -> float:
    base = spec.price / 30.0 / 4.0
    return base * (0.85 + 0.3 * uniform(key_of(0, f"eps:{spec.symbol}"), quarter))


def earnings(spec: EquitySpec, start: date, end: date) -> list[dict[str, str]]:
    """Quarterly earnings reports between ``start`` and ``end`` (``occurred-date``, ``eps``)."""
    if spec.is_etf or spec.is_index:
        return []
    out: list[dict[str, str]] = []
    for year in range(start.year - 1, end.year + 1):
        for month in (1, 4, 7, 10):
            day = date(year, month, 24 + (sum(map(ord, spec.symbol)) % 7))
            if start <= day <= end:
                out.append(
                    {
                        "occurred-date": day.isoformat(),
                        "eps": _q(_eps(spec, year * 4 + month // 3), 2),
                    }
                )
    return out


def _next_earnings(spec: EquitySpec, today: date) -> date:
    for n in range(5):
        idx = today.year * 12 + today.month - 1 + n
        year, month = idx // 12, idx % 12 + 1
        if month in (1, 4, 7, 10):
            day = date(year, month, 24 + (sum(map(ord, spec.symbol)) % 7))
            if day >= today:
                return day
    return today + timedelta(days=90)


def metrics(
    spec: EquitySpec,
    today: date,
    now: datetime,
    price: float,
    expirations: list[tuple[date, str, float]],
) -> dict[str, Any]:
    """A ``MarketMetricInfo`` object; ``expirations`` = (date, settlement, ATM implied vol)."""
    key = key_of(0, f"metrics:{spec.symbol}:{today.isoformat()}")
    ivx = spec.vol * (0.9 + 0.25 * uniform(key, 1))
    rank = uniform(key, 2)
    hv30 = spec.vol * (0.8 + 0.3 * uniform(key, 3))
    stamp = now.astimezone(UTC).isoformat(timespec="milliseconds")
    wire: dict[str, Any] = {
        "symbol": spec.symbol,
        "implied-volatility-index": _q(ivx, 6),
        "implied-volatility-index-5-day-change": _q((uniform(key, 4) - 0.5) * 0.04, 6),
        "implied-volatility-index-rank": _q(rank, 6),
        "tos-implied-volatility-index-rank": _q(rank, 6),
        "tw-implied-volatility-index-rank": _q(min(1.0, rank * 1.1), 6),
        "tos-implied-volatility-index-rank-updated-at": stamp,
        "implied-volatility-index-rank-source": "tos",
        "implied-volatility-percentile": _q(min(1.0, rank * 1.2), 6),
        "implied-volatility-updated-at": stamp,
        "implied-volatility-30-day": _q(ivx * 100, 2),
        "historical-volatility-30-day": _q(hv30 * 100, 2),
        "historical-volatility-60-day": _q(spec.vol * 100 * (0.85 + 0.2 * uniform(key, 5)), 2),
        "historical-volatility-90-day": _q(spec.vol * 100 * (0.9 + 0.2 * uniform(key, 6)), 2),
        "iv-hv-30-day-difference": _q((ivx - hv30) * 100, 2),
        "liquidity-rating": 1 + int(min(4, math.log10(max(10.0, spec.adv or 1e7)) - 5)),
        "liquidity-value": _q(0.01 + uniform(key, 7) * 0.1, 6),
        "liquidity-rank": _q(uniform(key, 8), 6),
        "liquidity-running-state": {
            "sum": _q(uniform(key, 9) * 10, 6),
            "count": 390,
            "started-at": stamp,
        },
        "option-expiration-implied-volatilities": [
            {
                "expiration-date": d.isoformat(),
                "settlement-type": settlement,
                "option-chain-type": "Standard",
                "implied-volatility": _q(iv, 6),
            }
            for d, settlement, iv in expirations
        ],
        "beta": _q(spec.beta, 6),
        "beta-updated-at": stamp,
        "corr-spy-3month": _q(max(-1.0, min(1.0, spec.beta * 0.6)), 2),
        "market-cap": spec.market_cap,
        "lendability": "Easy To Borrow",
        "borrow-rate": "0.0",
        "listed-market": spec.listed_market,
        "updated-at": stamp,
        "created-at": stamp,
    }
    if spec.sector:
        wire["sector"] = spec.sector
    if spec.industry:
        wire["industry"] = spec.industry
    amount = dividend_amount(spec)
    if amount > 0:
        nxt = next_dividend(spec, today)
        wire.update(
            {
                "dividend-rate-per-share": _q(amount),
                "annual-dividend-per-share": _q(amount * spec.dividend_frequency),
                "dividend-yield": _q(spec.dividend_yield, 6),
                "dividend-updated-at": stamp,
            }
        )
        if nxt is not None:
            wire["dividend-ex-date"] = nxt[0].isoformat()
            wire["dividend-next-date"] = nxt[0].isoformat()
            wire["dividend-pay-date"] = nxt[1].isoformat()
    if not (spec.is_etf or spec.is_index):
        eps = _eps(spec, today.year * 4 + today.month // 3) * 4
        wire["earnings-per-share"] = _q(eps, 2)
        wire["price-earnings-ratio"] = _q(price / eps if eps else 0.0, 2)
        report = _next_earnings(spec, today)
        wire["earnings"] = {
            "visible": True,
            "expected-report-date": report.isoformat(),
            "estimated": True,
            "late-flag": 0,
            "quarter-end-date": (report.replace(day=1) - timedelta(days=1)).isoformat(),
            "time-of-day": "AMC",
            "actual-eps": _q(eps / 4, 2),
            "consensus-estimate": _q(eps / 4 * 0.97, 2),
            "updated-at": stamp,
        }
    return wire


__all__ = ["dividend_amount", "dividends", "earnings", "metrics", "next_dividend"]
