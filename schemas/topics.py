"""Every topic name, built in one place, and what each market topic carries.

Names are ``tt.<area>.<name>.v<major>``: market data ``tt.md.*`` (keyed by streamer symbol),
account events ``tt.acct.*`` and order commands ``tt.cmd.*`` (keyed by account number),
derived state ``tt.state.*``, and a dead-letter topic ``<topic>.dlq`` next to each of them.
Values are Avro in the Confluent wire format under subject ``<topic>-value``; keys are plain
UTF-8 strings (no key schema), so any client reads them with a string deserializer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from schemas.catalog import load_schema, schema_text

__all__ = [
    "ACCOUNT_TOPICS",
    "COMMAND_TOPICS",
    "DLQ_PARTITIONS",
    "DLQ_RETENTION_MS",
    "DLQ_SCHEMA_FILE",
    "DLQ_SUFFIX",
    "MARKET_TOPICS",
    "TopicSpec",
    "account_topic",
    "command_topic",
    "dlq_topic",
    "dlq_topic_config",
    "market_spec_for_topic",
    "market_topic",
    "state_topic",
    "topic_name",
    "value_subject",
]

DLQ_SUFFIX: Final = ".dlq"
DLQ_SCHEMA_FILE: Final = "dead_letter.avsc"
_PART = re.compile(r"^[a-z][a-z0-9_]*$")
_AREAS: Final = frozenset({"md", "acct", "cmd", "state"})
_HOUR_MS: Final = 3_600_000
_DAY_MS: Final = 24 * _HOUR_MS
DLQ_PARTITIONS: Final = 1
"""Dead letters are rare: one partition keeps them in order."""
DLQ_RETENTION_MS: Final = 30 * _DAY_MS


def topic_name(area: str, name: str, version: int = 1) -> str:
    """``tt.<area>.<name>.v<version>``; ``area`` is one of md, acct, cmd, state."""
    if area not in _AREAS:
        raise ValueError(f"unknown topic area {area!r}")
    if not _PART.match(name):
        raise ValueError(f"bad topic name part {name!r}")
    if version < 1:
        raise ValueError(f"topic version must be >= 1, got {version}")
    return f"tt.{area}.{name}.v{version}"


def market_topic(name: str, version: int = 1) -> str:
    """``tt.md.<name>.v<version>``, e.g. ``tt.md.quote.v1``."""
    return topic_name("md", name, version)


def account_topic(name: str, version: int = 1) -> str:
    """``tt.acct.<name>.v<version>``, e.g. ``tt.acct.order.v1`` (keyed by account number)."""
    return topic_name("acct", name, version)


def command_topic(name: str, version: int = 1) -> str:
    """``tt.cmd.<name>.v<version>``, e.g. ``tt.cmd.order.v1`` (keyed by account number)."""
    return topic_name("cmd", name, version)


def state_topic(name: str, version: int = 1) -> str:
    """``tt.state.<name>.v<version>``, e.g. ``tt.state.position.v1``."""
    return topic_name("state", name, version)


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of ``topic``: ``<topic>.dlq`` (idempotent)."""
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


def dlq_topic_config() -> dict[str, str]:
    """Broker-side config of a dead-letter topic: kept 30 days."""
    return {"retention.ms": str(DLQ_RETENTION_MS), "cleanup.policy": "delete"}


def value_subject(topic: str) -> str:
    """Registry subject of a topic's values (TopicNameStrategy): ``<topic>-value``."""
    return f"{topic}-value"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its name, key, value schema, ClickHouse table and defaults."""

    event_type: str
    """DXLink event type (``Quote``) or account-streamer notification type (``Order``)."""
    stem: str
    """Short name: the topic's ``<name>`` part, e.g. ``time_and_sale``."""
    table: str
    """ClickHouse table in database ``tastystream`` (empty: not sunk yet)."""
    partitions: int
    retention_ms: int
    version: int = 1
    key_field: str = "streamer_symbol"
    """Record field whose UTF-8 bytes are the Kafka key."""
    producer: str = "ingest.quotes"
    consumers: tuple[str, ...] = ("sinks.clickhouse",)
    area: str = "md"
    """Topic area: ``md`` (market data), ``acct`` (account events) or ``cmd`` (commands)."""
    schema_stem: str = ""
    """Schema file stem when it differs from ``stem`` (``account_order`` for ``order``)."""

    @property
    def name(self) -> str:
        return topic_name(self.area, self.stem, self.version)

    @property
    def value_subject(self) -> str:
        return value_subject(self.name)

    @property
    def schema_file(self) -> str:
        return f"{self.schema_stem or self.stem}.avsc"

    @property
    def dlq(self) -> str:
        return dlq_topic(self.name)

    @property
    def dlq_subject(self) -> str:
        return value_subject(self.dlq)

    @property
    def record_name(self) -> str:
        schema = load_schema(self.schema_file)
        return f"{schema['namespace']}.{schema['name']}"

    def schema(self) -> dict[str, Any]:
        """The value schema as a fresh JSON object."""
        return load_schema(self.schema_file)

    def schema_text(self) -> str:
        """The value schema as compact JSON, as registered."""
        return schema_text(self.schema_file)

    def key_of(self, record: Mapping[str, Any]) -> bytes:
        """The Kafka key of ``record``."""
        return str(record[self.key_field]).encode()

    def topic_config(self) -> dict[str, str]:
        """Broker-side topic config to create it with (replication is the deployment's choice)."""
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": "delete",
            "compression.type": "producer",
        }


