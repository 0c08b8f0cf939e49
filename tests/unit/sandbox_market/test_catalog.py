"""The instrument catalogue: symbology, consistency across lookups, fields the API sends."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from sandbox.catalog import Catalog
from sandbox.clock import SimClock
from sandbox.instruments.symbology import (
    fop_streamer_symbol,
    occ_symbol,
    option_streamer_symbol,
    parse_fop,
    parse_occ,
    parse_option_streamer,
)
from sandbox.market import Market
from tests.unit.sandbox_market.conftest import FIXTURES, OPEN_TIME

OCC = re.compile(r"^[A-Z]{1,6} *\d{6}[CP]\d{8}$")
OPT_STREAMER = re.compile(r"^\.[A-Z]+\d{6}[CP]\d+(\.\d+)?$")
FUT_STREAMER = re.compile(r"^/[A-Z]+[FGHJKMNQUVXZ]\d{2}:X[A-Z]{3}$")
FOP_STREAMER = re.compile(r"^\./[A-Z0-9]+[FGHJKMNQUVXZ]\d{2}[CP][\d.]+:X[A-Z]{3}$")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_symbology_round_trips() -> None:
    from datetime import date

    occ = occ_symbol("SPY", date(2025, 1, 17), "C", Decimal(500))
    assert occ == "SPY   250117C00500000"
    assert (
        option_streamer_symbol("SPY", date(2024, 3, 24), "P", Decimal("480.5"))
        == ".SPY240324P480.5"
    )
    key = parse_occ("SPXW  231113C03550000")
    assert key is not None
    assert (key.root, key.expiry, key.option_type, key.strike) == (
        "SPXW",
        date(2023, 11, 13),
        "C",
        Decimal(3550),
    )
    assert parse_option_streamer(".SPXW231113C3550") == key
    assert parse_occ("garbage") is None
    fop = parse_fop("./ESZ5 EW4Z5 251219C6800")
    assert fop is not None
    assert (fop.future, fop.code, fop.month, fop.strike) == ("/ESZ5", "EW4", "Z", Decimal(6800))
    assert fop_streamer_symbol("ES", 12, 2025, "C", Decimal(800), "XCME") == "./ESZ25C800:XCME"


def test_every_option_resolves_by_order_and_streamer_symbol(market: Market) -> None:
    catalog = market.catalog
    for underlying in ("SPY", "SPX", "AAPL", "NDX"):
        chain = catalog.option_chain(underlying)
        assert chain, underlying
        for exp in chain[:: max(1, len(chain) // 5)]:
            for strike in exp.strikes[:: max(1, len(exp.strikes) // 7)]:
                for option_type in ("C", "P"):
                    occ = occ_symbol(exp.root, exp.expiration_date, option_type, strike)
                    info = catalog.instrument(occ)
                    assert info is not None, occ
                    assert OCC.match(info.symbol)
                    assert len(info.symbol) == 21
                    assert OPT_STREAMER.match(info.streamer_symbol), info.streamer_symbol
                    assert catalog.instrument(info.streamer_symbol) == info
                    wire = catalog.wire(occ)
                    assert wire is not None
                    assert wire["streamer-symbol"] == info.streamer_symbol
                    assert wire["underlying-symbol"] == underlying
                    assert info.multiplier == 100
                    assert info.expires_at is not None
                    assert info.expires_at.date() >= catalog.today


def test_unlisted_symbols_are_unknown(market: Market) -> None:
    catalog = market.catalog
    assert catalog.instrument("NOPE") is None
    assert catalog.instrument("SPY   200117C00500000") is None  # expired
    assert catalog.instrument("SPY   991231C00500000") is None  # not listed
    assert catalog.instrument("/ESZ9") is None
    assert catalog.wire("NOPE") is None


def test_chain_structure(market: Market) -> None:
    catalog = market.catalog
    spx = catalog.option_chain("SPX")
    roots = {e.root for e in spx}
    assert roots == {"SPX", "SPXW"}
    assert all(e.settlement_type == "AM" for e in spx if e.root == "SPX")
    assert all(e.exercise_style == "European" for e in spx)
    spy = catalog.option_chain("SPY")
    types = {e.expiration_type for e in spy}
    assert {"Weekly", "Regular", "Quarterly", "End of Month"} <= types
    assert spy[0].expiration_date == catalog.today  # a 0-DTE daily
    aapl = catalog.option_chain("AAPL")
    assert all(e.expiration_date.weekday() <= 4 for e in aapl)
    increments = {b - a for a, b in zip(aapl[0].strikes, aapl[0].strikes[1:], strict=False)}
    assert increments == {Decimal("2.5")}
    spot = float(market.book("AAPL").mark)
    assert float(aapl[0].strikes[0]) < spot < float(aapl[0].strikes[-1])


def test_futures_and_future_options(market: Market) -> None:
    catalog = market.catalog
    es = catalog.futures("ES")
    assert [c.symbol for c in es[:2]] == ["/ESZ6", "/ESH7"]
    for code in ("ES", "NQ", "MES", "CL", "GC", "ZN"):
        for contract in catalog.futures(code):
            info = catalog.instrument(contract.symbol)
            assert info is not None
            assert info.instrument_type == "Future"
            assert FUT_STREAMER.match(info.streamer_symbol), info.streamer_symbol
            assert catalog.instrument(info.streamer_symbol) == info
    assert catalog.instrument("/CLF7") is not None
    wire = catalog.wire("/ESZ6")
    assert wire is not None
    assert wire["streamer-symbol"] == "/ESZ26:XCME"
    assert wire["expires-at"] == "2026-12-18T14:30:00.000+00:00"
    for code in ("ES", "CL"):
        exps = catalog.future_option_chain(code)
        assert exps
        for exp in exps:
            strike = exp.strikes[len(exp.strikes) // 2]
            symbol = exp.symbol("P", strike)
            info = catalog.instrument(symbol)
            assert info is not None
            assert info.instrument_type == "Future Option"
            assert info.underlying_symbol == exp.future.symbol
            assert FOP_STREAMER.match(info.streamer_symbol), info.streamer_symbol
            assert catalog.instrument(info.streamer_symbol) == info
            parsed = parse_fop(symbol)
            assert parsed is not None
            assert parsed.future == exp.future.symbol


def test_symbols_lists_every_type(market: Market) -> None:
    catalog = market.catalog
    assert {"SPY", "QQQ", "AAPL", "MSFT", "NVDA", "TSLA"} <= set(catalog.symbols("Equity"))
    assert set(catalog.symbols("Index")) == {"SPX", "NDX", "VIX"}
    assert {"BTC/USD", "ETH/USD", "SOL/USD"} <= set(catalog.symbols("Cryptocurrency"))
    assert catalog.symbols("Warrant")
    assert len(catalog.symbols("Equity Option")) > 10_000
    assert all(catalog.instrument(s) is not None for s in catalog.symbols("Future Option")[::97])


def test_catalog_follows_the_clock() -> None:
    clock = SimClock(OPEN_TIME, speed=0)
    catalog = Catalog(clock)
    first = catalog.option_chain("SPY")[0].expiration_date
    clock.advance(86_400)
    assert catalog.option_chain("SPY")[0].expiration_date > first


def _assert_fields(
    ours: dict[str, Any], real: dict[str, Any], ignore: frozenset[str] = frozenset()
) -> None:
    missing = set(real) - set(ours) - ignore
    assert not missing, f"fields the real API sends that we do not: {sorted(missing)}"


def test_wire_objects_carry_the_real_fields(market: Market) -> None:
    catalog = market.catalog
    aapl = catalog.wire("AAPL")
    assert aapl is not None
    _assert_fields(aapl, fixture("captures-equities.json")["items"][2])
    btc = catalog.wire("BTC/USD")
    assert btc is not None
    _assert_fields(btc, fixture("captures-cryptocurrencies.json")["items"][1])
    real_future = fixture("mcp-tastytrade_get_futures.json")["items"][0]
    future = catalog.wire("/ESZ6")
    assert future is not None
    _assert_fields(future, real_future)
    _assert_fields(future["future-product"], real_future["future-product"])
    real_le = fixture("captures-futures.json")["items"][0]
    gold = catalog.wire(catalog.futures("GC")[0].symbol)
    assert gold is not None
    _assert_fields(gold, real_le, frozenset({"future-etf-equivalent"}))
