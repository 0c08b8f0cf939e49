"""What to stream: configured symbols resolved to streamer symbols, option chains expanded,
and a watchlist file that can change while the ingestor runs.

Entries: equities/ETFs/indices (``SPY``, ``SPX``), futures contracts or products (``/ESZ5`` or
``/ES`` = the active month), crypto pairs (``BTC/USD``), option chains (``SPY:2`` = the nearest
two expirations; also as ``TT_OPTION_CHAINS``). Unknown entries are reported and skipped —
never silently streamed under a wrong symbol.

:func:`resolve` sorts every entry into exactly one outcome: found (``found``, by entry),
unknown (``unresolved``: 404, no streamer symbol, or another answer retrying cannot change),
or not resolvable *now* (``failed``: 429/5xx/timeouts after the session's retries; the caller
keeps what it streams and tries again). An authentication failure is none of these: it is
raised, because no symbol can resolve with credentials the API refuses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from adapters.tastytrade.errors import AuthError, NotFound, TastytradeError
from adapters.tastytrade.rest import Rest
from adapters.tastytrade.symbols import occ_to_streamer
from ingest.normalize import SymbolInfo

logger = logging.getLogger(__name__)

OPTION_EVENTS = frozenset({"Quote", "Trade", "Summary", "Greeks", "TheoPrice"})
UNDERLYING_ONLY = frozenset({"Greeks", "TheoPrice"})


@dataclass
class Resolved:
    """Streamer symbol → what it is, split into underlyings and option contracts."""

    underlyings: dict[str, SymbolInfo] = field(default_factory=dict)
    options: dict[str, SymbolInfo] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    #: entry (``SPY``, ``SPY:2``) → the error that kept it from resolving now (retriable)
    failed: dict[str, TastytradeError] = field(default_factory=dict)
    #: entry → the streamer symbols it resolved to
    found: dict[str, dict[str, SymbolInfo]] = field(default_factory=dict)

    @property
    def all(self) -> dict[str, SymbolInfo]:
        return {**self.underlyings, **self.options}

    def add(self, entry: str, symbols: dict[str, SymbolInfo], *, options: bool) -> None:
        self.found[entry] = symbols
        (self.options if options else self.underlyings).update(symbols)

    @classmethod
    def merge(cls, found: dict[str, dict[str, SymbolInfo]]) -> Resolved:
        """The resolution of several entries' last known results (chain entries hold ``:``)."""
        out = cls()
        for entry, symbols in found.items():
            out.add(entry, symbols, options=is_chain(entry))
        return out


def chain_entry(underlying: str, expirations: int) -> str:
    """How a chain is named among entries: ``SPY:2``."""
    return f"{underlying}:{expirations}"


def is_chain(entry: str) -> bool:
    head, sep, tail = entry.rpartition(":")
    return bool(sep and tail.isdigit() and head and not head.startswith("/"))


def split_chain(entry: str) -> tuple[str, int]:
    """``SPY:2`` → (``SPY``, 2); only for entries where :func:`is_chain` holds."""
    head, _, tail = entry.rpartition(":")
    return head.upper(), int(tail)


def parse_entries(
    symbols: Iterable[str], option_chains: Iterable[str]
) -> tuple[list[str], dict[str, int]]:
    """Split raw entries into plain symbols and ``{underlying: expirations}`` chains."""
    plain: list[str] = []
    chains: dict[str, int] = {}
    for raw in [*symbols, *option_chains]:
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        if is_chain(entry):
            head, count = split_chain(entry)
            chains[head] = max(chains.get(head, 0), count)
        else:
            plain.append(entry)
    return list(dict.fromkeys(plain)), chains


