"""Every captured payload in ../shared/fixtures/tastytrade parses into the right model."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.tastytrade.errors import ErrorStream, ParseWarning
from adapters.tastytrade.models import (
    NOTIFICATION_MODELS,
    AccountBalance,
    CompactOptionChain,
    Cryptocurrency,
    CurrentPosition,
    Customer,
    CustomerAccount,
    EffectiveMarginRequirement,
    Equity,
    Future,
    FutureOptionProduct,
    FutureProduct,
    InstrumentSearchResult,
    InstrumentType,
    MarginConfiguration,
    MarginDryRun,
    MarginRequirementsReport,
    MarketData,
    MarketSession,
    MarketSessionState,
    NestedOptionChain,
    Order,
    OrderStatus,
    PlacedOrderResponse,
    PriceEffect,
    QuantityDecimalPrecision,
    QuantityDirection,
    QuoteAlert,
    StreamerAck,
    TastytradeModel,
    TradingStatus,
    Transaction,
    Watchlist,
    parse_model,
    parse_models,
)

FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "tastytrade"
if not FIXTURES.is_dir():
    pytest.skip(f"fixture folder {FIXTURES} absent", allow_module_level=True)

# Blanked captures: every leaf replaced by a placeholder ("REDACTED" for strings). They parse;
# placeholders in enum positions are kept and reported as unknown-enum warnings.
BLANKED = {"captures-accounts.json", "captures-customer.json"}
BLANKED_ENUM_WARNINGS = {"captures-accounts.json": {("Account", "margin_or_cash")}}


@dataclass(frozen=True)
class Case:
    model: type[TastytradeModel]
    listing: bool
    check: Callable[[list[Any]], None]


def _data(raw: Any) -> Any:
    """Unwrap ``{data, context, …}`` REST envelopes; bare ``data`` members pass through."""
    if isinstance(raw, dict) and "data" in raw and ("context" in raw or "api-version" in raw):
        return raw["data"]
    return raw


def _accounts(items: list[CustomerAccount]) -> None:
    assert items[0].account.account_number == "REDACTED"
    assert items[0].account.is_closed is False
    assert items[0].account.opened_at is not None
    assert items[0].account.opened_at.tzinfo


def _customer(items: list[Customer]) -> None:
    assert len(items[0].permitted_account_types) == 12
    assert items[0].permitted_account_types[0].margin_types[0].is_margin is False


def _crypto(items: list[Cryptocurrency]) -> None:
    assert items[0].symbol == "BCH/USD"
    assert items[0].tick_size == Decimal("0.01")
    assert items[0].destination_venue_symbols[0].max_quantity_precision == 8


def _equities(items: list[Equity]) -> None:
    assert [e.symbol for e in items] == ["AIFE", "AIFER", "FBDC"]
    assert items[0].tick_sizes[0].threshold == Decimal("1.0")
    assert items[0].instrument_type is InstrumentType.EQUITY


def _future_products(items: list[FutureProduct]) -> None:
    assert all(p.root_symbol.startswith("/") for p in items)
    assert any(p.option_products for p in items)


def _futures(items: list[Future]) -> None:
    assert all(f.symbol.startswith("/") for f in items)
    assert items[0].future_product is not None
    assert items[0].streamer_symbol
    assert items[0].streamer_symbol.endswith(":XCME")


def _search(items: list[InstrumentSearchResult]) -> None:
    assert len(items) == 25
    assert items[0].instrument_type is InstrumentType.FUTURE


def _session(items: list[MarketSession]) -> None:
    assert items[0].state is MarketSessionState.CLOSED
    assert items[0].next_session is not None
    assert str(items[0].next_session.session_date) == "2026-08-04"


def _nested(items: list[NestedOptionChain]) -> None:
    assert items[0].expirations[0].strikes[0].call
    assert items[0].expirations[0].strikes[0].strike_price > 0


def _precisions(items: list[QuantityDecimalPrecision]) -> None:
    assert len(items) == 48
    assert items[0].symbol == "AAVE/USD"
    assert items[0].value == 3


def _balance(items: list[AccountBalance]) -> None:
    assert items[0].net_liquidating_value == Decimal("15500.0")
    assert items[0].pending_cash_effect is PriceEffect.NONE


def _position(items: list[Any]) -> None:
    assert items[0].quantity_direction is QuantityDirection.LONG
    assert items[0].signed_quantity == Decimal(100)


def _ack(items: list[StreamerAck]) -> None:
    assert items[0].action == "connect"
    assert items[0].web_socket_session_id == "5b6e2799"


def _order_filled(items: list[Order]) -> None:
    order = items[0]
    assert order.status is OrderStatus.FILLED
    assert order.updated_at is not None
    assert order.updated_at.year == 2023
    assert order.legs[0].fills[0].fill_price == Decimal("100.0")
    assert order.user_id == "99"


def _order_routed(items: list[Order]) -> None:
    assert items[0].status is OrderStatus.ROUTED
    assert items[0].legs[0].remaining_quantity == Decimal(100)


def _watchlist(items: list[Watchlist]) -> None:
    assert items[0].watchlist_entries is not None
    assert [e.symbol for e in items[0].watchlist_entries] == ["AAPL", "/ES"]


def _alert(items: list[QuoteAlert]) -> None:
    assert items[0].threshold == Decimal("200.00")
    assert items[0].expires_at is not None
    assert items[0].expires_at.year == 2026
    assert items[0].triggered_at is not None
    assert items[0].triggered_at.utcoffset() is not None


def _margin_dry_run(items: list[MarginDryRun]) -> None:
    assert items[0].orders[0].id == "dry-run-0"
    assert items[0].last_results is not None
    entry = items[0].last_results.group_results[0].group
    assert entry is not None
    assert entry.underlying_entry is not None
    assert entry.underlying_entry.fixing_price is not None
    assert entry.underlying_entry.fixing_price.is_nan()


def _margin_requirements(items: list[MarginRequirementsReport]) -> None:
    report = items[0]
    assert report.margin_requirement == Decimal("4337.831401355")
    assert report.groups[0].groups[0].position_entries[0].instrument_symbol == "AAPL"


def _market_data(items: list[MarketData]) -> None:
    assert {m.symbol for m in items} >= {"AAPL"}
    assert all(m.halt_start_time == -1 for m in items)


def _fop_products(items: list[FutureOptionProduct]) -> None:
    assert len(items) == 100
    assert items[0].future_product is not None


def _future_product(items: list[FutureProduct]) -> None:
    assert items[0].code == "ES"
    assert items[0].roll is not None
    assert items[0].roll.active_count == 6


def _compact(items: list[CompactOptionChain]) -> None:
    assert len(items) == 2
    assert all(len(c.symbols) == len(c.streamer_symbols) > 1000 for c in items)


def _margin_config(items: list[MarginConfiguration]) -> None:
    assert items[0].risk_free_rate == Decimal("0.0025")


def _effective(items: list[EffectiveMarginRequirement]) -> None:
    assert items[0].underlying_symbol == "AAPL"
    assert items[0].naked_option_floor == Decimal("251.0")


def _dry_run(items: list[PlacedOrderResponse]) -> None:
    resp = items[0]
    assert resp.order.id is None
    assert resp.order.updated_at is None
    assert resp.order.signed_price == Decimal("2.0")
    assert resp.fee_calculation is not None
    assert resp.fee_calculation.signed_total_fees == Decimal("-2.302")


def _trading_status(items: list[TradingStatus]) -> None:
    assert items[0].options_level == "No Restrictions"
    assert items[0].is_frozen is False


def _transactions(items: list[Transaction]) -> None:
    assert len(items) == 3
    assert items[2].signed_value == Decimal("27.74")
    assert items[0].quantity == Decimal("1.68074")


def _nonempty(items: list[Any]) -> None:
    assert items


CASES: dict[str, Case] = {
    "captures-accounts.json": Case(CustomerAccount, True, _accounts),
    "captures-cryptocurrencies.json": Case(Cryptocurrency, True, _crypto),
    "captures-customer.json": Case(Customer, False, _customer),
    "captures-equities.json": Case(Equity, True, _equities),
    "captures-future-products.json": Case(FutureProduct, True, _future_products),
    "captures-futures.json": Case(Future, True, _futures),
    "captures-instrument-search.json": Case(InstrumentSearchResult, True, _search),
    "captures-market-session-current.json": Case(MarketSession, False, _session),
    "captures-nested-option-chain.json": Case(NestedOptionChain, True, _nested),
    "captures-quantity-decimal-precisions.json": Case(QuantityDecimalPrecision, True, _precisions),
    "frames-account-account-balance.derived.json": Case(AccountBalance, False, _balance),
    "frames-account-current-position.derived.json": Case(CurrentPosition, False, _position),
    "frames-account-error-connect.documented.json": Case(StreamerAck, False, _ack),
    "frames-account-order-market.documented.json": Case(Order, False, _order_routed),
    "frames-account-order.documented.json": Case(Order, False, _order_filled),
    "frames-account-public-watchlists.derived.json": Case(Watchlist, False, _watchlist),
    "frames-account-quote-alert.derived.json": Case(QuoteAlert, False, _alert),
    "frames-account-status-connect.documented.json": Case(StreamerAck, False, _ack),
    "margin_dry_run.json": Case(MarginDryRun, False, _margin_dry_run),
    "margin_requirements.json": Case(MarginRequirementsReport, False, _margin_requirements),
    "market_data_by_type.json": Case(MarketData, True, _market_data),
    "mcp-tastytrade_get_future_option_products.json": Case(
        FutureOptionProduct, True, _fop_products
    ),
    "mcp-tastytrade_get_future_product.json": Case(FutureProduct, False, _future_product),
    "mcp-tastytrade_get_future_products.json": Case(FutureProduct, True, _future_products),
    "mcp-tastytrade_get_futures.json": Case(Future, True, _futures),
    "mcp-tastytrade_get_margin_config.json": Case(MarginConfiguration, False, _margin_config),
    "mcp-tastytrade_get_margin_requirements.json": Case(
        EffectiveMarginRequirement, False, _effective
    ),
    "mcp-tastytrade_get_option_chain_compact.json": Case(CompactOptionChain, True, _compact),
    "mcp-tastytrade_get_option_chain_nested.json": Case(NestedOptionChain, True, _nested),
    "mcp-tastytrade_get_quote.json": Case(MarketData, True, _market_data),
    "order_dry_run.json": Case(PlacedOrderResponse, False, _dry_run),
    "trading_status.json": Case(TradingStatus, False, _trading_status),
    "transactions_listing.json": Case(Transaction, True, _transactions),
}

FILES = sorted(p.name for p in FIXTURES.glob("*.json"))


def _parse(name: str, errors: ErrorStream) -> tuple[Case, list[Any]]:
    case = CASES[name]
    raw = json.loads((FIXTURES / name).read_text())
    if isinstance(raw, dict) and "type" in raw and "timestamp" in raw:
        # account-streamer notification frame: the model comes from its ``type``
        model = NOTIFICATION_MODELS[raw["type"]]
        assert model is case.model
        return case, [parse_model(model, raw["data"], errors)]
    data = _data(raw)
    if case.listing:
        return case, parse_models(case.model, data, errors)
    return case, [parse_model(case.model, data, errors)]


def test_every_fixture_has_a_case() -> None:
    assert FILES, "no fixtures found"
    assert set(FILES) == set(CASES), "a fixture file without a mapping (or a stale mapping)"


@pytest.mark.parametrize("name", FILES)
async def test_fixture_parses(name: str) -> None:
    errors = ErrorStream()
    case, items = _parse(name, errors)
    assert items
    case.check(items)
    warnings = [w for w in errors.drain() if isinstance(w, ParseWarning)]
    assert errors.published == len(warnings)
    if name in BLANKED:
        # placeholders in enum positions are kept and reported, not fatal
        assert all(w.value == "REDACTED" for w in warnings)
        expected = BLANKED_ENUM_WARNINGS.get(name, set())
        assert {(w.model, w.field_name) for w in warnings} == expected
    else:
        assert warnings == [], [w.message for w in warnings]


@pytest.mark.parametrize("name", FILES)
def test_fixture_models_serialize_back_to_the_same_wire(name: str) -> None:
    """``to_wire`` is a fixed point: parse(to_wire(m)).to_wire() == to_wire(m)."""
    _, items = _parse(name, ErrorStream())
    assert items, "nothing parsed: the round trip would check nothing"
    for item in items:
        wire = item.to_wire()
        again = parse_model(type(item), wire).to_wire()
        assert again == wire