def _spec(event_type: str, stem: str, table: str, partitions: int, days: int) -> TopicSpec:
    return TopicSpec(event_type, stem, table, partitions, days * _DAY_MS)


#: Every market-data topic, keyed by DXLink event type. Busy feeds get more partitions.
MARKET_TOPICS: Final[Mapping[str, TopicSpec]] = MappingProxyType(
    {
        s.event_type: s
        for s in (
            _spec("Quote", "quote", "quotes", 6, 3),
            _spec("Trade", "trade", "trades", 6, 7),
            _spec("TradeETH", "trade_eth", "trades_eth", 3, 7),
            _spec("Summary", "summary", "summaries", 3, 7),
            _spec("Profile", "profile", "profiles", 3, 7),
            _spec("Greeks", "greeks", "greeks", 6, 3),
            _spec("Candle", "candle", "candles", 3, 30),
            _spec("TheoPrice", "theo_price", "theo_prices", 3, 3),
            _spec("TimeAndSale", "time_and_sale", "time_and_sales", 6, 7),
            _spec("Underlying", "underlying", "underlyings", 3, 7),
        )
    }
)

_BY_TOPIC: Final = MappingProxyType({s.name: s for s in MARKET_TOPICS.values()})


def _account(event_type: str, stem: str, table: str, partitions: int, days: int) -> TopicSpec:
    return TopicSpec(
        event_type,
        stem,
        table,
        partitions,
        days * _DAY_MS,
        key_field="account_number",
        producer="ingest.account",
        area="acct",
        schema_stem=f"account_{stem}",
    )


#: Every account topic, keyed by the topic's ``<name>`` part; keyed by account number, so one
#: account's events keep their order. Transactions are the ledger: kept longest.
ACCOUNT_TOPICS: Final[Mapping[str, TopicSpec]] = MappingProxyType(
    {
        s.stem: s
        for s in (
            _account("Order", "order", "account_orders", 3, 30),
            _account("CurrentPosition", "position", "account_positions", 3, 30),
            _account("AccountBalance", "balance", "account_balances", 3, 30),
            _account("Transaction", "transaction", "account_transactions", 3, 365),
            _account("TradingStatus", "status", "account_status", 3, 30),
        )
    }
)


def _command(event_type: str, stem: str, schema: str, producer: str, consumer: str) -> TopicSpec:
    return TopicSpec(
        event_type,
        stem,
        "",
        3,
        30 * _DAY_MS,
        key_field="account_number",
        producer=producer,
        consumers=(consumer,),
        area="cmd",
        schema_stem=schema,
    )


#: The order flow, keyed by the topic's ``<name>`` part, every one keyed by account number:
#: commands (``order``), the commands risk approved (``approved``, the executor's input) and
#: the one terminal result of each command (``result``).
COMMAND_TOPICS: Final[Mapping[str, TopicSpec]] = MappingProxyType(
    {
        s.stem: s
        for s in (
            _command("OrderCommand", "order", "order_command", "cli/api", "processors.risk"),
            _command(
                "OrderCommand",
                "approved",
                "order_command",
                "processors.risk",
                "processors.executor",
            ),
            _command("OrderResult", "result", "order_result", "processors.executor", "anyone"),
        )
    }
)


def market_spec_for_topic(topic: str) -> TopicSpec:
    """The spec of a market topic by its name (``tt.md.quote.v1``); KeyError if unknown."""
    return _BY_TOPIC[topic]