async def resolve(
    rest: Rest, symbols: Iterable[str], chains: dict[str, int], *, today: date | None = None
) -> Resolved:
    """Resolve plain symbols and chains (see the module docstring for the outcomes)."""
    out = Resolved()
    for symbol in symbols:
        try:
            found = await _resolve_one(rest, symbol)
        except AuthError:
            raise
        except NotFound:
            found = None
        except TastytradeError as exc:
            if exc.retriable:
                out.failed[symbol] = exc
            else:
                logger.warning("cannot resolve %s: %s", symbol, exc)
                out.unresolved.append(symbol)
            continue
        if found is None:
            out.unresolved.append(symbol)
            continue
        out.add(symbol, {found[0]: found[1]}, options=False)
    for underlying, count in chains.items():
        entry = chain_entry(underlying, count)
        try:
            options = await _chain(rest, underlying, count, today or date.today())
        except AuthError:
            raise
        except TastytradeError as exc:
            if exc.retriable:
                out.failed[entry] = exc
            else:
                logger.warning("cannot load the option chain of %s: %s", underlying, exc)
                out.unresolved.append(entry)
            continue
        out.add(entry, options, options=True)
    return out


async def _resolve_one(rest: Rest, symbol: str) -> tuple[str, SymbolInfo] | None:
    if symbol.startswith("/"):
        return await _future(rest, symbol)
    if "/" in symbol:
        crypto = await rest.instruments.cryptocurrency(symbol)
        return crypto.streamer_symbol or f"{symbol}:CXTALP", SymbolInfo(
            crypto.symbol, "Cryptocurrency"
        )
    equity = await rest.instruments.equity(symbol)
    kind = "Index" if equity.is_index else "Equity"
    return equity.streamer_symbol or equity.symbol, SymbolInfo(equity.symbol, kind)


async def _future(rest: Rest, symbol: str) -> tuple[str, SymbolInfo] | None:
    code = symbol.lstrip("/")
    if len(code) <= 3 or not code[-1].isdigit():  # a product such as /ES → its active month
        futures = await rest.instruments.futures(product_codes=[code])
        active = [f for f in futures if f.active_month] or sorted(
            (f for f in futures if f.expiration_date is not None),
            key=lambda f: f.expiration_date or date.max,
        )
        if not active:
            return None
        contract = active[0]
    else:
        contract = await rest.instruments.future(symbol)
    if not contract.streamer_symbol:
        return None
    return contract.streamer_symbol, SymbolInfo(contract.symbol, "Future")


async def _chain(
    rest: Rest, underlying: str, expirations: int, today: date
) -> dict[str, SymbolInfo]:
    out: dict[str, SymbolInfo] = {}
    for chain in await rest.chains.nested(underlying):
        upcoming = sorted(
            (e for e in chain.expirations if e.expiration_date >= today),
            key=lambda e: e.expiration_date,
        )[:expirations]
        for expiration in upcoming:
            for strike in expiration.strikes:
                for occ, streamer in (
                    (strike.call, strike.call_streamer_symbol),
                    (strike.put, strike.put_streamer_symbol),
                ):
                    if not occ:
                        continue
                    out[streamer or occ_to_streamer(occ)] = SymbolInfo(occ, "Equity Option")
    return out


class WatchlistFile:
    """A text file of entries (one per line or comma-separated; ``#`` comments), polled for changes."""

    def __init__(self, path: Path, *, interval: float = 2.0) -> None:
        self.path = path
        self.interval = interval
        self._mtime: float | None = None

    def read(self) -> list[str]:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return []
        entries: list[str] = []
        for line in text.splitlines():
            line = line.split("#", 1)[0]
            entries.extend(part.strip() for part in line.split(",") if part.strip())
        return entries

    def poll(self) -> list[str] | None:
        """The entries if the file changed since the last poll (first poll always reports)."""
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            mtime = -1.0
        if mtime == self._mtime:
            return None
        self._mtime = mtime
        return self.read()


__all__ = [
    "OPTION_EVENTS",
    "UNDERLYING_ONLY",
    "Resolved",
    "WatchlistFile",
    "chain_entry",
    "is_chain",
    "parse_entries",
    "resolve",
    "split_chain",
]
