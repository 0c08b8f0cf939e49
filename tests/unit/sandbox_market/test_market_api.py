"""Market REST routes over ASGI: envelopes, errors, consistency, and every response parses
into the project's client models without unknown fields or values."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from adapters.tastytrade import models as m
from adapters.tastytrade.models import TastytradeModel, unknowns
from sandbox.market import Market
from tests.unit.sandbox_market.conftest import FIXTURES


def clean(cls: type[TastytradeModel], raw: Any) -> TastytradeModel:
    model = cls.model_validate(raw)
    assert unknowns(model) == [], [w.args for w in unknowns(model)]
    return model


async def data(api: httpx.AsyncClient, path: str, status: int = 200) -> Any:
    response = await api.get(path)
    assert response.status_code == status, (path, response.text[:300])
    body = response.json()
    if status == 200:
        assert body["context"] == response.request.url.path
        assert body["data"]
        return body["data"]
    return body


PARSE_CASES: list[tuple[str, type[TastytradeModel], bool]] = [
    ("/instruments/equities?symbol[]=AAPL&symbol[]=SPX", m.Equity, True),
    ("/instruments/equities/active?per-page=5", m.Equity, True),
    ("/instruments/equities/SPY", m.Equity, False),
    ("/instruments/equity-options?symbol[]=SPY%20%20%20261130C00625000", m.EquityOption, True),
    ("/option-chains/SPX", m.EquityOption, True),
    ("/option-chains/SPY/nested", m.NestedOptionChain, True),
    ("/option-chains/AAPL/compact", m.CompactOptionChain, True),
    ("/instruments/futures?product-code[]=ES&product-code[]=ZN", m.Future, True),
    ("/instruments/futures/ESZ6", m.Future, False),
    ("/instruments/future-products", m.FutureProduct, True),
    ("/instruments/future-products/CME/CL", m.FutureProduct, False),
    ("/instruments/future-option-products", m.FutureOptionProduct, True),
    ("/instruments/future-option-products/CME/LO", m.FutureOptionProduct, False),
    ("/futures-option-chains/ES", m.FutureOption, True),
    ("/futures-option-chains/CL/nested", m.NestedFutureOptionChain, False),
    ("/instruments/cryptocurrencies", m.Cryptocurrency, True),
    ("/instruments/cryptocurrencies/ETH%2FUSD", m.Cryptocurrency, False),
    ("/instruments/warrants", m.Warrant, True),
    ("/instruments/currency-pairs", m.CurrencyPair, True),
    ("/instruments/quantity-decimal-precisions", m.QuantityDecimalPrecision, True),
    ("/instruments/search?query=CL", m.InstrumentSearchResult, True),
    ("/symbols/search/MS", m.SymbolData, True),
    ("/market-data/by-type?equity=AAPL&index=SPX&index=VIX&future=/ESZ6&cryptocurrency=BTC/USD"
     "&equity-option=SPY%20%20%20261130C00625000", m.MarketData, True),
    ("/market-data/Cryptocurrency/BTC%2FUSD", m.MarketData, False),
    ("/market-metrics?symbols=AAPL,SPY,SPX", m.MarketMetricInfo, True),
    ("/market-metrics/historic-corporate-events/dividends/JPM", m.DividendInfo, True),
    ("/market-metrics/historic-corporate-events/earnings-reports/MSFT?start-date=2025-01-01",
     m.EarningsInfo, True),
    ("/market-time/sessions/current?instrument-collections[]=Equity&instrument-collections[]=CME",
     m.MarketSession, True),
    ("/market-time/equities/sessions/current", m.MarketSession, False),
    ("/market-time/equities/sessions/next", m.SessionInfo, False),
    ("/market-time/equities/holidays", m.MarketHolidays, False),
    ("/market-time/futures/holidays/CME", m.MarketHolidays, False),
]  # fmt: skip


def test_unknown_detection_is_live() -> None:
    model = m.Equity.model_validate({"instrument-type": "Equity", "symbol": "X", "bogus": 1})
    assert [w.field_name for w in unknowns(model)] == ["bogus"]


@pytest.mark.parametrize(("path", "model", "many"), PARSE_CASES)
async def test_responses_parse_without_unknowns(
    api: httpx.AsyncClient, path: str, model: type[TastytradeModel], many: bool
) -> None:
    body = await data(api, path)
    items = body["items"] if many else [body]
    assert items
    for item in items[:400]:
        clean(model, item)


async def test_errors_use_the_real_envelope(api: httpx.AsyncClient) -> None:
    body = await data(api, "/instruments/equities/NOPE", 404)
    assert set(body) == {"error"}
    assert body["error"]["code"]
    assert body["error"]["message"]
    await data(api, "/instruments/futures/ESZ9", 404)
    await data(api, "/market-data/Equity/NOPE", 404)
    too_many = (
        "&".join(f"equity=S{i}" for i in range(60))
        + "&"
        + "&".join(f"index=I{i}" for i in range(41))
    )
    body = await data(api, f"/market-data/by-type?{too_many}", 400)
    assert "100" in body["error"]["message"]
    await data(api, "/market-data/by-type", 400)
    await data(api, "/market-metrics/historic-corporate-events/earnings-reports/AAPL", 400)


async def test_path_symbol_forms(api: httpx.AsyncClient) -> None:
    a = await data(api, "/instruments/futures/ESZ6")
    b = await data(api, "/instruments/futures/%2FESZ6")
    assert a == b
    crypto = await data(api, "/instruments/cryptocurrencies/BTC%2FUSD")
    assert crypto["symbol"] == "BTC/USD"
    fop = (await data(api, "/futures-option-chains/ES"))["items"][7]
    encoded = fop["symbol"].replace("/", "%2F").replace(" ", "%20")
    assert (await data(api, f"/instruments/future-options/{encoded}"))["symbol"] == fop["symbol"]


async def test_market_data_matches_the_book_and_fixture_fields(
    api: httpx.AsyncClient, market: Market
) -> None:
    items = (
        await data(api, "/market-data/by-type?equity=AAPL&equity=TSLA&cryptocurrency=BTC/USD")
    )["items"]
    by_symbol = {i["symbol"]: i for i in items}
    book = market.book("AAPL")
    assert (
        by_symbol["AAPL"]["bid"] == str(book.bid).rstrip("0").rstrip(".")
        or by_symbol["AAPL"]["bid"]
    )
    assert float(by_symbol["AAPL"]["bid"]) == float(book.bid)
    assert float(by_symbol["AAPL"]["ask"]) == float(book.ask)
    assert float(by_symbol["AAPL"]["mark"]) == float(book.mark)
    real = json.loads((FIXTURES / "market_data_by_type.json").read_text())["data"]["items"]
    real_by_symbol = {i["symbol"]: i for i in real}
    for symbol in ("AAPL", "TSLA", "BTC/USD"):
        missing = set(real_by_symbol[symbol]) - set(by_symbol[symbol]) - {"close"}
        assert not missing, (symbol, missing)
    assert all(
        isinstance(v, str)
        for k, v in by_symbol["AAPL"].items()
        if k in ("bid", "ask", "last", "volume")
    )
    assert by_symbol["AAPL"]["halt-start-time"] == -1


async def test_chains_agree_with_each_other(api: httpx.AsyncClient) -> None:
    full = (await data(api, "/option-chains/QQQ"))["items"]
    nested = (await data(api, "/option-chains/QQQ/nested"))["items"]
    compact = (await data(api, "/option-chains/QQQ/compact"))["items"]
    full_pairs = {(o["symbol"], o["streamer-symbol"]) for o in full}
    nested_pairs = {
        (s[side], s[f"{side}-streamer-symbol"])
        for chain in nested
        for exp in chain["expirations"]
        for s in exp["strikes"]
        for side in ("call", "put")
    }
    compact_pairs = {
        pair
        for chain in compact
        for pair in zip(chain["symbols"], chain["streamer-symbols"], strict=True)
    }
    assert full_pairs == nested_pairs == compact_pairs
    sample = full[len(full) // 2]
    single = await data(api, "/instruments/equity-options/" + sample["symbol"].replace(" ", "%20"))
    assert single == sample
    md = await data(
        api, "/market-data/by-type?equity-option=" + sample["symbol"].replace(" ", "%20")
    )
    assert md["items"][0]["symbol"] == sample["symbol"]
    fut = await data(api, "/futures-option-chains/ES/nested")
    listed = {
        f["symbol"] for f in (await data(api, "/instruments/futures?product-code[]=ES"))["items"]
    }
    assert {f["symbol"] for f in fut["futures"]} == listed
    underlyings = {e["underlying-symbol"] for e in fut["option-chains"][0]["expirations"]}
    assert underlyings <= listed


async def test_pagination(api: httpx.AsyncClient) -> None:
    response = await api.get("/instruments/equities?per-page=5&page-offset=1")
    body = response.json()
    assert len(body["data"]["items"]) == 5
    assert body["pagination"]["page-offset"] == 1
    assert body["pagination"]["total-items"] == 21
    assert body["pagination"]["total-pages"] == 5


async def test_sessions_reflect_the_clock(api: httpx.AsyncClient, market: Market) -> None:
    current = await data(api, "/market-time/equities/sessions/current")
    assert current["state"] == "Open"
    assert current["session-date"] == "2026-11-24"
    assert current["next-session"]["session-date"] == "2026-11-25"
    market.clock.advance(6 * 3600)  # 17:00 CT
    current = await data(api, "/market-time/equities/sessions/current")
    assert current["state"] == "Extended"
    quote = (await data(api, "/market-data/by-type?equity=AAPL&cryptocurrency=BTC/USD"))["items"]
    aapl, btc = quote
    assert aapl["close-price-type"] == "Final"
    assert "close" in aapl  # the regular session is over
    assert "close" not in btc  # crypto never closes
    items = (await data(api, "/market-time/sessions/current?instrument-collections[]=CME"))["items"]
    assert items[0]["instrument-collection"] == "CME"
    holidays = await data(api, "/market-time/equities/holidays")
    assert "2026-11-26" in holidays["market-holidays"]


def _missing(ours: dict[str, Any], real: dict[str, Any]) -> set[str]:
    return set(real) - set(ours)


async def test_objects_carry_every_field_of_the_real_captures(api: httpx.AsyncClient) -> None:
    def real(name: str) -> Any:
        return json.loads((FIXTURES / name).read_text())

    nested = (await data(api, "/option-chains/AAPL/nested"))["items"][0]
    real_nested = real("mcp-tastytrade_get_option_chain_nested.json")["items"][0]
    assert not _missing(nested, real_nested)
    assert not _missing(nested["expirations"][0], real_nested["expirations"][0])
    assert not _missing(
        nested["expirations"][0]["strikes"][0], real_nested["expirations"][0]["strikes"][0]
    )
    assert not _missing(nested["deliverables"][0], real_nested["deliverables"][0])
    compact = (await data(api, "/option-chains/AAPL/compact"))["items"][0]
    assert not _missing(compact, real("mcp-tastytrade_get_option_chain_compact.json")["items"][0])
    session = await data(api, "/market-time/equities/sessions/current")
    real_session = real("captures-market-session-current.json")
    assert not _missing(session, real_session)
    assert not _missing(session["next-session"], real_session["next-session"])
    fop_product = (await data(api, "/instruments/future-option-products"))["items"][0]
    assert not _missing(
        fop_product, real("mcp-tastytrade_get_future_option_products.json")["items"][0]
    )
    product = await data(api, "/instruments/future-products/CME/ES")
    real_product = real("mcp-tastytrade_get_future_product.json")
    assert not _missing(product, real_product)
    assert not _missing(product["option-products"][0], real_product["option-products"][0])
    search = (await data(api, "/instruments/search?query=CL"))["items"][0]
    assert not _missing(search, real("captures-instrument-search.json")["items"][0])
    precisions = (await data(api, "/instruments/quantity-decimal-precisions"))["items"]
    assert not _missing(
        precisions[0], real("captures-quantity-decimal-precisions.json")["items"][1]
    )
    quotes = {
        q["symbol"]: q
        for q in (await data(api, "/market-data/by-type?equity=META&index=SPX"))["items"]
    }
    real_quotes = {q["symbol"]: q for q in real("mcp-tastytrade_get_quote.json")["items"]}
    assert _missing(quotes["META"], real_quotes["META"]) <= {"close"}
    assert _missing(quotes["SPX"], real_quotes["SPX"]) <= {"close"}
