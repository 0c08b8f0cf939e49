"""REST routes of the instrument catalogue and option chains (API reference §4.6).

Symbols in paths arrive %-decoded (``BTC%2FUSD`` → ``BTC/USD``), so symbol parameters use the
``path`` converter; futures paths may omit the leading ``/`` (``/instruments/futures/ESZ6``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.catalog import Catalog
from sandbox.instruments import crypto as crypto_mod
from sandbox.instruments import equities as equity_mod
from sandbox.instruments.future_options import (
    fop_wire,
    nested_expiration_wire,
    nested_future_wire,
)
from sandbox.instruments.futures import active_index, option_product_wire, product_wire
from sandbox.instruments.options import deliverables, option_wire, tick_sizes
from sandbox.instruments.specs import (
    CRYPTOS,
    EQUITIES,
    EQUITY_BY_SYMBOL,
    FUTURE_BY_CODE,
    FUTURES,
)
from sandbox.instruments.symbology import occ_symbol, option_streamer_symbol
from sandbox.wire import array_param, data_response, error_response, iso, items_response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def not_found(what: str) -> Response:
    return error_response(404, "record_not_found", f"{what} not found")


def _truthy(request: Request, key: str) -> bool | None:
    value = request.query_params.get(key)
    return None if value is None else value.lower() in ("true", "1", "yes")


def future_path_symbol(raw: str) -> str:
    return raw if raw.startswith("/") else f"/{raw}"


class InstrumentRoutes:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # ------------------------------------------------------------------ equities
    async def equities(self, request: Request) -> Response:
        wanted = array_param(request, "symbol")
        is_index, is_etf = _truthy(request, "is-index"), _truthy(request, "is-etf")
        specs = (
            [EQUITY_BY_SYMBOL[s] for s in wanted if s in EQUITY_BY_SYMBOL] if wanted else EQUITIES
        )
        items = [
            equity_mod.equity_wire(s)
            for s in specs
            if (is_index is None or s.is_index == is_index)
            and (is_etf is None or s.is_etf == is_etf)
        ]
        return items_response(
            request, items, paginate=True, default_per_page=1000, max_per_page=1000
        )

    async def active_equities(self, request: Request) -> Response:
        items = [equity_mod.equity_wire(s) for s in EQUITIES]
        return items_response(
            request, items, paginate=True, default_per_page=1000, max_per_page=5000
        )

    async def equity(self, request: Request) -> Response:
        spec = EQUITY_BY_SYMBOL.get(request.path_params["symbol"])
        return (
            not_found("Equity")
            if spec is None
            else data_response(request, equity_mod.equity_wire(spec))
        )

    # ------------------------------------------------------------------ options
    async def equity_options(self, request: Request) -> Response:
        items = []
        for symbol in array_param(request, "symbol"):
            wire = self._typed_wire(symbol, "Equity Option")
            if wire is not None:
                items.append(wire)
        return items_response(request, items)

    async def equity_option(self, request: Request) -> Response:
        wire = self._typed_wire(request.path_params["symbol"], "Equity Option")
        return not_found("Equity option") if wire is None else data_response(request, wire)

    async def option_chain(self, request: Request) -> Response:
        underlying = request.path_params["symbol"]
        expirations = self.catalog.option_chain(underlying)
        if not expirations:
            return not_found("Option chain")
        today = self.catalog.today
        items = [
            option_wire(exp, option_type, strike, today)
            for exp in expirations
            for strike in exp.strikes
            for option_type in ("C", "P")
        ]
        return items_response(request, items)

    async def nested_chain(self, request: Request) -> Response:
        underlying = request.path_params["symbol"]
        expirations = self.catalog.option_chain(underlying)
        if not expirations:
            return not_found("Option chain")
        spec = EQUITY_BY_SYMBOL[underlying]
        today = self.catalog.today
        roots: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for exp in expirations:
            roots[exp.root].append(
                {
                    "expiration-type": exp.expiration_type,
                    "expiration-date": exp.expiration_date.isoformat(),
                    "days-to-expiration": (exp.expiration_date - today).days,
                    "settlement-type": exp.settlement_type,
                    "strikes": [
                        {
                            "strike-price": strike,
                            "call": occ_symbol(exp.root, exp.expiration_date, "C", strike),
                            "call-streamer-symbol": option_streamer_symbol(
                                exp.root, exp.expiration_date, "C", strike
                            ),
                            "put": occ_symbol(exp.root, exp.expiration_date, "P", strike),
                            "put-streamer-symbol": option_streamer_symbol(
                                exp.root, exp.expiration_date, "P", strike
                            ),
                        }
                        for strike in exp.strikes
                    ],
                }
            )
        items = [
            {
                "underlying-symbol": underlying,
                "root-symbol": root,
                "option-chain-type": "Standard",
                "shares-per-contract": 100,
                "tick-sizes": tick_sizes(spec),
                "deliverables": deliverables(spec, root),
                "expirations": exps,
            }
            for root, exps in roots.items()
        ]
        return items_response(request, items)

    async def compact_chain(self, request: Request) -> Response:
        underlying = request.path_params["symbol"]
        expirations = self.catalog.option_chain(underlying)
        if not expirations:
            return not_found("Option chain")
        spec = EQUITY_BY_SYMBOL[underlying]
        groups: dict[tuple[str, str, str], tuple[list[str], list[str]]] = {}
        for exp in expirations:
            key = (exp.root, exp.expiration_type, exp.settlement_type)
            symbols, streamers = groups.setdefault(key, ([], []))
            for strike in exp.strikes:
                for option_type in ("C", "P"):
                    symbols.append(occ_symbol(exp.root, exp.expiration_date, option_type, strike))
                    streamers.append(
                        option_streamer_symbol(exp.root, exp.expiration_date, option_type, strike)
                    )
        items = [
            {
                "underlying-symbol": underlying,
                "root-symbol": root,
                "option-chain-type": "Standard",
                "settlement-type": settlement,
                "shares-per-contract": 100,
                "expiration-type": exp_type,
                "deliverables": deliverables(spec, root),
                "symbols": symbols,
                "streamer-symbols": streamers,
            }
            for (root, exp_type, settlement), (symbols, streamers) in groups.items()
        ]
        return items_response(request, items)

    # ------------------------------------------------------------------ futures
    async def futures(self, request: Request) -> Response:
        wanted = {future_path_symbol(s) for s in array_param(request, "symbol")}
        codes = set(array_param(request, "product-code"))
        items = []
        for spec in FUTURES:
            if codes and spec.code not in codes:
                continue
            for contract in self.catalog.futures(spec.code):
                if wanted and contract.symbol not in wanted:
                    continue
                items.append(self.catalog.wire(contract.symbol))
        return items_response(request, items, paginate=True, default_per_page=1000)

    async def future(self, request: Request) -> Response:
        wire = self._typed_wire(future_path_symbol(request.path_params["symbol"]), "Future")
        return not_found("Future") if wire is None else data_response(request, wire)

    async def future_products(self, request: Request) -> Response:
        items = [product_wire(spec) for spec in FUTURES]
        return items_response(request, items, paginate=True, default_per_page=1000)

    async def future_product(self, request: Request) -> Response:
        code = request.path_params["code"].lstrip("/")
        spec = FUTURE_BY_CODE.get(code)
        if spec is None or spec.exchange != request.path_params.get("exchange", spec.exchange):
            return not_found("Future product")
        return data_response(request, product_wire(spec))

    async def future_option_products(self, request: Request) -> Response:
        items = [option_product_wire(spec, p) for spec in FUTURES for p in spec.option_products]
        return items_response(request, items)

    async def future_option_product(self, request: Request) -> Response:
        root = request.path_params["root"].lstrip("/")
        exchange = request.path_params.get("exchange")
        for spec in FUTURES:
            for product in spec.option_products:
                if product.code == root and exchange in (None, spec.exchange):
                    return data_response(request, option_product_wire(spec, product))
        return not_found("Future option product")

    async def future_options(self, request: Request) -> Response:
        items = []
        for symbol in array_param(request, "symbol"):
            wire = self._typed_wire(symbol, "Future Option")
            if wire is not None:
                items.append(wire)
        root = request.query_params.get("option-root-symbol")
        if root and not items:
            today = self.catalog.today
            for spec in FUTURES:
                for exp in self.catalog.future_option_chain(spec.code):
                    if exp.product.code == root:
                        items.extend(
                            fop_wire(exp, t, k, today) for k in exp.strikes for t in ("C", "P")
                        )
        return items_response(request, items)

    async def future_option(self, request: Request) -> Response:
        wire = self._typed_wire(request.path_params["symbol"], "Future Option")
        return not_found("Future option") if wire is None else data_response(request, wire)

    async def futures_option_chain(self, request: Request) -> Response:
        code = request.path_params["product"].lstrip("/")
        exps = self.catalog.future_option_chain(code)
        if not exps:
            return not_found("Futures option chain")
        today = self.catalog.today
        items = [
            fop_wire(exp, t, k, today) for exp in exps for k in exp.strikes for t in ("C", "P")
        ]
        return items_response(request, items)

    async def nested_futures_option_chain(self, request: Request) -> Response:
        code = request.path_params["product"].lstrip("/")
        exps = self.catalog.future_option_chain(code)
        if not exps:
            return not_found("Futures option chain")
        today = self.catalog.today
        listed = self.catalog.futures(code)
        active = active_index(FUTURE_BY_CODE[code], listed, today)
        data = {
            "futures": [nested_future_wire(c, active, today) for c in listed],
            "option-chains": [
                {
                    "underlying-symbol": f"/{code}",
                    "root-symbol": f"/{code}",
                    "exercise-style": "American",
                    "expirations": [nested_expiration_wire(e, today) for e in exps],
                }
            ],
        }
        return data_response(request, data)

    # ------------------------------------------------------------------ others
    async def cryptocurrencies(self, request: Request) -> Response:
        wanted = set(array_param(request, "symbol"))
        items = [crypto_mod.crypto_wire(s) for s in CRYPTOS if not wanted or s.symbol in wanted]
        return items_response(request, items)

    async def cryptocurrency(self, request: Request) -> Response:
        wire = self._typed_wire(request.path_params["symbol"], "Cryptocurrency")
        return not_found("Cryptocurrency") if wire is None else data_response(request, wire)

    async def warrants(self, request: Request) -> Response:
        wanted = set(array_param(request, "symbol"))
        items = [
            equity_mod.warrant_wire(s)
            for s in equity_mod.WARRANT_SYMBOLS
            if not wanted or s in wanted
        ]
        return items_response(request, items)

    async def warrant(self, request: Request) -> Response:
        wire = self._typed_wire(request.path_params["symbol"], "Warrant")
        return not_found("Warrant") if wire is None else data_response(request, wire)

    async def currency_pairs(self, request: Request) -> Response:
        return items_response(request, [crypto_mod.pair_wire(s) for s in crypto_mod.PAIR_SYMBOLS])

    async def precisions(self, request: Request) -> Response:
        return items_response(request, crypto_mod.quantity_precisions())

    async def search(self, request: Request) -> Response:
        query = (
            request.query_params.get("query") or request.query_params.get("symbol") or ""
        ).upper()
        try:
            limit = max(1, min(100, int(request.query_params.get("limit", 25))))
        except ValueError:
            return error_response(400, "invalid_parameter", "limit must be an integer")
        kind = request.query_params.get("type")
        items = [
            r
            for r in self._search_rows()
            if query and (query in r["symbol"].upper() or query in r["description"].upper())
        ]
        if kind:
            items = [r for r in items if r["instrument-type"] == kind]
        items.sort(
            key=lambda r: (
                not r["symbol"].upper().lstrip("/").startswith(query.lstrip("/")),
                r["symbol"],
            )
        )
        return items_response(request, items[:limit])

    async def symbol_search(self, request: Request) -> Response:
        prefix = request.path_params["prefix"].upper()
        items = []
        for spec in EQUITIES:
            if spec.symbol.startswith(prefix) or prefix in spec.description.upper():
                items.append(
                    {
                        "symbol": spec.symbol,
                        "description": spec.description,
                        "listed-market": spec.listed_market,
                        "price-increments": "0.01 1; 0.0001",
                        "trading-hours": "",
                        "options": bool(spec.option_roots),
                        "instrument-type": "Index" if spec.is_index else "Equity",
                    }
                )
        return items_response(request, items)

    def _search_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {
                "symbol": s.symbol,
                "description": s.description,
                "exchange": s.listed_market,
                "instrument-type": "Index" if s.is_index else "Equity",
            }
            for s in EQUITIES
        ]
        for spec in FUTURES:
            for contract in self.catalog.futures(spec.code):
                info = self.catalog.instrument(contract.symbol)
                rows.append(
                    {
                        "symbol": contract.symbol,
                        "description": info.description if info else spec.description,
                        "exchange": spec.exchange,
                        "instrument-type": "Future",
                        "stops-trading-at": iso(contract.expires_at),
                    }
                )
        rows.extend(
            {
                "symbol": c.symbol,
                "description": c.description,
                "exchange": "CXTALP",
                "instrument-type": "Cryptocurrency",
            }
            for c in CRYPTOS
        )
        return rows

    def _typed_wire(self, symbol: str, kind: str) -> dict[str, Any] | None:
        info = self.catalog.instrument(symbol)
        if info is None or info.instrument_type != kind:
            return None
        return self.catalog.wire(info.symbol)

    def routes(self) -> list[BaseRoute]:
        r = self
        return [
            Route("/instruments/equities", r.equities),
            Route("/instruments/equities/active", r.active_equities),
            Route("/instruments/equities/{symbol:path}", r.equity),
            Route("/instruments/equity-options", r.equity_options),
            Route("/instruments/equity-options/{symbol:path}", r.equity_option),
            Route("/option-chains/{symbol:path}/nested", r.nested_chain),
            Route("/option-chains/{symbol:path}/compact", r.compact_chain),
            Route("/option-chains/{symbol:path}", r.option_chain),
            Route("/instruments/futures", r.futures),
            Route("/instruments/futures/{symbol:path}", r.future),
            Route("/instruments/future-products", r.future_products),
            Route("/instruments/future-products/{exchange}/{code}", r.future_product),
            Route("/instruments/future-products/{code}", r.future_product),
            Route("/instruments/future-option-products", r.future_option_products),
            Route("/instruments/future-option-products/{exchange}/{root}", r.future_option_product),
            Route("/instruments/future-option-products/{root}", r.future_option_product),
            Route("/instruments/future-options", r.future_options),
            Route("/instruments/future-options/{symbol:path}", r.future_option),
            Route("/futures-option-chains/{product:path}/nested", r.nested_futures_option_chain),
            Route("/futures-option-chains/{product:path}", r.futures_option_chain),
            Route("/instruments/cryptocurrencies", r.cryptocurrencies),
            Route("/instruments/cryptocurrencies/{symbol:path}", r.cryptocurrency),
            Route("/instruments/warrants", r.warrants),
            Route("/instruments/warrants/{symbol:path}", r.warrant),
            Route("/instruments/currency-pairs", r.currency_pairs),
            Route("/instruments/quantity-decimal-precisions", r.precisions),
            Route("/instruments/search", r.search),
            Route("/symbols/search/{prefix:path}", r.symbol_search),
        ]


__all__ = ["InstrumentRoutes", "future_path_symbol", "not_found"]
