"""Market REST over a real socket (uvicorn decodes paths itself) and REST/DXLink agreement."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import websockets

from tests.integration.sandbox_market.conftest import DxClient, MarketServer, compact_events
from tests.support import eventually


@pytest.fixture
async def http(market_server: MarketServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=market_server.base_url, timeout=10) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "symbol"),
    [
        ("/instruments/cryptocurrencies/BTC%2FUSD", "BTC/USD"),
        ("/instruments/futures/ESZ6", "/ESZ6"),
        ("/instruments/futures/%2FESZ6", "/ESZ6"),
        ("/instruments/equities/AAPL", "AAPL"),
        ("/market-data/Cryptocurrency/ETH%2FUSD", "ETH/USD"),
        ("/market-data/Future/%2FCLF7", "/CLF7"),
    ],
)
async def test_encoded_path_symbols(http: httpx.AsyncClient, path: str, symbol: str) -> None:
    response = await http.get(path)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["symbol"] == symbol


async def test_option_symbols_with_spaces(http: httpx.AsyncClient) -> None:
    items = (await http.get("/option-chains/IWM")).json()["data"]["items"]
    symbol = items[len(items) // 3]["symbol"]
    response = await http.get("/instruments/equity-options/" + symbol.replace(" ", "%20"))
    assert response.json()["data"]["symbol"] == symbol
    unknown = await http.get("/instruments/equity-options/IWM%20%20%20200117C00100000")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"]


@pytest.mark.clock_speed(0)
async def test_rest_and_dxlink_quote_the_same_prices(
    market_server: MarketServer, http: httpx.AsyncClient
) -> None:
    rest = (await http.get("/market-data/by-type?equity=MSFT&cryptocurrency=BTC/USD")).json()
    by_symbol = {i["symbol"]: i for i in rest["data"]["items"]}
    fields = {"Quote": ["eventSymbol", "bidPrice", "askPrice"]}
    async with websockets.connect(market_server.dxlink_url) as ws:
        dx = DxClient(ws)
        await dx.handshake()
        await dx.expect("AUTH_STATE")
        await dx.open_feed(1, fields)
        await dx.send({"type": "FEED_SUBSCRIPTION", "channel": 1, "add": [
            {"type": "Quote", "symbol": "MSFT"}, {"type": "Quote", "symbol": "BTC/USD:CXTALP"}]})  # fmt: skip

        async def both() -> bool:
            await dx.recv()
            return len(compact_events(dx.data(1), fields)) >= 2

        await eventually(both, timeout=10)
    quotes = {e["eventSymbol"]: e for e in compact_events(dx.data(1), fields)}
    assert quotes["MSFT"]["bidPrice"] == float(by_symbol["MSFT"]["bid"])
    assert quotes["MSFT"]["askPrice"] == float(by_symbol["MSFT"]["ask"])
    assert quotes["BTC/USD:CXTALP"]["bidPrice"] == float(by_symbol["BTC/USD"]["bid"])
