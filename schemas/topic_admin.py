"""Creating the topics: the one place that turns topic specs into broker topics.

Partitions, retention and cleanup come from the contract (:mod:`schemas.topics`); the
replication factor and ``min.insync.replicas`` are the deployment's (``KAFKA_REPLICATION_FACTOR``,
``KAFKA_MIN_INSYNC_REPLICAS``: 1 for the local single-node stack, 3 and 2 in production).
The publisher, the sink and the dead-letter topics all go through :func:`ensure_topics`.
Existing topics are left alone (their partitions and configs are never changed here).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas.topics import DLQ_PARTITIONS, TopicSpec, dlq_topic, dlq_topic_config

__all__ = ["Replication", "ensure_topics", "topics_for"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Replication:
    """How many copies of each partition the cluster keeps, and how many must ack a write."""

    factor: int = 1
    min_insync: int = 1

    def __post_init__(self) -> None:
        if self.factor < 1 or self.min_insync < 1:
            raise ValueError("replication factor and min.insync.replicas must be >= 1")
        if self.min_insync > self.factor:
            raise ValueError(
                f"min.insync.replicas {self.min_insync} exceeds the replication factor"
                f" {self.factor}: no write could ever be acknowledged"
            )

    def config(self) -> dict[str, str]:
        return {"min.insync.replicas": str(self.min_insync)}


def topics_for(
    specs: Mapping[str, TopicSpec], replication: Replication, *, dead_letters: bool = True
) -> list[NewTopic]:
    """The topics of ``specs`` (topic name → its market spec; a name may carry a prefix) and,
    with ``dead_letters``, their ``.dlq`` topics."""
    topics: list[NewTopic] = []
    for name, spec in specs.items():
        topics.append(
            NewTopic(
                name,
                spec.partitions,
                replication.factor,
                topic_configs={**spec.topic_config(), **replication.config()},
            )
        )
        if dead_letters:
            topics.append(
                NewTopic(
                    dlq_topic(name),
                    DLQ_PARTITIONS,
                    replication.factor,
                    topic_configs={**dlq_topic_config(), **replication.config()},
                )
            )
    return topics


async def ensure_topics(bootstrap: str, topics: Iterable[NewTopic], *, client_id: str) -> list[str]:
    """Create the topics that do not exist yet; returns the names created (idempotent: one
    created meanwhile by another process counts as existing)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        created: list[str] = []
        for topic in topics:
            if topic.name in existing:
                continue
            try:
                await admin.create_topics([topic])
            except TopicAlreadyExistsError:
                continue
            created.append(topic.name)
            existing.add(topic.name)
        if created:
            logger.info("created topics %s", ", ".join(sorted(created)))
        return created
    finally:
        await admin.close()
