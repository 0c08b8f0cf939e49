from __future__ import annotations

import pytest

from schemas.topics import (
    MARKET_TOPICS,
    account_topic,
    command_topic,
    dlq_topic,
    market_spec_for_topic,
    market_topic,
    state_topic,
    topic_name,
    value_subject,
)

EXPECTED = {
    "Quote": ("tt.md.quote.v1", "quotes"),
    "Trade": ("tt.md.trade.v1", "trades"),
    "TradeETH": ("tt.md.trade_eth.v1", "trades_eth"),
    "Summary": ("tt.md.summary.v1", "summaries"),
    "Profile": ("tt.md.profile.v1", "profiles"),
    "Greeks": ("tt.md.greeks.v1", "greeks"),
    "Candle": ("tt.md.candle.v1", "candles"),
    "TheoPrice": ("tt.md.theo_price.v1", "theo_prices"),
    "TimeAndSale": ("tt.md.time_and_sale.v1", "time_and_sales"),
    "Underlying": ("tt.md.underlying.v1", "underlyings"),
}


def test_market_topics_names_and_tables() -> None:
    assert {k: (s.name, s.table) for k, s in MARKET_TOPICS.items()} == EXPECTED


@pytest.mark.parametrize("event_type", sorted(EXPECTED))
def test_spec_contract(event_type: str) -> None:
    spec = MARKET_TOPICS[event_type]
    assert spec.value_subject == f"{spec.name}-value"
    assert spec.dlq == f"{spec.name}.dlq"
    assert spec.dlq_subject == f"{spec.name}.dlq-value"
    assert spec.key_field == "streamer_symbol"
    assert spec.record_name == f"tastystream.md.{event_type}"
    assert spec.partitions >= 1
    assert spec.retention_ms >= 24 * 3600 * 1000
    assert spec.producer
    assert "sinks.clickhouse" in spec.consumers
    assert spec.topic_config()["retention.ms"] == str(spec.retention_ms)
    assert market_spec_for_topic(spec.name) is spec


def test_key_is_the_streamer_symbol_bytes() -> None:
    spec = MARKET_TOPICS["Quote"]
    assert spec.key_of({"streamer_symbol": "/ESZ24:XCME", "symbol": "/ESZ4"}) == b"/ESZ24:XCME"


def test_builders() -> None:
    assert market_topic("quote") == "tt.md.quote.v1"
    assert account_topic("order") == "tt.acct.order.v1"
    assert command_topic("order", 2) == "tt.cmd.order.v2"
    assert state_topic("position") == "tt.state.position.v1"
    assert topic_name("md", "candle") == "tt.md.candle.v1"
    assert dlq_topic("tt.cmd.order.v1") == "tt.cmd.order.v1.dlq"
    assert dlq_topic(dlq_topic("tt.cmd.order.v1")) == "tt.cmd.order.v1.dlq"
    assert value_subject("tt.acct.balance.v1") == "tt.acct.balance.v1-value"


@pytest.mark.parametrize(
    ("area", "name", "version"),
    [("mkt", "quote", 1), ("md", "Quote", 1), ("md", "a.b", 1), ("md", "", 1), ("md", "q", 0)],
)
def test_builders_reject_bad_names(area: str, name: str, version: int) -> None:
    with pytest.raises(ValueError):
        topic_name(area, name, version)


def test_unknown_topic_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        market_spec_for_topic("tt.md.nope.v1")
