"""The instrument catalogue: every listed instrument, by order symbol or streamer symbol.

Listings depend on the trading date (option expirations, futures months), so the catalogue
follows the clock and rebuilds its per-day indexes lazily when the date changes. Equity option
chains are generated per underlying on first use; everything is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sandbox.clock import CHICAGO, CME, CRYPTO, EQUITY, SimClock
from sandbox.instruments import crypto as crypto_mod
from sandbox.instruments import equities as equity_mod
from sandbox.instruments.future_options import fop_expirations, fop_wire
from sandbox.instruments.futures import Contract, FopExpiration, contracts, future_wire
from sandbox.instruments.info import InstrumentInfo
from sandbox.instruments.options import Expiration, chain, option_wire
from sandbox.instruments.specs import (
    CRYPTO_BY_SYMBOL,
    CRYPTOS,
    CURRENCY_PAIRS,
    EQUITIES,
    EQUITY_BY_SYMBOL,
    FUTURES,
    WARRANTS,
    EquitySpec,
    FutureSpec,
)
from sandbox.instruments.symbology import (
    OptionKey,
    occ_symbol,
    option_streamer_symbol,
    parse_occ,
    parse_option_streamer,
)

INSTRUMENT_TYPES = (
    "Equity",
    "Index",
    "Equity Option",
    "Future",
    "Future Option",
    "Cryptocurrency",
    "Warrant",
    "Currency Pair",
)


@dataclass
class _Day:
    today: date
    chains: dict[str, list[Expiration]]
    futures: dict[str, list[Contract]]  # product code → listed contracts
    future_by_symbol: dict[str, Contract]
    fops: dict[str, list[FopExpiration]]
    fop_by_symbol: dict[str, tuple[FopExpiration, str, Decimal]]
    streamer_to_symbol: dict[str, str]


_ROOT_TO_UNDERLYING = {root: spec.symbol for spec in EQUITIES for root in spec.option_roots}


class Catalog:
    """Deterministic listing of the simulated venue, relative to ``clock``'s trading date."""

    def __init__(
        self, clock: SimClock, reference: Callable[[str, date], float] | None = None
    ) -> None:
        """``reference(underlying or product code, day)`` centres the day's strikes."""
        self._clock = clock
        self._reference = reference
        self._day: _Day | None = None

    # ------------------------------------------------------------------ contract
    def instrument(self, symbol: str) -> InstrumentInfo | None:
        day = self._current()
        symbol = day.streamer_to_symbol.get(symbol, symbol)
        if symbol in EQUITY_BY_SYMBOL:
            return equity_mod.info(EQUITY_BY_SYMBOL[symbol])
        if symbol in CRYPTO_BY_SYMBOL:
            return crypto_mod.info(CRYPTO_BY_SYMBOL[symbol])
        if symbol.endswith(":CXTALP") and symbol[:-7] in CRYPTO_BY_SYMBOL:
            return crypto_mod.info(CRYPTO_BY_SYMBOL[symbol[:-7]])
        if symbol in equity_mod.WARRANT_SYMBOLS:
            return equity_mod.warrant_info(symbol)
        if symbol in crypto_mod.PAIR_SYMBOLS or symbol in crypto_mod.PAIR_DX:
            return crypto_mod.pair_info(crypto_mod.PAIR_DX.get(symbol, symbol))
        if symbol in day.future_by_symbol:
            return _future_info(day.future_by_symbol[symbol])
        if symbol in day.fop_by_symbol:
            exp, option_type, strike = day.fop_by_symbol[symbol]
            return _fop_info(exp, option_type, strike)
        key = parse_occ(symbol) or parse_option_streamer(symbol)
        if key is not None:
            found = self._find_option(day, key)
            if found is not None:
                return _option_info(found, key)
        return None

    def wire(self, symbol: str) -> dict[str, Any] | None:
        info = self.instrument(symbol)
        if info is None:
            return None
        day = self._current()
        kind = info.instrument_type
        if kind in ("Equity", "Index"):
            return equity_mod.equity_wire(EQUITY_BY_SYMBOL[info.symbol])
        if kind == "Warrant":
            return equity_mod.warrant_wire(info.symbol)
        if kind == "Cryptocurrency":
            return crypto_mod.crypto_wire(CRYPTO_BY_SYMBOL[info.symbol])
        if kind == "Currency Pair":
            return crypto_mod.pair_wire(info.symbol)
        if kind == "Future":
            contract = day.future_by_symbol[info.symbol]
            return future_wire(contract, day.futures[contract.spec.code], day.today)
        if kind == "Future Option":
            exp, option_type, strike = day.fop_by_symbol[info.symbol]
            return fop_wire(exp, option_type, strike, day.today)
        key = parse_occ(info.symbol)
        found = None if key is None else self._find_option(day, key)
        if key is None or found is None:
            return None
        return option_wire(found, key.option_type, key.strike, day.today)

    def symbols(self, instrument_type: str | None = None) -> list[str]:
        day = self._current()
        out: list[str] = []
        want = (lambda t: True) if instrument_type is None else (lambda t: t == instrument_type)
        for spec in EQUITIES:
            if want("Index" if spec.is_index else "Equity"):
                out.append(spec.symbol)
        if want("Warrant"):
            out.extend(equity_mod.WARRANT_SYMBOLS)
        if want("Cryptocurrency"):
            out.extend(spec.symbol for spec in CRYPTOS)
        if want("Currency Pair"):
            out.extend(crypto_mod.PAIR_SYMBOLS)
        if want("Future"):
            out.extend(day.future_by_symbol)
        if want("Future Option"):
            out.extend(day.fop_by_symbol)
        if want("Equity Option"):
            for spec in EQUITIES:
                for exp in self.option_chain(spec.symbol):
                    for strike in exp.strikes:
                        for option_type in ("C", "P"):
                            out.append(_occ(exp, option_type, strike))
        return out

    # ------------------------------------------------------------------ extras
    @property
    def today(self) -> date:
        return self._current().today

    def equity_specs(self) -> tuple[EquitySpec, ...]:
        return EQUITIES

    def future_specs(self) -> tuple[FutureSpec, ...]:
        return FUTURES

    def option_chain(self, underlying: str) -> list[Expiration]:
        """Listed expirations of an equity/index underlying (all roots); ``[]`` if none."""
        day = self._current()
        spec = EQUITY_BY_SYMBOL.get(underlying)
        if spec is None:
            return []
        if underlying not in day.chains:
            day.chains[underlying] = chain(spec, day.today, self._center(underlying, day.today))
        return day.chains[underlying]

    def futures(self, code: str) -> list[Contract]:
        return self._current().futures.get(code, [])

    def future_option_chain(self, code: str) -> list[FopExpiration]:
        return self._current().fops.get(code, [])

    def streamer_symbol(self, symbol: str) -> str | None:
        info = self.instrument(symbol)
        return None if info is None else info.streamer_symbol

    # ------------------------------------------------------------------ internals
    def _current(self) -> _Day:
        today = self._clock.now().astimezone(CHICAGO).date()
        if self._day is None or self._day.today != today:
            self._day = _build_day(today, self._center)
        return self._day

    def _center(self, name: str, day: date) -> float | None:
        return None if self._reference is None else self._reference(name, day)

    def _find_option(self, day: _Day, key: OptionKey) -> Expiration | None:
        underlying = _ROOT_TO_UNDERLYING.get(key.root)
        if underlying is None:
            return None
        for exp in self.option_chain(underlying):
            if exp.root == key.root and exp.expiration_date == key.expiry:
                return exp if key.strike in exp.strikes else None
        return None


