"""`tastystream topics`: the declared topics joined with what the Kafka cluster holds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from rich.table import Table

from tastystream.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicRow:
    name: str
    key: str
    subject: str
    producer: str
    consumers: str
    partitions: int | None = None
    messages: int | None = None


def declared_rows() -> list[TopicRow]:
    from schemas.topics import ACCOUNT_TOPICS, MARKET_TOPICS

    rows: list[TopicRow] = []
    for spec in (*MARKET_TOPICS.values(), *ACCOUNT_TOPICS.values()):
        rows.append(
            TopicRow(
                spec.name,
                spec.key_field,
                spec.value_subject,
                spec.producer,
                ", ".join(spec.consumers) or "— (sink tables: later)",
            )
        )
        rows.append(
            TopicRow(
                spec.dlq,
                "source key",
                spec.dlq_subject,
                ", ".join(spec.consumers) or spec.producer,
                "—",
            )
        )
    return rows


async def cluster_topics(bootstrap: str, timeout: float = 5.0) -> dict[str, tuple[int, int]] | None:
    """``{topic: (partitions, messages)}`` from the cluster, or None when unreachable."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(consumer.start(), timeout)
        topics = await asyncio.wait_for(consumer.topics(), timeout)
        out: dict[str, tuple[int, int]] = {}
        for topic in sorted(t for t in topics if not t.startswith("__")):
            parts = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in parts]
            begin = await consumer.beginning_offsets(tps)
            end = await consumer.end_offsets(tps)
            out[topic] = (len(tps), sum(end[tp] - begin[tp] for tp in tps))
        return out
    except Exception as exc:  # unreachable cluster is a state to show, not a crash
        logger.debug("kafka at %s unreachable: %s", bootstrap, exc)
        return None
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()


async def topics_table(settings: Settings) -> Table:
    cluster = await cluster_topics(settings.kafka.bootstrap)
    rows = declared_rows()
    declared = {r.name for r in rows}
    if cluster is not None:
        rows += [TopicRow(t, "?", "?", "?", "?") for t in cluster if t not in declared]
    caption = (
        f"kafka {settings.kafka.bootstrap} unreachable: partitions/messages unknown"
        if cluster is None
        else f"kafka {settings.kafka.bootstrap}: {len(cluster)} topics exist"
    )
    table = Table(title="topics", caption=caption, title_justify="left")
    for column in (
        "topic",
        "key",
        "value subject",
        "producer",
        "consumers",
        "partitions",
        "messages",
    ):
        table.add_column(
            column, justify="right" if column in ("partitions", "messages") else "left"
        )
    for row in rows:
        parts, messages = (
            ("", "")
            if cluster is None
            else (
                (str(cluster[row.name][0]), str(cluster[row.name][1]))
                if row.name in cluster
                else ("—", "—")
            )
        )
        table.add_row(row.name, row.key, row.subject, row.producer, row.consumers, parts, messages)
    return table


__all__ = ["TopicRow", "cluster_topics", "declared_rows", "topics_table"]