def _build_day(today: date, center: Callable[[str, date], float | None]) -> _Day:
    futures: dict[str, list[Contract]] = {}
    by_symbol: dict[str, Contract] = {}
    fops: dict[str, list[FopExpiration]] = {}
    fop_by_symbol: dict[str, tuple[FopExpiration, str, Decimal]] = {}
    streamer: dict[str, str] = {}
    for spec in FUTURES:
        listed = contracts(spec, today)
        futures[spec.code] = listed
        for contract in listed:
            by_symbol[contract.symbol] = contract
            streamer[contract.streamer_symbol] = contract.symbol
        exps = fop_expirations(spec, listed, today, center(spec.code, today))
        fops[spec.code] = exps
        for exp in exps:
            for strike in exp.strikes:
                for option_type in ("C", "P"):
                    symbol = exp.symbol(option_type, strike)
                    fop_by_symbol[symbol] = (exp, option_type, strike)
                    streamer[exp.streamer_symbol(option_type, strike)] = symbol
    return _Day(today, {}, futures, by_symbol, fops, fop_by_symbol, streamer)


def _occ(exp: Expiration, option_type: str, strike: Decimal) -> str:
    return occ_symbol(exp.root, exp.expiration_date, option_type, strike)


def _option_info(exp: Expiration, key: OptionKey) -> InstrumentInfo:
    spec = EQUITY_BY_SYMBOL[exp.underlying]
    return InstrumentInfo(
        symbol=_occ(exp, key.option_type, key.strike),
        instrument_type="Equity Option",
        underlying_symbol=exp.underlying,
        streamer_symbol=option_streamer_symbol(
            exp.root, exp.expiration_date, key.option_type, key.strike
        ),
        multiplier=Decimal(100),
        tick_size=Decimal("0.05") if spec.is_index else Decimal("0.01"),
        expires_at=exp.expires_at,
        is_fractional=False,
        is_index=False,
        description=f"{exp.underlying} {exp.expiration_date:%m/%d/%y} {key.strike.normalize():f} {'Call' if key.option_type == 'C' else 'Put'}",
        market_collection=EQUITY,
        strike=key.strike,
        option_type=key.option_type,
        exercise_style=exp.exercise_style,
        root_symbol=exp.root,
    )


def _future_info(contract: Contract) -> InstrumentInfo:
    spec = contract.spec
    return InstrumentInfo(
        symbol=contract.symbol,
        instrument_type="Future",
        underlying_symbol=f"/{spec.code}",
        streamer_symbol=contract.streamer_symbol,
        multiplier=spec.multiplier,
        tick_size=spec.tick_size,
        expires_at=contract.expires_at,
        is_fractional=False,
        is_index=False,
        description=f"{spec.description} {contract.last_trade:%B %Y}",
        market_collection=CME,
        root_symbol=f"/{spec.code}",
    )


def _fop_info(exp: FopExpiration, option_type: str, strike: Decimal) -> InstrumentInfo:
    spec = exp.spec
    first_tick = spec.option_tick_sizes[0][1]
    return InstrumentInfo(
        symbol=exp.symbol(option_type, strike),
        instrument_type="Future Option",
        underlying_symbol=exp.future.symbol,
        streamer_symbol=exp.streamer_symbol(option_type, strike),
        multiplier=spec.multiplier,
        tick_size=Decimal(first_tick),
        expires_at=exp.expires_at,
        is_fractional=False,
        is_index=False,
        description=f"{spec.description} {exp.contract_code} {strike.normalize():f} {'Call' if option_type == 'C' else 'Put'}",
        market_collection=CME,
        strike=strike,
        option_type=option_type,
        exercise_style="American",
        root_symbol=exp.product.code,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


__all__ = ["CRYPTO", "CURRENCY_PAIRS", "INSTRUMENT_TYPES", "WARRANTS", "Catalog", "InstrumentInfo"]
